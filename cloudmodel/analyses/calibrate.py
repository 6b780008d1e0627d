"""``cloudmodel calibrate``: fit what the reported history can tell, then solve the report's targets.

1. **Statistical baseline** of cloud revenue (:mod:`cloudmodel.analyses.baseline`): a log-linear trend
   (OLS, closed form) on a fixed seasonal pattern, FY2023Q1–FY2025Q3 — the benchmark ``backtest``
   holds the driver model against. Its parameters are written as reference values
   (``history.*``, with ± one standard error as their range), which the model does not read.
2. **Operating leverage** (statsmodels OLS): the shared operating costs that reported EBITA
   implies each quarter (gross profit by the layers' margins − reported EBITA) regressed on
   revenue. The slope is ``ebita.shared_variable_opex_ratio``, with ± one standard error as its
   range. A second specification with a time trend is fitted and shown, not used: its trend
   captures the 2023–24 cost cuts, and carried forward it would drive fixed costs below zero
   within three years.
3. **The report's targets** (:mod:`cloudmodel.analyses.calibration`): given the fitted leverage, the
   organic growth rates, the fixed-cost level and trend and the exchange rate are solved so that
   the base meets the report's own figures.

Deterministic: the same history and drivers give the same file. ``forecast`` only reads the
file; it never fits.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from cloudmodel.analyses.baseline import BaselineFit, describe, fit_baseline
from cloudmodel.analyses.calibration import solve_report_targets
from cloudmodel.engine import make_timeline, run
from cloudmodel.errors import InputError
from cloudmodel.inputs.drivers import (
    CALIBRATED_FILE,  # the file calibrate writes
    Driver,
    DriverSet,
)
from cloudmodel.inputs.history import History
from cloudmodel.periods import quarter_label
from cloudmodel.quantities.ebita import SHARED_OPEX
from cloudmodel.quantities.revenue import CLOUD_REVENUE

HISTORY_LINE = "cloud_revenue_rmb_mn"


def implied_shared_costs(drivers: DriverSet, history: History) -> tuple[list[int], list[float], list[float]]:
    """Per reported quarter: revenue and the shared costs reported EBITA implies."""
    timeline = make_timeline(drivers, history, history.last_quarter + 1)
    raw = run(drivers.values_by_id(), history, timeline)
    quarters = [q for q in timeline.quarters if q <= timeline.origin]
    revenue = [raw.quarterly[CLOUD_REVENUE][q] for q in quarters]
    costs = [raw.quarterly[SHARED_OPEX][q] for q in quarters]
    return quarters, revenue, costs


def fit_operating_leverage(drivers: DriverSet, history: History) -> dict[str, Any]:
    """OLS of implied shared costs on revenue (used) and on revenue and time (shown)."""
    import numpy as np
    import statsmodels.api as sm

    quarters, revenue, costs = implied_shared_costs(drivers, history)
    y = np.array(costs)
    out = {}
    years = (np.array(quarters) - quarters[0]) / 4
    for name, columns, labels in (("revenue", [revenue], ["fixed", "variable_ratio"]),
                                  ("revenue_and_trend", [revenue, years], ["fixed", "variable_ratio", "trend_per_year"])):
        model = sm.OLS(y, sm.add_constant(np.column_stack(columns))).fit()
        out[name] = {"params": dict(zip(labels, map(float, model.params), strict=True)),
                     "bse": dict(zip(labels, map(float, model.bse), strict=True)),
                     "stats": {"n": int(model.nobs), "r2": float(model.rsquared), "adj_r2": float(model.rsquared_adj),
                               "aic": float(model.aic), "rmse": float(math.sqrt(model.mse_resid))},
                     "residuals": {quarter_label(q): float(r) for q, r in zip(quarters, model.resid, strict=True)}}
    return out


def at_report_origin(drivers: DriverSet, history: History) -> tuple[DriverSet, History]:
    """The drivers and the history as the report stood on them: the history cut at the report's origin,
    the residual states' gains estimated there (they apply nothing in the report's own view)."""
    from cloudmodel.basis import prepare
    from cloudmodel.engine import report_origin

    basis = prepare(drivers, history=history, origin=report_origin(drivers))
    return basis.drivers, basis.history


def calibrate(drivers: DriverSet, history: History, origin: int | None = None) -> dict[str, Any]:
    """Every fit and every calibrated value; nothing is written. The calibrated values and the reference
    fits written beside them are always made on what the report knew (its origin): ``drivers/calibrated.toml``
    is the report's calibration. With ``origin``, the fits shown (the baseline, the operating leverage)
    are made on the history known then instead."""
    shipped_drivers, shipped_history = drivers, history
    drivers, history = at_report_origin(drivers, history)
    baseline: BaselineFit = fit_baseline(history.quarterly[HISTORY_LINE])
    leverage = fit_operating_leverage(drivers, history)
    used = leverage["revenue"]
    ratio, se = used["params"]["variable_ratio"], used["bse"]["variable_ratio"]
    fitted = {"ebita.shared_variable_opex_ratio": {"value": ratio, "low": ratio - se, "high": ratio + se}}
    with_ratio = drivers.with_overrides({"ebita.shared_variable_opex_ratio": ratio}, where="calibrate")
    solved = solve_report_targets(with_ratio, history)
    values = {k: {"value": v} for k, v in solved.items()} | fitted
    reference = {"history.baseline_" + k: {"value": v, "se": baseline.bse.get(k, math.nan)}
                 for k, v in baseline.params.items()}
    reference |= {f"history.seasonal_index_q{k}": {"value": v, "se": baseline.seasonal_se[k]}
                  for k, v in baseline.seasonal.items()}
    shown_baseline, shown_leverage = baseline, leverage
    if origin is not None:
        from cloudmodel.basis import prepare

        at = prepare(shipped_drivers, history=shipped_history, origin=origin)
        shown_baseline = fit_baseline(at.history.quarterly[HISTORY_LINE])
        shown_leverage = fit_operating_leverage(at.drivers, at.history)
    return {"baseline": describe(shown_baseline), "operating_leverage": shown_leverage, "values": values,
            "reference": reference}


# --------------------------------------------------------------------------- the calibrated file

def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return repr(float(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(type(value))


def _record(d: Driver, value: float, low: float | None, high: float | None) -> str:
    lines = ["[[driver]]", f"id = {_toml_value(d.id)}", f"label = {_toml_value(d.label)}", f"value = {_toml_value(value)}",
             f"unit = {_toml_value(d.unit)}", f"period = {_toml_value(d.period)}", f"kind = {_toml_value(d.kind)}"]
    for name in ("target", "reason", "source", "reading"):
        if getattr(d, name):
            lines.append(f"{name} = {_toml_value(getattr(d, name))}")
    if d.bounds != (0.0, math.inf) and all(math.isfinite(b) for b in d.bounds):
        lines.append(f"bounds = {_toml_value(list(d.bounds))}")
    if low is not None and high is not None:
        lines += [f"low = {_toml_value(low)}", f"high = {_toml_value(high)}"]
    if d.schedule:
        lines.append(f"schedule = {_toml_value(d.schedule)}")
    return "\n".join(lines) + "\n"


REFERENCE = {  # what the history pins down that the model does not read: id suffix → (label, unit, bounds)
    "baseline_level": ("Baseline: deseasonalised cloud revenue of the last reported quarter, on the trend line",
                       "RMB_mn", None),
    "baseline_growth_per_quarter": ("Baseline: trend growth of deseasonalised cloud revenue per quarter", "ratio",
                                    (-1.0, 1.0)),
    "seasonal_index_q1": ("Seasonal index of fiscal Q1 (Apr–Jun), ratio to the fiscal-year mean", "ratio", (0.0, 4.0)),
    "seasonal_index_q2": ("Seasonal index of fiscal Q2 (Jul–Sep)", "ratio", (0.0, 4.0)),
    "seasonal_index_q3": ("Seasonal index of fiscal Q3 (Oct–Dec)", "ratio", (0.0, 4.0)),
    "seasonal_index_q4": ("Seasonal index of fiscal Q4 (Jan–Mar)", "ratio", (0.0, 4.0)),
}
REFERENCE_TARGET = ("fit to reported cloud revenue, FY2023Q1 to the last reported quarter "
                    "(statsmodels OLS: log-linear trend on a fixed seasonal pattern)")
REFERENCE_REASON = ("Reference only: what the history says on its own; the model does not read it. "
                    "low/high are the estimate ± one standard error. backtest refits the baseline at each origin.")


def _reference_record(driver_id: str, fitted: dict[str, float], period: str) -> str:
    label, unit, bounds = REFERENCE[driver_id.removeprefix("history.")]
    value, se = fitted["value"], fitted["se"]
    lines = ["[[driver]]", f"id = {_toml_value(driver_id)}", f"label = {_toml_value(label)}", f"value = {_toml_value(value)}",
             f"unit = {_toml_value(unit)}", f"period = {_toml_value(period)}", 'kind = "calibrated"',
             f"target = {_toml_value(REFERENCE_TARGET)}", f"reason = {_toml_value(REFERENCE_REASON)}"]
    if bounds:
        lines.append(f"bounds = {_toml_value(list(bounds))}")
    if math.isfinite(se):
        lines += [f"low = {_toml_value(value - se)}", f"high = {_toml_value(value + se)}"]
    return "\n".join(lines) + "\n"


def render_calibrated(drivers: DriverSet, result: dict[str, Any], as_of: str) -> str:
    """The calibrated file: every calibrated driver of the set with its new value, then the
    history's reference values."""
    header = ('theme = "Calibrated: solved against the report\'s own targets, or fitted to the reported history"\n\n'
              "# Generated by `cloudmodel calibrate --write`: values (and fitted ranges) are rewritten, the rest\n"
              "# of each record is kept. Diff this file to see what a new calibration changed.\n")
    blocks = []
    for d in drivers.values():
        if d.kind != "calibrated" or Path(d.file).name != CALIBRATED_FILE:
            continue
        new = result["values"].get(d.id, {})
        low = new.get("low", d.low)
        high = new.get("high", d.high)
        if d.id.startswith("history."):
            continue
        blocks.append(_record(d, new.get("value", d.value), low, high))
    for driver_id, fitted in result["reference"].items():
        if driver_id.removeprefix("history.") in REFERENCE and math.isfinite(fitted["value"]):
            blocks.append(_reference_record(driver_id, fitted, as_of))
    return header + "\n" + "\n".join(blocks)


def calibrate_at(drivers_dir: str | None, origin: str | None) -> dict[str, Any]:
    """``calibrate``: the fits on the history known at ``origin`` (default: the last reported quarter) and
    the report's calibration (at its origin, whatever ``origin`` says), with the calibrated file's text
    and the document's meta."""
    from cloudmodel.basis import parse_origin
    from cloudmodel.engine import report_origin
    from cloudmodel.inputs.drivers import load_drivers
    from cloudmodel.inputs.history import load_history
    from cloudmodel.periods import quarter_label

    drivers, history = load_drivers(drivers_dir), load_history()
    report = report_origin(drivers)
    at = parse_origin(origin, history, drivers)
    if at > history.last_quarter:
        raise InputError.one("--origin", "", quarter_label(at), f"is after {quarter_label(history.last_quarter)}, the "
                             "last quarter of the shipped history: calibrate fits only what was reported")
    result = calibrate(drivers, history, None if at == report else at)
    meta = {"origin": quarter_label(at), "last_reported": quarter_label(min(at, history.last_quarter)),
            "report_origin": quarter_label(report), "history": history.file, "calibrated_at": quarter_label(report),
            "view": "the fits on the history known at the origin; the calibrated values at the report's origin",
            "actuals": None}
    previous = {k: drivers[k].value for k in result["values"] if k in drivers}
    return {"drivers": drivers, "result": result, "meta": meta, "previous": previous,
            "text": render_calibrated(drivers, result, quarter_label(report)), "tables": calibration_tables(result, previous)}


def calibration_tables(result: dict[str, Any], old: dict[str, float]) -> dict[str, list[dict[str, Any]]]:
    """The calibration as tables (records): the calibrated values, every fit's parameters, the residuals by quarter."""
    values = [{"driver": k, "file_value": old.get(k)} | {key: v.get(key) for key in ("value", "low", "high")}
              for k, v in result["values"].items()]
    base = result["baseline"]
    params = [{"fit": "baseline", "parameter": k, "estimate": v, "std_error": base["bse"].get(k)} for k, v in base["params"].items()]
    for name, fit in result["operating_leverage"].items():
        params += [{"fit": f"operating_leverage.{name}", "parameter": k, "estimate": v, "std_error": fit["bse"].get(k)}
                   for k, v in fit["params"].items()]
    ols = result["operating_leverage"]["revenue"]["residuals"]
    residuals = [{"quarter": q, "baseline": base["residuals"].get(q), "operating_leverage": v} for q, v in ols.items()]
    return {"calibrated": values, "fits": params, "residuals": residuals}
