"""Each layer function against a value computed by hand, and homogeneity in its volumes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudmodel.layers import customers, ebita, group, iaas, maas, paas, saas, solutions, valuation

pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


def test_customers_grow_at_their_rate():
    assert customers.cloud_customers(4e6, 0.1, 2.0) == pytest.approx(4e6 * 1.21)


def test_logistic_passes_through_both_points_and_stays_under_the_ceiling():
    p = customers.ai_penetration
    assert p(0.0, 0.0825, 0.175, 0.4, 1.0) == pytest.approx(0.0825)
    assert p(1.0, 0.0825, 0.175, 0.4, 1.0) == pytest.approx(0.175)
    # hand: L0 = ln(0.4/0.0825 − 1), L1 = ln(0.4/0.175 − 1); at t = 2, L = 2·L1 − L0
    l0, l1 = math.log(0.4 / 0.0825 - 1), math.log(0.4 / 0.175 - 1)
    assert p(2.0, 0.0825, 0.175, 0.4, 1.0) == pytest.approx(0.4 / (1 + math.exp(2 * l1 - l0)))
    assert p(50.0, 0.0825, 0.175, 0.4, 1.0) <= 0.4
    assert p(3.0, 0.0, 0.0, 0.4, 1.0) == 0


def test_iaas_functions():
    assert iaas.iaas_share(0.3, 0.1, 0.06, 0.03) == pytest.approx(0.51)
    spend = iaas.general_spend_per_customer(48_000.0, 16e6, 1e6, 0.3)
    assert spend == pytest.approx(48_000 / (16e6 + 0.3e6))
    assert iaas.ai_compute_revenue(500_000, spend, 0.3) == pytest.approx(500_000 * spend * 0.3)
    assert iaas.grown(100.0, 0.07) == pytest.approx(107.0)
    assert iaas.iaas_revenue(1.0, 2.0, 3.0) == 6.0


def test_paas_saas_solutions_functions():
    per = paas.pull_through_per_customer(750.0, 1_000_000)
    assert paas.ai_pull_through(per, 300_000) == pytest.approx(225.0)
    assert paas.pull_through_per_customer(750.0, 0.0) == 0
    assert paas.other_ai_revenue(7_000, 3_350, 1_000, 750, 780) == pytest.approx(1_120)
    assert saas.ai_pull_through(saas.pull_through_per_customer(1_000.0, 1_000_000), 250_000) == pytest.approx(250.0)
    assert solutions.other_solutions_anchor(113_496, 0.06, 2_500) == pytest.approx(113_496 * 0.06 - 2_500)
    assert solutions.solutions_revenue(2.0, 3.0) == 5.0


def test_model_calls_by_hand():
    # 50% DeepSeek at (0.5·16 + 0.5·8) = 12, 50% Qwen at 3.2 → 7.6 元/百万 tokens
    price = maas.blended_price(0.5, 0.5, 16.0, 8.0, 3.2)
    assert price == pytest.approx(7.6)
    # 400k customers × 50M tokens − 50k new × 10M free = 1.95e13 tokens
    tokens = maas.billable_tokens(400_000, 50_000, 50e6, 10e6)
    assert tokens == pytest.approx(400_000 * 50e6 - 50_000 * 10e6)
    assert maas.model_call_revenue(tokens, price) == pytest.approx(1.95e13 * 7.6 / 1e12)
    assert maas.billable_tokens(1_000, 500_000, 1.0, 10e6) == 0  # free quota can't make revenue negative
    # anchor: tokens per customer so that revenue = 200 at price 20 with 1e6 new users on 10M free
    tpc = maas.tokens_per_customer_anchor(200.0, 20.0, 10e6, 1e6, 8e5)
    assert tpc == pytest.approx((200 * 1e12 / 20 + 10e6 * 1e6) / 8e5)
    assert maas.usage_factor(1.0, 0.5, 8.0, 20.0, 0.5) == pytest.approx(1.5 * (8 / 20) ** -0.5)


def test_plugins_leasing_hosting_apple_by_hand():
    price = maas.plugin_price(150.0, 2.5, 1_000_000)
    assert maas.plugin_revenue(price, 3.0, 100_000) == pytest.approx(100_000 * 3.0 * 150 / (2.5 * 1e6))
    per = maas.leasing_per_weighted_customer(3_000.0, 4 * 450.0)
    assert maas.gpu_leasing_revenue(per, 400_000, 0.5) == pytest.approx(3_000 * 400_000**0.5 / 1_800)
    assert maas.deepseek_dau(0.25, 30e6, 0.25, 60e6, 1.0, 0.0) == pytest.approx(30e6)
    assert maas.deepseek_dau(0.625, 30e6, 0.25, 60e6, 1.0, 0.0) == pytest.approx(45e6)
    assert maas.deepseek_dau(2.0, 30e6, 0.25, 60e6, 1.0, 0.1) == pytest.approx(60e6 * 1.1)
    assert maas.deepseek_hosting_revenue(20e6, 100.0, 3) == pytest.approx(20e6 * 100 / 4 / 1e6)
    fee = maas.apple_compute_fee
    assert fee(10e6, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == pytest.approx(2_000)
    assert fee(15e6, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == pytest.approx(3_250)
    assert fee(0.0, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == 0
    assert fee(40e6, 10e6, 2_000, 20e6, 4_500, 30e6, 7_000) == pytest.approx(9_500)
    licence = maas.apple_licence_fee(12e6, 5e4, 5e6, 1e7, 10.0, 8.0, 6.0)
    assert licence == pytest.approx(((5e6 - 5e4) * 10 + 5e6 * 8 + 2e6 * 6) / 1e6)
    assert maas.apple_revenue(2_000.0, 100.0, 0.5, 1.0) == pytest.approx(0.5 * 2_100 / 4)
    assert maas.maas_gross_profit(100.0, 50.0, 1_000.0, 0.2, 0.6, 0.3275) == pytest.approx(20 + 30 + 327.5)


def test_ebita_functions_by_hand():
    assert ebita.shared_opex(5_000.0, -200.0, 1.5, 0.05, 30_000.0) == pytest.approx(5_000 - 300 + 1_500)
    per_quarter = ebita.incremental_capex_per_quarter(380_000, 3, 380_000, 10, 0.5)
    assert per_quarter == pytest.approx(0.5 * (380_000 / 3 - 38_000) / 4)
    # four quarters after the start, 4 quarters spent, each depreciated over 24 quarters
    assert ebita.capex_depreciation(4, per_quarter, 3, 6) == pytest.approx(4 * per_quarter / 24)
    assert ebita.capex_depreciation(0, per_quarter, 3, 6) == 0
    # after the plan's 12 quarters no new spend; after 12 + 24 quarters the first vintages are gone
    assert ebita.capex_depreciation(20, per_quarter, 3, 6) == pytest.approx(12 * per_quarter / 24)
    assert ebita.capex_depreciation(30, per_quarter, 3, 6) == pytest.approx(6 * per_quarter / 24)
    assert ebita.ebita(100.0, 60.0, 10.0) == 30.0
    assert ebita.allocation_rate(60.0, 100.0) * 25.0 == pytest.approx(15.0)
    assert ebita.allocation_rate(60.0, 0.0) == 0
    # a fractional life: 4.3 years = 17.2 quarters; at s = 20 vintages k ≥ ⌈2.8⌉ = 3 and k < 12 are alive
    assert ebita.capex_depreciation(20, per_quarter, 3, 4.3) == pytest.approx(9 * per_quarter / 17.2)


def test_group_and_valuation_by_hand():
    assert group.grow(100.0, -0.0086) == pytest.approx(99.14)
    assert group.ex_cloud(998_327, 117_011.4) == pytest.approx(881_315.6)
    assert group.group_revenue(1.0, 2.0, 3.0) == 6.0
    assert group.non_gaap_net_income(150_000, 10_000, 0.2) == pytest.approx(158_000)
    assert valuation.cloud_value(134_563.1, 5) == pytest.approx(672_815.5)
    assert valuation.per_ads(672_815.5, 7.3368, 2_327.5e6) == pytest.approx(672_815.5e6 / 7.3368 / 2_327.5e6)
    assert valuation.taotian_value(200_916.2, 0.2, 15) == pytest.approx(15 * 200_916.2 * 0.8)
    assert valuation.hkd_per_share(180.57, 8, 7.7803) == pytest.approx(180.57 / 8 * 7.7803)


@given(pos, pos, pos, st.floats(min_value=0.25, max_value=1.0))
def test_leasing_doubles_when_its_volumes_double(leasing, customers_now, anchor, elasticity):
    one = maas.gpu_leasing_revenue(maas.leasing_per_weighted_customer(leasing, anchor**elasticity), customers_now, elasticity)
    two = maas.gpu_leasing_revenue(maas.leasing_per_weighted_customer(2 * leasing, (2 * anchor) ** elasticity),
                                   2 * customers_now, elasticity)
    assert two == pytest.approx(2 * one, rel=1e-9)


@given(pos, pos, pos, st.floats(min_value=1, max_value=3))
def test_plugins_double_when_their_volumes_double(amount, customers_now, anchor, per_customer):
    one = maas.plugin_revenue(maas.plugin_price(amount, 2.5, anchor), per_customer, customers_now)
    two = maas.plugin_revenue(maas.plugin_price(2 * amount, 2.5, 2 * anchor), per_customer, 2 * customers_now)
    assert two == pytest.approx(2 * one, rel=1e-9)


@given(pos, pos, pos)
def test_pull_through_and_apple_double(amount, customers_now, anchor):
    one = paas.ai_pull_through(paas.pull_through_per_customer(amount, anchor), customers_now)
    two = paas.ai_pull_through(paas.pull_through_per_customer(2 * amount, 2 * anchor), 2 * customers_now)
    assert two == pytest.approx(2 * one, rel=1e-9)
    users = customers_now * 10
    fee = maas.apple_compute_fee(users, 1e7, 2e3, 2e7, 4.5e3, 3e7, 7e3)
    assert maas.apple_compute_fee(2 * users, 2e7, 4e3, 4e7, 9e3, 6e7, 14e3) == pytest.approx(2 * fee, rel=1e-9)


def test_functions_are_vectorised():
    """Arrays in, arrays out, equal elementwise to the scalar calls."""
    pen = np.array([0.15, 0.175, 0.2])
    vector = customers.ai_penetration(np.array([0.5, 1.0, 2.0]), 0.0825, pen, 0.4, 1.0)
    scalar = [customers.ai_penetration(t, 0.0825, p, 0.4, 1.0) for t, p in zip([0.5, 1.0, 2.0], pen, strict=True)]
    assert vector == pytest.approx(scalar)
    users = np.array([0.0, 5e6, 15e6, 25e6, 40e6])
    fees = maas.apple_compute_fee(users, 1e7, 2e3, 2e7, 4.5e3, 3e7, 7e3)
    assert fees == pytest.approx([maas.apple_compute_fee(u, 1e7, 2e3, 2e7, 4.5e3, 3e7, 7e3) for u in users])


def test_paths_through_known_points():
    knots = [(0.0, 0.0825), (0.25, 0.105), (1.0, 0.175)]
    for years, p in knots:
        assert customers.penetration_through(years, knots, 0.4) == pytest.approx(p)
    two = customers.penetration_through(2.0, knots[::2], 0.4)
    assert two == pytest.approx(customers.ai_penetration(2.0, 0.0825, 0.175, 0.4, 1.0))
    dau = [(0.25, 30e6), (0.5, 50e6), (1.0, 60e6)]
    assert maas.dau_through(0.0, dau, 0.1) == pytest.approx(30e6)  # flat before the first point
    assert maas.dau_through(0.375, dau, 0.1) == pytest.approx(40e6)
    assert maas.dau_through(2.0, dau, 0.1) == pytest.approx(60e6 * 1.1)
