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
                          "FY2026Q1,cloud.revenue_growth,8%,\nFY2025Q4,cloud.ai.customers,42万,count\n")
    actuals = load_actuals(path)
    assert actuals.value("cloud.revenue", "FY2025Q4") == 30_127
    assert actuals.value("cloud.revenue_growth", "FY2026Q1") == pytest.approx(0.08)
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


# --------------------------------------------------------------------------- roll-forward

def test_one_more_quarter_becomes_actual_and_its_year_the_sum(tmp_path, base):
    path = _csv(tmp_path, "period,line,value\nFY2025Q4,cloud.revenue,30127\nFY2025Q4,cloud.ebita,2351\n"
                          "FY2025Q4,cloud.ai.customers,420000\n")
    fc = cloudmodel.forecast(actuals=path)
    assert fc.meta["origin"] == "FY2025Q4"
    assert fc.value("cloud.revenue", "FY2025Q4") == 30_127 and fc.rows.basis("cloud.revenue", "FY2025Q4") == "actual"
    assert fc.value("cloud.revenue", "FY2025") == 26_549 + 29_610 + 31_742 + 30_127
    assert fc.rows.basis("cloud.revenue", "FY2025") == "actual"
    assert fc.value("cloud.ebita", "FY2025") == 2_337 + 2_661 + 3_138 + 2_351
    assert fc.rows.basis("cloud.revenue", "FY2026Q1") == "forecast"
    assert fc.value("cloud.ai.customers", "FY2025Q4") == pytest.approx(420_000)  # re-anchored
    assert fc.value("cloud.ai.penetration", "CY2025") == pytest.approx(base.value("cloud.ai.penetration", "CY2025"))
    assert fc.value("cloud.revenue", "FY2026Q1") != base.value("cloud.revenue", "FY2026Q1")  # continues from it
    assert fc.ok


def test_revenue_without_ebita_keeps_the_ebita_formula(tmp_path, base):
    fc = cloudmodel.forecast(actuals=_csv(tmp_path, "period,line,value\nFY2025Q4,cloud.revenue,30127\n"))
    assert fc.rows.basis("cloud.revenue", "FY2025Q4") == "actual"
    assert fc.rows.basis("cloud.ebita", "FY2025Q4") == "estimate"  # a reported quarter whose EBITA the file lacks


def test_a_gap_after_the_history_is_an_error(tmp_path, cli):
    path = _csv(tmp_path, "period,line,value\nFY2026Q1,cloud.revenue,30000\n")
    result = cli("forecast", "--actuals", str(path), "--origin", "FY2026Q1")
    assert result.code == 2 and "FY2025Q4" in result.stderr and "no reported cloud revenue" in result.stderr


def test_dau_re_anchors(tmp_path):
    fc = cloudmodel.forecast(actuals=_csv(tmp_path, "period,line,value\nFY2025Q4,cloud.revenue,30127\n"
                                                    "FY2025Q4,cloud.deepseek.dau_hosted,1500万\n"))
    assert fc.value("cloud.deepseek.dau_hosted", "FY2025Q4") == pytest.approx(15_000_000)
    assert fc.rows.basis("cloud.deepseek.dau_hosted", "FY2025Q4") == "actual"


# --------------------------------------------------------------------------- backtest

def test_backtest_on_hand_made_actuals(drivers, history, base):
    actuals = Actuals("hand", [Actual("cloud.revenue", "FY2025Q4", 30_000.0, 2), Actual("cloud.revenue", "FY2026Q1", 31_000.0, 3),
                               Actual("cloud.ebita", "FY2025Q4", 2_500.0, 4)])
    result = backtest(drivers, history, actuals, "FY2025Q3")
    rows = {(r["line"], r["period"], r["method"]): r for r in result["rows"]}
    f4, f1 = base.value("cloud.revenue", "FY2025Q4"), base.value("cloud.revenue", "FY2026Q1")
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
    assert ("cloud.revenue", "baseline") in summary
    assert summary[("cloud.ebita", "model")]["mape"] == pytest.approx(abs(base.value("cloud.ebita", "FY2025Q4") - 2_500) / 2_500)


def test_backtest_on_the_projects_own_history_matches_forecast_at_that_origin(drivers, history, cli, tmp_path):
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
    assert at_origin.ok


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["cloud.revenue", "cloud.ebita", "cloud.ai.customers"]),
                          st.sampled_from(["FY2026Q1", "FY2026Q2", "FY2026", "CY2025"]),
                          st.floats(1e3, 1e6)), max_size=6, unique_by=lambda r: (r[0], r[1])))
def test_no_look_ahead(drivers, history, later):
    """A forecast made at FY2025Q4 is the same whatever the file says after FY2025Q4."""
    known = [Actual("cloud.revenue", "FY2025Q4", 30_127.0, 2), Actual("cloud.ebita", "FY2025Q4", 2_351.0, 3)]
    after = [Actual(line, period, value, 10 + i) for i, (line, period, value) in enumerate(later)]
    plain = cloudmodel.forecast(drivers=drivers, history=history, actuals=Actuals("a", known), origin="FY2025Q4")
    with_later = cloudmodel.forecast(drivers=drivers, history=history, actuals=Actuals("b", known + after), origin="FY2025Q4")
    assert plain.table.equals(with_later.table)


def test_origin_errors(cli):
    assert "needs four reported quarters up to the origin" in cli("forecast", "--origin", "FY2023Q3").stderr
    assert "fiscal quarter" in cli("forecast", "--origin", "FY2025").stderr
    result = cli("backtest", "--actuals", "/no/such/file.csv")
    assert result.code == 2 and "no such file" in result.stderr


def test_library_error_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        load_actuals(_csv(tmp_path, "period,line,value\n"))
