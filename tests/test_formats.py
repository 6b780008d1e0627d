"""Every verb, every format (issue 12): csv, json, parquet and xlsx files that load; table text
with --output; an extension that does not match the format is exit 2."""

from __future__ import annotations

import json

import polars as pl
import pytest

from .conftest import DRIVERS

ACTUALS = "period,line,value\nFY2025Q4,cloud.revenue,30127\n"

#: Each verb with options that make it quick; {a} is an actuals file, {r} a saved run.
VERBS = {
    "forecast": ["forecast"],
    "drivers": ["drivers"],
    "trace": ["trace", "cloud.revenue.maas"],
    "scenarios": ["scenarios", "bear", "base"],
    "sensitivity": ["sensitivity", "--line", "cloud.revenue"],
    "solve": ["solve", "--target", "cloud.revenue_growth@FY2027=38%", "--vary", "growth.organic_long_run"],
    "explain": ["explain", "cloud.revenue", "--from", "FY2025"],
    "diff": ["diff", "{r}", "{s}"],
    "simulate": ["simulate", "--draws", "300"],
    "calibrate": ["calibrate"],
    "backtest": ["backtest", "--actuals", "{a}"],
    "update": ["update", "--actuals", "{a}"],
}
FORMATS = {"csv": ".csv", "json": ".json", "parquet": ".parquet", "xlsx": ".xlsx"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from .conftest import run_cli

    root = tmp_path_factory.mktemp("formats")
    (root / "actuals.csv").write_text(ACTUALS, encoding="utf-8")
    assert run_cli("forecast", "--format", "json", "--output", str(root / "a.json")).code == 0
    assert run_cli("forecast", "--format", "json", "--set", "apple.users=2000万", "--output", str(root / "b.json")).code == 0
    return {"a": str(root / "actuals.csv"), "r": str(root / "a.json"), "s": str(root / "b.json")}


def _args(verb: str, files: dict[str, str]) -> list[str]:
    args = [a.format(**files) for a in VERBS[verb]]
    return args + (["--drivers", str(DRIVERS)] if verb != "diff" else [])


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_writes_every_format(verb, files, cli, tmp_path):
    for fmt, ext in FORMATS.items():
        out = tmp_path / f"{verb}{ext}"
        result = cli(*_args(verb, files), "--format", fmt, "--output", str(out))
        assert result.code == 0, (verb, fmt, result.stderr)
        assert out.is_file(), (verb, fmt)
        if fmt == "csv":
            assert pl.read_csv(out, infer_schema_length=None).height >= 1, verb
        elif fmt == "json":
            assert json.loads(out.read_text(encoding="utf-8")), verb
        elif fmt == "parquet":
            assert pl.read_parquet(out).height >= 1, verb
        else:
            import openpyxl

            book = openpyxl.load_workbook(out, read_only=True)
            assert book.sheetnames and any(sheet.max_row > 1 for sheet in book.worksheets), verb
            book.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{verb}{ext}" for ext in FORMATS.values())


@pytest.mark.parametrize("verb", ["forecast", "drivers", "trace", "solve", "diff"])
def test_table_with_output_writes_the_text(verb, files, cli, tmp_path):
    out = tmp_path / "table.txt"
    result = cli(*_args(verb, files), "--output", str(out))
    assert result.code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.strip() and "\x1b" not in text
    assert result.stdout == ""  # the table went to the file, not to the terminal


def test_trace_honours_format(cli):
    csv_text = cli("trace", "cloud.maas.deepseek_hosting", "--format", "csv").stdout
    frame = pl.read_csv(csv_text.encode())
    assert "deepseek.dau_cy2025" in frame["id"].to_list()
    assert cli("trace", "cloud.revenue", "--format", "parquet").code == 2  # binary needs --output


@pytest.mark.parametrize(("fmt", "name"), [("csv", "out.json"), ("json", "out.csv"), ("parquet", "out.xlsx"),
                                           ("xlsx", "out.parquet"), ("table", "out.json")])
def test_an_extension_that_does_not_match_the_format_is_exit_2(fmt, name, cli, tmp_path):
    result = cli("forecast", "--format", fmt, "--output", str(tmp_path / name))
    assert result.code == 2, result
    assert "does not match the format" in result.stderr and fmt in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


def test_forecast_xlsx_is_the_live_workbook(cli, tmp_path):
    import openpyxl

    out = tmp_path / "model.xlsx"
    assert cli("forecast", "--format", "xlsx", "--output", str(out)).code == 0
    book = openpyxl.load_workbook(out)
    assert {"Drivers", "Outputs", "Checks", "Targets", "README"} <= set(book.sheetnames)
    outputs = book["Outputs"]
    formulas = [c.value for row in outputs.iter_rows(min_row=2, max_row=50) for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas  # value cells are formulas, not a dump


def test_report_writes_the_note(cli, tmp_path, monkeypatch):
    import cloudmodel.analyses.note_data

    calls = {}

    def fake(path, scenario, overrides, actuals, drivers_dir, **kwargs):
        calls.update(path=path, scenario=scenario, overrides=overrides, actuals=actuals, drivers=drivers_dir, **kwargs)
        return path

    monkeypatch.setattr(cloudmodel.analyses.note_data, "write_note", fake)
    out = tmp_path / "note.html"
    result = cli("report", "--output", str(out), "--scenario", "bull", "--set", "apple.users=0", "--force",
                 "--drivers", str(DRIVERS), "--units", "k")
    assert result.code == 0, result.stderr
    assert calls["scenario"] == "bull" and calls["overrides"] == {"apple.users": "0"} and calls["force"] is True
    assert calls["drivers"] == str(DRIVERS) and calls["units"] == "k"
    bad = cli("report", "--output", str(tmp_path / "note.pdf"))
    assert bad.code == 2 and "does not match the format html" in bad.stderr
    assert cli("report").code == 2  # --output is required
