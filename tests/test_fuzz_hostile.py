"""A fuzzer over driver files, ``--set`` values and actuals rows (issue 13): whatever comes in,
the CLI exits 0 with finite numbers or 2 with one message; never a traceback, never exit 3."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import DRIVERS, run_cli

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ids() -> list[str]:
    from cloudmodel import load_drivers

    return sorted(k for k, d in load_drivers(DRIVERS).items() if d.kind != "derived")


IDS = _ids()
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1e300, 1e-300, 0.95, 1.0, -1.0, 2.0]),
    st.integers(min_value=-(10**30), max_value=10**30),
)
TEXTS = st.one_of(
    NUMBERS.map(repr),
    st.sampled_from(["15%", "-5%", "150%", "33万", "3.5亿", "1e400", "nan", "inf", "0", "-0", "20亿元", "1.2bn", "16 元/百万 tokens",
                     "10**9", "1,000", "1,00", "﹣1", "１２", "1e-400", "0x10", "\x1b[31m1", "1\u202e"]),
    st.text(min_size=1, max_size=30).filter(lambda t: t.strip() and "\x00" not in t),
)


def _finite_or_refused(result) -> None:
    assert result.code in (0, 2), (result.code, result.stderr[-1500:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-1500:]
    if result.code == 2:
        assert result.stderr.startswith("cloudmodel: error:")
        assert "\x1b" not in result.stderr
        return
    document = json.loads(result.stdout)
    bad = [r for r in document["rows"] if r["value"] is None or not math.isfinite(r["value"])]
    assert not bad, bad[:3]


@FUZZ
@given(driver=st.sampled_from(IDS), value=TEXTS)
def test_set_values_are_finite_or_refused(driver, value):
    _finite_or_refused(run_cli("forecast", "--format", "json", "--set", f"{driver}={value}"))


@FUZZ
@given(pairs=st.lists(st.tuples(st.sampled_from(IDS), TEXTS), min_size=2, max_size=4))
def test_several_set_values_are_finite_or_refused(pairs):
    args = [a for driver, value in pairs for a in ("--set", f"{driver}={value}")]
    _finite_or_refused(run_cli("forecast", "--format", "json", *args))


TOML_VALUES = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-1e308", "0", "-1", "1e400", "9" * 40, "true", "[]", "[[1]]", "{}",
                     "2025-01-01", '"15%"', '"33万"', '"abc"', '""', '"\\u001b[2J"', "[nan]", "{ family = \"discrete\" }"]),
    NUMBERS.map(lambda x: "nan" if x != x else ("inf" if x == math.inf else ("-inf" if x == -math.inf else repr(x)))),
    st.text(max_size=20).map(json.dumps),
)
FIELDS = st.sampled_from(["value", "low", "high", "unit", "period", "bounds", "distribution", "kind", "id"])
FILES = sorted(p.name for p in DRIVERS.glob("*.toml"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=st.sampled_from(FILES), index=st.integers(min_value=0, max_value=20), field=FIELDS, value=TOML_VALUES,
       raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_driver_files_are_finite_or_refused(file, index, field, value, raw):
    with tempfile.TemporaryDirectory() as tmp:
        drivers = Path(tmp) / "drivers"
        shutil.copytree(DRIVERS, drivers)
        path = drivers / file
        if raw is not None and index % 5 == 0:
            path.write_bytes(raw)  # now and then, a file of random bytes
        else:
            text = path.read_text(encoding="utf-8")
            tables = text.split("[[driver]]")
            k = 1 + index % max(len(tables) - 1, 1)
            if k < len(tables):
                table = re.sub(rf"(?m)^{field} = .*$", "", tables[k])
                tables[k] = f"\n{field} = {value}" + table
            path.write_text("[[driver]]".join(tables), encoding="utf-8")
        _finite_or_refused(run_cli("forecast", "--drivers", str(drivers), "--format", "json"))


PERIODS = st.sampled_from(["FY2025Q4", "CY2025Q1", "FY2025Q3", "FY2026Q1", "FY2024", "CY2024", "FY2026", "2025Q3", "FY9999Q1",
                           "FY0000Q1", "garbage", "", "FY2025Q5"])
LINES = st.sampled_from(["cloud.revenue", "cloud.ebita", "cloud.ai.customers", "cloud.deepseek.dau_hosted", "group.revenue",
                         "cloud.revenue_growth", "nope", ""])
ROW_VALUES = st.one_of(TEXTS, st.sampled_from(["30127", "30,127", "-1", "0", "1e308", "nan"]))
FLAGS = st.sampled_from(["", "true", "false", "TRUE", "maybe"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(PERIODS, LINES, ROW_VALUES, FLAGS), min_size=1, max_size=5))
def test_actuals_rows_are_finite_or_refused(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "actuals.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["period", "line", "value", "restates"])
            writer.writerows(rows)
        _finite_or_refused(run_cli("forecast", "--format", "json", "--actuals", str(path)))


BOUNDS = st.sampled_from(["", "1", "-1", "0", "2", "150%", "1e308", "5e-324", "30000"])
UPDATE_LINES = st.sampled_from(["cloud.revenue", "cloud.ebita", "cloud.ai.customers", "cloud.ai.revenue_growth",
                                "cloud.revenue_growth", "cloud.ebita_margin", "cloud.deepseek.dau_hosted"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(PERIODS, UPDATE_LINES, st.one_of(ROW_VALUES, st.just("")), BOUNDS, BOUNDS), min_size=1, max_size=4),
       verb=st.sampled_from([("update",), ("backtest",)]))
def test_update_and_backtest_actuals_are_finite_or_refused(rows, verb):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "actuals.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["period", "line", "value", "low", "high"])
            writer.writerows(rows)
        result = run_cli(*verb, "--actuals", str(path), "--format", "json")
        assert result.code in (0, 2), (result.code, result.stderr[-1500:])
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        if result.code == 0:
            assert "NaN" not in result.stdout and "Infinity" not in result.stdout
