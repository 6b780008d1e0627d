"""Today's model (issue 17): the shipped history to FY2026Q4 is what every verb stands on by default,
and ``--origin`` gives the model as it would have been made at an earlier quarter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudmodel.inputs.history import LINE_METRICS
from cloudmodel.periods import Period, quarter_label

HERE = Path(__file__).parent
TODAY, REPORT = "FY2026Q4", "FY2025Q3"
MONEY = 1.0  # RMB mn: "equal to the reported figure"


def _json(cli, *args):
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def one_quarter(tmp_path_factory):
    """A reported quarter after today's origin (for the verbs that need an actuals file), and the same
    quarters after the report's origin, as in the shipped history."""
    folder = tmp_path_factory.mktemp("acts")
    today = folder / "today.csv"
    today.write_text("period,line,value\nFY2027Q1,cloud.revenue,50000\n", encoding="utf-8")
    report = folder / "report.csv"
    report.write_text("period,line,value\nFY2025Q4,cloud.revenue,30127\n", encoding="utf-8")
    return {TODAY: str(today), REPORT: str(report)}


VERBS = {
    "forecast": ["forecast"],
    "drivers": ["drivers"],
    "trace": ["trace", "cloud.revenue"],
    "scenarios": ["scenarios"],
    "sensitivity": ["sensitivity"],
    "explain": ["explain", "cloud.revenue", "--vs-scenario", "bull"],
    "simulate": ["simulate", "--draws", "200"],
    "backtest": ["backtest"],
}


@pytest.mark.parametrize("verb", sorted(VERBS))
@pytest.mark.parametrize("origin", [TODAY, REPORT])
def test_every_verb_says_its_origin(cli, verb, origin):
    args = VERBS[verb] + ([] if origin == TODAY else ["--origin", origin])
    meta = _json(cli, *args)["meta"]
    assert meta["origin"] == origin
    if verb != "backtest":
        assert meta["last_reported"] == origin and meta["report_origin"] == REPORT


@pytest.mark.parametrize("origin", [TODAY, REPORT])
def test_update_solve_report_and_calibrate_say_their_origin(cli, tmp_path, one_quarter, origin):
    at = [] if origin == TODAY else ["--origin", origin]
    doc = _json(cli, "update", "--actuals", one_quarter[origin], *at)
    assert doc["meta"]["origin"] == origin
    year = "FY2027" if origin == TODAY else "FY2026"
    doc = _json(cli, "solve", "--target", f"cloud.ebita_margin@{year}=12%", "--vary", "ebita.shared_variable_opex_ratio", *at)
    assert doc["meta"]["origin"] == origin
    out = tmp_path / "note.html"
    assert cli("report", "--output", str(out), "--draws", "200", *at).code == 0
    assert f"<dt>origin</dt><dd>{origin} " in out.read_text(encoding="utf-8")
    calibrated = cli("calibrate", *at)
    assert calibrated.code == 0 and f"origin {origin}" in calibrated.stdout
    assert _json(cli, "calibrate", *at)["meta"]["origin"] == origin


def test_every_figure_the_data_state_since_the_report_is_actual(cli, history):
    """forecast --format json: every cloud and group figure the shipped data state for FY2025Q4–FY2026Q4
    is ``actual`` and equal to it (1 RMB mn), quarters and years; FY2027 on is ``forecast``."""
    doc = _json(cli, "forecast", "--period", "quarter")
    rows = {(r["line"], r["period"]): r for r in doc["rows"]}
    years = _json(cli, "forecast")
    rows |= {(r["line"], r["period"]): r for r in years["rows"]}
    first = Period.parse("FY2025Q4").fiscal_quarters()[0]
    checked = 0
    for line, metric in LINE_METRICS.items():
        for q, value in history.quarterly.get(metric, {}).items():
            if q < first or history.is_derived(metric, q) or (line, quarter_label(q)) not in rows:
                continue
            row = rows[(line, quarter_label(q))]
            assert row["basis"] == "actual" and abs(row["value"] - value) <= MONEY, (line, q, row, value)
            checked += 1
        for label, value in history.annual.get(metric, {}).items():
            if Period.parse(label).fiscal_quarters()[-1] < first or history.is_derived(metric, label):
                continue
            row = rows[(line, label)]
            assert row["basis"] == "actual" and abs(row["value"] - value) <= MONEY, (line, label, row, value)
            checked += 1
    assert checked >= 15
    for line in ("cloud.revenue", "cloud.ebita", "group.revenue", "valuation.target.usd_per_ads"):
        assert rows[(line, "FY2027")]["basis"] == "forecast"
    assert rows[("cloud.revenue", "FY2026")]["value"] == pytest.approx(158_132, abs=MONEY)
    assert rows[("group.revenue", "FY2026")]["value"] == pytest.approx(1_023_670, abs=1_000)  # 1,023.7bn as reported


def test_the_reports_origin_changes_nothing_up_to_it(cli):
    """forecast --origin FY2025Q3: no value of a period up to FY2025Q3 differs from the model before
    this round (tests/data/report_origin_main.json, written from main at that commit)."""
    reference = json.loads((HERE / "data" / "report_origin_main.json").read_text(encoding="utf-8"))["rows"]
    mine = {}
    for period in ("year", "quarter"):
        mine |= {(r["line"], r["period"]): r["value"] for r in _json(cli, "forecast", "--origin", REPORT, "--period", period)["rows"]}
    compared = 0
    for r in reference:
        key = (r["line"], r["period"])
        assert key in mine, key
        assert mine[key] == pytest.approx(r["value"], rel=1e-9, abs=1e-6), (key, mine[key], r["value"])
        compared += 1
    assert compared == len(reference) > 900


def test_the_report_alias_is_its_origin(cli):
    a, b = _json(cli, "forecast", "--origin", "report"), _json(cli, "forecast", "--origin", REPORT)
    assert a["rows"] == b["rows"] and a["meta"]["origin"] == REPORT


def test_scenarios_keep_their_order_after_the_origin(cli):
    """Bear, base and bull stay in order on the adoption lines after today's origin: a scenario's higher
    penetration target (dated before the origin) means faster adoption from the common level at the
    origin, continued in log-odds within its ceiling (a share continued in proportion would invert)."""
    rows = _json(cli, "scenarios")["rows"]
    value = {(r["scenario"], r["line"], r["period"]): r["value"] for r in rows}
    for period in ("FY2027", "FY2028", "FY2029"):
        for line in ("cloud.ai.customers", "cloud.revenue", "valuation.target.usd_per_ads"):
            assert value[("bear", line, period)] < value[("base", line, period)] < value[("bull", line, period)], (line, period)
    assert value[("bear", "cloud.ai.customers", "FY2026")] == value[("bull", "cloud.ai.customers", "FY2026")]  # pinned
