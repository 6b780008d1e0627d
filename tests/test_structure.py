"""The package's shape (issue 10): short functions, no import cycles, no calendar years in code,
no hand-kept lists of what a layer reads."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "cloudmodel"
#: The longest function the package may hold (issue 21): a function that does not fit on a screen does
#: more than one thing.
MAX_FUNCTION_LINES = 60
#: A period label written as a literal (``"FY2026"``, ``"FY2028Q4"``): messages may still give
#: examples ("e.g. FY2030"), code may not pick a period.
CALENDAR = re.compile(r"(FY|CY)\d{4}(Q[1-4]|H[12])?")
#: Integers that read as the calendar years this model spans (the report is of 2025; 2000 draws is not a year).
YEARS = range(2020, 2101)


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return out


MODULES = _modules()


def test_no_function_is_longer_than_a_screen():
    long = [f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path, tree in MODULES.values() for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, long


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first.value))
    return ids


def test_no_calendar_year_is_written_in_code():
    """Periods come from the drivers and the timeline; a docstring may give an example."""
    found = []
    for path, tree in MODULES.values():
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or id(node) in skip or isinstance(node.value, bool):
                continue
            if (isinstance(node.value, str) and CALENDAR.fullmatch(node.value.strip())) or \
                    (isinstance(node.value, int) and node.value in YEARS):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert not found, found


def _imports(name: str, path: Path, tree: ast.Module) -> set[str]:
    """Every module of the package this one imports, at module level or inside a function
    (a lazy import is still a dependency); ``if TYPE_CHECKING`` blocks excepted."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test)
                 for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (base + "." + node.module if node.module else base) if node.level else node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in MODULES else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m in MODULES and m != name}


def test_no_import_cycles():
    graph = {name: _imports(name, path, tree) for name, (path, tree) in MODULES.items()}
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [node, nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not cycles, cycles


def test_no_hand_kept_lists_of_what_a_layer_reads():
    """Lineage is recorded by the quantity graph, never declared (no READS tuples)."""
    declared = [f"{path.relative_to(ROOT)}" for path, tree in MODULES.values() for node in tree.body
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "READS" for t in node.targets)]
    assert not declared, declared


def _unit(module: str) -> str:
    """The unit of the folder-level import graph: a subpackage (``cloudmodel.present``) or a top-level
    module (``cloudmodel.model``)."""
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return ".".join(parts[:2])
    return module


def test_no_folder_level_import_loops():
    """Issue 21: no loop between folders (present → analyses → model → present was one): each subpackage
    counts as one node, each top-level module as its own."""
    graph: dict[str, set[str]] = {}
    for name, (path, tree) in MODULES.items():
        for target in _imports(name, path, tree):
            a, b = _unit(name), _unit(target)
            if a != b:
                graph.setdefault(a, set()).add(b)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        return False

    loops = sorted(f"{a} -> {b} -> … -> {a}" for a, targets in graph.items() for b in targets if reaches(b, a))
    assert not loops, loops


def _string_constants() -> dict[str, set[str]]:
    """Each string literal of the package (docstrings and f-string pieces aside) → the files it is written in."""
    found: dict[str, set[str]] = {}
    for path, tree in MODULES.values():
        skip = _docstrings(tree) | {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                found.setdefault(node.value, set()).add(str(path.relative_to(PACKAGE)))
    return found


def test_a_line_is_named_in_at_most_two_code_files():
    """Issue 21: a line's name is written where it is declared (with its quantity) and at most one
    other place; everything else refers to the declaration's constant."""
    from cloudmodel.quantities import LINES

    constants = _string_constants()
    spread = {name: sorted(constants[name]) for name in LINES if len(constants.get(name, ())) > 2}
    assert not spread, spread
    assert len(LINES) >= 70  # the check saw the registry


def test_a_label_is_written_once():
    """Issue 21: a line's label lives in its declaration; tables, the note and the charts read it from there."""
    from cloudmodel.lines import LAYER_LABELS
    from cloudmodel.quantities import LINES

    constants = _string_constants()
    labels = {line.label for line in LINES.values()} | {label for label, _ in LAYER_LABELS}
    spread = {label: sorted(constants[label]) for label in labels if len(constants.get(label, ())) > 1}
    assert not spread, spread
    assert "Cloud revenue" in labels


def test_every_sum_line_has_its_check_and_every_part_is_a_line():
    from cloudmodel.quantities import LINES

    sums = [line for line in LINES.values() if line.parts]
    assert {line.name for line in sums} >= {"cloud.revenue", "cloud.ebita", "cloud.revenue.maas", "cloud.gross_profit"}
    for line in sums:
        assert line.check and line.check.startswith("check."), line
        assert all(part in LINES for part in line.parts), line
