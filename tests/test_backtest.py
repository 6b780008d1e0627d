"""Actuals files, roll-forward, backtests and the no-look-ahead property."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cloudmodel
from cloudmodel.analyses.backtest import backtest
from cloudmodel.errors import InputError
from cloudmodel.inputs.actuals import Actual, Actuals, load_actuals


def _csv(tmp_path, text, name="actuals.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- reading

def test_reads_units_separators_and_a_bom(tmp_path):
    path = _csv(tmp_path, '\ufeffperiod,line,value,unit\nFY2025Q4,cloud.revenue,"30,127",RMB_mn\n'
                          "FY2027Q1,cloud.revenue_growth,30%,\nFY2025Q4,cloud.ai.customers,42万,count\n")
    actuals = load_actuals(path)
    assert actuals.value("cloud.revenue", "FY2025Q4") == 30_127
    assert actuals.value("cloud.revenue_growth", "FY2027Q1") == pytest.approx(0.30)
    assert actuals.value("cloud.ai.customers", "FY2025Q4") == 420_000


def test_reads_parquet(tmp_path):
    path = tmp_path / "a.parquet"
    pl.DataFrame({"period": ["FY2025Q4"], "line": ["cloud.revenue"], "value": [30127.0]}).write_parquet(path)
    assert load_actuals(path).value("cloud.revenue", "FY2025Q4") == 30_127


@pytest.mark.parametrize(("content", "name", "fragments"), [
    ("", "a.csv", ("is empty",)),
    ("period,line,value\n", "a.csv", ("has a header but no rows",)),
    ("period,line,value\nFY2025Q4,cloud.revenue,1\nFY2025Q4,cloud.revenue,2\n", "a.csv", ("row 3", "duplicate", "row 2")),
    ("period,line,value\nFY2025Q4,cloud.revenu,1\n", "a.csv", ("row 2, column line", "did you mean 'cloud.revenue'?")),
    ("period,line,value\n2025Q3,cloud.revenue,1\n", "a.csv", ("row 2, column period", "ambiguous", "FY2025Q3 or CY2025Q3")),
    ("period,line,value\nQ3-2025,cloud.revenue,1\n", "a.csv", ("row 2, column period", "accepted forms")),
    ("period,line,value\nFY2025Q4,cloud.revenue,thirty\n", "a.csv", ("row 2, column value", "'thirty'", "does not start with a number")),
    ("period,line,value\nFY2025Q4,cloud.revenue,8%\n", "a.csv", ("row 2, column value", "percentage is only valid for a ratio")),
    ("period,line,value\nFY2025Q4,cloud.revenue,30,127\n", "a.csv", ("row 2", "more cells than the header", "quote")),
    ("period,line,valu\nFY2025Q4,cloud.revenue,1\n", "a.csv", ("unknown column", "did you mean 'value'?")),
    ("period,line,value,unit\nFY2025Q4,cloud.revenue,1,USD\n", "a.csv", ("column unit", "RMB_mn")),
    ("period,line,value\nFY2025Q4,cloud.revenue,1\n", "a.parquet", ("is named .parquet but is not a Parquet file",)),
])
def test_bad_actuals_files(tmp_path, cli, content, name, fragments):
    path = _csv(tmp_path, content, name)
    out = tmp_path / "out.json"
    result = cli("forecast", "--actuals", str(path), "--format", "json", "--output", str(out))
    assert result.code == 2, result
    assert str(path) in result.stderr and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not out.exists()
    assert cli("backtest", "--actuals", str(path)).code == 2


def test_truncated_parquet(tmp_path, cli):
    path = tmp_path / "a.parquet"
    pl.DataFrame({"period": ["FY2025Q4"], "line": ["cloud.revenue"], "value": [30127.0]}).write_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])
    result = cli("backtest", "--actuals", str(path))
    assert result.code == 2 and "truncated or corrupt Parquet" in result.stderr


def test_gbk_actuals(tmp_path, cli):
    path = _csv(tmp_path, "period,line,value\nFY2025Q4,cloud.revenue,30127\n# 阿里云\n", encoding="gbk")
    result = cli("backtest", "--actuals", str(path))
    assert result.code == 2 and "is not UTF-8" in result.stderr and "GBK" in result.stderr


# --------------------------------------------------------------------------- roll-forward (from the report's origin)

REPORT = "FY2025Q3"


def test_one_more_quarter_becomes_actual_and_its_year_the_sum(tmp_path, report):
    path = _csv(tmp_path, "period,line,value\nFY2025Q4,cloud.revenue,30127\nFY2025Q4,cloud.ebita,2420\n"
                          "FY2025Q4,cloud.ai.customers,420000\n")
    fc = cloudmodel.forecast(actuals=path, origin=REPORT)
    assert fc.meta["origin"] == REPORT and fc.meta["last_reported"] == "FY2025Q4"
    assert fc.value("cloud.revenue", "FY2025Q4") == 30_127 and fc.rows.basis("cloud.revenue", "FY2025Q4") == "actual"
    assert fc.value("cloud.revenue", "FY2025") == 26_549 + 29_610 + 31_742 + 30_127
    assert fc.rows.basis("cloud.revenue", "FY2025") == "actual"
    assert fc.value("cloud.ebita", "FY2025") == 2_337 + 2_661 + 3_138 + 2_420
    assert fc.rows.basis("cloud.revenue", "FY2026Q1") == "forecast"
    assert fc.value("cloud.ai.customers", "FY2025Q4") == pytest.approx(420_000)  # re-anchored
    assert fc.value("cloud.revenue", "FY2026Q1") != report.value("cloud.revenue", "FY2026Q1")  # continues from it
    assert fc.ok


def test_the_file_stands_in_for_the_shipped_quarters(tmp_path, base):
    """From the report's origin, the shipped quarters given in a file give today's cloud lines."""
    from cloudmodel.inputs.history import load_history
    from cloudmodel.periods import quarter_label

    history = load_history()
    rows = ["period,line,value"] + [f"{quarter_label(q)},{line},{history.quarterly[m][q]}"
                                    for q in range(history.last_quarter - 4, history.last_quarter + 1)
                                    for line, m in (("cloud.revenue", "cloud_revenue_rmb_mn"), ("cloud.ebita", "cloud_adj_ebita_rmb_mn"))]
    fc = cloudmodel.forecast(actuals=_csv(tmp_path, "\n".join(rows) + "\n"), origin=REPORT)
    for period in ("FY2026Q1", "FY2026Q4", "FY2026"):
        assert fc.value("cloud.revenue", period) == base.value("cloud.revenue", period)
        assert fc.rows.basis("cloud.revenue", period) == "actual"


def test_revenue_without_ebita_is_an_estimate(tmp_path):
    fc = cloudmodel.forecast(actuals=_csv(tmp_path, "period,line,value\nFY2025Q4,cloud.revenue,30127\n"), origin=REPORT)
    assert fc.rows.basis("cloud.revenue", "FY2025Q4") == "actual"
    assert fc.rows.basis("cloud.ebita", "FY2025Q4") == "estimate"  # a reported quarter whose EBITA the file lacks


def test_a_gap_after_the_history_is_an_error(tmp_path, cli):
    path = _csv(tmp_path, "period,line,value\nFY2027Q2,cloud.revenue,50000\n")
    result = cli("forecast", "--actuals", str(path))
    assert result.code == 2 and "FY2027Q1" in result.stderr and "missing" in result.stderr


def test_a_row_that_contradicts_the_history_is_an_error_unless_restated(tmp_path, cli):
    path = _csv(tmp_path, "period,line,value\nFY2026Q4,cloud.revenue,41000\n")
    result = cli("forecast", "--actuals", str(path))
    assert result.code == 2 and "contradicts the reported history" in result.stderr and "41,626" in result.stderr
    restated = _csv(tmp_path, "period,line,value,restates\nFY2026Q4,cloud.revenue,41000,true\n"
                              "FY2026,cloud.revenue,157506,true\n", name="r.csv")
    fc = cloudmodel.forecast(actuals=restated)
    assert fc.value("cloud.revenue", "FY2026Q4") == 41_000 and fc.value("cloud.revenue", "FY2026") == pytest.approx(157_506)
    assert fc.value("cloud.revenue", "FY2026Q1") == pytest.approx(33_398)  # the other quarters already sum to the rest


def test_dau_re_anchors(tmp_path):
    fc = cloudmodel.forecast(actuals=_csv(tmp_path, "period,line,value\nFY2025Q4,cloud.revenue,30127\n"
                                                    "FY2025Q4,cloud.deepseek.dau_hosted,1500万\n"), origin=REPORT)
    assert fc.value("cloud.deepseek.dau_hosted", "FY2025Q4") == pytest.approx(15_000_000)
    assert fc.rows.basis("cloud.deepseek.dau_hosted", "FY2025Q4") == "actual"


# --------------------------------------------------------------------------- backtest at one origin

def test_backtest_on_hand_made_actuals(drivers, history, report):
    actuals = Actuals("hand", [Actual("cloud.revenue", "FY2025Q4", 30_000.0, 2), Actual("cloud.revenue", "FY2026Q1", 31_000.0, 3),
                               Actual("cloud.ebita", "FY2025Q4", 2_500.0, 4)])
    result = backtest(drivers, history, actuals, REPORT)
    rows = {(r["line"], r["period"], r["method"]): r for r in result["rows"]}
    f4, f1 = report.value("cloud.revenue", "FY2025Q4"), report.value("cloud.revenue", "FY2026Q1")
    model = rows[("cloud.revenue", "FY2025Q4", "model")]
    assert model["forecast"] == pytest.approx(f4) and model["error"] == pytest.approx(f4 - 30_000)
    assert model["pct_error"] == pytest.approx((f4 - 30_000) / 30_000)
    naive_q4, naive_q1 = 25_595, 26_549  # the same quarter a year earlier, reported
    assert rows[("cloud.revenue", "FY2025Q4", "seasonal_naive")]["forecast"] == naive_q4
    assert rows[("cloud.revenue", "FY2026Q1", "seasonal_naive")]["forecast"] == naive_q1
    summary = {(s["line"], s["method"]): s for s in result["summary"]}
    errors = [f4 - 30_000, f1 - 31_000]
    assert summary[("cloud.revenue", "model")]["mape"] == pytest.approx((abs(errors[0]) / 30_000 + abs(errors[1]) / 31_000) / 2)
    assert summary[("cloud.revenue", "model")]["bias"] == pytest.approx(sum(errors) / 2)
    naive_mae = (abs(naive_q4 - 30_000) + abs(naive_q1 - 31_000)) / 2
    assert summary[("cloud.revenue", "model")]["mase"] == pytest.approx((abs(errors[0]) + abs(errors[1])) / 2 / naive_mae)
    assert summary[("cloud.revenue", "seasonal_naive")]["mase"] == pytest.approx(1.0)
    assert summary[("cloud.ebita", "model")]["mape"] == pytest.approx(abs(report.value("cloud.ebita", "FY2025Q4") - 2_500) / 2_500)


def test_backtest_at_an_earlier_origin_is_forecast_at_that_origin(drivers, history, cli, tmp_path):
    lines = ["period,line,value"] + [f"FY2025Q{q},cloud.revenue,{v}" for q, v in ((1, 26_549), (2, 29_610), (3, 31_742))]
    lines += [f"FY2025Q{q},cloud.ebita,{v}" for q, v in ((1, 2_337), (2, 2_661), (3, 3_138))]
    path = _csv(tmp_path, "\n".join(lines) + "\n")
    result = cli("backtest", "--actuals", str(path), "--origin", "FY2024Q4", "--format", "json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"meta", "rows", "summary", "rolling"} and doc["meta"]["origin"] == "FY2024Q4"
    at_origin = cloudmodel.forecast(drivers=drivers, history=history, origin="FY2024Q4")
    model_rows = [r for r in doc["rows"] if r["method"] == "model"]
    assert len(model_rows) == 6
    for row in model_rows:
        assert row["forecast"] == pytest.approx(at_origin.value(row["line"], row["period"]), rel=1e-12)
        assert row["error"] == pytest.approx(row["forecast"] - row["actual"])
    assert at_origin.rows.basis("cloud.revenue", "FY2025Q1") == "forecast"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.floats(0.5, 2.0), min_size=2, max_size=2))
def test_no_look_ahead(drivers, history, factors):
    """The forecasts a backtest at FY2025Q4 holds against the file are the same whatever the file says
    after FY2025Q4: only the errors change."""
    known = [Actual("cloud.revenue", "FY2025Q4", 30_127.0, 2), Actual("cloud.ebita", "FY2025Q4", 2_420.0, 3)]
    later = [Actual("cloud.revenue", "FY2026Q1", 33_398.0, 4), Actual("cloud.revenue", "FY2026Q2", 39_824.0, 5)]
    moved = [Actual(a.line, a.period, a.value * f, a.row) for a, f in zip(later, factors, strict=True)]
    plain = backtest(drivers, history, Actuals("a", known + later), "FY2025Q4")
    other = backtest(drivers, history, Actuals("b", known + moved), "FY2025Q4")
    forecasts = [[(r["line"], r["period"], r["method"], r["forecast"]) for r in doc["rows"]] for doc in (plain, other)]
    assert forecasts[0] == forecasts[1] and len(forecasts[0]) >= 4


def test_origin_errors(cli):
    assert "needs four reported quarters up to the origin" in cli("forecast", "--origin", "FY2022Q3").stderr
    assert "fiscal quarter" in cli("forecast", "--origin", "FY2025").stderr
    result = cli("backtest", "--actuals", "/no/such/file.csv")
    assert result.code == 2 and "no such file" in result.stderr


def test_library_error_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        load_actuals(_csv(tmp_path, "period,line,value\n"))


# --------------------------------------------------------------------------- the rolling backtest (issue 19)

@pytest.fixture(scope="module")
def rolling(drivers, history):
    from cloudmodel.analyses.backtest import rolling_backtest

    return rolling_backtest(drivers, history)


def _summary(rolling, view="all origins"):
    return {s["method"]: s for s in rolling["summary"][view]}


def test_every_origin_of_the_history_once(rolling, history):
    from cloudmodel.periods import quarter_label

    meta = rolling["meta"]
    assert meta["first_origin"] == quarter_label(history.first_quarter + 4) == "FY2024Q1"
    assert meta["last_origin"] == quarter_label(history.last_quarter - 1) == "FY2026Q3"
    model = [r for r in rolling["rows"] if r["method"] == "model"]
    assert [r["period"] for r in model] == [quarter_label(q) for q in range(history.first_quarter + 5, history.last_quarter + 1)]
    assert len(model) == 11


def test_the_model_row_is_forecast_at_that_origin(rolling, drivers, history):
    for origin in ("FY2024Q3", "FY2025Q3", "FY2026Q2"):
        row = next(r for r in rolling["rows"] if r["method"] == "model" and r["origin"] == origin)
        fc = cloudmodel.forecast(drivers=drivers, history=history, origin=origin)
        assert row["forecast"] == pytest.approx(fc.value("cloud.revenue", row["period"]), rel=1e-12)


def test_baselines_by_hand(rolling, history):
    rows = {(r["origin"], r["method"]): r for r in rolling["rows"]}
    revenue = history.quarterly["cloud_revenue_rmb_mn"]
    from cloudmodel.periods import Period

    o = Period.parse("FY2025Q3").fiscal_quarters()[0]
    assert rows[("FY2025Q3", "seasonal_naive")]["forecast"] == revenue[o - 3]
    assert rows[("FY2025Q3", "yoy_carry")]["forecast"] == pytest.approx(revenue[o - 3] * revenue[o] / revenue[o - 4], rel=1e-12)
    hw = [r for r in rolling["rows"] if r["method"] == "holt_winters"]
    assert len(hw) == 8 and hw[0]["origin"] == "FY2024Q4"  # from eight quarters of history on
    comb = rows[("FY2025Q3", "combination")]["forecast"]
    parts = [rows[("FY2025Q3", m)]["forecast"] for m in ("seasonal_naive", "yoy_carry", "holt_winters")]
    assert comb == pytest.approx(sum(parts) / 3, rel=1e-12)
    assert {r["origin"] for r in rolling["rows"] if r["method"] == "consensus"} == {"FY2025Q2", "FY2025Q4", "FY2026Q1"}


@pytest.mark.parametrize("view", ["all origins", "origins from the report's on"])
def test_the_model_beats_the_simple_baselines_and_the_street(rolling, view):
    """Measured, with the tolerance of the figures' rounding: MAPE at most 3% on all origins; below
    seasonal naive, the latest y/y carried forward, their combination with Holt–Winters and the
    press-reported consensus (on the quarters it covers); MASE below 1; P5–P95 coverage 80–100%
    with a Winkler score below Holt–Winters'."""
    s = _summary(rolling, view)
    model = s["model"]
    if view == "all origins":
        assert model["mape"] <= 0.03
    for baseline in ("seasonal_naive", "yoy_carry", "combination"):
        assert model["mape"] < s[baseline]["mape"], baseline
    assert s["consensus"]["model_mape_same_targets"] < s["consensus"]["mape"]
    assert model["mase"] < 1
    assert 0.8 <= model["coverage_p5_p95"] <= 1.0
    assert model["winkler_rmb_mn"] < s["holt_winters"]["winkler_rmb_mn"]
    assert model["pinball_rmb_mn"] < s["holt_winters"]["pinball_rmb_mn"]


@pytest.mark.xfail(strict=True, reason="not met: Holt–Winters' point forecast beats the model's on the quarters it "
                                       "covers (2.2% against 2.3%; after the report 1.8% against 2.5%): docs/backtesting.md §6")
@pytest.mark.parametrize("view", ["all origins", "origins from the report's on"])
def test_the_model_beats_holt_winters_on_mape(rolling, view):
    s = _summary(rolling, view)
    assert s["holt_winters"]["model_mape_same_targets"] < s["holt_winters"]["mape"]


def test_cloud_ebita_beats_the_latest_margin(rolling):
    e = rolling["ebita"]["summary"]
    assert e["n"] == 11 and e["model_mape"] < e["latest_margin_x_revenue_mape"]


def test_backtest_prints_both_views_in_their_units(cli):
    result = cli("backtest")
    assert result.code == 0, result.stderr
    for fragment in ("Scores, all origins", "Scores, origins from the report's on", "MASE", "Winkler", "pinball",
                     "RMB", "hindsight", "consensus"):
        assert fragment in result.stdout, fragment
    assert "n = RMB" not in result.stdout


def test_a_consensus_file_of_ones_own(tmp_path, cli):
    path = _csv(tmp_path, "period,metric,value,kind,source\nFY2026Q4,cloud_revenue_rmb_mn,42000,poll,mine\n", name="c.csv")
    doc = json.loads(cli("backtest", "--consensus", str(path), "--format", "json").stdout)
    rows = [r for r in doc["rolling"]["rows"] if r["method"] == "consensus"]
    assert [(r["period"], r["forecast"]) for r in rows] == [("FY2026Q4", 42_000)]


def test_holt_winters_fits_are_the_same_forked_inline_or_after_a_hung_child(history, monkeypatch, tmp_path):
    """The forked fits equal the inline ones; without fork (not Linux), or with a child that never answers
    (it is stopped after CHILD_TIMEOUT_S), the backtest fits inline and gets the same numbers."""
    import time

    from cloudmodel.analyses import backtest as bt

    actual = dict(history.quarterly["cloud_revenue_rmb_mn"])
    origins = range(history.first_quarter + 4, history.last_quarter)
    monkeypatch.setenv("CLOUDMODEL_CACHE_DIR", str(tmp_path / "forked"))
    forked = bt.HoltWintersFits(actual, origins)
    assert forked._process is not None  # nothing cached: the fits run in a child
    got = {o: forked.get(o) for o in origins}
    monkeypatch.setenv("CLOUDMODEL_CACHE_DIR", str(tmp_path / "inline"))
    inline = {o: bt.holt_winters_next(actual, o) for o in origins}
    assert got == inline and sum(v is not None for v in got.values()) == 8
    monkeypatch.setenv("CLOUDMODEL_CACHE_DIR", str(tmp_path / "darwin"))
    monkeypatch.setattr(bt.sys, "platform", "darwin")
    assert bt.HoltWintersFits(actual, origins)._process is None
    monkeypatch.setattr(bt.sys, "platform", "linux")
    monkeypatch.setenv("CLOUDMODEL_CACHE_DIR", str(tmp_path / "hung"))
    monkeypatch.setattr(bt, "CHILD_TIMEOUT_S", 0.2)
    monkeypatch.setattr(bt.HoltWintersFits, "_child", lambda self, send: time.sleep(60))
    hung = bt.HoltWintersFits(actual, origins)
    child = hung._process
    assert {o: hung.get(o) for o in origins} == inline
    assert not child.is_alive()
