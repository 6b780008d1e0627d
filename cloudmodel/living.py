"""The update at an origin: what every verb's run stands on (docs/backtesting.md §4).

Given the drivers of the files and the history as known at the origin, :func:`update_at` makes one
deterministic update — no draws, no seed:

1. **The residual states' gains**, estimated on the reported quarters known at the origin up to the
   report's origin, and held from there on (a rule fixed before the first origin the update
   serves: the quarters reported later then only filter the states, so a quarter reported as
   forecast changes nothing and one reported above it raises the next by a fixed share of the
   surprise): the revenue state's level gain α, trend gain β and damping φ minimise the sum of
   squared one-step innovations of the growth gaps (a fixed grid, with α(1 + β) ≤ 1 and φ ≤ 0.9 so
   that a surprise raises the next quarter's forecast by less than itself); the margin state's
   gain α_m minimises the margin innovations. Their spreads σ follow, with the prior spreads of ``drivers/living.toml``
   counted as ``living.prior_weight`` pseudo-innovations and the degrees of freedom the estimated
   gains use up taken off (bands use the Student t quantile of those degrees of freedom). With too few quarters to tell, a stated
   rule: the latest gap carries (α = 1, β = 0, φ = 1).
2. **The drivers**, updated on the evidence reported after the report's origin
   (:mod:`cloudmodel.posterior`: a MAP fit with a Laplace approximation).

The gains enter the graph as drivers of kind ``estimated`` (``living.revenue_level_gain`` …), so
lineage, ``trace``, the workbook and every verb see them; the states themselves are quantities
(:mod:`cloudmodel.quantities.state`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudmodel.inputs.drivers import Driver, DriverSet
from cloudmodel.inputs.history import History
from cloudmodel.periods import quarter_label
from cloudmodel.quantities.state import DAMPING, LEVEL_GAIN, MARGIN_GAIN, TREND_GAIN

#: The grid the gains are estimated on: a fixed rule. Steps of 0.05 are finer than a dozen quarters
#: can tell apart. The damping takes the lower half of ETS practice's range (0.8 to 0.98), 0.9 and
#: 0.8; the gains keep α(1 + β) ≤ 1 and pass on at most MAX_PASS of a surprise to the next quarter,
#: α(1 + φβ) ≤ 0.95, which leaves room for the drivers' share under the partial-adjustment rule (a
#: surprise moves the next quarter by less than itself): with φ = 1 allowed the grid's edge passes a
#: surprise on whole, and a 10% surprise moved the next quarter by 10.2%.
GAIN_STEPS = 20
DAMPINGS = (0.9, 0.8)
MAX_PASS = 0.95
#: Fewer gaps than this and the revenue state's three gains are not estimated (the latest gap carries:
#: α = 1, β = 0, φ = 1): a least-squares fit needs more innovations than parameters, so four innovations
#: (five gaps) at least. The margin state's one gain needs two innovations (three gaps).
MIN_GAPS = 5
MIN_MARGIN_GAPS = 3
CARRY = {LEVEL_GAIN: 1.0, TREND_GAIN: 0.0, DAMPING: 1.0, MARGIN_GAIN: 1.0}
LABELS = {
    LEVEL_GAIN: "Revenue state: level gain α (share of a growth surprise the level takes)",
    TREND_GAIN: "Revenue state: trend gain β (share of the level's move the slope takes)",
    DAMPING: "Revenue state: damping φ of the slope, per quarter",
    MARGIN_GAIN: "Margin state: level gain α_m (share of a margin surprise the level takes)",
}


@dataclass(eq=False)
class Update:
    """The update at an origin: the updated drivers, the states' gains and spreads, and what each
    reported row did."""

    drivers: DriverSet
    origin: int  # the last reported quarter
    gains: dict[str, float]
    spreads: dict[str, float]  # revenue (log) and margin (ratio) one-step spreads
    gaps: dict[str, dict[str, float]] = field(default_factory=dict)  # revenue and margin gaps by quarter, base drivers
    records: list[dict[str, Any]] = field(default_factory=list)  # per driver: prior, posterior, band
    evidence: list[dict[str, Any]] = field(default_factory=list)  # per reported row: how it was used
    why: dict[str, str] = field(default_factory=dict)  # how each gain was set
    posterior_document: Any = field(default=None, repr=False)  # the fit, as the cache keeps it
    _posterior: Any = field(default=None, repr=False)

    @property
    def posterior(self) -> Any:
        """The drivers' fit (:class:`cloudmodel.posterior.Posterior`), rebuilt from the cache if need be;
        None where nothing was reported after the report's origin."""
        if self._posterior is None and self.posterior_document is not None:
            from cloudmodel.posterior import Posterior

            self._posterior = Posterior.from_document(self.posterior_document)
        return self._posterior

    @posterior.setter
    def posterior(self, value: Any) -> None:
        self._posterior = value

    def describe(self) -> dict[str, Any]:
        return {"origin": quarter_label(self.origin), "gains": self.gains, "spreads": self.spreads,
                "drivers_updated": {r["driver"]: r["posterior"] for r in self.records if r["posterior"] != r["prior"]},
                "method": "residual states: damped local linear trend (revenue growth gap) and local level (margin gap), "
                          "gains by least squares of one-step innovations on a fixed grid; drivers: MAP with a Laplace "
                          "approximation on what was reported after the report's origin"}


def settings(drivers: DriverSet) -> dict[str, float]:
    """The living model's own assumptions (``drivers/living.toml``) by short name."""
    return {k.partition(".")[2]: d.value for k, d in drivers.items() if k.startswith("living.") and d.kind != "estimated"}


def estimated_driver(driver_id: str, value: float, origin: int, why: str) -> Driver:
    label = quarter_label(origin)
    return Driver(id=driver_id, label=LABELS[driver_id], value=value, unit="ratio", period=label, kind="estimated",
                  file=f"(estimated at {label})", theme="The living model", bounds=(0.0, 1.0), reason=why)


def with_gains(drivers: DriverSet, gains: Mapping[str, float], origin: int, why: Mapping[str, str]) -> DriverSet:
    return drivers.updated({}, [estimated_driver(k, v, origin, why[k]) for k, v in gains.items()])


def _graph_gaps(drivers: DriverSet, history: History) -> tuple[dict[int, float], dict[int, float]]:
    """The revenue and margin gaps of every reported quarter, by the drivers (the gains do not enter)."""
    from cloudmodel.engine import evaluate, make_timeline

    origin = history.last_quarter
    timeline = make_timeline(drivers, history, origin + 1)
    evaluation = evaluate(with_gains(drivers, CARRY, origin, {k: "" for k in CARRY}).values_by_id(), history, timeline,
                          names=_gap_quantities())
    revenue = {q: v for q, v in evaluation.memo["revenue_gap"].items() if v is not None and q <= origin}
    margin = {q: v for q, v in evaluation.memo["margin_gap"].items() if v is not None and q <= origin}
    return revenue, margin


def _gap_quantities() -> list[str]:
    from cloudmodel.graph import QUANTITIES

    return [name for name in QUANTITIES if name in ("revenue_gap", "margin_gap")]


def holt_innovations(gaps: list[float], alpha: float, beta: float, phi: float) -> list[float]:
    """One-step innovations of the damped local linear trend on ``gaps`` (the first initialises
    the level; the slope starts at 0) — the recursion of :mod:`cloudmodel.quantities.state`."""
    level, slope, out = gaps[0], 0.0, []
    for gap in gaps[1:]:
        prediction = level + phi * slope
        e = gap - prediction
        out.append(e)
        level, slope = prediction + alpha * e, phi * slope + alpha * beta * e
    return out


def level_innovations(gaps: list[float], alpha: float) -> list[float]:
    level, out = gaps[0], []
    for gap in gaps[1:]:
        out.append(gap - level)
        level += alpha * (gap - level)
    return out


def _grid() -> list[tuple[float, float, float]]:
    steps = [k / GAIN_STEPS for k in range(GAIN_STEPS + 1)]
    return [(a, b, phi) for phi in DAMPINGS for b in steps for a in reversed(steps[1:])
            if a * (1 + b) <= 1 + 1e-12 and a * (1 + phi * b) <= MAX_PASS + 1e-12]


def estimate_gains(revenue: list[float], margin: list[float], prior: Mapping[str, float],
                   held: tuple[int, int] | None = None) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """The gains and spreads from the gaps (in quarter order); see the module docstring. ``held``: how
    many of the revenue and margin gaps the gains are estimated on (those up to the report's origin,
    for a later origin); the spreads use them all."""
    gains, why = dict(CARRY), {}
    n0 = prior["prior_weight"]
    n_rev, n_mar = held if held is not None else (len(revenue), len(margin))
    until = "up to the report's origin (held since)" if held is not None else "known at the origin"
    if n_rev >= MIN_GAPS:
        best = min(_grid(), key=lambda p: sum(e * e for e in holt_innovations(revenue[:n_rev], *p)))
        gains[LEVEL_GAIN], gains[TREND_GAIN], gains[DAMPING] = best
        text = f"least squares of the one-step innovations of the {n_rev} growth gaps {until}"
    else:
        text = f"only {n_rev} growth gaps {until}: the stated rule, the latest gap carries"
    for key in (LEVEL_GAIN, TREND_GAIN, DAMPING):
        why[key] = text
    if n_mar >= MIN_MARGIN_GAPS:
        steps = [k / GAIN_STEPS for k in range(1, GAIN_STEPS + 1)]
        gains[MARGIN_GAIN] = min(reversed(steps), key=lambda a: sum(e * e for e in level_innovations(margin[:n_mar], a)))
        why[MARGIN_GAIN] = f"least squares of the one-step innovations of the {n_mar} margin gaps {until}"
    else:
        why[MARGIN_GAIN] = f"only {n_mar} margin gaps {until}: the stated rule, the latest gap carries"
    e_rev = holt_innovations(revenue, gains[LEVEL_GAIN], gains[TREND_GAIN], gains[DAMPING]) if revenue else []
    e_mar = level_innovations(margin, gains[MARGIN_GAIN]) if margin else []
    # degrees of freedom: innovations less the gains estimated on them, plus the prior's pseudo-innovations
    dof_rev = len(e_rev) - (3 if len(revenue) >= MIN_GAPS else 0) + n0
    dof_mar = len(e_mar) - (1 if len(margin) >= MIN_MARGIN_GAPS else 0) + n0
    spreads = {"revenue": math.sqrt((sum(e * e for e in e_rev) + n0 * prior["surprise_sd_prior"] ** 2) / max(dof_rev, n0)),
               "revenue_dof": max(dof_rev, n0),
               "margin": math.sqrt((sum(e * e for e in e_mar) + n0 * prior["ratio_sd"] ** 2) / max(dof_mar, n0)),
               "margin_dof": max(dof_mar, n0)}
    return gains, spreads, why


#: Rounds of (gains on the drivers' gaps, then the drivers on those gains) before the two agree.
MAX_ROUNDS = 4


def fit_spreads(prior: Mapping[str, float]) -> dict[str, float]:
    """The spreads the drivers' fit weighs evidence by: fixed by a stated rule (the prior spreads of
    drivers/living.toml), so that a quarter reported as forecast changes no weight."""
    return {"revenue": prior["surprise_sd_prior"], "margin": prior["ratio_sd"], "ratio": prior["ratio_sd"],
            "line": prior["line_sd"]}


def update_at(base: DriverSet, history: History) -> Update:
    """The update at the history's last reported quarter (:func:`make_update`), read from the cache when
    the same drivers, history and code made it before (the fit imports numpy and runs the engine a few
    dozen times; ``forecast`` must stay fast)."""
    from cloudmodel.inputs import cache

    key = _key(base, history)
    document = cache.load(key, base.directory, kind="update")
    if document is not None:
        try:
            return _from_document(base, document)
        except (KeyError, TypeError, ValueError):
            pass
    update = make_update(base, history)
    cache.store(key, _document(update), kind="update")
    return update


def _key(base: DriverSet, history: History) -> str:
    import hashlib
    import json

    from cloudmodel.inputs import cache

    what = {"code": cache.source_version(), "drivers": base.files_hash,
            "values": sorted((k, d.value) for k, d in base.items()),
            "quarterly": sorted((m, sorted(s.items())) for m, s in history.quarterly.items()),
            "annual": sorted((m, sorted(s.items())) for m, s in history.annual.items()),
            "observations": [(o.line, o.period, o.value, o.low, o.high) for o in history.observations],
            "derived": sorted(map(str, history.derived))}
    return hashlib.sha256(json.dumps(what, default=str).encode()).hexdigest()


def _document(update: Update) -> dict[str, Any]:
    p = update.posterior
    return {"origin": update.origin, "gains": update.gains, "spreads": update.spreads, "why": update.why,
            "gaps": update.gaps, "records": update.records, "evidence": update.evidence,
            "changes": {k: v for k, (_, v) in update.drivers.updates.items()},
            "posterior": None if p is None else p.document()}


def _from_document(base: DriverSet, document: dict[str, Any]) -> Update:
    origin = int(document["origin"])
    drivers = with_gains(base.updated(document["changes"]), document["gains"], origin, document["why"])
    update = Update(drivers, origin, document["gains"], document["spreads"], document["gaps"], document["records"],
                    document["evidence"], why=document["why"])
    update.posterior_document = document["posterior"]
    return update


def make_update(base: DriverSet, history: History) -> Update:
    """The update at the history's last reported quarter (see the module docstring): the gains on the
    drivers' gaps, the drivers on the evidence after the report's origin given the gains, and again
    until the gains the updated drivers' gaps give are the gains the drivers were fitted with."""
    from cloudmodel.engine import report_origin

    origin, after = history.last_quarter, report_origin(base)
    prior = settings(base)
    drivers, posterior, fitted_with = base, None, None
    for _ in range(MAX_ROUNDS):
        revenue, margin = _graph_gaps(drivers, history)
        held = (sum(q <= after for q in revenue), sum(q <= after for q in margin)) if origin > after else None
        gains, spreads, why = estimate_gains([revenue[q] for q in sorted(revenue)], [margin[q] for q in sorted(margin)], prior,
                                             held)
        if posterior is not None and gains == fitted_with:
            break
        if origin <= after:
            break
        from cloudmodel.posterior import fit

        posterior = fit(with_gains(base, gains, origin, why), history, fit_spreads(prior), after)
        fitted_with = gains
        drivers = base.updated(posterior.values)
    drivers = with_gains(drivers, gains, origin, why)
    update = Update(drivers, origin, gains, spreads,
                    {"revenue": {quarter_label(q): v for q, v in sorted(revenue.items())},
                     "margin": {quarter_label(q): v for q, v in sorted(margin.items())}}, why=why)
    if posterior is not None:
        update.records = posterior.records
        update.evidence = [{"evidence": r.key, "kind": r.kind, "source": r.source, "at_prior": float(a),
                            "at_posterior": float(b)} for r, a, b in zip(posterior.residuals, posterior.prior_residuals,
                                                                         posterior.posterior_residuals, strict=True)]
        update.posterior = posterior
    return update


__all__ = ["Update", "update_at", "estimate_gains", "holt_innovations", "level_innovations", "settings"]
