"""What a run stands on, the same for every verb: :class:`Basis` and :func:`prepare`.

Every verb starts from the latest reported quarter of the shipped history, or from ``--origin``:
the model as it would have been made then, seeing no shipped figure after it (an actuals file's
rows for later quarters stand in for what was reported). :func:`prepare` cuts the history,
adds the actuals, checks the origin and makes the update on it (:mod:`cloudmodel.living`);
:func:`parse_origin` reads ``--origin`` in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudmodel.errors import InputError
from cloudmodel.inputs.drivers import DriverSet, load_drivers
from cloudmodel.inputs.history import History, load_history
from cloudmodel.periods import QUARTERS_PER_YEAR, Period, PeriodError, quarter_label


@dataclass
class Basis:
    """What a run stands on, the same for every verb: the drivers of the files, the history as
    known at the origin (the shipped history cut there, an actuals file's rows on top), and the
    update made on what was reported since the report (:mod:`cloudmodel.living`)."""

    base: DriverSet  # the driver files
    history: History  # what was reported by the last reported quarter
    origin: int  # the quarter the shipped history is cut at (--origin; default its last quarter)
    actuals: Any = None  # the actuals file, if any (:class:`~cloudmodel.inputs.actuals.Actuals`)
    living: Any = None  # :class:`cloudmodel.living.Update`

    @property
    def last(self) -> int:
        """The last reported quarter: the origin, or later with an actuals file's quarters."""
        return self.history.last_quarter

    @property
    def drivers(self) -> DriverSet:
        """The drivers the forecast runs on: the files' updated on what was reported (the update's
        changes and the residual states' estimated parameters)."""
        return self.living.drivers

    def past(self, last: int) -> Any:
        """The basis's own evaluation to quarter ``last`` (drivers as updated, no scenario): a run of a
        scenario on this basis takes every reported period from it — history is pinned."""
        if not hasattr(self, "_past"):
            self._past = {}
        if last not in self._past:
            from cloudmodel.engine import evaluate, make_timeline

            timeline = make_timeline(self.drivers, self.history, last)
            self._past[last] = evaluate(self.drivers.values_by_id(), self.history, timeline)
        return self._past[last]

    def inputs(self) -> list[str]:
        """The files a run on this basis reads (never written): the driver files and the actuals file."""
        return [d.file for d in self.base.values()] + ([self.actuals.file] if self.actuals is not None else [])

    def describe(self) -> dict[str, Any]:
        """What every output's header says: the origin, the last reported quarter, the data."""
        from cloudmodel.engine import report_origin

        return {"origin": quarter_label(self.origin), "last_reported": quarter_label(self.last),
                "report_origin": quarter_label(report_origin(self.base)),
                "view": "the report's own view" if self.is_report_view else "updated on every quarter reported by the origin",
                "history": self.history.file, "actuals": getattr(self.actuals, "file", None)}

    @property
    def is_report_view(self) -> bool:
        from cloudmodel.engine import report_origin

        return self.last == report_origin(self.base)


def parse_origin(label: str | int | None, history: History, drivers: DriverSet | None = None) -> int:
    """``--origin``, parsed in one place for every verb: a fiscal quarter from the first with a year of
    reported quarters before it (default: the shipped history's last quarter). ``report`` is the
    report's own origin."""
    earliest = history.first_quarter + QUARTERS_PER_YEAR - 1  # a year of reported quarters: the anchor of an early origin
    if label is None:
        return history.last_quarter
    if isinstance(label, int):
        return label
    if label.strip().lower() == "report":
        from cloudmodel.engine import report_origin

        return report_origin(drivers if drivers is not None else load_drivers())
    try:
        period = Period.parse(label)
    except PeriodError as exc:
        raise InputError.one("--origin", "", label, str(exc), "e.g. FY2025Q3, or report for the report's own origin") from None
    if period.kind != "FY" or not period.is_quarter:
        raise InputError.one("--origin", "", label, "the origin is a fiscal quarter, e.g. FY2025Q3")
    origin = period.fiscal_quarters()[0]
    if origin < earliest:
        raise InputError.one("--origin", "", label, f"is before {quarter_label(earliest)}: the model needs four reported "
                             "quarters up to the origin (they stand in for the report's anchor year)")
    return origin


def check_known(origin: int, shipped: History, actuals: Any = None) -> None:
    """An origin after the shipped history needs an actuals file for the quarters since."""
    if origin > shipped.last_quarter and actuals is None:
        raise InputError.one("--origin", "", quarter_label(origin), f"is after {quarter_label(shipped.last_quarter)}, "
                             "the last quarter of the shipped history", "give the quarters since in an actuals file (--actuals)")


def prepare(drivers: DriverSet | None = None, drivers_dir: str | Path | None = None, history: History | None = None,
            actuals: Any = None, origin: str | int | None = None) -> Basis:
    """The basis of a run: the drivers, the history as known at ``origin`` with ``actuals`` (a path or
    :class:`~cloudmodel.inputs.actuals.Actuals`) on top, and the update on it. An actuals file is
    checked against the history known at the origin: its rows for later quarters stand in for what
    was reported then."""
    from cloudmodel.inputs.actuals import as_known, load_actuals
    from cloudmodel.living import update_at

    base = drivers if drivers is not None else load_drivers(drivers_dir)
    shipped = history if history is not None else load_history()
    origin_q = parse_origin(origin, shipped, base)
    check_known(origin_q, shipped, actuals)
    cut = shipped.up_to(origin_q) if origin_q < shipped.last_quarter else shipped
    if actuals is not None and not hasattr(actuals, "rows"):
        actuals = load_actuals(actuals, cut)
    from cloudmodel.constraints import validate

    validate(base)
    known = as_known(cut, actuals)
    if known.last_quarter < origin_q:
        raise InputError.one("--origin", "", quarter_label(origin_q), f"no reported cloud revenue from "
                             f"{quarter_label(known.last_quarter + 1)} to the origin", "give those quarters in an actuals file")
    try:
        living = update_at(base, known)
    except (ZeroDivisionError, OverflowError, FloatingPointError) as exc:
        where = f"the drivers and {actuals.file}" if actuals is not None else "the drivers"
        raise InputError.one("update", "", None, f"the update on what was reported cannot be computed with {where} "
                             f"({type(exc).__name__}: {exc})", "check the actuals' units and values, and the drivers' bounds") from None
    basis = Basis(base, known, origin_q, actuals, living)
    living.drivers.basis = basis
    return basis


__all__ = ["Basis", "check_known", "parse_origin", "prepare"]
