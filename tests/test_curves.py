"""The curves (:mod:`cloudmodel.quantities.curves`) against values computed by hand, on floats and
arrays; and the one-expression formulas, now written in their quantities, against their docstrings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudmodel import xp
from cloudmodel.quantities import curves

pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
APPLE_TIERS = (1e7, 2e3, 2e7, 4.5e3, 3e7, 7e3)


def test_logistic_passes_through_both_points_and_stays_under_the_ceiling():
    p = curves.ai_penetration
    assert p(0.0, 0.0825, 0.175, 0.4, 1.0) == pytest.approx(0.0825)
    assert p(1.0, 0.0825, 0.175, 0.4, 1.0) == pytest.approx(0.175)
    # hand: L0 = ln(0.4/0.0825 − 1), L1 = ln(0.4/0.175 − 1); at t = 2, L = 2·L1 − L0
    l0, l1 = math.log(0.4 / 0.0825 - 1), math.log(0.4 / 0.175 - 1)
    assert p(2.0, 0.0825, 0.175, 0.4, 1.0) == pytest.approx(0.4 / (1 + math.exp(2 * l1 - l0)))
    assert p(50.0, 0.0825, 0.175, 0.4, 1.0) <= 0.4
    assert p(3.0, 0.0, 0.0, 0.4, 1.0) == 0


def test_back_cast_falls_by_its_rate_in_log_odds():
    back = curves.penetration_before
    assert back(0.0, 0.0825, 0.9, 0.4) == pytest.approx(0.0825)
    assert back(-1.0, 0.0825, 0.9, 0.4) == pytest.approx(0.4 / (1 + math.exp(math.log(0.4 / 0.0825 - 1) + 0.9)))
    assert back(-2.0, 0.0, 0.9, 0.4) == 0


def test_paths_through_known_points():
    knots = [(0.0, 0.0825), (0.25, 0.105), (1.0, 0.175)]
    for years, p in knots:
        assert curves.penetration_through(years, knots, 0.4) == pytest.approx(p)
    two = curves.penetration_through(2.0, knots[::2], 0.4)
    assert two == pytest.approx(curves.ai_penetration(2.0, 0.0825, 0.175, 0.4, 1.0))
    dau = [(0.25, 30e6), (0.5, 50e6), (1.0, 60e6)]
    assert curves.dau_through(0.0, dau, 0.1) == pytest.approx(30e6)  # flat before the first point
    assert curves.dau_through(0.375, dau, 0.1) == pytest.approx(40e6)
    assert curves.dau_through(2.0, dau, 0.1) == pytest.approx(60e6 * 1.1)


def test_deepseek_dau_between_two_points():
    assert curves.deepseek_dau(0.25, 30e6, 0.25, 60e6, 1.0, 0.0) == pytest.approx(30e6)
    assert curves.deepseek_dau(0.625, 30e6, 0.25, 60e6, 1.0, 0.0) == pytest.approx(45e6)
    assert curves.deepseek_dau(2.0, 30e6, 0.25, 60e6, 1.0, 0.1) == pytest.approx(60e6 * 1.1)


def test_growth_compounds_then_fades_to_the_long_run():
    factor = curves.growth_factor
    # before the fade starts: plain compounding
    assert factor(0.0, 2.0, 0.1, 0.02, 5.0, 4.0) == pytest.approx(1.1**2)
    # long after the fade: the terminal rate
    assert factor(20.0, 21.0, 0.1, 0.02, 5.0, 4.0) == pytest.approx(1.02)
    # across the fade the log rate moves linearly: its average over the fade is the mean of the two
    across = math.log(factor(5.0, 9.0, 0.1, 0.02, 5.0, 4.0)) / 4
    assert across == pytest.approx((math.log(1.1) + math.log(1.02)) / 2)
    assert curves.log_growth(3.0, 0.1, 0.02, 5.0, 4.0) == pytest.approx(3 * math.log(1.1))


def test_capex_depreciation_by_vintage():
    per_quarter = 0.5 * (380_000 / 3 - 38_000) / 4
    # four quarters after the start, 4 quarters spent, each depreciated over 24 quarters
    assert curves.capex_depreciation(4, per_quarter, 3, 6) == pytest.approx(4 * per_quarter / 24)
    assert curves.capex_depreciation(0, per_quarter, 3, 6) == 0
    # after the plan's 12 quarters no new spend; after 12 + 24 quarters the first vintages are gone
    assert curves.capex_depreciation(20, per_quarter, 3, 6) == pytest.approx(12 * per_quarter / 24)
    assert curves.capex_depreciation(30, per_quarter, 3, 6) == pytest.approx(6 * per_quarter / 24)
    # a fractional life: 4.3 years = 17.2 quarters; at s = 20 vintages k ≥ ⌈2.8⌉ = 3 and k < 12 are alive
    assert curves.capex_depreciation(20, per_quarter, 3, 4.3) == pytest.approx(9 * per_quarter / 17.2)


def test_billable_tokens_after_the_free_quota():
    # 400k customers × 50M tokens − 50k new × 10M free = 1.95e13 tokens
    assert curves.billable_tokens(400_000, 50_000, 50e6, 10e6) == pytest.approx(400_000 * 50e6 - 50_000 * 10e6)
    assert curves.billable_tokens(1_000, 500_000, 1.0, 10e6) == 0  # free quota can't make revenue negative
    assert curves.billable_tokens(1_000, -500, 1.0, 10e6) == pytest.approx(1_000)  # customers lost: no quota back


def test_apple_tiers_and_licence_bands():
    fee = curves.apple_compute_fee
    assert fee(10e6, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == pytest.approx(2_000)
    assert fee(15e6, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == pytest.approx(3_250)
    assert fee(0.0, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == 0
    assert fee(40e6, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == pytest.approx(9_500)
    licence = curves.apple_licence_fee(12e6, 5e4, 5e6, 1e7, 10.0, 8.0, 6.0)
    assert licence == pytest.approx(((5e6 - 5e4) * 10 + 5e6 * 8 + 2e6 * 6) / 1e6)
    assert curves.apple_licence_fee(1e4, 5e4, 5e6, 1e7, 10.0, 8.0, 6.0) == 0


def test_apple_goes_live_after_its_delay():
    share = curves.apple_active_share
    assert share(0, 2) == 0
    assert share(2, 2) == 1
    assert share(2, 2.5) == pytest.approx(0.5)
    assert share(9, 2.5) == 1


@given(pos)
def test_apple_fee_doubles_with_its_users_and_tiers(users):
    one = curves.apple_compute_fee(users, *APPLE_TIERS)
    assert curves.apple_compute_fee(2 * users, *(2 * x for x in APPLE_TIERS)) == pytest.approx(2 * one, rel=1e-9)


def test_allocations_are_zero_without_a_key():
    """The allocation rates and per-customer intensities divide with :func:`cloudmodel.xp.safe_div`."""
    assert xp.safe_div(60.0, 100.0) * 25.0 == pytest.approx(15.0)
    assert xp.safe_div(60.0, 0.0) == 0
    assert xp.safe_div(np.array([750.0, 750.0]), np.array([1e6, 0.0])) == pytest.approx([750e-6, 0.0])


def test_curves_are_vectorised():
    """Arrays in, arrays out, equal elementwise to the scalar calls."""
    pen = np.array([0.15, 0.175, 0.2])
    vector = curves.ai_penetration(np.array([0.5, 1.0, 2.0]), 0.0825, pen, 0.4, 1.0)
    scalar = [curves.ai_penetration(t, 0.0825, p, 0.4, 1.0) for t, p in zip([0.5, 1.0, 2.0], pen, strict=True)]
    assert vector == pytest.approx(scalar)
    users = np.array([0.0, 5e6, 15e6, 25e6, 40e6])
    fees = curves.apple_compute_fee(users, *APPLE_TIERS)
    assert fees == pytest.approx([curves.apple_compute_fee(u, *APPLE_TIERS) for u in users])
    life = np.array([6.0, 4.3])
    per_quarter = 1_000.0
    assert curves.capex_depreciation(20, per_quarter, 3, life) == pytest.approx(
        [curves.capex_depreciation(20, per_quarter, 3, x) for x in life])


# --------------------------------------------------------------------------- the formulas written in the quantities

def test_inline_formulas_by_hand(rdrivers, rhistory):
    """The one-expression formulas the quantities now write themselves, against their docstrings."""
    from cloudmodel.engine import evaluate, make_timeline
    from cloudmodel.periods import fiscal_index

    t = make_timeline(rdrivers, rhistory, fiscal_index(2028, 4))
    e = evaluate(rdrivers.values_by_id(), rhistory, t)
    d = {i: rdrivers[i].value for i in rdrivers.values_by_id()}
    q = t.origin + 2
    assert e.value("model_call_revenue", q) == pytest.approx(e.value("billable_tokens", q) * e.value("call_price", q) / 1e12)
    assert e.value("maas_revenue", q) == pytest.approx(sum(e.value(n, q) for n in (
        "model_call_revenue", "plugin_revenue", "gpu_leasing_revenue", "deepseek_hosting_revenue", "apple_revenue")))
    assert e.value("apple_revenue", q) == pytest.approx(d["apple.deal_probability"] * e.value("apple_active_share", q)
                                                        * (e.value("apple_compute_fee", None) + e.value("apple_licence_fee", None)) / 4)
    assert e.value("incremental_capex_per_quarter", None) == pytest.approx(
        d["capex.cloud_share"] * (d["capex.plan_total"] / d["capex.plan_years"]
                                  - d["capex.past_decade_total"] / d["capex.baseline_years"]) / 4)
    assert e.value("iaas_share_anchor", None) == pytest.approx(1 - d["paas.share"] - d["saas.share"] - d["solutions.share"]
                                                         - e.value("anchor_maas_revenue", None) / e.value("anchor_revenue", None))
    assert e.value("iaas_revenue", q) == pytest.approx(
        e.value("iaas_domestic_base", q) + e.value("iaas_international", q) + e.value("iaas_ai_compute", q))
    assert e.value("cloud_ebita", q) == pytest.approx(
        e.value("gross_profit", q) - e.value("shared_opex", q) - e.value("capex_depreciation", q))
    year = t.report_years[-1]
    per_ads = e.value("target_usd_per_ads", year)
    assert e.value("target_hkd_per_share", year) == pytest.approx(per_ads / d["valuation.shares_per_ads"] * d["valuation.usd_hkd"])
    cloud = d["valuation.cloud_ps_multiple"] * e.value("cloud_revenue_fy", year) * 1e6 / d["valuation.usd_cny"]
    assert e.value("cloud_usd_per_ads", year) == pytest.approx(cloud / e.value("ads_outstanding", None))
