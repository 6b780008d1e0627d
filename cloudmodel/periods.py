"""Periods: fiscal quarters and years (FY ends 31 March), calendar years, and roll-ups.

The model computes on fiscal quarters. A quarter is held as one integer, its *index*
``4 * fiscal_year + (quarter - 1)``, so arithmetic on quarters is arithmetic on ints.

* ``FY2026``   = 1 Apr 2025 – 31 Mar 2026; ``FY2026Q1`` = Apr–Jun 2025 … ``FY2026Q4`` = Jan–Mar 2026.
* ``CY2025Q1`` = Jan–Mar 2025 = ``FY2025Q4``; ``CY2025`` = ``FY2025Q4`` + ``FY2026Q1``–``Q3``.

Roll-up rules (docs/contract.md §2): flows are summed over the quarters of a year, stocks are
taken at the year's last quarter, ratios are recomputed from their summed parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

QUARTERS_PER_YEAR = 4
MONTHS_PER_QUARTER = 3
_LABEL = re.compile(r"^(?P<kind>FY|CY)(?P<year>\d{4})(?:Q(?P<q>[1-4]))?$")


class PeriodError(ValueError):
    """A period label that does not parse; the message names the accepted forms."""


ACCEPTED_FORMS = "FY2026, FY2026Q1 (fiscal, year ends 31 March), CY2025, CY2025Q1 (calendar)"


class Rollup(StrEnum):
    """How a line's quarters make a year."""

    FLOW = "flow"  # summed
    STOCK = "stock"  # value at the year's last quarter
    RATIO = "ratio"  # recomputed from the rolled-up numerator and denominator

    def quarters_read(self, quarters: list[int]) -> list[int]:
        """The quarters of a year the year's value is made of: all for a flow, the last for a stock."""
        return quarters[-1:] if self is Rollup.STOCK else quarters

    def roll_up(self, values: list[Any]) -> Any:
        """A year from its quarters' values, in order (the one roll-up rule of every user: the result
        rows, the batched engine, lineage)."""
        return values[-1] if self is Rollup.STOCK else sum(values)


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal or calendar year or quarter: ``Period.parse("FY2026Q1")``."""

    kind: str  # "FY" or "CY"
    year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, label: str) -> Period:
        match = _LABEL.match(label.strip()) if isinstance(label, str) else None
        if match is None:
            raise PeriodError(f"{label!r} is not a period; accepted forms: {ACCEPTED_FORMS}")
        return cls(match["kind"], int(match["year"]), int(match["q"]) if match["q"] else None)

    def __str__(self) -> str:
        return f"{self.kind}{self.year}" + (f"Q{self.quarter}" if self.quarter else "")

    @property
    def is_quarter(self) -> bool:
        return self.quarter is not None

    def year_before(self) -> str:
        """The same period a year earlier (what a year-on-year growth divides by): FY2026Q1 → FY2025Q1."""
        return str(Period(self.kind, self.year - 1, self.quarter))

    def fiscal_quarters(self) -> list[int]:
        """Indices of the fiscal quarters this period covers, in order."""
        if self.kind == "FY":
            if self.quarter:
                return [fiscal_index(self.year, self.quarter)]
            return [fiscal_index(self.year, q) for q in range(1, QUARTERS_PER_YEAR + 1)]
        quarters = [self.quarter] if self.quarter else list(range(1, QUARTERS_PER_YEAR + 1))
        return [calendar_to_fiscal(self.year, q) for q in quarters]


def fiscal_index(fiscal_year: int, quarter: int) -> int:
    """``FY2026Q1`` -> an int; consecutive quarters are consecutive ints."""
    return QUARTERS_PER_YEAR * fiscal_year + (quarter - 1)


def fiscal_parts(index: int) -> tuple[int, int]:
    """Inverse of :func:`fiscal_index`: (fiscal year, quarter 1–4)."""
    return index // QUARTERS_PER_YEAR, index % QUARTERS_PER_YEAR + 1


def quarter_label(index: int) -> str:
    year, quarter = fiscal_parts(index)
    return f"FY{year}Q{quarter}"


def fiscal_year_label(index: int) -> str:
    return f"FY{fiscal_parts(index)[0]}"


def calendar_to_fiscal(calendar_year: int, quarter: int) -> int:
    """CY quarter -> fiscal quarter index. Jan–Mar of CY y is Q4 of FY y."""
    if quarter == 1:
        return fiscal_index(calendar_year, 4)
    return fiscal_index(calendar_year + 1, quarter - 1)


def fiscal_to_calendar(index: int) -> tuple[int, int]:
    """Fiscal quarter index -> (calendar year, calendar quarter)."""
    year, quarter = fiscal_parts(index)
    if quarter == 4:
        return year, 1
    return year - 1, quarter + 1


def calendar_year_label(index: int) -> str:
    return f"CY{fiscal_to_calendar(index)[0]}"


def quarter_end_month(index: int) -> tuple[int, int]:
    """(calendar year, month) in which a fiscal quarter ends: FY2025Q3 -> (2024, 12)."""
    year, quarter = fiscal_to_calendar(index)
    return year, 3 * quarter






def years_covered(indices: list[int], kind: str = "FY") -> list[str]:
    """Labels of the whole fiscal (``FY``) or calendar (``CY``) years the quarters cover."""
    present = set(indices)
    label = fiscal_year_label if kind == "FY" else calendar_year_label
    years: dict[str, int] = {}
    for i in indices:
        years[label(i)] = years.get(label(i), 0) + 1
    return [y for y, n in years.items() if n == QUARTERS_PER_YEAR and all(
        q in present for q in Period.parse(y).fiscal_quarters())]


def roll_up(values: list[float], rule: Rollup) -> float:
    """Combine a year's quarterly values (in order) by a flow or stock rule."""
    if rule is Rollup.FLOW:
        return sum(values)
    if rule is Rollup.STOCK:
        return values[-1]
    raise ValueError("ratios are recomputed from their parts, not rolled up")
