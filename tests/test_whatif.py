"""What-if: scenarios, tornado, grid, solve, bridges, diff."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cloudmodel
from cloudmodel.analyses.whatif import parse_condition, shapley_bridge, tornado

YEARS = ["FY2024", "FY2025", "FY2026", "FY2027", "FY2028"]


@pytest.fixture(scope="module")
def three(report_basis):
    """The scenarios at the report's own origin."""
    return {name: cloudmodel.forecast(scenario=name, basis=report_basis) for name in ("bear", "base", "bull")}


@pytest.fixture(scope="module")
def three_today(basis):
    """The scenarios today: the same overrides on the drivers updated on every reported quarter."""
    return {name: cloudmodel.forecast(scenario=name, basis=basis) for name in ("bear", "base", "bull")}


@pytest.mark.parametrize("line", ["cloud.revenue", "cloud.ebita", "valuation.target.usd_per_ads"])
def test_bear_base_bull_are_ordered_every_year(three, three_today, line):
    for year in YEARS:
        bear, base, bull = (three[n].value(line, year) for n in ("bear", "base", "bull"))
        assert bear <= base + 1e-9 and base <= bull + 1e-9, (line, year, bear, base, bull)
    assert three["bear"].value("cloud.revenue", "FY2026") < three["base"].value("cloud.revenue", "FY2026")
    for year in ("FY2027", "FY2028", "FY2029"):
        bear, base, bull = (three_today[n].value(line, year) for n in ("bear", "base", "bull"))
        assert bear < base < bull, (line, year, bear, base, bull)


def test_scenarios_leave_every_reported_period_as_it_was(three_today, base):
    """History is pinned: a scenario moves the forecast after the origin, never an actual or an estimate."""
    for fc in three_today.values():
        for row in fc.table.filter(fc.table["basis"] != "forecast").iter_rows(named=True):
            if not row["line"].startswith("check."):
                assert row["value"] == pytest.approx(base.value(row["line"], row["period"]), rel=1e-12), row


def test_scenarios_are_overrides_from_the_report_ranges(drivers, three):
    for name in ("bear", "bull"):
        overrides = three[name].meta["overrides"]
        assert overrides
        for driver_id, value in overrides.items():
            d = drivers[driver_id]
            assert d.has_range and d.low <= value <= d.high, driver_id


def test_scenarios_verb_json_rows_carry_the_scenario(cli):
    result = cli("scenarios", "bear", "bull", "--format", "json")
    assert result.code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert {r["scenario"] for r in rows} == {"bear", "bull"}
    assert {"FY2026", "FY2029"} <= {r["period"] for r in rows}
    assert json.loads(result.stdout)["meta"]["origin"] == "FY2026Q4"


def test_user_scenario_file_by_path(cli, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[overrides]\n"ai.penetration_target" = "16%"\n', encoding="utf-8")
    doc = json.loads(cli("forecast", "--scenario", str(path), "--format", "json").stdout)
    assert doc["meta"]["overrides"] == {"ai.penetration_target": 0.16}
    bad = tmp_path / "bad.toml"
    bad.write_text('[overrides]\n"ai.penetraton_target" = "16%"\n', encoding="utf-8")
    result = cli("forecast", "--scenario", str(bad))
    assert result.code == 2 and "did you mean 'ai.penetration_target'?" in result.stderr


def test_tornado_bars_match_hand_computed_moves(rdrivers, rhistory, report):
    base = report
    frame = tornado(rdrivers, rhistory, [("valuation.target.usd_per_ads", "FY2026")])
    bars = {r["driver"]: r for r in frame.to_dicts()}
    cloud, taotian = base.value("valuation.cloud.usd_per_ads", "FY2026"), base.value("valuation.taotian.usd_per_ads", "FY2026")
    target = cloud + taotian
    # cloud at 4× and 6× sales instead of 5×: the cloud part scales by 4/5 and 6/5
    ps = bars["valuation.cloud_ps_multiple"]
    assert ps["output_low"] == pytest.approx(target - cloud / 5, rel=1e-12)
    assert ps["output_high"] == pytest.approx(target + cloud / 5, rel=1e-12)
    # Taotian at 12× and 18× instead of 15×
    pe = bars["valuation.taotian_pe_multiple"]
    assert pe["output_low"] == pytest.approx(target - taotian * 3 / 15, rel=1e-12)
    assert pe["swing"] == pytest.approx(taotian * 6 / 15, rel=1e-12)
    assert frame["swing"].to_list() == sorted(frame["swing"].to_list(), reverse=True)


def test_tornado_bar_for_international_growth_by_hand(rdrivers, rhistory, report):
    """International IaaS is its own base grown a year on: at 15% vs 20% growth the FY2026
    revenue moves by the FY2025 international quarters × (20% − 15%)... to first order; exactly,
    FY2026 international = Σ FY2025 quarters × (1 + g) where FY2025Q4 itself = FY2024Q4 × (1 + g)."""
    frame = tornado(rdrivers, rhistory, [("cloud.revenue", "FY2026")])
    bar = next(r for r in frame.to_dicts() if r["driver"] == "iaas.international_growth")
    q = {p: report.value("cloud.revenue.iaas.international", p) for p in ("FY2024Q4", "FY2025Q1", "FY2025Q2", "FY2025Q3")}

    def fy2026_international(g):
        return (q["FY2025Q1"] + q["FY2025Q2"] + q["FY2025Q3"]) * (1 + g) + q["FY2024Q4"] * (1 + g) ** 2

    assert bar["output_high"] - bar["output_low"] == pytest.approx(fy2026_international(0.20) - fy2026_international(0.15), rel=1e-9)


def test_grid_is_a_data_table(cli):
    doc = json.loads(cli("sensitivity", "--origin", "report", "--grid", "ai.penetration_target,apple.users", "--format", "json").stdout)
    assert len(doc["rows"]) == 25
    corner = [r for r in doc["rows"] if r["ai.penetration_target"] == pytest.approx(0.2) and r["apple.users"] == 3e7]
    assert corner and corner[0]["value"] > max(r["value"] for r in doc["rows"] if r is not corner[0]) - 1e-9


def test_grid_over_a_driver_without_a_range_exits_2(cli):
    result = cli("sensitivity", "--grid", "ai.penetration_target,price.deepseek_r1")
    assert result.code == 2 and "has no range" in result.stderr and "price.deepseek_r1" in result.stderr


def test_solve_then_set_hits_the_target(cli):
    # 16%: with the history pinned, the target no longer steepens the back-cast (and the anchor intensities)
    result = cli("solve", "--origin", "report", "--target", "cloud.revenue_growth@FY2026=16%", "--vary", "ai.penetration_target",
                 "--format", "json")
    assert result.code == 0, result.stderr
    solved = json.loads(result.stdout)
    assert solved["driver"] == "ai.penetration_target" and solved["in_range"] is True
    check = json.loads(cli("forecast", "--origin", "report", "--format", "json", "--set",
                           f"ai.penetration_target={solved['value']!r}").stdout)
    growth = next(r["value"] for r in check["rows"] if r["line"] == "cloud.revenue_growth" and r["period"] == "FY2026")
    assert abs(growth - 0.16) < 0.0001  # within 0.01 pp
    # today: FY2027 is the first forecast year; the solved value gives it through --set too
    today = json.loads(cli("solve", "--target", "cloud.revenue_growth@FY2027=38%", "--vary", "growth.organic_long_run",
                           "--format", "json").stdout)
    check = json.loads(cli("forecast", "--format", "json", "--set", f"growth.organic_long_run={today['value']!r}").stdout)
    growth = next(r["value"] for r in check["rows"] if r["line"] == "cloud.revenue_growth" and r["period"] == "FY2027")
    assert abs(growth - 0.38) < 0.0001


def test_solve_refuses_a_reported_period(cli):
    """A reported figure is not solved for: FY2026 is reported at the default origin."""
    result = cli("solve", "--target", "cloud.revenue_growth@FY2026=17%", "--vary", "ai.penetration_target")
    assert result.code == 2 and "FY2026Q4, the last reported quarter" in result.stderr and "a reported period" in result.stderr


def test_solve_reports_outside_the_range(cli):
    solved = json.loads(cli("solve", "--origin", "report", "--target", "cloud.revenue_growth@FY2026=22%", "--vary",
                            "ai.penetration_target", "--format", "json").stdout)
    assert solved["in_range"] is False and solved["value"] > 0.2


@pytest.mark.parametrize(("args", "fragment"), [
    (["solve", "--origin", "report", "--target", "cloud.revenue_growth@FY2026=90%", "--vary", "apple.deal_probability"], "cannot be reached"),
    (["solve", "--origin", "report", "--target", "cloud.revenue_growth@FY2026=900%", "--vary", "ai.penetration_target"], "cannot be reached"),
    (["solve", "--origin", "report", "--target", "cloud.revenue_growht@FY2026=17%", "--vary", "ai.penetration_target"], "did you mean"),
    (["solve", "--target", "cloud.revenue_growth FY2026 17%", "--vary", "ai.penetration_target"], "does not parse"),
    (["solve", "--target", "cloud.revenue_growth@FY2026=abc", "--vary", "ai.penetration_target"], "does not start with a number"),
    (["solve", "--target", "cloud.revenue_growth@2026=17%", "--vary", "ai.penetration_target"], "accepted forms"),
    (["solve", "--origin", "report", "--target", "cloud.revenue_growth@FY2026=17%", "--vary", "ai.penetraton_target"], "did you mean"),
    (["sensitivity", "--line", "cloud.revenu"], "did you mean 'cloud.revenue'?"),
    (["explain", "cloud.revenue", "--vs-scenario", "nope"], "no such scenario"),
    (["explain", "cloud.revenue"], "exactly one of"),
    (["explain", "cloud.ai.penetration", "--from", "FY2025"], "no component bridge"),
])
def test_what_if_errors_exit_2(cli, args, fragment):
    result = cli(*args)
    assert result.code == 2, result
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_parse_condition_reads_units():
    condition = parse_condition("cloud.revenue@FY2026=150bn", "--target")
    assert (condition.line, condition.period, condition.value) == ("cloud.revenue", "FY2026", 150_000)


settings_bridge = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_bridge
@given(st.dictionaries(st.sampled_from(["ai.penetration_target", "apple.users", "deepseek.dau_cy2025", "iaas.gross_margin",
                                        "maas.token_usage_growth", "valuation.cloud_ps_multiple", "capex.cloud_share"]),
                       st.floats(0.05, 0.95), min_size=1, max_size=7),
       st.sampled_from([("cloud.revenue", "FY2026"), ("cloud.ebita", "FY2027"), ("valuation.target.usd_per_ads", "FY2026")]))
def test_bridges_add_up_to_the_total_change(basis, report_basis, fractions, output):
    for on in (report_basis, basis):
        drivers = on.drivers
        changes = {}
        for driver_id, fraction in fractions.items():
            d = drivers[driver_id]
            changes[driver_id] = d.low + fraction * (d.high - d.low)
        bridge = shapley_bridge(drivers, on.history, changes, *output)
        total = sum(r["contribution"] for r in bridge["rows"])
        assert total == pytest.approx(bridge["total_change"], rel=1e-9, abs=1e-9 * abs(bridge["base"]))
        direct = cloudmodel.forecast(basis=on, overrides=changes).value(*output)
        assert bridge["new"] == pytest.approx(direct, rel=1e-12)


def test_explain_json_and_plot(cli, tmp_path):
    png = tmp_path / "bridge.png"
    result = cli("explain", "cloud.revenue", "--origin", "report", "--period", "FY2026", "--vs-scenario", "bear", "--format", "json",
                 "--plot", str(png))
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["meta"]["method"] == "shapley"
    assert sum(r["contribution"] for r in doc["rows"]) == pytest.approx(doc["meta"]["total_change"], rel=1e-9)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    components = json.loads(cli("explain", "cloud.revenue", "--period", "FY2026", "--from", "FY2025", "--format", "json").stdout)
    assert sum(r["contribution"] for r in components["rows"]) == pytest.approx(components["meta"]["total_change"], rel=1e-12)


def test_diff_of_two_saved_runs(cli, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli("forecast", "--format", "json", "--output", str(a)).code == 0
    assert cli("forecast", "--format", "json", "--output", str(b), "--set", "apple.users=2000万").code == 0
    doc = json.loads(cli("diff", str(a), str(b), "--format", "json").stdout)
    assert doc["drivers"] == [{"driver": "apple.users", "a": 1e7, "b": 2e7, "unit": "count"}]
    moved = {(r["line"], r["period"]) for r in doc["outputs"] if r["change"] != 0}
    assert ("cloud.revenue", "FY2028") in moved and ("cloud.revenue", "FY2026") not in moved  # the Apple deal launches after the origin
    bad = cli("diff", str(a), str(tmp_path / "missing.json"))
    assert bad.code == 2 and "no such file" in bad.stderr
