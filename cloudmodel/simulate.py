"""Monte Carlo over the report's ranges, through the same vectorised engine as ``forecast``.

Every model input with a range gets a distribution, chosen in its driver file
(``distribution = { family = … }``) or, by default, triangular with the mode at the base value:

* ``uniform`` on [low, high]; ``triangular`` (low, base, high); ``pert`` — a beta on [low, high]
  with mode at the base and shape 4 (α = 1 + 4(m − a)/(b − a), β = 1 + 4(b − m)/(b − a));
* ``lognormal`` — median at the base, [low, high] its 90% interval (σ from the wider side);
* ``discrete`` — ``values`` with ``probabilities`` (Apple users 0 / 10M / 20M / 30M);
* ``bernoulli`` — for a probability driver: each draw is 1 with probability = its value, else 0
  (the Apple deal happens or not).

A driver is drawn once per draw and used everywhere it enters (penetration feeds IaaS, PaaS,
SaaS and MaaS alike). Optional rank correlation between named drivers uses a Gaussian copula.
Draws run in chunks (:data:`CHUNK`) on a thread pool; each chunk has its own random stream
spawned from the seed, so the same seed gives the same draws whatever the threads do.
Means and probabilities use every draw; percentiles and the variance attribution use the first
:data:`SAMPLE_CAP` draws (the draws are independent, so the first ones are a random sample),
which keeps memory flat for 10M draws.

**What drives the spread** is each driver's squared Spearman rank correlation with the output,
normalised to sum to 1 (exact shares for a model additive in monotone transforms of
independent drivers; an approximation otherwise, cheap and order-free). The rank of a drawn
driver is its copula uniform, so only the outputs need ranking.
"""

from __future__ import annotations

import functools
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .batch import line_values, values_with
from .drivers import DriverSet
from .engine import make_timeline, run
from .errors import InputError
from .history import History
from .periods import Period
from .result import LINES
from .units import format_quantity
from .whatif import Condition

CHUNK = 32_768
SAMPLE_CAP = 1_000_000
MAX_DRAWS = 50_000_000
MAX_KEPT_DRAWS = 2_000_000
STATS = ("mean", "p5", "p25", "p50", "p75", "p95")
PERCENTILES = (5, 25, 50, 75, 95)
Z90 = 1.6448536269514722  # standard normal quantile at 95%: [low, high] is a 90% interval
PERT_SHAPE = 4.0
BETA_TABLE = 1 << 16
ATTRIBUTION_SAMPLE = 200_000
KEY_LINES = ("cloud.revenue", "cloud.revenue.iaas", "cloud.revenue.paas", "cloud.revenue.saas", "cloud.revenue.maas",
             "cloud.revenue.solutions", "cloud.revenue_growth", "cloud.ebita", "cloud.ebita_margin", "cloud.ai.revenue",
             "cloud.ai.revenue_share", "group.revenue", "group.non_gaap_net_income", "valuation.cloud.usd_per_ads",
             "valuation.target.usd_per_ads", "valuation.target.hkd_per_share")
#: Lines whose spread is attributed to drivers, at the report's target year.
ATTRIBUTION_LINES = ("cloud.revenue", "valuation.target.usd_per_ads")


@dataclass(frozen=True)
class Spec:
    """How one driver is drawn."""

    driver: str
    family: str
    low: float
    mode: float
    high: float
    values: tuple[float, ...] = ()
    probabilities: tuple[float, ...] = ()

    def describe(self) -> dict[str, Any]:
        out = {"driver": self.driver, "family": self.family, "low": self.low, "base": self.mode, "high": self.high}
        if self.values:
            out |= {"values": list(self.values), "probabilities": list(self.probabilities)}
        return out


def specs_for(drivers: DriverSet, only: list[str] | None = None) -> list[Spec]:
    """A distribution for every ranged driver in the lineage of the lines the simulation reports
    (or only the named ones); checked against the range."""
    from .lineage import drivers_of_lines

    inputs = drivers_of_lines(KEY_LINES, drivers)
    chosen = []
    if only:
        for driver_id in only:
            d = drivers.require(driver_id, "--only")
            if not d.has_range:
                raise InputError.one("--only", driver_id, None, "has no range to draw from")
            chosen.append(driver_id)
    else:
        chosen = [k for k in sorted(inputs) if drivers[k].has_range and drivers[k].kind != "derived"
                  and (drivers[k].low != drivers[k].high)]
    specs = []
    problems = []
    for driver_id in chosen:
        d = drivers[driver_id]
        dist = d.distribution or {}
        family = dist.get("family", "triangular")
        spec = Spec(driver_id, family, d.low, d.value, d.high, tuple(dist.get("values") or ()), tuple(dist.get("probabilities") or ()))
        problem = _contradiction(spec, d)
        if problem:
            problems.append((d.file, f"{driver_id}.distribution", dist, problem))
        specs.append(spec)
    if problems:
        from .errors import InputProblem

        raise InputError([InputProblem(f, k, v, r) for f, k, v, r in problems])
    return specs


def _contradiction(spec: Spec, d: Any) -> str:
    """Why a distribution's parameters contradict the driver's range, or ''."""
    if not all(math.isfinite(x) for x in (*spec.values, *spec.probabilities)):
        return "values and probabilities must be finite numbers (no NaN or infinity)"
    if spec.family == "discrete":
        if not spec.values or len(spec.values) != len(spec.probabilities):
            return "a discrete distribution needs values and as many probabilities"
        if any(p < 0 for p in spec.probabilities) or abs(sum(spec.probabilities) - 1) > 1e-9:
            return f"probabilities must be non-negative and add up to 1 (they add up to {sum(spec.probabilities):g})"
        outside = [x for x in spec.values if not spec.low <= x <= spec.high]
        if outside:
            return f"value {outside[0]:g} lies outside the driver's range [{spec.low:g}, {spec.high:g}]"
        return ""
    if spec.values or spec.probabilities:
        return f"values and probabilities belong to a discrete distribution, not {spec.family}"
    if spec.family == "bernoulli":
        if d.unit != "ratio" or not 0 <= spec.mode <= 1:
            return "a bernoulli draw needs a probability (a ratio between 0 and 1) as its value"
        return ""
    if spec.family == "lognormal" and spec.low <= 0:
        return f"a lognormal needs a positive range; low is {spec.low:g}"
    if spec.family == "pert" and not spec.low < spec.high:
        return "a PERT needs low < high"
    return ""


# --------------------------------------------------------------------------- sampling

def _normal_quantile(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(u)


def inverse_cdf(spec: Spec, u: np.ndarray) -> np.ndarray:
    """The draw whose cumulative probability is ``u``: monotone in ``u``, in ``u``'s precision."""
    return _inverse_cdf(spec, u).astype(u.dtype, copy=False)


def _inverse_cdf(spec: Spec, u: np.ndarray) -> np.ndarray:
    a, m, b = spec.low, spec.mode, spec.high
    if spec.family == "uniform":
        return a + u * (b - a)
    if spec.family == "triangular":
        if b == a:
            return np.full_like(u, m)
        cut = (m - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (m - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - m))
        return np.where(u < cut, left, right)
    if spec.family == "pert":
        return a + _beta_quantile_table(1 + PERT_SHAPE * (m - a) / (b - a), 1 + PERT_SHAPE * (b - m) / (b - a))(u) * (b - a)
    if spec.family == "lognormal":
        sigma = max(math.log(b / m), math.log(m / a)) / Z90 if m > 0 else 0.0
        return m * np.exp(sigma * _normal_quantile(np.clip(u, 1e-12, 1 - 1e-12)))
    if spec.family == "discrete":
        cumulative = np.cumsum(spec.probabilities)
        index = np.minimum(np.searchsorted(cumulative, u, side="right"), len(spec.values) - 1)
        return np.asarray(spec.values)[index]
    if spec.family == "bernoulli":
        return (u >= 1 - m).astype(float)  # increasing in u, like every other family
    raise InputError.one("distribution", spec.driver, spec.family, "unknown family")


def sorted_percentiles(x: np.ndarray, percents: tuple[float, ...]) -> list[float]:
    """Percentiles by linear interpolation between order statistics (numpy's default method),
    from one sort — numpy's vectorised sort beats its partition-based percentile 5× here."""
    ordered = np.sort(x).astype(np.float64)
    position = np.asarray(percents, dtype=float) / 100 * (len(ordered) - 1)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, len(ordered) - 1)
    return list(ordered[below] + (position - below) * (ordered[above] - ordered[below]))


@functools.lru_cache(maxsize=64)
def _beta_quantile_table(alpha: float, beta: float):
    """The beta quantile function, tabulated on a fine grid once and interpolated (scipy's
    betaincinv costs ~0.5 µs a call; the table's error is below 1e-6 of the range)."""
    from scipy.special import betaincinv

    grid = np.linspace(0.0, 1.0, BETA_TABLE)
    table = betaincinv(alpha, beta, grid)
    return lambda u: np.interp(u, grid, table)


def uniforms(specs: list[Spec], n: int, rng: np.random.Generator, correlation: np.ndarray | None,
             dtype: type = np.float64) -> np.ndarray:
    """(drivers, n) uniforms, one contiguous row per driver; with a correlation matrix, through
    a Gaussian copula."""
    if correlation is None:
        return rng.random((len(specs), n), dtype=dtype)
    from scipy.special import ndtr

    return ndtr(np.linalg.cholesky(correlation) @ rng.standard_normal((len(specs), n))).astype(dtype)


def correlation_matrix(specs: list[Spec], pairs: dict[tuple[str, str], float]) -> np.ndarray | None:
    """Identity plus the named rank correlations (converted to the copula's normal correlation)."""
    if not pairs:
        return None
    index = {s.driver: i for i, s in enumerate(specs)}
    matrix = np.eye(len(specs))
    for (a, b), rho in pairs.items():
        for name in (a, b):
            if name not in index:
                raise InputError.one("--correlate", name, None, "is not a drawn driver (it needs a range)")
        if not -1 < rho < 1:
            raise InputError.one("--correlate", f"{a},{b}", rho, "a correlation lies strictly between -1 and 1")
        normal = 2 * math.sin(math.pi * rho / 6)  # Spearman ρ → normal correlation
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = normal
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise InputError.one("--correlate", "", None, "these correlations are not consistent (the matrix is not positive definite)") from None
    return matrix


# --------------------------------------------------------------------------- running

@dataclass
class Simulation:
    """Summary statistics, probabilities and the variance attribution of a run."""

    stats: Any  # polars: line, period, stat, value, unit
    meta: dict[str, Any]
    probabilities: list[dict[str, Any]] = field(default_factory=list)
    attribution: Any = None  # polars: line, period, driver, rank_correlation, variance_share
    samples: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    draws_frame: Any = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds by phase (not in meta: output is reproducible)


def simulate(drivers: DriverSet, history: History, draws: int, seed: int = 0, *, horizon: str | None = None,
             only: list[str] | None = None, collapse: bool = False, correlate: dict[tuple[str, str], float] | None = None,
             conditions: list[Condition] | None = None, keep_draws: bool = False, workers: int | None = None,
             precision: str = "float32", actuals: Any = None, period: str = "year") -> Simulation:
    """Run ``draws`` draws of the full model; see the module docstring.

    Draws are computed in ``precision`` — float32 by default: seven significant digits, far
    finer than any range the report gives, at half the memory traffic of float64 (about twice
    as fast). Means are accumulated in float64. ``precision="float64"`` is exact to the forecast.

    ``actuals`` (or ``period="quarter"``) adds the living layer (:mod:`cloudmodel.update`): the
    drawn drivers shifted by the update, each draw's cloud revenue carrying the residual state and
    the forecast-error innovations the rolling-origin backtest shows; ``period="quarter"`` also
    reports every quarter after the last reported one."""
    import polars as pl

    if not isinstance(draws, int) or isinstance(draws, bool) or draws <= 0 or draws > MAX_DRAWS:
        raise InputError.one("--draws", "", draws, f"the number of draws is a whole number from 1 to {MAX_DRAWS:,}")
    if precision not in ("float32", "float64"):
        raise InputError.one("--precision", "", precision, "choose float32 or float64")
    dtype = np.dtype(precision).type
    specs = [] if collapse else specs_for(drivers, only)
    correlation = correlation_matrix(specs, correlate or {})
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError.one("--seed", "", seed, "a seed is a whole number 0 or above")
    last = horizon_quarter(horizon, drivers)
    first = Period.parse(f"FY{Period.parse(drivers['maas.model_calls_cy2024'].period).year}").fiscal_quarters()[0]
    timeline = make_timeline(drivers, history, last, first=first)
    _check_conditions(drivers, history, timeline, conditions or [])
    from .engine import target_year, years_shown

    years = [y for y in years_shown(drivers, before=0) if Period.parse(y).fiscal_quarters()[-1] <= last]
    outputs = [(line, year) for line in KEY_LINES for year in years]
    if period not in ("year", "quarter"):
        raise InputError.one("--period", "", period, "choose year or quarter")
    living = None
    if actuals is not None or period == "quarter":
        from .update import for_simulation

        living = for_simulation(drivers, history, actuals)
    if period == "quarter":
        from .periods import quarter_label

        labels = [quarter_label(q) for q in range(living.last_new + 1, last + 1)]
        outputs = [(line, label) for line in KEY_LINES if not line.startswith(("group.", "valuation.")) for label in labels] + \
                  [(line, year) for line in KEY_LINES if line.startswith(("group.", "valuation.")) for year in years]
    conditions = conditions or []
    sample_n = min(draws, SAMPLE_CAP)
    samples = {key: np.empty(sample_n, dtype=dtype) for key in outputs}
    attribution_n = min(draws, ATTRIBUTION_SAMPLE)
    attributed = [(line, target_year(drivers)) for line in ATTRIBUTION_LINES]
    ranks_u = np.empty((len(specs), attribution_n), dtype=np.float32)
    if keep_draws and draws > MAX_KEPT_DRAWS:
        raise InputError.one("--draws", "", draws, f"writing every draw is limited to {MAX_KEPT_DRAWS:,} draws",
                             "write the summary instead, or run fewer draws")
    kept_draws = {key: np.empty(draws, dtype=dtype) for key in outputs} if keep_draws else None
    starts = list(range(0, draws, CHUNK))
    streams = np.random.SeedSequence(seed).spawn(len(starts))

    def one_chunk(i: int) -> tuple[dict, list[int]]:
        """Draw and run chunk i; fill its slice of the samples; return its sums and condition hits."""
        start = starts[i]
        sums, hits = {}, []
        n = min(CHUNK, draws - start)
        rng = np.random.default_rng(streams[i])
        u = uniforms(specs, n, rng, correlation, dtype) if specs else np.empty((0, n), dtype=dtype)
        changes = {s.driver: inverse_cdf(s, u[j]) for j, s in enumerate(specs)}
        for s in specs:
            if s.family == "lognormal":  # the only family with tails beyond the range
                changes[s.driver] = np.clip(changes[s.driver], *drivers[s.driver].bounds)
        if not specs:  # every range collapsed: the base values, one per draw
            changes = {"customers.total": np.full(n, drivers["customers.total"].value, dtype=dtype)}
        if living is not None:
            changes = living.shift(changes, drivers)
        values = values_with(drivers, changes)
        raw = run(values, history, timeline)
        if living is not None:
            raw = living.apply(raw, values, rng, n)
        for key in outputs:
            value = line_values(raw, *key, n, dtype)
            sums[key] = float(value.sum(dtype=np.float64))
            if start < sample_n:
                take = min(n, sample_n - start)
                samples[key][start:start + take] = value[:take]
            if kept_draws is not None:
                kept_draws[key][start:start + n] = value
        if start < attribution_n and specs:
            take = min(n, attribution_n - start)
            ranks_u[:, start:start + take] = u[:, :take]
        for condition in conditions:
            value = line_values(raw, condition.line, condition.period, n)
            hits.append(int(np.count_nonzero(condition.holds(value))))
        return sums, hits

    clock = time.perf_counter()
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(workers) as pool:
            partials = list(pool.map(one_chunk, range(len(starts))))
    else:
        partials = [one_chunk(i) for i in range(len(starts))]
    # add up in chunk order, so the same seed gives the same sums to the last bit
    sums = {key: math.fsum(part[0][key] for part in partials) for key in outputs}
    hits = [sum(part[1][c] for part in partials) for c in range(len(conditions))]

    timings = {"draw_and_run_s": time.perf_counter() - clock}
    clock = time.perf_counter()

    def percentiles(key):
        return sorted_percentiles(samples[key], PERCENTILES)

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            quantile_rows = list(pool.map(percentiles, outputs))
    else:
        quantile_rows = [percentiles(key) for key in outputs]
    records = []
    for key, quantiles in zip(outputs, quantile_rows, strict=True):
        unit = LINES[key[0]].unit
        records.append((key[0], key[1], "mean", sums[key] / draws, unit))
        records.extend((key[0], key[1], f"p{p}", float(q), unit) for p, q in zip(PERCENTILES, quantiles, strict=True))
    stats = pl.DataFrame(records, schema={"line": pl.String, "period": pl.String, "stat": pl.String,
                                          "value": pl.Float64, "unit": pl.String}, orient="row")
    _refuse_non_finite(records, specs)
    probabilities = [{"condition": f"{c.line}@{c.period}{c.op}{format_quantity(c.value, LINES[c.line].unit)}",
                      "line": c.line, "period": c.period,
                      "op": c.op, "value": c.value, "probability": hits[i] / draws} for i, c in enumerate(conditions)]
    timings["percentiles_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    attribution = _attribution(specs, ranks_u, {k: samples[k][:attribution_n] for k in attributed if k in samples})
    timings["attribution_s"] = time.perf_counter() - clock
    meta = {"living": living.describe() if living is not None else None, "period": period, "draws": draws, "seed": seed, "chunk": CHUNK, "precision": precision, "sample_for_percentiles": sample_n,
            "sample_for_attribution": attribution_n, "horizon": horizon,
            "collapsed": collapse, "drawn_drivers": [s.describe() for s in specs],
            "correlations": {f"{a},{b}": r for (a, b), r in (correlate or {}).items()},
            "drivers_hash": drivers.files_hash, "overrides": dict(drivers.overrides),
            "attribution_method": "squared Spearman rank correlation, normalised",
            "workers": workers}
    frame = None
    if kept_draws is not None:
        lines, periods = pl.Enum(list(dict.fromkeys(k[0] for k in outputs))), pl.Enum(list(dict.fromkeys(k[1] for k in outputs)))
        frame = pl.concat([pl.DataFrame({"line": pl.Series([key[0]] * draws, dtype=lines),
                                         "period": pl.Series([key[1]] * draws, dtype=periods),
                                         "draw": np.arange(draws, dtype=np.int32), "value": kept_draws[key]})
                           for key in outputs])
    return Simulation(stats, meta, probabilities, attribution, samples, frame, timings)


def _attribution(specs: list[Spec], ranks_u: np.ndarray, samples: dict[tuple[str, str], np.ndarray]):
    """Each drawn driver's squared rank correlation with each output, as shares summing to 1.
    ``ranks_u`` holds the drivers' copula uniforms, which rank their draws."""
    import polars as pl

    rows = []
    if not specs:
        return pl.DataFrame(schema={"line": pl.String, "period": pl.String, "driver": pl.String,
                                    "rank_correlation": pl.Float64, "variance_share": pl.Float64})
    u = ranks_u - ranks_u.mean(axis=1, keepdims=True)
    u_norm = np.sqrt(np.einsum("ij,ij->i", u, u, dtype=np.float64))
    for key, sample in samples.items():
        ranks = np.empty(len(sample))
        ranks[np.argsort(sample, kind="stable")] = np.arange(len(sample))
        r = ranks - ranks.mean()
        r_norm = math.sqrt(float(r @ r))
        rho = (u @ r.astype(np.float32)).astype(np.float64) / np.where(u_norm * r_norm > 0, u_norm * r_norm, 1.0)
        total = float((rho**2).sum())
        for spec, value in zip(specs, rho, strict=True):
            rows.append({"line": key[0], "period": key[1], "driver": spec.driver, "rank_correlation": float(value),
                         "variance_share": float(value**2 / total) if total > 0 else 0.0})
    return pl.DataFrame(rows).sort(["line", "period", "variance_share"], descending=[False, False, True])


def horizon_quarter(horizon: str | None, drivers: DriverSet | None = None) -> int:
    """The last quarter of ``--horizon`` (see :func:`cloudmodel.engine.horizon_quarter`)."""
    from .engine import horizon_quarter as parse
    from .model import load_drivers

    return parse(horizon, drivers if drivers is not None else load_drivers())


def _check_conditions(drivers: DriverSet, history: History, timeline: Any, conditions: list[Condition]) -> None:
    """Every --prob names a line and period this run computes (one base run to find out)."""
    if not conditions:
        return
    from .cli import check_computed

    raw = run(values_with(drivers, {}), history, timeline)
    for c in conditions:
        check_computed(raw, c.line, c.period, "--prob")


def _refuse_non_finite(records: list[tuple], specs: list[Spec]) -> None:
    """Finite or refused: a statistic that is NaN or infinite names its line, period and the drawn drivers."""
    for line, period, stat, value, _ in records:
        if not math.isfinite(value):
            from .errors import NonFinite

            drawn = ", ".join(s.driver for s in specs) or "none"
            raise NonFinite.one("simulate", f"{line} at {period}", None,
                                f"its {stat} is {value} (not a finite number): some draws give NaN or infinity",
                                f"drawn drivers: {drawn}; check their ranges and distributions")
