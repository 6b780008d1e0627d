"""The Python API: ``cloudmodel.forecast(...)`` returns a :class:`Forecast` of polars frames.

>>> import cloudmodel
>>> fc = cloudmodel.forecast()                                   # the report's base view
>>> fc.value("cloud.revenue_growth", "FY2026")                   # 0.15
>>> fc.wide(["cloud.revenue", "cloud.ebita_margin"], period="year")
>>> cloudmodel.forecast(overrides={"ai.penetration_target": "20%"}).value("cloud.revenue", "FY2026")
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudmodel.basis import Basis, parse_origin, prepare  # noqa: F401 - re-exported
from cloudmodel.constraints import LAYER_LINES, _validate_values, relation_limits  # noqa: F401 - re-exported
from cloudmodel.engine import default_horizon, horizon_quarter, make_timeline, pins, run
from cloudmodel.errors import InputError, InputProblem, did_you_mean
from cloudmodel.inputs.drivers import DriverSet, decode_text
from cloudmodel.inputs.drivers import load_drivers as _load_drivers
from cloudmodel.inputs.history import History
from cloudmodel.periods import PeriodError, quarter_label
from cloudmodel.quantities.customers import AI_CUSTOMERS
from cloudmodel.quantities.ebita import EBITA_MARGIN
from cloudmodel.quantities.group import GROUP_REVENUE, NET_INCOME
from cloudmodel.quantities.revenue import CLOUD_REVENUE, CLOUD_REVENUE_GROWTH
from cloudmodel.quantities.valuation import TARGET_USD
from cloudmodel.result import LINES, Rows, add_checks, build_rows, evaluate_targets, ordered_periods
from cloudmodel.version import __version__

CHECK_TOLERANCE = 1e-6  # residuals are money or ratios; anything above a millionth is a real break
TARGET_COLUMNS = {"label": "String", "line": "String", "period": "String", "kind": "String", "model": "Float64",
                  "report": "Float64", "low": "Float64", "high": "Float64", "tolerance": "Float64", "unit": "String",
                  "ok": "Boolean"}


def load_drivers(drivers_dir: str | Path | None = None) -> DriverSet:
    """All drivers of a directory (default: the shipped ``drivers/``), validated."""
    return _load_drivers(drivers_dir)


def scenario_overrides(name_or_path: str, drivers: DriverSet) -> dict[str, Any]:
    """Overrides of a named scenario (``drivers/scenarios/NAME.toml``) or a scenario file path."""
    if name_or_path == "base":
        return {}
    path = Path(name_or_path)
    if not path.suffix:
        path = Path(drivers.directory) / "scenarios" / f"{name_or_path}.toml"
    try:
        missing = not os.path.lexists(path)
    except (OSError, ValueError):
        missing = True
    if missing:
        known = sorted(p.stem for p in (Path(drivers.directory) / "scenarios").glob("*.toml"))
        raise InputError.one(str(path), "", name_or_path, "no such scenario",
                             did_you_mean(name_or_path, ["base", *known]) or f"scenarios: base, {', '.join(known)}")
    from cloudmodel.inputs.drivers import parse_toml, read_input_file
    from cloudmodel.inputs.files import register_input

    register_input(path)
    data = parse_toml(decode_text(read_input_file(path, None, what="scenario file"), str(path)), str(path))
    problems = [InputProblem(str(path), key, None, "unknown key", did_you_mean(key, ("name", "description", "overrides")))
                for key in data if key not in ("name", "description", "overrides")]
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        problems.append(InputProblem(str(path), "overrides", overrides, "must be a table of driver id = value"))
    if problems:
        raise InputError(problems)
    return overrides


def reported_facts(drivers: DriverSet) -> set[str]:
    """Drivers that are reported history: quoted from the report (kind ``report``) without a range,
    about a period that ends by the report's origin (33万 AI customers in December 2024). The
    report's forecasts for later periods are not facts. No scenario or ``--set`` changes them; a
    restatement comes through an actuals file."""
    from cloudmodel.engine import period_quarter, report_origin

    origin = report_origin(drivers)
    return {i for i, d in drivers.items() if d.kind == "report" and not d.has_range and period_quarter(d.period) <= origin}


def _refuse_reported_facts(base: DriverSet, changes: Mapping[str, Any], where: str) -> None:
    if not changes:
        return
    facts = reported_facts(base)
    problems = [InputProblem(where, i, value, f"is a reported fact ({base[i].period}): forward scenarios cannot change it",
                             "restate reported history through an actuals file (--actuals)")
                for i, value in changes.items() if i in facts]
    if problems:
        raise InputError(problems)


def scenario_drivers(base: DriverSet, scenario: str = "base", overrides: Mapping[str, Any] | None = None) -> DriverSet:
    """The drivers of a scenario: the base, then the scenario file's overrides, then ``overrides``.
    Reported facts (:func:`reported_facts`) are refused."""
    values = scenario_overrides(scenario, base)
    _refuse_reported_facts(base, values, f"scenario {scenario}")
    _refuse_reported_facts(base, overrides or {}, "--set")
    driver_set = base.with_overrides(values, where=f"scenario {scenario}") if values else base
    driver_set = driver_set.with_overrides(overrides) if overrides else driver_set
    _validate_values(driver_set)
    return driver_set


#: The lines a notebook or ``repr`` shows first.
SUMMARY_LINES = (CLOUD_REVENUE, CLOUD_REVENUE_GROWTH, EBITA_MARGIN, AI_CUSTOMERS,
                 GROUP_REVENUE, NET_INCOME, TARGET_USD)
BASIS_MARKS = {"actual": "A", "estimate": "est.", "forecast": "E"}


@dataclass
class Forecast:
    """One run of the model: the long table and what was checked. ``repr`` and, in a notebook,
    ``_repr_html_`` show the key lines by fiscal year; ``table`` holds every line."""

    table: Any  # polars.DataFrame: line, period, basis, value, unit
    checks: Any  # polars.DataFrame: line, period, value, ok
    targets: Any  # polars.DataFrame: label, line, period, model, report, ok
    meta: dict[str, Any]
    drivers: DriverSet = field(repr=False)
    rows: Rows = field(repr=False)
    #: What the run was made with: the history as known at the origin, the timeline and the basis
    #: (the workbook rebuilds the same run on formulas from them).
    history: History | None = field(default=None, repr=False)
    timeline: Any = field(default=None, repr=False)
    basis: Any = field(default=None, repr=False)

    def value(self, line: str, period: str) -> float:
        """One number: ``fc.value("cloud.revenue", "FY2026")``."""
        value = self.rows.get(line, period)
        if value is None:
            lines = {name for name, _ in self.rows.cells}
            hint = did_you_mean(line, lines) if line not in lines else f"{line} has no value for {period}"
            raise KeyError(f"no value for {line} at {period}" + (f" ({hint})" if hint else ""))
        return value

    def wide(self, lines: list[str] | None = None, period: str = "year"):
        """Lines as rows and periods as columns: ``period`` is ``year`` (fiscal), ``quarter`` or ``calendar``."""
        import polars as pl

        kind = {"year": "FY", "quarter": "Q", "calendar": "CY"}[period]
        table = self.table
        if lines is not None:
            table = table.filter(pl.col("line").is_in(lines))
        if kind == "Q":
            table = table.filter(pl.col("period").str.contains("Q"))
        else:
            table = table.filter(pl.col("period").str.starts_with(kind) & ~pl.col("period").str.contains("Q"))
        order = ordered_periods(set(table["period"].to_list()))
        wide = table.pivot(on="period", index=["line", "unit"], values="value", aggregate_function="first")
        present = [p for p in order if p in wide.columns]
        if lines is not None:
            wide = wide.with_columns(pl.col("line").replace_strict({n: i for i, n in enumerate(lines)}, default=len(lines))
                                     .alias("_order")).sort("_order").drop("_order")
        return wide.select(["line", "unit", *present])

    @property
    def ok(self) -> bool:
        return bool(self.checks["ok"].all())

    def summary(self) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
        """The key lines by fiscal year, formatted: (line, label, [(period, text, basis mark)])."""
        from cloudmodel.numbers import fmt

        years = [p for p in ordered_periods(set(self.table["period"].to_list())) if p.startswith("FY") and "Q" not in p]
        out = []
        for line in SUMMARY_LINES:
            cells = []
            for period in years:
                value, basis = self.rows.get(line, period), self.rows.basis(line, period)
                if value is not None:
                    cells.append((period, fmt(value, LINES[line].unit), BASIS_MARKS.get(basis or "", "")))
            out.append((line, LINES[line].label, cells))
        return out

    def __repr__(self) -> str:
        checks = "all checks ok" if self.ok else f"{int((~self.checks['ok']).sum())} checks FAIL"
        targets = f"{int(self.targets['ok'].sum())}/{self.targets.height} report figures met"
        head = (f"Forecast(scenario={self.meta['scenario']!r}, origin {self.meta['origin']}, last reported "
                f"{self.meta['last_reported']}, horizon "
                f"{self.meta['horizon']}, {self.table.height} rows; {checks}; {targets})")
        lines = [head]
        for _line, label, cells in self.summary():
            lines.append(f"  {label}: " + ", ".join(f"{p} {t} {m}".rstrip() for p, t, m in cells[-4:]))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A compact table for notebooks: the key lines by fiscal year, A/est./E marked."""
        from html import escape

        summary = self.summary()
        periods = [p for p, _, _ in max((cells for _, _, cells in summary), key=len)]
        head = "".join(f"<th>{escape(p)}</th>" for p in periods)
        body = []
        for _line, label, cells in summary:
            by_period = {p: (t, m) for p, t, m in cells}
            tds = "".join(f"<td>{escape(by_period[p][0])} <small>{escape(by_period[p][1])}</small></td>"
                          if p in by_period else "<td></td>" for p in periods)
            body.append(f"<tr><th style='text-align:left'>{escape(label)}</th>{tds}</tr>")
        caption = escape(repr(self).splitlines()[0])
        return (f"<table><caption style='text-align:left'>{caption}</caption><thead><tr><th></th>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table><p><small>A actual, est. estimate of a reported period, "
                "E forecast. fc.table holds every line.</small></p>")

    def lineage(self, line: str, period: str | None = None) -> list[str]:
        """Driver ids the line (at ``period``, or at any period) is made from: recorded by a tracing
        run of the quantity graph (:mod:`cloudmodel.lineage`), derived drivers expanded into their
        formulas' inputs."""
        from cloudmodel.lineage import drivers_of

        return drivers_of(line, self.drivers, self.history, self.timeline, period=period)


def forecast(scenario: str = "base", overrides: Mapping[str, Any] | None = None,
             drivers_dir: str | Path | None = None, horizon: str | None = None,
             drivers: DriverSet | None = None, history: History | None = None,
             actuals: Any = None, origin: str | None = None, basis: Basis | None = None) -> Forecast:
    """Run the model for a scenario with optional overrides (values may carry units), made at
    ``origin`` (default: the last reported quarter) and updated on every quarter reported by then
    (with ``actuals``, also the file's); see :func:`_forecast`. Finite or refused: an arithmetic failure
    anywhere (a division by zero, an overflow) is an :class:`~cloudmodel.errors.InputError` naming,
    best effort, its cause."""
    basis = basis if basis is not None else prepare(drivers, drivers_dir, history, actuals, origin)
    try:
        return _forecast(basis, scenario, overrides, horizon)
    except _ARITHMETIC as exc:
        if isinstance(exc, ValueError) and "math domain" not in str(exc):
            raise
        problem = f"the model cannot be computed with these inputs ({type(exc).__name__}: {exc})"
    driver_set = scenario_drivers(basis.drivers, scenario, overrides)

    def still_bad(trial: DriverSet) -> bool:
        try:
            _forecast(basis, "base", trial.overrides, horizon)
        except _ARITHMETIC:
            return True
        except InputError:
            return False
        return False

    cause = _blame(basis.drivers, driver_set, still_bad)
    if basis.actuals is not None and not cause.startswith("caused by"):
        cause = f"caused by the actuals ({basis.actuals.file}): a zero or extreme reported figure"
    from cloudmodel.errors import NonFinite

    raise NonFinite([InputProblem("forecast", "", None, problem, cause)])


def scenario_on(basis: Basis, scenario: str = "base", overrides: Mapping[str, Any] | None = None) -> DriverSet:
    """The scenario's drivers (with overrides on top) on the basis's updated drivers, refused (exit 2, with
    the driver that caused it) when their point forecast is not finite or leaves an output's domain:
    every verb that moves drivers from there starts from a forecast the user could have asked for."""
    forecast(scenario, overrides, basis=basis)
    return scenario_drivers(basis.drivers, scenario, overrides)


def check_strict(fc: Forecast) -> None:
    """``--strict``: a failed check (or, in the report's own view, a report target off) is exit 1."""
    from cloudmodel.errors import CheckFailed

    if not fc.ok:
        bad = fc.checks.filter(~fc.checks["ok"])
        raise CheckFailed(f"{bad.height} check rows failed, e.g. {bad['line'][0]} at {bad['period'][0]}")
    if fc.meta["targets_apply"] and not fc.targets["ok"].all():  # the report's own view only
        off = fc.targets.filter(~fc.targets["ok"])
        first = off.row(0, named=True)
        raise CheckFailed(f"{off.height} report targets are off (--strict), e.g. {first['label']}: model "
                          f"{first['model']:.6g}, report {first['report']:.6g} {first['unit']}")


def timeline_of(basis: Basis, drivers: DriverSet, horizon: str | None = None) -> Any:
    """The timeline of a run on ``basis`` to ``horizon`` (default: the origin's default horizon)."""
    horizon = default_horizon(drivers, basis.last) if horizon is None else horizon
    last = horizon_quarter(horizon, drivers, basis.last, limits=False)
    _check_origin_before_horizon(horizon, last, basis.last, basis.origin != basis.history.last_quarter)
    horizon_quarter(horizon, drivers, basis.last)
    return make_timeline(drivers, basis.history, last), horizon


def _forecast(basis: Basis, scenario: str = "base", overrides: Mapping[str, Any] | None = None,
              horizon: str | None = None) -> Forecast:
    """Run the model for a scenario with optional overrides (values may carry units) on ``basis``."""
    import polars as pl

    history = basis.history
    driver_set = scenario_drivers(basis.drivers, scenario, overrides)
    timeline, horizon = timeline_of(basis, driver_set, horizon)
    _validate_values(driver_set)
    raw = _run_checked(basis.drivers, driver_set, history, timeline)
    rows = build_rows(raw, history)
    check_names = add_checks(rows, raw, history, driver_set)
    _add_table4(rows, driver_set, history, timeline)
    units = {d.id.rpartition("_fy")[0]: d.unit for d in driver_set.values() if d.id.startswith("group.table4.")}
    records = []
    for (line, period), (value, basis_of) in rows.cells.items():
        unit = LINES[line].unit if line in LINES else units.get(line) or ("USD" if line.startswith("check.valuation") else "RMB_mn")
        records.append((line, period, basis_of, float(value), unit))
    table = pl.DataFrame(records, schema={"line": pl.String, "period": pl.String, "basis": pl.String,
                                          "value": pl.Float64, "unit": pl.String}, orient="row")
    _refuse_non_finite(table, basis.drivers, driver_set, history, timeline)
    checks = table.filter(pl.col("line").is_in(check_names)).with_columns(
        (pl.col("value").abs() <= CHECK_TOLERANCE).alias("ok")).select("line", "period", "value", "ok")
    targets = pl.DataFrame(evaluate_targets(rows, driver_set),
                           schema={k: getattr(pl, t) for k, t in TARGET_COLUMNS.items()})
    meta = {
        "model": "cloudmodel", "version": __version__, "scenario": scenario,
        "overrides": dict(driver_set.overrides),
        "drivers_hash": basis.base.files_hash, "drivers_dir": basis.base.directory,
        **basis.describe(),
        "horizon": horizon, "units": "money in RMB_mn; ratios as decimals; per-share values in USD/HKD",
        "checks_ok": bool(checks["ok"].all()), "targets_ok": bool(targets["ok"].all()),
        "targets_apply": basis.is_report_view,
        "update": basis.living.describe(),
        "drivers": {k: d.value for k, d in driver_set.items()},
        "driver_units": {k: d.unit for k, d in driver_set.items()},
    }
    return Forecast(table, checks, targets, meta, driver_set, rows, history, timeline, basis)


def _add_table4(rows: Rows, drivers: DriverSet, history: History, timeline: Any) -> None:
    """Table 4's lines FY2023–FY2026 as ``group.table4.*`` rows: the report's base years actual; a year
    reported since an ``estimate``, its money lines scaled by reported over Table 4 group revenue (the
    report's cost structure on the reported total, margins kept); the rest the report's forecast."""
    base_year = timeline.report_years[0] - 1
    scale: dict[int, float] = {}
    for year in timeline.report_years:
        reported = history.fiscal_year_total("group_revenue_rmb_mn", year)
        key = f"group.table4.revenue_fy{year}"
        if reported is not None and key in drivers and drivers[key].value:
            scale[year] = reported / drivers[key].value
    for driver_id, d in drivers.items():
        if not driver_id.startswith("group.table4."):
            continue
        line, _, year_text = driver_id.rpartition("_fy")
        year = int(year_text)
        if year <= base_year:
            rows.put(line, f"FY{year}", d.value, "actual")
        elif year in scale:
            rows.put(line, f"FY{year}", d.value * scale[year] if d.unit == "RMB_mn" else d.value, "estimate")
        else:
            rows.put(line, f"FY{year}", d.value, "forecast")
    for year in scale:  # growth lines of the scaled years, recomputed from the scaled revenue
        growth, revenue = "group.table4.revenue_growth", "group.table4.revenue"
        now, before = rows.get(revenue, f"FY{year}"), rows.get(revenue, f"FY{year - 1}")
        if rows.get(growth, f"FY{year}") is not None and now is not None and before:
            rows.put(growth, f"FY{year}", now / before - 1, "estimate")


def _first_bad(table: Any) -> tuple[str, str, float] | None:
    """The earliest (line, period, value) that is not finite, a negative layer revenue, or a
    ratio outside its plausible range (``Line.domain``)."""
    import polars as pl

    value, line = pl.col("value"), pl.col("line")
    bad = ~value.is_finite() | (line.is_in(LAYER_LINES) & (value < -CHECK_TOLERANCE))
    for name, (low, high) in _DOMAINS.items():
        bad = bad | ((line == name) & ((value < low - DOMAIN_TOLERANCE) | (value > high + DOMAIN_TOLERANCE)))
    bad = table.filter(bad)
    if bad.height == 0:
        return None
    from cloudmodel.periods import Period as _P

    def order(row: tuple) -> tuple:
        try:
            return (_P.parse(row[1]).fiscal_quarters()[-1], 0)
        except PeriodError:
            return (10**9, 0)

    rows = sorted(bad.select("line", "period", "value").iter_rows(), key=order)
    return rows[0]


def _outside(line: str, x: float | None) -> bool:
    """Whether a value is bad for its line: missing, not finite, a negative layer revenue, or out of its domain."""
    if x is None or not math.isfinite(x):
        return True
    if line in LAYER_LINES and x < -CHECK_TOLERANCE:
        return True
    low, high = _DOMAINS.get(line, (-math.inf, math.inf))
    return not low - DOMAIN_TOLERANCE <= x <= high + DOMAIN_TOLERANCE


def _why_bad(line: str, value: float) -> str:
    if not math.isfinite(value):
        return f"is {value} (not a finite number); every number the model gives must be finite"
    if line in _DOMAINS and line not in LAYER_LINES:
        low, high = _DOMAINS[line]
        span = f"{low:.0%} to {high:.0%}" if math.isfinite(high) else f"at least {low:.0%}"
        share = f" ({value:.1%})" if abs(value) < 100 else ""
        return (f"is {value:.4g}{share}, outside its plausible range {span}; a ratio the model gives "
                "must stay in its domain (docs/contract.md, output domains)")
    return "goes negative; no layer's revenue may be negative"


def _blame(base: DriverSet, driver_set: DriverSet, still_bad: Any) -> str:
    """Best effort: which driver causes the failure. Each overridden driver is reset to its file
    value in turn; one whose reset cures the run is named. Otherwise the largest-magnitude driver
    behind the line is named."""
    if driver_set.overrides and still_bad(base):  # the files alone already fail: not the overrides
        driver_set = base
    culprits = []
    for key in driver_set.overrides:
        rest = {k: x for k, x in driver_set.overrides.items() if k != key}
        try:
            trial = base.with_overrides(rest) if rest else base
        except InputError:
            continue
        if not still_bad(trial):
            culprits.append(f"{key}={driver_set[key].value:g} (overridden)")
    if culprits:
        return "caused by " + ", ".join(culprits)
    if driver_set.overrides:
        return "overridden drivers: " + ", ".join(f"{k}={x:g}" for k, x in driver_set.overrides.items())
    big = max(driver_set.values(), key=lambda d: abs(d.value) if math.isfinite(d.value) else math.inf)
    return f"the largest driver is {big.id} = {big.value:g} in {big.file}"


def _check_origin_before_horizon(label: str, last: int, origin: int, origin_given: bool) -> None:
    """The horizon ends after the origin (its own limits are checked by :func:`engine.horizon_quarter`)."""
    if origin >= last and not origin_given:
        raise InputError.one("--horizon", "", label, f"does not end after the last reported quarter {quarter_label(origin)}: "
                             "nothing would be left to forecast", "end the horizon later")
    if origin >= last:
        raise InputError.one("--origin", "", quarter_label(origin), f"is not before the horizon's last quarter "
                             f"{quarter_label(last)}: nothing would be left to forecast", "end the horizon later, or move the origin back")


#: Rounding allowed at a domain's edge (a share of exactly 100% computed as 1 + 1e-15).
DOMAIN_TOLERANCE = 1e-9
_DOMAINS = {name: line.domain for name, line in LINES.items() if line.domain is not None}
_ARITHMETIC = (ZeroDivisionError, OverflowError, ValueError, FloatingPointError)


def _compute(driver_set: DriverSet, history: History, timeline: Any) -> Any:
    """Engine and rows of one driver set (for the finiteness check and its blame)."""
    raw = run(driver_set.values_by_id(), history, timeline, past=pins(driver_set, timeline))
    return raw, build_rows(raw, history)


def _run_checked(base: DriverSet, driver_set: DriverSet, history: History, timeline: Any) -> Any:
    """The engine run; an arithmetic failure (a division by zero, an overflow) is an input error
    naming the driver that caused it."""
    try:
        return run(driver_set.values_by_id(), history, timeline, past=pins(driver_set, timeline))
    except _ARITHMETIC as exc:
        problem = f"the model cannot be computed with these drivers ({type(exc).__name__}: {exc})"

    def still_bad(trial: DriverSet) -> bool:
        try:
            _compute(trial, history, timeline)
        except _ARITHMETIC:
            return True
        return False

    from cloudmodel.errors import NonFinite

    raise NonFinite([InputProblem("drivers", "", None, problem, _blame(base, driver_set, still_bad))])


def _refuse_non_finite(table: Any, base: DriverSet, driver_set: DriverSet, history: History, timeline: Any) -> None:
    """Finite and plausible or refused: a NaN, an infinity, a negative layer revenue or a ratio
    outside its domain is an input error naming the first line and period it reaches and, best
    effort, the driver that caused it."""
    found = _first_bad(table)
    if found is None:
        return
    line, period, value = found

    def still_bad(trial: DriverSet) -> bool:
        try:
            _, rows = _compute(trial, history, timeline)
        except _ARITHMETIC:
            return True
        return _outside(line, rows.get(line, period))

    from cloudmodel.errors import NonFinite

    raise NonFinite([InputProblem("forecast", f"{line} at {period}", value if math.isfinite(value) else None,
                                  _why_bad(line, value), _blame(base, driver_set, still_bad))])
