"""Actuals files: reported figures that arrive after the report, for roll-forward and backtests.

A CSV or Parquet file with columns ``period, line, value`` and optionally ``unit, restates, low,
high, source``:

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
* ``unit``, when present, must be the line's canonical unit (or empty). Each column once: a header
  that names a column twice (two ``value`` columns) is an error, in CSV and in Parquet.
* Text must be UTF-8 (a BOM is accepted). A file named ``.parquet`` must be Parquet.
* **Checked against the shipped history.** A row for a line and period the reported history
  already holds (cloud revenue and EBITA, group and Taotian revenue and EBITA) must agree with it;
  a row that differs is an error unless the optional column ``restates`` is ``true`` on that
  row, which states that the company restated the figure (the row then replaces the history).
  ``restates = true`` on a row with nothing to restate is an error too.
* **One quarter, one label.** ``FY2025Q4`` and ``CY2025Q1`` are the same quarter: giving both
  (for the same line) is a duplicate, whatever the values.
* **Possible** (each row on its own): a ratio line's value, ``low`` and ``high`` lie in the line's
  domain (``Line.domain``: a margin within ±100%, a share or penetration within 0–100%, a growth
  above −100%); a number that looks like a percent typed without its sign (``8`` for a margin) is
  named as such ("write 8% or 0.08"). A value lies inside its own row's ``low``/``high``.
* **Of a plausible scale.** A money or count figure of a line the history carries is compared with
  the nearest reported figure of the same line and the same kind of period (quarters with quarters,
  years with years): :data:`UNIT_SLIP` times larger or smaller is a unit slip, named with the likely
  unit (RMB bn, 亿, RMB thousand, yuan; 万 for counts) and how to write the figure. A growth typed
  in percent points (``26`` where the history's growth is about 0.26) is named too ("write 26%").
* **Coherent** (rows with each other and with the history known at the origin): EBITA is not above
  the revenue of the same segment and period; a margin or share row agrees with its parts when both
  are known (within :data:`RATIO_TOLERANCE`); a growth row agrees with the level of its period and
  the level a year earlier (within :data:`GROWTH_TOLERANCE`); a fiscal year given with its four
  quarters agrees with their sum. Each level is the file's row, else the shipped history's figure.
* **A restated year** (``FY2025,cloud.revenue,X,restates=true``) replaces the year; its quarters
  that the file does not restate are **scaled pro rata** so that the four quarters sum to the
  restated year (their source then says "scaled pro rata to the restated FY2025"). A quarter the
  history itself derived from the year (cloud EBITA FY2024Q1) takes the restatement up instead,
  and stays derived. A restated year whose quarters cannot be scaled (the file's own quarters
  already exceed it, or the rest is of the other sign) is an error; so is a restated quarter of a
  year the history reports, unless the file restates that year too (the year would no longer be
  the sum of its quarters), and a restated calendar year (restate its fiscal quarters instead).

* **Bounded.** At most :data:`MAX_ACTUALS_ROWS` rows (100,000) and 64 columns, checked before the
  rows are read (for Parquet, from the file's footer, before anything is decompressed).

Every problem is reported with the file, row, column, value, rule and a hint, all at once.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudmodel.errors import InputError, InputProblem, did_you_mean
from cloudmodel.inputs.history import LINE_METRICS, History
from cloudmodel.lines import GROWTH, MARGIN, PART
from cloudmodel.periods import QUARTERS_PER_YEAR, Period, PeriodError, Rollup, quarter_label
from cloudmodel.quantities import LINES
from cloudmodel.quantities.ebita import CLOUD_EBITA, GROSS_PROFIT
from cloudmodel.quantities.group import (
    CEG_ADJ_EBITA,
    CEG_REVENUE,
    GROUP_ADJ_EBITA,
    GROUP_REVENUE,
    TAOTIAN_ADJ_EBITA,
    TAOTIAN_REVENUE,
)
from cloudmodel.quantities.revenue import CLOUD_REVENUE
from cloudmodel.units import UnitError, parse_quantity

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
#: A fiscal year given with its four quarters agrees with their sum to within the rounding of the
#: four (each is in whole RMB millions, so each may be half a million off).
QUARTER_SUM_TOLERANCE = QUARTERS_PER_YEAR * HISTORY_TOLERANCE
#: A margin or share row agrees with its parts (EBITA ÷ revenue) to within half a point of margin,
#: our choice: press figures state margins rounded to a whole or half percent ("9%", "9.5%"), and
#: the parts are themselves rounded, so an exact quotient differs from the stated margin by up to
#: half a point; more than that is another figure.
RATIO_TOLERANCE = 0.005
#: A growth row agrees with the levels of its period and of a year earlier to within one percentage
#: point, our choice: growth is reported rounded to whole percent ("up 26%", ±0.5 point), and the
#: comparative level a release uses is sometimes restated by a fraction of a point since (the
#: shipped history's own growth rows are stated against first-reported comparatives).
GROWTH_TOLERANCE = 0.01
#: A figure this many times larger or smaller than the nearest reported figure of its line is a unit
#: slip, our choice: no line of this business has moved 30× from one period to the next (cloud
#: revenue moved at most a few tens of percent), while the smallest common slip, 亿 for RMB
#: millions, is 100× (and RMB bn for RMB millions 1,000×).
UNIT_SLIP = 30.0
#: A slip is named with a unit when the scale is within this factor of that unit's (a figure that
#: is 1/800 of its reference is RMB bn that grew since; 1/200 is no unit's slip, only "check the unit").
SLIP_MATCH = 3.0
#: Percent points: a ratio typed as ``8`` for 8%.
PERCENT = 100.0
#: The most a percent typed without its sign can be (a ratio of 100 = 10,000% is beyond any line).
PERCENT_MAX = 100.0
#: EBITA (or gross profit) line -> the revenue of the same segment, which it cannot exceed.
EBITA_OF = {CLOUD_EBITA: CLOUD_REVENUE, GROUP_ADJ_EBITA: GROUP_REVENUE,
            TAOTIAN_ADJ_EBITA: TAOTIAN_REVENUE,
            CEG_ADJ_EBITA: CEG_REVENUE,
            GROSS_PROFIT: CLOUD_REVENUE,
            **{f"cloud.ebita.{n}": f"cloud.revenue.{n}" for n in ("iaas", "paas", "saas", "maas", "solutions")},
            **{f"cloud.gross_profit.{n}": f"cloud.revenue.{n}" for n in ("iaas", "paas", "saas", "maas", "solutions")}}
#: The slips a figure's scale is matched with, by unit: (typed value ÷ true value, the unit it looks
#: like). Money is in RMB millions; counts are plain numbers.
SLIPS = {
    "RMB_mn": ((1e-3, "RMB bn"), (1e-2, "RMB 亿 (hundred million)"), (1e3, "RMB thousand"), (1e6, "yuan")),
    "count": ((1e-4, "万 (ten thousand)"), (1e-8, "亿 (hundred million)"), (1e-6, "millions"), (1e-3, "thousands")),
}
#: Why each kind of ratio has its domain (lines.py states the choice).
DOMAIN_WHY = {MARGIN: "a margin above 100% needs negative costs, one below −100% costs of more than twice the revenue",
              PART: "a share or a penetration is a part of a whole",
              GROWTH: "a growth below −100% is a negative revenue"}
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
        _check_header(str(path), _check_parquet_size(path, data))  # a duplicate column, before polars refuses it
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


def _check_parquet_size(path: Path, data: bytes) -> list[str]:
    """Refuse a Parquet file whose footer says it holds too many rows, columns or decompressed
    bytes, before a row is decompressed (a small file can expand to gigabytes); return its column
    names, as the footer gives them."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        meta = parquet.metadata
        rows, columns = meta.num_rows, meta.num_columns
        names = [str(name).strip() for name in parquet.schema_arrow.names]
        expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception as exc:  # pyarrow raises several types for a corrupt footer
        raise InputError.one(str(path), "", None, f"cannot be read as Parquet: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    if rows > MAX_ACTUALS_ROWS:
        _too_many_rows(path, f"{rows:,}")
    _check_columns(path, columns)
    if expanded > MAX_PARQUET_UNCOMPRESSED_BYTES:
        raise InputError.one(str(path), "", None, f"expands to {expanded:,} bytes once decompressed; an actuals file may "
                             f"take at most {MAX_PARQUET_UNCOMPRESSED_BYTES:,}", "is this the right file?")
    return names


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
    problems: list[tuple[int, InputProblem]] = []
    actuals: list[Actual] = []
    cells: dict[int, dict[str, Any]] = {}
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
            _check_scale(str(file), index, row, actual, history)
            _check_history(str(file), index, row, actual, history)
        except _Bad as bad:
            problems.append((index, bad.problem))
            continue
        actuals.append(actual)
        cells[index] = row
    problems += _coherence(str(file), actuals, cells, history)
    if problems:
        raise InputError([problem for _, problem in sorted(problems, key=lambda item: item[0])])
    return Actuals(str(file), actuals)


class _Bad(Exception):
    """One row's problem, raised by the steps that read it."""

    def __init__(self, problem: InputProblem):
        super().__init__(str(problem))
        self.problem = problem


def _check_header(file: str, header: list[str]) -> None:
    problems = [InputProblem(file, f"column {column!r}", None, "unknown column",
                             did_you_mean(column, COLUMNS + OPTIONAL) or f"columns are {', '.join(COLUMNS)}[, unit]")
                for column in dict.fromkeys(header) if column not in COLUMNS + OPTIONAL]
    counts: dict[str, list[int]] = {}
    for position, column in enumerate(header, start=1):
        counts.setdefault(column, []).append(position)
    problems += [InputProblem(file, "header", column, f"the column {column!r} appears {len(at)} times (columns "
                              f"{', '.join(map(str, at))}): which one holds the figures is not clear",
                              "give each column once")
                 for column, at in counts.items() if len(at) > 1]
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
    bound_only = not str(row["value"]).strip() and (low is not None or high is not None)
    value = None if bound_only else _quantity(file, where, row, "value", line, unit)  # a bound only: low 1.0 = "triple digits"
    for column, x in (("value", value), ("low", low), ("high", high)):
        if x is not None:
            _check_domain(file, where, row, column, line, x)
    if low is not None and high is not None and low > high:
        raise _Bad(InputProblem(file, f"{where}, columns low and high", f"{low:g} > {high:g}", "low is above high"))
    if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
        raise _Bad(InputProblem(file, f"{where}, column value", row["value"], f"{value:,.10g} lies outside this row's own "
                                f"bounds ({_bounds_text(low, high, unit)})", "a value is inside its low and high: check the "
                                "three cells (and their units)"))
    money = line.startswith((CLOUD_REVENUE, GROUP_REVENUE)) and unit == "RMB_mn"
    if value is not None and ((unit == "count" and value < 0) or (money and not value > 0)):
        raise _Bad(InputProblem(file, f"{where}, column value", row["value"], "a revenue is positive and a count is not negative"))
    flag = str(row.get("restates", "")).strip().lower()
    if flag not in TRUE + FALSE:
        raise _Bad(InputProblem(file, f"{where}, column restates", row.get("restates"), "expected true or false"))
    return Actual(line, period, value, index, flag in TRUE, low, high)


def _bounds_text(low: float | None, high: float | None, unit: str) -> str:
    return " – ".join(part for part in (f"low {low:,.10g}" if low is not None else "",
                                        f"high {high:,.10g}" if high is not None else "") if part) + f" {unit}"


def _percent(x: float) -> str:
    """``0.0803`` -> ``8.03%``; ``8`` -> ``800%``."""
    return f"{x * PERCENT:,.2f}".rstrip("0").rstrip(".") + "%"


def _number(x: float) -> str:
    """A figure as people read it: ``45,000,000,000``, ``30.127``."""
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e18 else f"{x:,.10g}"


def _times(scale: float) -> str:
    return f"{scale:,.0f}" if scale >= 100 else f"{scale:.3g}"


def _check_domain(file: str, where: str, row: dict[str, Any], column: str, line: str, x: float) -> None:
    """A ratio line's cell lies in the line's domain (a margin within ±100%, a share within 0–100%…)."""
    domain = LINES[line].domain
    if domain is None or domain[0] <= x <= domain[1]:
        return
    low, high = domain
    span = f"{_percent(low)} to {_percent(high)}" if math.isfinite(high) else f"at least {_percent(low)}"
    why = DOMAIN_WHY.get(domain, "")
    if 1 < abs(x) <= PERCENT_MAX and low <= x / PERCENT <= high:
        hint = f"looks like a percent typed as a number: write {x:g}% or {x / PERCENT:g}"
    else:
        hint = "ratios are decimals: 0.15 means 15%"
    shown_x = _percent(x) if abs(x) < 1e6 else f"{x:g}"
    raise _Bad(InputProblem(file, f"{where}, column {column}", row.get(column), f"{line} = {shown_x} lies outside its "
                            f"domain, {span}" + (f" ({why})" if why else ""), hint))


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


def _check_scale(file: str, index: int, row: dict[str, Any], actual: Actual, history: History) -> None:
    """A cell's size is plausible: not a unit slip against the line's reported history, and within
    the plausible size of its unit (:data:`PLAUSIBLE`)."""
    unit = LINES[actual.line].unit
    limit = PLAUSIBLE.get(unit, PLAUSIBLE_OTHER)
    for column, x in (("value", actual.value), ("low", actual.low), ("high", actual.high)):
        if x is None:
            continue
        pinned = column == "value" and not actual.restates and reported(history, actual.line, actual.period) is not None
        slip = None if pinned else _slip(history, actual.line, Period.parse(actual.period), x)  # pinned: the history check says it
        if slip:
            raise _Bad(InputProblem(file, f"row {index}, column {column}", row.get(column), *slip))
        if abs(x) > limit:
            raise _Bad(InputProblem(file, f"row {index}, column {column}", row.get(column), f"{x:g} is not a plausible "
                                    f"{actual.line} (at most {limit:g} {unit} in size)",
                                    "check the unit: money is in RMB millions, ratios are decimals"))


def _slip(history: History, line: str, period: Period, x: float) -> tuple[str, str] | None:
    """(rule, hint) when ``x`` is :data:`UNIT_SLIP` times off the nearest reported figure of its line
    (money and counts), or a growth typed in percent points; else None."""
    unit = LINES[line].unit
    if unit in SLIPS and line in LINE_METRICS and x != 0:
        reference = _reference(history, line, period, largest=line in EBITA_OF)
        if reference is None:
            return None
        known, label = reference
        scale = abs(x / known)
        # EBITA and gross profit may lie near zero (their reference is the largest reported, not the
        # nearest): a small one is a slip only when it is not a whole number of millions (the history
        # and every release state whole RMB millions)
        small = scale <= 1 / UNIT_SLIP and not (line in EBITA_OF and float(x).is_integer())
        if not (scale >= UNIT_SLIP or small):
            return None
        times = f"{_times(scale)}× larger" if scale > 1 else f"{_times(abs(known / x))}× smaller"
        which = "largest" if line in EBITA_OF else "nearest"
        return (f"{_number(x)} {unit} is {times} than the {which} reported {line} ({_number(known)} {unit}, {label}): check "
                f"the unit (no line of this business moves {UNIT_SLIP:g}× from one period to the next)",
                _slip_hint(x, scale, unit))
    growth_of = LINES[line].growth_of
    if growth_of in LINE_METRICS and 1 < abs(x) <= PERCENT_MAX:
        reference = _growth_reference(history, growth_of, period)
        if reference is None or reference[0] == 0 or abs(x / reference[0]) < UNIT_SLIP:
            return None
        known, label = reference
        return (f"{line} = {x:g} is a growth of {_percent(x)}, {_times(abs(x / known))}× the nearest reported growth "
                f"({_percent(known)}, {label}): looks like percent points typed as a ratio",
                f"write {x:g}% or {x / PERCENT:g}")
    return None


def _slip_hint(x: float, scale: float, unit: str) -> str:
    """The likely unit of a slipped figure and how to write it, or a plain "check the unit"."""
    def distance(factor: float) -> float:  # in orders of magnitude, a scale that underflowed to 0 being infinitely far
        return abs(math.log(scale / factor)) if 0 < scale < math.inf else math.inf

    factor, name = min(SLIPS[unit], key=lambda slip: distance(slip[0]))
    if distance(factor) > math.log(SLIP_MATCH):
        return "money is in RMB millions (30127, 30.127bn and 301.27亿 are the same figure)" if unit == "RMB_mn" else \
            "counts are plain numbers (420000 or 42万)"
    true = x / factor
    word, suffix = {"RMB bn": (" bn", "bn"), "RMB 亿 (hundred million)": ("亿", "亿"), "RMB thousand": (" thousand", None),
                    "yuan": (" yuan", None), "万 (ten thousand)": ("万", "万"), "亿 (hundred million)": ("亿", "亿"),
                    "millions": (" million", "M"), "thousands": (" thousand", "k")}[name]
    typed = f"{x:.10g}" if abs(x) < 1e4 else _number(x)
    mn = " RMB mn" if unit == "RMB_mn" else ""
    return f"looks like {name}: {typed}{word} is {_number(float(f'{true:.10g}'))}{mn} — write {true:.10g}" + \
        (f" or {x:.10g}{suffix}" if suffix else "")


def _reference(history: History, line: str, period: Period, largest: bool = False) -> tuple[float, str] | None:
    """The reported figure of ``line`` nearest ``period`` of the same kind (quarter or year), or the
    largest in size (``largest``: for a line that can lie near zero, EBITA), not one the history
    derived itself, and not zero: (value, its period)."""
    metric = LINE_METRICS[line]
    if period.is_quarter:
        target = period.fiscal_quarters()[0]
        figures = {q: v for q, v in history.quarterly.get(metric, {}).items() if v and (metric, q) not in history.derived}
        label = quarter_label
    else:
        target = period.fiscal_quarters()[-1] // QUARTERS_PER_YEAR
        figures = _years(history, metric)

        def label(y: int) -> str:
            return f"FY{y}"
    if not figures:
        return None
    key = max(figures, key=lambda k: abs(figures[k])) if largest else min(figures, key=lambda k: (abs(k - target), -k))
    return figures[key], label(key)


def _years(history: History, metric: str) -> dict[int, float]:
    """The history's fiscal-year totals of a metric (reported or four reported quarters), non-zero."""
    candidates = {int(label[2:]) for label in history.annual.get(metric, {})} | \
        {q // QUARTERS_PER_YEAR for q in history.quarterly.get(metric, {})}
    out = {}
    for year in candidates:
        total = history.fiscal_year_total(metric, year)
        if total and (metric, f"FY{year}") not in history.derived:
            out[year] = total
    return out


def _growth_reference(history: History, line: str, period: Period) -> tuple[float, str] | None:
    """The reported y/y growth of ``line`` nearest ``period`` of the same kind: (growth, its period)."""
    metric = LINE_METRICS[line]
    if period.is_quarter:
        series = {q: v for q, v in history.quarterly.get(metric, {}).items() if (metric, q) not in history.derived}
        growth = {q: series[q] / series[q - QUARTERS_PER_YEAR] - 1 for q in series
                  if series.get(q - QUARTERS_PER_YEAR, 0) > 0}
        label = quarter_label
        target = period.fiscal_quarters()[0]
    else:
        years = _years(history, metric)
        growth = {y: years[y] / years[y - 1] - 1 for y in years if years.get(y - 1, 0) > 0}
        target = period.fiscal_quarters()[-1] // QUARTERS_PER_YEAR

        def label(y: int) -> str:
            return f"FY{y}"
    if not growth:
        return None
    key = min(growth, key=lambda k: (abs(k - target), -k))
    return growth[key], label(key)


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
        slip = _slip(history, actual.line, Period.parse(actual.period), actual.value)
        hint = f"{slip[1]}; {found[1]}" if slip and slip[1].startswith("looks like") else found[1]
        raise _Bad(InputProblem(file, f"{where}, column value", row["value"], found[0], hint))


def reported(history: History, line: str, period: str | Period) -> float | None:
    """The shipped history's figure for a line and period (None when it has none, or only a
    quarter it derived itself)."""
    metric = LINE_METRICS.get(line)
    if metric is None:
        return None
    p = period if isinstance(period, Period) else Period.parse(period)
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


@dataclass(frozen=True)
class Restated:
    """A quarter a restated fiscal year changes: scaled pro rata, or re-derived (the history's own
    derived quarter), to ``value``."""

    line: str
    quarter: int
    value: float
    how: str  # "scaled" | "derived"
    row: Actual


def restatements(rows: list[Actual], history: History) -> tuple[list[Restated], list[tuple[Actual, str, str, str]]]:
    """What each restated fiscal year does to its quarters that the file does not give (see the
    module docstring), and the restatements that cannot stand: (row, column, rule, hint)."""
    given: dict[tuple[str, int], Actual] = {}
    years: set[tuple[str, tuple[int, ...]]] = set()
    for r in rows:
        period = Period.parse(r.period)
        if r.value is not None and period.is_quarter:
            given[(r.line, period.fiscal_quarters()[0])] = r
        elif r.value is not None:
            years.add((r.line, tuple(period.fiscal_quarters())))
    out: list[Restated] = []
    problems: list[tuple[Actual, str, str, str]] = []
    for r in rows:
        if r.value is None or not r.restates or r.line not in LINE_METRICS:
            continue
        period, metric = Period.parse(r.period), LINE_METRICS[r.line]
        series = history.quarterly.get(metric, {})
        if period.is_quarter:
            q = period.fiscal_quarters()[0]
            year = Period("FY", q // QUARTERS_PER_YEAR)
            others = [k for k in year.fiscal_quarters() if k != q]
            if str(year) in history.annual.get(metric, {}) and (r.line, tuple(year.fiscal_quarters())) not in years \
                    and not any((metric, k) in history.derived for k in others):
                problems.append((r, "restates", f"restates {r.period} but not {year}, which the history reports "
                                 f"({history.annual[metric][str(year)]:,.10g} {LINES[r.line].unit}): the year would no "
                                 "longer be the sum of its quarters",
                                 f"add a row {year},{r.line},…,restates=true (its other quarters are then scaled pro "
                                 "rata), or give all four quarters"))
            continue
        if period.kind == "CY":
            problems.append((r, "restates", "restates a calendar year: the model keeps fiscal quarters and years",
                             "restate its fiscal quarters (or the fiscal year) instead"))
            continue
        quarters = period.fiscal_quarters()
        theirs = [q for q in quarters if (r.line, q) not in given]
        if not theirs or any(q not in series for q in theirs):
            continue  # the file gives every quarter (checked against the year), or the history has no full year to scale
        rest = r.value - sum(given[(r.line, q)].value for q in quarters if (r.line, q) in given)
        derived = [q for q in theirs if (metric, q) in history.derived]
        if derived:  # the quarter the history derived from the year takes the restatement up
            out.append(Restated(r.line, derived[0], rest - sum(series[q] for q in theirs if q != derived[0]), "derived", r))
            continue
        base = sum(series[q] for q in theirs)
        if base == 0 or rest == 0 or (rest > 0) != (base > 0):
            mine = [quarter_label(q) for q in quarters if (r.line, q) in given]
            problems.append((r, "value", f"restates {r.period} as {r.value:,.10g}, but its quarters "
                             f"{', '.join(quarter_label(q) for q in theirs)} ({base:,.10g} in the history) cannot be scaled "
                             f"pro rata to the {rest:,.10g} left" + (f" after the file's {', '.join(mine)}" if mine else ""),
                             "restate those quarters too, or check the year's value"))
            continue
        out.extend(Restated(r.line, q, series[q] * rest / base, "scaled", r) for q in theirs)
    return out, problems


class _Levels:
    """Levels of lines by period as the file and the history known at the origin give them: the
    file's row first, then a quarter a restated year changes, then the shipped history."""

    def __init__(self, rows: list[Actual], history: History, restated: list[Restated]):
        self.history = history
        self.rows = {(a.line, tuple(Period.parse(a.period).fiscal_quarters())): a for a in rows if a.value is not None}
        self.restated = {(r.line, r.quarter): r for r in restated}

    def get(self, line: str, period: Period) -> tuple[float, str] | None:
        """(value, where it comes from), or None when neither the file nor the history knows it."""
        quarters = tuple(period.fiscal_quarters())
        row = self.rows.get((line, quarters))
        if row is not None:
            return row.value, f"row {row.row}"
        if len(quarters) == 1 and (line, quarters[0]) in self.restated:
            item = self.restated[(line, quarters[0])]
            return item.value, f"the history's, {item.how} with row {item.row.row}"
        if len(quarters) > 1 and any((line, (q,)) in self.rows or (line, q) in self.restated for q in quarters):
            parts = [self.get(line, _quarter(q)) for q in quarters]
            if any(part is None for part in parts):
                return None
            values = [part[0] for part in parts if part is not None]
            value = sum(values) if LINES[line].rollup is Rollup.FLOW else values[-1]
            return value, "its quarters, from the file and the history"
        known = reported(self.history, line, period)
        return (known, "the shipped history") if known is not None else None


def _quarter(q: int) -> Period:
    return Period("FY", q // QUARTERS_PER_YEAR, q % QUARTERS_PER_YEAR + 1)


def _year_before(period: Period) -> Period:
    return Period(period.kind, period.year - 1, period.quarter)


def _coherence(file: str, rows: list[Actual], cells: dict[int, dict[str, Any]], history: History) -> list[tuple[int, InputProblem]]:
    """Rows checked with each other and with the history: EBITA not above revenue, a ratio with its
    parts, a growth with its levels, a year with its quarters, and restated years (see the module
    docstring). Each problem is blamed on the row that states the derived figure."""
    restated, refused = restatements(rows, history)
    levels = _Levels(rows, history, restated)
    problems = [(r.row, InputProblem(file, f"row {r.row}, column {column}", cells[r.row].get(column), rule, hint))
                for r, column, rule, hint in refused]
    refused_rows = {r.row for r, *_ in refused}

    def add(r: Actual, column: str, rule: str, hint: str) -> None:
        problems.append((r.row, InputProblem(file, f"row {r.row}, column {column}", cells[r.row].get(column), rule, hint)))

    for r in rows:
        period, line = Period.parse(r.period), LINES[r.line]
        _ebita_against_revenue(add, r, period, levels)
        if line.unit == "ratio" and line.numerator and line.denominator and line.scale == 1.0:
            _ratio_against_parts(add, r, period, line, levels)
        if line.growth_of:
            _growth_against_levels(add, r, period, line, levels)
        if r.value is not None and not period.is_quarter and line.rollup is Rollup.FLOW and line.unit == "RMB_mn" \
                and r.row not in refused_rows:
            _year_against_quarters(add, r, period, levels)
    return problems


def _money(x: float) -> str:
    return f"{x:,.10g}"


def _ebita_against_revenue(add: Any, r: Actual, period: Period, levels: Any) -> None:
    """EBITA not above the revenue of its period, and a revenue not below its EBITA."""
    if r.line in EBITA_OF:
        revenue = levels.get(EBITA_OF[r.line], period)
        for column, x in (("value", r.value), ("low", r.low)):
            if x is not None and revenue is not None and x > revenue[0] + HISTORY_TOLERANCE:
                add(r, column, f"{r.line} {r.period} = {_money(x)} RMB_mn is above {EBITA_OF[r.line]} of that period "
                    f"({_money(revenue[0])} RMB_mn, {revenue[1]}): EBITA cannot exceed revenue",
                    "check the line, the period and the unit")
                break
    if r.value is not None and r.line in EBITA_OF.values():
        for ebita_line in (k for k, v in EBITA_OF.items() if v == r.line):
            ebita = levels.get(ebita_line, period)
            if ebita is not None and not ebita[1].startswith("row ") and ebita[0] > r.value + HISTORY_TOLERANCE:
                add(r, "value", f"{r.line} {r.period} = {_money(r.value)} RMB_mn is below {ebita_line} of that period "
                    f"({_money(ebita[0])} RMB_mn, {ebita[1]}): revenue cannot be less than EBITA",
                    "check the line, the period and the unit")


def _ratio_against_parts(add: Any, r: Actual, period: Period, line: Any, levels: Any) -> None:
    num, den = levels.get(line.numerator, period), levels.get(line.denominator, period)
    if num is not None and den is not None and den[0] > 0:
        implied = num[0] / den[0]
        why = (f"{line.numerator} ÷ {line.denominator} = {_money(num[0])} ({num[1]}) ÷ {_money(den[0])} ({den[1]}) "
               f"= {_percent(implied)}")
        hint = (f"press figures round margins and shares, so {RATIO_TOLERANCE * PERCENT:g} point is allowed; "
                "check the period and the figures")
        _against(add, r, implied, RATIO_TOLERANCE, why, hint, "its parts")


def _growth_against_levels(add: Any, r: Actual, period: Period, line: Any, levels: Any) -> None:
    now, before = levels.get(line.growth_of, period), levels.get(line.growth_of, _year_before(period))
    if now is not None and before is not None and before[0] > 0:
        implied = now[0] / before[0] - 1
        why = (f"{line.growth_of} {r.period} over {_year_before(period)} = {_money(now[0])} ({now[1]}) ÷ "
               f"{_money(before[0])} ({before[1]}) − 1 = {_percent(implied)}")
        hint = (f"growth is reported rounded to whole percent, so {GROWTH_TOLERANCE * PERCENT:g} point is allowed; "
                "check the period (a year earlier: the same quarter last year) and the levels")
        _against(add, r, implied, GROWTH_TOLERANCE, why, hint, "the levels")


def _year_against_quarters(add: Any, r: Actual, period: Period, levels: Any) -> None:
    parts = [levels.get(r.line, _quarter(q)) for q in period.fiscal_quarters()]
    if all(part is not None for part in parts) and any(not part[1].startswith("the shipped") for part in parts if part):
        total = sum(part[0] for part in parts if part)
        if abs(total - r.value) > QUARTER_SUM_TOLERANCE:
            add(r, "value", f"{r.line} {r.period} = {_money(r.value)} is not the sum of its quarters "
                f"({_money(total)}: " + ", ".join(f"{_money(part[0])} ({part[1]})" for part in parts if part) + ")",
                "give the quarters that changed too (with restates=true), or restate the year alone: its "
                "other quarters are then scaled pro rata")


def _against(add: Any, r: Actual, implied: float, tolerance: float, why: str, hint: str, parts: str) -> None:
    """A ratio or growth row (value or bounds) against the figure its parts imply."""
    if r.value is not None and abs(r.value - implied) > tolerance:
        add(r, "value", f"{r.line} {r.period} = {_percent(r.value)} disagrees with {parts} by more than "
            f"{tolerance * PERCENT:g} point: {why}", hint)
    elif r.value is None and ((r.low is not None and implied < r.low - tolerance)
                              or (r.high is not None and implied > r.high + tolerance)):
        column = "low" if r.low is not None and implied < r.low - tolerance else "high"
        add(r, column, f"{r.line} {r.period} bounded by {column} {_percent(getattr(r, column))}, but its parts give "
            f"{_percent(implied)}: {why}", hint)


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
    restated, refused = restatements(actuals.rows, known)
    if refused:  # load_actuals refuses these against the same history; another history may still meet one
        raise InputError([InputProblem(actuals.file, f"row {r.row}, column {column}", r.value, rule, hint)
                          for r, column, rule, hint in refused])
    for item in restated:
        metric = LINE_METRICS[item.line]
        how = "scaled pro rata to" if item.how == "scaled" else "derived again from"
        figures.append((metric, item.quarter, item.value, f"{known.source_of(metric, item.quarter)}; {how} the restated "
                        f"{item.row.period} ({actuals.file} row {item.row.row})"))
    known = known.with_figures(figures, observations)
    known.derived |= {(LINE_METRICS[item.line], item.quarter) for item in restated if item.how == "derived"}
    _refuse_gap(known, actuals)
    return known


def _refuse_gap(known: History, actuals: Actuals) -> None:
    """Reported cloud revenue must be contiguous: a quarter after a missing one cannot be placed."""
    from cloudmodel.inputs.history import LINE_METRICS
    from cloudmodel.periods import quarter_label

    last = known.last_quarter
    later = sorted(q for q in known.quarterly[LINE_METRICS[CLOUD_REVENUE]] if q > last + 1)
    if later:
        row = next((r for r in actuals.rows if r.line == CLOUD_REVENUE and Period.parse(r.period).is_quarter
                    and Period.parse(r.period).fiscal_quarters()[0] == later[0]), None)
        raise InputError.one(actuals.file, f"row {row.row}" if row else CLOUD_REVENUE, quarter_label(later[0]),
                             f"cloud revenue of {quarter_label(last + 1)} is missing: the reported quarters must follow "
                             f"one another from the history's last, {quarter_label(last)}",
                             f"add {quarter_label(last + 1)} to the actuals file")
