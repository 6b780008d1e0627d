"""The calibrated drivers in the files are the solution of the report's targets."""

from __future__ import annotations

import pytest

from cloudmodel.calibration import solve_report_targets, write_calibrated


def test_stored_values_solve_the_targets(drivers, history):
    solved = solve_report_targets(drivers, history)
    for driver_id, value in solved.items():
        assert drivers[driver_id].kind == "calibrated"
        assert drivers[driver_id].value == pytest.approx(value, rel=1e-6), driver_id


def test_every_calibrated_driver_is_solved(drivers, history):
    calibrated = {k for k, d in drivers.items() if d.kind == "calibrated"}
    assert calibrated == set(solve_report_targets(drivers, history))


def test_write_rewrites_only_value_lines(drivers_copy):
    before = {p.name: p.read_text(encoding="utf-8") for p in drivers_copy.glob("*.toml")}
    changed = write_calibrated({"valuation.usd_cny": 7.0}, drivers_copy)
    assert changed == ["valuation.toml"]
    after = (drivers_copy / "valuation.toml").read_text(encoding="utf-8")
    diff = [(a, b) for a, b in zip(before["valuation.toml"].splitlines(), after.splitlines(), strict=True) if a != b]
    assert diff == [("value = 7.336857917091488", "value = 7.0")] or (len(diff) == 1 and diff[0][1] == "value = 7.0")
