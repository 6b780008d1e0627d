"""Tables as a terminal shows them (issue 12): under a pseudo-terminal 80 columns wide, no verb
cuts a number with "…", no line is wider than the terminal, and numbers are never in
scientific notation."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

from .conftest import DRIVERS, ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
#: A number cut off: a digit (or a unit word) right before the ellipsis, or a digit right after it.
CUT = re.compile(r"[0-9%万亿]…|…[0-9]")
SCIENTIFIC = re.compile(r"\b\d(\.\d+)?e[+-]?\d+\b", re.I)
ACTUALS = "period,line,value\nFY2025Q4,cloud.revenue,30127\n"

VERBS = {
    "forecast": ["forecast"],
    "forecast quarters": ["forecast", "--period", "quarter"],
    "drivers": ["drivers"],
    "trace": ["trace", "cloud.revenue.maas"],
    "scenarios": ["scenarios"],
    "sensitivity": ["sensitivity", "--line", "cloud.revenue"],
    "sensitivity grid": ["sensitivity", "--grid", "ai.penetration_target,paas.share"],
    "solve": ["solve", "--target", "cloud.revenue_growth@FY2027=38%", "--vary", "growth.organic_long_run"],
    "explain": ["explain", "cloud.revenue", "--vs-scenario", "bull"],
    "diff": ["diff", "{r}", "{s}"],
    "simulate": ["simulate", "--draws", "500"],
    "calibrate": ["calibrate"],
    "backtest": ["backtest", "--actuals", "{a}"],
    "update": ["update", "--actuals", "{a}"],
}


def run_in_pty(args: list[str], columns: int = 80) -> str:
    """``python -m cloudmodel ARGS`` with its stdout on a pseudo-terminal of ``columns`` columns."""
    from .conftest import run_cli  # noqa: F401 - same package; the child runs the real entry point

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = os.environ | {"COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "cloudmodel", *args], stdout=follower, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    process.wait(timeout=300)
    assert process.returncode == 0, process.stderr.read().decode()
    process.stderr.close()
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r", "")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from .conftest import run_cli

    root = tmp_path_factory.mktemp("terminal")
    (root / "actuals.csv").write_text(ACTUALS, encoding="utf-8")
    assert run_cli("forecast", "--format", "json", "--output", str(root / "a.json")).code == 0
    assert run_cli("forecast", "--format", "json", "--set", "apple.users=2000万", "--output", str(root / "b.json")).code == 0
    return {"a": str(root / "actuals.csv"), "r": str(root / "a.json"), "s": str(root / "b.json")}


@pytest.mark.parametrize("verb", VERBS)
def test_no_verb_cuts_a_number_at_80_columns(verb, files):
    from rich.cells import cell_len

    args = [a.format(**files) for a in VERBS[verb]]
    text = run_in_pty(args + (["--drivers", str(DRIVERS)] if args[0] != "diff" else []))
    assert text.strip(), verb
    lines = text.splitlines()
    cut = [line for line in lines if CUT.search(line)]
    assert not cut, (verb, cut[:3])
    wide = [line for line in lines if cell_len(line) > 80]
    assert not wide, (verb, wide[:2])
    table_lines = [line for line in lines if "│" in line]
    scientific = [line for line in table_lines if SCIENTIFIC.search(line)]
    assert not scientific, (verb, scientific[:3])


def test_units_k_writes_counts_in_k_and_m(files):
    text = run_in_pty(["forecast", "--units", "k", "--drivers", str(DRIVERS)], columns=120)
    assert "万" not in text.split("AI adoption and MaaS")[1].split("Alibaba Group")[0]
    assert re.search(r"│ (k|m)\s+│", text)
