"""Docs that must not drift from the code: the driver list, the README, the methodology."""

from __future__ import annotations

import re

from cloudmodel.lineage import all_inputs
from cloudmodel.present.docs import render

from .conftest import ROOT


def test_drivers_page_is_current(drivers):
    committed = (ROOT / "docs" / "drivers.md").read_text(encoding="utf-8")
    assert committed == render(drivers), "docs/drivers.md is stale: run python -m cloudmodel.present.docs"


def _quickstart() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart -->(.*?)<!-- /quickstart -->", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("```")]


def test_quick_start_is_exactly_two_command_lines():
    lines = _quickstart()
    assert len(lines) == 2
    assert "cloudmodel forecast" in lines[0] and "pip install" in lines[0] and " . " in lines[0]
    assert "pytest" in lines[1] and "[test]" in lines[1]


def test_ci_runs_the_readme_test_line():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "quickstart" in ci and "pytest" in ci and "ruff check" in ci


def test_readme_python_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Python API\s+```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    fc, report, bull = namespace["fc"], namespace["report"], namespace["bull"]
    assert fc.meta["origin"] == fc.meta["last_reported"] == "FY2026Q4"  # today's view by default
    assert abs(fc.value("cloud.revenue", "FY2026") - 158_132) <= 1  # the reported figure
    assert fc.rows.basis("cloud.revenue", "FY2026") == "actual"
    assert fc.rows.basis("cloud.revenue_growth", "FY2027") == "forecast"
    assert report.meta["origin"] == "FY2025Q3"
    assert abs(report.value("cloud.revenue_growth", "FY2026") - 0.15) < 1e-3  # the report's own figure, ±0.1 pp
    assert bool(report.targets["ok"].all())
    target = "valuation.target.usd_per_ads"
    assert bull.value(target, "FY2027") > fc.value(target, "FY2027")
    assert fc.drivers["living.revenue_season_q1"].kind == "estimated"


def test_every_verb_is_documented_in_the_readme():
    from cloudmodel.cli import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in app.commands:
        assert f"| `{name}" in readme, name


def test_methodology_names_every_driver_a_layer_reads(basis, report_basis):
    """Every driver a quantity reads, in today's view (the residual states' estimated gains among them)
    and in the report's own view (which reads a few others: the Taotian growth of its forecast years)."""
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    missing = set()
    read = set()
    for on in (basis, report_basis):
        read |= all_inputs(on.drivers, on.history, formulas=False)
    assert {"living.revenue_season_q1", "living.revenue_damping", "living.margin_level_gain"} <= read
    for driver_id in sorted(read):  # every driver a quantity reads
        stem = re.sub(r"_(fy\d{4})$", "", driver_id)
        if driver_id not in text and stem not in text and not driver_id.startswith("group.table4."):
            missing.add(driver_id)
    assert not missing, sorted(missing)
