"""What-if: scenarios side by side, sensitivity (tornado and grid), reverse solving, bridges, diffs.

Every analysis here evaluates all its cases in one batched run of the same engine
(:mod:`cloudmodel.batch`), so a tornado over forty drivers costs about one forecast.

* **Tornado** — each driver with a range moved alone to its low and its high (others at base);
  with ``include_unranged`` the rest move by ±10% (ratios by ±1 pp). Calibrated drivers are
  held at their stored values, not re-solved.
* **Solve** — one driver varied within its bounds until an output meets a target: a grid of
  the bracket in one batched run finds the sign change, bisection refines it.
* **Bridge** — between two scenarios, the change of a line split into driver contributions by
  **Shapley values**: each driver's average marginal effect over every order in which the
  changes could be made. Unlike a sequential bridge the result does not depend on an arbitrary
  order, and the contributions add up exactly to the total change. All 2^k subsets are
  evaluated in one batched run (k ≤ 15; beyond that a stated sequential order, in file order).
  Between two periods of one scenario the bridge is by component lines (layers, MaaS parts,
  the EBITA bridge), which add up by construction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np

from cloudmodel.batch import line_values, run_cases
from cloudmodel.errors import InputError, did_you_mean
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import History
from cloudmodel.lines import bridge
from cloudmodel.periods import Period, PeriodError
from cloudmodel.quantities import LINES
from cloudmodel.quantities.customers import AI_CUSTOMERS
from cloudmodel.quantities.ebita import CLOUD_EBITA, EBITA_MARGIN
from cloudmodel.quantities.group import GROUP_REVENUE, NET_INCOME
from cloudmodel.quantities.maas import MAAS_REVENUE
from cloudmodel.quantities.revenue import AI_REVENUE_SHARE, CLOUD_REVENUE, CLOUD_REVENUE_GROWTH
from cloudmodel.quantities.valuation import TARGET_USD
from cloudmodel.units import UnitError, parse_quantity

UNRANGED_RELATIVE = 0.10  # ±10% for drivers without a range …
UNRANGED_RATIO_POINTS = 0.01  # … and ±1 pp for ratios
GRID_STEPS = 5
SOLVE_GRID = 65
SOLVE_TOLERANCE = 1e-10
#: Halvings of the bracket at most: 65 grid points then 2^-60 of a step is below any tolerance.
SOLVE_BISECTIONS = 200
#: Where a driver has no upper bound, solve looks up to 100× its size (a model input that far off is no answer).
UNBOUNDED_SEARCH = 100
MAX_SHAPLEY_DRIVERS = 15  # 2^15 cases in one batched run (~0.5 GB); beyond that, sequential
VALUATION = TARGET_USD
KEY_LINES = (CLOUD_REVENUE, CLOUD_REVENUE_GROWTH, CLOUD_EBITA, EBITA_MARGIN, MAAS_REVENUE,
             AI_CUSTOMERS, AI_REVENUE_SHARE, GROUP_REVENUE, NET_INCOME,
             TARGET_USD)
#: The component bridge of each line declared as a sum or with terms (:func:`cloudmodel.lines.bridge`).
COMPONENTS = {name: list(bridge(line)) for name, line in LINES.items() if line.parts or line.terms}


# --------------------------------------------------------------------------- parsing

def check_line(line: str, where: str = "--line") -> str:
    if line not in LINES:
        raise InputError.one(where, "", line, "unknown output line", did_you_mean(line, LINES))
    return line


def check_period(label: str, where: str = "--period") -> str:
    try:
        Period.parse(label)
    except PeriodError as exc:
        raise InputError.one(where, "", label, str(exc)) from None
    return label


@dataclass(frozen=True)
class Condition:
    """``LINE@PERIOD OP VALUE``, the value in the line's unit."""

    line: str
    period: str
    op: str
    value: float

    def holds(self, x: Any) -> Any:
        return {"=": np.isclose, ">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}[self.op](x, self.value)


_CONDITION = re.compile(r"^\s*(?P<line>[a-z0-9_.]+)\s*@\s*(?P<period>[A-Za-z0-9]+)\s*(?P<op>>=|<=|=|>|<)\s*(?P<value>.+?)\s*$")


def parse_condition(text: str, where: str, ops: Sequence[str] = ("=",)) -> Condition:
    """Parse ``cloud.revenue_growth@FY2026=17%`` (or ``>``, ``<`` … where allowed)."""
    match = _CONDITION.match(text)
    form = f"LINE@PERIOD{ops[0]}VALUE, e.g. cloud.revenue_growth@FY2026{ops[0]}17%"
    if match is None or match["op"] not in ops:
        raise InputError.one(where, "", text, "does not parse", f"expected {form}")
    line = check_line(match["line"], where)
    period = check_period(match["period"], where)
    unit = LINES[line].unit
    try:
        value = parse_quantity(match["value"], unit)
    except UnitError as exc:
        raise InputError.one(where, "", text, str(exc), f"{line} is in {unit}") from None
    return Condition(line, period, match["op"], value)


# --------------------------------------------------------------------------- scenarios

def compare_scenarios(results: Mapping[str, Any], lines: Sequence[str] = KEY_LINES,
                      periods: Sequence[str] | None = None):
    """Long frame ``scenario, line, period, basis, value, unit`` of several forecasts, for
    ``periods`` (default: the report's target years to the default horizon)."""
    import polars as pl

    from cloudmodel.engine import years_shown

    if periods is None:
        first = next(iter(results.values()))
        periods = years_shown(first.drivers, first.timeline.origin, before=0)

    frames = []
    for name, fc in results.items():
        table = fc.table.filter(pl.col("line").is_in(list(lines)) & pl.col("period").is_in(list(periods)))
        frames.append(table.with_columns(pl.lit(name).alias("scenario")))
    return pl.concat(frames).select("scenario", "line", "period", "basis", "value", "unit")


# --------------------------------------------------------------------------- tornado and grid

def _moves(drivers: DriverSet, include_unranged: bool, ids: set[str] | None = None) -> list[tuple[str, float, float, str]]:
    """Each driver of ``ids`` (the lineage of the lines reported; default every model input) to its low and high."""
    if ids is None:
        raise ValueError("the drivers to move are the lineage of the lines reported")
    moves = []
    for driver_id in sorted(ids):
        d = drivers[driver_id]
        if d.kind in ("derived", "estimated"):
            continue
        if d.has_range and (d.low != d.value or d.high != d.value):
            moves.append((driver_id, d.low, d.high, "range"))
        elif include_unranged and d.value != 0:
            step = UNRANGED_RATIO_POINTS if d.unit == "ratio" else abs(d.value) * UNRANGED_RELATIVE
            lo, hi = max(d.value - step, d.bounds[0]), min(d.value + step, d.bounds[1])
            moves.append((driver_id, lo, hi, "±1 pp" if d.unit == "ratio" else "±10%"))
    return moves


def tornado(drivers: DriverSet, history: History, outputs: Sequence[tuple[str, str]], include_unranged: bool = False):
    """One-at-a-time sensitivity of each output to each ranged driver, sorted by swing."""
    import polars as pl

    from cloudmodel.lineage import drivers_of_lines

    moves = _moves(drivers, include_unranged, drivers_of_lines({line for line, _ in outputs}, drivers, history))
    n = 2 * len(moves) + 1
    changes: dict[str, np.ndarray] = {}
    for i, (driver_id, lo, hi, _) in enumerate(moves):
        column = np.full(n, drivers[driver_id].value)
        column[2 * i], column[2 * i + 1] = lo, hi
        changes[driver_id] = column
    raw = run_cases(drivers, history, changes)
    records = []
    for line, period in outputs:
        values = line_values(raw, line, period, n)
        base = float(values[-1])
        for i, (driver_id, lo, hi, basis) in enumerate(moves):
            at_low, at_high = float(values[2 * i]), float(values[2 * i + 1])
            records.append({"line": line, "period": period, "driver": driver_id, "range": basis,
                            "driver_low": lo, "driver_base": drivers[driver_id].value, "driver_high": hi,
                            "unit": drivers[driver_id].unit, "output_low": at_low, "output_base": base,
                            "output_high": at_high, "swing": abs(at_high - at_low)})
    frame = pl.DataFrame(records, infer_schema_length=None)
    for r in records:
        for column in ("output_base", "output_low", "output_high"):
            if not math.isfinite(r[column]):
                cause = {"output_low": f"with {r['driver']} at its low {r['driver_low']:g}",
                         "output_high": f"with {r['driver']} at its high {r['driver_high']:g}",
                         "output_base": "with every driver at its base value"}[column]
                _non_finite("sensitivity", r["line"], r["period"], r[column], cause)
    return frame.sort(["line", "period", "swing"], descending=[False, False, True])


def _non_finite(where: str, line: str, period: str, value: float, cause: str) -> None:
    from cloudmodel.errors import NonFinite

    raise NonFinite.one(where, f"{line} at {period}", None, f"is {value} (not a finite number) {cause}",
                        "every number the model gives must be finite; check that driver's range and the --set values")


def grid(drivers: DriverSet, history: History, a: str, b: str, line: str, period: str, steps: int = GRID_STEPS):
    """A two-way data table: ``line@period`` over the ranges of drivers ``a`` and ``b``."""
    import polars as pl

    axes = []
    for driver_id in (a, b):
        d = drivers.require(driver_id, "--grid")
        if not d.has_range:
            raise InputError.one("--grid", driver_id, None, "has no range (low/high) to make a grid over",
                                 "give it low and high in its driver file, or pick a ranged driver")
        axes.append(np.linspace(d.low, d.high, steps))
    cells = list(product(axes[0], axes[1]))
    changes = {a: np.array([x for x, _ in cells]), b: np.array([y for _, y in cells])}
    values = line_values(run_cases(drivers, history, changes), line, period, len(cells))
    for x, y, value in zip(changes[a], changes[b], values, strict=True):
        if not math.isfinite(value):
            _non_finite("sensitivity --grid", line, period, float(value), f"with {a}={x:g} and {b}={y:g}")
    return pl.DataFrame({a: changes[a], b: changes[b], "value": values})


# --------------------------------------------------------------------------- solve

def _solve_bounds(drivers: DriverSet, vary: str) -> tuple[float, float]:
    """Where ``solve`` looks: the driver's bounds, narrowed by the relations it is in (strictly inside
    them), and ±100× its size where it has no bound."""
    from cloudmodel.model import relation_limits

    d = drivers[vary]
    rel_lo, rel_hi = relation_limits(vary, drivers.values_by_id())
    lo, hi = max(d.bounds[0], rel_lo), min(d.bounds[1], rel_hi)
    if not math.isfinite(hi):
        hi = max(abs(d.value), abs(d.high or 0), 1.0) * UNBOUNDED_SEARCH
    if not math.isfinite(lo):
        lo = -hi
    if rel_hi < math.inf:  # strictly below the related driver
        hi -= (hi - lo) * SOLVE_TOLERANCE
    if rel_lo > -math.inf:
        lo += (hi - lo) * SOLVE_TOLERANCE
    return lo, hi


def _bisect(evaluate: Any, xs: np.ndarray, fs: np.ndarray, i: int) -> tuple[float, float]:
    """The bracket [xs[i], xs[i + 1]] halved until it is within SOLVE_TOLERANCE of the root."""
    a, b, fa = xs[i], xs[i + 1], fs[i]
    for _ in range(SOLVE_BISECTIONS):
        if fs[i] == 0:
            return xs[i], xs[i]
        mid = np.array([(a + b) / 2])
        fm = float(evaluate(mid)[0])
        if fm == 0 or (b - a) / 2 < SOLVE_TOLERANCE * max(1.0, abs(a)):
            return float(mid[0]), float(mid[0])
        if (fm < 0) == (fa < 0):
            a, fa = float(mid[0]), fm
        else:
            b = float(mid[0])
    return a, b


def solve(drivers: DriverSet, history: History, target: Condition, vary: str) -> dict[str, Any]:
    """The value of driver ``vary`` at which ``target.line@target.period`` equals ``target.value``. A
    period that ends by the last reported quarter is refused: a reported figure is not solved for."""
    last = history.last_quarter
    if Period.parse(target.period).fiscal_quarters()[-1] <= last:
        from cloudmodel.periods import quarter_label

        raise InputError.one("--target", f"{target.line}@{target.period}", target.value,
                             f"{target.period} ends by {quarter_label(last)}, the last reported quarter at this origin: "
                             "a reported period cannot be solved for",
                             f"target a period after {quarter_label(last)}, or give an earlier --origin")
    d = drivers.require(vary, "--vary")
    if d.kind == "derived":
        raise InputError.one("--vary", vary, None, f"is derived ({d.formula}); vary one of its inputs")
    lo, hi = _solve_bounds(drivers, vary)

    def evaluate(xs: np.ndarray) -> np.ndarray:
        raw = run_cases(drivers, history, {vary: xs})
        return line_values(raw, target.line, target.period, xs.shape) - target.value

    xs = np.linspace(lo, hi, SOLVE_GRID)
    fs = evaluate(xs)
    ok = np.isfinite(fs)
    roots = [i for i in range(len(xs) - 1) if ok[i] and ok[i + 1] and (fs[i] == 0 or fs[i] * fs[i + 1] < 0)]
    if not roots:
        reach = (float(np.nanmin(fs[ok])) + target.value, float(np.nanmax(fs[ok])) + target.value) if ok.any() else (math.nan, math.nan)
        raise InputError.one("--target", f"{target.line}@{target.period}", target.value,
                             f"cannot be reached by moving {vary} within its bounds [{lo:g}, {hi:g}]",
                             f"over that interval the line goes from {reach[0]:.6g} to {reach[1]:.6g}")
    # the root nearest the driver's current value
    i = min(roots, key=lambda k: abs((xs[k] + xs[k + 1]) / 2 - d.value))
    a, b = _bisect(evaluate, xs, fs, i)
    value = (a + b) / 2
    in_range = bool(d.has_range and d.low <= value <= d.high)
    return {"driver": vary, "value": value, "unit": d.unit, "in_range": in_range, "low": d.low, "high": d.high,
            "base_value": d.value, "change_from_base": value - d.value,
            "relative_change": (value / d.value - 1) if d.value else None,
            "target": {"line": target.line, "period": target.period, "value": target.value}}


# --------------------------------------------------------------------------- bridges

def shapley_bridge(drivers: DriverSet, history: History, changes: Mapping[str, float], line: str, period: str) -> dict[str, Any]:
    """Split ``line@period`` (changed drivers − base) into one contribution per changed driver."""
    ids = [k for k in changes if changes[k] != drivers[k].value]
    k = len(ids)
    if k == 0:
        base = float(line_values(run_cases(drivers, history, {}), line, period, 1)[0])
        return {"method": "none", "base": base, "new": base, "total_change": 0.0, "rows": []}
    if k > MAX_SHAPLEY_DRIVERS:
        return sequential_bridge(drivers, history, changes, line, period, ids)
    subsets = np.arange(2**k)  # bit j of a subset's number says whether driver j is changed
    bits = [(subsets >> j) & 1 == 1 for j in range(k)]
    case = {i: np.where(bits[j], changes[i], drivers[i].value) for j, i in enumerate(ids)}
    values = line_values(run_cases(drivers, history, case), line, period, subsets.shape)
    sizes = sum(b.astype(int) for b in bits)
    weights = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    rows = []
    for j, driver_id in enumerate(ids):
        without = subsets[~bits[j]]
        phi = float(np.sum(weights[sizes[without]] * (values[without | (1 << j)] - values[without])))
        rows.append({"driver": driver_id, "from": drivers[driver_id].value, "to": changes[driver_id], "contribution": phi,
                     "unit": drivers[driver_id].unit})
    base, new = float(values[0]), float(values[-1])
    return {"method": "shapley", "base": base, "new": new, "total_change": new - base, "rows": rows}


def sequential_bridge(drivers, history, changes, line, period, ids) -> dict[str, Any]:
    """Changes applied one after another in file order; each driver gets the step it causes."""
    n = len(ids) + 1
    case = {}
    for j, driver_id in enumerate(ids):
        column = np.full(n, drivers[driver_id].value)
        column[j + 1:] = changes[driver_id]
        case[driver_id] = column
    values = line_values(run_cases(drivers, history, case), line, period, n)
    rows = [{"driver": i, "from": drivers[i].value, "to": changes[i], "contribution": float(values[j + 1] - values[j])}
            for j, i in enumerate(ids)]
    return {"method": "sequential (file order)", "base": float(values[0]), "new": float(values[-1]),
            "total_change": float(values[-1] - values[0]), "rows": rows}


def component_bridge(fc: Any, line: str, period: str, start: str) -> dict[str, Any]:
    """Change of ``line`` from ``start`` to ``period`` split into its component lines."""
    if line not in COMPONENTS:
        raise InputError.one("explain", line, None, "has no component bridge between periods",
                             f"lines with one: {', '.join(COMPONENTS)}; or use --vs-scenario")
    rows = []
    for component, sign in COMPONENTS[line]:
        a, b = fc.value(component, start), fc.value(component, period)
        rows.append({"driver": component if sign > 0 else f"−{component}", "from": a, "to": b, "contribution": sign * (b - a)})
    base, new = fc.value(line, start), fc.value(line, period)
    return {"method": "components", "base": base, "new": new, "total_change": new - base, "rows": rows}


# --------------------------------------------------------------------------- diff

def diff_runs(a: Mapping[str, Any], b: Mapping[str, Any], lines: Sequence[str] = KEY_LINES) -> dict[str, Any]:
    """Drivers that differ between two saved forecast runs, and how key outputs moved."""
    da, db = a["meta"].get("drivers", {}), b["meta"].get("drivers", {})
    units = (a["meta"].get("driver_units") or {}) | (b["meta"].get("driver_units") or {})  # saved since this round
    drivers = [{"driver": k, "a": da.get(k), "b": db.get(k), "unit": units.get(k) if isinstance(units.get(k), str) else None}
               for k in sorted(set(da) | set(db)) if da.get(k) != db.get(k)]
    rows_a = {(r["line"], r["period"]): r for r in a["rows"]}
    rows_b = {(r["line"], r["period"]): r for r in b["rows"]}
    outputs = []
    for key in sorted(set(rows_a) & set(rows_b)):
        if key[0] not in lines or "Q" in key[1] or not key[1].startswith("FY"):
            continue
        va, vb = rows_a[key]["value"], rows_b[key]["value"]
        if va is None or vb is None:
            continue
        outputs.append({"line": key[0], "period": key[1], "a": va, "b": vb, "change": vb - va,
                        "pct_change": (vb / va - 1) if va else None, "unit": rows_a[key]["unit"]})
    return {"meta": {"a": {k: a["meta"].get(k) for k in ("scenario", "overrides", "drivers_hash")},
                     "b": {k: b["meta"].get(k) for k in ("scenario", "overrides", "drivers_hash")},
                     "same_driver_files": a["meta"].get("drivers_hash") == b["meta"].get("drivers_hash")},
            "drivers": drivers, "outputs": outputs}


# --------------------------------------------------------------------------- the verbs' library calls

def check_output_period(drivers: DriverSet, history: History, line: str, period: str, option: str = "--period") -> None:
    """Refuse a line at a period the model does not compute (before its first year, after the horizon)."""
    from cloudmodel.batch import check_computed, run_cases

    check_computed(run_cases(drivers, history, {}), line, period, option)


def scenario_table(basis: Any, names: Sequence[str] | None = None) -> dict[str, Any]:
    """``scenarios``: the named scenarios (default bear, base, bull) side by side on ``basis``."""
    from cloudmodel.engine import years_shown
    from cloudmodel.model import forecast

    results = {name: forecast(scenario=name, basis=basis) for name in (names or ["bear", "base", "bull"])}
    years = years_shown(basis.drivers, basis.last, before=0)
    frame = compare_scenarios(results, periods=years)
    meta = basis.describe() | {"scenarios": {name: fc.meta["overrides"] for name, fc in results.items()}}
    return {"frame": frame, "names": list(results), "years": years, "document": {"meta": meta, "rows": frame.to_dicts()}}


def _grid_pair(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise InputError.one("--grid", "", text, "expected two driver ids, A,B")
    if parts[0] == parts[1]:
        raise InputError.one("--grid", "", text, "names the same driver twice; a grid is over two different drivers")
    return parts


def sensitivity(basis: Any, drivers: DriverSet, line: str | None, period: str | None, grid_of: str | None = None,
                include_all: bool = False, scenario: str = "base") -> dict[str, Any]:
    """``sensitivity``: the tornado of every ranged driver on the lines (default cloud revenue and the
    target price) at ``period`` (default the valuation's year), or with ``grid_of`` (``A,B``) a grid."""
    from cloudmodel.engine import target_year

    history = basis.history
    period = check_period(period or target_year(drivers, basis.last))
    for out_line in ([check_line(line)] if line else [CLOUD_REVENUE, VALUATION]):
        check_output_period(drivers, history, out_line, period)
    if grid_of:
        parts, target_line = _grid_pair(grid_of), check_line(line or CLOUD_REVENUE)
        frame = grid(drivers, history, parts[0], parts[1], target_line, period)
        meta = basis.describe() | {"line": target_line, "period": period, "grid": parts}
        return {"kind": "grid", "frame": frame, "parts": parts, "line": target_line, "period": period,
                "document": {"meta": meta, "rows": frame.to_dicts()}}
    outputs = [(check_line(line), period)] if line else [(CLOUD_REVENUE, period), (VALUATION, period)]
    frame = tornado(drivers, history, outputs, include_all)
    meta = basis.describe() | {"outputs": outputs, "scenario": scenario}
    return {"kind": "tornado", "frame": frame, "outputs": outputs, "document": {"meta": meta, "rows": frame.to_dicts()}}


def solve_target(basis: Any, drivers: DriverSet, target: str, vary: str) -> dict[str, Any]:
    """``solve``: the value of ``vary`` that makes ``target`` (``LINE@PERIOD=VALUE``) hold."""
    condition = parse_condition(target, "--target")
    check_output_period(drivers, basis.history, condition.line, condition.period, "--target")
    return solve(drivers, basis.history, condition, vary) | {"meta": basis.describe()}


def explain(basis: Any, line: str, period: str | None, start: str | None, target: DriverSet | None,
            label_of_target: str) -> dict[str, Any]:
    """``explain``: the bridge of ``line`` at ``period`` from ``start`` (by component) or from base to
    ``target``'s drivers (by driver, Shapley), with its label; refused when it is not finite."""
    from cloudmodel.engine import target_year

    period = check_period(period or target_year(basis.drivers, basis.last))
    check_line(line, "explain")
    if start is not None:
        bridge = _period_bridge(basis, line, period, start)
        label = f"{line}: {start} → {period}"
    else:
        check_output_period(basis.drivers, basis.history, line, period)
        assert target is not None
        bridge = shapley_bridge(basis.drivers, basis.history, {k: target[k].value for k in target.overrides}, line, period)
        label = f"{line} at {period}: base → {label_of_target}"
    numbers = [bridge["base"], bridge["new"], *(r["contribution"] for r in bridge["rows"])]
    if not all(math.isfinite(x) for x in numbers):
        from cloudmodel.errors import NonFinite

        raise NonFinite.one("explain", f"{line} at {period}", None, "the bridge is not finite (NaN or infinity) for "
                            "these drivers", "check the --set / scenario values")
    meta = basis.describe() | {"line": line, "period": period, "method": bridge["method"], "base": bridge["base"],
                               "new": bridge["new"], "total_change": bridge["total_change"], "label": label}
    return {"bridge": bridge, "label": label, "document": {"meta": meta, "rows": bridge["rows"]}}


def _period_bridge(basis: Any, line: str, period: str, start: str) -> dict[str, Any]:
    from cloudmodel.model import forecast

    check_period(start, "--from")
    fc = forecast(basis=basis)
    for label, option in ((period, "--period"), (start, "--from")):
        if fc.rows.get(line, label) is None:
            check_output_period(fc.drivers, basis.history, line, label, option)
    try:
        return component_bridge(fc, line, period, start)
    except KeyError as exc:
        raise InputError.one("--from", line, start, f"cannot bridge these periods: {exc.args[0]}") from None
