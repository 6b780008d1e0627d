"""The live workbook: formulas from the model's own definitions, recalculated by a real
spreadsheet engine (LibreOffice, headless, recalculation on load forced) and compared with the
Python forecast — as written, and after inputs are edited in the workbook."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import cloudmodel
from cloudmodel.present import workbook

#: The recalculated workbook must equal the forecast to this relative tolerance (absolute for
#: values below 1, such as ratios and check residuals): both compute in double precision, so
#: only the order of operations differs.
TOLERANCE = 1e-6
KEY_LINES = ("cloud.revenue", "cloud.ebita", "cloud.ebita_margin", "cloud.revenue.iaas", "cloud.revenue.paas",
             "cloud.revenue.saas", "cloud.revenue.maas", "cloud.revenue.solutions", "cloud.ai.customers",
             "group.revenue", "group.non_gaap_net_income", "valuation.target.usd_per_ads")
EDITS = {"ai.penetration_target": ("20%", 0.20), "apple.users": ("2000万", 20_000_000.0)}
RECALC_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        message = "LibreOffice (soffice) is not installed: .ci/run installs libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def recalculate(path: Path, folder: Path) -> Path:
    """Open ``path`` in headless LibreOffice with recalculation on load forced, save it as xlsx."""
    soffice = _soffice()
    profile = folder / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ON_LOAD, encoding="utf-8")
    out = folder / "recalculated"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    result = out / path.name
    assert result.is_file(), f"LibreOffice wrote no {result}"
    return result


def _outputs(path: Path) -> dict[tuple[str, str], object]:
    import openpyxl

    sheet = openpyxl.load_workbook(path, data_only=True)["Outputs"]
    return {(line, period): value for line, period, value, *_ in sheet.iter_rows(min_row=2, values_only=True)}


def _compare(values: dict[tuple[str, str], object], fc) -> list[str]:
    bad = []
    for line, period, value in fc.table.select("line", "period", "value").iter_rows():
        got = values.get((line, period))
        if not isinstance(got, int | float) or abs(got - value) > TOLERANCE * max(1.0, abs(value)):
            bad.append(f"{line}@{period}: workbook {got!r}, forecast {value!r}")
    return bad


@pytest.fixture(scope="module")
def base_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbook")
    fc = cloudmodel.forecast()
    path = folder / "base.xlsx"
    formulas = workbook.save(fc, path)
    return fc, path, formulas, folder


def test_recalculated_workbook_equals_the_forecast(base_book):
    fc, path, _, folder = base_book
    values = _outputs(recalculate(path, folder))
    assert not _compare(values, fc)
    compared = {line for line, _ in values}
    assert set(KEY_LINES) <= compared
    for period in ("FY2025", "FY2026", "FY2027", "FY2028", "FY2026Q1", "FY2028Q4"):
        assert (KEY_LINES[0], period) in values


def test_edited_inputs_follow_like_forecast_set(base_book):
    import openpyxl

    _, path, _, folder = base_book
    book = openpyxl.load_workbook(path)
    rows = {row[0].value: row for row in book["Drivers"].iter_rows(min_row=2)}
    for driver_id, (_, value) in EDITS.items():
        rows[driver_id][1].value = value
    edited = folder / "edited.xlsx"
    book.save(edited)
    expected = cloudmodel.forecast(overrides={k: text for k, (text, _) in EDITS.items()})
    values = _outputs(recalculate(edited, folder))
    assert not _compare(values, expected)
    base = cloudmodel.forecast()
    assert values[("valuation.target.usd_per_ads", "FY2027")] != pytest.approx(base.value("valuation.target.usd_per_ads", "FY2027"))
    assert values[("cloud.revenue", "FY2026Q2")] == base.value("cloud.revenue", "FY2026Q2")  # history is pinned


def test_sheets_columns_and_formulas(base_book):
    import openpyxl

    fc, path, formulas, _ = base_book
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["README", "Tables", "Drivers", "Quarters", "Years", "Constants", "Outputs", "Checks", "Targets"]
    drivers = book["Drivers"]
    assert [c.value for c in drivers[1]][:7] == ["id", "value", "unit", "low", "high", "kind", "source"]
    assert [c.value for c in book["Outputs"][1]][:3] == ["line", "period", "value"]
    outputs = list(book["Outputs"].iter_rows(min_row=2))
    assert len(outputs) == fc.table.height
    forecast_cells = [row[2].value for row in outputs if row[4].value == "E"]
    assert forecast_cells and all(str(v).startswith("=") for v in forecast_cells)
    assert all(str(row[2].value).startswith("=") for row in book["Checks"].iter_rows(min_row=2))
    assert formulas > 3000
    # inputs are numbers styled as inputs; derived drivers are formulas over them
    by_id = {row[0].value: row for row in drivers.iter_rows(min_row=2)}
    assert isinstance(by_id["ai.penetration_target"][1].value, float)
    assert str(by_id["ai.penetration_dec2024"][1].value).startswith("=")
    # numbers formatted by unit, panes frozen
    assert by_id["ai.penetration_target"][1].number_format == "0.0%"
    assert "bn" in by_id["maas.model_calls_cy2024"][1].number_format
    assert book["Quarters"].freeze_panes == "E3"


def test_tables_sheet_shows_the_terminals_sections_live(base_book):
    """The Tables sheet lays out the sections the terminal prints (present/sections.py), each cell a
    reference to its line's cell in Outputs; recalculated, it shows the forecast's value."""
    import openpyxl

    from cloudmodel.present import sections
    from cloudmodel.present.defaults import target_year

    fc, path, _, folder = base_book
    sheet = openpyxl.load_workbook(path)["Tables"]
    rows = list(sheet.iter_rows(values_only=True))
    labels = [r[0] for r in rows if r[0] is not None]
    expected = sections.forecast(target_year(fc.drivers, fc.timeline.origin))
    for section in expected:
        assert section.title in labels
        assert [label for label, _ in section.pairs()] == labels[labels.index(section.title) + 2:][:len(section.rows)]
    header = next(r for r in rows if r[0] == "line")
    column = header.index("FY2027 E")
    revenue = next(r for r in rows if r[0] == "Cloud revenue")
    assert str(revenue[column]).startswith("=Outputs!$C$")
    recalculated = openpyxl.load_workbook(recalculate(path, folder), data_only=True)["Tables"]
    values = {r[0]: r for r in recalculated.iter_rows(values_only=True) if r[0]}
    assert values["Cloud revenue"][column] == pytest.approx(fc.value("cloud.revenue", "FY2027"), rel=1e-9)
    assert values["Target per ADS"][column] == pytest.approx(fc.value("valuation.target.usd_per_ads", "FY2027"), rel=1e-9)
