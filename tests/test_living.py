"""The living model (issue 11): rolling-origin backtest, the residual state, driver updates, the bridge."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudmodel.analyses.update import KEY_LINES, estimate, rolling, update
from cloudmodel.inputs.actuals import Actual, Actuals
from cloudmodel.inputs.history import History
from cloudmodel.inputs.periods import Period, quarter_label

DRAWS = 2048


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


# --------------------------------------------------------------------------- constructed cases

def _next_quarters(base, n=2):
    origin = Period.parse(base.meta["origin"]).fiscal_quarters()[0]
    return [quarter_label(origin + k) for k in range(1, n + 1)]


@pytest.fixture(scope="module")
def surprise(drivers, history, base):
    """A quarter 10% above the forecast made at the origin."""
    new, following = _next_quarters(base)
    actuals = Actuals("up10", [Actual("cloud.revenue", new, 1.1 * base.value("cloud.revenue", new), 2)])
    return update(drivers, history, actuals, DRAWS), new, following


def test_a_quarter_ten_percent_above_raises_the_next_by_less_scaled_by_persistence(surprise, base):
    result, new, following = surprise
    revised = {(r["line"], r["period"]): r for r in result.revised}
    raise_ = revised[("cloud.revenue", following)]["updated"] / base.value("cloud.revenue", following) - 1
    assert 0 < raise_ < 0.10
    state = result.meta["state"]
    phi, R = state["persistence"], state["R"]
    assert 0 < phi <= 1
    assert R[following] == pytest.approx(phi * R[new], rel=1e-12)  # the gap carries forward × φ
    # the residual's share is what φ leaves of the non-AI gap; the drivers say how much went to each
    parts = [b for b in result.bridge if b["line"] == "cloud.revenue" and b["period"] == following]
    assert {"residual"} < {b["component"] for b in parts}
    residual = next(b["contribution"] for b in parts if b["component"] == "residual")
    row = revised[("cloud.revenue", following)]
    assert residual == pytest.approx(row["updated"] - row["drivers_only"], abs=1e-6)
    assert sum(b["contribution"] for b in parts) == pytest.approx(row["change"], abs=1e-6)
    # for the reported quarter the updated drivers plus the residual reproduce the actual
    assert revised[("cloud.revenue", new)]["updated"] == pytest.approx(1.1 * base.value("cloud.revenue", new), rel=1e-12)


def test_actuals_equal_to_the_forecast_change_nothing(drivers, history, base):
    new, _ = _next_quarters(base)
    rows = [Actual("cloud.revenue", new, base.value("cloud.revenue", new), 2),
            Actual("cloud.ebita", new, base.value("cloud.ebita", new), 3),
            Actual("cloud.ai.customers", new, base.value("cloud.ai.customers", new), 4),
            Actual("cloud.ai.revenue_growth", new, None, 5, low=1.0)]
    result = update(drivers, history, Actuals("same", rows), DRAWS)
    assert all(abs(r["change"]) <= 1e-9 * max(1.0, abs(r["origin_forecast"])) for r in result.revised)
    assert all(r["posterior"] == r["prior"] for r in result.drivers)
    assert all(abs(b["contribution"]) <= 1e-9 * 1e6 for b in result.bridge)


def test_the_bridge_adds_up_for_every_key_line(drivers, history, base):
    new, _ = _next_quarters(base)
    rows = [Actual("cloud.revenue", new, 0.93 * base.value("cloud.revenue", new), 2),
            Actual("cloud.ebita", new, 1.2 * base.value("cloud.ebita", new), 3),
            Actual("cloud.ai.customers", new, 1.15 * base.value("cloud.ai.customers", new), 4)]
    result = update(drivers, history, Actuals("mixed", rows), DRAWS)
    lines = {r["line"] for r in result.revised}
    assert set(KEY_LINES) <= lines
    for row in result.revised:
        parts = [b["contribution"] for b in result.bridge if (b["line"], b["period"]) == (row["line"], row["period"])]
        assert sum(parts) == pytest.approx(row["change"], abs=1e-6), row
        assert row["updated"] - row["origin_forecast"] == pytest.approx(row["change"], abs=1e-9)
    assert result.meta["effective_sample_size"] > 50


def test_update_json_shape(cli, tmp_path, base):
    new, later = _next_quarters(base)
    path = tmp_path / "a.csv"
    path.write_text(f"period,line,value,low,high\n{new},cloud.revenue,{base.value('cloud.revenue', new) * 1.05:.0f},,\n"
                    f"{new},cloud.ai.revenue_growth,,100%,\n{later},cloud.ebita,9999,,\n", encoding="utf-8")
    result = cli("update", "--actuals", str(path), "--draws", "1024", "--format", "json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"meta", "surprises", "drivers", "bridge", "revised"}
    assert {"driver", "prior", "posterior", "p5", "p95", "low", "high", "outside_range"} <= set(doc["drivers"][0])
    assert {"line", "period", "component", "contribution"} == set(doc["bridge"][0])
    assert f"cloud.ai.revenue_growth@{new}" in doc["meta"]["rows_used"]
    assert f"cloud.ebita@{later}" in doc["meta"]["rows_not_used"]  # after the new origin: no look-ahead
    table = cli("update", "--actuals", str(path), "--draws", "1024")
    assert table.code == 0 and "Driver updates" in table.stdout or "No driver moved" in table.stdout
    assert "Bridge of cloud revenue" in table.stdout


def test_bounds_in_actuals(tmp_path, cli, base):
    new, _ = _next_quarters(base)
    last = Period.parse(base.meta["origin"]).fiscal_quarters()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"period,line,value,low,high\n{new},cloud.ai.revenue_growth,,2,1\n", encoding="utf-8")
    result = cli("update", "--actuals", str(bad))
    assert result.code == 2 and "low is above high" in result.stderr
    history_bound = tmp_path / "hist.csv"
    history_bound.write_text(f"period,line,value,low\n{quarter_label(last)},cloud.revenue,,99999\n", encoding="utf-8")
    result = cli("update", "--actuals", str(history_bound))
    assert result.code == 2 and "contradicts the reported history" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- no look-ahead

def _altered(history: History, after: int, factor: float) -> History:
    quarterly = {m: {q: (v * factor if q > after else v) for q, v in s.items()} for m, s in history.quarterly.items()}
    return replace(history, quarterly=quarterly)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 4), st.floats(0.5, 2.0))
def test_no_look_ahead_over_origins(drivers, history, k, factor):
    """The forecast made at an origin, its band and its residual state are the same whatever was
    reported after that origin (later quarters altered)."""
    plain = rolling(drivers, history, draws=256)
    origin = Period.parse(plain["rows"][0]["origin"]).fiscal_quarters()[0] + k
    altered = rolling(drivers, _altered(history, origin + 1, factor), draws=256)
    label = quarter_label(origin)
    a = [r for r in plain["rows"] if r["origin"] == label]
    b = [r for r in altered["rows"] if r["origin"] == label]
    assert a == b and a


# --------------------------------------------------------------------------- simulate

def test_simulate_quarterly_with_actuals_adds_the_forecast_error(cli, tmp_path, base):
    new, following = _next_quarters(base)
    path = tmp_path / "a.csv"
    path.write_text(f"period,line,value\n{new},cloud.revenue,{base.value('cloud.revenue', new) * 1.1:.0f}\n", encoding="utf-8")
    result = cli("simulate", "--actuals", str(path), "--period", "quarter", "--draws", "4000", "--format", "json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    rows = {(r["line"], r["period"], r["stat"]): r["value"] for r in doc["rows"]}
    for stat in ("mean", "p5", "p25", "p50", "p75", "p95"):
        assert ("cloud.revenue", following, stat) in rows
    assert ("cloud.revenue", new, "p50") not in rows  # reported: nothing to simulate
    assert rows[("cloud.revenue", following, "p5")] < rows[("cloud.revenue", following, "p50")] < rows[("cloud.revenue", following, "p95")]
    assert rows[("cloud.revenue", following, "p50")] > base.value("cloud.revenue", following)  # the surprise carries
    sigma = doc["meta"]["living"]["state"]["sigma"]
    assert sigma > 0
    plain = json.loads(cli("simulate", "--draws", "4000", "--format", "json").stdout)
    year = f"FY{Period.parse(following).year}"
    plain_rows = {(r["line"], r["period"], r["stat"]): r["value"] for r in plain["rows"]}
    living = json.loads(cli("simulate", "--draws", "4000", "--format", "json", "--actuals", str(path)).stdout)
    living_rows = {(r["line"], r["period"], r["stat"]): r["value"] for r in living["rows"]}

    def width(rs):
        return rs[("cloud.revenue", year, "p95")] / rs[("cloud.revenue", year, "p5")]

    assert width(living_rows) > width(plain_rows)  # the forecast-error uncertainty widens the band
    assert plain["meta"]["living"] is None  # without --actuals or --period quarter, simulate is unchanged


# --------------------------------------------------------------------------- --actuals everywhere

@pytest.mark.parametrize("args", [
    ("forecast", "--format", "json"),
    ("scenarios", "--format", "json"),
    ("sensitivity", "--line", "cloud.revenue", "--format", "json"),
    ("solve", "--target", "cloud.revenue_growth@FY2026=17%", "--vary", "ai.penetration_target", "--format", "json"),
    ("explain", "cloud.revenue", "--vs-scenario", "bull", "--format", "json"),
    ("explain", "cloud.revenue", "--from", "FY2025", "--format", "json"),
    ("simulate", "--draws", "2000", "--format", "json"),
])
def test_every_forecasting_verb_accepts_actuals(cli, tmp_path, base, args):
    new, _ = _next_quarters(base)
    path = tmp_path / "a.csv"
    path.write_text(f"period,line,value\n{new},cloud.revenue,{base.value('cloud.revenue', new) * 1.12:.0f}\n", encoding="utf-8")
    plain, rolled = cli(*args), cli(*args, "--actuals", str(path))
    assert plain.code == 0 and rolled.code == 0, rolled.stderr
    assert json.loads(plain.stdout) != json.loads(rolled.stdout)  # the reported quarter moves the answer
    bad = tmp_path / "bad.csv"
    bad.write_text("period,line,value\nFY2025Q4,cloud.revenu,1\n", encoding="utf-8")
    result = cli(*args, "--actuals", str(bad))
    assert result.code == 2 and "did you mean 'cloud.revenue'?" in result.stderr and "Traceback" not in result.stderr


def test_each_row_informs_the_update_capex_and_ai_customers(drivers, history, base):
    new, following = _next_quarters(base)
    rows = [Actual("cloud.revenue", new, base.value("cloud.revenue", new), 2),
            Actual("cloud.revenue", following, base.value("cloud.revenue", following), 3),
            Actual("group.capex", following, 1.25 * base.value("group.capex", following), 4),
            Actual("cloud.ai.customers", following, 1.3 * base.value("cloud.ai.customers", following), 5)]
    result = update(drivers, history, Actuals("rows", rows), DRAWS)
    moved = {r["driver"]: r for r in result.drivers}
    assert moved["capex.plan_total"]["posterior"] > moved["capex.plan_total"]["prior"]
    assert moved["ai.penetration_target"]["posterior"] > moved["ai.penetration_target"]["prior"]
    assert {f"group.capex@{following}", f"cloud.ai.customers@{following}"} <= set(result.meta["rows_used"])


# --------------------------------------------------------------------------- forecast --actuals learns

def test_the_calibrated_persistence_is_the_history_fit(drivers, history):
    from cloudmodel.analyses.update import history_gaps, settings

    state = estimate(history_gaps(drivers, history, {}, history.last_quarter), settings(drivers))
    assert drivers["living.persistence"].value == pytest.approx(state.persistence, abs=1e-9)


def test_forecast_with_actuals_responds_to_a_surprise(drivers, history, base):
    """The roll-forward learns: a quarter 10% above the forecast raises the next by φ × its non-AI gap
    (between 0 and 10%); an unsurprising quarter leaves the next quarters as they were."""
    import cloudmodel

    new, following = _next_quarters(base, 2)
    up = cloudmodel.forecast(actuals=Actuals("up", [Actual("cloud.revenue", new, 1.1 * base.value("cloud.revenue", new), 2)]))
    raise_ = up.value("cloud.revenue", following) / base.value("cloud.revenue", following) - 1
    assert 0 < raise_ < 0.10 and up.ok
    same = cloudmodel.forecast(actuals=Actuals("same", [Actual("cloud.revenue", new, base.value("cloud.revenue", new), 2)]))
    assert same.value("cloud.revenue", following) == pytest.approx(base.value("cloud.revenue", following), rel=1e-12)
    assert base.value("cloud.revenue_growth", "FY2026") == pytest.approx(0.15, abs=1e-3)  # the report's view is untouched


@pytest.mark.parametrize("verb", [("update",), ("simulate", "--draws", "100"), ("backtest", "--draws", "64"),
                                  ("sensitivity", "--line", "cloud.revenue"), ("scenarios",)])
def test_no_verb_writes_over_its_actuals_file(cli, tmp_path, base, verb):
    new, _ = _next_quarters(base)
    path = tmp_path / "a.csv"
    path.write_text(f"period,line,value\n{new},cloud.revenue,30000\n", encoding="utf-8")
    before = path.read_bytes()
    result = cli(*verb, "--actuals", str(path), "--format", "json", "--output", str(path), "--force")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "is an input of this run" in result.stderr or "does not match the format" in result.stderr
    assert path.read_bytes() == before


def test_an_early_origin_gives_the_cloud_lines(drivers, history):
    """Origins before the end of the report's base year (FY2024Q4) give the cloud lines; the group
    and valuation lines, which rest on that year, have no value; the one-step forecast is the
    rolling backtest's model made at that origin."""
    import cloudmodel
    from cloudmodel.analyses.update import step

    for label in ("FY2023Q4", "FY2024Q1", "FY2024Q3"):
        fc = cloudmodel.forecast(drivers=drivers, history=history, origin=label)
        o = Period.parse(label).fiscal_quarters()[0]
        assert fc.ok and fc.rows.basis("cloud.revenue", label) == "actual"
        assert fc.rows.get("group.revenue", "FY2026") is None and fc.rows.get("valuation.target.usd_per_ads", "FY2026") is None
        one_step = step(drivers, drivers.values_by_id(), history, {}, o + 1).total[o + 1]
        assert fc.value("cloud.revenue", quarter_label(o + 1)) == pytest.approx(one_step, rel=1e-12)


def test_a_prior_data_conflict_is_flagged(drivers, history, base):
    """AI customers 40% above the path the report's drivers allow push a driver outside its range."""
    new, _ = _next_quarters(base)
    rows = [Actual("cloud.revenue", new, base.value("cloud.revenue", new), 2),
            Actual("cloud.ai.customers", new, 1.4 * base.value("cloud.ai.customers", new), 3),
            Actual("cloud.ai.penetration", new, 1.4 * base.value("cloud.ai.penetration", new), 4)]
    result = update(drivers, history, Actuals("ai", rows))
    flagged = [r for r in result.drivers if r["outside_range"]]
    assert flagged
    for r in flagged:
        assert r["posterior"] < r["low"] or r["posterior"] > r["high"]
    assert all(r["low"] <= r["posterior"] <= r["high"] for r in result.drivers if not r["outside_range"])
