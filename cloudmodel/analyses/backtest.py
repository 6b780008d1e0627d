"""Backtest: the forecast made at an origin, held against what was reported afterwards.

The forecast at origin T uses only what was reported up to T — the history is cut at T and an
actuals file contributes its rows up to T — and is compared with every row of the file after T.
Each row: ``line, period, method, forecast, actual, error`` (forecast − actual) and
``pct_error`` (error ÷ actual). Three methods are scored on the same rows:

* ``model`` — the driver model (``forecast`` at that origin);
* ``baseline`` — the statistical baseline (:mod:`cloudmodel.analyses.baseline`) refitted on cloud
  revenue up to T (cloud revenue only);
* ``seasonal_naive`` — each quarter as reported four quarters earlier (the latest reported
  same fiscal quarter at or before T); years are the sums of their naive quarters.

Per line and method: ``n``, ``MAPE`` (mean |pct_error|), ``bias`` (mean error), ``MAE`` and
``MASE`` = MAE ÷ the seasonal-naive MAE on the same rows (below 1: better than naive).

Note on look-ahead: the drivers themselves come from a March 2025 report. At an origin before
FY2025Q3 the model still uses the report's figures (CY2024 MaaS amounts, December 2024 AI
customers); what the backtest guarantees is that no *reported actual* after the origin is used.
"""

from __future__ import annotations

import math
from typing import Any

from cloudmodel.inputs.actuals import Actuals
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import LINE_METRICS, History
from cloudmodel.inputs.periods import QUARTERS_PER_YEAR, Period, fiscal_parts, quarter_label
from cloudmodel.lines import LINES


def _observed(line: str, history: History, actuals: Actuals, origin: int) -> dict[int, float]:
    """Reported quarterly values of a line up to the origin (history, then the file)."""
    values = dict(history.quarterly.get(LINE_METRICS.get(line, ""), {}))
    values.update(actuals.quarterly(line))
    return {q: v for q, v in values.items() if q <= origin}


def seasonal_naive(observed: dict[int, float], quarters: list[int]) -> float | None:
    """The sum over ``quarters`` of each quarter's latest reported same fiscal quarter."""
    if not observed:
        return None
    total = 0.0
    last = max(observed)
    for q in quarters:
        source = q
        while source > last:
            source -= QUARTERS_PER_YEAR
        if source not in observed:
            return None
        total += observed[source]
    return total


def backtest(drivers: DriverSet, history: History, actuals: Actuals, origin: str | None = None) -> dict[str, Any]:
    """Rows, per-line summary and meta of a backtest at ``origin`` (a fiscal quarter label;
    default: the last reported quarter of the history). Periods that end after the origin are
    compared; a year that straddles the origin is its known quarters plus the forecast ones."""
    from cloudmodel.analyses.baseline import describe, fit_baseline
    from cloudmodel.model import forecast

    # the engine keeps only what was reported up to the origin (no look-ahead); so do the benchmarks
    fc = forecast(drivers=drivers, history=history, actuals=actuals, origin=origin or quarter_label(history.last_quarter))
    origin_q = Period.parse(fc.meta["origin"]).fiscal_quarters()[0]
    known = actuals.before(origin_q)
    revenue_known = _observed("cloud.revenue", history, known, origin_q)
    baseline = fit_baseline(revenue_known)
    rows = []
    for row in actuals.rows:
        period = Period.parse(row.period)
        quarters = period.fiscal_quarters()
        if quarters[-1] <= origin_q or row.value is None:  # known at the origin, or a bound only: nothing to score
            continue
        model_value = fc.rows.get(row.line, row.period)
        if model_value is None:
            continue
        definition = LINES[row.line]
        candidates = {"model": model_value}
        flow = definition.rollup.value == "flow"
        if flow or period.is_quarter:
            naive = seasonal_naive(_observed(row.line, history, known, origin_q), quarters if flow else quarters[-1:])
            if naive is not None:
                candidates["seasonal_naive"] = naive
        if row.line == "cloud.revenue":
            path = baseline.forecast(list(range(origin_q + 1, quarters[-1] + 1)))
            candidates["baseline"] = sum(path[q] if q in path else revenue_known[q] for q in quarters)
        for method, value in candidates.items():
            error = value - row.value
            rows.append({"line": row.line, "period": row.period, "method": method, "forecast": value, "actual": row.value,
                         "error": error, "pct_error": error / row.value if row.value else None, "unit": definition.unit})
    summary = summarise(rows)
    meta = {"origin": quarter_label(origin_q), "actuals": actuals.file, "rows_compared": len({(r["line"], r["period"]) for r in rows}),
            "actual_rows_used_before_origin": len(known.rows), "scenario": fc.meta["scenario"],
            "drivers_hash": fc.meta["drivers_hash"], "baseline": describe(baseline),
            "metrics": "MAPE = mean |error ÷ actual|; bias = mean error; MASE = MAE ÷ seasonal-naive MAE on the same rows"}
    return {"meta": meta, "rows": rows, "summary": summary, "forecast": fc}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MAPE, bias, MAE and MASE per line and method, on the rows every method has."""
    out = []
    by_line: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in rows:
        by_line.setdefault(row["line"], {}).setdefault(row["method"], []).append(row)
    for line, methods in by_line.items():
        naive = {r["period"]: r for r in methods.get("seasonal_naive", [])}
        for method, items in methods.items():
            errors = [r["error"] for r in items]
            pct = [abs(r["pct_error"]) for r in items if r["pct_error"] is not None]
            shared = [r for r in items if r["period"] in naive]
            naive_mae = sum(abs(naive[r["period"]]["error"]) for r in shared) / len(shared) if shared else math.nan
            mae_shared = sum(abs(r["error"]) for r in shared) / len(shared) if shared else math.nan
            out.append({"line": line, "method": method, "n": len(items),
                        "mape": sum(pct) / len(pct) if pct else None,
                        "bias": sum(errors) / len(errors), "mae": sum(abs(e) for e in errors) / len(errors),
                        "mase": mae_shared / naive_mae if shared and naive_mae > 0 else None})
    return out


def rolling_backtest(drivers: DriverSet, history: History, actuals: Actuals | None = None, draws: int = 4096,
                     seed: int = 0) -> dict[str, Any]:
    """The rolling-origin, one-step-ahead backtest of the updated model on cloud revenue (the
    shipped history, then the file's quarters), against seasonal naive and the latest y/y growth
    carried forward, with the coverage of its P5–P95 band (:func:`cloudmodel.analyses.update.rolling`)."""
    from cloudmodel.analyses.update import rolling
    from cloudmodel.model import ROLL_FORWARD_LINES

    extra = {line: actuals.quarterly(line) for line in ROLL_FORWARD_LINES} if actuals is not None else {}
    return rolling(drivers, history, extra, draws, seed)


__all__ = ["backtest", "rolling_backtest", "summarise", "seasonal_naive", "fiscal_parts"]
