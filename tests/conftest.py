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
def base(drivers, history):
    import cloudmodel

    return cloudmodel.forecast(drivers=drivers, history=history)


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
