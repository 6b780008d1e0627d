"""Hostile input (issue 13): a table of bad or hostile inputs, each with its exit code, message,
outputs and the hashes of every file around it.

Every case runs the CLI in a fresh folder holding a copy of the drivers, a scenario file, an
actuals file and a private cache. It asserts the exit code, a fragment of the one message on
stderr, that no traceback or internal error appears, that no output or temporary file is left
behind, and that every file in the folder (drivers, scenario, actuals, cache) is byte-identical
afterwards. Categories follow the issue's table: traceback, silent wrong result, data loss,
security, hang.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import ROOT, CliResult, copy_inputs, run_cli

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class Env:
    root: Path
    drivers: Path
    scenario: Path
    actuals: Path
    cache: Path
    out: Path  # an output file name that does not exist yet

    def fmt(self, arg: str) -> str:
        return arg.format(d=self.drivers, s=self.scenario, a=self.actuals, t=self.root, c=self.cache, o=self.out)


@dataclass
class Case:
    name: str
    category: str  # traceback | wrong | loss | security | hang
    args: list[str]
    code: int
    message: str  # a fragment of stderr (case-insensitive)
    setup: Callable[[Env], None] | None = None
    check: Callable[[Env, object], None] | None = None  # extra assertions on the result
    changes: set[str] = field(default_factory=set)  # files (relative) the case may create or change
    subprocess: bool = False  # run in a child process with a timeout (hangs)
    skip_root: bool = False


def _tree(root: Path) -> dict[str, str]:
    """Hash of every regular file (symlinks by their target text, FIFOs by kind)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            found[rel] = "link:" + os.readlink(path)
        elif stat.S_ISREG(st.st_mode):
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISFIFO(st.st_mode):
            found[rel] = "fifo"
    return found


@pytest.fixture
def env(tmp_path, monkeypatch, warm_cache):
    inputs = copy_inputs(tmp_path, monkeypatch, warm_cache)
    return Env(tmp_path, inputs.drivers, inputs.scenario, inputs.actuals, inputs.cache, tmp_path / "out.json")


# --------------------------------------------------------------------------- set-ups

def _write(rel: str, text: str | bytes) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        path = env.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return setup


def _driver_file(body: str) -> Callable[[Env], None]:
    return _write("drivers/zz_hostile.toml", 'theme = "hostile"\n' + body)


def _driver(value: str, extra: str = "", unit: str = "count") -> Callable[[Env], None]:
    return _driver_file(f'[[driver]]\nid = "hostile.x"\nlabel = "x"\nvalue = {value}\nunit = "{unit}"\nperiod = "FY2026"\n'
                        f'kind = "assumption"\nreason = "test"\n{extra}')


def _replace_in(rel: str, old: str, new: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        path = env.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return setup


def _symlink(rel: str, target: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        os.symlink(env.fmt(target), env.root / rel)
    return setup


def _fifo(rel: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        os.mkfifo(env.root / rel)
    return setup


def _mkdir(rel: str) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        (env.root / rel).mkdir()
    return setup


def _scenario(overrides: str) -> Callable[[Env], None]:
    return _write("mine.toml", f'name = "mine"\n[overrides]\n{overrides}\n')


def _actuals(text: str) -> Callable[[Env], None]:
    return _write("actuals.csv", text)


def _json_doc(doc: object) -> Callable[[Env], None]:
    return _write("run.json", json.dumps(doc))


def _both(*setups: Callable[[Env], None]) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        for s in setups:
            s(env)
    return setup


def _chmod(rel: str, mode: int) -> Callable[[Env], None]:
    def setup(env: Env) -> None:
        os.chmod(env.root / rel, mode)
    return setup


def _nested_toml(depth: int) -> str:
    return 'theme = "x"\ndriver = []\nz = ' + "[" * depth + "]" * depth + "\n"


def _saved_run(env: Env) -> None:
    assert run_cli("forecast", "--drivers", str(env.drivers), "--format", "json", "--output", str(env.root / "good.json")).code == 0


F = ["forecast", "--drivers", "{d}", "--format", "json"]
SIM = ["simulate", "--drivers", "{d}", "--draws", "200"]
SENS = ["sensitivity", "--drivers", "{d}", "--format", "json"]
EXPLAIN = ["explain", "cloud.revenue", "--drivers", "{d}", "--format", "json"]
BIG = "9" * 400
BAD_RUN = {"meta": {}, "rows": []}
NAME_300 = "n" * 300

CASES: list[Case] = [
    # ---------------------------------------------------------------- tracebacks → exit 2 with a message
    Case("explain period beyond horizon", "traceback", [*EXPLAIN, "--period", "FY2040", "--set", "ai.penetration_target=18%"], 2, "outside what the run computes"),
    Case("explain period before history", "traceback", [*EXPLAIN, "--period", "FY2019", "--set", "ai.penetration_target=18%"], 2, "outside what the run computes"),
    Case("explain --from beyond horizon", "traceback", [*EXPLAIN, "--period", "FY2026", "--from", "FY2040"], 2, "--from"),
    Case("explain --period beyond horizon with --from", "traceback", [*EXPLAIN, "--period", "FY2041", "--from", "FY2025"], 2, "--period"),
    Case("sensitivity period beyond horizon", "traceback", [*SENS, "--period", "FY2040"], 2, "outside what the run computes"),
    Case("sensitivity period before history", "traceback", [*SENS, "--period", "FY2010", "--line", "cloud.revenue"], 2, "FY2010"),
    Case("sensitivity quarter of a fiscal-year line", "traceback", [*SENS, "--period", "FY2026Q1", "--line", "group.revenue"], 2, "group.revenue"),
    Case("simulate --prob beyond horizon", "traceback", [*SIM, "--prob", "cloud.revenue@FY2040>1"], 2, "--prob"),
    Case("simulate --prob before the simulation", "traceback", [*SIM, "--prob", "cloud.revenue@FY2020>1"], 2, "--prob"),
    Case("simulate --seed -5", "traceback", [*SIM, "--seed", "-5"], 2, "--seed"),
    Case("update --seed: the update draws nothing", "traceback", ["update", "--drivers", "{d}", "--actuals", "{a}", "--seed", "5"], 2, "unrecognized arguments: --seed"),
    Case("update --horizon garbage", "traceback", ["update", "--drivers", "{d}", "--actuals", "{a}", "--horizon", "garbage"], 2, "not a period"),
    Case("update --horizon FY9999", "traceback", ["update", "--drivers", "{d}", "--actuals", "{a}", "--horizon", "FY9999"], 2, "the furthest the model extrapolates"),
    Case("backtest --seed: the backtest draws nothing", "traceback", ["backtest", "--drivers", "{d}", "--seed", "5"], 2, "unrecognized arguments: --seed"),
    Case("backtest --draws: the backtest draws nothing", "traceback", ["backtest", "--drivers", "{d}", "--draws", "3"], 2, "unrecognized arguments: --draws"),
    Case("simulate --horizon garbage", "traceback", [*SIM, "--horizon", "garbage"], 2, "--horizon"),
    Case("simulate --horizon FY9999", "traceback", [*SIM, "--horizon", "FY9999"], 2, "--horizon"),
    Case("forecast --horizon garbage", "traceback", [*F, "--horizon", "garbage"], 2, "not a period"),
    Case("forecast --horizon FY9999", "traceback", [*F, "--horizon", "FY9999"], 2, "beyond FY2067"),
    Case("forecast --horizon CY2030", "traceback", [*F, "--horizon", "CY2030"], 2, "fiscal"),
    Case("zero price.qwen_blended_cy2024", "traceback", [*F, "--set", "price.qwen_blended_cy2024=0"], 2, "strictly positive"),
    Case("zero valuation.usd_cny", "traceback", [*F, "--set", "valuation.usd_cny=0"], 2, "valuation.usd_cny"),
    Case("zero capex.plan_years", "traceback", [*F, "--set", "capex.plan_years=0"], 2, "capex.plan_years"),
    Case("zero capex.useful_life_years", "traceback", [*F, "--set", "capex.useful_life_years=0"], 2, "outside the bounds"),
    Case("zero valuation.shares_per_ads", "traceback", [*F, "--set", "valuation.shares_per_ads=0"], 2, "division by zero"),
    Case("zero price.qwen_blended_cy2024 in a scenario", "traceback", [*F, "--scenario", "{s}"], 2, "strictly positive",
         setup=_scenario('"price.qwen_blended_cy2024" = "0"')),
    Case("zero denominator in a driver file", "traceback", [*F], 2, "strictly positive",
         setup=_replace_in("drivers/capex.toml", 'label = "Years the capex plan spans"\nvalue = 3', 'label = "Years the capex plan spans"\nvalue = 0')),
    Case("unreadable driver file", "traceback", [*F], 2, "cannot be read", setup=_both(_driver('"1"'), _chmod("drivers/zz_hostile.toml", 0)),
         skip_root=True),
    Case("folder named x.toml", "traceback", [*F], 2, "is a folder", setup=_mkdir("drivers/x.toml")),
    Case("dangling symlink", "traceback", [*F], 2, "dangling", setup=_symlink("drivers/gone.toml", "{t}/nowhere.toml")),
    Case("symlink loop", "traceback", [*F], 2, "loop", setup=_both(_symlink("drivers/a.toml", "{d}/b.toml"), _symlink("drivers/b.toml", "{d}/a.toml"))),
    Case("300-character output name", "traceback", [*F, "--output", "{t}/" + NAME_300 + ".json"], 2, "--output"),
    Case("300-character drivers folder", "traceback", ["forecast", "--drivers", "{t}/" + NAME_300, "--format", "json"], 2, NAME_300[:20]),
    Case("300-character scenario", "traceback", [*F, "--scenario", "{t}/" + NAME_300 + ".toml"], 2, "no such scenario"),
    Case("300-character actuals", "traceback", [*F, "--actuals", "{t}/" + NAME_300 + ".csv"], 2, "cannot be read"),
    Case("300-character diff document", "traceback", ["diff", "{t}/" + NAME_300, "{t}/" + NAME_300], 2, "cannot be read"),
    Case("output in a folder nobody may create files in", "traceback", [*F, "--output", "/proc/cloudmodel-hostile.json"], 2, "cannot create a file"),
    Case("read-only output folder", "traceback", [*F, "--output", "{t}/ro/out.json"], 2, "cannot create a file",
         setup=_both(_mkdir("ro"), _chmod("ro", 0o555)), skip_root=True),
    Case("output folder missing", "traceback", [*F, "--output", "{t}/no/such/out.json"], 2, "does not exist"),
    Case("deeply nested TOML driver file", "traceback", [*F], 2, "nests", setup=_write("drivers/zz_deep.toml", _nested_toml(5000))),
    Case("nested TOML past the cap", "traceback", [*F], 2, "more than 32 deep", setup=_write("drivers/zz_deep.toml", _nested_toml(40))),
    Case("deeply nested scenario file", "traceback", [*F, "--scenario", "{s}"], 2, "nests", setup=_write("mine.toml", "a = " + "[" * 3000 + "]" * 3000)),
    Case("deeply nested JSON to diff", "traceback", ["diff", "{t}/run.json", "{t}/run.json"], 2, "nests", setup=_write("run.json", "[" * 100000 + "]" * 100000)),
    Case("scenario value is a list", "traceback", [*F, "--scenario", "{s}"], 2, "not a list", setup=_scenario('"ai.penetration_target" = [0.1, 0.2]')),
    Case("scenario value is a table", "traceback", [*F, "--scenario", "{s}"], 2, "not a table", setup=_scenario('"ai.penetration_target" = {a = 1}')),
    Case("scenario value is a date", "traceback", [*F, "--scenario", "{s}"], 2, "not a date", setup=_scenario('"ai.penetration_target" = 2025-01-01')),
    Case("scenario value is a boolean", "traceback", [*F, "--scenario", "{s}"], 2, "boolean", setup=_scenario('"ai.penetration_target" = true')),
    Case("scenario value is a datetime", "traceback", [*F, "--scenario", "{s}"], 2, "not a datetime", setup=_scenario('"ai.penetration_target" = 2025-01-01T00:00:00')),
    Case("scenario of 3,000 unknown ids", "traceback", [*F, "--scenario", "{s}"], 2, "… and 2,980 more",
         setup=_scenario("\n".join(f'"x.y{i}" = 1' for i in range(3000))), check=lambda e, r: r.stderr.count("\n") == 22),
    Case("scenario overrides not a table", "traceback", [*F, "--scenario", "{s}"], 2, "must be a table", setup=_write("mine.toml", "overrides = 3\n")),
    Case("diff: rows not a list", "traceback", ["diff", "{t}/run.json", "{t}/good.json"], 2, "is not a saved forecast",
         setup=_both(_saved_run, _json_doc({"meta": {}, "rows": 5})), changes={"good.json"}),
    Case("diff: a row is not an object", "traceback", ["diff", "{t}/run.json", "{t}/good.json"], 2, "rows[0]",
         setup=_both(_saved_run, _json_doc({"meta": {}, "rows": [3]})), changes={"good.json"}),
    Case("diff: a value is a string", "traceback", ["diff", "{t}/run.json", "{t}/good.json"], 2, "rows[0].value",
         setup=_both(_saved_run, _json_doc({"meta": {}, "rows": [{"line": "cloud.revenue", "period": "FY2026", "unit": "RMB_mn", "value": "x"}]})),
         changes={"good.json"}),
    Case("diff: line missing", "traceback", ["diff", "{t}/run.json", "{t}/good.json"], 2, "rows[0].line",
         setup=_both(_saved_run, _json_doc({"meta": {}, "rows": [{"period": "FY2026", "value": 1}]})), changes={"good.json"}),
    Case("diff: meta.drivers of strings", "traceback", ["diff", "{t}/run.json", "{t}/good.json"], 2, "meta.drivers",
         setup=_both(_saved_run, _json_doc({"meta": {"drivers": {"a": "x"}}, "rows": []})), changes={"good.json"}),
    Case("diff: meta is a list", "traceback", ["diff", "{t}/run.json", "{t}/run.json"], 2, "not a saved forecast", setup=_json_doc({"meta": [], "rows": []})),
    Case("diff: top level is a list", "traceback", ["diff", "{t}/run.json", "{t}/run.json"], 2, "not a saved forecast", setup=_json_doc([1, 2])),
    Case("diff: not JSON", "traceback", ["diff", "{t}/run.json", "{t}/run.json"], 2, "not JSON", setup=_write("run.json", "{nope")),
    Case("diff: not UTF-8", "traceback", ["diff", "{t}/run.json", "{t}/run.json"], 2, "not UTF-8", setup=_write("run.json", b"\xff\xfe\x00")),
    Case("diff: a folder", "traceback", ["diff", "{t}/dir", "{t}/dir"], 2, "is a folder", setup=_mkdir("dir")),
    Case("diff: missing file", "traceback", ["diff", "{t}/none.json", "{t}/none.json"], 2, "no such file"),
    Case("diff: NaN value", "traceback", ["diff", "{t}/run.json", "{t}/run.json"], 2, "finite number",
         setup=_write("run.json", '{"meta": {}, "rows": [{"line": "cloud.revenue", "period": "FY2026", "unit": "RMB_mn", "value": NaN}]}')),
    Case("drivers folder is a file", "traceback", ["forecast", "--drivers", "{s}", "--format", "json"], 2, "not a drivers directory"),
    Case("drivers folder missing", "traceback", ["forecast", "--drivers", "{t}/none", "--format", "json"], 2, "does not exist"),
    Case("driver file not UTF-8", "traceback", [*F], 2, "not UTF-8", setup=_write("drivers/zz.toml", b"theme = \"\xb0\xa2\"\n")),
    Case("driver value a 400-digit integer", "traceback", [*F], 2, "too large", setup=_driver(BIG)),
    Case("driver value a nested list", "traceback", [*F], 2, "expected a number", setup=_driver("[[1]]")),
    Case("driver value a date", "traceback", [*F], 2, "expected a number", setup=_driver("2025-01-01")),
    Case("a derived formula of 20,000 terms", "traceback", [*F], 2, "a formula is at most 1000 characters",
         setup=_driver_file('[[driver]]\nid = "hostile.f"\nlabel = "x"\nunit = "count"\nperiod = "FY2026"\nkind = "derived"\n'
                            'formula = "' + "+".join(["customers.total"] * 20000) + '"\n')),
    Case("a derived formula nested 980 deep", "traceback", [*F], 2, "cannot be evaluated",
         setup=_driver_file('[[driver]]\nid = "hostile.f"\nlabel = "x"\nunit = "count"\nperiod = "FY2026"\nkind = "derived"\n'
                            'formula = "' + "-" * 980 + 'customers.total"\n')),
    Case("a drivers folder of 1,001 files", "hang", [*F], 2, "at most 1,000",
         setup=lambda e: [(e.drivers / f"z{i:04}.toml").write_text("") for i in range(1001)]),
    Case("driver files adding up to over 16 MiB", "hang", [*F], 2, "add up to more than",
         setup=lambda e: [(e.drivers / f"z{i:02}.toml").write_text("#" * (1000 * 1024)) for i in range(17)]),
    Case("driver text of a megabyte", "traceback", [*F], 2, "at most 1,048,576 bytes", setup=_write("drivers/zz_big.toml", "# " + "x" * (1 << 20))),
    Case("--set without =", "traceback", [*F, "--set", "ai.penetration_target"], 2, "expected ID=VALUE"),
    Case("--set unknown id", "traceback", [*F, "--set", "ai.penetraton_target=1%"], 2, "did you mean"),
    Case("--set text of 10k characters", "traceback", [*F, "--set", "ai.penetration_target=" + "1" * 10000], 2, "at most 100"),
    Case("--draws 0", "traceback", [*SIM[:-1], "0"], 2, "--draws"),
    Case("--precision float16", "traceback", [*SIM, "--precision", "float16"], 2, "--precision"),
    Case("--origin garbage", "traceback", [*F, "--origin", "garbage"], 2, "--origin"),
    Case("actuals file is a folder", "traceback", [*F, "--actuals", "{t}/dir"], 2, "is a folder", setup=_mkdir("dir")),
    Case("actuals not UTF-8", "traceback", [*F, "--actuals", "{a}"], 2, "not UTF-8", setup=_actuals(b"period,line,value\n\xff\n")),
    Case("trace unknown line", "traceback", ["trace", "cloud.revenu", "--drivers", "{d}"], 2, "did you mean"),
    Case("solve for a period beyond the horizon", "traceback", ["solve", "--drivers", "{d}", "--target", "cloud.revenue@FY2040=1", "--vary", "ai.penetration_target"], 2, "outside what the run computes"),
    Case("solve for a period before the history", "traceback", ["solve", "--drivers", "{d}", "--target", "cloud.revenue@FY2010=1", "--vary", "ai.penetration_target"], 2, "FY2010"),
    Case("solve for a quarter of a fiscal-year line", "traceback", ["solve", "--drivers", "{d}", "--target", "group.revenue@FY2026Q1=1", "--vary", "ai.penetration_target"], 2, "group.revenue"),
    Case("--origin after the shipped history, no actuals", "traceback", [*F, "--origin", "FY2030Q1"], 2, "the last quarter of the shipped history"),
    Case("--horizon at the origin", "traceback", [*F, "--horizon", "FY2026"], 2, "nothing would be left to forecast"),
    Case("--horizon at an earlier origin", "traceback", [*F, "--origin", "FY2025Q4", "--horizon", "FY2025"], 2, "nothing would be left to forecast"),
    Case("backtest --origin after the horizon", "traceback", ["backtest", "--drivers", "{d}", "--actuals", "{a}", "--origin", "FY2040Q1"], 2, "--origin"),
    Case("solve garbage target", "traceback", ["solve", "--drivers", "{d}", "--target", "x", "--vary", "ai.penetration_target"], 2, "does not parse"),

    # ---------------------------------------------------------------- silent wrong results → exit 2 (or 1 under --strict)
    Case("driver of 1e308", "wrong", [*F], 2, "not a finite number",
         setup=_both(_replace_in("drivers/customers_ai.toml", 'value = "400万"', "value = 1e308"),
                     _replace_in("drivers/customers_ai.toml", 'high = "450万"', "high = 1e308"))),
    # a value three orders of magnitude outside its report range is refused as it is set (a unit slip)
    Case("--set customers.total=1e300", "wrong", [*F, "--set", "customers.total=1e300"], 2, "not a plausible value"),
    Case("--set customers.total=1e300 at the report's origin", "wrong", [*F, "--origin", "report", "--set", "customers.total=1e300"], 2,
         "1,000× outside the report's range"),
    Case("--set a fixed cost of 1e300", "wrong", [*F, "--set", "ebita.shared_fixed_opex_per_quarter=1e300"], 2,
         "outside its plausible range -100% to 100%"),
    Case("--set customers.total=1e300 in simulate", "wrong", [*SIM, "--set", "customers.total=1e300"], 2, "not a plausible value"),
    Case("--set customers.total=1e300 in sensitivity", "wrong", [*SENS, "--set", "customers.total=1e300"], 2, "not a plausible value"),
    Case("--set a cost driver far off in sensitivity", "wrong", [*SENS, "--set", "ebita.shared_fixed_opex_per_quarter=1e300"], 2,
         "plausible range"),
    Case("--set a value past float range", "wrong", [*F, "--set", "customers.total=1e400"], 2, "not a finite number"),
    Case("--set nan", "wrong", [*F, "--set", "ai.penetration_target=nan"], 2, "does not start with a number"),
    Case("--set inf", "wrong", [*F, "--set", "customers.total=inf"], 2, "does not start with a number"),
    Case("NaN in a discrete distribution", "wrong", [*SIM], 2, "NaN",
         setup=_driver('"0.5"', 'low = "0"\nhigh = "1"\ndistribution = { family = "discrete", values = [nan, 1.0], probabilities = [0.5, 0.5] }', "ratio")),
    Case("NaN probability in a discrete distribution", "wrong", [*SIM], 2, "NaN",
         setup=_driver('"0.5"', 'low = "0"\nhigh = "1"\ndistribution = { family = "discrete", values = [0.0, 1.0], probabilities = [nan, 0.5] }', "ratio")),
    Case("driver value nan", "wrong", [*F], 2, "NaN", setup=_driver("nan")),
    Case("driver value inf", "wrong", [*F], 2, "NaN and infinity", setup=_driver("inf")),
    Case("driver bounds with nan", "wrong", [*F], 2, "no NaN", setup=_driver('"1"', "bounds = [nan, 5.0]")),
    Case("--set paas.share=0.95", "wrong", [*F, "--set", "paas.share=0.95"], 2, "layer shares"),
    Case("--set paas.share=0.95 --strict", "wrong", [*F, "--set", "paas.share=0.95", "--strict"], 2, "layer shares"),
    Case("scenario with shares over 1", "wrong", [*F, "--scenario", "{s}"], 2, "sum to less than 1", setup=_scenario('"saas.share" = "90%"')),
    Case("shares over 1 in simulate", "wrong", [*SIM, "--set", "solutions.share=0.9"], 2, "layer shares"),
    Case("more AI customers than customers", "wrong", [*F, "--set", "ai.customers_dec2024=5000000"], 2, "ai.customers_dec2024"),
    Case("more AI customers than customers in the driver file", "wrong", [*F], 2, "ai.customers_dec2024 / customers.total",
         setup=_replace_in("drivers/customers_ai.toml", 'value = "33万"', 'value = "500万"')),
    Case("fewer customers than AI customers", "wrong", [*F, "--set", "customers.total=100000"], 2, "customers.total"),
    Case("penetration target above the ceiling", "wrong", [*F, "--set", "ai.penetration_target=0.99"], 2, "must be below ai.penetration_ceiling"),
    Case("apple tier 1 of zero users", "wrong", [*F, "--set", "apple.tier1_users=0"], 2, "apple.tier1_users"),
    Case("--grid A,A", "wrong", [*SENS, "--grid", "ai.penetration_target,ai.penetration_target"], 2, "same driver twice"),
    Case("--correlate A,A=0.5", "wrong", [*SIM, "--correlate", "ai.penetration_target,ai.penetration_target=0.5"], 2, "same driver twice"),
    Case("--correlate a pair twice", "wrong", [*SIM, "--correlate", "ai.penetration_target,apple.users=0.5", "--correlate", "apple.users,ai.penetration_target=0.2"], 2, "more than once"),
    Case("--correlate nan", "wrong", [*SIM, "--correlate", "ai.penetration_target,apple.users=nan"], 2, "strictly between"),
    Case("actuals contradict the history", "wrong", [*F, "--actuals", "{a}"], 2, "contradicts the reported history",
         setup=_actuals("period,line,value\nFY2025Q3,cloud.revenue,99999\n")),
    Case("actuals contradict an annual figure", "wrong", [*F, "--actuals", "{a}"], 2, "contradicts",
         setup=_actuals("period,line,value\nFY2024,cloud.revenue,1\n")),
    Case("same quarter under two labels", "wrong", [*F, "--actuals", "{a}"], 2, "same quarters as FY2025Q4",
         setup=_actuals("period,line,value\nFY2025Q4,cloud.revenue,30127\nCY2025Q1,cloud.revenue,31000\n")),
    Case("actuals growth of 1e308", "wrong", [*F, "--actuals", "{a}"], 2, "not a plausible cloud.ai.revenue_growth",
         setup=_actuals("period,line,value\nFY2025Q4,cloud.revenue,30127\nFY2026Q2,cloud.ai.revenue_growth,1e308\n")),
    Case("actuals revenue typed in yuan", "wrong", [*F, "--actuals", "{a}"], 2, "check the unit",
         setup=_actuals("period,line,value\nFY2025Q4,cloud.revenue,30127000000\n")),
    Case("restates flag unreadable", "wrong", [*F, "--actuals", "{a}"], 2, "expected true or false",
         setup=_actuals("period,line,value,restates\nFY2025Q3,cloud.revenue,31000,maybe\n")),
    Case("restates with nothing to restate", "wrong", [*F, "--actuals", "{a}"], 2, "holds no figure",
         setup=_actuals("period,line,value,restates\nFY2027Q1,cloud.revenue,51000,true\n")),
    Case("--strict with a report target off", "wrong", [*F, "--origin", "report", "--set", "ai.penetration_target=20%", "--strict"], 1,
         "report targets are off"),

    # ---------------------------------------------------------------- data loss → exit 2, every file intact
    Case("forecast over a driver file", "loss", [*F, "--output", "{d}/apple.toml", "--force"], 2, "never overwritten"),
    Case("forecast over its scenario file", "loss", [*F, "--scenario", "{s}", "--output", "{s}", "--force"], 2, "never overwritten"),
    Case("forecast over its actuals", "loss", [*F, "--actuals", "{a}", "--output", "{a}", "--force"], 2, "never overwritten"),
    Case("forecast over a hard link to a driver file", "loss", [*F, "--output", "{t}/hard.json", "--force"], 2, "never overwritten",
         setup=lambda e: os.link(e.drivers / "apple.toml", e.root / "hard.json")),
    Case("forecast through a symlink to a driver file", "loss", [*F, "--output", "{t}/link.json", "--force"], 2, "symbolic link",
         setup=_symlink("link.json", "{d}/apple.toml")),
    Case("forecast over a FIFO", "loss", [*F, "--output", "{t}/pipe", "--force"], 2, "FIFO", setup=_fifo("pipe")),
    Case("forecast over a device", "loss", [*F, "--output", "/dev/null", "--force"], 2, "character device"),
    Case("forecast over a folder", "loss", [*F, "--output", "{t}/dir", "--force"], 2, "directory", setup=_mkdir("dir")),
    Case("forecast over the cache secret", "loss", [*F, "--output", "{c}/secret", "--force"], 2, "cache folder"),
    Case("forecast into the cache folder", "loss", [*F, "--output", "{c}/new.json"], 2, "cache folder"),
    Case("forecast to a new .toml in the drivers folder", "loss", [*F, "--output", "{d}/new.toml"], 2, "drivers folder"),
    Case("forecast over an existing file without --force", "loss", [*F, "--output", "{t}/old.json"], 2, "already exists",
         setup=_write("old.json", "precious")),
    Case("simulate --plot and --output the same file", "loss", [*SIM, "--format", "csv", "--output", "{t}/x.png", "--plot", "{t}/x.png"], 2, "two different files"),
    Case("simulate over a driver file", "loss", [*SIM, "--format", "csv", "--output", "{d}/apple.toml", "--force"], 2, "never overwritten"),
    Case("simulate --plot over a driver file", "loss", [*SIM, "--plot", "{d}/maas.toml", "--force"], 2, "never overwritten"),
    Case("sensitivity over a driver file", "loss", [*SENS, "--output", "{d}/apple.toml", "--force"], 2, "never overwritten"),
    Case("scenarios over a driver file", "loss", ["scenarios", "--drivers", "{d}", "--format", "json", "--output", "{d}/scenarios/bull.toml", "--force"], 2, "never overwritten"),
    Case("explain --plot over a driver file", "loss", [*EXPLAIN, "--set", "ai.penetration_target=18%", "--plot", "{d}/apple.toml", "--force"], 2, "never overwritten"),
    Case("update over its actuals", "loss", ["update", "--drivers", "{d}", "--actuals", "{a}", "--format", "json", "--output", "{a}", "--force"], 2, "never overwritten"),
    Case("backtest over its actuals", "loss", ["backtest", "--drivers", "{d}", "--actuals", "{a}", "--format", "json", "--output", "{a}", "--force"], 2, "never overwritten"),
    Case("drivers over a driver file", "loss", ["drivers", "--drivers", "{d}", "--format", "json", "--output", "{d}/group.toml", "--force"], 2, "never overwritten"),

    # ---------------------------------------------------------------- security
    Case("symlink to a file outside the drivers folder", "security", [*F], 2, "outside",
         setup=_both(_write("secret.toml", 'theme = "TOPSECRET-CONTENT"\n'), _symlink("drivers/zz.toml", "{t}/secret.toml")),
         check=lambda e, r: "TOPSECRET" not in r.stderr + r.stdout),
    Case("symlink to /etc/passwd", "security", [*F], 2, "refused unread", setup=_symlink("drivers/zz.toml", "/etc/passwd"),
         check=lambda e, r: "root:" not in r.stderr),
    Case("terminal escapes in a driver id", "security", [*F], 2, "\\x1b",
         setup=_driver_file('[[driver]]\nid = "x.\x1b[31mred"\n'), check=lambda e, r: "\x1b" not in r.stderr),
    Case("terminal escapes in a scenario key", "security", [*F, "--scenario", "{s}"], 2, "\\x1b]0;",
         setup=_scenario('"\\u001b]0;pwned\\u0007" = "1"'), check=lambda e, r: "\x1b" not in r.stderr and "\x07" not in r.stderr),
    Case("bidi override in a --set id", "security", [*F, "--set", "ai.\u202epenetration=1"], 2, "\\u202e",
         check=lambda e, r: "\u202e" not in r.stderr),
    Case("a huge hostile value is not echoed whole", "security", [*F], 2, "…",
         setup=_driver('"' + "A" * 5000 + '"'), check=lambda e, r: "A" * 200 not in r.stderr),

    # ---------------------------------------------------------------- hang → a prompt exit 2
    Case("FIFO as a driver file", "hang", [*F], 2, "FIFO", setup=_fifo("drivers/zz.toml"), subprocess=True),
    Case("FIFO as a scenario file", "hang", [*F, "--scenario", "{t}/pipe.toml"], 2, "FIFO", setup=_fifo("pipe.toml"), subprocess=True),
    Case("FIFO as actuals", "hang", [*F, "--actuals", "{t}/pipe.csv"], 2, "FIFO", setup=_fifo("pipe.csv"), subprocess=True),
    Case("FIFO given to diff", "hang", ["diff", "{t}/pipe", "{t}/pipe"], 2, "FIFO", setup=_fifo("pipe"), subprocess=True),
    Case("/dev/zero behind a symlink as a driver file", "hang", [*F], 2, "refused unread", setup=_symlink("drivers/zz.toml", "/dev/zero"), subprocess=True),
    Case("a device node as a driver file", "hang", [*F], 2, "FIFO, device", subprocess=True, skip_root=False,
         setup=lambda e: os.mknod(e.drivers / "zz.toml", stat.S_IFCHR | 0o600, os.makedev(1, 5)) if IS_ROOT else pytest.skip("mknod needs root")),
]


def _run(env: Env, case: Case):
    args = [env.fmt(a) for a in case.args]
    if not case.subprocess:
        return run_cli(*args)
    child = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "cloudmodel", *args], capture_output=True, text=True, timeout=60, env=child, cwd=env.root)
    return CliResult(done.returncode, done.stdout, done.stderr)


def test_the_table_covers_every_row_of_the_issue():
    counts = {c: sum(1 for case in CASES if case.category == c) for c in ("traceback", "wrong", "loss", "security", "hang")}
    assert len(CASES) >= 100 and all(counts.values()), counts
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile(case: Case, env: Env):
    if case.skip_root and IS_ROOT:
        pytest.skip("root ignores file permissions")
    if case.setup:
        case.setup(env)
    before = _tree(env.root)
    result = _run(env, case)
    after = _tree(env.root)
    assert result.code == case.code, (result.code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert case.message.lower() in result.stderr.lower(), result.stderr[-2000:]
    assert result.stderr.startswith("cloudmodel: error:"), result.stderr[:300]
    if case.code == 2:
        assert result.stdout == ""  # nothing half-written to stdout either
    # every file around is byte-identical, nothing new (no output, no temporary file); the only
    # new files allowed are the cache's own entries for a new set of driver files
    allowed = case.changes | {k for k in after if k not in before and k.startswith(("cache/drivers-", "cache/update-", "cache/holtwinters-")) and k.endswith(".json")}
    assert {k: v for k, v in after.items() if k not in allowed} == {k: v for k, v in before.items() if k not in allowed}
    assert not [k for k in after if k.endswith(".tmp")]
    if case.check:
        assert case.check(env, result) is not False


def test_an_unreadable_driver_file_exits_2_even_as_root(env, monkeypatch):
    """Permissions do not stop root, so the refusal is simulated at the system call."""
    real_open = os.open
    victim = str(env.drivers / "apple.toml")

    def deny(path, *args, **kwargs):
        if str(path) == victim:
            raise PermissionError(13, "Permission denied", victim)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    (env.drivers / "apple.toml").write_text((env.drivers / "apple.toml").read_text() + "\n")  # new bytes: no cache hit
    result = run_cli("forecast", "--drivers", str(env.drivers), "--format", "json")
    assert result.code == 2 and "apple.toml: cannot be read: Permission denied" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_read_only_output_folder_exits_2_even_as_root(env, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = run_cli("forecast", "--drivers", str(env.drivers), "--format", "json", "--output", str(env.out))
    assert result.code == 2 and "cannot create a file in" in result.stderr and "Permission denied" in result.stderr
    assert not env.out.exists()


def test_an_internal_error_exits_3_with_a_hint_and_no_traceback(monkeypatch):
    import cloudmodel.model

    def broken(*args, **kwargs):
        raise RuntimeError("something the code did not expect")

    monkeypatch.setattr(cloudmodel.model, "forecast", broken)
    for args in (["forecast", "--format", "json"], ["forecast"]):  # the lean path and typer
        result = run_cli(*args)
        assert result.code == 3, result.stderr
        assert result.stderr.startswith("cloudmodel: internal error: RuntimeError: something the code did not expect")
        assert "please report it" in result.stderr and "Traceback" not in result.stderr


def test_driver_text_is_escaped_in_tables(env):
    (env.drivers / "zz.toml").write_text(
        'theme = "x"\n[[driver]]\nid = "hostile.text"\nlabel = "x"\nvalue = 1\nunit = "count"\nperiod = "FY2026"\n'
        'kind = "assumption"\nreason = "\\u001b[2J\\u001b]0;pwned\\u0007 [bold red]not markup[/] \\u202e"\n', encoding="utf-8")
    result = run_cli("drivers", "--drivers", str(env.drivers))
    assert result.code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b[2J" in result.stdout and "\\u202e" in result.stdout  # shown escaped
    assert "[bold red]not" in result.stdout and "markup[/]" in result.stdout  # shown as written (wrapped at a space), not as markup


def test_the_package_never_unpickles():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "cloudmodel").rglob("*.py"))
    assert "import pickle" not in sources and "pickle.load" not in sources
