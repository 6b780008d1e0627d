"""Calibration: the stored values solve the report's targets and equal a fresh `calibrate`."""

from __future__ import annotations

import json

import pytest

from cloudmodel import load_drivers
from cloudmodel.calibrate import calibrate, fit_operating_leverage
from cloudmodel.calibration import solve_report_targets


@pytest.fixture(scope="module")
def result(drivers, history):
    return calibrate(drivers, history)


def test_stored_values_are_the_calibration(drivers, result):
    for driver_id, new in result["values"].items():
        assert drivers[driver_id].kind == "calibrated"
        assert drivers[driver_id].value == pytest.approx(new["value"], rel=1e-6, abs=1e-6), driver_id


def test_stored_values_solve_the_report_targets(drivers, history):
    for driver_id, value in solve_report_targets(drivers, history).items():
        assert drivers[driver_id].value == pytest.approx(value, rel=1e-6, abs=1e-6), driver_id


def test_calibrate_is_deterministic(drivers, history, result):
    again = calibrate(drivers, history)
    assert json.dumps(again, sort_keys=True) == json.dumps(result, sort_keys=True)  # NaN standard errors compare as text


def test_ols_matches_a_hand_computed_regression(drivers, history):
    """The slope and intercept against numpy's least squares on the same points."""
    import numpy as np

    from cloudmodel.calibrate import implied_shared_costs

    _, revenue, costs = implied_shared_costs(drivers, history)
    x, y = np.array(revenue), np.array(costs)
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    intercept = y.mean() - slope * x.mean()
    fit = fit_operating_leverage(drivers, history)["revenue"]
    assert fit["params"]["variable_ratio"] == pytest.approx(slope, rel=1e-9)
    assert fit["params"]["fixed"] == pytest.approx(intercept, rel=1e-9)
    residual_sd = np.sqrt(((y - intercept - slope * x) ** 2).sum() / (len(x) - 2))
    assert fit["bse"]["variable_ratio"] == pytest.approx(residual_sd / np.sqrt(((x - x.mean()) ** 2).sum()), rel=1e-9)
    assert fit["stats"]["n"] == 11
    assert len(fit["residuals"]) == 11


def test_baseline_fit_and_seasonality_by_hand(result):
    base = result["baseline"]
    # the fixed seasonal pattern: ratio of each quarter to its fiscal year's mean, FY2023 and FY2024
    fy2023, fy2024 = [24_356, 27_035, 27_364, 24_742], [25_065, 27_648, 28_066, 25_595]
    expected_q1 = (fy2023[0] / (sum(fy2023) / 4) + fy2024[0] / (sum(fy2024) / 4)) / 2
    assert base["seasonal_indices"]["Q1"] == pytest.approx(expected_q1, rel=1e-12)
    assert sum(base["seasonal_indices"].values()) == pytest.approx(4.0, abs=1e-3)
    assert base["method"].startswith("ETS")
    assert 0 <= base["params"]["smoothing_level"] <= 1 and base["params"]["damping_trend"] <= 0.98 + 1e-9
    assert base["stats"]["n"] == 11


def test_cli_writes_a_loadable_file_and_the_same_twice(cli, drivers_copy, tmp_path):
    out = tmp_path / "calibrated.toml"
    result = cli("calibrate", "--drivers", str(drivers_copy), "--output", str(out))
    assert result.code == 0, result.stderr
    assert out.read_text(encoding="utf-8") == (drivers_copy / "calibrated.toml").read_text(encoding="utf-8")
    assert cli("calibrate", "--drivers", str(drivers_copy), "--output", str(out)).code == 2  # exists, no --force
    assert cli("calibrate", "--drivers", str(drivers_copy), "--write").code == 0
    assert load_drivers(drivers_copy)["ebita.shared_variable_opex_ratio"].kind == "calibrated"
    doc = json.loads(cli("calibrate", "--drivers", str(drivers_copy), "--format", "json").stdout)
    assert set(doc["values"]) >= {"ebita.shared_variable_opex_ratio", "growth.organic_fy2026", "valuation.usd_cny"}
