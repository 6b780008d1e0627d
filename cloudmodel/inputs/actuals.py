"""Actuals files: reported figures that arrive after the report, for roll-forward and backtests.

A CSV or Parquet file with columns ``period, line, value`` and optionally ``unit``:

    period,line,value,unit
    FY2025Q4,cloud.revenue,30127,RMB_mn
    FY2025Q4,cloud.ai.customers,42万,count

* ``line`` is an output line name (docs/contract.md §4, e.g. ``cloud.revenue``); an unknown one is an
  error with a suggestion.
* ``period`` is ``FY2026``, ``FY2026Q1``, ``CY2025`` or ``CY2025Q1``. ``2025Q3`` is refused as
  ambiguous (fiscal or calendar?).
* ``value`` goes through the drivers' unit parser with the line's unit: plain numbers are in the
  line's unit; ``"30,127"`` (thousands separators, quoted in CSV), ``8%`` (for ratio lines),
  ``301.27亿`` and ``30.1bn`` (for money lines) are accepted; anything else is an error.
* ``unit``, when present, must be the line's canonical unit (or empty).
* Text must be UTF-8 (a BOM is accepted). A file named ``.parquet`` must be Parquet.
* **Checked against the shipped history.** A row for a line and period the reported history
  already holds (cloud revenue and EBITA, group and Taotian revenue and EBITA) must agree with it;
  a row that differs is an error unless the optional column ``restates`` is ``true`` on that
  row, which states that the company restated the figure (the row then replaces the history).
  ``restates = true`` on a row with nothing to restate is an error too.
* **One quarter, one label.** ``FY2025Q4`` and ``CY2025Q1`` are the same quarter: giving both
  (for the same line) is a duplicate, whatever the values.

* **Bounded.** At most :data:`MAX_ACTUALS_ROWS` rows (100,000) and 64 columns, checked before the
  rows are read (for Parquet, from the file's footer, before anything is decompressed).

Every problem is reported with the file, row, column, value and rule, all at once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudmodel.errors import InputError, InputProblem, did_you_mean
from cloudmodel.inputs.history import LINE_METRICS, History
from cloudmodel.inputs.periods import Period, PeriodError
from cloudmodel.inputs.units import UnitError, parse_quantity
from cloudmodel.lines import LINES

COLUMNS = ("period", "line", "value")
OPTIONAL = ("unit", "restates", "low", "high", "source")
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0", "")
#: Largest actuals file read. A quarter adds a handful of rows; 16 MB is decades of every line.
MAX_ACTUALS_BYTES = 16 * 1024 * 1024
#: Most rows an actuals file may have. A quarter's results add a few dozen rows (every line the
#: model has, once), so a hundred years of quarters is a few thousand; 100,000 is far beyond real
#: use, while a million-row file (a data dump, a decompression bomb) is refused before its rows
#: are read, so every run costs at most seconds, whatever the file holds.
MAX_ACTUALS_ROWS = 100_000
#: Most columns: the format has eight (period, line, value and the optional ones).
MAX_ACTUALS_COLUMNS = 64
#: Most bytes a Parquet file's rows may take once decompressed (its row groups' own count, read
#: from the footer before anything is decompressed): a real file of 100,000 rows is a few MB.
MAX_PARQUET_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
#: The largest size a reported figure can plausibly have, by unit. Money: RMB 10 trillion (1e7
#: RMB mn) is ten times Alibaba's group revenue; counts: ten billion is more than every person
#: and device; ratios: 100 is a growth of 10,000%. Beyond these a figure is a typo or an attack,
#: and an update weighing draws against it would only overflow.
#: Tokens: 1e18 a quarter is over two thousand times the model's FY2028 quarter (4e14).
PLAUSIBLE = {"RMB_mn": 1e7, "count": 1e10, "ratio": 100.0, "tokens": 1e18}
PLAUSIBLE_OTHER = 1e6  # per-share values and token prices: the model's are in the hundreds at most
#: The history is in whole RMB millions: a value within half a million of it is the same figure
#: (rounded), anything further apart contradicts it.
HISTORY_TOLERANCE = 0.5
PARQUET_MAGIC = b"PAR1"
_AMBIGUOUS = ("Q1", "Q2", "Q3", "Q4")


@dataclass(frozen=True)
class Actual:
    line: str
    period: str
    value: float | None  # None for a row that gives only bounds
    row: int
    restates: bool = False
    low: float | None = None  # a disclosure as a bound ("grew triple digits" → low 1.0)
    high: float | None = None


@dataclass
class Actuals:
    """Validated actual figures by (line, period)."""

    file: str
    rows: list[Actual]

    def value(self, line: str, period: str) -> float | None:
        for row in self.rows:
            if row.line == line and row.period == period:
                return row.value
        return None

    def quarterly(self, line: str, up_to: int | None = None) -> dict[int, float]:
        """Fiscal-quarter values of a line (calendar quarters converted), optionally up to a quarter."""
        out = {}
        for row in self.rows:
            period = Period.parse(row.period)
            if row.line == line and period.is_quarter and row.value is not None:
                q = period.fiscal_quarters()[0]
                if up_to is None or q <= up_to:
                    out[q] = row.value
        return out

    def before(self, origin: int) -> Actuals:
        """Only the rows whose period ends at or before quarter ``origin`` (no look-ahead)."""
        return Actuals(self.file, [r for r in self.rows if Period.parse(r.period).fiscal_quarters()[-1] <= origin])


def _period(text: str) -> str:
    text = text.strip()
    if len(text) == 6 and text[:4].isdigit() and text[4:] in _AMBIGUOUS:
        raise PeriodError(f"{text!r} is ambiguous (fiscal or calendar?): write FY{text} or CY{text}")
    Period.parse(text)
    return text


def _table_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV or Parquet file, as strings."""
    from cloudmodel.inputs.drivers import decode_text, read_input_file

    data = read_input_file(path, None, MAX_ACTUALS_BYTES, "actuals file")
    if not data.strip():
        raise InputError.one(str(path), "", None, "is empty", "expected a header period,line,value and rows")
    is_parquet = data[:4] == PARQUET_MAGIC
    if path.suffix.lower() == ".parquet" or is_parquet:
        if not is_parquet:
            raise InputError.one(str(path), "", None, "is named .parquet but is not a Parquet file (it looks like text)",
                                 "rename it .csv, or write real Parquet")
        if data[-4:] != PARQUET_MAGIC:
            raise InputError.one(str(path), "", None, "is a truncated or corrupt Parquet file (no footer)")
        _check_parquet_size(path, data)
        import polars as pl

        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except Exception as exc:  # polars raises several types for corrupt files
            raise InputError.one(str(path), "", None, f"cannot be read as Parquet: {str(exc).splitlines()[0]}") from None
        header = frame.columns
        rows = [{k: "" if v is None else str(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]
        return header, rows
    text = decode_text(data, str(path))
    reader = csv.reader(io.StringIO(text))
    table = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                table.append(row)
                if len(table) > MAX_ACTUALS_ROWS + 1:  # the header and one row too many: stop reading
                    _too_many_rows(path, f"more than {MAX_ACTUALS_ROWS:,}")
    except csv.Error as exc:
        raise InputError.one(str(path), "", None, f"is not valid CSV: {exc}") from None
    if not table:
        raise InputError.one(str(path), "", None, "is empty", "expected a header period,line,value and rows")
    _check_columns(path, len(table[0]))
    header = [h.strip() for h in table[0]]
    rows = []
    for cells in table[1:]:
        rows.append({h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
                    | ({"__extra__": ",".join(cells[len(header):])} if len(cells) > len(header) else {}))
    return header, rows


def _too_many_rows(path: Path, count: str) -> None:
    raise InputError.one(str(path), "", None, f"has {count} rows; an actuals file has at most {MAX_ACTUALS_ROWS:,}",
                         "a quarter adds a few dozen rows: is this the right file?")


def _check_columns(path: Path, count: int) -> None:
    if count > MAX_ACTUALS_COLUMNS:
        raise InputError.one(str(path), "header", None, f"has {count:,} columns; an actuals file has at most "
                             f"{MAX_ACTUALS_COLUMNS}", "the header is period,line,value[,unit,restates,low,high,source]")


def _check_parquet_size(path: Path, data: bytes) -> None:
    """Refuse a Parquet file whose footer says it holds too many rows, columns or decompressed
    bytes, before a row is decompressed (a small file can expand to gigabytes)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
        rows, columns = meta.num_rows, meta.num_columns
        expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception as exc:  # pyarrow raises several types for a corrupt footer
        raise InputError.one(str(path), "", None, f"cannot be read as Parquet: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    if rows > MAX_ACTUALS_ROWS:
        _too_many_rows(path, f"{rows:,}")
    _check_columns(path, columns)
    if expanded > MAX_PARQUET_UNCOMPRESSED_BYTES:
        raise InputError.one(str(path), "", None, f"expands to {expanded:,} bytes once decompressed; an actuals file may "
                             f"take at most {MAX_PARQUET_UNCOMPRESSED_BYTES:,}", "is this the right file?")


def load_actuals(path: str | Path, history: History | None = None) -> Actuals:
    """Read and validate an actuals file against the reported history (default: the shipped
    one); raise :class:`InputError` listing every problem."""
    from cloudmodel.inputs.files import register_input

    file = Path(path)
    register_input(file)
    header, rows = _table_rows(file)
    _check_header(str(file), header)
    if not rows:
        raise InputError.one(str(file), "", None, "has a header but no rows")
    if history is None:
        from cloudmodel.inputs.history import load_history

        history = load_history()
    problems: list[InputProblem] = []
    actuals: list[Actual] = []
    seen: dict[tuple[str, tuple[int, ...]], tuple[int, str]] = {}
    for index, row in enumerate(rows, start=2):
        try:
            actual = _row(str(file), index, row)
            key = (actual.line, tuple(Period.parse(actual.period).fiscal_quarters()))
            if key in seen:
                first_row, first_label = seen[key]
                same = "the same period" if first_label == actual.period else f"the same quarters as {first_label}"
                raise _Bad(InputProblem(str(file), f"row {index}", f"{actual.period} {actual.line}",
                                        f"duplicate: row {first_row} gives {same} for this line",
                                        "give each period once, as FY… or as CY…"))
            seen[key] = (index, actual.period)
            _check_history(str(file), index, row, actual, history)
        except _Bad as bad:
            problems.append(bad.problem)
            continue
        actuals.append(actual)
    if problems:
        raise InputError(problems)
    return Actuals(str(file), actuals)


class _Bad(Exception):
    """One row's problem, raised by the steps that read it."""

    def __init__(self, problem: InputProblem):
        super().__init__(str(problem))
        self.problem = problem


def _check_header(file: str, header: list[str]) -> None:
    problems = [InputProblem(file, f"column {column!r}", None, "unknown column",
                             did_you_mean(column, COLUMNS + OPTIONAL) or f"columns are {', '.join(COLUMNS)}[, unit]")
                for column in header if column not in COLUMNS + OPTIONAL]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        problems.append(InputProblem(file, "header", ",".join(header), f"missing column(s) {', '.join(missing)}",
                                     "the header is period,line,value[,unit]"))
    if problems:
        raise InputError(problems)


def _row(file: str, index: int, row: dict[str, Any]) -> Actual:
    """One row read and checked on its own (line, period, unit, bounds, value, plausibility)."""
    where = f"row {index}"
    if "__extra__" in row:
        raise _Bad(InputProblem(file, where, row["__extra__"], "has more cells than the header",
                                'quote values with commas: "30,127"'))
    line = row["line"]
    if line not in LINES:
        raise _Bad(InputProblem(file, f"{where}, column line", line, "unknown line", did_you_mean(line, LINES)))
    try:
        period = _period(row["period"])
    except PeriodError as exc:
        raise _Bad(InputProblem(file, f"{where}, column period", row["period"], str(exc))) from None
    unit = LINES[line].unit
    given_unit = row.get("unit", "")
    if given_unit and given_unit != unit:
        raise _Bad(InputProblem(file, f"{where}, column unit", given_unit, f"{line} is in {unit}"))
    low, high = (_quantity(file, where, row, column, line, unit, optional=True) for column in ("low", "high"))
    if low is not None and high is not None and low > high:
        raise _Bad(InputProblem(file, f"{where}, columns low and high", f"{low:g} > {high:g}", "low is above high"))
    bound_only = not str(row["value"]).strip() and (low is not None or high is not None)
    value = None if bound_only else _quantity(file, where, row, "value", line, unit)  # a bound only: low 1.0 = "triple digits"
    for column, x in (("value", value), ("low", low), ("high", high)):
        if x is not None and abs(x) > PLAUSIBLE.get(unit, PLAUSIBLE_OTHER):
            raise _Bad(InputProblem(file, f"{where}, column {column}", row.get(column), f"{x:g} is not a plausible "
                                    f"{line} (at most {PLAUSIBLE.get(unit, PLAUSIBLE_OTHER):g} {unit} in size)",
                                    "check the unit: money is in RMB millions, ratios are decimals"))
    money = line.startswith(("cloud.revenue", "group.revenue")) and unit == "RMB_mn"
    if value is not None and ((unit == "count" and value < 0) or (money and not value > 0)):
        raise _Bad(InputProblem(file, f"{where}, column value", row["value"], "a revenue is positive and a count is not negative"))
    flag = str(row.get("restates", "")).strip().lower()
    if flag not in TRUE + FALSE:
        raise _Bad(InputProblem(file, f"{where}, column restates", row.get("restates"), "expected true or false"))
    return Actual(line, period, value, index, flag in TRUE, low, high)


def _quantity(file: str, where: str, row: dict[str, Any], column: str, line: str, unit: str,
              optional: bool = False) -> float | None:
    """A cell in the line's unit (None for an empty optional cell)."""
    text = str(row.get(column, "") or "").strip() if optional else row[column]
    if optional and not text:
        return None
    try:
        return parse_quantity(text, unit)
    except UnitError as exc:
        raise _Bad(InputProblem(file, f"{where}, column {column}", text, str(exc), f"{line} is in {unit}")) from None


def _check_history(file: str, index: int, row: dict[str, Any], actual: Actual, history: History) -> None:
    """A value (or bound) agrees with the shipped history, unless the row restates it."""
    where = f"row {index}"
    if actual.value is None:
        problem = _bounds_against_history(history, actual.line, actual.period, actual.low, actual.high)
        if problem:
            raise _Bad(InputProblem(file, f"{where}, columns low and high", f"{actual.low}–{actual.high}", problem,
                                    "check the period and the bound"))
        return
    found = _against_history(history, actual.line, actual.period, actual.value, actual.restates)
    if found:
        raise _Bad(InputProblem(file, f"{where}, column value", row["value"], found[0], found[1]))


def reported(history: History, line: str, period: str) -> float | None:
    """The shipped history's figure for a line and period (None when it has none, or only a
    quarter it derived itself)."""
    metric = LINE_METRICS.get(line)
    if metric is None:
        return None
    p = Period.parse(period)
    quarters = p.fiscal_quarters()
    if p.is_quarter:
        q = quarters[0]
        if (metric, q) in history.derived:
            return None
        return history.quarterly.get(metric, {}).get(q)
    if p.kind == "FY":
        return history.fiscal_year_total(metric, p.year)
    series = history.quarterly.get(metric, {})
    if all(q in series and (metric, q) not in history.derived for q in quarters):
        return sum(series[q] for q in quarters)
    return None


def _bounds_against_history(history: History, line: str, period: str, low: float | None, high: float | None) -> str | None:
    """Why a bound contradicts the shipped history (its figure lies outside it), or None."""
    known = reported(history, line, period)
    if known is None or ((low is None or known >= low - HISTORY_TOLERANCE) and (high is None or known <= high + HISTORY_TOLERANCE)):
        return None
    return f"contradicts the reported history ({known:,.10g} {LINES[line].unit} lies outside the bounds)"


def _against_history(history: History, line: str, period: str, value: float, restates: bool) -> tuple[str, str] | None:
    """Why a row contradicts the shipped history (rule, hint), or None."""
    known = reported(history, line, period)
    if known is None:
        if restates:
            return ("restates = true, but the history holds no figure for this line and period to restate",
                    "remove the flag, or check the period")
        return None
    if restates or abs(value - known) <= HISTORY_TOLERANCE:
        return None
    return (f"contradicts the reported history ({known:,.10g} {LINES[line].unit})",
            "if the company restated it, add a column restates with true on this row")


def as_known(history: History, actuals: Actuals | None = None, origin: int | None = None) -> History:
    """What a forecast made at ``origin`` stands on: the shipped history cut at the origin (no row of a
    later period, or first stated later), then every row of an actuals file (for quarters after the
    origin they stand in for what was reported). Rows of lines the history carries become figures
    (quarters and fiscal years); the rest (other lines, bounds) become observations. A gap in the
    reported cloud revenue after the history is an error."""
    from cloudmodel.inputs.history import LINE_METRICS, Observation

    known = history.up_to(origin) if origin is not None else history
    if actuals is None:
        return known
    figures, observations = [], []
    for row in actuals.rows:
        where = f"{actuals.file} row {row.row}"
        period = Period.parse(row.period)
        metric = LINE_METRICS.get(row.line)
        if metric is not None and row.value is not None and period.kind == "FY":
            key: int | str = period.fiscal_quarters()[0] if period.is_quarter else row.period
            figures.append((metric, key, row.value, where))
        elif metric is not None and row.value is not None and period.is_quarter:  # CY2025Q1 = FY2025Q4
            figures.append((metric, period.fiscal_quarters()[0], row.value, where))
        else:
            observations.append(Observation(row.line, row.period, row.value, row.low, row.high, where))
    known = known.with_figures(figures, observations)
    _refuse_gap(known, actuals)
    return known


def _refuse_gap(known: History, actuals: Actuals) -> None:
    """Reported cloud revenue must be contiguous: a quarter after a missing one cannot be placed."""
    from cloudmodel.inputs.history import LINE_METRICS
    from cloudmodel.inputs.periods import quarter_label

    last = known.last_quarter
    later = sorted(q for q in known.quarterly[LINE_METRICS["cloud.revenue"]] if q > last + 1)
    if later:
        row = next((r for r in actuals.rows if r.line == "cloud.revenue" and Period.parse(r.period).is_quarter
                    and Period.parse(r.period).fiscal_quarters()[0] == later[0]), None)
        raise InputError.one(actuals.file, f"row {row.row}" if row else "cloud.revenue", quarter_label(later[0]),
                             f"cloud revenue of {quarter_label(last + 1)} is missing: the reported quarters must follow "
                             f"one another from the history's last, {quarter_label(last)}",
                             f"add {quarter_label(last + 1)} to the actuals file")
