"""Shared fixtures. Tests never read ../shared: the project stands alone."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = ROOT / "drivers"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Keep the validated-driver cache of the test run out of the user's home."""
    os.environ["CLOUDMODEL_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield


@pytest.fixture(scope="session")
def drivers():
    from cloudmodel import load_drivers

    return load_drivers(DRIVERS)


@pytest.fixture(scope="session")
def history():
    from cloudmodel.inputs.history import load_history

    return load_history()


@pytest.fixture(scope="session")
def basis(drivers, history):
    """Today's basis: the shipped history to its last quarter, the update on it."""
    from cloudmodel.basis import prepare

    return prepare(drivers, history=history)


@pytest.fixture(scope="session")
def base(basis):
    """Today's forecast: the default of every verb."""
    import cloudmodel

    return cloudmodel.forecast(basis=basis)


@pytest.fixture(scope="session")
def report_basis(drivers, history):
    """The report's own basis: the history cut at its origin (FY2025Q3)."""
    from cloudmodel.basis import prepare

    return prepare(drivers, history=history, origin="report")


@pytest.fixture(scope="session")
def report(report_basis):
    """The report's own view (--origin FY2025Q3): the 12 figures of docs/contract.md §7."""
    import cloudmodel

    return cloudmodel.forecast(basis=report_basis)


@pytest.fixture(params=["report", "today"])
def on(request):
    """The drivers and history of the report's own view and of today's (the residual states at work)."""
    basis = request.getfixturevalue("report_basis" if request.param == "report" else "basis")
    return basis.drivers, basis.history


@pytest.fixture(scope="session")
def rdrivers(report_basis):
    """The drivers the report's view runs on (the files', with the residual states' gains estimated there)."""
    return report_basis.drivers


@pytest.fixture(scope="session")
def rhistory(report_basis):
    """The history as the report knew it (cut at FY2025Q3)."""
    return report_basis.history


@pytest.fixture
def drivers_copy(tmp_path):
    """A writable copy of the shipped drivers directory."""
    target = tmp_path / "drivers"
    shutil.copytree(DRIVERS, target)
    return target


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """Run ``cloudmodel ARGS`` in-process (both front ends), capturing output and the exit code."""
    from cloudmodel.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = sys.argv
    sys.argv = ["cloudmodel", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory):
    """A cache folder holding the validated shipped drivers (copied into each test: no re-validation)."""
    cache = tmp_path_factory.mktemp("warm") / "cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLOUDMODEL_CACHE_DIR", str(cache))
        assert run_cli("drivers", "--drivers", str(DRIVERS), "--format", "json").code == 0
    return cache


@dataclass
class Inputs:
    """A test's own copy of every kind of input a run reads."""

    root: Path
    drivers: Path
    scenario: Path
    actuals: Path
    cache: Path


def copy_inputs(tmp_path: Path, monkeypatch, warm_cache: Path) -> Inputs:
    """The shipped drivers, a scenario file, an actuals file and the warm cache, copied into
    ``tmp_path``; the cache variable points at the copy."""
    drivers = tmp_path / "drivers"
    shutil.copytree(DRIVERS, drivers)
    scenario = tmp_path / "mine.toml"
    scenario.write_text('name = "mine"\n[overrides]\n"ai.penetration_target" = "15%"\n', encoding="utf-8")
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("period,line,value\nFY2025Q4,cloud.revenue,30127\n", encoding="utf-8")
    cache = tmp_path / "cache"
    shutil.copytree(warm_cache, cache)  # keeps the 0600 secret and the folder's 0700
    monkeypatch.setenv("CLOUDMODEL_CACHE_DIR", str(cache))
    return Inputs(tmp_path, drivers, scenario, actuals, cache)
