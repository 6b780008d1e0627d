"""A plain (non-editable) install finds its drivers and fixtures from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from .conftest import ROOT


def test_wheel_ships_drivers_and_fixtures_and_runs_elsewhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, timeout=600)
    wheel = next(wheels.glob("cloudmodel-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cloudmodel/_data/drivers/customers_ai.toml" in names
    assert "cloudmodel/_data/fixtures/alibaba_reported.csv" in names
    assert "cloudmodel/_data/fixtures/report_targets.toml" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import cloudmodel, cloudmodel.inputs.resources as r; fc = cloudmodel.forecast(origin='report'); "
            "print(r.drivers_dir().parent.name, round(fc.value('cloud.revenue_growth', 'FY2026'), 4), fc.ok)")
    env = os.environ | {"PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_data", "0.15", "True"]
