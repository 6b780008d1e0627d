"""Issue 21: adding a MaaS part touches quantities/maas.py and its driver file only.

The test follows the walk of docs/architecture.md ("Adding a MaaS part") on a copy of the project:
its three code blocks, applied as the walk says, to those two files and no other. The copy then
runs as a user runs it, and the new part is found in the forecast (its rows, MaaS revenue its sum,
the checks holding), in the terminal's table, in `trace` (its drivers), in the tornado, in the
component bridge, in the workbook and in the note.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

TOY_LINE = "cloud.maas.toy"
FEE = "maas.toy_fee_per_ai_customer"
MARGIN = "maas.toy_margin"
RULE = "# ----------------------------------------------------------------------------- total and margin"


def _walk() -> list[str]:
    """The code blocks of the walk, in order."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Adding a MaaS part", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:python|toml)\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project with the toy part added as the walk says, and how to run it."""
    root = tmp_path_factory.mktemp("extended")
    for name in ("cloudmodel", "drivers", "fixtures"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")  # what marks a checkout
    before = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    quantity, part, drivers = _walk()
    maas = root / "cloudmodel" / "quantities" / "maas.py"
    text = maas.read_text(encoding="utf-8")
    assert text.count(RULE) == 1 and text.count("\n}\nMAAS_REVENUE") == 1, "the walk's anchors moved: update docs/architecture.md"
    text = text.replace(RULE, quantity + RULE).replace("\n}\nMAAS_REVENUE", "\n" + part.rstrip("\n") + "\n}\nMAAS_REVENUE")
    maas.write_text(text, encoding="utf-8")
    toml = root / "drivers" / "maas.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + drivers, encoding="utf-8")
    changed = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                     and before.get(p.relative_to(root)) != p.read_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env |= {"PYTHONPATH": str(root), "CLOUDMODEL_CACHE_DIR": str(root / "cache"), "COLUMNS": "160"}

    def run(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "cloudmodel", *args], cwd=root, env=env, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    return {"root": root, "changed": changed, "run": run}


def test_the_walk_touches_maas_py_and_its_driver_file_only(project):
    assert project["changed"] == ["cloudmodel/quantities/maas.py", "drivers/maas.toml"]


def test_the_forecast_has_the_part_and_maas_revenue_is_its_sum(project):
    document = json.loads(project["run"]("forecast", "--format", "json"))
    rows = {(r["line"], r["period"]): r["value"] for r in document["rows"]}
    year = next(p for (line, p) in rows if line == TOY_LINE and p.startswith("FY") and "Q" not in p and
                rows[(TOY_LINE, p)] and p > document["meta"]["last_reported"][:6])
    toy = rows[(TOY_LINE, year)]
    ai_customers = [rows[("cloud.ai.customers", f"{year}Q{q}")] for q in range(1, 5)]
    # a fee of RMB 100 a quarter per AI customer (quarter averages): about 100 × the year's customers, in RMB mn
    assert toy == pytest.approx(1e-4 * sum(ai_customers), rel=0.15)
    parts = [rows[(f"cloud.maas.{p}", year)] for p in ("model_calls", "plugins", "gpu_leasing", "deepseek_hosting", "apple", "toy")]
    assert sum(parts) == pytest.approx(rows[("cloud.revenue.maas", year)], rel=1e-12)
    assert document["meta"]["checks_ok"] is True
    assert abs(rows[("check.cloud.maas_parts_sum_to_maas", year)]) < 1e-6


def test_the_terminal_table_shows_the_part(project):
    assert re.search(r"│\s+toy part\s+│ RMB [bm]n", project["run"]("forecast"))


def test_trace_lists_the_parts_drivers(project):
    document = json.loads(project["run"]("trace", TOY_LINE, "--format", "json"))
    ids = {r["id"] for r in document["drivers"]}
    assert FEE in ids
    gross = json.loads(project["run"]("trace", "cloud.gross_profit.maas", "--format", "json"))
    assert {FEE, MARGIN} <= {r["id"] for r in gross["drivers"]}


def test_the_tornado_and_the_bridge_see_the_part(project):
    tornado = json.loads(project["run"]("sensitivity", "--line", "cloud.revenue.maas", "--format", "json"))
    assert FEE in {r["driver"] for r in tornado["rows"]}
    bridge = json.loads(project["run"]("explain", "cloud.revenue.maas", "--from", "FY2027", "--period", "FY2028",
                                       "--format", "json"))
    assert TOY_LINE in {r["driver"] for r in bridge["rows"]}  # a component bridge's rows are the sum's parts


def test_the_workbook_and_the_note_show_the_part(project):
    openpyxl = pytest.importorskip("openpyxl")
    book = project["root"] / "book.xlsx"
    project["run"]("forecast", "--format", "xlsx", "--output", str(book))
    sheet = openpyxl.load_workbook(book, read_only=True)["Outputs"]
    assert any(row[0] == TOY_LINE for row in sheet.iter_rows(values_only=True))
    note = project["root"] / "note.html"
    project["run"]("report", "--output", str(note), "--draws", "200")
    html = note.read_text(encoding="utf-8")
    assert f'data-line="{TOY_LINE}"' in html  # its row of the AI and MaaS table
    chart = html.split('data-chart="maas-mix"', 1)[1].split("</svg>", 1)[0]
    assert "toy part" in chart and "GPU leasing" in chart  # and its series in the MaaS chart, beside the others


# ----------------------------------------------------------------------------- dated paths

ENTRY = """
[[driver]]
id = "growth.organic_fy2028"
label = "Organic growth of the non-AI base in FY2028 (a test's entry)"
value = "20%"
unit = "ratio"
period = "{period}"
kind = "assumption"
reason = "A year more on the organic path, to show that it is one entry in a file."
bounds = [-0.5, 1.0]
schedule = "growth.organic"
"""


def _rows(result) -> dict[tuple[str, str], float]:
    assert result.code == 0, result.stderr
    return {(r["line"], r["period"]): r["value"] for r in json.loads(result.stdout)["rows"]}


def test_a_year_more_on_a_growth_path_is_one_entry_in_a_driver_file(cli, drivers_copy):
    """Issue 21: a growth path is a schedule of dated entries that its drivers declare
    (``schedule = "growth.organic"``); an entry for FY2028 moves FY2028 on and nothing before, and
    lineage sees it, with no change to the code."""
    base = _rows(cli("forecast", "--drivers", str(drivers_copy), "--format", "json"))
    growth = drivers_copy / "growth.toml"
    growth.write_text(growth.read_text(encoding="utf-8") + ENTRY.format(period="FY2028"), encoding="utf-8")
    moved = _rows(cli("forecast", "--drivers", str(drivers_copy), "--format", "json"))
    assert moved[("cloud.revenue", "FY2027")] == pytest.approx(base[("cloud.revenue", "FY2027")], rel=1e-12)
    assert moved[("cloud.revenue", "FY2028")] > base[("cloud.revenue", "FY2028")] * 1.05  # 20% against the long run's 5%
    assert moved[("cloud.revenue", "FY2026")] == base[("cloud.revenue", "FY2026")]  # the reported year is pinned
    traced = json.loads(cli("trace", "cloud.revenue@FY2028", "--drivers", str(drivers_copy), "--format", "json").stdout)
    reads = {r["id"]: r["reads"] for r in traced["drivers"]}
    assert "value" in reads["growth.organic_fy2028"]


def test_two_entries_of_a_path_in_one_quarter_are_refused(cli, drivers_copy):
    growth = drivers_copy / "growth.toml"
    growth.write_text(growth.read_text(encoding="utf-8") + ENTRY.format(period="FY2027"), encoding="utf-8")
    result = cli("forecast", "--drivers", str(drivers_copy))
    assert result.code == 2
    assert "growth.organic_fy2028" in result.stderr and "growth.organic_long_run" in result.stderr
    assert "schedule growth.organic" in result.stderr and "Traceback" not in result.stderr


def test_a_misspelt_schedule_or_one_of_mixed_units_is_refused(cli, drivers_copy):
    """A schedule no quantity reads would be ignored, and an entry in another unit read as a rate:
    both are load errors naming the driver."""
    calibrated = drivers_copy / "calibrated.toml"
    text = calibrated.read_text(encoding="utf-8")
    calibrated.write_text(text.replace('schedule = "growth.organic"', 'schedule = "growth.organc"', 1), encoding="utf-8")
    result = cli("forecast", "--drivers", str(drivers_copy))
    assert result.code == 2 and "growth.organic_fy2025.schedule" in result.stderr and "growth.organic" in result.stderr
    calibrated.write_text(text, encoding="utf-8")
    growth = drivers_copy / "growth.toml"
    growth.write_text(growth.read_text(encoding="utf-8") + ENTRY.format(period="FY2028").replace('unit = "ratio"', 'unit = "x"')
                      .replace('value = "20%"', "value = 0.2"), encoding="utf-8")
    result = cli("forecast", "--drivers", str(drivers_copy))
    assert result.code == 2 and "growth.organic_fy2028.unit" in result.stderr and "share one unit" in result.stderr
