"""Tables as a terminal shows them (issues 12 and 21): under a pseudo-terminal 80 and 100 columns wide,
no verb cuts a number with "…", breaks an id, a label's word or a number across two lines, writes a
line wider than the terminal, or shows a number in scientific notation."""

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
    "report": ["report", "--output", "{n}", "--force"],
}
#: The terminal widths every verb is rendered at: the classic terminal and a common wider one.
WIDTHS = (80, 100)
CELL_SEP = re.compile(r"[│┃]")


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
    return {"a": str(root / "actuals.csv"), "r": str(root / "a.json"), "s": str(root / "b.json"),
            "n": str(root / "note.html")}


@pytest.fixture(scope="module")
def words():
    """What must never break across lines: every line name and driver id, and every word of their
    labels."""
    from cloudmodel.inputs.drivers import load_drivers
    from cloudmodel.quantities import LINES

    drivers = load_drivers(DRIVERS)
    found = set(LINES) | set(drivers)
    for text in [line.label for line in LINES.values()] + [getattr(d, "label", "") or "" for d in drivers.values()]:
        found |= set(text.split())
    return frozenset(found)


def _tables(lines: list[str]) -> list[list[list[str]]]:
    """Each table's text lines, split into cells: runs of lines with the same number of cell borders."""
    out: list[list[list[str]]] = []
    run: list[list[str]] = []
    borders = None
    for line in lines:
        n = len(CELL_SEP.findall(line))
        cells = [c.strip() for c in CELL_SEP.split(line)[1:-1]]
        if n >= 2 and n == borders:
            run.append(cells)
        else:
            if len(run) > 1:
                out.append(run)
            run, borders = ([cells], n) if n >= 2 else ([], None)
    if len(run) > 1:
        out.append(run)
    return out


def broken_words(lines: list[str], words: frozenset[str]) -> list[str]:
    """Cells whose last piece and the next line's first piece in the same column join into what must not
    break: a word (an id, a line name, a label's word), the start of an id, or one number (``1,2`` /
    ``34.5``)."""
    ids = [w for w in words if "." in w or "_" in w]
    found = []
    for table in _tables(lines):
        for upper, lower in zip(table, table[1:], strict=False):
            for a, b in zip(upper, lower, strict=True):
                if not a.split() or not b.split():
                    continue
                left, right = a.split()[-1], b.split()[0]
                joined = left + right
                whole = left in words
                word = joined in words and not whole
                id_start = not whole and any(w.startswith(joined) for w in ids) and any(w != left and w.startswith(left) for w in ids)
                number = bool(re.search(r"\d[,.]$", left) and re.match(r"\d", right)) or \
                    bool(re.search(r"\d$", left) and re.match(r"[,.%]", right))
                if word or id_start or number:
                    found.append(f"{a!r} / {b!r}")
    return found


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("verb", VERBS)
def test_no_verb_cuts_or_breaks_a_word(verb, columns, files, words):
    from rich.cells import cell_len

    args = [a.format(**files) for a in VERBS[verb]]
    text = run_in_pty(args + (["--drivers", str(DRIVERS)] if args[0] != "diff" else []), columns=columns)
    assert text.strip(), verb
    lines = text.splitlines()
    cut = [line for line in lines if CUT.search(line)]
    assert not cut, (verb, cut[:3])
    wide = [line for line in lines if cell_len(line) > columns]
    assert not wide, (verb, wide[:2])
    broken = broken_words(lines, words)
    assert not broken, (verb, columns, broken[:3])
    table_lines = [line for line in lines if "│" in line]
    scientific = [line for line in table_lines if SCIENTIFIC.search(line)]
    assert not scientific, (verb, scientific[:3])


def test_units_k_writes_counts_in_k_and_m(files):
    text = run_in_pty(["forecast", "--units", "k", "--drivers", str(DRIVERS)], columns=120)
    assert "万" not in text.split("AI adoption and MaaS")[1].split("Alibaba Group")[0]
    assert re.search(r"│ (k|m)\s+│", text)


def test_the_break_check_catches_the_breaks_it_is_for(words):
    """The check above on hand-made tables: an id folded mid-word (the issue's
    ``saas.smart_customer_servi│ce_cy2024``), a number split at its separator, and a label broken at a
    space (allowed)."""
    def table(*cells: tuple[str, str]) -> list[str]:
        return [f"│ {a:<28} │ {b:>8} │" for a, b in cells]

    assert broken_words(table(("saas.smart_customer_servi", "1.0"), ("ce_cy2024", "")), words)
    assert broken_words(table(("cloud.revenue", "1,"), ("", "234.5")), words)
    assert not broken_words(table(("Industry", "1.0"), ("solutions", "")), words)
    assert not broken_words(table(("cloud.revenue", "1.0"), ("cloud.ebita", "2.0")), words)
