"""A living model: each reported quarter updates the drivers, the forecast and its uncertainty.

Three parts (``docs/backtesting.md`` §5 explains them and their assumptions):

1. **The residual state.** The drivers explain the AI parts of cloud revenue; what they explain
   least is the non-AI base, which the model grows from the same quarter a year earlier at the
   organic rates. The state is the log gap between the reported non-AI revenue of a quarter and
   the drivers' forecast of it made a quarter earlier (``r_t``, reported revenue less the
   drivers' AI revenue, over the forecast less the same AI revenue). It is an AR(1) with
   persistence ``φ``: ``r_{t+1} = φ r_t + σ ε``. The forecast of quarter ``T + h`` multiplies the
   drivers' non-AI revenue by ``exp(R)``, where ``R`` accumulates the gaps with the model's own
   yearly lag: ``R(q) = R(q − 4) + φ^(q−T) r_T`` (a reported quarter's ``R`` reproduces it exactly).
   ``φ`` and ``σ`` are estimated in closed form from the rolling-origin gaps of the history —
   least squares through the origin, bounded to [0, 1], with the starting values of
   ``drivers/living.toml`` counted as one pseudo-pair — using only gaps known at the origin.
2. **Driver updates.** The engine runs once for a few thousand draws of the ranged drivers (the
   report's distributions, with a share of draws beyond the ranges so that data can contradict
   them); each draw is weighted by the likelihood of every actuals row (Gaussian on the log gap,
   or on the gap of a ratio; soft bounds for ``low``/``high`` rows), whose spread includes the
   residual's, so that a surprise outside the ranges does not collapse the weights (the
   effective sample size is reported). A driver's update is the weighted mean given the actuals
   less the weighted mean given actuals equal to the forecast: an unsurprising quarter moves
   nothing. ``outside_range`` flags a posterior outside the report's range.
3. **The bridge** from the forecast made at the origin to the updated one, per key line and
   period: each driver's update applied one after another (in one batched engine run) and the
   residual state, adding up exactly to the change.

numpy is imported here; ``forecast`` never imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cloudmodel.analyses.sampling import Z90  # standard normal quantile at 95%: P5–P95 is a 90% band
from cloudmodel.engine import Raw, make_timeline, observed_actuals, run
from cloudmodel.errors import InputError
from cloudmodel.graph import Evaluation
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import History
from cloudmodel.inputs.periods import QUARTERS_PER_YEAR, Period, fiscal_index, fiscal_parts, quarter_label
from cloudmodel.lines import LINES

DEFAULT_DRAWS = 4096
REVENUE, EBITA, AI_REVENUE = "cloud.revenue", "cloud.ebita", "cloud.ai.revenue"
PERSISTENCE = "living.persistence"  # the graph's φ (calibrated on the history; forecast --actuals uses it)
KEY_LINES = ("cloud.revenue", "cloud.ebita", "group.revenue", "group.adj_ebita", "valuation.target.usd_per_ads")
SETTINGS = ("living.persistence_prior", "living.surprise_sd_prior", "living.prior_weight", "living.surprise_dof", "living.line_sd",
            "living.ratio_sd", "living.prior_tail_weight", "living.prior_tail_width")


def settings(drivers: DriverSet) -> dict[str, float]:
    """The living model's own assumptions (``drivers/living.toml``) by short name."""
    missing = [k for k in SETTINGS if k not in drivers]
    if missing:
        raise InputError.one(drivers.directory, missing[0], None, "the living model needs this driver (drivers/living.toml)")
    return {k.partition(".")[2]: drivers[k].value for k in SETTINGS}


# --------------------------------------------------------------------------- the residual state

@dataclass(frozen=True)
class State:
    """The residual state's parameters at an origin, and the gaps they were estimated on."""

    persistence: float
    sigma: float
    pairs: int
    gaps: dict[int, float] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"persistence": self.persistence, "sigma": self.sigma, "pairs": self.pairs,
                "gaps": {quarter_label(q): g for q, g in sorted(self.gaps.items())},
                "method": "AR(1) on the non-AI log gap; least squares through the origin, bounded to [0, 1], "
                          "starting values counted as pseudo-pairs"}


def estimate(gaps: Mapping[int, float], prior: Mapping[str, float]) -> State:
    """φ and σ from consecutive gaps, in closed form: φ = (Σ x y + n₀ φ₀ σ₀²) ÷ (Σ x² + n₀ σ₀²),
    clipped to [0, 1]; σ² = (Σ (y − φ x)² + n₀ σ₀²) ÷ (pairs + n₀). With no pair, the priors."""
    phi0, sigma0, n0 = prior["persistence_prior"], prior["surprise_sd_prior"], prior["prior_weight"]
    pairs = [(gaps[q - 1], gaps[q]) for q in sorted(gaps) if q - 1 in gaps]
    sxy = sum(x * y for x, y in pairs) + n0 * phi0 * sigma0**2
    sxx = sum(x * x for x, _ in pairs) + n0 * sigma0**2
    phi = min(1.0, max(0.0, sxy / sxx)) if sxx > 0 else phi0
    ss = sum((y - phi * x) ** 2 for x, y in pairs) + n0 * sigma0**2
    total = len(pairs) + n0
    sigma = math.sqrt(ss / total) if total > 0 else sigma0
    return State(phi, sigma, len(pairs), dict(gaps))


def _evaluation(drivers: DriverSet, values: Mapping[str, Any], history: History, extra: Mapping[str, Mapping[int, float]],
                origin: int, last: int) -> Evaluation:
    """The graph at ``origin`` (only what was reported by then), evaluated lazily, without the graph's
    own residual state (living.persistence 0): the gaps here are the drivers' alone."""
    known = history.up_to(origin) if origin < history.last_quarter else history
    timeline = make_timeline(drivers, known, last, origin=origin)
    return Evaluation({**values, PERSISTENCE: 0.0}, known, timeline, observed_actuals(known, extra, origin))


def reported_revenue(history: History, extra: Mapping[str, Mapping[int, float]]) -> dict[int, float]:
    """Reported quarterly cloud revenue: the history, then an actuals file's quarters."""
    out = dict(history.quarterly["cloud_revenue_rmb_mn"])
    out.update(extra.get(REVENUE, {}))
    return out


def first_gap_quarter(history: History) -> int:
    """The first quarter with a gap: the model needs a year of reported quarters before its origin."""
    return history.first_quarter + QUARTERS_PER_YEAR


@dataclass
class Step:
    """The driver model at origin ``o − 1``: its forecasts of quarters ``o`` and ``o + 1``."""

    origin: int  # o: the quarter whose actual makes the gap
    total: dict[int, Any]
    ai: dict[int, Any]

    def gap(self, actual: float) -> Any:
        """The non-AI log gap of quarter ``o``."""
        o = self.origin
        return np.log((actual - self.ai[o]) / (self.total[o] - self.ai[o]))

    def forecast(self, gap: Any, persistence: float) -> Any:
        """The updated forecast of quarter ``o + 1``."""
        n = self.origin + 1
        return self.ai[n] + (self.total[n] - self.ai[n]) * np.exp(persistence * gap)


def step(drivers: DriverSet, values: Mapping[str, Any], history: History, extra: Mapping[str, Mapping[int, float]],
         o: int) -> Step:
    """One lazy evaluation of the graph at origin ``o − 1`` (cloud revenue and AI revenue of o, o + 1)."""
    evaluation = _evaluation(drivers, values, history, extra, o - 1, o + QUARTERS_PER_YEAR)
    quarters = (o, o + 1)
    return Step(o, {q: evaluation.value("cloud_revenue", q) for q in quarters},
                {q: evaluation.value("cloud_ai_revenue", q) for q in quarters})


def history_gaps(drivers: DriverSet, history: History, extra: Mapping[str, Mapping[int, float]], up_to: int) -> dict[int, float]:
    """The rolling gaps r_t of every quarter from the first with a year before it to ``up_to``,
    each from the base drivers' model at t − 1 (no look-ahead: the model sees up to t − 1)."""
    actual = reported_revenue(history, extra)
    values = drivers.values_by_id()
    return {t: float(step(drivers, values, history, extra, t).gap(actual[t]))
            for t in range(first_gap_quarter(history), up_to + 1) if t in actual}


# --------------------------------------------------------------------------- draws and weights

def draw_drivers(drivers: DriverSet, draws: int, seed: int, prior: Mapping[str, float]) -> dict[str, np.ndarray]:
    """``draws`` values of each ranged driver: the report's distribution (simulate's), with a share
    ``prior_tail_weight`` drawn uniformly over the range widened by ``prior_tail_width`` ranges
    on each side (within the driver's bounds)."""
    from cloudmodel.analyses.sampling import inverse_cdf, specs_for, uniforms  # noqa: I001

    specs = specs_for(drivers)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    u = uniforms(specs, draws, rng, None)
    tail = rng.random((len(specs), draws)) < prior["prior_tail_weight"]
    wide = rng.random((len(specs), draws))
    out = {}
    for j, spec in enumerate(specs):
        x = inverse_cdf(spec, u[j])
        lo_b, hi_b = drivers[spec.driver].bounds
        width = (spec.high - spec.low) * prior["prior_tail_width"]
        lo, hi = max(lo_b, spec.low - width), min(hi_b, spec.high + width)
        if spec.family not in ("discrete", "bernoulli"):
            x = np.where(tail[j], lo + wide[j] * (hi - lo), x)
        out[spec.driver] = np.clip(x, lo_b, hi_b)
    return out


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Quantiles of a weighted sample (linear between the midpoints of the cumulative weights)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws) - ws / 2
    cum /= ws.sum()
    return [float(np.interp(q, cum, xs)) for q in qs]


@dataclass(frozen=True)
class Row:
    """One piece of evidence: a line at a period, a value and/or bounds."""

    line: str
    period: str
    value: float | None
    low: float | None = None
    high: float | None = None


def log_likelihood(row: Row, model: Any, spread: float, prior: Mapping[str, float]) -> Any:
    """Log likelihood of a row given the model's values (per draw): Student t with
    ``surprise_dof`` degrees of freedom and scale ``spread`` on the log gap of a money or count
    line (on the gap of a ratio line) — the fat tails are the residual term: a surprise far beyond
    what the drivers' ranges can make is left to the residual instead of collapsing the weights
    onto the few most extreme draws; a bound is a soft indicator, a normal CDF with that spread."""
    from scipy.special import log_ndtr

    ratio = LINES[row.line].unit == "ratio"
    model = np.asarray(model, dtype=float)

    def gap(a, b):
        if ratio:
            return a - b
        return np.log(np.maximum(a, 1e-12)) - np.log(np.maximum(b, 1e-12))

    out = np.zeros_like(model)
    if row.value is not None:
        z = gap(model, row.value) / spread
        dof = prior["surprise_dof"]
        out = out - (dof + 1) / 2 * np.log1p(z**2 / dof)
    if row.low is not None:
        out = out + log_ndtr(gap(model, row.low) / spread)
    if row.high is not None:
        out = out + log_ndtr(gap(row.high, model) / spread)
    return out


def normalise(log_w: np.ndarray) -> np.ndarray:
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def effective_sample_size(w: np.ndarray) -> float:
    return float(1.0 / np.sum(w**2))


def reference_row(row: Row, forecast: float) -> Row:
    """The row as it would read had the actual equalled the forecast (a bound widened to hold it)."""
    return Row(row.line, row.period, None if row.value is None else forecast,
               None if row.low is None else min(row.low, forecast), None if row.high is None else max(row.high, forecast))


@dataclass
class Posterior:
    """Weights and the driver updates they imply."""

    draws: dict[str, np.ndarray]
    weights: np.ndarray
    reference: np.ndarray
    changes: dict[str, float]
    records: list[dict[str, Any]]
    ess: float


#: A driver moves only when its shift exceeds this many Monte Carlo standard errors: smaller
#: shifts are the noise of a finite sample of weighted draws, not information from the actuals.
SIGNIFICANCE = 2.0


def posterior(drivers: DriverSet, draws: dict[str, np.ndarray], log_w: np.ndarray, log_ref: np.ndarray,
              informed: set[str] | None = None) -> Posterior:
    """Driver updates: base + (weighted mean given the actuals − weighted mean given actuals equal
    to the forecast); the band the same shift of the weighted 5th and 95th percentiles. Only
    drivers behind the evidence (``informed``, from the lineage) move, and only by more than
    :data:`SIGNIFICANCE` Monte Carlo standard errors (sd ÷ √ESS of each weighting)."""
    w, ref = normalise(log_w), normalise(log_ref)
    ess, ess_ref = effective_sample_size(w), effective_sample_size(ref)
    changes, records = {}, []
    for driver_id, x in draws.items():
        d = drivers[driver_id]
        lo_b, hi_b = d.bounds
        shift = float(np.dot(w, x) - np.dot(ref, x))
        mean = float(np.dot(w, x))
        noise = math.sqrt(max(0.0, float(np.dot(w, (x - mean) ** 2))) * (1 / ess + 1 / ess_ref))
        if (informed is not None and driver_id not in informed) or abs(shift) <= SIGNIFICANCE * noise:
            shift = 0.0
        value = min(hi_b, max(lo_b, d.value + shift))
        p5, p95 = (min(hi_b, max(lo_b, d.value + q - float(np.dot(ref, x)))) for q in weighted_quantiles(x, w, (0.05, 0.95)))
        tolerance = 1e-9 * max(1.0, abs(d.value))
        outside = bool(value < d.low - tolerance or value > d.high + tolerance)
        if value != d.value:
            changes[driver_id] = value
        records.append({"driver": driver_id, "prior": d.value, "posterior": value, "p5": p5, "p95": p95,
                        "low": d.low, "high": d.high, "outside_range": outside, "unit": d.unit,
                        "change": value - d.value, "mc_se": noise})
    records.sort(key=lambda r: -abs(r["change"]) / (abs(r["high"] - r["low"]) or 1.0))
    return Posterior(draws, w, ref, changes, records, effective_sample_size(w))


# --------------------------------------------------------------------------- the revised path

def revise(raw: Raw, values: Mapping[str, Any], origin: int, revenue: Mapping[int, float], ebita: Mapping[int, float],
           persistence: float, noise: Mapping[int, Any] | None = None) -> tuple[Raw, dict[int, Any]]:
    """The drivers' path (``raw``, made at ``origin``) updated by the residual state on the reported
    quarters after the origin (``revenue``, ``ebita``): cloud revenue and EBITA by quarter, and the
    fiscal-year lines that move with them (group revenue, adjusted EBITA and net income, the
    valuation). Floats or arrays (one value per draw). ``noise`` adds simulated innovations
    (σ ε per quarter) to the gap. Returns the revised :class:`Raw` and ``R`` by quarter."""
    rev, ai, eb = raw.quarterly[REVENUE], raw.quarterly[AI_REVENUE], raw.quarterly[EBITA]
    new = sorted(q for q in revenue if q > origin)
    last = new[-1] if new else origin
    R: dict[int, Any] = {}
    gap_last: Any = 0.0
    for q in new:
        R[q] = np.log((revenue[q] - ai[q]) / (rev[q] - ai[q]))
    if new:
        gap_last = R[last] - R.get(last - QUARTERS_PER_YEAR, 0.0)
    new_rev, new_eb = dict(rev), dict(eb)
    e_quarters = sorted(q for q in ebita if origin < q <= last)
    margin_gap, e_last = 0.0, None
    if e_quarters:
        e_last = e_quarters[-1]
        margin_gap = ebita[e_last] / revenue[e_last] - eb[e_last] / rev[e_last]
    r = gap_last
    for q in sorted(rev):
        if q <= origin:
            continue
        if q in revenue:
            new_rev[q] = revenue[q] + 0.0 * rev[q]
        else:
            r = persistence * r + (noise.get(q, 0.0) if noise else 0.0)
            R[q] = R.get(q - QUARTERS_PER_YEAR, 0.0) + r
            new_rev[q] = ai[q] + (rev[q] - ai[q]) * np.exp(R[q])
        if q in ebita and q <= last:
            new_eb[q] = ebita[q] + 0.0 * eb[q]
        else:
            margin = eb[q] / rev[q] + (persistence ** (q - e_last) * margin_gap if e_last is not None and q > e_last else 0.0)
            new_eb[q] = margin * new_rev[q]
    out = Raw(quarterly=dict(raw.quarterly), annual={k: dict(v) for k, v in raw.annual.items()}, timeline=raw.timeline,
              actual={k: set(v) for k, v in raw.actual.items()})
    out.quarterly[REVENUE], out.quarterly[EBITA] = new_rev, new_eb
    years = sorted({fiscal_parts(q)[0] for q in rev if q > origin})
    for year in years:
        quarters = [fiscal_index(year, k) for k in range(1, QUARTERS_PER_YEAR + 1)]
        if not all(q in rev for q in quarters):
            continue
        d_rev = sum(new_rev[q] - rev[q] for q in quarters)
        d_eb = sum(new_eb[q] - eb[q] for q in quarters)
        _shift_year(out, values, year, d_rev, d_eb)
    return out, R


def _shift_year(raw: Raw, values: Mapping[str, Any], year: int, d_rev: Any, d_eb: Any) -> None:
    """Move a fiscal year's group and valuation lines with its cloud revenue and EBITA (the same
    formulas as the graph: group lines add cloud one for one, the cloud value is its P/S multiple)."""
    from cloudmodel.layers import valuation as formula

    def add(line, delta):
        series = raw.annual.get(line)
        if series is not None and year in series and series[year] is not None:
            series[year] = series[year] + delta

    if year <= raw.timeline.report_years[0] - 1:  # the base year is reported
        return
    add("group.revenue", d_rev)
    add("group.adj_ebita", d_eb)
    add("group.non_gaap_net_income", d_eb * (1 - values["group.tax_rate"]))
    per_ads = formula.per_ads(formula.cloud_value(d_rev, values["valuation.cloud_ps_multiple"]), values["valuation.usd_cny"],
                              values["valuation.ads_count"])
    add("valuation.cloud.usd_per_ads", per_ads)
    add("valuation.target.usd_per_ads", per_ads)
    add("valuation.target.hkd_per_share", formula.hkd_per_share(per_ads, values["valuation.shares_per_ads"], values["valuation.usd_hkd"]))


# --------------------------------------------------------------------------- rolling origins

def seasonal_naive(actual: Mapping[int, float], o: int) -> float | None:
    """Quarter o + 1 as reported four quarters earlier."""
    return actual.get(o + 1 - QUARTERS_PER_YEAR)


def yoy_carry_forward(actual: Mapping[int, float], o: int) -> float | None:
    """Quarter o + 1 = the same quarter a year earlier × the latest reported y/y growth (o over o − 4)."""
    a, b, c = (actual.get(q) for q in (o + 1 - QUARTERS_PER_YEAR, o, o - QUARTERS_PER_YEAR))
    return None if None in (a, b, c) else a * b / c


def _reconcilable(function):
    """Arithmetic that fails on the actuals (a reported figure so far from anything the drivers can
    produce that a weight, a logit or a ratio breaks) is an input error naming the file, not a bug."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ArithmeticError, ValueError) as exc:
            if isinstance(exc, ValueError) and "math domain" not in str(exc):
                raise
            raise InputError.one("--actuals", "", None, "the reported figures cannot be reconciled with the model "
                                 f"({type(exc).__name__}: {exc})", "check the units and values of the actuals rows") from None
    return wrapper


@_reconcilable
def rolling(drivers: DriverSet, history: History, extra: Mapping[str, Mapping[int, float]] | None = None,
            draws: int = DEFAULT_DRAWS, seed: int = 0) -> dict[str, Any]:
    """One-step-ahead forecasts of cloud revenue from every origin o whose next quarter is reported
    (the first origin is the first quarter with a year of history before its model): at each, the
    update as ``update`` makes it — the model made a quarter earlier, the quarter o just reported,
    the drivers reweighted on it, the residual state estimated on the gaps known at o — against
    seasonal naive and the latest y/y growth carried forward. Rows, per-method MAPE and the
    coverage of the P5–P95 band."""
    extra = extra or {}
    prior = settings(drivers)
    actual = reported_revenue(history, extra)
    last = max(q for q in actual if all(p in actual for p in range(history.first_quarter, q + 1)))
    base_values = drivers.values_by_id()
    gaps: dict[int, float] = {}
    sample = draw_drivers(drivers, draws, seed, prior) if draws else {}
    from cloudmodel.batch import values_with

    drawn_values = values_with(drivers, sample) if sample else None
    from cloudmodel.lineage import drivers_of

    informed = set(drivers_of(REVENUE, drivers))
    rows = []
    for o in range(first_gap_quarter(history), last + 1):
        base = step(drivers, base_values, history, extra, o)
        gaps[o] = float(base.gap(actual[o]))
        if o + 1 not in actual:
            break
        before = estimate({q: g for q, g in gaps.items() if q < o}, prior)
        state = estimate(gaps, prior)
        point, changes, ess, spread_drivers = base, {}, float(draws), 0.0
        share = float((base.total[o] - base.ai[o]) / base.total[o])
        if drawn_values is not None:
            many = step(drivers, drawn_values, history, extra, o)
            evidence = Row(REVENUE, quarter_label(o), actual[o])
            sd = before.sigma * share
            log_w = log_likelihood(evidence, many.total[o], sd, prior)
            log_ref = log_likelihood(reference_row(evidence, float(base.total[o])), many.total[o], sd, prior)
            post = posterior(drivers, sample, log_w, log_ref, informed)
            changes, ess = post.changes, post.ess
            if changes:
                point = step(drivers, values_with(drivers, changes), history, extra, o)
            logs = np.log(np.asarray(many.forecast(many.gap(actual[o]), state.persistence), dtype=float))
            mean = float(np.dot(post.weights, logs))
            spread_drivers = math.sqrt(max(0.0, float(np.dot(post.weights, (logs - mean) ** 2))))
        forecast = float(point.forecast(point.gap(actual[o]), state.persistence))
        sd = math.hypot(state.sigma * share, spread_drivers)
        p5, p95 = forecast * math.exp(-Z90 * sd), forecast * math.exp(Z90 * sd)
        target = actual[o + 1]
        methods = {"model": forecast, "seasonal_naive": seasonal_naive(actual, o), "yoy_carry_forward": yoy_carry_forward(actual, o),
                   "drivers_only": float(base.total[o + 1])}
        for method, value in methods.items():
            if value is None:
                continue
            row = {"origin": quarter_label(o), "period": quarter_label(o + 1), "method": method, "forecast": value,
                   "actual": target, "error": value - target, "pct_error": (value - target) / target}
            if method == "model":
                row |= {"p5": p5, "p95": p95, "covered": bool(p5 <= target <= p95), "persistence": state.persistence,
                        "sigma": state.sigma, "gap": gaps[o], "ess": ess, "drivers_moved": len(changes)}
            rows.append(row)
    summary = []
    for method in ("model", "seasonal_naive", "yoy_carry_forward", "drivers_only"):
        items = [r for r in rows if r["method"] == method]
        if not items:
            continue
        entry = {"method": method, "n": len(items), "mape": sum(abs(r["pct_error"]) for r in items) / len(items),
                 "bias": sum(r["error"] for r in items) / len(items)}
        if method == "model":
            entry["coverage_p5_p95"] = sum(r["covered"] for r in items) / len(items)
        summary.append(entry)
    origins = sorted({r["origin"] for r in rows})
    meta = {"line": REVENUE, "origins": len(origins), "first_origin": origins[0] if origins else None,
            "last_origin": origins[-1] if origins else None, "draws": draws, "seed": seed,
            "state": estimate(gaps, prior).describe(),
            "methods": {"model": "the update at each origin: drivers reweighted on the quarter just reported, residual state "
                                 "(persistence and spread estimated on the gaps known then)",
                        "seasonal_naive": "the same quarter a year earlier",
                        "yoy_carry_forward": "the same quarter a year earlier × the latest reported y/y growth",
                        "drivers_only": "the driver model made at the origin, without the update"}}
    return {"meta": meta, "rows": rows, "summary": summary}


# --------------------------------------------------------------------------- the update verb

@dataclass
class Update:
    """What ``update`` prints: surprises, driver updates, the bridge, the revised key lines."""

    meta: dict[str, Any]
    surprises: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    bridge: list[dict[str, Any]]
    revised: list[dict[str, Any]]
    raw: Raw = field(repr=False, default=None)  # type: ignore[assignment]

    def document(self) -> dict[str, Any]:
        return {"meta": self.meta, "surprises": self.surprises, "drivers": self.drivers, "bridge": self.bridge,
                "revised": self.revised}


def evidence(actuals: Any, origin: int) -> tuple[list[Row], list[str]]:
    """Rows of an actuals file known at ``origin`` (their period ends by then), and the rest."""
    used, later = [], []
    for r in actuals.rows:
        if Period.parse(r.period).fiscal_quarters()[-1] <= origin:
            used.append(Row(r.line, r.period, r.value, getattr(r, "low", None), getattr(r, "high", None)))
        else:
            later.append(f"{r.line}@{r.period}")
    return used, later


def new_origin(history: History, extra: Mapping[str, Mapping[int, float]]) -> int:
    """The last quarter of contiguous reported cloud revenue (the history, then the file)."""
    origin = history.last_quarter
    while origin + 1 in extra.get(REVENUE, {}):
        origin += 1
    return origin


def _line_at(raw: Raw, line: str, period: str) -> Any:
    from cloudmodel.batch import line_value

    return line_value(raw, line, period)


def bridge_periods(raw: Raw, origin: int, last_new: int) -> list[tuple[str, str]]:
    """(line, period) of the bridge: cloud revenue and EBITA for the new quarters and the four after,
    and every key line for each fiscal year from the first with a new quarter."""
    out = []
    quarters = [q for q in range(origin + 1, last_new + QUARTERS_PER_YEAR + 1) if q in raw.quarterly[REVENUE]]
    for line in (REVENUE, EBITA):
        out += [(line, quarter_label(q)) for q in quarters]
    first_year = fiscal_parts(origin + 1)[0]
    years = [y for y in raw.timeline.fiscal_years if y >= first_year]
    for line in KEY_LINES:
        for year in years:
            try:
                value = _line_at(raw, line, f"FY{year}")
            except (KeyError, IndexError, TypeError):
                continue
            if value is not None:
                out.append((line, f"FY{year}"))
    return out


@_reconcilable
def update(drivers: DriverSet, history: History, actuals: Any, draws: int = DEFAULT_DRAWS, seed: int = 0,
           horizon: str | None = None) -> Update:
    """The quarterly update: the forecast made at the last quarter of the shipped history (the
    report's view), the actuals reported since, the drivers reweighted on every row of the file
    known by the new origin, the residual state, the revised key lines and the bridge."""
    from cloudmodel.batch import line_values, values_with
    from cloudmodel.model import ROLL_FORWARD_LINES

    if not isinstance(draws, int) or isinstance(draws, bool) or not 1 <= draws <= 1_000_000:
        raise InputError.one("--draws", "", draws, "the number of draws is a whole number from 1 to 1,000,000")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError.one("--seed", "", seed, "a seed is a whole number 0 or above")
    prior = settings(drivers)
    origin = history.last_quarter
    extra = {line: actuals.quarterly(line) for line in ROLL_FORWARD_LINES}
    last_new = new_origin(history, extra)
    from cloudmodel.engine import horizon_quarter

    last = horizon_quarter(horizon, drivers)
    timeline = make_timeline(drivers, history, last, origin=origin)
    raw0 = run(drivers.values_by_id(), history, timeline)
    rows, later = evidence(actuals, last_new)
    sample = draw_drivers(drivers, draws, seed, prior)
    raw_draws = run(values_with(drivers, sample), history, timeline)
    history_state = estimate(history_gaps(drivers, history, {}, origin), prior)
    log_w, log_ref = np.zeros(draws), np.zeros(draws)
    used, not_used = [], list(later)
    for row in rows:
        try:
            model = np.asarray(line_values(raw_draws, row.line, row.period, draws), dtype=float)
            at_origin = float(_line_at(raw0, row.line, row.period))
        except (KeyError, IndexError, TypeError, ZeroDivisionError):
            not_used.append(f"{row.line}@{row.period}")
            continue
        if not np.all(np.isfinite(model)) or not math.isfinite(at_origin):
            not_used.append(f"{row.line}@{row.period}")
            continue
        spread = _spread(row, raw0, history_state, prior)
        log_w += log_likelihood(row, model, spread, prior)
        log_ref += log_likelihood(reference_row(row, at_origin), model, spread, prior)
        used.append(f"{row.line}@{row.period}")
    from cloudmodel.lineage import drivers_of_lines

    informed = drivers_of_lines({key.partition("@")[0] for key in used}, drivers)
    post = posterior(drivers, sample, log_w, log_ref, informed)
    post_values = values_with(drivers, post.changes)
    raw_post = run(post_values, history, timeline) if post.changes else raw0
    revenue = {q: v for q, v in extra[REVENUE].items() if origin < q <= last_new}
    ebita = {q: v for q, v in actuals.quarterly(EBITA).items() if origin < q <= last_new}
    _, R = revise(raw_post, post_values, origin, revenue, ebita, history_state.persistence)
    new_gaps = {q: float(R[q] - R.get(q - QUARTERS_PER_YEAR, 0.0)) for q in revenue}
    state = estimate(history_state.gaps | new_gaps, prior) if new_gaps else history_state
    revised, R = revise(raw_post, post_values, origin, revenue, ebita, state.persistence)
    keys = bridge_periods(raw0, origin, last_new)
    bridge, revised_rows = _bridge(drivers, history, timeline, post, raw0, raw_post, revised, keys)
    surprises = _surprises(rows, raw0, actuals, origin, last_new)
    meta = {"origin": quarter_label(origin), "new_origin": quarter_label(last_new),
            "new_quarters": [quarter_label(q) for q in sorted(revenue)], "actuals": actuals.file,
            "draws": draws, "seed": seed, "effective_sample_size": post.ess,
            "state": state.describe() | {"R": {quarter_label(q): float(v) for q, v in sorted(R.items())}},
            "rows_used": used, "rows_not_used": sorted(not_used),
            "drivers_hash": drivers.files_hash,
            "method": "drivers: importance-weighted draws (Student t on the log gap), update = weighted mean given the actuals "
                      "less weighted mean given actuals equal to the forecast; residual: AR(1) on the non-AI log gap; "
                      "bridge: drivers one after another (sorted by the size of their update), then the residual"}
    return Update(meta, surprises, post.records, bridge, revised_rows, revised)


def _spread(row: Row, raw: Raw, state: State, prior: Mapping[str, float]) -> float:
    """The spread of a row's gap: cloud revenue's from the residual state (σ × its non-AI share),
    ratios ``ratio_sd``, other money and count lines ``line_sd``."""
    if LINES[row.line].unit == "ratio":
        return prior["ratio_sd"]
    if row.line == REVENUE:
        total = float(_line_at(raw, REVENUE, row.period))
        ai = float(_line_at(raw, AI_REVENUE, row.period))
        return state.sigma * (total - ai) / total
    return prior["line_sd"]


def _bridge(drivers: DriverSet, history: History, timeline: Any, post: Posterior, raw0: Raw, raw_post: Raw,
            revised: Raw, keys: list[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each driver's update applied one after another (one batched run of k + 1 cases), then the
    residual state: contributions that add up to the revised value less the origin's."""
    from cloudmodel.batch import line_values, values_with

    order = [r["driver"] for r in post.records if r["driver"] in post.changes]
    n = len(order) + 1
    cases = {}
    for j, driver_id in enumerate(order):
        column = np.full(n, drivers[driver_id].value, dtype=float)
        column[j + 1:] = post.changes[driver_id]
        cases[driver_id] = column
    raw_cases = run(values_with(drivers, cases), history, timeline) if order else None
    bridge, revised_rows = [], []
    for line, period in keys:
        start = float(_line_at(raw0, line, period))
        after_drivers = float(_line_at(raw_post, line, period))
        end = float(_line_at(revised, line, period))
        if order:
            path = np.asarray(line_values(raw_cases, line, period, n), dtype=float)
            path = np.concatenate([[start], path[1:-1], [after_drivers]])
            for j, driver_id in enumerate(order):
                bridge.append({"line": line, "period": period, "component": driver_id,
                               "contribution": float(path[j + 1] - path[j])})
        bridge.append({"line": line, "period": period, "component": "residual", "contribution": end - after_drivers})
        revised_rows.append({"line": line, "period": period, "origin_forecast": start, "drivers_only": after_drivers,
                             "updated": end, "change": end - start, "unit": LINES[line].unit if line in LINES else ""})
    return bridge, revised_rows


def _surprises(rows: list[Row], raw0: Raw, actuals: Any, origin: int, last_new: int) -> list[dict[str, Any]]:
    """Forecast (made at the origin) against actual for every row known at the new origin, and the
    EBITA margin of each new quarter with both revenue and EBITA."""
    out = []
    for row in rows:
        try:
            forecast = float(_line_at(raw0, row.line, row.period))
        except (KeyError, IndexError, TypeError, ZeroDivisionError):
            continue
        if Period.parse(row.period).fiscal_quarters()[-1] <= origin and row.line in ("cloud.revenue", "cloud.ebita"):
            continue  # reported before the origin: nothing was forecast
        item = {"line": row.line, "period": row.period, "forecast": forecast, "actual": row.value, "low": row.low,
                "high": row.high, "error": None, "pct_error": None, "within_bounds": None, "unit": LINES[row.line].unit}
        if row.value is not None:
            item["error"] = forecast - row.value
            item["pct_error"] = (forecast - row.value) / row.value if row.value else None
        if row.low is not None or row.high is not None:
            item["within_bounds"] = bool((row.low is None or forecast >= row.low) and (row.high is None or forecast <= row.high))
        out.append(item)
    revenue, ebita = actuals.quarterly(REVENUE), actuals.quarterly(EBITA)
    for q in range(origin + 1, last_new + 1):
        if q in revenue and q in ebita:
            label = quarter_label(q)
            forecast = float(_line_at(raw0, "cloud.ebita_margin", label))
            actual = ebita[q] / revenue[q]
            out.append({"line": "cloud.ebita_margin", "period": label, "forecast": forecast, "actual": actual, "low": None,
                        "high": None, "error": forecast - actual, "pct_error": None, "within_bounds": None, "unit": "ratio"})
    return out


# --------------------------------------------------------------------------- simulation

@dataclass
class Living:
    """What ``simulate`` needs to add the update and the forecast-error uncertainty to its draws:
    the origin, the quarters reported since, each drawn driver's posterior shift, and the
    residual state (every draw's gap carried forward with persistence φ, plus σ ε a quarter)."""

    origin: int
    last_new: int
    revenue: dict[int, float]
    ebita: dict[int, float]
    shifts: dict[str, float]
    state: State
    ess: float | None = None

    def shift(self, changes: dict[str, Any], drivers: DriverSet) -> dict[str, Any]:
        """Drawn drivers moved by their posterior shift (within their bounds)."""
        out = dict(changes)
        for driver_id, delta in self.shifts.items():
            if driver_id in out:
                out[driver_id] = np.clip(out[driver_id] + delta, *drivers[driver_id].bounds).astype(np.asarray(out[driver_id]).dtype)
        return out

    def apply(self, raw: Raw, values: Mapping[str, Any], rng: np.random.Generator, n: int) -> Raw:
        """Each draw's path revised by the residual state, with simulated innovations."""
        quarters = [q for q in sorted(raw.quarterly[REVENUE]) if q > self.last_new]
        z = rng.standard_normal((len(quarters), n))
        noise = {q: self.state.sigma * z[i] for i, q in enumerate(quarters)}
        revised, _ = revise(raw, values, self.origin, self.revenue, self.ebita, self.state.persistence, noise)
        return revised

    def describe(self) -> dict[str, Any]:
        return {"origin": quarter_label(self.origin), "new_origin": quarter_label(self.last_new),
                "new_quarters": [quarter_label(q) for q in sorted(self.revenue)], "driver_shifts": self.shifts,
                "effective_sample_size": self.ess, "state": self.state.describe(),
                "forecast_error": "each draw's non-AI cloud revenue carries the residual state: the gap of the quarters "
                                  "reported since the origin × φ^h, plus innovations σ ε each quarter (σ and φ estimated "
                                  "on the rolling-origin gaps); EBITA keeps each draw's margin; group and valuation lines "
                                  "move with cloud; layer lines carry the drivers' uncertainty only"}


def for_simulation(drivers: DriverSet, history: History, actuals: Any = None, draws: int = DEFAULT_DRAWS, seed: int = 0) -> Living:
    """The living layer of a simulation: without actuals, the residual state of the history
    (forecast-error bands only); with them, the update's driver shifts and state."""
    origin = history.last_quarter
    if actuals is None:
        return Living(origin, origin, {}, {}, {}, estimate(history_gaps(drivers, history, {}, origin), settings(drivers)))
    result = update(drivers, history, actuals, draws, seed)
    state = result.meta["state"]
    gaps = {Period.parse(k).fiscal_quarters()[0]: v for k, v in state["gaps"].items()}
    last_new = Period.parse(result.meta["new_origin"]).fiscal_quarters()[0]
    revenue = {q: v for q, v in actuals.quarterly(REVENUE).items() if origin < q <= last_new}
    ebita = {q: v for q, v in actuals.quarterly(EBITA).items() if origin < q <= last_new}
    shifts = {r["driver"]: r["change"] for r in result.drivers if r["change"] != 0}
    return Living(origin, last_new, revenue, ebita, shifts, State(state["persistence"], state["sigma"], state["pairs"], gaps),
                  result.meta["effective_sample_size"])


def rolled_history(history: History, actuals: Any) -> History:
    """The history as known after an actuals file: its quarters of the lines the history carries
    (cloud, group and Taotian revenue and EBITA) added up to the last quarter of contiguous cloud
    revenue, a declared restatement replacing the figure. Verbs that run the batched engine
    (sensitivity, solve, explain) roll forward on it, as ``forecast --actuals`` does."""
    from dataclasses import replace

    from cloudmodel.inputs.history import LINE_METRICS

    last = new_origin(history, {REVENUE: actuals.quarterly(REVENUE)})
    quarterly = {m: dict(s) for m, s in history.quarterly.items()}
    for line, metric in LINE_METRICS.items():
        for q, v in actuals.quarterly(line).items():
            if q <= last:
                quarterly.setdefault(metric, {})[q] = v
    return replace(history, quarterly=quarterly)
