"""The quantity graph: a slow, readable reference evaluator (plain recursion with memoisation,
scalar) and the engine's vectorised loop agree on every line and period; the loop runs in
dependency order; every quantity documents its unit and formula."""

from __future__ import annotations

import ast
import inspect
import re

import numpy as np
import pytest

from cloudmodel.batch import values_with
from cloudmodel.engine import evaluate, make_timeline, observed
from cloudmodel.graph import QUANTITIES, reference
from cloudmodel.model import scenario_drivers
from cloudmodel.periods import fiscal_index

TOLERANCE = 1e-9  # relative
DRAWS = 6


def _timeline(drivers, history):
    return make_timeline(drivers, history, fiscal_index(2028, 4))


def _agree(fast, slow, draw=None):
    """Every output line's value at every period: fast (maybe an array, take ``draw``) against slow."""
    compared = 0
    for name, by_period in slow.items():
        for at, expected in by_period.items():
            got = fast.memo[name][at]
            if expected is None:
                assert got is None, (name, at)
                continue
            got = float(np.asarray(got, dtype=float).reshape(-1)[draw]) if draw is not None and np.ndim(got) else float(got)
            assert got == pytest.approx(expected, rel=TOLERANCE, abs=1e-9), (name, at, draw)
            compared += 1
    return compared


@pytest.mark.parametrize("scenario", ["base", "bear", "bull"])
def test_reference_and_engine_agree_on_every_line(on, scenario):
    drivers, history = on
    driver_set = scenario_drivers(drivers, scenario)
    timeline = _timeline(driver_set, history)
    values = driver_set.values_by_id()
    fast = evaluate(values, history, timeline)
    slow = reference(values, history, timeline, observed(history))
    assert _agree(fast, slow) > 900


def test_reference_and_engine_agree_on_random_draws(on):
    drivers, history = on
    rng = np.random.default_rng(10)
    ranged = sorted(k for k, d in drivers.items() if d.has_range and d.kind != "derived" and d.low != d.high)
    changes = {k: drivers[k].low + rng.random(DRAWS) * (drivers[k].high - drivers[k].low) for k in ranged}
    changes["ai.penetration_target"] = np.minimum(changes["ai.penetration_target"], 0.9 * changes["ai.penetration_ceiling"])
    timeline = _timeline(drivers, history)
    fast = evaluate(values_with(drivers, changes), history, timeline)
    seen = observed(history)
    for i in range(DRAWS):
        one = values_with(drivers, {k: float(v[i]) for k, v in changes.items()})
        assert _agree(fast, reference(one, history, timeline, seen), draw=i) > 900


def test_the_loop_runs_in_dependency_order(on):
    """Declaration order is a dependency order: only the stocks at the end of the quarter before the
    first are computed out of the loop's order, and the residual states and what their gaps read, which a
    forecast quarter's bases read before the states' place in the loop (each reported quarter once)."""
    drivers, history = on
    timeline = _timeline(drivers, history)
    evaluation = evaluate(drivers.values_by_id(), history, timeline)
    states = 21 * (timeline.origin - timeline.first + 2)  # the states' quantities and their gaps' inputs, per reported quarter
    assert evaluation.forward_references <= 6 + states


def test_every_quantity_states_its_unit_and_formula():
    for name, quantity in QUANTITIES.items():
        assert re.search(r"\[[^\]]+\]", quantity.doc), f"{name}: no [unit] in its docstring"
        assert "=" in quantity.doc or ":" in quantity.doc, f"{name}: no formula"
        assert not re.fullmatch(r"[a-z]{1,3}", name), name


def test_quantities_read_only_through_the_context():
    """A quantity takes the context alone and never touches a driver mapping itself."""
    import sys

    for name, quantity in QUANTITIES.items():
        assert list(inspect.signature(quantity.function).parameters) == ["model"], name
        # the whole module: a quantity made by a factory (the layers' gross profit and EBITA) runs its helper
        source = inspect.getsource(sys.modules[quantity.function.__module__])
        assert "values[" not in source and ".values_by_id" not in source, name


def test_no_function_is_longer_than_80_lines():
    import cloudmodel.engine
    import cloudmodel.graph
    import cloudmodel.lineage
    import cloudmodel.quantities

    modules = [cloudmodel.engine, cloudmodel.graph, cloudmodel.lineage,
               *[m for m in cloudmodel.quantities.MODULES]]
    for module in modules:
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 80, (module.__name__, node.name)


def test_lines_page_is_current(basis):
    from cloudmodel.present.docs import render_lines

    from .conftest import ROOT

    committed = (ROOT / "docs" / "lines.md").read_text(encoding="utf-8")
    assert committed == render_lines(basis.drivers, basis.history), "docs/lines.md is stale: run python -m cloudmodel.present.docs"


# --------------------------------------------------------------------------- quantities on their own

def _evaluation(drivers, history, overrides=None):
    from cloudmodel.graph import Evaluation

    driver_set = drivers.with_overrides(overrides) if overrides else drivers
    timeline = _timeline(driver_set, history)
    return Evaluation(driver_set.values_by_id(), history, timeline, observed(history)), timeline


def test_back_cast_penetration_by_hand(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    """A year before December 2024: c₀ / (1 + exp(ln(c₀/p₀ − 1) + k)), whatever the target."""
    import math

    for target in (0.15, 0.30):
        evaluation, t = _evaluation(drivers, history, {"ai.penetration_target": target})
        c0, p0, k = 0.40, 330_000 / 4_000_000, drivers["ai.adoption_rate_past"].value
        expected = c0 / (1 + math.exp(math.log(c0 / p0 - 1) + k))
        assert evaluation.value("ai_penetration", t.reference - 4) == pytest.approx(expected, rel=1e-12)
        assert evaluation.value("ai_customers", t.reference) == pytest.approx(330_000, rel=1e-12)


def test_reported_quarter_split_adds_up_to_reported_revenue(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    evaluation, t = _evaluation(drivers, history)
    for q in range(t.first, t.origin + 1):
        layers = sum(evaluation.value(f"{x}_revenue", q) for x in ("iaas", "paas", "saas", "maas", "solutions"))
        assert layers == pytest.approx(history.quarterly["cloud_revenue_rmb_mn"][q], rel=1e-12)
        bases = sum(evaluation.value(b, q) for b in ("iaas_domestic_base", "iaas_international", "paas_base", "saas_base",
                                                        "government_projects", "solutions_other"))
        assert bases == pytest.approx(evaluation.value("non_ai_revenue", q), rel=1e-12)


def test_forecast_base_grows_from_the_same_quarter_a_year_earlier(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    evaluation, t = _evaluation(drivers, history)
    q = t.origin + 1
    growth = drivers["iaas.international_growth"].value
    assert evaluation.value("iaas_international", q) == pytest.approx(evaluation.value("iaas_international", q - 4) * (1 + growth))
    assert evaluation.value("non_ai_revenue", q) is None  # only reported quarters are split


def test_anchor_year_meets_the_reports_cy2024_amounts(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    evaluation, t = _evaluation(drivers, history)
    for name, driver_id in (("model_call_revenue", "maas.model_calls_cy2024"), ("gpu_leasing_revenue", "maas.gpu_leasing_cy2024"),
                            ("plugin_revenue", "maas.plugins_cy2024"), ("cloud_ai_revenue", "ai.revenue_cy2024")):
        assert sum(evaluation.value(name, q) for q in t.anchor) == pytest.approx(drivers[driver_id].value, rel=1e-12)


def test_a_tracing_run_records_branch_reads(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    """Reads are recorded per quantity and period, each in the branch that executes: a reported
    quarter's base reads the split, a forecast quarter's the organic rate and the year before."""
    timeline = _timeline(drivers, history)
    evaluation = evaluate(drivers.values_by_id(), history, timeline, trace=True)
    reported, forecast = evaluation.reads[("paas_base", timeline.origin)], evaluation.reads[("paas_base", timeline.last)]
    from cloudmodel.engine import SCHEDULES

    dates = {d for name in [*type(timeline).EVENTS, *SCHEDULES] for d in timeline.drivers_setting(name)}  # set the timeline
    assert ("quantity", "non_ai_revenue", timeline.origin) in reported
    assert not any(r[0] == "driver" and r[1] not in dates for r in reported)
    assert ("driver", "growth.organic_long_run", None) in forecast
    assert ("quantity", "paas_base", timeline.last - 4) in forecast
    assert ("driver", "ai.penetration_target", None) in evaluation.reads[("penetration_knots", None)]
    assert ("driver", "ai.adoption_rate_past", None) in evaluation.reads[("ai_penetration", timeline.reference)]
    assert ("driver", "ai.penetration_target", None) not in evaluation.reads[("ai_penetration", timeline.reference)]
