"""Monte Carlo: ordering, reproducibility, the collapsed case, constructed cases, bad input."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from cloudmodel.analyses.simulate import KEY_LINES, Spec, correlation_matrix, simulate, uniforms
from cloudmodel.analyses.whatif import parse_condition


@pytest.fixture(scope="module")
def run(rdrivers, rhistory, report_basis):
    """The report's own view: its ranges, nothing fitted (the residual states apply nothing there)."""
    return simulate(rdrivers, rhistory, 40_000, seed=7, living=report_basis.living)


@pytest.fixture(scope="module")
def today(basis):
    """Today: the update's posterior for the drivers it reached, the states' innovations every quarter."""
    return simulate(basis.drivers, basis.history, 20_000, seed=7, living=basis.living)


def test_percentiles_are_ordered(run):
    wide = run.stats.pivot(on="stat", index=["line", "period"], values="value")
    for row in wide.iter_rows(named=True):
        assert row["p5"] <= row["p25"] <= row["p50"] <= row["p75"] <= row["p95"], row
        assert row["p5"] <= row["mean"] <= row["p95"], row
    assert set(wide["line"]) == set(KEY_LINES)
    assert set(wide["period"]) == {"FY2025", "FY2026", "FY2027", "FY2028"}


def test_today_is_ordered_and_its_point_is_the_forecast(today, base):
    wide = today.stats.pivot(on="stat", index=["line", "period"], values="value")
    assert set(wide["period"]) == {"FY2026", "FY2027", "FY2028", "FY2029"}
    for row in wide.iter_rows(named=True):
        assert row["p5"] <= row["p50"] <= row["p95"], row
        assert row["point"] == pytest.approx(base.value(row["line"], row["period"]), rel=1e-9), row
        if row["period"] == "FY2026":  # reported: pinned, no spread
            assert row["p95"] - row["p5"] == pytest.approx(0, abs=1e-6 * max(1, abs(row["p50"]))), row
    revenue = wide.filter((pl.col("line") == "cloud.revenue") & (pl.col("period") == "FY2027")).row(0, named=True)
    assert revenue["p95"] / revenue["p5"] > 1.05  # the forecast error shows
    margin = wide.filter((pl.col("line") == "cloud.ebita_margin") & (pl.col("period") == "FY2027")).row(0, named=True)
    assert 0 < margin["p5"] < margin["p95"] < 0.3  # EBITA bands from the margin's spread stay plausible


def test_same_seed_same_rows_other_seed_other_rows(rdrivers, rhistory, report_basis, run):
    drivers, history, living = rdrivers, rhistory, report_basis.living
    again = simulate(drivers, history, 40_000, seed=7, living=living)
    assert again.stats.equals(run.stats)
    assert again.meta == run.meta
    other = simulate(drivers, history, 40_000, seed=8, living=living)
    assert not other.stats.equals(run.stats)
    assert run.meta["seed"] == 7 and run.meta["draws"] == 40_000


@pytest.mark.parametrize(("precision", "tolerance"), [("float64", 1e-12), ("float32", 1e-5)])
def test_collapsed_ranges_give_the_base_forecast_in_every_draw(rdrivers, rhistory, report_basis, report, precision, tolerance):
    drivers, history, base = rdrivers, rhistory, report
    result = simulate(drivers, history, 3_000, seed=1, collapse=True, keep_draws=True, precision=precision,
                      living=report_basis.living)
    frame = result.draws_frame
    for line in ("cloud.revenue", "cloud.ebita_margin", "valuation.target.usd_per_ads", "group.revenue"):
        for period in ("FY2025", "FY2026", "FY2028"):
            values = frame.filter((pl.col("line") == line) & (pl.col("period") == period))["value"].to_numpy()
            assert len(values) == 3_000
            assert np.allclose(values, base.value(line, period), rtol=tolerance, atol=0), (line, period)


def test_p50_of_a_line_linear_in_one_symmetric_driver(rdrivers, rhistory, report):
    drivers, history, base = rdrivers, rhistory, report
    result = simulate(drivers, history, 20_000, seed=3, only=["valuation.cloud_ps_multiple"])
    p50 = result.stats.filter((pl.col("line") == "valuation.cloud.usd_per_ads") & (pl.col("period") == "FY2026")
                              & (pl.col("stat") == "p50"))["value"][0]
    assert p50 == pytest.approx(base.value("valuation.cloud.usd_per_ads", "FY2026"), rel=0.01)


def test_constructed_probabilities(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    # penetration ~ triangular(15%, 17.5%, 20%): P(p > 18.75%) = (20 − 18.75)² / ((20 − 15)(20 − 17.5)) = 0.125
    conditions = [parse_condition("cloud.ai.penetration@CY2025>18.75%", "--prob", (">",))]
    result = simulate(drivers, history, 100_000, seed=11, only=["ai.penetration_target"], conditions=conditions)
    assert result.probabilities[0]["probability"] == pytest.approx(0.125, abs=0.005)
    # the Apple deal is drawn as happening or not, with its probability
    conditions = [parse_condition("cloud.maas.apple@FY2026>0", "--prob", (">",))]
    result = simulate(drivers, history, 50_000, seed=12, only=["apple.deal_probability"], conditions=conditions)
    assert result.probabilities[0]["probability"] == pytest.approx(0.5, abs=0.01)


def test_discrete_draws_follow_their_probabilities(drivers):
    from cloudmodel.analyses.simulate import inverse_cdf

    spec = Spec("apple.users", "discrete", 0, 1e7, 3e7, (0.0, 1e7, 2e7, 3e7), (0.1, 0.5, 0.3, 0.1))
    draws = inverse_cdf(spec, np.random.default_rng(0).random(200_000))
    shares = [np.mean(draws == v) for v in spec.values]
    assert shares == pytest.approx(list(spec.probabilities), abs=0.005)


def test_rank_correlation_through_the_copula():
    specs = [Spec("a", "uniform", 0, 0.5, 1), Spec("b", "uniform", 0, 0.5, 1)]
    u = uniforms(specs, 100_000, np.random.default_rng(0), correlation_matrix(specs, {("a", "b"): 0.6}))
    ranks = np.argsort(np.argsort(u, axis=1), axis=1)
    assert np.corrcoef(ranks)[0, 1] == pytest.approx(0.6, abs=0.01)


def test_variance_shares(run):
    shares = run.attribution.filter((pl.col("line") == "valuation.target.usd_per_ads") & (pl.col("period") == "FY2026"))
    assert shares["variance_share"].sum() == pytest.approx(1.0)
    assert shares["driver"][0] == "valuation.taotian_pe_multiple"  # 12–18× on Taotian dominates the target


def test_cli_json_parquet_and_plot(cli, tmp_path):
    result = cli("simulate", "--draws", "5000", "--seed", "4", "--format", "json", "--prob", "cloud.revenue_growth@FY2027>35%")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["meta"]["seed"] == 4 and doc["meta"]["draws"] == 5000 and doc["meta"]["origin"] == "FY2026Q4"
    assert set(doc["rows"][0]) == {"line", "period", "stat", "value", "unit"}
    assert 0 < doc["meta"]["probabilities"][0]["probability"] < 1
    again = cli("simulate", "--draws", "5000", "--seed", "4", "--format", "json", "--prob", "cloud.revenue_growth@FY2027>35%")
    assert again.stdout == result.stdout
    parquet, png = tmp_path / "draws.parquet", tmp_path / "fan.png"
    assert cli("simulate", "--draws", "2000", "--format", "parquet", "--output", str(parquet), "--plot", str(png)).code == 0
    frame = pl.read_parquet(parquet)
    assert frame.columns == ["line", "period", "draw", "value"]
    assert frame.height == 2000 * len(KEY_LINES) * 4
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(("args", "fragment"), [
    (["--draws", "0"], "whole number from 1"),
    (["--draws", "-5"], "whole number from 1"),
    (["--draws", "60000000"], "whole number from 1"),
    (["--prob", "cloud.revenue_growth@FY2026=15%"], "does not parse"),
    (["--prob", "cloud.revenue_growth>15%"], "does not parse"),
    (["--prob", "cloud.revenu@FY2026>1"], "did you mean"),
    (["--correlate", "ai.penetration_target,apple.users=2"], "strictly between -1 and 1"),
    (["--correlate", "ai.penetration_target=0.5"], "expected A,B=RHO"),
    (["--only", "price.deepseek_r1"], "has no range"),
])
def test_bad_simulate_input_exits_2(cli, args, fragment):
    result = cli("simulate", "--draws", "1000", *args) if "--draws" not in args else cli("simulate", *args)
    assert result.code == 2, result
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_distribution_contradicting_its_range_exits_2(cli, drivers_copy):
    path = drivers_copy / "apple.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("values = [0.0, 10000000.0, 20000000.0, 30000000.0]",
                                 "values = [0.0, 10000000.0, 20000000.0, 40000000.0]"), encoding="utf-8")
    result = cli("simulate", "--draws", "1000", "--drivers", str(drivers_copy))
    assert result.code == 2 and "apple.users" in result.stderr and "outside the driver's range" in result.stderr
