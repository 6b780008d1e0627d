"""The living model (issue 11): rolling-origin backtest, the residual state, driver updates, the bridge."""

from __future__ import annotations

import json
import math

import pytest

from cloudmodel.update import estimate, rolling


@pytest.fixture(scope="module")
def roll(drivers, history):
    return rolling(drivers, history)


def test_rolling_origin_beats_both_baselines_and_covers(roll):
    """Every origin from FY2024Q1 on; the update beats seasonal naive and the latest y/y growth
    carried forward on MAPE; its P5–P95 band covers 80–100% of the outcomes."""
    summary = {s["method"]: s for s in roll["summary"]}
    assert roll["meta"]["first_origin"] == "FY2024Q1" and roll["meta"]["origins"] == 6
    model = summary["model"]
    assert model["n"] == 6 == summary["seasonal_naive"]["n"] == summary["yoy_carry_forward"]["n"]
    assert model["mape"] < summary["seasonal_naive"]["mape"]
    assert model["mape"] < summary["yoy_carry_forward"]["mape"]
    assert 0.8 <= model["coverage_p5_p95"] <= 1.0
    # the baselines by hand: FY2024Q2 as reported a year earlier, and × the FY2024Q1 y/y growth
    rows = {(r["origin"], r["method"]): r for r in roll["rows"]}
    assert rows[("FY2024Q1", "seasonal_naive")]["forecast"] == 27_035
    assert rows[("FY2024Q1", "yoy_carry_forward")]["forecast"] == pytest.approx(27_035 * 25_065 / 24_356, rel=1e-12)


def test_backtest_prints_both_baselines_and_the_coverage(cli):
    result = cli("backtest", "--draws", "512")
    assert result.code == 0, result.stderr
    for fragment in ("Rolling origin", "seasonal_naive", "yoy_carry_forward", "coverage", "6 origins"):
        assert fragment in result.stdout, fragment
    doc = json.loads(cli("backtest", "--draws", "512", "--format", "json").stdout)
    assert {s["method"] for s in doc["rolling"]["summary"]} >= {"model", "seasonal_naive", "yoy_carry_forward"}


def test_estimate_is_closed_form_and_bounded():
    prior = {"persistence_prior": 1.0, "surprise_sd_prior": 0.03, "prior_weight": 1.0}
    gaps = {1: 0.1, 2: 0.05, 3: 0.02}
    state = estimate(gaps, prior)
    sxy, sxx = 0.1 * 0.05 + 0.05 * 0.02 + 0.03**2, 0.1**2 + 0.05**2 + 0.03**2
    assert state.persistence == pytest.approx(sxy / sxx, rel=1e-12) and state.pairs == 2
    resid = (0.05 - state.persistence * 0.1) ** 2 + (0.02 - state.persistence * 0.05) ** 2 + 0.03**2
    assert state.sigma == pytest.approx(math.sqrt(resid / 3), rel=1e-12)
    assert estimate({1: 0.1, 2: 0.2, 3: 0.4}, prior).persistence == 1.0  # bounded
    assert estimate({1: 0.1, 2: -0.2}, prior | {"prior_weight": 0.0}).persistence == 0.0
    assert estimate({}, prior).persistence == 1.0 and estimate({}, prior).sigma == 0.03
