"""A live Excel model: ``forecast --format xlsx``.

The workbook is the model, not a dump of it. Its calculation sheets hold one row per quantity
of :mod:`cloudmodel.quantities` and one column per quarter (or fiscal year), and every cell is
the Excel formula that the quantity's own Python function writes when it is evaluated on
:class:`~cloudmodel.formula.Formula` values instead of numbers: a driver is a reference to its
input cell on ``Drivers``, another quantity a reference to its cell. The roll-ups, ratio lines
and checks of :mod:`cloudmodel.result` run on those references in the same way, so ``Outputs``
and ``Checks`` are formulas too. Python and Excel therefore share one definition and cannot
drift; a test recalculates the workbook in LibreOffice and compares it with the forecast.

Sheets: ``README``, ``Drivers`` (inputs: edit a value and every output follows), ``Quarters``,
``Years`` and ``Constants`` (the quantities), ``Outputs`` (``line, period, value, unit, basis``),
``Checks`` (``check.*`` residuals) and ``Targets`` (the report's figures against the model's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudmodel.formula import STRICT, Formula, cell, number, text
from cloudmodel.graph import CONSTANT, QUANTITIES, QUARTER, YEAR, Context, Evaluation
from cloudmodel.periods import QUARTERS_PER_YEAR, fiscal_index, quarter_label
from cloudmodel.quantities import LINES
from cloudmodel.quantities.revenue import CLOUD_REVENUE

DRIVERS, QUARTERS, YEARS, CONSTANTS = "Drivers", "Quarters", "Years", "Constants"
OUTPUTS, CHECKS, TARGETS, README, TABLES = "Outputs", "Checks", "Targets", "README", "Tables"
#: Calculation sheets: label columns (quantity, unit, line, formula) before the first period.
LABEL_COLUMNS = 4
#: Header rows of a calculation sheet (period labels, basis) before the first quantity.
HEADER_ROWS = 2
#: Periods before the timeline's first that a quantity may read (a quarter a year back, the
#: opening stock); they get columns of their own so every reference lands in a cell.
LEAD_QUARTERS = QUARTERS_PER_YEAR
LEAD_YEARS = 2
DRIVER_COLUMNS = ("id", "value", "unit", "low", "high", "kind", "source", "label")
_UNIT = re.compile(r"\[([A-Za-z_ ]+)\]")
BASIS_MARK = {"actual": "A", "estimate": "est.", "forecast": "E"}


def quantity_unit(name: str) -> str:
    """A quantity's unit, as its docstring states it in brackets (``[RMB_mn]``)."""
    found = _UNIT.search(QUANTITIES[name].doc)
    return found.group(1) if found else ""


@dataclass
class Layout:
    """Where each quantity's value for each period sits."""

    first_quarter: int
    last_quarter: int
    first_year: int
    last_year: int
    rows: dict[str, int] = field(default_factory=dict)  # quantity -> row on its sheet

    @classmethod
    def of(cls, timeline: Any) -> Layout:
        years = timeline.fiscal_years
        layout = cls(timeline.first - LEAD_QUARTERS, timeline.last, years[0] - LEAD_YEARS, years[-1])
        counters = {QUARTER: HEADER_ROWS, YEAR: HEADER_ROWS, CONSTANT: 1}
        for name, quantity in QUANTITIES.items():
            layout.rows[name] = counters[quantity.time]
            counters[quantity.time] += 1
        return layout

    def sheet(self, name: str) -> str:
        return {QUARTER: QUARTERS, YEAR: YEARS, CONSTANT: CONSTANTS}[QUANTITIES[name].time]

    def quarters(self) -> range:
        return range(self.first_quarter, self.last_quarter + 1)

    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    def column(self, name: str, at: int | None) -> int:
        time = QUANTITIES[name].time
        if time == CONSTANT:
            return LABEL_COLUMNS
        first, last = (self.first_quarter, self.last_quarter) if time == QUARTER else (self.first_year, self.last_year)
        if not first <= at <= last:
            raise ValueError(f"{name} is read at {at}, outside the workbook's columns")
        return LABEL_COLUMNS + at - first


class SheetEvaluation(Evaluation):
    """The graph evaluated on formulas: each quantity's value is the formula its function writes,
    and what other quantities read is a reference to the cell that holds it."""

    def __init__(self, values: dict[str, Any], history: Any, timeline: Any, observed: Any, layout: Layout,
                 past: Evaluation | None = None):
        super().__init__(values, history, timeline, observed, past=past)
        self.layout = layout
        self.cells: dict[tuple[str, int | None], Any] = {}  # (quantity, period) -> Formula or number

    def _compute(self, name: str, at: int | None) -> Any:
        if self.pinned(name, at):  # a reported period: the basis's number, which no input moves
            result = self.past.value(name, at)
        else:
            result = self._continued(name, at, QUANTITIES[name].function(Context(self, at, None)))
        if isinstance(result, Formula) or (isinstance(result, int | float) and not isinstance(result, bool)):
            self.cells[(name, at)] = result
            result = cell(self.layout.sheet(name), self.layout.rows[name], self.layout.column(name, at), number(result))
        self.memo[name][at] = result
        return result


def _driver_refs(drivers: Any) -> tuple[dict[str, Formula], dict[str, int], dict[str, Any]]:
    """A reference per driver to its input cell, its row, and the cell content of derived drivers
    (the driver file's own formula over the other drivers' cells)."""
    from cloudmodel.inputs.drivers import evaluate_formula

    rows = {driver_id: index + 1 for index, driver_id in enumerate(drivers)}
    refs = {driver_id: cell(DRIVERS, row, 1, drivers[driver_id].value) for driver_id, row in rows.items()}
    derived = {driver_id: evaluate_formula(d.formula, refs) for driver_id, d in drivers.items() if d.kind == "derived"}
    return refs, rows, derived


@dataclass
class Sheets:
    """Everything the workbook holds, before it is written."""

    drivers: Any
    driver_rows: dict[str, int]
    derived: dict[str, Any]
    layout: Layout
    evaluation: SheetEvaluation
    rows: Any  # result.Rows of formulas
    check_names: list[str]
    forecast: Any


def build(fc: Any, history: Any, timeline: Any) -> Sheets:
    """The workbook's cells for a forecast (its drivers, the history as known at its origin, its timeline)."""
    from cloudmodel.engine import observed, pins, to_raw
    from cloudmodel.result import add_checks, build_rows

    refs, driver_rows, derived = _driver_refs(fc.drivers)
    layout = Layout.of(timeline)
    # history is pinned: the reported periods are the basis's numbers, an edited input moves only the forecast
    evaluation = SheetEvaluation(refs, history, timeline, observed(history), layout, past=pins(fc.drivers, timeline))
    STRICT[0] = True
    try:
        evaluation.run()
    finally:
        STRICT[0] = False
    raw = to_raw(evaluation)
    rows = build_rows(raw, history)
    check_names = add_checks(rows, raw, history, fc.drivers)
    for driver_id, d in fc.drivers.items():
        if driver_id.startswith("group.table4."):
            line, _, year = driver_id.rpartition("_fy")
            basis = fc.rows.basis(line, f"FY{year}")
            cell = refs[driver_id]
            reported = history.fiscal_year_total("group_revenue_rmb_mn", int(year))
            if basis == "estimate" and d.unit == "RMB_mn" and reported is not None:  # scaled to the reported total
                cell = cell * reported / refs[f"group.table4.revenue_fy{year}"]
            rows.put(line, f"FY{year}", cell, basis)
    growth, revenue = "group.table4.revenue_growth", "group.table4.revenue"
    for label in [p for (line, p) in list(rows.cells) if line == growth and fc.rows.basis(line, p) == "estimate"]:
        before = f"FY{int(label[2:]) - 1}"
        rows.put(growth, label, rows.get(revenue, label) / rows.get(revenue, before) - 1, "estimate")
    return Sheets(fc.drivers, driver_rows, derived, layout, evaluation, rows, check_names, fc)


# ----------------------------------------------------------------------------- writing

NUMBER_FORMATS = {
    "RMB_mn": '"RMB "#,##0.0,"bn"',
    "RMB": '"RMB "#,##0.00',
    "ratio": "0.0%",
    "count": '0\\.0,"万"',
    "USD": '"USD "0.00',
    "HKD": '"HKD "0.00',
    "tokens": '#,##0.0,,,"bn"',
    "x": '0.0"x"',
}
FILLS = {"actual": "#E7E6E6", "estimate": "#DDEBF7", "forecast": "#FFFFFF"}
INPUT_STYLE = {"font_color": "#0000FF", "bg_color": "#FFF2CC"}


class _Formats:
    def __init__(self, book: Any):
        self.book = book
        self.cache: dict[tuple, Any] = {}

    def get(self, unit: str = "", basis: str = "forecast", **extra: Any) -> Any:
        key = (unit, basis, tuple(sorted(extra.items())))
        if key not in self.cache:
            spec = {"num_format": NUMBER_FORMATS.get(unit, "#,##0.00"), "bg_color": FILLS.get(basis, "#FFFFFF")}
            self.cache[key] = self.book.add_format(spec | extra)
        return self.cache[key]


def _write_value(sheet: Any, row: int, column: int, value: Any, style: Any) -> int:
    """A formula or a number; returns 1 for a formula (they are counted)."""
    if isinstance(value, Formula):
        cached = number(value)
        sheet.write_formula(row, column, "=" + value.text, style, 0 if cached is None else cached)
        return 1
    sheet.write_number(row, column, float(value), style)
    return 0


def _write_drivers(book: Any, formats: _Formats, sheets: Sheets) -> int:
    sheet = book.add_worksheet(DRIVERS)
    header = book.add_format({"bold": True, "bottom": 1})
    for column, name in enumerate(DRIVER_COLUMNS):
        sheet.write(0, column, name, header)
    count = 0
    for driver_id, row in sheets.driver_rows.items():
        d = sheets.drivers[driver_id]
        sheet.write_string(row, 0, driver_id)
        if driver_id in sheets.derived:
            count += _write_value(sheet, row, 1, sheets.derived[driver_id], formats.get(d.unit))
        else:
            sheet.write_number(row, 1, d.value, formats.get(d.unit, "input", **INPUT_STYLE))
        sheet.write_string(row, 2, d.unit)
        for column, bound in ((3, d.low), (4, d.high)):
            if bound is not None:
                sheet.write_number(row, column, bound, formats.get(d.unit))
        sheet.write_string(row, 5, d.kind)
        sheet.write_string(row, 6, _clean(d.short_source(200)))
        sheet.write_string(row, 7, _clean(d.label))
    sheet.freeze_panes(1, 1)
    for column, width in enumerate((38, 16, 18, 14, 14, 11, 80, 50)):
        sheet.set_column(column, column, width)
    return count


def _clean(value: str) -> str:
    """Text for a cell: no control characters, and text a spreadsheet would read as a formula
    (``=…``, ``+…``, ``-…``, ``@…``) with a leading apostrophe, as in every CSV and Excel output
    (:func:`cloudmodel.present.output.escape_text`). The cell is a string either way; the
    apostrophe keeps it one when it is edited, re-saved by another tool or exported to CSV."""
    from cloudmodel.present.output import escape_text

    return escape_text(re.sub(r"[\x00-\x1f\x7f]", " ", value or ""))


def _period_basis(sheets: Sheets, name: str, label: str, index: int) -> str:
    line = QUANTITIES[name].line
    basis = sheets.forecast.rows.basis(line, label) if line else None
    if basis:
        return basis
    return "forecast" if index > sheets.evaluation.timeline.origin else "estimate"


def _write_calculation(book: Any, formats: _Formats, sheets: Sheets, time: str) -> int:
    layout = sheets.layout
    title, periods = {QUARTER: (QUARTERS, layout.quarters()), YEAR: (YEARS, layout.years()),
                      CONSTANT: (CONSTANTS, [None])}[time]
    sheet = book.add_worksheet(title)
    header = book.add_format({"bold": True, "bottom": 1})
    for column, name in enumerate(("quantity", "unit", "line", "formula")):
        sheet.write(0, column, name, header)
    labels = {}
    for at in periods:
        label = (quarter_label(at) if time == QUARTER else f"FY{at}") if at is not None else "value"
        labels[at] = label
        column = LABEL_COLUMNS if at is None else layout.column(_first_of(time), at)
        sheet.write(0, column, label, header)
        if at is not None and time != CONSTANT:
            index = at if time == QUARTER else _year_end(at)
            mark = "forecast" if index > sheets.evaluation.timeline.origin else "actual / estimate"
            sheet.write(1, column, mark, header)
    count = 0
    for name, quantity in QUANTITIES.items():
        if quantity.time != time:
            continue
        row = layout.rows[name]
        unit = quantity_unit(name)
        sheet.write_string(row, 0, name)
        sheet.write_string(row, 1, unit)
        sheet.write_string(row, 2, quantity.line or "")
        sheet.write_string(row, 3, quantity.doc)
        for at in periods:
            value = sheets.evaluation.cells.get((name, at))
            if value is None:
                continue
            index = at if time != YEAR else _year_end(at)
            basis = _period_basis(sheets, name, labels[at], index) if at is not None else "forecast"
            count += _write_value(sheet, row, layout.column(name, at), value, formats.get(unit, basis))
    sheet.freeze_panes(HEADER_ROWS if time != CONSTANT else 1, LABEL_COLUMNS)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 2, 16)
    sheet.set_column(3, 3, 30)
    sheet.set_column(LABEL_COLUMNS, LABEL_COLUMNS + len(periods), 14)
    return count


def _first_of(time: str) -> str:
    return next(name for name, quantity in QUANTITIES.items() if quantity.time == time)


def _year_end(year: int) -> int:
    """The last quarter of a fiscal year."""
    return fiscal_index(year, QUARTERS_PER_YEAR)


def _write_outputs(book: Any, formats: _Formats, sheets: Sheets) -> tuple[int, dict[tuple[str, str], int]]:
    sheet = book.add_worksheet(OUTPUTS)
    header = book.add_format({"bold": True, "bottom": 1})
    for column, name in enumerate(("line", "period", "value", "unit", "basis")):
        sheet.write(0, column, name, header)
    table = sheets.forecast.table
    count, where = 0, {}
    for row, (line, period, basis, value, unit) in enumerate(table.iter_rows(), start=1):
        formula = sheets.rows.get(line, period)
        sheet.write_string(row, 0, line)
        sheet.write_string(row, 1, period)
        count += _write_value(sheet, row, 2, formula if formula is not None else value, formats.get(unit, basis))
        sheet.write_string(row, 3, unit)
        sheet.write_string(row, 4, BASIS_MARK.get(basis, basis))
        where[(line, period)] = row
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 11)
    sheet.set_column(2, 2, 18)
    sheet.autofilter(0, 0, len(table), 4)
    return count, where


def _write_checks(book: Any, formats: _Formats, sheets: Sheets) -> int:
    sheet = book.add_worksheet(CHECKS)
    header = book.add_format({"bold": True, "bottom": 1})
    for column, name in enumerate(("check", "period", "residual", "ok")):
        sheet.write(0, column, name, header)
    from cloudmodel.model import CHECK_TOLERANCE

    count, row = 0, 1
    for (line, period), (value, _basis) in sheets.rows.cells.items():
        if line not in sheets.check_names:
            continue
        sheet.write_string(row, 0, line)
        sheet.write_string(row, 1, period)
        count += _write_value(sheet, row, 2, value, formats.get("", "forecast", num_format="0.000000"))
        sheet.write_formula(row, 3, f"=ABS(C{row + 1})<={text(CHECK_TOLERANCE)}")
        count += 1
        row += 1
    sheet.set_column(0, 0, 46)
    sheet.freeze_panes(1, 0)
    return count


def _write_targets(book: Any, formats: _Formats, sheets: Sheets, where: dict[tuple[str, str], int]) -> int:
    sheet = book.add_worksheet(TARGETS)
    header = book.add_format({"bold": True, "bottom": 1})
    columns = ("target", "line", "period", "kind", "report", "low", "high", "tolerance", "model", "ok")
    keys = ("label", *columns[1:8])
    for column, name in enumerate(columns):
        sheet.write(0, column, name, header)
    count = 0
    for row, target in enumerate(sheets.forecast.targets.iter_rows(named=True), start=1):
        unit = target["unit"]
        for column, key in enumerate(keys):
            value = target[key]
            if isinstance(value, str):
                sheet.write_string(row, column, _clean(value))
            elif value is not None:
                sheet.write_number(row, column, value, formats.get(unit) if key != "tolerance" else None)
        model = f"{OUTPUTS}!$C${where[(target['line'], target['period'])] + 1}"
        sheet.write_formula(row, 8, "=" + model, formats.get(unit), target["model"])
        r = row + 1
        ok = {"range": f"=AND(I{r}>=F{r},I{r}<=G{r})", "abs": f"=ABS(I{r}-E{r})<=H{r}",
              "rel": f"=ABS(I{r}/E{r}-1)<=H{r}", "max": f"=I{r}<=E{r}", "min": f"=I{r}>=E{r}"}[target["kind"]]
        sheet.write_formula(row, 9, ok)
        count += 2
    sheet.set_column(0, 0, 46)
    sheet.set_column(1, 1, 34)
    sheet.set_column(4, 8, 14)
    return count


def _write_tables(sheet: Any, book: Any, formats: _Formats, sheets: Sheets, where: dict[tuple[str, str], int]) -> int:
    """The forecast's tables as the terminal shows them (:mod:`cloudmodel.present.sections`), by fiscal year,
    each cell a reference into Outputs: live like the rest. Returns the number of formula cells."""
    from cloudmodel.present import sections
    from cloudmodel.present.defaults import target_year

    fc = sheets.forecast
    title, header = book.add_format({"bold": True, "font_size": 12}), book.add_format({"bold": True, "bottom": 1})
    years = sorted({p for (_, p) in where if p.startswith("FY") and "Q" not in p})
    marks = {year: BASIS_MARK.get(fc.rows.basis(CLOUD_REVENUE, year) or "forecast", "") for year in years}
    row, count = 0, 0
    for section in sections.forecast(target_year(fc.drivers, fc.timeline.origin)):
        sheet.write_string(row, 0, _clean(section.title), title)
        sheet.write_string(row + 1, 0, "line", header)
        sheet.write_string(row + 1, 1, "unit", header)
        for column, year in enumerate(years, start=2):
            sheet.write_string(row + 1, column, f"{year} {marks[year]}", header)
        row += 2
        for label, line in section.pairs():
            unit = LINES[line].unit
            sheet.write_string(row, 0, _clean(label))
            sheet.write_string(row, 1, unit)
            for column, year in enumerate(years, start=2):
                if (line, year) in where:
                    at = where[(line, year)] + 1
                    basis = fc.rows.basis(line, year) or "forecast"
                    sheet.write_formula(row, column, f"={OUTPUTS}!$C${at}", formats.get(unit, basis), fc.rows.get(line, year))
                    count += 1
            row += 1
        row += 1
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 1 + len(years), 12)
    sheet.freeze_panes(0, 2)
    return count


def _write_readme(sheet: Any, sheets: Sheets, formulas: int) -> None:
    meta = sheets.forecast.meta
    lines = [
        "cloudmodel: a live model of Alibaba Cloud, the group and the valuation",
        "",
        f"Scenario: {meta['scenario']}; overrides: {meta['overrides'] or 'none'}; drivers hash {meta['drivers_hash']}.",
        f"Origin: {meta['origin']} ({meta['view']}); last reported quarter {meta['last_reported']}; horizon {meta['horizon']}.",
        f"Data: the reported history {meta['history']}" + (f" and the actuals file {meta['actuals']}" if meta['actuals'] else "") + ".",
        "Drivers of kind 'estimated' are the residual states' gains, estimated at the origin from what was reported by then.",
        f"{formulas} formula cells. Edit a blue input on Drivers and every quantity, output, check and target follows.",
        "",
        "Tables: the forecast's tables as the terminal prints them, by fiscal year, each cell a reference into Outputs.",
        "Drivers: every input, in its canonical unit (ratios as decimals, money in RMB mn, counts), with its range,",
        "  kind and source. Derived drivers are formulas over the others.",
        "Quarters, Years, Constants: one row per quantity of the model, one column per period. Each cell is the",
        "  formula the quantity's Python definition writes; the 'formula' column is that definition's docstring.",
        "Outputs: line, period, value, unit, basis (A actual = reported by Alibaba; est. = the model's reading of a",
        "  reported period; E = forecast), each value a formula into the calculation sheets.",
        "Checks: reconciliation residuals, 0 when the check holds. Targets: the report's own figures against the model.",
        "Shading: grey = actual, blue = estimate, white = forecast. Money is shown in RMB bn, counts in 万.",
    ]
    for row, line in enumerate(lines):
        sheet.write_string(row, 0, _clean(line))
    sheet.set_column(0, 0, 120)


def write_workbook(sheets: Sheets, path: str | Path) -> int:
    """Write the workbook to ``path`` (a new file; the caller makes the write atomic). Returns the
    number of formula cells."""
    import io

    import xlsxwriter

    from cloudmodel.present.output import WORKBOOK_OPTIONS, write_bytes

    buffer = io.BytesIO()  # zipped in memory, then written: a full disk is one plain OSError
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS | {"in_memory": True})
    formats = _Formats(book)
    readme = book.add_worksheet(README)
    tables = book.add_worksheet(TABLES)  # second, filled once Outputs says where each line is
    count = _write_drivers(book, formats, sheets)
    for time in (QUARTER, YEAR, CONSTANT):
        count += _write_calculation(book, formats, sheets, time)
    outputs, where = _write_outputs(book, formats, sheets)
    count += outputs + _write_checks(book, formats, sheets) + _write_targets(book, formats, sheets, where)
    count += _write_tables(tables, book, formats, sheets, where)
    _write_readme(readme, sheets, count)
    book.close()
    write_bytes(Path(path), buffer.getvalue())
    return count


def save(fc: Any, path: str | Path, force: bool = False) -> int:
    """``forecast --format xlsx --output PATH``: the live workbook of a forecast, written atomically."""
    from cloudmodel.present.output import write_atomic

    sheets = build(fc, fc.history, fc.timeline)
    counted: list[int] = []
    write_atomic(Path(path), lambda target: counted.append(write_workbook(sheets, target)), force)
    return counted[0]


__all__ = ["Sheets", "build", "save", "write_workbook"]
