"""Every command the README and the docs show does what it says.

* ``python -m MODULE``: the module exists and does something when run (a ``__main__`` guard or
  a package ``__main__``) — ``python -m cloudmodel.analyses.calibration --write`` once exited 0 and did nothing.
* ``cloudmodel VERB --option …`` anywhere in a code span: the verb exists and takes each option.
* A complete command (no placeholder such as ``FILE``): it runs, in-process, and exits 0.
* Files the commands name (``constraints.txt``, ``.ci/run``, benchmark scripts) exist.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from .conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VERBS = ("forecast", "drivers", "trace", "scenarios", "sensitivity", "solve", "explain", "diff", "simulate",
         "calibrate", "backtest", "update", "report")
PLACEHOLDER = re.compile(r"\b[A-Z]{2,}\b|…|\.\.\.")


def _spans() -> list[tuple[str, str]]:
    """(file, code) for every inline code span and every line of a bash block."""
    out = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"```bash\n(.*?)```", text, re.S):
            out += [(path.name, line.strip()) for line in block.splitlines() if line.strip()]
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        out += [(path.name, span) for span in re.findall(r"`([^`\n]+)`", text)]
    return out


def _commands() -> list[tuple[str, list[str]]]:
    """Each ``cloudmodel`` invocation as (file, argv after the program name), split on ``&&``."""
    found = []
    for name, span in _spans():
        for part in span.split("&&"):
            words = part.strip().split()
            if words[:3] == ["python", "-m", "cloudmodel"]:
                found.append((name, words[3:]))
            elif words[:1] == ["cloudmodel"] and len(words) > 1:
                found.append((name, words[1:]))
            elif words[:1] and words[0] in VERBS and len(words) > 1 and words[1].startswith(("--", "cloud.", "group.")):
                found.append((name, words))
    return found


MODULES = sorted({(name, words[2]) for name, span in _spans() for part in span.split("&&")
                  if (words := part.split())[:2] == ["python", "-m"] and len(words) > 2
                  and words[2].startswith("cloudmodel.")})


def test_the_docs_show_commands():
    assert len(_commands()) >= 10 and MODULES


@pytest.mark.parametrize(("doc", "module"), MODULES)
def test_module_commands_exist_and_run_something(doc, module):
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{doc}: python -m {module}: no such module"
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert 'if __name__ == "__main__"' in source or spec.origin.endswith("__main__.py"), (
        f"{doc}: python -m {module} would exit 0 and do nothing")


def _help(cli, verb: str, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "200")
    result = cli(verb, "--help")
    assert result.code == 0, f"{verb} --help: {result.stderr}"
    return result.stdout


def test_every_verb_and_option_the_docs_show_exists(cli, monkeypatch):
    helps: dict[str, str] = {}
    for doc, argv in _commands():
        verb = argv[0]
        if PLACEHOLDER.search(verb) or "<" in verb:  # `cloudmodel VERB`, `cloudmodel <verb>`
            continue
        assert verb in VERBS, f"{doc}: {' '.join(argv)}: unknown verb {verb!r}"
        text = helps.setdefault(verb, _help(cli, verb, monkeypatch))
        for word in argv[1:]:
            option = word.split("=")[0]
            if option.startswith("--"):
                assert option in text, f"{doc}: `{' '.join(argv)}`: {verb} has no option {option}"


def _complete(argv: list[str]) -> bool:
    return argv[0] in VERBS and not any(PLACEHOLDER.search(word) or "<" in word for word in argv)


COMPLETE = sorted({tuple(argv) for _, argv in _commands() if _complete(argv)})


@pytest.mark.parametrize("argv", COMPLETE, ids=" ".join)
def test_complete_commands_run(argv, cli, drivers_copy, tmp_path, monkeypatch):
    """Run in a scratch folder on a copy of the drivers, so a command that writes
    (``calibrate --write``) changes nothing of the project's."""
    monkeypatch.chdir(tmp_path)
    args = shlex.split(" ".join(argv))
    if args[0] != "diff":
        args += ["--drivers", str(drivers_copy)]
    binary = {"xlsx", "parquet"} & set(args)
    if binary and "--output" not in args:  # a binary format needs a file (named or not in the prose)
        args += ["--output", str(tmp_path / f"out.{binary.pop()}")]
    result = cli(*args)
    assert result.code == 0, f"{' '.join(argv)}: {result.stderr}"
    assert result.stdout.strip() or any(tmp_path.iterdir()) or (drivers_copy / "calibrated.toml").exists()


def test_files_the_commands_name_exist():
    text = "\n".join(path.read_text(encoding="utf-8") for path in DOCS)
    for name in ("constraints.txt", "constraints-lowest.txt", ".ci/run"):
        assert name in text, name
        assert (ROOT / name).is_file(), name
    for script in set(re.findall(r"benchmarks/[a-z_]+\.py", text)):
        assert (ROOT / script).is_file(), script


def test_quick_start_installs_the_pinned_set():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart -->(.*?)<!-- /quickstart -->", readme, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("```")]
    assert all("-c constraints.txt" in line for line in lines)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "constraints-lowest.txt" in ci


def test_constraints_pin_every_declared_dependency():
    """Both constraint files pin (==) every package pyproject.toml declares, and the lowest file
    pins each at its declared lower bound."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]

    def pins(name: str) -> dict[str, str]:
        lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
        return {re.sub(r"[-_.]+", "-", k).lower(): v for k, _, v in
                (line.partition("==") for line in lines if line and not line.startswith("#"))}

    pinned, lowest = pins("constraints.txt"), pins("constraints-lowest.txt")
    for requirement in declared:
        name, lower = re.match(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert key in pinned, f"constraints.txt does not pin {name}"
        assert key in lowest, f"constraints-lowest.txt does not pin {name}"
        assert [int(x) for x in lowest[key].split(".")][:len(lower.split("."))] == [int(x) for x in lower.split(".")], (
            f"constraints-lowest.txt pins {name} at {lowest[key]}, pyproject declares >= {lower}")


def test_to_pandas_works(base):
    """Notebook users take the table into pandas (pandas and pyarrow are declared)."""
    frame = base.table.to_pandas()
    assert frame.shape == base.table.shape
    assert list(frame.columns) == ["line", "period", "basis", "value", "unit"]


def test_notebook_repr_is_compact(base):
    """repr and _repr_html_ show the key lines by fiscal year, not 15k characters of frames."""
    text, html = repr(base), base._repr_html_()
    assert len(text) < 2_000 and len(html) < 6_000
    assert "origin FY2026Q4" in text and "34.0% A" in text and "<table>" in html and "A actual" in html
    assert "FY2027" in text
