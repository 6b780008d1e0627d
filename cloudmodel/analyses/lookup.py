"""The drivers of a run and of a line: what ``drivers`` and ``trace`` show."""

from __future__ import annotations

from typing import Any

from cloudmodel.errors import InputError


def drivers_list(basis: Any, kinds: list[str] | None = None) -> dict[str, Any]:
    """``drivers``: every driver of the run on ``basis`` (of ``kinds`` only, comma lists allowed)."""
    from cloudmodel.inputs.drivers import RUN_KINDS

    wanted = {k for item in kinds or [] for k in item.split(",") if k}
    unknown = wanted - set(RUN_KINDS)
    if unknown:
        raise InputError.one("--kind", "", sorted(unknown)[0], f"unknown kind; kinds are {', '.join(RUN_KINDS)}")
    drivers = basis.drivers
    records = drivers.records([i for i, d in drivers.items() if not wanted or d.kind in wanted])
    return {"records": records, "document": {"meta": basis.describe(), "drivers": records}}


def trace(basis: Any, spec: str) -> dict[str, Any]:
    """``trace LINE`` or ``trace LINE@PERIOD``: the drivers that make a line (at one period), its formula."""
    from cloudmodel.analyses.whatif import check_period
    from cloudmodel.lineage import drivers_of, formula_of
    from cloudmodel.quantities import LINES

    line, _, period = spec.partition("@")
    if line not in LINES:
        from cloudmodel.errors import did_you_mean

        raise InputError.one("trace", "LINE", line, "unknown output line", did_you_mean(line, LINES))
    if period:
        period = check_period(period, "trace")
    try:
        ids = drivers_of(line, basis.drivers, basis.history, period=period or None)
        dates = drivers_of(line, basis.drivers, basis.history, period=period or None, dates=True)
    except KeyError as exc:
        raise InputError.one("trace", "LINE@PERIOD", f"{line}@{period}", exc.args[0]) from None
    # a driver whose period sets a date the line reads (when the price cuts start…) moves it too
    records = [r | {"reads": "value" if r["id"] in ids else "period"} for r in basis.drivers.records(sorted(set(ids) | set(dates)))]
    title = f"Drivers of {line}" + (f" at {period}" if period else "")
    document = {"meta": basis.describe(), "line": line, "period": period or None, "formula": dict(formula_of(line)),
                "drivers": records}
    return {"records": records, "title": title, "document": document}
