"""One update, inside the graph (issue 18): every verb gives the same answer on the same actuals, with
no seed, no crash, a bridge that adds up, and how far a surprise carries."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cloudmodel
from cloudmodel.analyses.update import KEY_LINES, update
from cloudmodel.basis import prepare
from cloudmodel.inputs.actuals import Actual, Actuals, load_actuals
from cloudmodel.periods import quarter_label

from .conftest import ROOT

REL = 1e-9  # "agree to 1e-9": relative, with 1 RMB mn ≈ 1e-9 of nothing below a unit
REPORT_ORIGIN = "FY2025Q3"


def close(a: float | None, b: float | None, rel: float = REL) -> bool:
    return a is not None and b is not None and abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _shipped_rows(history, first: int, last: int) -> list[tuple[str, str, float]]:
    """The shipped quarters first..last as actuals rows (cloud revenue and adjusted EBITA)."""
    rows = []
    for q in range(first, last + 1):
        rows.append((quarter_label(q), "cloud.revenue", history.quarterly["cloud_revenue_rmb_mn"][q]))
        rows.append((quarter_label(q), "cloud.ebita", history.quarterly["cloud_adj_ebita_rmb_mn"][q]))
    return rows


def _write(path, rows) -> str:
    path.write_text("period,line,value\n" + "".join(f"{p},{line},{v!r}\n" for p, line, v in rows), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory, history):
    """Every shipped quarter after the report's origin as an actuals file, and the forecast from the
    report's origin on it (``forecast --origin FY2025Q3 --actuals F``)."""
    origin = prepare(history=history, origin="report").origin
    path = _write(tmp_path_factory.mktemp("shipped") / "shipped.csv", _shipped_rows(history, origin + 1, history.last_quarter))
    fc = cloudmodel.forecast(origin=REPORT_ORIGIN, actuals=path, history=history)
    return path, fc


def _json(cli, *args):
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def _values(fc) -> dict[tuple[str, str], float]:
    return {(r["line"], r["period"]): r["value"] for r in fc.table.iter_rows(named=True)}


# --------------------------------------------------------------------------- one answer, every verb

def test_update_and_forecast_actuals_are_one_graph(shipped, drivers, history):
    """update's updated forecast is forecast --actuals on every line and period, to 1e-9."""
    path, fc = shipped
    result = update(drivers, history, load_actuals(path, history.up_to(fc.timeline.origin - 5)), REPORT_ORIGIN)
    mine, theirs = _values(fc), _values(result.forecast)
    assert mine.keys() == theirs.keys() and len(mine) > 1000
    assert all(close(mine[k], theirs[k]) for k in mine), [k for k in mine if not close(mine[k], theirs[k])][:5]
    for row in result.revised:
        assert close(row["updated"], fc.rows.get(row["line"], row["period"])), row


def test_update_json_is_forecast_json(shipped, cli):
    path, fc = shipped
    doc = _json(cli, "update", "--origin", REPORT_ORIGIN, "--actuals", path)
    assert doc["meta"]["origin"] == REPORT_ORIGIN and doc["meta"]["last_reported"] == "FY2026Q4"
    assert {r["line"] for r in doc["revised"]} >= set(KEY_LINES)
    for row in doc["revised"]:
        assert close(row["updated"], fc.rows.get(row["line"], row["period"])), row
    forecast = _json(cli, "forecast", "--origin", REPORT_ORIGIN, "--actuals", path)
    table = {(r["line"], r["period"]): r["value"] for r in forecast["rows"]}
    assert all(close(v, fc.rows.get(*k)) for k, v in table.items() if v is not None)


def test_simulate_point_is_the_forecast(shipped, cli):
    """simulate --actuals: its point statistic is the forecast, every line and period (P50 is a draw statistic)."""
    path, fc = shipped
    doc = _json(cli, "simulate", "--origin", REPORT_ORIGIN, "--actuals", path, "--draws", "256")
    points = [r for r in doc["rows"] if r["stat"] == "point"]
    assert len(points) >= 10
    for r in points:
        assert close(r["value"], fc.rows.get(r["line"], r["period"])), r
    p50 = {(r["line"], r["period"]): r["value"] for r in doc["rows"] if r["stat"] == "p50"}
    fy = ("cloud.revenue", "FY2027")
    assert abs(p50[fy] / fc.rows.get(*fy) - 1) < 0.05  # the draws centre on it


def test_sensitivity_scenarios_explain_solve_start_from_the_forecast(shipped, cli):
    path, fc = shipped
    at = ["--origin", REPORT_ORIGIN, "--actuals", path]
    for r in _json(cli, "sensitivity", *at)["rows"]:
        assert close(r["output_base"], fc.rows.get(r["line"], r["period"])), r
    base = [r for r in _json(cli, "scenarios", *at)["rows"] if r["scenario"] == "base"]
    assert base and all(close(r["value"], fc.rows.get(r["line"], r["period"])) for r in base)
    explained = _json(cli, "explain", "cloud.revenue", "--period", "FY2027", "--vs-scenario", "bull", *at)
    assert close(explained["meta"]["base"], fc.rows.get("cloud.revenue", "FY2027"))
    # solving for the forecast's own value returns the driver's own (updated) value: it is reachable
    own = fc.rows.get("cloud.revenue", "FY2027")
    solved = _json(cli, "solve", "--target", f"cloud.revenue@FY2027={own!r}", "--vary", "ai.penetration_target", *at)
    assert abs(solved["value"] - solved["base_value"]) < 1e-6
    assert solved["base_value"] == pytest.approx(fc.drivers["ai.penetration_target"].value, rel=1e-12)


def test_the_note_and_the_workbook_stand_on_the_same_forecast(shipped, tmp_path, cli):
    from cloudmodel.analyses.note_data import gather

    path, fc = shipped
    data = gather(actuals=path, origin=REPORT_ORIGIN, draws=256)
    assert all(close(v, fc.rows.get(*k)) for k, v in _values(data["fc"]).items() if v is not None)
    out = tmp_path / "w.xlsx"
    assert cli("forecast", "--origin", REPORT_ORIGIN, "--actuals", path, "--format", "xlsx", "--output", str(out)).code == 0
    import openpyxl

    sheet = openpyxl.load_workbook(out, data_only=True, read_only=True)["Outputs"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) > 1000
    bad = [r for r in rows if isinstance(r[2], float) and not close(r[2], fc.rows.get(r[0], r[1]))]
    assert not bad, bad[:5]


# --------------------------------------------------------------------------- no seed, no luck

def test_update_is_deterministic_across_runs_and_hash_seeds(shipped):
    path, _ = shipped
    outputs = []
    for seed in ("0", "1"):
        env = dict(os.environ, PYTHONHASHSEED=seed, CLOUDMODEL_CACHE_DIR=os.environ["CLOUDMODEL_CACHE_DIR"] + f"-h{seed}")
        done = subprocess.run([sys.executable, "-m", "cloudmodel", "update", "--origin", REPORT_ORIGIN, "--actuals", path,
                               "--format", "json"], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        doc["meta"].pop("actuals", None)
        outputs.append(doc)
    assert outputs[0] == outputs[1]  # the attribution of the FY2026 miss included
    fy2026 = [b for b in outputs[0]["bridge"] if b["line"] == "cloud.revenue" and b["period"] == "FY2026"]
    assert fy2026 and {b["surprise"] for b in fy2026} >= {"cloud.revenue@FY2025Q4", "cloud.revenue@FY2026Q4"}


def test_update_has_no_seed_to_give(cli, shipped):
    path, _ = shipped
    result = cli("update", "--origin", REPORT_ORIGIN, "--actuals", path, "--seed", "3")
    assert result.code == 2 and "--seed" in result.stderr  # nothing is drawn: a seed has nothing to change


def test_the_apple_deal_does_not_become_likelier_without_apple_revenue(shipped, drivers, history):
    """No Apple revenue was reported: no Apple driver moves, and the deal's probability stays its prior."""
    path, fc = shipped
    result = update(drivers, history, load_actuals(path, history.up_to(fc.timeline.origin - 5)), REPORT_ORIGIN)
    apple = [r for r in result.drivers if r["driver"].startswith("apple.")]
    assert all(r["posterior"] == r["prior"] for r in apple)
    assert fc.drivers["apple.deal_probability"].value == drivers["apple.deal_probability"].value
    assert fc.drivers["apple.deal_probability"].value <= drivers["apple.deal_probability"].value


# --------------------------------------------------------------------------- the bridge

def test_the_bridge_adds_up_for_every_key_line(shipped, drivers, history):
    path, fc = shipped
    result = update(drivers, history, load_actuals(path, history.up_to(fc.timeline.origin - 5)), REPORT_ORIGIN)
    assert {r["line"] for r in result.revised} >= set(KEY_LINES)
    for row in result.revised:
        parts = [b["contribution"] for b in result.bridge if (b["line"], b["period"]) == (row["line"], row["period"])]
        assert math.fsum(parts) == pytest.approx(row["change"], rel=1e-9, abs=1e-6), row
    # every part names a surprise (a reported row, a statement or the states' gains) and a channel
    assert all(b["surprise"] and b["via"] for b in result.bridge)


# --------------------------------------------------------------------------- how far a surprise carries

@pytest.fixture(scope="module")
def today(basis):
    return cloudmodel.forecast(basis=basis)


def _next_two(fc) -> tuple[str, str]:
    o = fc.timeline.origin
    return quarter_label(o + 1), quarter_label(o + 2)


def _surprised(drivers, history, origin, factor):
    """The forecasts at ``origin`` and after one more quarter reported at ``factor`` × its forecast."""
    fc0 = cloudmodel.forecast(origin=origin, history=history)
    new, _ = _next_two(fc0)
    rows = [Actual("cloud.revenue", new, factor * fc0.rows.get("cloud.revenue", new), 2)]
    return fc0, cloudmodel.forecast(basis=prepare(drivers, history=history, actuals=Actuals("x", rows), origin=origin))


#: The drivers' refit on a surprise moves the next quarter by at most this share of the surprise beyond
#: the state's own 1 + φ (measured on the shipped history: −0.27 to +0.17).
REFIT_SHARE = 0.3


def _pass_through(drivers) -> tuple[float, float]:
    """How much of a surprise the revenue state passes to the next quarter: the level takes it whole
    and the slope φ of it (docs/backtesting.md §4.3); the drivers' refit adds or takes a little."""
    return 1.0, 1 + drivers["living.revenue_damping"].value + REFIT_SHARE


@pytest.mark.parametrize("origin", [None, "FY2026Q2", REPORT_ORIGIN])
@pytest.mark.parametrize("factor", [1.10, 0.90])
def test_a_ten_percent_surprise_moves_the_next_quarter_by_more_than_itself(origin, factor, drivers, history):
    """A quarter reported 10% off the forecast moves the next quarter's forecast the same way, by more
    than 10% (the level takes the surprise, the slope φ of it) and less than (1 + φ) × 10% plus the
    drivers' refit. From the report's origin the surprise is measured against the quarter reported as
    forecast: the first quarter after the report also switches the residual states on, which carry
    what the quarters before the report said (docs/backtesting.md §4)."""
    fc0, fc1 = _surprised(drivers, history, origin, factor)
    reference = _surprised(drivers, history, origin, 1.0)[1] if origin == REPORT_ORIGIN else fc0
    new, following = _next_two(fc0)
    move = fc1.rows.get("cloud.revenue", following) / reference.rows.get("cloud.revenue", following) - 1
    low, high = _pass_through(drivers)
    assert low < move / (factor - 1) < high, move
    assert fc1.rows.get("cloud.revenue", new) == pytest.approx(factor * fc0.rows.get("cloud.revenue", new), rel=1e-12)
    assert fc1.basis.living.gains == fc0.basis.living.gains  # held since the report's origin


@given(factor=st.floats(0.8, 1.2).filter(lambda f: abs(f - 1) > 1e-3))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_surprise_moves_the_next_quarter_the_same_way_and_boundedly(factor, drivers, history, today):
    new, following = _next_two(today)
    rows = [Actual("cloud.revenue", new, factor * today.rows.get("cloud.revenue", new), 2)]
    fc1 = cloudmodel.forecast(basis=prepare(drivers, history=history, actuals=Actuals("any", rows)))
    move = fc1.rows.get("cloud.revenue", following) / today.rows.get("cloud.revenue", following) - 1
    low, high = _pass_through(drivers)
    assert low < move / (factor - 1) < high, (factor, move)
    assert all(math.isfinite(v) for v in fc1.table["value"])


@pytest.mark.parametrize("origin", [None, "FY2026Q2", "FY2025Q4"])
def test_actuals_equal_to_the_forecast_change_nothing(origin, drivers, history):
    """From any origin after the report's (from the report's own, see the surprise test above)."""
    fc0 = cloudmodel.forecast(origin=origin, history=history)
    new, _ = _next_two(fc0)
    rows = [Actual("cloud.revenue", new, fc0.rows.get("cloud.revenue", new), 2),
            Actual("cloud.ebita", new, fc0.rows.get("cloud.ebita", new), 3)]
    result = update(drivers, history, Actuals("same", rows), origin)
    assert all(close(r["updated"], r["origin_forecast"]) for r in result.revised), \
        [r for r in result.revised if not close(r["updated"], r["origin_forecast"])][:3]
    assert all(abs(b["contribution"]) <= 1e-9 * 1e6 for b in result.bridge)


def test_ebita_learns_the_reported_margin(drivers, history, today):
    """A quarter with a margin 3 points above forecast raises the next quarter's margin, by less than 3 points."""
    new, following = _next_two(today)
    revenue = today.rows.get("cloud.revenue", new)
    margin = today.rows.get("cloud.ebita_margin", new) + 0.03
    rows = [Actual("cloud.revenue", new, revenue, 2), Actual("cloud.ebita", new, margin * revenue, 3)]
    fc1 = cloudmodel.forecast(basis=prepare(drivers, history=history, actuals=Actuals("margin", rows)))
    move = fc1.rows.get("cloud.ebita_margin", following) - today.rows.get("cloud.ebita_margin", following)
    assert 0 < move < 0.03


def test_a_surprise_far_outside_the_ranges_is_a_flagged_conflict_not_an_error(tmp_path, cli, today):
    new, _ = _next_two(today)
    path = _write(tmp_path / "far.csv", [(new, "cloud.revenue", 2.5 * today.rows.get("cloud.revenue", new))])
    doc = _json(cli, "update", "--actuals", path)
    values = [r["updated"] for r in doc["revised"]]
    assert all(math.isfinite(v) for v in values)
    assert any(r.get("outside_range") for r in doc["drivers"]) or doc["meta"]["update"]["spreads"]["revenue"] > 0.05


# --------------------------------------------------------------------------- every prefix, every origin

def _origins(history) -> list[int]:
    first = history.first_quarter + 4  # the first origin with a year of reported quarters before it
    return list(range(first, history.last_quarter))


def test_backtest_and_simulate_run_clean_on_every_prefix_from_every_origin(drivers, history, tmp_path):
    """backtest --actuals F and simulate --actuals F on every prefix of the shipped quarters after every
    origin (the file's quarters stand in for what was reported): finite, no error."""
    from cloudmodel.analyses.backtest import backtest
    from cloudmodel.analyses.simulate import simulate

    runs = 0
    for origin in _origins(history):
        cut = history.up_to(origin)
        for last in range(origin + 1, history.last_quarter + 1):
            path = _write(tmp_path / f"{origin}-{last}.csv", _shipped_rows(history, origin + 1, last))
            actuals = load_actuals(path, cut)
            result = backtest(drivers, history, actuals, origin)
            assert result["rows"] and all(math.isfinite(r["error"]) for r in result["rows"] if r["error"] is not None)
            if last in (origin + 1, history.last_quarter):  # the simulation at the shortest and longest prefix
                basis = prepare(drivers, history=history, actuals=actuals, origin=origin)
                sim = simulate(basis.drivers, basis.history, draws=128, living=basis.living)
                assert all(math.isfinite(v) for v in sim.stats["value"])
            runs += 1
    assert runs >= 40


def test_the_shipped_history_is_what_the_default_stands_on(basis, cli):
    doc = _json(cli, "update", "--actuals", _write_tmp_one(basis))
    assert doc["meta"]["origin"] == quarter_label(basis.origin)


def _write_tmp_one(basis) -> str:
    import tempfile

    fc = cloudmodel.forecast(basis=basis)
    new = quarter_label(basis.origin + 1)
    folder = tempfile.mkdtemp()
    return _write(__import__("pathlib").Path(folder) / "one.csv", [(new, "cloud.revenue", fc.rows.get("cloud.revenue", new))])


def test_rows_used_and_not_used_are_listed(tmp_path, cli, today):
    new, following = _next_two(today)
    later = quarter_label(today.timeline.origin + 3)
    path = _write(tmp_path / "mixed.csv", [(new, "cloud.revenue", today.rows.get("cloud.revenue", new)),
                                           (later, "cloud.revenue", today.rows.get("cloud.revenue", later))])
    result = cli("update", "--actuals", path, "--format", "json")
    assert result.code == 2 and following in result.stderr  # a gap after the history is an error
    path = _write(tmp_path / "ebita.csv", [(new, "cloud.revenue", today.rows.get("cloud.revenue", new)),
                                           (following, "cloud.ebita", today.rows.get("cloud.ebita", following))])
    doc = _json(cli, "update", "--actuals", path)
    assert f"cloud.revenue@{new}" in " ".join(doc["meta"]["rows_used"])
    assert any(f"cloud.ebita@{following}" == r["row"] for r in doc["meta"]["rows_not_used"])


def test_simulate_spreads_come_from_the_update(shipped, cli):
    """The simulation's next-quarter band is the update's: it stays plausible for EBITA (no negative P5)."""
    path, fc = shipped
    doc = _json(cli, "simulate", "--origin", REPORT_ORIGIN, "--actuals", path, "--draws", "512")
    frame = pl.DataFrame(doc["rows"])
    p5 = frame.filter((pl.col("line") == "cloud.ebita") & (pl.col("stat") == "p5") & (pl.col("period") == "FY2027"))
    assert p5.height == 1 and p5["value"][0] > 0
