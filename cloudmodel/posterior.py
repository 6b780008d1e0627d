"""The drivers' update: a MAP fit with a Laplace approximation, deterministic and without a seed.

The evidence is what was reported after the report's origin — before it the report's drivers are
the analyst's own reading of the history — up to the last reported quarter:

* each quarter's **revenue innovation**: the growth gap's surprise against the revenue state's
  prediction (:mod:`cloudmodel.quantities.state`), in units of ``living.surprise_sd_prior``;
* each quarter's **margin innovation** (the margin gap's surprise), in units of ``living.ratio_sd``;
* every **statement** of a line the history does not carry as a figure: a bound ("triple-digit AI
  growth" → ``cloud.ai.revenue_growth`` ≥ 100%) counts only when the drivers break it (a one-sided
  penalty); a value (an actuals file's margin, AI revenue…) counts as a gap in log (money, counts)
  or in points (ratios), in units of ``living.line_sd`` / ``living.ratio_sd``.

Each ranged driver the graph reads is a parameter in a transformed space — logit within bounds on
both sides, log above a lower bound, else itself — where the report's range is the prior's 90%
interval and its value the prior's centre. Gauss–Newton with a Levenberg step minimises the sum of
squared standardised residuals and prior terms; the Jacobian comes from one batched engine run of
k + 1 cases per step. The posterior covariance is the inverse of the Gauss–Newton Hessian at the
optimum (the Laplace approximation): each driver's 90% band, its correlation with the others, and
the gain matrix that splits each driver's move into the surprises behind it (the bridge).

A driver no evidence reaches (its Jacobian is zero on every residual) keeps its prior exactly; a
reported quarter equal to the forecast adds a residual that is zero at the optimum, which does not
move it. numpy is imported here; ``forecast`` reads the result from the cache.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import History, Observation
from cloudmodel.periods import quarter_label
from cloudmodel.quantities.maas import APPLE_USERS
from cloudmodel.xp import Z90

STEP = 1e-4  # finite-difference step, in prior standard deviations
MAX_ITERATIONS = 200
TOLERANCE = 1e-11  # on the gradient and the largest step, in prior standard deviations
#: Lines the timeline reads statements of (the Apple launch) rather than the fit.
TIMING_LINES = (APPLE_USERS,)


@dataclass(frozen=True)
class Transform:
    """A driver's parameter space: ``kind`` logit (between lo and hi), log (above lo) or identity."""

    kind: str
    lo: float
    hi: float

    def forward(self, x: Any) -> Any:
        if self.kind == "logit":
            p = (x - self.lo) / (self.hi - self.lo)
            return np.log(p / (1 - p))
        if self.kind == "log":
            return np.log(x - self.lo)
        return x

    def back(self, u: Any) -> Any:
        if self.kind == "logit":
            return self.lo + (self.hi - self.lo) / (1 + np.exp(-u))
        if self.kind == "log":
            return self.lo + np.exp(u)
        return u


def transform_of(driver: Any) -> Transform:
    lo, hi = driver.bounds
    if math.isfinite(lo) and math.isfinite(hi) and lo < driver.low and driver.high < hi and lo < driver.value < hi:
        return Transform("logit", lo, hi)
    if math.isfinite(lo) and lo < driver.low and lo < driver.value:
        return Transform("log", lo, math.inf)
    return Transform("identity", -math.inf, math.inf)


@dataclass
class Parameter:
    driver: str
    transform: Transform
    centre: float  # the prior's centre in the transformed space (the file value)
    scale: float  # the prior's standard deviation there ((T(high) − T(low)) ÷ 2 Z90)


def parameters(drivers: DriverSet, ids: set[str]) -> list[Parameter]:
    """The fit's parameters: ranged, non-derived drivers among ``ids`` whose range is not a point and whose
    file does not say ``fit = false`` (the Apple deal: an event no aggregate figure reports)."""
    out = []
    for driver_id in sorted(ids):
        d = drivers[driver_id]
        if d.kind in ("derived", "estimated") or not d.has_range or d.low == d.high or not d.fit:
            continue
        t = transform_of(d)
        scale = float((t.forward(d.high) - t.forward(d.low)) / (2 * Z90))
        if scale > 0 and math.isfinite(scale):
            out.append(Parameter(driver_id, t, float(t.forward(d.value)), scale))
    return out


@dataclass
class Residual:
    """One piece of evidence: what it is, where it comes from, how far the model is from it."""

    key: str  # "cloud.revenue.innovation@FY2026Q1", "cloud.ai.revenue_growth@FY2026Q2 ≥ 1"
    source: str
    kind: str  # innovation | bound | value


@dataclass
class Posterior:
    """The fit: posterior values, the Laplace covariance (standardised), the residuals and gains."""

    values: dict[str, float]
    records: list[dict[str, Any]]
    residuals: list[Residual]
    prior_residuals: np.ndarray  # the standardised residuals at the prior
    posterior_residuals: np.ndarray
    covariance: np.ndarray  # of the standardised parameters (z = (u − centre) ÷ scale)
    z: np.ndarray
    params: list[Parameter] = field(default_factory=list)
    iterations: int = 0
    gains: np.ndarray | None = None  # d z / d residual at the optimum (k × n): each surprise's share of each move

    def document(self) -> dict[str, Any]:
        """The fit as plain JSON (the update's cache entry)."""
        return {"values": self.values, "records": self.records, "iterations": self.iterations,
                "residuals": [[r.key, r.source, r.kind] for r in self.residuals],
                "prior_residuals": self.prior_residuals.tolist(), "posterior_residuals": self.posterior_residuals.tolist(),
                "covariance": self.covariance.tolist(), "z": self.z.tolist(),
                "params": [[p.driver, p.transform.kind, p.transform.lo, p.transform.hi, p.centre, p.scale] for p in self.params],
                "gains": None if self.gains is None else self.gains.tolist()}

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> Posterior:
        params = [Parameter(a, Transform(kind, lo, hi), centre, scale) for a, kind, lo, hi, centre, scale in d["params"]]
        k = len(params)
        return cls(d["values"], d["records"], [Residual(*r) for r in d["residuals"]], np.asarray(d["prior_residuals"], float),
                   np.asarray(d["posterior_residuals"], float), np.asarray(d["covariance"], float).reshape(k, k),
                   np.asarray(d["z"], float), params, d["iterations"],
                   None if d["gains"] is None else np.asarray(d["gains"], float).reshape(k, -1))

    def attribution(self) -> dict[str, dict[str, float]]:
        """Each moved driver's move (standardised) split over the residuals, exactly: the linear gain of
        each residual times its surprise at the prior, rescaled to add up to the move."""
        out: dict[str, dict[str, float]] = {}
        if self.gains is None or not len(self.residuals):
            return out
        linear = self.gains * (-self.prior_residuals)[None, :]
        for j, p in enumerate(self.params):
            total = float(linear[j].sum())
            if abs(self.z[j]) < 1e-12 or abs(total) < 1e-15:
                continue
            out[p.driver] = {r.key: float(linear[j, i] / total) for i, r in enumerate(self.residuals) if linear[j, i] != 0}
        return out


def fit(drivers: DriverSet, history: History, spreads: Mapping[str, float], after: int) -> Posterior:
    """The MAP fit of the drivers on the evidence of quarters after ``after`` (the report's origin)."""
    from cloudmodel.lineage import all_inputs

    last = history.last_quarter
    from cloudmodel.engine import make_timeline

    timeline = make_timeline(drivers, history, last + 1)
    params = parameters(drivers, all_inputs(drivers, history, timeline, formulas=False))
    statements = [o for o in history.observations if after < o.end <= last and o.line not in TIMING_LINES]
    k = len(params)
    z = np.zeros(k)
    r0, residuals = _evaluate(drivers, history, timeline, params, z[:, None], spreads, after, statements)
    if not residuals or k == 0:
        return _result(drivers, params, z, np.eye(k), residuals, r0[:, 0], r0[:, 0], None, 0)
    r, J = _jacobian(drivers, history, timeline, params, z, spreads, after, statements)
    cost, iterations = _cost(r, z), 0
    H = J.T @ J + np.eye(k)
    damping, grow = 1e-3 * float(np.max(np.diag(H))), 2.0
    for iterations in range(1, MAX_ITERATIONS + 1):  # noqa: B007 - the count is reported
        g = J.T @ r + z
        if float(np.max(np.abs(g))) < TOLERANCE:
            break
        step = -np.linalg.solve(H + damping * np.eye(k), g)
        trial = z + step
        r_trial, J_trial = _jacobian(drivers, history, timeline, params, trial, spreads, after, statements)
        cost_trial = _cost(r_trial, trial)
        predicted = -(g @ step + step @ H @ step / 2)
        ratio = (cost - cost_trial) / predicted if predicted > 0 else -1.0
        if ratio > 0:  # Levenberg–Marquardt with Nielsen's damping update
            z, r, J, cost = trial, r_trial, J_trial, cost_trial
            H = J.T @ J + np.eye(k)
            damping *= max(1 / 3, 1 - (2 * ratio - 1) ** 3)
            grow = 2.0
            if float(np.max(np.abs(step))) < TOLERANCE:
                break
        else:
            damping *= grow
            grow *= 2
            if damping > 1e12 * float(np.max(np.diag(H))):  # no step lowers the cost: the optimum, to rounding
                break
    z, r, J, iterations = _polish(drivers, history, timeline, params, z, r, J, spreads, after, statements, iterations)
    H = J.T @ J + np.eye(k)
    covariance = np.linalg.inv(H)
    gains = covariance @ J.T  # the optimum's sensitivity to each residual (a linearisation)
    return _result(drivers, params, z, covariance, residuals, r0[:, 0], r, gains, iterations)


#: Undamped Gauss–Newton steps after Levenberg–Marquardt stops, and the step they stop at: the
#: optimum to rounding, wherever the damped path ended (a residual that is zero there, such as a
#: quarter reported as forecast, then leaves the optimum exactly where it was).
POLISH_STEPS, POLISH_TOLERANCE = 8, 1e-14


def _polish(drivers, history, timeline, params, z, r, J, spreads, after, statements, iterations):
    gradient = float(np.max(np.abs(J.T @ r + z)))
    for _ in range(POLISH_STEPS):
        step = -np.linalg.solve(J.T @ J + np.eye(len(z)), J.T @ r + z)
        trial = z + step
        r_trial, J_trial = _jacobian(drivers, history, timeline, params, trial, spreads, after, statements)
        trial_gradient = float(np.max(np.abs(J_trial.T @ r_trial + trial)))
        if not trial_gradient < gradient:  # no nearer the stationary point: rounding is all that is left
            break
        z, r, J, gradient, iterations = trial, r_trial, J_trial, trial_gradient, iterations + 1
        if float(np.max(np.abs(step))) < POLISH_TOLERANCE:
            break
    return z, r, J, iterations


def _cost(r: np.ndarray, z: np.ndarray) -> float:
    return float(r @ r + z @ z) / 2


def _values(drivers: DriverSet, params: list[Parameter], z: np.ndarray) -> dict[str, Any]:
    """Driver values for standardised parameters ``z`` (k × cases)."""
    from cloudmodel.batch import values_with

    changes = {}
    for j, p in enumerate(params):
        lo, hi = drivers[p.driver].bounds
        changes[p.driver] = np.clip(p.transform.back(p.centre + p.scale * z[j]), lo, hi)
    return values_with(drivers, changes)


def _jacobian(drivers, history, timeline, params, z, spreads, after, statements) -> tuple[np.ndarray, np.ndarray]:
    """Residuals at ``z`` and their Jacobian by forward differences, in one batched run of k + 1 cases."""
    k = len(params)
    cases = np.repeat(z[:, None], k + 1, axis=1)
    cases[np.arange(k), np.arange(1, k + 1)] += STEP
    r, _ = _evaluate(drivers, history, timeline, params, cases, spreads, after, statements)
    return r[:, 0], (r[:, 1:] - r[:, :1]) / STEP


def _evaluate(drivers, history, timeline, params, z, spreads, after, statements) -> tuple[np.ndarray, list[Residual]]:
    """Standardised residuals (n × cases) at standardised parameters ``z`` (k × cases)."""
    from cloudmodel.engine import evaluate

    values = _values(drivers, params, z) if len(params) else drivers.values_by_id()
    evaluation = evaluate(values, history, timeline)
    n = z.shape[1]
    rows, residuals = [], []
    last = timeline.origin

    def add(value, key, source, kind):
        rows.append(np.broadcast_to(np.asarray(value, dtype=float), (n,)))
        residuals.append(Residual(key, source, kind))

    memo = evaluation.memo
    for q in range(after + 1, last + 1):
        e = memo["revenue_innovation"].get(q)
        if e is not None:
            add(e / spreads["revenue"], f"cloud.revenue@{quarter_label(q)}", history.source_of("cloud_revenue_rmb_mn", q),
                "innovation")
        gap, before = memo["margin_gap"].get(q), memo["margin_level"].get(q - 1)
        if gap is not None and before is not None:
            add((gap - before) / spreads["margin"], f"cloud.ebita@{quarter_label(q)}",
                history.source_of("cloud_adj_ebita_rmb_mn", q), "innovation")
    raw = None
    for o in statements:
        if raw is None:
            from cloudmodel.engine import to_raw

            raw = to_raw(evaluation)
        x = _line(raw, o)
        if x is None:
            continue
        add(*_statement_residual(o, x, spreads), o.source, "bound" if o.value is None else "value")
    return (np.vstack(rows) if rows else np.zeros((0, n))), residuals


def _line(raw: Any, o: Observation) -> Any:
    from cloudmodel.batch import line_value

    try:
        return line_value(raw, o.line, o.period)
    except (KeyError, IndexError, TypeError, ZeroDivisionError):
        return None


def _statement_residual(o: Observation, x: Any, spreads: Mapping[str, float]) -> tuple[Any, str]:
    """A statement's standardised residual: a bound's shortfall (0 when it holds), a value's gap."""
    from cloudmodel.quantities import LINES

    ratio = LINES[o.line].unit == "ratio"
    spread = spreads["ratio"] if ratio else spreads["line"]

    def gap(a, b):
        return (a - b) if ratio else (np.log(np.maximum(a, 1e-300)) - math.log(max(b, 1e-300)))

    if o.value is not None:
        return gap(x, o.value) / spread, f"{o.line}@{o.period} = {o.value:g}"
    if o.low is not None:
        return np.minimum(gap(x, o.low), 0.0) / spread, f"{o.line}@{o.period} ≥ {o.low:g}"
    return np.maximum(gap(x, o.high), 0.0) / spread, f"{o.line}@{o.period} ≤ {o.high:g}"


def _result(drivers, params, z, covariance, residuals, r_prior, r_post, gains, iterations) -> Posterior:
    values, records = {}, []
    sd = np.sqrt(np.clip(np.diag(covariance), 0, None)) if len(params) else np.zeros(0)
    for j, p in enumerate(params):
        d = drivers[p.driver]
        lo, hi = d.bounds

        def back(zj, p=p, lo=lo, hi=hi):
            return float(min(hi, max(lo, p.transform.back(p.centre + p.scale * zj))))

        value = back(z[j]) if abs(z[j]) > 1e-12 else d.value
        if value != d.value:
            values[p.driver] = value
        tolerance = 1e-9 * max(1.0, abs(d.value))
        records.append({"driver": p.driver, "prior": d.value, "posterior": value, "p5": back(z[j] - Z90 * sd[j]),
                        "p95": back(z[j] + Z90 * sd[j]), "low": d.low, "high": d.high, "unit": d.unit,
                        "change": value - d.value, "sd_ratio": float(sd[j]),
                        "outside_range": bool(value < d.low - tolerance or value > d.high + tolerance)})
    records.sort(key=lambda r: -abs(r["change"]) / (abs(r["high"] - r["low"]) or 1.0))
    return Posterior(values, records, residuals, np.asarray(r_prior, dtype=float), np.asarray(r_post, dtype=float),
                     covariance, z, params, iterations, gains)


__all__ = ["Posterior", "Parameter", "Transform", "fit", "parameters", "transform_of"]
