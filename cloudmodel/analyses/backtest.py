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
import sys
from typing import Any

from cloudmodel.engine import make_timeline, run
from cloudmodel.errors import InputError
from cloudmodel.inputs.actuals import Actuals, as_known
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import LINE_METRICS, History
from cloudmodel.periods import QUARTERS_PER_YEAR, Period, quarter_label
from cloudmodel.quantities import LINES
from cloudmodel.quantities.ebita import CLOUD_EBITA
from cloudmodel.quantities.revenue import CLOUD_REVENUE
from cloudmodel.xp import Z90


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

    # the forecast sees only what was reported up to the origin (no look-ahead); so do the benchmarks
    from cloudmodel.basis import parse_origin
    from cloudmodel.model import forecast

    origin_q = parse_origin(origin, history, drivers)
    known = actuals.before(origin_q)
    fc = forecast(drivers=drivers, history=history, actuals=known, origin=origin_q)
    revenue_known = _observed(CLOUD_REVENUE, history, known, origin_q)
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
        if row.line == CLOUD_REVENUE:
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


#: The interval the rolling backtest scores: P5–P95, a 90% band.
BAND_ALPHA = 0.10
#: Fewest reported quarters before an origin for a Holt–Winters fit (two seasonal cycles), as skill.py.
ETS_MIN_QUARTERS = 8
BASELINES = ("seasonal_naive", "yoy_carry", "holt_winters", "combination")
REVENUE = CLOUD_REVENUE


def seasonal_naive_next(actual: dict[int, float], o: int) -> float | None:
    """Quarter o + 1 as reported four quarters earlier."""
    return actual.get(o + 1 - QUARTERS_PER_YEAR)


def yoy_carry_next(actual: dict[int, float], o: int) -> float | None:
    """Quarter o + 1 = the same quarter a year earlier × the latest reported y/y growth (o over o − 4)."""
    a, b, c = (actual.get(q) for q in (o + 1 - QUARTERS_PER_YEAR, o, o - QUARTERS_PER_YEAR))
    return None if None in (a, b, c) else a * b / c


def holt_winters_next(actual: dict[int, float], o: int) -> tuple[float, float] | None:
    """Holt–Winters (additive trend, multiplicative seasonality, period 4; statsmodels, fitted by its
    ``least_squares`` method, whose answer is the same in every statsmodels release the project declares:
    the default optimiser changed between 0.14 and 0.15 and moved the baseline's MAPE by about a point) on
    the quarters reported up to o: the forecast of o + 1 and the spread of its in-sample one-step log
    errors (its band). None with fewer than :data:`ETS_MIN_QUARTERS` quarters."""
    quarters = [q for q in sorted(actual) if q <= o]
    if len(quarters) < ETS_MIN_QUARTERS:
        return None
    series = [actual[q] for q in quarters]
    key = _holt_winters_key(series)
    from cloudmodel.inputs import cache

    kept = cache.load(key, "", kind="holtwinters")
    if kept is not None and isinstance(kept.get("forecast"), float) and isinstance(kept.get("sd"), float):
        return kept["forecast"], kept["sd"]
    import warnings

    import numpy as np
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.array(series, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(y, trend="add", seasonal="mul", seasonal_periods=QUARTERS_PER_YEAR,
                                   initialization_method="estimated").fit(method="least_squares")
    fitted = np.asarray(fit.fittedvalues, dtype=float)
    errors = np.log(y[QUARTERS_PER_YEAR:] / fitted[QUARTERS_PER_YEAR:])
    sd = float(np.sqrt(np.mean(errors**2))) if len(errors) else 0.0
    forecast = float(fit.forecast(1)[0])
    cache.store(key, {"forecast": forecast, "sd": sd}, kind="holtwinters")
    return forecast, sd


#: How long the backtest waits for the forked Holt–Winters fits before it fits inline [s]: our
#: bound, some fifty times what they take (about a second and a half with statsmodels' import).
CHILD_TIMEOUT_S = 60.0


class HoltWintersFits:
    """:func:`holt_winters_next` at every origin, fitted in a forked process while the caller runs the
    model's updates (statsmodels' import and the fits take about half the backtest's time, on a second
    core); inline where there is no fork, when every fit is cached, or if the process fails. The same
    fits either way: the child runs the same function on the same series."""

    def __init__(self, actual: dict[int, float], origins: Any):
        self.actual, self.origins, self.results = actual, list(origins), None
        self._process = self._pipe = None
        # fork only where it is safe after numpy's and polars' threads start: Linux (macOS may deadlock)
        if not sys.platform.startswith("linux") or all(self._cached(o) for o in self.origins):
            return
        import multiprocessing

        try:
            receive, send = multiprocessing.Pipe(duplex=False)
            self._process = multiprocessing.get_context("fork").Process(target=self._child, args=(send,), daemon=True)
            self._process.start()
            send.close()
            self._pipe = receive
        except Exception:  # noqa: BLE001 - no process (a daemonic caller, no resources): fit inline
            self._process = self._pipe = None

    def _cached(self, o: int) -> bool:
        quarters = [q for q in sorted(self.actual) if q <= o]
        if len(quarters) < ETS_MIN_QUARTERS:
            return True
        from cloudmodel.inputs import cache

        return cache.load(_holt_winters_key([self.actual[q] for q in quarters]), "", kind="holtwinters") is not None

    def _child(self, send: Any) -> None:
        results = None
        try:
            results = {o: holt_winters_next(self.actual, o) for o in self.origins}
        except BaseException:  # noqa: BLE001 - Ctrl-C or a failed fit: the parent fits inline instead
            results = None
        try:
            send.send(results)
            send.close()
        except BaseException:  # noqa: BLE001, S110 - the parent is gone or interrupted: nothing to tell it
            pass

    def get(self, o: int) -> tuple[float, float] | None:
        if self.results is None and self._pipe is not None:
            try:
                self.results = self._pipe.recv() if self._pipe.poll(CHILD_TIMEOUT_S) else None
            except (EOFError, OSError):
                self.results = None
            finally:
                self.close()
        if self.results is not None and o in self.results:
            return self.results[o]
        return holt_winters_next(self.actual, o)

    def close(self) -> None:
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout=5)
            self._process = None
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None


def _holt_winters_key(series: list[float]) -> str:
    """The cache key of a Holt–Winters fit: the series, the statsmodels release and this module's code
    (the fit is deterministic given them; statsmodels' import alone costs about a second)."""
    import hashlib
    import json
    from importlib.metadata import version

    from cloudmodel.inputs import cache

    what = {"series": series, "statsmodels": version("statsmodels"), "code": cache.source_version(("analyses",))}
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def load_consensus(path: str | None = None) -> dict[int, dict[str, Any]]:
    """The sell-side consensus for the next quarter's cloud revenue that the press quoted
    (``fixtures/consensus_press.csv``, or ``--consensus FILE`` with the same columns ``period, metric,
    value, kind, source_name, source_url``): the first poll quoted for each quarter (previews are kept
    apart, as ``kind``)."""
    import csv
    from pathlib import Path

    from cloudmodel.errors import InputProblem
    from cloudmodel.inputs.drivers import read_text
    from cloudmodel.inputs.files import register_input
    from cloudmodel.inputs.resources import fixtures_dir

    file = Path(path) if path else fixtures_dir() / "consensus_press.csv"
    if path:
        register_input(file)
    out: dict[int, dict[str, Any]] = {}
    problems = []
    reader = csv.DictReader(read_text(file, 1 << 20, "consensus file").splitlines())
    missing = {"period", "metric", "value", "kind"} - set(reader.fieldnames or [])
    if missing:
        raise InputError.one(str(file), "header", ",".join(reader.fieldnames or []), f"missing column(s) {', '.join(sorted(missing))}",
                             "the header is period,metric,value,kind,source_name,source_url")
    for n, row in enumerate(reader, start=2):
        if row.get("metric") != "cloud_revenue_rmb_mn":
            continue
        try:
            period = Period.parse(row["period"] or "")
            value = float(row["value"])
            if not (period.is_quarter and period.kind == "FY") or not (math.isfinite(value) and value > 0):
                raise ValueError
        except ValueError:
            problems.append(InputProblem(str(file), f"row {n}", f"{row.get('period')} {row.get('value')}",
                                         "a consensus row is a fiscal quarter and a positive revenue in RMB mn"))
            continue
        q = period.fiscal_quarters()[0]
        kind = (row.get("kind") or "").strip() or "poll"
        if kind == "poll" and q not in out:  # the first poll quoted; a preview's estimate is not a poll
            out[q] = {"value": value, "kind": kind, "source": row.get("source_name", ""), "url": row.get("source_url", "")}
    if problems:
        raise InputError(problems)
    return out


def rolling_backtest(drivers: DriverSet, history: History, actuals: Actuals | None = None,
                     consensus: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One step ahead from every origin of the history (FY2024Q1 — the first with a year of history
    before its model — to the last but one reported quarter, the file's quarters included): the model
    exactly as ``forecast --origin O`` makes it, against seasonal naive, the latest y/y growth carried
    forward, Holt–Winters fitted at each origin, their equal-weight combination and the press-reported
    consensus; cloud EBITA against the latest margin × the model's revenue. Scores on all origins and on
    those from the report's origin on (made after the report: its drivers carry no hindsight)."""
    from cloudmodel.basis import prepare
    from cloudmodel.engine import report_origin
    from cloudmodel.model import forecast

    known = as_known(history, actuals)
    actual = dict(known.quarterly["cloud_revenue_rmb_mn"])
    ebita = dict(known.quarterly["cloud_adj_ebita_rmb_mn"])
    last = known.last_quarter
    first = known.first_quarter + QUARTERS_PER_YEAR
    consensus = load_consensus() if consensus is None else consensus
    rows, ebita_rows = [], []
    holt_winters = HoltWintersFits(actual, range(first, last))  # fitted alongside the model's updates
    made = {}
    try:
        for o in range(first, last):
            basis = prepare(drivers, history=history, actuals=actuals.before(o) if actuals is not None else None, origin=o)
            fc = forecast(basis=basis, horizon=_next_horizon(basis))
            label = quarter_label(o + 1)
            spreads = basis.living.spreads  # the revenue state's spread is of the total's log (its gap is on cloud revenue)
            state = spreads["revenue"] * band_quantile(spreads["revenue_dof"]) / Z90
            made[o] = (fc, math.hypot(state, _driver_spread(basis, label)))
    except BaseException:
        holt_winters.close()
        raise
    for o, (fc, sd) in made.items():
        target = o + 1
        label = quarter_label(target)
        model_value = fc.value(CLOUD_REVENUE, label)
        methods = {"model": (model_value, sd), "seasonal_naive": (seasonal_naive_next(actual, o), None),
                   "yoy_carry": (yoy_carry_next(actual, o), None), "holt_winters": holt_winters.get(o)}
        available = [pair[0] for pair in methods.values() if pair is not None and pair[0] is not None][1:]
        methods["combination"] = (sum(available) / len(available), None) if available else None
        if target in consensus:
            methods["consensus"] = (consensus[target]["value"], None)
        for name, pair in methods.items():
            if pair is None or pair[0] is None:
                continue
            rows.append(_score_row(name, o, target, pair[0], pair[1], actual[target]))
        if o in ebita and target in ebita:
            margin_model = fc.value(CLOUD_EBITA, label)
            ebita_rows.append({"origin": quarter_label(o), "period": label, "model": margin_model,
                               "latest_margin_x_revenue": ebita[o] / actual[o] * model_value, "actual": ebita[target]})
    after = report_origin(drivers)
    views = {"all origins": rows, "origins from the report's on": [r for r in rows if r["origin_q"] >= after]}
    summary = {view: _summaries(items) for view, items in views.items()}
    meta = _rolling_meta(rows, first, last, after)
    return {"meta": meta, "rows": [{k: v for k, v in r.items() if k != "origin_q"} for r in rows], "summary": summary,
            "ebita": {"rows": ebita_rows, "summary": _ebita_summary(ebita_rows)}}


#: What each method of the rolling backtest is, as its meta says.
METHODS = {"model": "forecast --origin O: the report's drivers updated on every quarter reported by O",
           "seasonal_naive": "the same quarter a year earlier",
           "yoy_carry": "the same quarter a year earlier × the latest reported y/y growth",
           "holt_winters": "Holt–Winters (additive trend, multiplicative seasonality) fitted at each origin "
                           f"with {ETS_MIN_QUARTERS} or more quarters",
           "combination": "the equal-weight mean of the three above (those available)",
           "consensus": "the sell-side consensus the press quoted before the print (fixtures/consensus_press.csv)"}


def _rolling_meta(rows: list[dict[str, Any]], first: int, last: int, after: int) -> dict[str, Any]:
    return {"line": REVENUE, "origins": len({r["origin"] for r in rows}), "first_origin": quarter_label(first),
            "last_origin": quarter_label(last - 1), "report_origin": quarter_label(after),
            "band": f"P5–P95: the model's forecast × exp(±{Z90:.3f} σ), σ combining the revenue state's one-step spread of "
                    "cloud revenue's log (widened to the Student t quantile of its degrees of freedom) and the update's "
                    f"driver uncertainty (the Laplace covariance); Holt–Winters: ±{Z90:.3f} × the spread of its in-sample "
                    "one-step log errors",
            "methods": METHODS,
            "hindsight": f"at origins before the report's ({quarter_label(after)}) the drivers come from a report that knew "
                         f"the quarters up to {quarter_label(after)}: those scores test the structure with hindsight, not a "
                         "forecast anyone could make"}


def band_quantile(dof: float) -> float:
    """The 95% quantile of a Student t with ``dof`` degrees of freedom: a P5–P95 band on a spread estimated
    from few quarters is wider than the normal's ±1.645."""
    from scipy.special import stdtrit  # the t quantile, without scipy.stats' half-second import

    return float(stdtrit(max(dof, 1.0), 1 - BAND_ALPHA / 2))


def _next_horizon(basis: Any) -> str | None:
    return None


def _driver_spread(basis: Any, label: str) -> float:
    """The log spread of a quarter's cloud revenue from the update's driver uncertainty (the Laplace
    covariance through the fit's linearisation): 0 where nothing was fitted."""
    posterior = basis.living.posterior
    if posterior is None or not posterior.params:
        return 0.0
    import numpy as np

    from cloudmodel.batch import line_values
    from cloudmodel.posterior import STEP, _values

    timeline = make_timeline(basis.drivers, basis.history, Period.parse(label).fiscal_quarters()[0])
    k = len(posterior.params)
    z = np.repeat(posterior.z[:, None], k + 1, axis=1)
    z[np.arange(k), np.arange(1, k + 1)] += STEP
    values = _values(basis.drivers, posterior.params, z)
    values |= {d: basis.drivers[d].value for d in basis.drivers if basis.drivers[d].kind == "estimated"}
    y = np.log(line_values(run(values, basis.history, timeline), REVENUE, label, k + 1))
    g = (y[1:] - y[0]) / STEP
    return float(math.sqrt(max(0.0, g @ posterior.covariance @ g)))


def _score_row(method: str, o: int, target: int, value: float, sd: float | None, actual: float) -> dict[str, Any]:
    row = {"origin": quarter_label(o), "origin_q": o, "period": quarter_label(target), "method": method, "forecast": value,
           "actual": actual, "error": value - actual, "pct_error": (value - actual) / actual}
    if sd is not None:
        p5, p95 = value * math.exp(-Z90 * sd), value * math.exp(Z90 * sd)
        row |= {"p5": p5, "p95": p95, "covered": bool(p5 <= actual <= p95), "winkler": winkler(p5, p95, actual),
                "pinball": (pinball(p5, actual, BAND_ALPHA / 2) + pinball(p95, actual, 1 - BAND_ALPHA / 2)) / 2}
    return row


def winkler(low: float, high: float, actual: float, alpha: float = BAND_ALPHA) -> float:
    """The interval (Winkler) score of a central (1 − α) band [RMB mn]: its width, plus 2/α times how far
    the outcome falls outside it (lower is better)."""
    return (high - low) + 2 / alpha * (max(0.0, low - actual) + max(0.0, actual - high))


def pinball(quantile: float, actual: float, tau: float) -> float:
    """The pinball (quantile) loss of a forecast quantile at level ``tau`` [RMB mn]."""
    return max(tau * (actual - quantile), (tau - 1) * (actual - quantile))


def _summaries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per method: MAPE, MASE against seasonal naive on the same targets, bias; for banded methods the
    coverage, Winkler score and pinball loss; and the model's MAPE on the method's own targets."""
    by_method: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r)
    naive = {r["period"]: r for r in by_method.get("seasonal_naive", [])}
    model = {r["period"]: r for r in by_method.get("model", [])}
    out = []
    for method, items in by_method.items():
        entry = {"method": method, "n": len(items), "mape": _mean(abs(r["pct_error"]) for r in items),
                 "bias_rmb_mn": _mean(r["error"] for r in items), "mae_rmb_mn": _mean(abs(r["error"]) for r in items)}
        shared = [r for r in items if r["period"] in naive]
        naive_mae = _mean(abs(naive[r["period"]]["error"]) for r in shared)
        entry["mase"] = _mean(abs(r["error"]) for r in shared) / naive_mae if shared and naive_mae else None
        entry["model_mape_same_targets"] = _mean(abs(model[r["period"]]["pct_error"]) for r in items if r["period"] in model)
        if items and "covered" in items[0]:
            entry |= {"coverage_p5_p95": _mean(float(r["covered"]) for r in items),
                      "winkler_rmb_mn": _mean(r["winkler"] for r in items), "pinball_rmb_mn": _mean(r["pinball"] for r in items)}
        out.append(entry)
    return out


def _ebita_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"n": len(rows), "model_mape": _mean(abs(r["model"] / r["actual"] - 1) for r in rows),
            "latest_margin_x_revenue_mape": _mean(abs(r["latest_margin_x_revenue"] / r["actual"] - 1) for r in rows)}


def _mean(values: Any) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


__all__ = ["backtest", "rolling_backtest", "summarise", "seasonal_naive", "load_consensus", "winkler", "pinball"]


def backtest_run(drivers_dir: str | None = None, actuals: str | None = None, origin: str | None = None,
                 consensus: str | None = None, scenario: str = "base") -> dict[str, Any]:
    """``backtest``: with an actuals file, the forecast made at ``origin`` held against it; always, the
    rolling-origin backtest over the shipped history (and the file's quarters known by the origin)."""
    from cloudmodel.basis import check_known, parse_origin
    from cloudmodel.inputs.actuals import load_actuals
    from cloudmodel.inputs.drivers import load_drivers
    from cloudmodel.inputs.history import load_history
    from cloudmodel.model import scenario_drivers

    history = load_history()
    drivers = scenario_drivers(load_drivers(drivers_dir), scenario)
    at = parse_origin(origin, history, drivers)
    check_known(at, history, actuals)
    loaded = load_actuals(actuals, history.up_to(at)) if actuals else None
    result = backtest(drivers, history, loaded, at) if loaded is not None else None
    rolling = rolling_backtest(drivers, history, loaded.before(at) if loaded is not None else None, load_consensus(consensus))
    from cloudmodel.engine import report_origin

    meta = {"origin": quarter_label(at), "last_reported": quarter_label(history.last_quarter), "history": history.file,
            "actuals": actuals, "report_origin": quarter_label(report_origin(drivers)),
            "view": "one step ahead from every origin of the history; with an actuals file, the forecast made at the "
                    "origin held against it"} | (result["meta"] if result else {})
    document = {"meta": meta, "rows": result["rows"] if result else [], "summary": result["summary"] if result else [],
                "rolling": rolling}
    tables = {"rows": document["rows"], "summary": document["summary"], "rolling": rolling["rows"],
              "rolling_summary": [r | {"view": view} for view, items in rolling["summary"].items() for r in items]}
    return {"result": result, "rolling": rolling, "meta": meta, "document": document, "tables": tables}
