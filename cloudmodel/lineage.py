"""Which drivers make which output line, from the reads the quantity graph records.

A tracing evaluation (:class:`cloudmodel.graph.Evaluation` with ``trace=True``) records, for
every quantity at every period, each driver and (quantity, period) it reads in the branch that
executes. A line's drivers are the transitive closure from its quantity's periods (for a ratio
line, its parts') down to the drivers, with derived drivers expanded into the drivers their
formulas use. Nothing here is kept by hand. With a period, the closure starts from that period
alone: ``drivers_of("cloud.revenue.iaas", period="FY2024Q2")`` names no forward driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping  # noqa: F401
from typing import Any

_TRACES: dict[Any, dict[tuple[str, Any], frozenset]] = {}

Node = tuple[str, Any]  # (quantity, period): a quarter index, a fiscal year, or None for a constant


def traced_reads(drivers: Any, history: Any, timeline: Any) -> dict[Node, frozenset]:
    """(quantity, period) → the ``(kind, id, period)`` triples it read over ``timeline`` (cached by
    timeline and what the history holds: which quarters of which lines, which statements)."""
    from cloudmodel.engine import observed

    seen = observed(history)
    key = (timeline, tuple(sorted((line, tuple(sorted(v))) for line, v in seen.items())),
           tuple((o.line, o.period, o.low, o.high, o.value is None) for o in history.observations))
    if key not in _TRACES:
        from cloudmodel.engine import evaluate

        evaluation = evaluate(drivers.values_by_id(), history, timeline, trace=True)
        _TRACES[key] = {node: frozenset(reads) for node, reads in (evaluation.reads or {}).items()}
    return _TRACES[key]


def line_quantities(line: str) -> list[str]:
    """The quantities an output line is made of (a ratio line: its parts'); [] for a line no
    quantity makes (``group.table4.*``, the reported group quarters)."""
    from cloudmodel.graph import QUANTITIES
    from cloudmodel.quantities import LINES

    direct = [name for name, q in QUANTITIES.items() if q.line == line]
    if direct:
        return direct
    definition = LINES.get(line)
    if definition is None:
        return []
    parts = [p for p in (definition.numerator, definition.denominator, definition.growth_of) if p]
    return [name for part in parts for name in line_quantities(part)]


def line_nodes(line: str, reads: Mapping[Node, frozenset], period: str | None = None) -> set[Node]:
    """The (quantity, period) nodes a line's value is made of: every period computed, or those of
    ``period`` (a quarter, fiscal or calendar year; a growth line also the year before)."""
    from cloudmodel.graph import CONSTANT, QUANTITIES, YEAR
    from cloudmodel.periods import Period
    from cloudmodel.quantities import LINES

    names = set(line_quantities(line))
    if period is None:
        return {node for node in reads if node[0] in names}
    labels = [period]
    definition = LINES.get(line)
    if definition is not None and definition.growth_of:
        p = Period.parse(period)
        labels.append(p.year_before())
    nodes = set()
    for label in labels:
        p = Period.parse(label)
        quarters = p.fiscal_quarters()
        read = definition.rollup.quarters_read(quarters) if definition is not None else quarters
        for name in names:
            time = QUANTITIES[name].time
            ats = [None] if time == CONSTANT else [p.year] if time == YEAR else read
            nodes |= {(name, at) for at in ats}
    return nodes


def _closure(nodes: Iterable[Node], reads: Mapping[Node, frozenset], kind_wanted: str = "driver") -> set[str]:
    """Drivers read by ``nodes`` and every (quantity, period) they read, transitively: their values
    (``kind_wanted`` "driver"), or the drivers whose periods set a date they read ("date")."""
    seen, pending, found = set(), list(nodes), set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for kind, ident, at in reads.get(node, ()):
            if kind == "quantity":
                pending.append((ident, at))
            elif kind == kind_wanted:
                found.add(ident)
    return found


def quantities_for(lines: Iterable[str], drivers: Any, history: Any, timeline: Any = None) -> list[str]:
    """The quantities a run needs to compute ``lines`` over the timeline (every one they read,
    transitively), in declaration order: a run limited to them makes the same values for those lines."""
    from cloudmodel.graph import QUANTITIES

    drivers, history, timeline = _context(drivers, history, timeline)
    reads = traced_reads(drivers, history, timeline)
    pending = [node for line in lines for node in line_nodes(line, reads)]
    pending += [node for line in lines for name in line_quantities(line) for node in reads if node[0] == name]
    seen: set[Node] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        pending.extend((ident, at) for kind, ident, at in reads.get(node, ()) if kind == "quantity")
    needed = {name for name, _ in seen}
    return [name for name in QUANTITIES if name in needed]


def with_formula_inputs(ids: Iterable[str], drivers: Any) -> set[str]:
    """``ids`` and, for each derived driver among them, the drivers its formula uses (transitively)."""
    from cloudmodel.inputs.drivers import formula_names

    out, pending = set(), list(ids)
    while pending:
        driver_id = pending.pop()
        if driver_id in out or driver_id not in drivers:
            continue
        out.add(driver_id)
        if drivers[driver_id].kind == "derived":
            pending.extend(formula_names(drivers[driver_id].formula or ""))
    return out


def _context(drivers: Any, history: Any, timeline: Any = None) -> tuple[Any, Any, Any]:
    """The drivers a run is made with (a :class:`cloudmodel.basis.Basis`'s, the residual states' estimated
    gains among them), the history as known at its origin, and its timeline (default: the default horizon)."""
    if timeline is None:
        from cloudmodel.engine import default_last_quarter, make_timeline

        timeline = make_timeline(drivers, history, default_last_quarter(drivers, history.last_quarter))
    return drivers, history, timeline


def drivers_of(line: str, drivers: Any, history: Any, timeline: Any = None, period: str | None = None,
               dates: bool = False) -> list[str]:
    """Driver ids behind ``line`` (at ``period``, or at any period) — exactly those read, directly or
    through other quantities and derived drivers' formulas, over the timeline (default: the shipped
    drivers and horizon). With ``dates``, the drivers whose periods set a date the line reads instead
    (when the price cuts start, the fade of the growth rates…)."""
    drivers, history, timeline = _context(drivers, history, timeline)
    if line.startswith("group.table4."):
        return sorted(i for i in drivers if i.rpartition("_fy")[0] == line and (period is None or i.endswith(period[2:])))
    reads = traced_reads(drivers, history, timeline)
    nodes = line_nodes(line, reads, period)
    if period is not None and line_quantities(line) and not nodes & reads.keys():
        raise KeyError(f"{line} has no value at {period} (outside the run's periods)")
    if dates:
        return sorted(_closure(nodes, reads, "date"))
    return sorted(with_formula_inputs(_closure(nodes, reads), drivers))


def drivers_of_lines(lines: Iterable[str], drivers: Any, history: Any, timeline: Any = None) -> set[str]:
    """The union of :func:`drivers_of` over ``lines``."""
    drivers, history, timeline = _context(drivers, history, timeline)
    return {i for line in lines for i in drivers_of(line, drivers, history, timeline)}


def all_inputs(drivers: Any, history: Any, timeline: Any = None, formulas: bool = True) -> set[str]:
    """Every driver the model reads (a quantity reads, or with ``formulas`` a derived driver's
    formula uses), and Table 4's."""
    drivers, history, timeline = _context(drivers, history, timeline)
    reads = traced_reads(drivers, history, timeline)
    read = {ident for found in reads.values() for kind, ident, _ in found if kind == "driver"}
    read |= {i for i in drivers if i.startswith("group.table4.")}
    return with_formula_inputs(read, drivers) if formulas else read


def formula_of(line: str) -> list[tuple[str, str]]:
    """(quantity, docstring) for each quantity that makes ``line`` — its unit and formula."""
    from cloudmodel.graph import QUANTITIES

    return [(name, QUANTITIES[name].doc) for name in line_quantities(line)]


__all__ = ["drivers_of", "drivers_of_lines", "all_inputs", "quantities_for", "traced_reads", "line_quantities", "line_nodes", "formula_of",
           "with_formula_inputs"]
