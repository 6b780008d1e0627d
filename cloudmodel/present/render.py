"""Rich tables for people. The model returns data; this module decides how it looks.

Every number goes through :mod:`cloudmodel.numbers` (%, pp for changes in ratios, RMB bn/mn,
counts in 万 or k/m as ``--units`` says, never scientific notation). Every table fits the
terminal: text columns wrap at spaces, number columns never shrink, and a table too wide for
the terminal is split into parts that repeat its key columns — a number is never cut.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from cloudmodel import numbers as nb
from cloudmodel.errors import clean_text
from cloudmodel.quantities.revenue import CLOUD_REVENUE

QUARTERS_SHOWN_BEFORE, QUARTERS_SHOWN_AFTER = 4, 6
PIPE_WIDTH = 160  # columns when output is not a terminal (a file, a pager, a test)
#: Counts in tables: 万/亿 ("cn") or k/m/bn ("k"); the CLI's --units sets it.
UNITS = "cn"
#: Source text shown in the drivers table (cut at a space; ``--format json`` has it whole).
SOURCE_CHARS = 60
_capture: Console | None = None


def safe(text: Any) -> str:
    """User text (driver files, names, labels) for rich: control characters escaped, no markup."""
    from rich.markup import escape

    return escape(clean_text(str(text)))


def make_console() -> Console:
    """A console as wide as the terminal, or PIPE_WIDTH columns when writing to a pipe (or the
    capture of :func:`captured`)."""
    if _capture is not None:
        return _capture
    console = Console()
    if console.is_terminal:
        return console
    import os

    columns = os.environ.get("COLUMNS", "")
    return Console(width=int(columns) if columns.isdigit() and int(columns) >= 40 else PIPE_WIDTH)


@contextlib.contextmanager
def captured(width: int = PIPE_WIDTH) -> Iterator[io.StringIO]:
    """Everything printed inside goes to the returned buffer as plain text (``--output`` with ``table``)."""
    global _capture
    buffer = io.StringIO()
    previous, _capture = _capture, Console(file=buffer, width=width, force_terminal=False, color_system=None,
                                           highlight=False, soft_wrap=False)
    try:
        yield buffer
    finally:
        _capture = previous


class _Buffer(io.StringIO):
    """A text buffer that reports an encoding (rich draws ASCII boxes for a non-UTF-8 one)."""

    def __init__(self, encoding: str):
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


@contextlib.contextmanager
def captured_stdout() -> Iterator[io.StringIO]:
    """Everything printed inside goes to the returned buffer exactly as it would have gone to
    stdout (its width, colours when it is a terminal, ASCII boxes when its encoding is not
    UTF-8), to be written by :func:`cloudmodel.present.output.to_stdout`, which turns a closed,
    full or broken stdout into a clear exit 2."""
    global _capture
    probe = make_console()
    buffer = _Buffer(probe.encoding)
    terminal = probe.is_terminal
    previous, _capture = _capture, Console(file=buffer, width=probe.width, force_terminal=terminal,
                                           color_system=probe.color_system if terminal else None,
                                           legacy_windows=False)
    try:
        yield buffer
    finally:
        _capture = previous


def shorten(text: str, width: int = SOURCE_CHARS) -> str:
    """At most ``width`` characters, cut at a space (never inside a number or a word)."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + " …"


# ----------------------------------------------------------------------------- numbers

def cell(value: float | None, unit: str) -> str:
    """A value with its unit, as analysts read it (``RMB 31.8bn``, ``15.0%``, ``70.0万``)."""
    return nb.fmt(value, unit, units=UNITS)


def row_cells(values: Sequence[float | None], unit: str) -> tuple[str, list[str]]:
    """One scale for a row of values: the label (``RMB bn``) and the cells (``134.6``)."""
    scale = nb.column_scale(unit, list(values), UNITS)
    return scale.label, [scale.cell(v) for v in values]


_RATIO_NAMES = ("pct", "share", "mape", "coverage", "penetration", "margin", "growth", "rate")


def _is_ratio_column(name: str) -> bool:
    low = name.lower()
    return any(word in low for word in _RATIO_NAMES) or low.endswith("%")


def plain_number(x: float) -> str:
    """A number without a unit: about four significant figures, never in scientific notation."""
    if x != x:
        return nb.MISSING
    if float(x).is_integer() and abs(x) >= 1:
        return nb.number(x, 0)
    digits = 0 if abs(x) >= 100 else 2 if abs(x) >= 1 else max(nb._significant(x, 3), 2)
    return nb.number(x, digits)


#: Columns of generic frames that are plain numbers, not in the row's unit (``n``, ``MASE``, draws).
PLAIN_COLUMNS = ("n", "mase", "draws", "iterations", "dof")


def value_cell(value: Any, column: str, unit: str | None) -> str:
    """A cell of a generic frame: numbers by the row's unit (or the column's kind), text escaped."""
    if value is None:
        return nb.MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        low = column.lower()
        if low.endswith("%"):
            return nb.number(value, 1) + "%"
        if low in PLAIN_COLUMNS:  # counts and scores without a unit, whatever the row's
            return nb.number(value, 0) if isinstance(value, int) else nb.number(value, 2)
        if _is_ratio_column(low) and not (unit and unit != "ratio" and low in ("value",)):
            if "error" in low or "bias" in low or "change" in low:
                return nb.ratio(value, signed=True)
            return nb.ratio(value)
        if unit:
            signed = any(word in low for word in ("error", "change", "contribution", "swing", "bias"))
            return nb.change(value, unit, units=UNITS) if signed else nb.fmt(value, unit, units=UNITS, signed=False)
        if isinstance(value, int):
            return nb.number(value, 0)
        return plain_number(value)
    return safe(value)


def line_unit(line: Any) -> str | None:
    from cloudmodel.quantities import LINES

    if isinstance(line, str) and line in LINES:
        return LINES[line].unit
    return None


# ----------------------------------------------------------------------------- tables that fit

@dataclass(frozen=True)
class Col:
    """A column of :func:`show_table`: ``wrap`` text may wrap at spaces; ``key`` columns are
    repeated in each part when a table is split."""

    header: str
    justify: str = "right"
    wrap: bool = False
    key: bool = False
    fold: bool = False  # plain text (ids, labels, sources): long words may be folded too


#: Where a line of text may break: at spaces and around a CJK character (Chinese is broken between
#: any two characters); an id, a number or a word is never broken unless it is wider than the terminal.
_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


def _longest_token(text: str) -> int:
    """The widest piece of ``text`` that must stay on one line (a word, an id, a number)."""
    plain = Text.from_markup(text).plain
    return max((Text(t).cell_len for t in _TOKEN.findall(plain)), default=0)


def span(low: float | None, high: float | None, unit: str) -> str:
    """A range on two lines (``low –`` / ``high``), so that a narrow column never breaks a number."""
    text = nb.between(low, high, unit, units=UNITS)
    return text.replace(" – ", " –\n", 1)


def _width(text: str) -> int:
    return max((Text.from_markup(line).cell_len for line in text.split("\n")), default=0)


def _measure(cols: Sequence[Col], rows: Sequence[Sequence[str]]) -> tuple[list[int], list[int]]:
    """Each column's full width (its longest line) and the least it can take: plain text that may
    wrap, its widest word (ids and numbers are words); everything else whole (a range breaks only at
    its own line break)."""
    full = [max([_width(c.header)] + [_width(r[i]) for r in rows]) for i, c in enumerate(cols)]
    least = [max([_longest_token(c.header)] + [_longest_token(r[i]) for r in rows]) if c.fold or c.wrap else full[i]
             for i, c in enumerate(cols)]
    return full, least


def _parts(cols: Sequence[Col], least: Sequence[int], width: int) -> list[list[int]]:
    """Column indexes of each part: all at once when they fit, else key columns plus as many
    others as fit (text columns counted at their longest word, numbers whole)."""
    if sum(least) + 3 * len(cols) + 1 <= width:
        return [list(range(len(cols)))]
    keys = [i for i, c in enumerate(cols) if c.key]
    base = sum(least[i] + 3 for i in keys) + 1
    parts: list[list[int]] = []
    current: list[int] = []
    used = base
    for i in range(len(cols)):
        if i in keys:
            continue
        if current and used + least[i] + 3 > width:
            parts.append(keys + current)
            current, used = [], base
        current.append(i)
        used += least[i] + 3
    if current or not parts:
        parts.append(keys + current)
    return parts


#: The narrowest a folding text column (a source, a note) is squeezed to when even its longest word does
#: not fit beside the key columns: our choice, a few words of text per line.
FOLD_FLOOR = 12


def _widths(indexes: Sequence[int], full: Sequence[int], least: Sequence[int], width: int,
            keys: Sequence[int] = (), folding: Sequence[int] = ()) -> dict[int, int]:
    """Widths of a part's columns: numbers whole, text from its longest word up to its full width,
    sharing what the terminal leaves. When the longest words do not fit, a folding column that is not a
    key (a source, whose URL is one long word) gives way, never an id or a label."""
    widths = {i: least[i] for i in indexes}
    spare = width - (sum(widths.values()) + 3 * len(indexes) + 1)
    for i in [i for i in indexes if i in folding and i not in keys]:
        step = min(-spare, widths[i] - FOLD_FLOOR) if spare < 0 else 0
        if step > 0:
            widths[i] -= step
            spare += step
    wanting = {i: full[i] - least[i] for i in indexes if full[i] > least[i]}
    for i in [i for i in wanting if keys and i in keys]:  # key columns (ids, labels) first
        step = min(wanting[i], max(spare, 0))
        widths[i] += step
        spare -= step
        wanting[i] -= step
        if wanting[i] == 0:
            del wanting[i]
    while spare > 0 and wanting:
        share = max(spare // len(wanting), 1)
        for i in list(wanting):
            step = min(share, wanting[i], spare)
            widths[i] += step
            wanting[i] -= step
            spare -= step
            if wanting[i] == 0:
                del wanting[i]
            if spare <= 0:
                break
    return widths


def show_table(title: str, cols: Sequence[Col], rows: Sequence[Sequence[str]], caption: str | None = None,
               console: Console | None = None) -> None:
    """Print a table (cells already formatted, markup allowed) fitting the console's width."""
    console = console or make_console()
    full, least = _measure(cols, rows)
    parts = _parts(cols, least, console.width)
    for n, indexes in enumerate(parts):
        suffix = f" ({n + 1}/{len(parts)})" if len(parts) > 1 else ""
        part_caption = caption if n == len(parts) - 1 else None
        need = sum(least[i] for i in indexes) + 3 * len(indexes) + 1
        texts = [i for i in indexes if not cols[i].key]
        if need > console.width + 2 and len(texts) == 1 and cols[texts[0]].fold:
            _show_under(title + suffix, cols, rows, indexes, texts[0], part_caption, console)
            continue
        edge = not console.width < need <= console.width + 2  # the outer padding goes if that alone makes room
        table = Table(title=title + suffix, title_justify="left", header_style="bold", pad_edge=edge,
                      caption=part_caption, caption_justify="left")
        widths = _widths(indexes, full, least, console.width + (0 if edge else 2), [i for i in indexes if cols[i].key],
                         [i for i in indexes if cols[i].fold])
        for i in indexes:
            c = cols[i]
            flexible = c.wrap or c.fold
            table.add_column(c.header, justify=c.justify, width=widths[i], overflow="fold" if flexible else "ellipsis",
                             no_wrap=not flexible)
        for r in rows:
            table.add_row(*[r[i] for i in indexes])
        console.print(table)


def _show_under(title: str, cols: Sequence[Col], rows: Sequence[Sequence[str]], indexes: Sequence[int], text: int,
                caption: str | None, console: Console) -> None:
    """A text column too wide to sit beside its key columns even at its longest word (a source quoting
    a long id) is printed under them instead: the keys on one line, the text indented below, wrapping
    at spaces over the whole width."""
    console.print(f"[bold]{title}[/]: {safe(cols[text].header)}, under each {' · '.join(safe(cols[i].header) for i in indexes if i != text)}")
    for r in rows:
        console.print(" · ".join(r[i] for i in indexes if i != text), overflow="fold")
        if r[text].strip():
            console.print(Padding(Text.from_markup(r[text]), (0, 0, 0, 4)))
    if caption:
        console.print(caption)


# ----------------------------------------------------------------------------- forecast

def _quarter_order(label: str) -> tuple[int, int]:
    return (int(label[2:6]), int(label[7:] or 0)) if label[:2] in ("FY", "CY") and label[2:6].isdigit() else (0, 0)


def periods_for(fc: Any, period: str) -> list[str]:
    from cloudmodel.result import ordered_periods

    labels = set(fc.table["period"].to_list())
    if period == "quarter":  # the last four reported quarters and the next six
        quarters = [p for p in ordered_periods(labels) if "Q" in p]
        last_actual = max(i for i, p in enumerate(quarters) if fc.rows.basis(CLOUD_REVENUE, p) == "actual")
        return quarters[max(last_actual - QUARTERS_SHOWN_BEFORE + 1, 0): last_actual + QUARTERS_SHOWN_AFTER + 1]
    if period == "calendar":
        return [p for p in ordered_periods(labels) if p.startswith("CY") and "Q" not in p]
    from cloudmodel.present.defaults import years_shown

    shown = years_shown(fc.drivers, fc.timeline.origin)
    return [p for p in shown if p in labels] + [
        p for p in ordered_periods(labels) if p.startswith("FY") and "Q" not in p and p > shown[-1]]


CAPTION = "A reported · E forecast · est. the model's estimate of a reported period"


def line_table(fc: Any, title: str, lines: list[tuple[str, str]], periods: list[str], console: Console | None = None) -> None:
    """A table of lines (label, line name) by period: reported periods marked 'A', forecast ones 'E'
    (by cloud revenue), and in a reported period each cell the model estimates marked 'est.'.
    Each row has one scale, stated in its unit column."""
    from cloudmodel.quantities import LINES

    marks = {"actual": "A", "forecast": "E"}
    column_basis = {p: fc.rows.basis(CLOUD_REVENUE, p) or "forecast" for p in periods}
    cols = [Col("line", "left", fold=True, key=True), Col("unit", "left", key=True)]
    cols += [Col((p + " " + marks.get(column_basis[p], "")).strip()) for p in periods]
    rows = []
    for label, line in lines:
        unit = LINES[line].unit if line in LINES else "RMB_mn"
        label_text, cells = row_cells([fc.rows.get(line, p) for p in periods], unit)
        cells = [c + cell_mark(fc.rows.basis(line, p), column_basis[p]) for c, p in zip(cells, periods, strict=True)]
        rows.append([label, label_text, *cells])
    show_table(title, cols, rows, CAPTION, console)


def cell_mark(basis: str | None, column: str) -> str:
    """A cell's mark where its basis is not its column's: ``est.`` for an estimate, ``A`` for a reported
    figure in a forecast column, ``E`` for a forecast in a reported one — so the table says what the
    CSV, the JSON and the workbook say."""
    if basis is None or basis == column:
        return ""
    return {"estimate": " est.", "actual": " A", "forecast": " E"}[basis]


def forecast_sections(target_year: str) -> list[tuple[str, list[tuple[str, str]], bool]]:
    """(title, [(label, line)], by fiscal year only) of each forecast table (:mod:`cloudmodel.present.sections`)."""
    from cloudmodel.present import sections

    return [(section.title, section.pairs(), section.yearly) for section in sections.forecast(target_year)]


def targets_table(fc: Any, console: Console | None = None) -> None:
    rows = []
    for row in fc.targets.iter_rows(named=True):
        unit = row["unit"]
        if row["kind"] == "range":
            report = span(row["low"], row["high"], unit)
        else:
            report = ("≤ " if row["kind"] == "max" else "≥ " if row["kind"] == "min" else "") + cell(row["report"], unit)
        tolerance = "" if row["tolerance"] is None else (
            f"±{row['tolerance'] * 100:.1f}%" if row["kind"] == "rel" else f"±{row['tolerance'] * 100:.1f} pp")
        rows.append([safe(row["label"]), row["period"], cell(row["model"], unit), report, tolerance,
                     "[green]ok[/]" if row["ok"] else "[red]off[/]"])
    cols = [Col("figure", "left", fold=True, key=True), Col("period", "left"), Col("model"), Col("report", wrap=True),
            Col("tolerance"), Col("status")]
    title = ("The report's own figures" if fc.meta.get("targets_apply", True) else
             f"The report's own figures (its {fc.meta['report_origin']} view) against this forecast")
    show_table(title, cols, rows, console=console)


def residual(x: float) -> str:
    """A check residual: fixed point, ``0`` when it rounds to zero at a millionth."""
    return "0" if abs(x) < 5e-7 else nb.number(x, 6)


def checks_table(fc: Any, console: Console | None = None) -> None:
    import polars as pl

    summary = fc.checks.group_by("line", maintain_order=True).agg(
        pl.len().alias("n"), pl.col("value").abs().max().alias("worst"), pl.col("ok").all().alias("ok"))
    rows = [[safe(r["line"]), nb.number(r["n"], 0), residual(r["worst"]), "[green]ok[/]" if r["ok"] else "[red]FAILED[/]"]
            for r in summary.iter_rows(named=True)]
    show_table("Checks (residuals; 0 when the check holds)",
               [Col("check", "left", fold=True, key=True), Col("periods"), Col("largest |residual|"), Col("status")],
               rows, console=console)


def header(meta: dict[str, Any]) -> str:
    """The line every verb's table output starts with: the origin, the last reported quarter it stands
    on and the data."""
    actuals = f" + {safe(meta['actuals'])}" if meta.get("actuals") else ""
    return (f"origin [bold]{meta['origin']}[/] ({safe(meta['view'])}) · last reported {meta['last_reported']} · "
            f"data: {safe(_short_path(meta['history']))}{actuals}")


def _short_path(path: str) -> str:
    import os

    return os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path)) if path else ""


def print_forecast(fc: Any, period: str = "year", console: Console | None = None) -> None:
    console = console or make_console()
    meta = fc.meta
    overrides = ", ".join(f"{safe(k)}={plain_number(v)}" for k, v in meta["overrides"].items()) or "none"
    console.print(f"[bold]cloudmodel[/] scenario [bold]{safe(meta['scenario'])}[/] · overrides: {overrides} · "
                  f"drivers {meta['drivers_hash']} · each row states its unit")
    console.print(header(meta))
    periods = periods_for(fc, period)
    years = periods_for(fc, "year") if period == "quarter" else periods
    if period == "quarter":
        every = [p for p in sorted(set(fc.table["period"].to_list()), key=_quarter_order) if "Q" in p and p.startswith("FY")]
        if len(every) > len(periods):
            console.print(f"[dim]quarters shown: {periods[0]}–{periods[-1]}, {len(periods)} of the {len(every)} computed "
                          f"({every[0]}–{every[-1]}); --format csv or json gives every one[/]")
    from cloudmodel.present.defaults import target_year

    for title, lines, yearly in forecast_sections(target_year(fc.drivers, fc.timeline.origin)):
        line_table(fc, title, lines, years if yearly else periods, console)
    targets_table(fc, console)
    checks_table(fc, console)


# ----------------------------------------------------------------------------- drivers, frames

def drivers_table(records: list[dict[str, Any]], console: Console | None = None, title: str | None = None) -> None:
    rows = []
    for r in records:
        rng = "" if r.get("low") is None else span(r["low"], r["high"], r["unit"])
        rows.append([safe(r["id"]), cell(r["value"], r["unit"]), rng, safe(r["period"]), safe(r["kind"]),
                     safe(shorten(str(r.get("short_source") or "")))])
    cols = [Col("id", "left", fold=True, key=True), Col("value"), Col("range", wrap=True), Col("period", "left"),
            Col("kind", "left"), Col("source", "left", fold=True)]
    show_table(f"{title or 'Drivers'} ({len(records)})", cols, rows, console=console)


def frame_rows(frame: Any, names: Sequence[str]) -> list[list[str]]:
    """Cells of a frame: each row's numbers in its unit (a ``unit`` column, or the ``line``'s)."""
    has_unit, has_line, has_driver = "unit" in frame.columns, "line" in frame.columns, "driver" in frame.columns
    rows = []
    for row in frame.iter_rows(named=True):
        unit = (row.get("unit") if has_unit else line_unit(row.get("line")) if has_line
                else _unit_of_driver(row.get("driver")) if has_driver and isinstance(row.get("driver"), str) else None)
        rows.append([value_cell(row[name], name, unit) if name != "unit" else safe(row[name]) for name in names])
    return rows


def print_frame(frame: Any, title: str, columns: dict[str, str] | None = None) -> None:
    """A polars frame as a table: numbers as analysts read them, text wrapped, split to fit."""
    names = list(columns or {c: c for c in frame.columns})
    headers = {name: (columns or {}).get(name, name) for name in names}
    numeric = {name: frame[name].dtype.is_numeric() for name in names}
    cols = [Col(safe(headers[name]), "right" if numeric[name] else "left", fold=not numeric[name], key=i == 0)
            for i, name in enumerate(names)]
    show_table(safe(title), cols, frame_rows(frame, names))


def print_drivers(records: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """``drivers``: the header line of the run, then every driver."""
    make_console().print(header(meta))
    drivers_table(records)


def print_simulation(result: Any, period: str = "year") -> None:
    if period == "quarter":
        print_quarterly(result)
        return
    import polars as pl

    console = make_console()
    meta = result.meta
    if "origin" in meta:
        console.print(header(meta))
    console.print(f"[bold]simulate[/] {meta['draws']:,} draws · seed {meta['seed']} · {len(meta['drawn_drivers'])} drivers drawn · "
                  f"{meta['precision']} · {sum(result.timings.values()):.2f} s")
    wide = result.stats.filter(pl.col("stat").is_in(["p5", "p50", "mean", "p95"]))
    periods = list(dict.fromkeys(wide["period"].to_list()))
    rows = []
    for line in dict.fromkeys(wide["line"].to_list()):
        part = wide.filter(pl.col("line") == line)
        unit = part["unit"][0]
        values = {(r["period"], r["stat"]): r["value"] for r in part.iter_rows(named=True)}
        label, _ = row_cells([values.get((p, s)) for p in periods for s in ("p5", "p50", "p95")], unit)
        scale = nb.column_scale(unit, [values.get((p, s)) for p in periods for s in ("p5", "p95")], UNITS)
        cells = [f"{scale.cell(values.get((p, 'p5')))}\n{scale.cell(values.get((p, 'p50')))}\n{scale.cell(values.get((p, 'p95')))}"
                 for p in periods]
        rows.append([safe(line), scale.label, *cells])
    cols = [Col("line", "left", fold=True, key=True), Col("unit", "left", key=True)] + [Col(p) for p in periods]
    show_table("Distribution by fiscal year (each cell: p5 / p50 / p95)", cols, rows, console=console)
    for row in result.probabilities:
        console.print(f"P({safe(row['condition'])}) = [bold]{nb.ratio(row['probability'])}[/]")
    rows = []
    for (line, period), part in result.attribution.group_by(["line", "period"], maintain_order=True):
        for row in part.head(8).iter_rows(named=True):
            rows.append([f"{safe(line)}@{period}", safe(row["driver"]), nb.number(row["rank_correlation"], 3, signed=True),
                         nb.ratio(row["variance_share"])])
    show_table("What drives the spread (share of variance, squared rank correlation)",
               [Col("output", "left", fold=True, key=True), Col("driver", "left", fold=True), Col("rank correlation"),
                Col("share")], rows, console=console)


def print_calibration(result: Any, driver_set: Any, target: Any, meta: dict[str, Any] | None = None) -> None:
    console = make_console()
    if meta is not None:
        console.print(f"origin [bold]{meta['origin']}[/] (the fits) · the calibrated values at the report's "
                      f"origin {meta['report_origin']} · data: {safe(meta['history'])}")
    base = result["baseline"]
    money = {"level": "RMB_mn"}  # the baseline's level is quarterly cloud revenue

    def param(name: str, value: float | None) -> str:
        if value is None or value != value:
            return nb.MISSING
        return cell(value, money[name]) if name in money else plain_number(value)

    rows = [[safe(name), param(name, value), param(name, base["bse"].get(name, float("nan")))]
            for name, value in base["params"].items()]
    for name, value in base["seasonal_indices"].items():
        se = base.get("seasonal_se", {}).get(name, float("nan"))
        rows.append([f"seasonal index {safe(name)} (computed)", nb.number(value, 4), nb.number(se, 4) if se == se else nb.MISSING])
    rows += [[f"[dim]{safe(name)}[/]", f"RMB {nb.number(value, 0)}mn" if name == "rmse" else plain_number(value), ""]
             for name, value in base["stats"].items()]
    cols = [Col("parameter", "left", fold=True, key=True), Col("estimate"), Col("std. error")]
    show_table(f"Statistical baseline of cloud revenue: {safe(base['method'])} (n = {base['stats'].get('n')})", cols, rows,
               console=console)
    for note in base["notes"]:
        console.print(f"  note: {safe(note)}")
    for name, fit in result["operating_leverage"].items():
        used = " (used)" if name == "revenue" else " (shown, not used)"
        rows = [[safe(param), plain_number(value), plain_number(fit["bse"][param]),
                 nb.number(value / fit["bse"][param], 2) if fit["bse"][param] else nb.MISSING]
                for param, value in fit["params"].items()]
        show_table(f"OLS: implied shared costs on {name.replace('_', ' ')}{used}; n = {fit['stats']['n']}, "
                   f"R² = {fit['stats']['r2']:.3f}, RMSE = RMB {nb.number(fit['stats']['rmse'], 0)}mn",
                   [Col("parameter", "left", fold=True, key=True), Col("estimate"), Col("std. error"), Col("t")], rows,
                   console=console)
    ols = result["operating_leverage"]["revenue"]["residuals"]
    rows = [[quarter, nb.number(base["residuals"].get(quarter), 0, signed=True), nb.number(ols[quarter], 0, signed=True)]
            for quarter in ols]
    show_table("Residuals by quarter (RMB mn)", [Col("quarter", "left", key=True), Col("baseline (revenue)"),
                                                 Col("OLS (shared costs)")], rows, console=console)
    rows = []
    for driver_id, new in result["values"].items():
        unit = driver_set[driver_id].unit if driver_id in driver_set else ""
        old = driver_set[driver_id].value if driver_id in driver_set else None
        rng = span(new.get("low"), new.get("high"), unit) if "low" in new else ""
        rows.append([safe(driver_id), _driver_value(old, unit), _driver_value(new["value"], unit), rng])
    show_table("Calibrated drivers", [Col("driver", "left", fold=True, key=True), Col("file value"), Col("calibrated"),
                                      Col("range", wrap=True)], rows, console=console)
    console.print(f"wrote {safe(target)}" if target else "dry run: pass --write to update calibrated.toml, or --output FILE")


def _driver_value(value: float | None, unit: str) -> str:
    """A driver's value in its unit, with enough digits to see a calibrated change."""
    if value is None:
        return nb.MISSING
    if unit == "ratio":
        return nb.ratio(value, digits=2)
    return cell(value, unit) if unit in ("RMB_mn", "count", "tokens", "USD", "HKD") else plain_number(value) + (f" {unit}" if unit else "")


def print_scenarios(frame: Any, names: list[str], periods: Sequence[str]) -> None:
    """Scenarios side by side: a column per scenario within each year."""
    import polars as pl

    wide = frame.with_columns((pl.col("scenario") + " " + pl.col("period")).alias("column")).pivot(
        on="column", index=["line", "unit"], values="value", aggregate_function="first")
    columns = [f"{s} {p}" for p in periods for s in names if f"{s} {p}" in wide.columns]
    rows = []
    for row in wide.iter_rows(named=True):
        label, cells = row_cells([row[c] for c in columns], row["unit"])
        rows.append([safe(row["line"]), label, *cells])
    cols = [Col("line", "left", fold=True, key=True), Col("unit", "left", key=True)]
    cols += [Col(safe(c).replace(" ", "\n")) for c in columns]
    show_table("Scenarios (key lines)", cols, rows)


def print_bridge(bridge: dict[str, Any], label: str) -> None:
    """A bridge: start, contributions largest first, total change, end (in the line's unit)."""
    unit = line_unit(bridge.get("line")) or line_unit(label.split(":")[0].split(" at ")[0].strip()) or ""

    def v(x: float) -> str:
        return cell(x, unit) if unit else plain_number(x)

    def d(x: float) -> str:
        return nb.change(x, unit, units=UNITS) if unit else plain_number(x)

    rows = [["start", "", "", v(bridge["base"])]]
    for row in sorted(bridge["rows"], key=lambda r: -abs(r["contribution"])):
        driver = row["driver"]
        driver_unit = row.get("unit") or _unit_of_driver(driver) or unit
        rows.append([safe(driver), _maybe(row.get("from"), driver_unit), _maybe(row.get("to"), driver_unit),
                     d(row["contribution"])])
    rows.append(["[bold]total change[/]", "", "", f"[bold]{d(bridge['total_change'])}[/]"])
    rows.append(["end", "", "", v(bridge["new"])])
    show_table(f"Bridge ({safe(bridge['method'])}): {safe(label)}",
               [Col("driver", "left", fold=True, key=True), Col("from"), Col("to"), Col("contribution")], rows)


def _unit_of_driver(name: str) -> str | None:
    """The unit of an output line by name, for labelling a value whose row gives no unit."""
    return line_unit(name) or None


def _maybe(x: Any, unit: str) -> str:
    if x is None or not isinstance(x, int | float):
        return "" if x is None else safe(x)
    return cell(x, unit) if unit else plain_number(x)


def print_tornado(frame: Any, outputs: Sequence[tuple[str, str]]) -> None:
    """One tornado per output: each driver's range, the output at its low and high (one scale, in
    the header), the swing."""
    import polars as pl

    for out_line, out_period in outputs:
        part = frame.filter((pl.col("line") == out_line) & (pl.col("period") == out_period))
        unit = line_unit(out_line) or ""
        base = part["output_base"][0] if part.height else None
        scale = nb.column_scale(unit, part["output_low"].to_list() + part["output_high"].to_list(), UNITS)
        rows = []
        for r in part.iter_rows(named=True):
            d_unit = r.get("unit") or _unit_of_driver(r["driver"]) or ""
            swing = r["swing"] / scale.divisor
            rows.append([safe(r["driver"]), _maybe(r.get("driver_low"), d_unit), _maybe(r.get("driver_high"), d_unit),
                         scale.cell(r["output_low"]), scale.cell(r["output_high"]),
                         nb.number(swing, scale.digits, signed=True) + scale.suffix.replace("%", " pp")])
        cols = [Col("driver", "left", fold=True, key=True), Col("driver\nlow"), Col("driver\nhigh"),
                Col(f"at low\n({scale.label})"), Col(f"at high\n({scale.label})"), Col("swing")]
        show_table(f"Tornado: {safe(out_line)} at {out_period} (base {cell(base, unit)}), sorted by swing", cols, rows)


def print_grid(frame: Any, a: str, b: str, line: str, period: str, driver_set: Any) -> None:
    """A two-way data table: rows are driver ``a``'s values, columns driver ``b``'s."""
    unit = line_unit(line) or ""
    ua = driver_set[a].unit if a in driver_set else ""
    ub = driver_set[b].unit if b in driver_set else ""
    values_b = list(dict.fromkeys(frame[b].to_list()))
    scale = nb.column_scale(unit, frame["value"].to_list(), UNITS)
    rows = []
    for va in dict.fromkeys(frame[a].to_list()):
        part = {r[b]: r["value"] for r in frame.filter(frame[a] == va).iter_rows(named=True)}
        rows.append([_maybe(va, ua), *[scale.cell(part.get(vb)) for vb in values_b]])
    cols = [Col(f"{safe(a)}\n↓  {safe(b)} →", "left", wrap=True, key=True)] + [Col(_maybe(vb, ub)) for vb in values_b]
    show_table(f"{safe(line)} at {period} ({scale.label}): {safe(a)} (rows) × {safe(b)} (columns)", cols, rows)


def print_solve(result: dict[str, Any], vary: str, target: str) -> None:
    unit = result["unit"]
    where = "inside" if result["in_range"] else "OUTSIDE"
    rng = f"[{nb.between(result['low'], result['high'], unit, units=UNITS)}]" if result["low"] is not None else "(no range)"
    rel = f" ({nb.ratio(result['relative_change'], signed=True)})" if result["relative_change"] is not None else ""
    make_console().print(
        f"{safe(vary)} = [bold]{_driver_value(result['value'], unit)}[/] meets {safe(target)}\n"
        f"  {where} the report's range {safe(rng)}; base {_driver_value(result['base_value'], unit)}, "
        f"change {nb.change(result['change_from_base'], unit, units=UNITS)}{rel}")


def print_diff(result: dict[str, Any]) -> None:
    import polars as pl

    if result["drivers"]:
        print_frame(pl.DataFrame(result["drivers"]), "Drivers that differ")
    else:
        note = "same driver files" if result["meta"]["same_driver_files"] else "driver hashes differ"
        make_console().print(f"No driver values differ ({note}).")
    if result["outputs"]:
        frame = pl.DataFrame(result["outputs"]).filter(pl.col("change") != 0)
        print_frame(frame, "Key outputs that moved")


def print_rolling(result: dict[str, Any]) -> None:
    """The rolling-origin backtest: each quarter's error by method, the scores of each view (all origins;
    those from the report's on), and cloud EBITA against the latest margin."""
    meta = result["meta"]
    console = make_console()
    console.print(f"Rolling origin, one step ahead, {safe(meta['line'])}: {meta['origins']} origins "
                  f"({meta['first_origin']}–{meta['last_origin']}), each forecast made with only what was reported by then")
    methods = ("model", "seasonal_naive", "yoy_carry", "holt_winters", "combination", "consensus")
    by: dict[str, dict[str, Any]] = {}
    for r in result["rows"]:
        by.setdefault(r["period"], {})[r["method"]] = r
    scale = nb.column_scale("RMB_mn", [r["actual"] for r in result["rows"]], UNITS)
    cells = []
    for period, row in by.items():
        model = row["model"]
        cells.append([model["origin"], period, scale.cell(model["actual"]),
                      *(nb.ratio(row[m]["pct_error"], signed=True) if m in row else nb.MISSING for m in methods),
                      "yes" if model.get("covered") else "no"])
    show_table(f"Error of each one-step forecast (forecast ÷ actual − 1); actual in {scale.label}",
               [Col("origin", "left", key=True), Col("quarter", "left"), Col("actual"), *(Col(m) for m in methods),
                Col("in P5–P95", "left")], cells, console=console)
    for view, items in result["summary"].items():
        rows = []
        for s_ in items:
            rows.append([safe(s_["method"]), nb.number(s_["n"], 0), nb.ratio(s_["mape"]),
                         nb.ratio(s_["model_mape_same_targets"]) if s_["model_mape_same_targets"] is not None else nb.MISSING,
                         nb.number(s_["mase"], 2) if s_["mase"] is not None else nb.MISSING,
                         nb.change(s_["bias_rmb_mn"], "RMB_mn", units=UNITS),
                         nb.ratio(s_["coverage_p5_p95"]) if "coverage_p5_p95" in s_ else nb.MISSING,
                         nb.money(s_["winkler_rmb_mn"]) if "winkler_rmb_mn" in s_ else nb.MISSING,
                         nb.money(s_["pinball_rmb_mn"]) if s_.get("pinball_rmb_mn") is not None else nb.MISSING])
        show_table(f"Scores, {view} (MAPE in %; MASE: MAE over seasonal naive's, below 1 beats it; bias, Winkler "
                   "(P5–P95 interval score) and pinball (P5 and P95 quantile loss) in RMB; lower is better)",
                   [Col("method", "left", fold=True, key=True), Col("n"), Col("MAPE"), Col("model MAPE, same quarters"),
                    Col("MASE"), Col("bias"), Col("P5–P95 coverage"), Col("Winkler"), Col("pinball")], rows, console=console)
    e = result["ebita"]["summary"]
    if e["n"]:
        console.print(f"cloud EBITA one step ahead, {e['n']} quarters: model MAPE {nb.ratio(e['model_mape'])}, latest margin × "
                      f"the model's revenue {nb.ratio(e['latest_margin_x_revenue_mape'])}")
    console.print(safe(meta["hindsight"]))


def print_backtest(result: dict[str, Any] | None, rolling: dict[str, Any], meta: dict[str, Any] | None = None) -> None:
    import polars as pl

    print_rolling(rolling)  # the header line of the run is the verb's (cliframe.deliver)
    if result is None:
        return
    meta = result["meta"]
    make_console().print(f"backtest from origin {meta['origin']} against {safe(meta['actuals'])} "
                         f"({meta['rows_compared']} line-periods; baseline: {safe(meta['baseline']['method'])})")
    if result["rows"]:
        print_frame(pl.DataFrame(result["rows"]).select("line", "period", "method", "forecast", "actual", "error", "pct_error"),
                    "Forecast against actual")
        print_frame(pl.DataFrame(result["summary"]), "By line and method (MASE < 1 beats seasonal naive)")
    else:
        make_console().print("No rows of the file fall after the origin.")


# --------------------------------------------------------------------------- the quarterly update

def print_update(result: Any) -> None:
    """The variance report: surprises, driver updates, revised key lines, and the bridge of cloud revenue."""
    import polars as pl

    meta = result.meta
    console = make_console()
    console.print(f"update: origin {meta['origin']} (last reported {meta['last_reported_at_origin']}) → last reported "
                  f"{meta['last_reported']} with {safe(meta['actuals'])} (new quarters: {', '.join(meta['new_quarters']) or 'none'}); "
                  "deterministic: no draws, no seed")
    gains = meta["update"]["gains"]
    console.print("residual states: " + ", ".join(f"{k.partition('.')[2]} {v:.2f}" for k, v in gains.items())
                  + f"; spreads: growth gap {meta['update']['spreads']['revenue']:.4f}, margin {meta['update']['spreads']['margin']:.4f}")
    if result.surprises:
        print_frame(pl.DataFrame(result.surprises).select("line", "period", "forecast", "actual", "low", "high", "pct_error",
                                                          "within_bounds"), "Forecast (made at the origin) against actual")
    moved = [r for r in result.drivers if r["change"] != 0]
    if moved:
        print_frame(pl.DataFrame(moved).select("driver", "prior", "posterior", "p5", "p95", "low", "high", "outside_range"),
                    "Driver updates (posterior and 90% band; outside_range: the data push it outside the report's range)")
        conflicts = [r["driver"] for r in moved if r["outside_range"]]
        if conflicts:
            console.print(f"prior–data conflict: the actuals push {', '.join(conflicts)} outside the report's range")
    else:
        console.print("No driver moved: the evidence since the report's origin does not reach any driver "
                      f"({len(meta['rows_used'])} rows of the file used, {len(meta['rows_not_used'])} not used: "
                      "each is listed below with how or why).")
    print_frame(pl.DataFrame(result.revised).select("line", "period", "origin_forecast", "updated", "change"), "Revised key lines")
    if meta["rows_used"]:
        print_frame(pl.DataFrame({"row and how it was used": meta["rows_used"]}), "Rows of the file used, and how")
    if meta["rows_not_used"]:
        print_frame(pl.DataFrame(meta["rows_not_used"]), "Rows of the file not used, and why")
    totals: dict[tuple[str, str], dict[str, float]] = {}
    for b in result.bridge:
        if b["line"] == CLOUD_REVENUE and b["period"].startswith("FY") and "Q" not in b["period"]:
            parts = totals.setdefault((b["period"], b["via"]), {"contribution": 0.0})
            parts["contribution"] += b["contribution"]
    if totals:
        print_frame(pl.DataFrame([{"period": p, "via": v, "contribution": c["contribution"]} for (p, v), c in totals.items()]),
                    "Bridge of cloud revenue by year: origin forecast → updated, by driver and state (adds up to the change)")


def print_quarterly(result: Any) -> None:
    """Simulated percentiles by period (p5 · p50 · p95), one table row per line."""
    import polars as pl

    stats = result.stats.filter(pl.col("stat").is_in(["p5", "p50", "p95"]))
    wide = stats.pivot(on="stat", index=["line", "period", "unit"], values="value", aggregate_function="first")
    make_console().print(f"simulate {result.meta['draws']:,} draws · seed {result.meta['seed']} · each forecast quarter draws "
                         "the residual states' innovations (the forecast error the reported quarters show)")
    print_frame(wide.select("line", "period", "p5", "p50", "p95", "unit"), "Distribution by period")
