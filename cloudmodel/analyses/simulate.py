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

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cloudmodel.analyses.sampling import (  # noqa: F401 - the sampling primitives are part of simulate's API
    KEY_LINES,
    Z90,
    Spec,
    correlation_matrix,
    inverse_cdf,
    sorted_percentiles,
    specs_for,
    uniforms,
)
from cloudmodel.analyses.whatif import Condition
from cloudmodel.batch import line_values, values_with
from cloudmodel.engine import make_timeline, run
from cloudmodel.errors import InputError
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import History
from cloudmodel.periods import Period
from cloudmodel.quantities import LINES
from cloudmodel.quantities.revenue import CLOUD_REVENUE
from cloudmodel.quantities.valuation import TARGET_USD
from cloudmodel.units import format_quantity

CHUNK = 32_768
SAMPLE_CAP = 1_000_000
MAX_DRAWS = 50_000_000
MAX_KEPT_DRAWS = 2_000_000
STATS = ("mean", "p5", "p25", "p50", "p75", "p95")
PERCENTILES = (5, 25, 50, 75, 95)
ATTRIBUTION_SAMPLE = 200_000
#: Lines whose spread is attributed to drivers, at the report's target year.
ATTRIBUTION_LINES = (CLOUD_REVENUE, TARGET_USD)


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


#: What the bands carry beyond the drivers' spread (the simulation's meta says it).
FORECAST_ERROR = ("every forecast quarter draws the revenue state's innovation (σ of the growth gap) and the margin "
                  "state's (σ of the margin gap), estimated on the reported quarters at the origin")


def _probabilities(conditions: list[Condition], hits: list[int], draws: int) -> list[dict[str, Any]]:
    return [{"condition": f"{c.line}@{c.period}{c.op}{format_quantity(c.value, LINES[c.line].unit)}", "line": c.line,
             "period": c.period, "op": c.op, "value": c.value, "probability": hits[i] / draws} for i, c in enumerate(conditions)]


def simulate(drivers: DriverSet, history: History, draws: int, seed: int = 0, *, horizon: str | None = None,
             only: list[str] | None = None, collapse: bool = False, correlate: dict[tuple[str, str], float] | None = None,
             conditions: list[Condition] | None = None, keep_draws: bool = False, workers: int | None = None,
             precision: str = "float32", living: Any = None, period: str = "year") -> Simulation:
    """Run ``draws`` draws of the full model; see the module docstring.

    ``drivers`` and ``history`` are a run's (:class:`cloudmodel.basis.Basis`: the drivers updated on what
    was reported by the origin, the history as known then); ``living`` is its update
    (:class:`cloudmodel.living.Update`): the drivers its fit moved are drawn from their joint posterior
    (the Laplace approximation), the others from the report's distributions, and every forecast quarter
    draws the residual states' innovations with the spreads the reported quarters show, so the bands
    carry the forecast error too. ``period="quarter"`` reports every quarter after the last reported one.

    Draws are computed in ``precision`` — float32 by default: seven significant digits, far
    finer than any range the report gives, at half the memory traffic of float64 (about twice
    as fast). Means are accumulated in float64. ``precision="float64"`` is exact to the forecast.
    The ``point`` statistic is the forecast itself (no draw, no innovation)."""
    _check_arguments(draws, precision, seed, period, keep_draws)
    origin = history.last_quarter
    last = horizon_quarter(horizon, drivers, origin)
    timeline = make_timeline(drivers, history, last, first=_first_quarter(drivers, history, origin))
    posterior = getattr(living, "posterior", None)
    specs = [] if collapse else specs_for(drivers, only, timeline, history, posterior)
    correlation = correlation_matrix(specs, correlate or {})
    conditions = conditions or []
    _check_conditions(drivers, history, timeline, conditions)
    outputs = _outputs(drivers, origin, last, period)
    spreads = getattr(living, "spreads", None) or {}
    run_ = _Draws(drivers, history, timeline, specs, correlation, outputs, conditions, draws, seed,
                  np.dtype(precision).type, keep_draws, spreads, posterior)
    workers = workers or min(os.cpu_count() or 1, 4)
    clock = time.perf_counter()
    point = run_.point()  # first: it drops the outputs the forecast has no value for
    outputs = run_.outputs
    sums, hits = run_.all(workers)
    timings = {"draw_and_run_s": time.perf_counter() - clock}
    clock = time.perf_counter()
    stats, records = _statistics(run_.samples, sums, outputs, draws, workers, point)
    _refuse_non_finite(records, specs)
    probabilities = _probabilities(conditions, hits, draws)
    timings["percentiles_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    from cloudmodel.engine import target_year

    attributed = [(line, target_year(drivers, origin)) for line in ATTRIBUTION_LINES]
    attribution = _attribution(specs, run_.ranks_u, {k: run_.samples[k][:run_.attribution_n] for k in attributed
                                                     if k in run_.samples})
    timings["attribution_s"] = time.perf_counter() - clock
    meta = {"period": period, "draws": draws, "seed": seed, "origin_spreads": spreads, "forecast_error": FORECAST_ERROR,
            "chunk": CHUNK, "precision": precision, "sample_for_percentiles": run_.sample_n,
            "sample_for_attribution": run_.attribution_n, "horizon": horizon,
            "collapsed": collapse, "drawn_drivers": [s.describe() for s in specs],
            "correlations": {f"{a},{b}": r for (a, b), r in (correlate or {}).items()},
            "drivers_hash": drivers.files_hash, "overrides": dict(drivers.overrides),
            "attribution_method": "squared Spearman rank correlation, normalised", "workers": workers}
    frame = _draws_frame(run_.kept, outputs, draws) if run_.kept is not None else None
    return Simulation(stats, meta, probabilities, attribution, run_.samples, frame, timings)


def _check_arguments(draws: Any, precision: str, seed: Any, period: str, keep_draws: bool) -> None:
    if not isinstance(draws, int) or isinstance(draws, bool) or draws <= 0 or draws > MAX_DRAWS:
        raise InputError.one("--draws", "", draws, f"the number of draws is a whole number from 1 to {MAX_DRAWS:,}")
    if precision not in ("float32", "float64"):
        raise InputError.one("--precision", "", precision, "choose float32 or float64")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError.one("--seed", "", seed, "a seed is a whole number 0 or above")
    if period not in ("year", "quarter"):
        raise InputError.one("--period", "", period, "choose year or quarter")
    if keep_draws and draws > MAX_KEPT_DRAWS:
        raise InputError.one("--draws", "", draws, f"writing every draw is limited to {MAX_KEPT_DRAWS:,} draws",
                             "write the summary instead, or run fewer draws")


def _first_quarter(drivers: DriverSet, history: History, origin: int) -> int:
    """The first quarter a simulation computes: the anchor year's, or earlier where the outputs need it
    (the year before the first one shown, for its growth; the last year of reported group revenue,
    which the group's forecast grows from)."""
    from cloudmodel.engine import years_shown
    from cloudmodel.periods import QUARTERS_PER_YEAR

    anchor = Period.parse(f"FY{Period.parse(drivers['maas.model_calls_cy2024'].period).year}").fiscal_quarters()[0]
    shown = Period.parse(years_shown(drivers, origin, before=0)[0]).fiscal_quarters()[0] - QUARTERS_PER_YEAR
    group = sorted(Period.parse(y).fiscal_quarters()[0] for y in history.annual.get("group_revenue_rmb_mn", {})
                   if Period.parse(y).fiscal_quarters()[-1] <= origin)
    return max(history.first_quarter, min(anchor, shown, *group[-1:]))


def _outputs(drivers: DriverSet, origin: int, last: int, period: str) -> list[tuple[str, str]]:
    """(line, period) pairs reported: the key lines by fiscal year from the origin's last year to the
    horizon; with ``period="quarter"`` the cloud lines by quarter after the last reported one."""
    from cloudmodel.engine import years_shown

    years = [y for y in years_shown(drivers, origin, before=0) if Period.parse(y).fiscal_quarters()[-1] <= last]
    if period != "quarter":
        return [(line, year) for line in KEY_LINES for year in years]
    from cloudmodel.periods import quarter_label

    labels = [quarter_label(q) for q in range(origin + 1, last + 1)]
    annual = ("group.", "valuation.")
    return [(line, label) for line in KEY_LINES if not line.startswith(annual) for label in labels] + \
           [(line, year) for line in KEY_LINES if line.startswith(annual) for year in years]


class _Draws:
    """The draws of one simulation: chunks of :data:`CHUNK` draws, each with its own random stream
    spawned from the seed, run through the engine; samples, draws kept and copula ranks filled in place."""

    def __init__(self, drivers: DriverSet, history: History, timeline: Any, specs: list[Spec], correlation: Any,
                 outputs: list[tuple[str, str]], conditions: list[Condition], draws: int, seed: int,
                 dtype: type, keep_draws: bool, spreads: dict[str, float], posterior: Any):
        self.drivers, self.history, self.timeline, self.specs = drivers, history, timeline, specs
        self.correlation, self.outputs, self.conditions = correlation, outputs, conditions
        self.spreads = spreads
        self.joint = posterior_draws(specs, posterior, drivers)
        from cloudmodel.engine import pins

        self.past = pins(drivers, timeline)  # every reported period is the basis's: draws move only the future
        self.draws, self.dtype = draws, dtype
        self.sample_n = min(draws, SAMPLE_CAP)
        self.attribution_n = min(draws, ATTRIBUTION_SAMPLE)
        self.samples = {key: np.empty(self.sample_n, dtype=dtype) for key in outputs}
        self.ranks_u = np.empty((len(specs), self.attribution_n), dtype=np.float32)
        self.kept = {key: np.empty(draws, dtype=dtype) for key in outputs} if keep_draws else None
        # only the quantities the reported lines need
        from cloudmodel.lineage import quantities_for

        needed = [line for line, _ in outputs] + [c.line for c in conditions]
        self.names = quantities_for(needed, drivers, history, timeline)
        self.starts = list(range(0, draws, CHUNK))
        self.streams = np.random.SeedSequence(seed).spawn(len(self.starts))

    def values(self, n: int, rng: Any) -> tuple[dict[str, Any], Any]:
        """One chunk's driver values (and its copula uniforms)."""
        specs, drivers, dtype = self.specs, self.drivers, self.dtype
        u = uniforms(specs, n, rng, self.correlation, dtype) if specs else np.empty((0, n), dtype=dtype)
        changes = {s.driver: inverse_cdf(s, u[j]) for j, s in enumerate(specs) if s.family != "posterior"}
        if self.joint is not None:
            changes |= self.joint.draw(u, dtype)
        for s in specs:
            if s.family == "lognormal":  # the only family with tails beyond the range
                changes[s.driver] = np.clip(changes[s.driver], *drivers[s.driver].bounds)
        if not specs:  # every range collapsed: the base values, one per draw
            changes = {"customers.total": np.full(n, drivers["customers.total"].value, dtype=dtype)}
        return values_with(drivers, changes), u

    def shocks(self, n: int, rng: Any) -> dict[str, dict[int, Any]]:
        """One chunk's innovations of the residual states, every forecast quarter."""
        quarters = [q for q in self.timeline.quarters if q > self.timeline.origin]
        out = {}
        from cloudmodel.analyses.backtest import band_quantile

        for name in ("revenue", "margin"):  # a normal with the P5–P95 the Student t of the spread's dof gives
            sigma = self.spreads.get(name, 0.0) * band_quantile(self.spreads.get(f"{name}_dof", 1e9)) / Z90
            z = rng.standard_normal((len(quarters), n)).astype(self.dtype)
            out[name] = {q: sigma * z[i] for i, q in enumerate(quarters)}
        return out

    def point(self) -> dict[tuple[str, str], float]:
        """The forecast itself: every output with the drivers at their values and no innovation. An
        output the forecast has no value for (the group before its base year is complete, at an early
        origin) is dropped from the run."""
        raw = run(self.drivers.values_by_id(), self.history, self.timeline, names=self.names, past=self.past)
        out = {}
        for key in self.outputs:
            try:
                out[key] = float(line_values(raw, *key, 1, float)[0])
            except KeyError:
                continue
        self.outputs = [key for key in self.outputs if key in out]
        self.samples = {key: self.samples[key] for key in self.outputs}
        if self.kept is not None:
            self.kept = {key: self.kept[key] for key in self.outputs}
        return out

    def chunk(self, i: int) -> tuple[dict, list[int]]:
        """Draw and run chunk i; fill its slice of the samples; return its sums and condition hits."""
        start = self.starts[i]
        n = min(CHUNK, self.draws - start)
        rng = np.random.default_rng(self.streams[i])
        values, u = self.values(n, rng)
        raw = run(values, self.history, self.timeline, names=self.names, shocks=self.shocks(n, rng), past=self.past)
        sums = {}
        for key in self.outputs:
            value = line_values(raw, *key, n, self.dtype)
            sums[key] = float(value.sum(dtype=np.float64))
            if start < self.sample_n:
                take = min(n, self.sample_n - start)
                self.samples[key][start:start + take] = value[:take]
            if self.kept is not None:
                self.kept[key][start:start + n] = value
        if start < self.attribution_n and self.specs:
            take = min(n, self.attribution_n - start)
            self.ranks_u[:, start:start + take] = u[:, :take]
        hits = [int(np.count_nonzero(c.holds(line_values(raw, c.line, c.period, n)))) for c in self.conditions]
        return sums, hits

    def all(self, workers: int) -> tuple[dict[tuple[str, str], float], list[int]]:
        """Every chunk (on ``workers`` threads); sums added in chunk order, so the same seed gives the
        same sums to the last bit."""
        if workers > 1 and len(self.starts) > 1:
            with ThreadPoolExecutor(workers) as pool:
                partials = list(pool.map(self.chunk, range(len(self.starts))))
        else:
            partials = [self.chunk(i) for i in range(len(self.starts))]
        sums = {key: math.fsum(part[0][key] for part in partials) for key in self.outputs}
        hits = [sum(part[1][c] for part in partials) for c in range(len(self.conditions))]
        return sums, hits


def _statistics(samples: dict, sums: dict, outputs: list[tuple[str, str]], draws: int, workers: int,
                point: dict[tuple[str, str], float]) -> tuple[Any, list]:
    """The point forecast, the mean (over every draw) and percentiles (over the sample) per output, as a
    long frame."""
    import polars as pl

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
        records.append((key[0], key[1], "point", point[key], unit))
        records.append((key[0], key[1], "mean", sums[key] / draws, unit))
        records.extend((key[0], key[1], f"p{p}", float(q), unit) for p, q in zip(PERCENTILES, quantiles, strict=True))
    stats = pl.DataFrame(records, schema={"line": pl.String, "period": pl.String, "stat": pl.String,
                                          "value": pl.Float64, "unit": pl.String}, orient="row")
    return stats, records


def _draws_frame(kept: dict, outputs: list[tuple[str, str]], draws: int) -> Any:
    """Every draw of every output: ``line, period, draw, value`` (line and period as enums)."""
    import polars as pl

    lines, periods = pl.Enum(list(dict.fromkeys(k[0] for k in outputs))), pl.Enum(list(dict.fromkeys(k[1] for k in outputs)))
    return pl.concat([pl.DataFrame({"line": pl.Series([key[0]] * draws, dtype=lines),
                                    "period": pl.Series([key[1]] * draws, dtype=periods),
                                    "draw": np.arange(draws, dtype=np.int32), "value": kept[key]})
                      for key in outputs])


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


def horizon_quarter(horizon: str | None, drivers: DriverSet, origin: int) -> int:
    """The last quarter of ``--horizon`` (see :func:`cloudmodel.engine.horizon_quarter`)."""
    from cloudmodel.engine import horizon_quarter as parse

    return parse(horizon, drivers, origin)


class PosteriorDraws:
    """The drivers the update moved, drawn jointly from the Laplace posterior: standard normals from the
    specs' own uniforms (so the attribution still ranks them), correlated by the posterior's Cholesky
    factor, back through each driver's transform."""

    def __init__(self, rows: list[int], params: list[Any], mean: np.ndarray, factor: np.ndarray, bounds: list[tuple]):
        self.rows, self.params, self.mean, self.factor, self.bounds = rows, params, mean, factor, bounds

    def draw(self, u: np.ndarray, dtype: type) -> dict[str, np.ndarray]:
        from scipy.special import ndtri

        z = self.mean[:, None] + self.factor @ ndtri(np.clip(u[self.rows].astype(np.float64), 1e-12, 1 - 1e-12))
        out = {}
        for i, p in enumerate(self.params):
            out[p.driver] = np.clip(p.transform.back(p.centre + p.scale * z[i]), *self.bounds[i]).astype(dtype)
        return out


def posterior_draws(specs: list[Spec], posterior: Any, drivers: DriverSet) -> PosteriorDraws | None:
    rows = [j for j, s in enumerate(specs) if s.family == "posterior"]
    if not rows or posterior is None:
        return None
    index = {p.driver: i for i, p in enumerate(posterior.params)}
    chosen = [index[specs[j].driver] for j in rows]
    cov = posterior.covariance[np.ix_(chosen, chosen)]
    factor = np.linalg.cholesky(cov + 1e-15 * np.eye(len(chosen)))
    params = [posterior.params[i] for i in chosen]
    return PosteriorDraws(rows, params, posterior.z[chosen], factor, [drivers[p.driver].bounds for p in params])


def _check_conditions(drivers: DriverSet, history: History, timeline: Any, conditions: list[Condition]) -> None:
    """Every --prob names a line and period this run computes (one base run to find out)."""
    if not conditions:
        return
    from cloudmodel.batch import check_computed

    raw = run(values_with(drivers, {}), history, timeline)
    for c in conditions:
        check_computed(raw, c.line, c.period, "--prob")


def _refuse_non_finite(records: list[tuple], specs: list[Spec]) -> None:
    """Finite or refused: a statistic that is NaN or infinite names its line, period and the drawn drivers."""
    for line, period, stat, value, _ in records:
        if not math.isfinite(value):
            from cloudmodel.errors import NonFinite

            drawn = ", ".join(s.driver for s in specs) or "none"
            raise NonFinite.one("simulate", f"{line} at {period}", None,
                                f"its {stat} is {value} (not a finite number): some draws give NaN or infinity",
                                f"drawn drivers: {drawn}; check their ranges and distributions")


def simulate_on(basis: Any, drivers: DriverSet, scenario: str = "base", *, draws: int, seed: int = 0,
                prob: list[str] | None = None, correlate: list[str] | None = None, only: list[str] | None = None,
                horizon: str | None = None, precision: str = "float32", period: str = "year",
                keep_draws: bool = False) -> tuple[Simulation, dict[str, Any]]:
    """``simulate``: the draws of a scenario's ``drivers`` on ``basis`` (its update's posterior and states),
    with the command line's conditions (``LINE@PERIOD>VALUE``) and correlations (``A,B=RHO``) parsed;
    the simulation and the document's meta."""
    from cloudmodel.analyses.sampling import check_seed, parse_correlations
    from cloudmodel.analyses.whatif import parse_condition

    check_seed(seed)
    conditions = [parse_condition(text, "--prob", (">", ">=", "<", "<=")) for text in prob or []]
    pairs = parse_correlations(correlate)
    result = simulate(drivers, basis.history, draws, seed, horizon=horizon, only=only, correlate=pairs,
                      conditions=conditions, keep_draws=keep_draws, precision=precision, living=basis.living, period=period)
    meta = basis.describe() | result.meta | {"scenario": scenario, "probabilities": result.probabilities,
                                             "variance_shares": result.attribution.to_dicts()}
    return result, meta
