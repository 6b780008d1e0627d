"""Generate ``docs/drivers.md`` from the driver files (``python -m cloudmodel.present.docs``).

A test regenerates the page and fails when the committed one is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from cloudmodel.inputs.drivers import DriverSet, load_drivers
from cloudmodel.units import display

HEADER = """# Drivers

Generated from `drivers/*.toml` by `python -m cloudmodel.present.docs` — do not edit by hand; a test
fails when this page is stale. Values are shown in their canonical unit (docs/contract.md §3).
Kinds: **report** (quoted from the report, verbatim), **outside** (a public figure not in the
report, with its source), **derived** (computed from other drivers by the formula shown),
**assumption** (our choice, with the reason), **calibrated** (solved so that the base meets
the report's own target, named).

"""


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render(drivers: DriverSet) -> str:
    lines = [HEADER]
    counts: dict[str, int] = {}
    for d in drivers.values():
        counts[d.kind] = counts.get(d.kind, 0) + 1
    lines.append(f"{len(drivers)} drivers: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ".\n")
    themes: dict[str, list] = {}
    for d in drivers.values():
        themes.setdefault(f"{d.theme} (`{Path(d.file).name}`)", []).append(d)
    for theme, items in themes.items():
        lines.append(f"\n## {theme}\n")
        lines.append("| id | value | range | period | kind | source |")
        lines.append("|---|---|---|---|---|---|")
        for d in items:
            rng = f"{display(d.low, d.unit)} – {display(d.high, d.unit)}" if d.has_range else ""
            if d.kind == "report":
                source = f"{d.where}: 「{d.quote}」"
            elif d.kind == "derived":
                source = f"= `{d.formula}`"
            elif d.kind == "calibrated":
                source = f"meets `{d.target}`. {d.reason}"
            else:
                source = d.source if d.kind == "outside" else d.reason
            if d.reading:
                source += f" *Reading:* {d.reading}"
            lines.append(f"| `{d.id}` | {display(d.value, d.unit)} | {rng} | {d.period} | {d.kind} | {_cell(source)} |")
    return "\n".join(lines) + "\n"


LINES_HEADER = """# Lines

Generated from the quantity graph (`cloudmodel/quantities/`) by `python -m cloudmodel.present.docs` — do
not edit by hand; a test fails when this page is stale. For each output line: its unit and roll-up,
the quantity that computes it with its formula (the quantity's docstring), and the drivers it is
made from — recorded by a tracing run of the model, derived drivers expanded into their inputs
(what `trace LINE` prints). Ratio and growth lines are computed from their parts at every period.

"""


def render_lines(drivers: DriverSet, history: Any) -> str:
    """``docs/lines.md``: every output line's formula and drivers, from the graph (at the shipped history's
    last quarter: its drivers include the residual states' estimated gains)."""
    from cloudmodel.lineage import drivers_of, formula_of
    from cloudmodel.result import LINES

    out = [LINES_HEADER]
    for name, line in LINES.items():
        out.append(f"## `{name}` — {line.label}\n")
        out.append(f"Unit `{line.unit}`, {line.rollup.value}.")
        if line.growth_of:
            out.append(f"Year-on-year growth of `{line.growth_of}`.")
        elif line.numerator:
            out.append(f"= `{line.numerator}` ÷ `{line.denominator}`" + (f" × {line.scale:g}." if line.scale != 1 else "."))
        for quantity, doc in formula_of(name) if not (line.growth_of or line.numerator) else []:
            out.append(f"\n`{quantity}`: {doc}")
        ids = drivers_of(name, drivers, history)
        out.append(f"\nDrivers ({len(ids)}): " + ", ".join(f"`{i}`" for i in ids) + "\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else Path("docs/drivers.md")
    from cloudmodel.basis import prepare

    drivers = load_drivers()
    target.write_text(render(drivers), encoding="utf-8")
    print(f"wrote {target}")
    lines = target.with_name("lines.md")
    basis = prepare(drivers)
    lines.write_text(render_lines(basis.drivers, basis.history), encoding="utf-8")
    print(f"wrote {lines}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
