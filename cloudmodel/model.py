"""The Python API: ``cloudmodel.forecast(...)`` returns a :class:`Forecast` of polars frames.

>>> import cloudmodel
>>> fc = cloudmodel.forecast()                                   # the report's base view
>>> fc.value("cloud.revenue_growth", "FY2026")                   # 0.15
>>> fc.wide(["cloud.revenue", "cloud.ebita_margin"], period="year")
>>> cloudmodel.forecast(overrides={"ai.penetration_target": "20%"}).value("cloud.revenue", "FY2026")
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .drivers import DriverSet, read_text
from .drivers import load_drivers as _load_drivers
from .engine import make_timeline, run
from .errors import InputError, InputProblem, did_you_mean
from .history import History, load_history
from .periods import QUARTERS_PER_YEAR, Period, PeriodError, quarter_label
from .result import LINES, Rows, add_checks, build_rows, evaluate_targets, ordered_periods

DEFAULT_HORIZON = "FY2028Q4"
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
    if not path.is_file():
        known = sorted(p.stem for p in (Path(drivers.directory) / "scenarios").glob("*.toml"))
        raise InputError.one(str(path), "", name_or_path, "no such scenario",
                             did_you_mean(name_or_path, ["base", *known]) or f"scenarios: base, {', '.join(known)}")
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError.one(str(path), "", None, f"is not valid TOML: {exc}") from None
    problems = [InputProblem(str(path), key, None, "unknown key", did_you_mean(key, ("name", "description", "overrides")))
                for key in data if key not in ("name", "description", "overrides")]
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        problems.append(InputProblem(str(path), "overrides", overrides, "must be a table of driver id = value"))
    if problems:
        raise InputError(problems)
    return overrides


def scenario_drivers(base: DriverSet, scenario: str = "base", overrides: Mapping[str, Any] | None = None) -> DriverSet:
    """The drivers of a scenario: the base, then the scenario file's overrides, then ``overrides``."""
    values = scenario_overrides(scenario, base)
    driver_set = base.with_overrides(values, where=f"scenario {scenario}") if values else base
    return driver_set.with_overrides(overrides) if overrides else driver_set


@dataclass
class Forecast:
    """One run of the model: the long table and what was checked."""

    table: Any  # polars.DataFrame: line, period, basis, value, unit
    checks: Any  # polars.DataFrame: line, period, value, ok
    targets: Any  # polars.DataFrame: label, line, period, model, report, ok
    meta: dict[str, Any]
    drivers: DriverSet = field(repr=False)
    rows: Rows = field(repr=False)

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

    def lineage(self, line: str) -> list[str]:
        """Driver ids the line is made from (the layers' ``READS``)."""
        from .lineage import drivers_of

        return drivers_of(line)


#: Lines an actuals file can feed into a forecast (the rest serve backtests).
ROLL_FORWARD_LINES = ("cloud.revenue", "cloud.ebita", "cloud.ai.customers", "cloud.deepseek.dau_hosted")


def _origin(label: str | None, history: History, extra: dict[str, dict[int, float]], drivers: DriverSet) -> int:
    """The last quarter taken as reported: given, or the end of the contiguous reported revenue."""
    from .engine import REPORT_GROWTH, period_quarter

    earliest = period_quarter(drivers[REPORT_GROWTH[0]].period) - QUARTERS_PER_YEAR
    if label is None:
        origin = history.last_quarter
        while origin + 1 in extra.get("cloud.revenue", {}):
            origin += 1
        return origin
    try:
        period = Period.parse(label)
    except PeriodError as exc:
        raise InputError.one("--origin", "", label, str(exc)) from None
    if period.kind != "FY" or not period.is_quarter:
        raise InputError.one("--origin", "", label, "the origin is a fiscal quarter, e.g. FY2025Q3")
    origin = period.fiscal_quarters()[0]
    if origin < earliest:
        raise InputError.one("--origin", "", label, f"is before {quarter_label(earliest)}, the end of the report's base "
                             "year, on which the group forecast rests")
    return origin


def forecast(scenario: str = "base", overrides: Mapping[str, Any] | None = None,
             drivers_dir: str | Path | None = None, horizon: str = DEFAULT_HORIZON,
             drivers: DriverSet | None = None, history: History | None = None,
             actuals: Any = None, origin: str | None = None) -> Forecast:
    """Run the model for a scenario with optional overrides (values may carry units).

    ``actuals`` (a path or :class:`~cloudmodel.actuals.Actuals`) rolls the forecast forward:
    its quarters of cloud revenue and EBITA become reported quarters and its latest AI
    customers and hosted DeepSeek DAU re-anchor those paths. ``origin`` (``FY2024Q4``) makes the
    forecast as it would have been made then: nothing reported after it is used."""
    import polars as pl

    base = drivers if drivers is not None else load_drivers(drivers_dir)
    history = history if history is not None else load_history()
    if actuals is not None and not hasattr(actuals, "rows"):
        from .actuals import load_actuals

        actuals = load_actuals(actuals)
    extra = {line: actuals.quarterly(line) for line in ROLL_FORWARD_LINES} if actuals is not None else {}
    origin_q = _origin(origin, history, extra, base)
    if origin_q < history.last_quarter:
        history = history.up_to(origin_q)
    driver_set = scenario_drivers(base, scenario, overrides)
    try:
        horizon_period = Period.parse(horizon)
    except PeriodError as exc:
        raise InputError.one("--horizon", "", horizon, str(exc)) from None
    if horizon_period.kind != "FY":
        raise InputError.one("--horizon", "", horizon, "the horizon is a fiscal quarter or year, e.g. FY2030 or FY2030Q4")
    last = horizon_period.fiscal_quarters()[-1]
    timeline = make_timeline(driver_set, history, last, origin=origin_q)
    _validate_values(driver_set)
    raw = run(driver_set.values_by_id(), history, timeline, extra)
    rows = build_rows(raw, history)
    check_names = add_checks(rows, raw, history, driver_set)
    _add_table4(rows, driver_set, timeline.report_years[0])
    units = {d.id.rpartition("_fy")[0]: d.unit for d in driver_set.values() if d.id.startswith("group.table4.")}
    records = []
    for (line, period), (value, basis) in rows.cells.items():
        unit = LINES[line].unit if line in LINES else units.get(line) or ("USD" if line.startswith("check.valuation") else "RMB_mn")
        records.append((line, period, basis, float(value), unit))
    table = pl.DataFrame(records, schema={"line": pl.String, "period": pl.String, "basis": pl.String,
                                          "value": pl.Float64, "unit": pl.String}, orient="row")
    checks = table.filter(pl.col("line").is_in(check_names)).with_columns(
        (pl.col("value").abs() <= CHECK_TOLERANCE).alias("ok")).select("line", "period", "value", "ok")
    targets = pl.DataFrame(evaluate_targets(rows, driver_set),
                           schema={k: getattr(pl, t) for k, t in TARGET_COLUMNS.items()})
    meta = {
        "model": "cloudmodel", "version": __version__, "scenario": scenario,
        "overrides": dict(driver_set.overrides),
        "drivers_hash": base.files_hash, "drivers_dir": base.directory,
        "origin": quarter_label(timeline.origin),
        "horizon": horizon, "units": "money in RMB_mn; ratios as decimals; per-share values in USD/HKD",
        "checks_ok": bool(checks["ok"].all()), "targets_ok": bool(targets["ok"].all()),
        "actuals": None if actuals is None else _actuals_use(actuals, origin_q),
        "drivers": {k: d.value for k, d in driver_set.items()},
    }
    return Forecast(table, checks, targets, meta, driver_set, rows)


def _actuals_use(actuals: Any, origin: int) -> dict[str, Any]:
    """Which rows of an actuals file the roll-forward took (quarters up to the origin of its lines)."""
    used, not_used = [], []
    for r in actuals.rows:
        period = Period.parse(r.period)
        taken = r.line in ROLL_FORWARD_LINES and period.is_quarter and period.fiscal_quarters()[0] <= origin
        (used if taken else not_used).append(f"{r.line}@{r.period}")
    return {"file": actuals.file, "used": sorted(used), "not_used": sorted(not_used)}


def _add_table4(rows: Rows, drivers: DriverSet, first_forecast_year: int) -> None:
    """Table 4's lines FY2023–FY2026 as ``group.table4.*`` rows (reported years actual)."""
    for driver_id, d in drivers.items():
        if driver_id.startswith("group.table4."):
            line, _, year = driver_id.rpartition("_fy")
            rows.put(line, f"FY{year}", d.value, "actual" if int(year) < first_forecast_year else "forecast")


#: Relations between drivers that bounds alone cannot express: (smaller, larger), strictly.
RELATIONS = (
    ("ai.penetration_target", "ai.penetration_ceiling"),
    ("ai.penetration_dec2024", "ai.penetration_ceiling"),
    ("apple.tier1_users", "apple.tier2_users"),
    ("apple.tier2_users", "apple.tier3_users"),
    ("apple.licence_tier1_units", "apple.licence_tier2_units"),
    ("apple.licence_tier2_units", "apple.licence_tier3_units"),
)


def relation_limits(driver_id: str, values: dict[str, Any]) -> tuple[float, float]:
    """The interval the relations allow ``driver_id`` given the other drivers' values."""
    lo, hi = -math.inf, math.inf
    for smaller, larger in RELATIONS:
        if driver_id == smaller:
            hi = min(hi, values[larger])
        if driver_id == larger:
            lo = max(lo, values[smaller])
    return lo, hi


def _validate_values(drivers: DriverSet) -> None:
    """Relations between drivers, and a positive customer count."""
    v = drivers.values_by_id()
    problems = [InputProblem("drivers", smaller, v[smaller], f"must be below {larger} ({v[larger]:g})")
                for smaller, larger in RELATIONS if not v[smaller] < v[larger]]
    if not v["customers.total"] > 0:
        problems.append(InputProblem("drivers", "customers.total", v["customers.total"], "must be positive"))
    if problems:
        raise InputError(problems)

