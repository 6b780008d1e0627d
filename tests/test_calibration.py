"""Calibration: the stored values solve the report's targets and equal a fresh `calibrate`."""

from __future__ import annotations

import json

import pytest

from cloudmodel import load_drivers
from cloudmodel.analyses.calibrate import calibrate, fit_operating_leverage
from cloudmodel.analyses.calibration import solve_report_targets


@pytest.fixture(scope="module")
def result(drivers, history):
    return calibrate(drivers, history)


def test_stored_values_are_the_calibration(drivers, result):
    """1e-6: the shipped file is a fresh calibration, up to the rounding of the solves."""
    for driver_id, new in result["values"].items():
        assert drivers[driver_id].kind == "calibrated"
        assert drivers[driver_id].value == pytest.approx(new["value"], rel=1e-6, abs=1e-6), driver_id


def test_stored_values_solve_the_report_targets(rdrivers, rhistory):
    """1e-6: the solves are exact (affine targets), so the stored values meet the report's targets (at
    the report's own origin: the calibration is the report's)."""
    drivers, history = rdrivers, rhistory
    for driver_id, value in solve_report_targets(drivers, history).items():
        assert drivers[driver_id].value == pytest.approx(value, rel=1e-6, abs=1e-6), driver_id


def test_calibrate_is_deterministic(drivers, history, result):
    again = calibrate(drivers, history)
    assert json.dumps(again, sort_keys=True) == json.dumps(result, sort_keys=True)  # NaN standard errors compare as text


def test_ols_matches_a_hand_computed_regression(rdrivers, rhistory):
    """The slope and intercept against numpy's least squares on the same points."""
    import numpy as np

    from cloudmodel.analyses.calibrate import implied_shared_costs

    drivers, history = rdrivers, rhistory
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


def test_baseline_fit_and_seasonality_by_hand(result, rhistory):
    """The closed-form baseline against a hand computation with numpy's least squares (1e-9:
    the fit is closed form, so anything beyond rounding is a change of specification)."""
    import numpy as np

    base = result["baseline"]
    # the fixed seasonal pattern: ratio of each quarter to its fiscal year's mean, FY2023 and FY2024
    fy2023, fy2024 = [24_356, 27_035, 27_364, 24_742], [25_065, 27_648, 28_066, 25_595]
    ratios = [[year[k] / (sum(year) / 4) for year in (fy2023, fy2024)] for k in range(4)]
    for k, (r23, r24) in enumerate(ratios, start=1):
        assert base["seasonal_indices"][f"Q{k}"] == pytest.approx((r23 + r24) / 2, rel=1e-12)
        assert base["seasonal_se"][f"Q{k}"] == pytest.approx(abs(r23 - r24) / 2, rel=1e-9)  # sd/√2 of two points
    assert sum(base["seasonal_indices"].values()) == pytest.approx(4.0, abs=1e-3)
    # the log-linear trend: OLS of log(revenue ÷ index) on quarters counted from the last one
    series = rhistory.quarterly["cloud_revenue_rmb_mn"]
    quarters = sorted(series)
    t = np.array([q - quarters[-1] for q in quarters], dtype=float)
    y = np.log([series[q] / base["seasonal_indices"][f"Q{q % 4 + 1}"] for q in quarters])
    X = np.column_stack([np.ones_like(t), t])
    (a, b), *_ = np.linalg.lstsq(X, y, rcond=None)
    assert base["params"]["level"] == pytest.approx(np.exp(a), rel=1e-9)
    assert base["params"]["growth_per_quarter"] == pytest.approx(np.exp(b) - 1, rel=1e-9)
    sigma2 = ((y - X @ np.array([a, b])) ** 2).sum() / (len(t) - 2)
    se_b = np.sqrt(sigma2 / ((t - t.mean()) ** 2).sum())
    assert base["bse"]["growth_per_quarter"] == pytest.approx(np.exp(b) * se_b, rel=1e-9)
    assert base["method"].startswith("log-linear trend")
    assert base["stats"]["n"] == 11


def test_baseline_is_well_posed(history):
    """Every parameter is pinned by the data: its standard error is well below the estimate
    (the ETS fit this replaced had an initial trend of 40 ± 426)."""
    from cloudmodel.analyses.baseline import fit_baseline

    fit = fit_baseline(history.quarterly["cloud_revenue_rmb_mn"])
    for name, value in fit.params.items():
        assert fit.bse[name] < abs(value) / 4, name


def test_baseline_forecast_and_short_samples():
    from cloudmodel.analyses.baseline import FLAT, fit_baseline
    from cloudmodel.periods import fiscal_index

    # an exact geometric series short of a complete year (no seasonal pattern) is reproduced exactly
    start = fiscal_index(2023, 1)
    series = {start + i: 100.0 * 1.02**i for i in range(3)}
    fit = fit_baseline(series)
    assert fit.params["growth_per_quarter"] == pytest.approx(0.02, rel=1e-9)
    assert fit.forecast([start + 8])[start + 8] == pytest.approx(100.0 * 1.02**8, rel=1e-9)
    flat = fit_baseline({start: 10.0, start + 1: 12.0})
    assert flat.method == FLAT and flat.forecast([start + 5]) == {start + 5: 12.0}


def _numbers(path):
    """Every driver record of a calibrated file as {id: {field: value}}."""
    import tomllib

    return {d["id"]: d for d in tomllib.loads(path.read_text(encoding="utf-8"))["driver"]}


#: How close a fresh calibration must come to the shipped file, on every number. The fits are
#: closed form and the solves exact, so a fresh environment agrees to ~1e-9; 1e-4 leaves room for
#: a BLAS that sums in another order while catching any change of specification or data.
SHIPPED_TOLERANCE = 1e-4


def test_cli_reproduces_the_shipped_file_and_the_same_bytes_twice(cli, drivers_copy, tmp_path):
    out, again = tmp_path / "calibrated.toml", tmp_path / "again.toml"
    result = cli("calibrate", "--drivers", str(drivers_copy), "--output", str(out))
    assert result.code == 0, result.stderr
    fresh, shipped = _numbers(out), _numbers(drivers_copy / "calibrated.toml")
    assert list(fresh) == list(shipped)
    for driver_id, record in shipped.items():
        assert set(fresh[driver_id]) == set(record), driver_id
        for key, value in record.items():
            if isinstance(value, float):
                assert fresh[driver_id][key] == pytest.approx(value, rel=SHIPPED_TOLERANCE, abs=1e-9), (driver_id, key)
            else:
                assert fresh[driver_id][key] == value, (driver_id, key)
    # same environment, same data: the same bytes (the promise a diff of the file relies on)
    assert cli("calibrate", "--drivers", str(drivers_copy), "--output", str(again)).code == 0
    assert again.read_bytes() == out.read_bytes()
    assert cli("calibrate", "--drivers", str(drivers_copy), "--output", str(out)).code == 2  # exists, no --force
    assert cli("calibrate", "--drivers", str(drivers_copy), "--write").code == 0
    assert load_drivers(drivers_copy)["ebita.shared_variable_opex_ratio"].kind == "calibrated"
    doc = json.loads(cli("calibrate", "--drivers", str(drivers_copy), "--format", "json").stdout)
    assert set(doc["values"]) >= {"ebita.shared_variable_opex_ratio", "growth.organic_fy2026", "valuation.usd_cny"}
    assert doc["baseline"]["bse"]["growth_per_quarter"] > 0
