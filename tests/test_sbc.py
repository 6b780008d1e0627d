"""Simulation-based calibration of the update (issue 19; Talts et al. 2018).

Each replicate draws "true" drivers from the update's prior (every fitted driver: the report's range is
its 90% interval in the transformed space), generates the four quarters after the report's origin from
the model with those drivers — the revenue state's innovations drawn at the fit's revenue spread, the
margin state's at its margin spread, exactly the likelihood the fit assumes — then updates on them and
checks whether each driver's 90% posterior band holds the true value. Over the replicates, the drivers
the data inform (posterior spread below 0.9 of the prior's) must be covered 80–100% of the time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cloudmodel.basis import prepare
from cloudmodel.engine import evaluate, make_timeline
from cloudmodel.inputs.actuals import Actual, Actuals, as_known
from cloudmodel.living import fit_spreads, settings
from cloudmodel.periods import quarter_label
from cloudmodel.posterior import Z90, _values, parameters

REPLICATES = 40  # our choice: the coverage of 40 draws has a standard error of 5 points at 90%
QUARTERS = 4  # the quarters generated: up to the first whose year-earlier quarter is generated too
INFORMED = 0.9  # a driver the data inform: they took at least a tenth of its prior spread


def _generate(rb, params, z_true, rng, spreads):
    """Four quarters of cloud revenue and EBITA from the model with the drivers at ``z_true``."""
    origin = rb.origin
    values = {k: np.atleast_1d(v)[0] if isinstance(v, np.ndarray) else v for k, v in _values(rb.drivers, params, z_true[:, None]).items()}
    quarters = range(origin + 1, origin + QUARTERS + 1)
    shocks = {"revenue": {q: spreads["revenue"] * rng.standard_normal() for q in quarters}}
    ev = evaluate(values, rb.history, make_timeline(rb.drivers, rb.history, origin + QUARTERS), shocks=shocks)
    m = ev.memo
    revenue = {q: m["non_ai_forecast"][q] * math.exp(m["revenue_gap"][q]) + m["cloud_ai_revenue"][q] for q in quarters}
    # the EBITA formula of a quarter whose revenue is reported, then the margin state's innovations
    known = as_known(rb.history, Actuals("r", [Actual("cloud.revenue", quarter_label(q), revenue[q], i) for i, q in enumerate(quarters)]))
    ev2 = evaluate(values, known, make_timeline(rb.drivers, known, origin + QUARTERS + 1))
    level, alpha = ev2.memo["margin_level"][origin], values["living.margin_level_gain"]
    ebita = {}
    for q in quarters:
        gap = level + spreads["margin"] * rng.standard_normal()
        ebita[q] = ev2.memo["ebita_formula"][q] + gap * revenue[q]
        level += alpha * (gap - level)
    rows = [Actual("cloud.revenue", quarter_label(q), revenue[q], 2 * i) for i, q in enumerate(quarters)]
    rows += [Actual("cloud.ebita", quarter_label(q), ebita[q], 2 * i + 1) for i, q in enumerate(quarters)]
    return Actuals("generated", rows)


@pytest.fixture(scope="module")
def replicates(drivers, history):
    rb = prepare(drivers, history=history, origin="report")
    from cloudmodel.lineage import all_inputs

    timeline = make_timeline(rb.drivers, rb.history, rb.origin + QUARTERS + 1)
    params = parameters(rb.drivers, all_inputs(rb.drivers, rb.history, timeline, formulas=False))
    spreads = fit_spreads(settings(rb.drivers))
    rng = np.random.default_rng(20180401)  # a fixed seed: the test is the same on every run
    out = []
    for _ in range(REPLICATES):
        z_true = rng.standard_normal(len(params))
        actuals = _generate(rb, params, z_true, rng, spreads)
        posterior = prepare(drivers, history=history, actuals=actuals, origin="report").living.posterior
        index = {p.driver: j for j, p in enumerate(posterior.params)}
        sd = np.sqrt(np.clip(np.diag(posterior.covariance), 0, None))
        for j, p in enumerate(params):
            k = index[p.driver]
            out.append((p.driver, abs(posterior.z[k] - z_true[j]) <= Z90 * sd[k], sd[k]))
    return out, params


def test_the_posterior_bands_of_informed_drivers_cover_the_truth(replicates):
    out, params = replicates
    informed = [covered for _, covered, sd in out if sd < INFORMED]
    assert len(informed) >= REPLICATES  # the data inform at least one driver a replicate
    coverage = sum(informed) / len(informed)
    print(f"SBC: {len(informed)} informed driver-replicates, coverage {coverage:.1%}")  # shown with -s
    assert 0.80 <= coverage <= 1.0, coverage


def test_the_drivers_the_data_do_not_inform_keep_their_prior(replicates):
    out, _ = replicates
    uninformed = [covered for _, covered, sd in out if sd >= 0.99]
    assert uninformed and 0.80 <= sum(uninformed) / len(uninformed) <= 1.0


def test_coverage_by_driver_is_not_hidden_by_the_average(replicates):
    """No informed driver is covered less than 60% of the time (a driver biased by the model's
    structure would show up here, even if the average held)."""
    out, _ = replicates
    by_driver: dict[str, list[bool]] = {}
    for driver, covered, sd in out:
        if sd < INFORMED:
            by_driver.setdefault(driver, []).append(covered)
    assert by_driver
    worst = {d: sum(c) / len(c) for d, c in by_driver.items() if len(c) >= REPLICATES // 2}
    assert all(v >= 0.6 for v in worst.values()), worst

