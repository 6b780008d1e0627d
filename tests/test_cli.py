"""The command line, end to end: outputs, options, and clear errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from .conftest import ROOT


def test_forecast_json_document(cli):
    result = cli("forecast", "--format", "json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"meta", "rows"}
    meta = doc["meta"]
    assert meta["scenario"] == "base" and meta["overrides"] == {} and len(meta["drivers_hash"]) == 16
    assert meta["checks_ok"] and not meta["targets_apply"]  # today: the report's targets are history
    assert (meta["origin"], meta["last_reported"], meta["report_origin"]) == ("FY2026Q4", "FY2026Q4", "FY2025Q3")
    rows = {(r["line"], r["period"]): r for r in doc["rows"]}
    assert set(next(iter(rows.values()))) == {"line", "period", "basis", "value", "unit"}
    assert rows[("cloud.revenue", "FY2024")]["value"] == 106_374
    assert rows[("cloud.revenue", "FY2026")]["value"] == 158_132 and rows[("cloud.revenue", "FY2026")]["basis"] == "actual"
    assert rows[("valuation.target.usd_per_ads", "FY2027")]["unit"] == "USD"
    report = json.loads(cli("forecast", "--origin", "FY2025Q3", "--format", "json").stdout)
    assert report["meta"]["targets_ok"] and report["meta"]["targets_apply"]
    assert next(r["value"] for r in report["rows"] if (r["line"], r["period"]) == ("cloud.revenue_growth", "FY2026")) == pytest.approx(0.15)


def test_one_definition_gives_parser_and_help(cli, monkeypatch):
    """Each command is declared once: its parser and its --help come from the same specs."""
    from cloudmodel.cli import app

    assert not (ROOT / "cloudmodel" / "fastcli.py").exists()
    monkeypatch.setenv("COLUMNS", "200")
    for name, command in app.commands.items():
        text = cli(name, "--help").stdout
        parser_options = {o for a in command.parser("cloudmodel")._actions for o in a.option_strings}
        declared = {n for o in command.options() for n in o.names}
        assert parser_options == declared, name
        assert all(n in text for n in declared), name
    fast = json.loads(cli("forecast", "--format", "json", "--set", "apple.users=2000万").stdout)
    assert fast["meta"]["overrides"] == {"apple.users": 20_000_000}


@pytest.mark.parametrize(("args", "fragment"), [
    (["forecast", "--nope"], "unrecognized arguments: --nope"),
    (["simulate", "--draws", "many"], "'many' is not a whole number"),
    (["solve", "--vary", "apple.users"], "the following arguments are required: --target"),
    (["forcast"], "did you mean 'forecast'?"),
    (["trace"], "the following arguments are required: LINE"),
])
def test_usage_errors_exit_2_with_one_line(cli, args, fragment):
    result = cli(*args)
    assert result.code == 2, result
    assert result.stderr.startswith("cloudmodel: error:") and fragment in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_help_lists_verbs_and_options(cli):
    top = cli("--help")
    assert top.code == 0 and all(verb in top.stdout for verb in ("forecast", "simulate", "update", "report"))
    assert cli().code == 0
    text = cli("report", "--help").stdout
    assert "--output" in text and "HTML" in text and "--format" not in text


def test_set_with_units_moves_the_forecast(cli):
    doc = json.loads(cli("forecast", "--origin", "report", "--format", "json", "--set", "ai.penetration_target=20%").stdout)
    assert doc["meta"]["overrides"] == {"ai.penetration_target": 0.2}
    value = next(r["value"] for r in doc["rows"] if r["line"] == "cloud.ai.penetration" and r["period"] == "CY2025")
    assert value == pytest.approx(0.20)


@pytest.mark.parametrize(("setting", "fragments"), [
    ("ai.penetraton_target=18%", ("unknown driver id", "did you mean 'ai.penetration_target'?")),
    ("ai.penetration_target=18千亿万", ("ai.penetration_target", "18千亿万", "ratio")),
    ("ai.penetration_target=1.5", ("outside the bounds [0, 1]",)),
    ("customers.total=-3", ("customers.total", "outside the bounds")),
    ("ai.penetration_target", ("expected ID=VALUE",)),
    ("ai.penetration_dec2024=9%", ("is derived",)),
    ("ai.penetration_target=45%", ("must be below ai.penetration_ceiling",)),
])
def test_bad_set_exits_2_with_a_clear_message(cli, setting, fragments, tmp_path):
    out = tmp_path / "out.json"
    for extra in ([], ["--format", "json", "--output", str(out)]):
        result = cli("forecast", "--set", setting, *extra)
        assert result.code == 2, result
        assert "Traceback" not in result.stderr
        for fragment in fragments:
            assert fragment in result.stderr
        assert not out.exists()


def test_output_is_written_and_never_overwritten_without_force(cli, tmp_path):
    out = tmp_path / "fc.json"
    assert cli("forecast", "--format", "json", "--output", str(out)).code == 0
    first = out.read_text(encoding="utf-8")
    assert json.loads(first)["meta"]["scenario"] == "base"
    again = cli("forecast", "--format", "json", "--output", str(out), "--set", "apple.users=0")
    assert again.code == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert out.read_text(encoding="utf-8") == first
    forced = cli("forecast", "--format", "json", "--output", str(out), "--set", "apple.users=0", "--force")
    assert forced.code == 0 and out.read_text(encoding="utf-8") != first
    assert [p.name for p in tmp_path.iterdir()] == ["fc.json"]  # no temporary file left behind


def test_csv_parquet_and_xlsx(cli, tmp_path):
    csv_text = cli("forecast", "--format", "csv").stdout
    assert csv_text.splitlines()[0] == "line,period,basis,value,unit"
    assert cli("forecast", "--format", "parquet").code == 2  # binary needs --output
    parquet = tmp_path / "fc.parquet"
    assert cli("forecast", "--format", "parquet", "--output", str(parquet)).code == 0
    frame = pl.read_parquet(parquet)
    assert frame.columns == ["line", "period", "basis", "value", "unit"]
    assert frame.height == len(csv_text.splitlines()) - 1
    xlsx = tmp_path / "fc.xlsx"
    assert cli("forecast", "--format", "xlsx", "--output", str(xlsx)).code == 0
    assert xlsx.stat().st_size > 10_000


def test_driver_files_are_never_an_output(cli, drivers_copy):
    target = drivers_copy / "apple.toml"
    before = target.read_bytes()
    result = cli("forecast", "--drivers", str(drivers_copy), "--format", "json", "--output", str(target), "--force")
    assert result.code == 2 and "never overwritten" in result.stderr
    assert target.read_bytes() == before


def test_table_output_shows_layers_targets_and_checks(cli):
    result = cli("forecast")
    assert result.code == 0
    for text in ("Alibaba Cloud revenue by layer", "IaaS", "FY2026 A", "FY2027 E", "The report's own figures", "Checks",
                 "Target per ADS", "origin FY2026Q4", "last reported FY2026Q4"):
        assert text in result.stdout
    quarterly = cli("forecast", "--period", "quarter")
    assert "FY2027Q1" in quarterly.stdout


@pytest.mark.parametrize(("args", "fragment"), [
    (["forecast", "--format", "yaml"], "unknown format"),
    (["forecast", "--horizon", "2030"], "accepted forms"),
    (["forecast", "--horizon", "FY2024"], "nothing would be left to forecast"),
    (["forecast", "--scenario", "bera"], "no such scenario"),
    (["forecast", "--period", "month"], "choose year, quarter or calendar"),
    (["drivers", "--kind", "guess"], "unknown kind"),
    (["trace", "cloud.revenu"], "did you mean 'cloud.revenue'?"),
])
def test_bad_usage_exits_2(cli, args, fragment):
    result = cli(*args)
    assert result.code == 2, result
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_trace_lists_the_drivers_of_a_line(cli):
    doc = json.loads(cli("trace", "cloud.maas.deepseek_hosting", "--format", "json").stdout)
    ids = {d["id"] for d in doc["drivers"]}
    assert {"deepseek.dau_cy2025", "deepseek.hosting_price_per_dau_year"} <= ids


def test_python_dash_m_in_a_subprocess():
    """The real entry point, as a user types it (one run is enough)."""
    done = subprocess.run([sys.executable, "-m", "cloudmodel", "forecast", "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["meta"]["checks_ok"]
    bad = subprocess.run([sys.executable, "-m", "cloudmodel", "forecast", "--set", "nope=1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown driver id" in bad.stderr and "Traceback" not in bad.stderr


def test_forecast_path_does_not_import_statsmodels_or_matplotlib():
    code = ("import sys, cloudmodel.cli; sys.argv=['cloudmodel','forecast','--format','json'];\n"
            "import io, contextlib\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: cloudmodel.cli.main()\n"
            "    except SystemExit: pass\n"
            "print(sorted(m for m in ('statsmodels','matplotlib','numpy','pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr


def test_strict_exits_1_when_a_check_fails(cli, monkeypatch):
    import cloudmodel.model

    assert cli("forecast", "--format", "json", "--strict").code == 0
    monkeypatch.setattr(cloudmodel.model, "CHECK_TOLERANCE", -1.0)  # every residual now "fails"
    result = cli("forecast", "--format", "json", "--strict")
    assert result.code == 1 and "check rows failed" in result.stderr
