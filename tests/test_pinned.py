"""History is pinned: no forward-looking driver moves a value of a reported period, AI customers
in December 2024 stay 33万 under any override, reported facts cannot be overridden, and every
row says whether it is reported, estimated or forecast."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudmodel.engine import make_timeline, run
from cloudmodel.errors import InputError
from cloudmodel.periods import fiscal_index
from cloudmodel.result import FORECAST, build_rows

#: Drivers about the future: targets, ceilings, growth after the history, prices after the cuts, deals.
FORWARD = ("ai.penetration_target", "ai.penetration_ceiling", "customers.growth", "apple.users", "apple.tier2_fee",
           "apple.tier3_fee", "apple.deal_probability", "apple.launch_delay_quarters", "apple.device_shipments",
           "apple.licence_price_tier1", "growth.organic_fy2026", "growth.organic_long_run", "maas.token_usage_growth",
           "maas.token_price_elasticity", "maas.deepseek_call_share", "maas.deepseek_r1_call_share",
           "maas.model_call_margin_after", "maas.plugins_per_ai_customer", "deepseek.dau_cy2025",
           "deepseek.dau_growth_after_cy2025", "deepseek.hosting_price_per_dau_year", "capex.plan_total",
           "capex.cloud_share", "capex.useful_life_years", "iaas.international_growth",
           "solutions.government_projects_growth", "taotian.revenue_growth_long_run", "group.other_revenue_growth_long_run",
           "group.ex_cloud_profit_growth_long_run")
DEC_2024 = fiscal_index(2025, 3)
settings_fast = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _rows(drivers, history, overrides):
    """The rows of a run on ``drivers`` (a basis's: its reported periods pinned to the basis's own run)."""
    from cloudmodel.engine import pins

    driver_set = drivers.with_overrides(overrides) if overrides else drivers
    timeline = make_timeline(driver_set, history, fiscal_index(2028, 4))
    raw = run(driver_set.values_by_id(), history, timeline, past=pins(driver_set, timeline))
    return build_rows(raw, history), raw


@pytest.fixture(scope="module", params=["report", "today"])
def pinned(request):
    """The drivers, history and base rows of the report's own view and of today's."""
    basis = request.getfixturevalue("report_basis" if request.param == "report" else "basis")
    return basis.drivers, basis.history, _rows(basis.drivers, basis.history, {})[0]


def _within_range(ids):
    """Overrides of some of ``ids``, each a fraction of the way through its range."""
    return st.dictionaries(st.sampled_from(ids), st.floats(0.0, 1.0), min_size=1, max_size=5)


def _values(drivers, fractions):
    out = {}
    for driver_id, f in fractions.items():
        d = drivers[driver_id]
        out[driver_id] = d.low + f * (d.high - d.low)
    if "ai.penetration_target" in out and "ai.penetration_ceiling" in out:  # keep the target below the ceiling
        out["ai.penetration_target"] = min(out["ai.penetration_target"], 0.9 * out["ai.penetration_ceiling"])
    return out


def test_forward_drivers_have_ranges(drivers):
    assert all(drivers[i].has_range for i in FORWARD)


@settings_fast
@given(_within_range(FORWARD))
def test_a_forward_driver_moves_no_value_of_a_reported_period(pinned, fractions):
    drivers, history, base_rows = pinned
    rows, _ = _rows(drivers, history, _values(drivers, fractions))
    for (line, period), (value, basis) in base_rows.cells.items():
        if basis == FORECAST or line.startswith("check."):
            continue
        assert rows.get(line, period) == pytest.approx(value, rel=1e-12, abs=1e-9), (line, period)


def test_penetration_target_of_30_percent_moves_nothing_reported(pinned):
    """The issue's case: --set ai.penetration_target=30% changed 643 values in reported periods."""
    drivers, history, base_rows = pinned
    for overrides in ({"ai.penetration_target": 0.30}, {"ai.penetration_ceiling": 0.60}):
        rows, _ = _rows(drivers, history, overrides)
        changed = [key for key, (value, basis) in base_rows.cells.items()
                   if basis != FORECAST and rows.get(*key) != pytest.approx(value, rel=1e-12, abs=1e-9)]
        assert changed == []
        assert rows.get("cloud.revenue", "FY2028") != pytest.approx(base_rows.get("cloud.revenue", "FY2028"), rel=1e-6)  # the future moves
    assert rows.get("cloud.revenue", "FY2028") > base_rows.get("cloud.revenue", "FY2028")  # a higher ceiling, more revenue



@settings_fast
@given(st.data())
def test_ai_customers_in_december_2024_stay_33_wan_under_any_override(on, data):
    drivers, history = on
    ranged = sorted(k for k, d in drivers.items() if d.has_range and d.kind != "derived" and d.low != d.high)
    fractions = data.draw(_within_range(ranged))
    _, raw = _rows(drivers, history, _values(drivers, fractions))
    assert raw.quarterly["cloud.ai.customers"][DEC_2024] == pytest.approx(330_000, rel=1e-12)


def test_reported_facts_are_refused_by_set_and_scenarios(drivers, history):
    import cloudmodel

    with pytest.raises(InputError, match="reported fact"):
        cloudmodel.forecast(drivers=drivers, history=history, overrides={"ai.customers_dec2024": "40万"})
    with pytest.raises(InputError, match="reported fact"):
        cloudmodel.forecast(drivers=drivers, history=history, overrides={"group.table4.revenue_fy2024": 1})
    fc = cloudmodel.forecast(drivers=drivers, history=history, overrides={"ai.penetration_target": "20%"})
    assert fc.value("cloud.ai.customers", "FY2025Q3") == pytest.approx(330_000)


def test_cli_refuses_a_reported_fact_with_exit_2(cli):
    result = cli("forecast", "--set", "ai.customers_dec2024=40万")
    assert result.code == 2 and "reported fact" in result.stderr and "actuals" in result.stderr


def test_every_row_says_what_it_is(report, base):
    basis = {(r["line"], r["period"]): r["basis"] for r in report.table.select("line", "period", "basis").to_dicts()}
    assert basis[("cloud.revenue", "FY2024Q2")] == "actual"
    assert basis[("cloud.ebita", "FY2024")] == "actual"
    assert basis[("cloud.revenue.paas", "FY2024Q2")] == "estimate"
    assert basis[("cloud.ai.customers", "FY2024Q4")] == "estimate"
    assert basis[("cloud.ebita_margin.iaas", "CY2024")] == "estimate"
    assert basis[("cloud.revenue.paas", "FY2025")] == "forecast"  # FY2025Q4 is forecast at the report's origin
    assert basis[("group.revenue", "FY2024")] == "actual" and basis[("group.revenue", "FY2025")] == "forecast"
    today = {(r["line"], r["period"]): r["basis"] for r in base.table.select("line", "period", "basis").to_dicts()}
    assert today[("cloud.revenue.paas", "FY2026")] == "estimate" and today[("cloud.revenue.paas", "FY2027")] == "forecast"
    assert today[("group.revenue", "FY2026")] == "actual" and today[("group.adj_ebita", "FY2026")] == "estimate"
    assert today[("group.non_gaap_net_income", "FY2026")] == "estimate" and today[("group.revenue", "FY2027")] == "forecast"


def test_hosted_deepseek_traffic_starts_with_hosting(base):
    assert base.value("cloud.deepseek.dau_hosted", "FY2025Q3") == 0
    assert base.value("cloud.deepseek.dau_hosted", "FY2025Q4") == pytest.approx(10_000_000)


def test_a_reported_period_is_made_of_drivers_about_the_past(report):
    """At the report's origin the lineage of every estimate of a reported quarter names no forward driver
    (today, drivers about quarters since the report shape their estimates through the update)."""
    base = report
    for line in ("cloud.revenue.iaas", "cloud.revenue.maas", "cloud.ai.customers", "cloud.ebita.paas", "cloud.maas.tokens"):
        for period in ("FY2023Q1", "FY2024Q4", "FY2025Q3", "CY2024"):
            assert not set(base.lineage(line, period)) & set(FORWARD), (line, period)
