"""The update at an origin: what every verb's run stands on (docs/backtesting.md §4).

Given the drivers of the files and the history as known at the origin, :func:`update_at` makes one
deterministic update — no draws, no seed:

1. **The residual states' parameters.** The revenue state's seasonal q/q pattern
   (``living.revenue_season_q1`` … ``_q4``): each fiscal quarter's mean log q/q growth of reported
   cloud revenue, less the mean of the four, over the quarters known at the origin up to the
   report's origin, and held from there on (a rule fixed before the first origin the update serves:
   the quarters reported later only filter the states, so a quarter reported as forecast changes
   nothing). Until every fiscal quarter has a q/q growth the pattern is unknown and the latest gap
   carries. The margin state's gain α_m minimises the margin innovations on a fixed grid (held in the
   same way). The states' spreads σ follow from their innovations, with the prior spreads of
   ``drivers/living.toml`` counted as ``living.prior_weight`` pseudo-innovations and the degrees of
   freedom the estimated parameters use up taken off (bands use the Student t quantile of those
   degrees of freedom). The damping φ of the revenue state's slope is an assumption of the file.
2. **The drivers**, updated on the evidence reported after the report's origin
   (:mod:`cloudmodel.posterior`: a MAP fit with a Laplace approximation).

The estimated parameters enter the graph as drivers of kind ``estimated`` (``living.revenue_season_q1`` …), so
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
from cloudmodel.periods import QUARTERS_PER_YEAR, fiscal_parts, quarter_label
from cloudmodel.quantities.state import MARGIN_GAIN, SEASON

#: The grid the margin gain is estimated on: a fixed rule. Steps of 0.05 are finer than a dozen
#: quarters can tell apart.
GAIN_STEPS = 20
#: Fewer margin gaps than this and the margin gain is not estimated (the latest gap carries): two
#: innovations at least.
MIN_MARGIN_GAPS = 3
CARRY = {MARGIN_GAIN: 1.0}
#: The seasonal pattern's free parameters (four quarters less their centring), taken off the revenue
#: spread's degrees of freedom.
SEASON_PARAMETERS = QUARTERS_PER_YEAR - 1
LABELS = {
    **{driver_id: f"Revenue state: seasonal log q/q growth of fiscal Q{k}, less the mean of the four"
       for k, driver_id in SEASON.items()},
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
                "method": "residual states: damped local linear trend on the log level of cloud revenue over the drivers' "
                          "(level the reported quarter, slope the latest deseasonalised excess growth, damped by "
                          "living.revenue_damping; seasonal pattern estimated) and local level (margin gap, gain by least "
                          "squares on a fixed grid); drivers: MAP with a Laplace approximation on what was reported after "
                          "the report's origin"}


def settings(drivers: DriverSet) -> dict[str, float]:
    """The living model's own assumptions (``drivers/living.toml``) by short name."""
    return {k.partition(".")[2]: d.value for k, d in drivers.items() if k.startswith("living.") and d.kind != "estimated"}


def estimated_driver(driver_id: str, value: float, origin: int, why: str) -> Driver:
    label = quarter_label(origin)
    return Driver(id=driver_id, label=LABELS[driver_id], value=value, unit="ratio", period=label, kind="estimated",
                  file=f"(estimated at {label})", theme="The living model", bounds=(-1.0, 1.0) if driver_id in SEASON.values()
                  else (0.0, 1.0), reason=why)


def with_gains(drivers: DriverSet, gains: Mapping[str, float], origin: int, why: Mapping[str, str]) -> DriverSet:
    return drivers.updated({}, [estimated_driver(k, v, origin, why[k]) for k, v in gains.items()])


def _graph_gaps(drivers: DriverSet, history: History) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
    """The revenue gaps, revenue innovations and margin gaps of every reported quarter, by the drivers
    (with the seasonal pattern; the margin gain does not enter)."""
    from cloudmodel.engine import evaluate, make_timeline

    origin = history.last_quarter
    timeline = make_timeline(drivers, history, origin + 1)
    carry = {k: v for k, v in CARRY.items() if k not in drivers}
    evaluation = evaluate(with_gains(drivers, carry, origin, dict.fromkeys(carry, "")).values_by_id(), history, timeline,
                          names=_gap_quantities())

    def reported(name: str) -> dict[int, float]:
        return {q: v for q, v in evaluation.memo[name].items() if v is not None and q <= origin}

    return reported("revenue_gap"), reported("revenue_innovation"), reported("margin_gap")


def _gap_quantities() -> list[str]:
    from cloudmodel.graph import QUANTITIES

    return [name for name in QUANTITIES if name in ("revenue_gap", "revenue_innovation", "margin_gap")]


def seasonal_pattern(history: History, until: int) -> tuple[dict[str, float], str]:
    """The revenue state's seasonal q/q pattern from the reported cloud revenue up to ``until``: each
    fiscal quarter's mean log q/q growth less the mean of the four (so that a year's pattern adds up
    to nothing); {} until every fiscal quarter has one. Closed form: no optimiser, no seed."""
    revenue = {q: v for q, v in history.quarterly.get("cloud_revenue_rmb_mn", {}).items() if q <= until}
    growth: dict[int, list[float]] = {}
    for q in sorted(revenue):
        if q - 1 in revenue and revenue[q] > 0 and revenue[q - 1] > 0:
            growth.setdefault(fiscal_parts(q)[1], []).append(math.log(revenue[q] / revenue[q - 1]))
    if len(growth) < QUARTERS_PER_YEAR:
        return {}, f"q/q growths of {len(growth)} fiscal quarters by {quarter_label(until)}: no pattern yet, the latest gap carries"
    means = {k: sum(v) / len(v) for k, v in growth.items()}
    centre = sum(means.values()) / QUARTERS_PER_YEAR
    n = sum(len(v) for v in growth.values())
    return ({SEASON[k]: means[k] - centre for k in sorted(means)},
            f"mean log q/q growth of the fiscal quarter less the mean of the four, {n} q/q growths to {quarter_label(until)}")


def level_innovations(gaps: list[float], alpha: float) -> list[float]:
    level, out = gaps[0], []
    for gap in gaps[1:]:
        out.append(gap - level)
        level += alpha * (gap - level)
    return out


def estimate_gains(innovations: list[float], margin: list[float], prior: Mapping[str, float], seasonal: bool,
                   held: int | None = None) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """The margin gain and both spreads (see the module docstring): ``innovations`` are the revenue
    state's one-step innovations known at the origin, ``margin`` the margin gaps (in quarter order),
    ``seasonal`` whether the seasonal pattern was estimated; ``held``: how many margin gaps the gain is
    estimated on (those up to the report's origin, for a later origin); the spreads use them all."""
    gains, why = dict(CARRY), {}
    n0 = prior["prior_weight"]
    n_mar = held if held is not None else len(margin)
    until = "up to the report's origin (held since)" if held is not None else "known at the origin"
    if n_mar >= MIN_MARGIN_GAPS:
        steps = [k / GAIN_STEPS for k in range(1, GAIN_STEPS + 1)]
        gains[MARGIN_GAIN] = min(reversed(steps), key=lambda a: sum(e * e for e in level_innovations(margin[:n_mar], a)))
        why[MARGIN_GAIN] = f"least squares of the one-step innovations of the {n_mar} margin gaps {until}"
    else:
        why[MARGIN_GAIN] = f"only {n_mar} margin gaps {until}: the stated rule, the latest gap carries"
    e_mar = level_innovations(margin, gains[MARGIN_GAIN]) if margin else []
    # degrees of freedom: innovations less the parameters estimated on them, plus the prior's pseudo-innovations
    dof_rev = len(innovations) - (SEASON_PARAMETERS if seasonal else 0) + n0
    dof_mar = len(e_mar) - (1 if len(margin) >= MIN_MARGIN_GAPS else 0) + n0
    spreads = {"revenue": math.sqrt((sum(e * e for e in innovations) + n0 * prior["surprise_sd_prior"] ** 2) / max(dof_rev, n0)),
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
    """The update at the history's last reported quarter (see the module docstring): the seasonal
    pattern from the reported revenue, the margin gain on the drivers' margin gaps, the drivers on the
    evidence after the report's origin given both, and again until the gain the updated drivers' gaps
    give is the gain the drivers were fitted with."""
    from cloudmodel.engine import report_origin

    origin, after = history.last_quarter, report_origin(base)
    prior = settings(base)
    season, season_why = seasonal_pattern(history, min(origin, after))
    if season and origin > after:
        season_why += " (held since the report's origin)"
    seasoned = with_gains(base, season, origin, dict.fromkeys(season, season_why))
    drivers, posterior, fitted_with = seasoned, None, None
    for _ in range(MAX_ROUNDS):
        revenue, innovations, margin = _graph_gaps(drivers, history)
        held = sum(q <= after for q in margin) if origin > after else None
        gains, spreads, why = estimate_gains([innovations[q] for q in sorted(innovations)], [margin[q] for q in sorted(margin)],
                                             prior, bool(season), held)
        if posterior is not None and gains == fitted_with:
            break
        if origin <= after:
            break
        from cloudmodel.posterior import fit

        posterior = fit(with_gains(seasoned, gains, origin, why), history, fit_spreads(prior), after)
        fitted_with = gains
        drivers = seasoned.updated(posterior.values)
    gains, why = {**season, **gains}, {**dict.fromkeys(season, season_why), **why}
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


__all__ = ["Update", "update_at", "estimate_gains", "level_innovations", "seasonal_pattern", "settings"]
