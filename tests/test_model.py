"""The whole model: the report's figures (docs/contract.md §7), the checks, the actual rows, and
properties that must hold for any drivers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudmodel.engine import make_timeline, run
from cloudmodel.periods import fiscal_index, quarter_label

FY = ["FY2024", "FY2025", "FY2026", "FY2027", "FY2028"]
REQUIRED = (
    ["cloud.revenue", "cloud.revenue_growth", "cloud.ebita", "cloud.ebita_margin"]
    + [f"cloud.revenue.{x}" for x in ("iaas", "paas", "saas", "maas", "solutions")]
    + [f"cloud.ebita.{x}" for x in ("iaas", "paas", "saas", "maas", "solutions")]
    + ["cloud.ai.customers", "cloud.ai.penetration", "cloud.ai.revenue", "cloud.ai.revenue_share"]
    + [f"cloud.maas.{x}" for x in ("model_calls", "gpu_leasing", "plugins", "deepseek_hosting", "apple")]
    + ["group.revenue", "group.revenue_growth", "group.adj_ebita", "group.non_gaap_net_income"]
    + ["valuation.cloud.usd_per_ads", "valuation.taotian.usd_per_ads", "valuation.target.usd_per_ads",
       "valuation.target.hkd_per_share"]
)


# --------------------------------------------------------------------------- docs/contract.md §7

@pytest.mark.parametrize(("line", "period", "expected"), [
    ("cloud.revenue_growth", "FY2025", 0.10),
    ("cloud.revenue_growth", "FY2026", 0.15),
    ("cloud.ebita_margin", "FY2025", 0.095),
    ("cloud.ebita_margin", "FY2026", 0.110),
])
def test_cloud_growth_and_margin_within_a_tenth_of_a_point(report, line, period, expected):
    assert abs(report.value(line, period) - expected) <= 0.001


@pytest.mark.parametrize(("line", "period", "expected"), [
    ("group.revenue", "FY2025", 998_327),
    ("group.revenue", "FY2026", 1_090_870),
    ("group.non_gaap_net_income", "FY2025", 153_429),
    ("group.non_gaap_net_income", "FY2026", 173_231),
    ("valuation.cloud.usd_per_ads", "FY2026", 39.40),
    ("valuation.taotian.usd_per_ads", "FY2026", 141.18),
    ("valuation.target.usd_per_ads", "FY2026", 180.57),
    ("valuation.target.hkd_per_share", "FY2026", 175.61),
])
def test_group_and_valuation_within_half_a_percent(report, line, period, expected):
    assert report.value(line, period) == pytest.approx(expected, rel=0.005)


def test_ai_customers_and_penetration_at_end_of_cy2025(report):
    assert 600_000 <= report.value("cloud.ai.customers", "CY2025") <= 800_000
    assert 0.15 <= report.value("cloud.ai.penetration", "CY2025") <= 0.20
    assert report.value("cloud.ai.customers", "FY2025Q3") == pytest.approx(330_000)  # Dec 2024
    assert report.value("cloud.customers", "FY2025Q3") == pytest.approx(4_000_000)


def test_report_cross_checks(report):
    assert report.value("cloud.ai.revenue", "CY2024") == pytest.approx(7_000)
    assert report.value("cloud.ai.revenue_share", "CY2024") < 0.10
    assert report.value("cloud.ai.revenue_share", "FY2026") >= 0.10
    assert report.value("cloud.revenue.maas", "CY2024") == pytest.approx(200 + 3_000 + 150)
    assert report.value("cloud.revenue_share.iaas", "CY2024") > 0.40
    assert report.value("cloud.ebita_margin.iaas", "CY2024") < 0.10
    assert report.value("cloud.revenue_share.paas", "CY2024") == pytest.approx(0.30)
    assert report.value("cloud.revenue_share.saas", "CY2024") == pytest.approx(0.10)
    assert report.targets["ok"].all() and report.meta["targets_apply"]


# --------------------------------------------------------------------------- checks and actuals

def test_every_check_is_zero(base):
    assert base.checks.height > 100
    assert base.checks["value"].abs().max() < 1e-6
    assert base.ok and base.meta["checks_ok"]


def test_reported_quarters_are_actual_rows_equal_to_the_fixtures(base, history):
    table = base.table
    for q, value in history.quarterly["cloud_revenue_rmb_mn"].items():
        row = table.filter((table["line"] == "cloud.revenue") & (table["period"] == quarter_label(q)))
        assert row["basis"][0] == "actual"
        assert row["value"][0] == value
    for q, value in history.quarterly["cloud_adj_ebita_rmb_mn"].items():
        assert base.value("cloud.ebita", quarter_label(q)) == pytest.approx(value)
    assert base.value("cloud.revenue", "FY2024") == 106_374
    for year in ("FY2024", "FY2025", "FY2026"):
        assert base.rows.basis("cloud.revenue", year) == "actual"
    assert base.rows.basis("cloud.revenue", "FY2027") == "forecast"
    assert base.rows.basis("cloud.revenue", "FY2027Q1") == "forecast"
    assert base.rows.basis("cloud.revenue.iaas", "FY2024Q2") == "estimate"  # the model's split of a reported quarter
    assert base.rows.basis("cloud.revenue_share.iaas", "CY2024") == "estimate"
    assert base.rows.basis("cloud.revenue_growth", "FY2026") == "actual"
    assert base.rows.basis("cloud.revenue.iaas", "FY2026") == "estimate"
    assert base.rows.basis("cloud.revenue.iaas", "FY2027") == "forecast"


def test_every_contract_line_for_fy2024_to_fy2028(report, base):
    for fc in (report, base):
        _every_contract_line(fc)


def _every_contract_line(base):
    have = {(r["line"], r["period"]) for r in base.table.select("line", "period").to_dicts()}
    missing = [(line, p) for line in REQUIRED for p in FY if (line, p) not in have]
    assert not missing
    assert set(base.table.columns) == {"line", "period", "basis", "value", "unit"}
    assert set(base.table["basis"].unique()) == {"actual", "estimate", "forecast"}
    assert base.table["value"].is_finite().all()


def test_table4_lines_are_group_rows(report, base):
    assert report.value("group.table4.non_gaap_net_income", "FY2023") == 141_379
    assert report.rows.basis("group.table4.revenue", "FY2026") == "forecast"
    assert report.rows.basis("group.table4.revenue", "FY2024") == "actual"
    t4 = report.table.filter(report.table["line"] == "group.table4.revenue")
    assert t4["period"].to_list() == ["FY2023", "FY2024", "FY2025", "FY2026"]
    # reported since: Table 4's structure on the reported group revenue, an estimate
    assert base.rows.basis("group.table4.revenue", "FY2026") == "estimate"
    assert base.value("group.table4.revenue", "FY2026") == pytest.approx(1_023_670)
    assert base.value("group.table4.adj_ebita_margin", "FY2026") == report.value("group.table4.adj_ebita_margin", "FY2026")


def test_wide_view(base):
    wide = base.wide(["cloud.revenue", "cloud.ebita_margin"], period="year")
    assert wide["line"].to_list() == ["cloud.revenue", "cloud.ebita_margin"]
    assert wide.columns[:4] == ["line", "unit", "FY2023", "FY2024"]
    assert wide.filter(wide["line"] == "cloud.revenue")["FY2024"][0] == 106_374


# --------------------------------------------------------------------------- properties

def _engine(drivers, history, overrides=None):
    driver_set = drivers.with_overrides(overrides) if overrides else drivers
    timeline = make_timeline(driver_set, history, fiscal_index(2028, 4))
    return run(driver_set.values_by_id(), history, timeline), timeline


def _forecast_quarters(timeline):
    return [q for q in timeline.quarters if q > timeline.origin]


def test_zero_ai_customers_give_zero_model_call_revenue(rdrivers, rhistory):
    raw, t = _engine(rdrivers, rhistory, {"ai.customers_dec2024": 0, "ai.penetration_target": 0})
    assert all(raw.quarterly["cloud.maas.model_calls"][q] == 0 for q in t.quarters)
    assert all(raw.quarterly["cloud.ai.customers"][q] == 0 for q in t.quarters)


settings_fast = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _non_decreasing(rdrivers, rhistory, driver_id, a, b):
    low, high = sorted((a, b))
    raw_low, t = _engine(rdrivers, rhistory, {driver_id: low})
    raw_high, _ = _engine(rdrivers, rhistory, {driver_id: high})
    for q in _forecast_quarters(t):
        assert raw_high.quarterly["cloud.revenue"][q] >= raw_low.quarterly["cloud.revenue"][q] - 1e-9


@settings_fast
@given(st.floats(0.09, 0.39), st.floats(0.09, 0.39))
def test_revenue_does_not_fall_when_penetration_rises(rdrivers, rhistory, a, b):
    _non_decreasing(rdrivers, rhistory, "ai.penetration_target", a, b)


@settings_fast
@given(st.floats(0, 2e8), st.floats(0, 2e8))
def test_revenue_does_not_fall_when_deepseek_dau_rises(rdrivers, rhistory, a, b):
    _non_decreasing(rdrivers, rhistory, "deepseek.dau_cy2025", a, b)


@settings_fast
@given(st.floats(0, 6e7), st.floats(0, 6e7))
def test_revenue_does_not_fall_when_apple_users_rise(rdrivers, rhistory, a, b):
    _non_decreasing(rdrivers, rhistory, "apple.users", a, b)


@settings_fast
@given(st.floats(-0.5, 3.0), st.floats(-0.5, 3.0))
def test_revenue_does_not_fall_when_tokens_per_customer_rise(rdrivers, rhistory, a, b):
    _non_decreasing(rdrivers, rhistory, "maas.token_usage_growth", a, b)


MAAS_VOLUMES = ("customers.total", "ai.customers_dec2024", "maas.model_calls_cy2024", "maas.gpu_leasing_cy2024",
                "maas.plugins_cy2024", "deepseek.dau_now", "deepseek.dau_hosted_now", "deepseek.dau_cy2025",
                "apple.users", "apple.tier1_users", "apple.tier2_users", "apple.tier3_users", "apple.tier1_fee",
                "apple.tier2_fee", "apple.tier3_fee", "apple.device_shipments", "apple.licence_tier1_units",
                "apple.licence_tier2_units", "apple.licence_tier3_units")


@settings_fast
@given(st.floats(0.5, 4.0))
def test_scaling_every_maas_volume_scales_maas_revenue(rdrivers, rhistory, factor):
    raw, t = _engine(rdrivers, rhistory)
    scaled, _ = _engine(rdrivers, rhistory, {i: rdrivers[i].value * factor for i in MAAS_VOLUMES})
    for q in t.quarters:
        assert scaled.quarterly["cloud.revenue.maas"][q] == pytest.approx(factor * raw.quarterly["cloud.revenue.maas"][q], rel=1e-9)


def test_doubling_the_revenue_history_doubles_every_layer(rdrivers, rhistory):
    """IaaS, PaaS, SaaS and solutions are built on reported revenue and the report's CY2024
    amounts: double them all (and the customer counts) and every layer doubles."""
    import copy

    doubled = copy.deepcopy(rhistory)
    doubled.quarterly["cloud_revenue_rmb_mn"] = {q: 2 * v for q, v in rhistory.quarterly["cloud_revenue_rmb_mn"].items()}
    amounts = MAAS_VOLUMES + ("ai.revenue_cy2024", "saas.smart_customer_service_cy2024", "paas.content_moderation_cy2024",
                              "solutions.government_projects_cy2024")
    driver_set = rdrivers.with_overrides({i: rdrivers[i].value * 2 for i in amounts})
    t = make_timeline(driver_set, doubled, fiscal_index(2028, 4))
    two = run(driver_set.values_by_id(), doubled, t)
    one, _ = _engine(rdrivers, rhistory)
    for layer in ("iaas", "paas", "saas", "maas", "solutions"):
        for q in _forecast_quarters(t):
            assert two.quarterly[f"cloud.revenue.{layer}"][q] == pytest.approx(2 * one.quarterly[f"cloud.revenue.{layer}"][q], rel=1e-9)


def test_vectorised_run_equals_scalar_runs(rdrivers, rhistory):
    """One run over an array of drivers gives, element by element, the scalar runs."""
    penetration = np.array([0.15, 0.175, 0.20])
    users = np.array([0.0, 1e7, 2e7])
    values = rdrivers.values_by_id() | {"ai.penetration_target": penetration, "apple.users": users}
    t = make_timeline(rdrivers, rhistory, fiscal_index(2028, 4))
    vector = run(values, rhistory, t)
    for i in range(3):
        scalar, _ = _engine(rdrivers, rhistory, {"ai.penetration_target": float(penetration[i]), "apple.users": float(users[i])})
        for line in ("cloud.revenue", "cloud.ebita", "cloud.revenue.maas", "cloud.ai.customers"):
            for q in _forecast_quarters(t):
                assert vector.quarterly[line][q][i] == pytest.approx(scalar.quarterly[line][q], rel=1e-12)
        assert vector.annual["valuation.target.usd_per_ads"][2026][i] == pytest.approx(
            scalar.annual["valuation.target.usd_per_ads"][2026], rel=1e-12)


def test_overrides_move_the_forecast_and_are_recorded():
    import cloudmodel

    fc = cloudmodel.forecast(overrides={"ai.penetration_target": "20%"}, origin="report")
    assert fc.meta["overrides"] == {"ai.penetration_target": 0.2}
    assert fc.value("cloud.ai.penetration", "CY2025") == pytest.approx(0.20)
    assert fc.value("cloud.revenue", "FY2026") > 134_563.1


def test_horizon_extends(drivers, history):
    import cloudmodel

    fc = cloudmodel.forecast(drivers=drivers, history=history, horizon="FY2030")
    assert fc.value("cloud.revenue", "FY2030") > fc.value("cloud.revenue", "FY2029") > 0
    assert fc.ok
