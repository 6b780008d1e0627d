"""Periods: fiscal and calendar conversions, labels, roll-ups."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudmodel.periods import (
    Period,
    PeriodError,
    Rollup,
    calendar_to_fiscal,
    fiscal_index,
    fiscal_parts,
    fiscal_to_calendar,
    quarter_end_month,
    quarter_label,
    roll_up,
    years_covered,
)

years = st.integers(min_value=1990, max_value=2100)
quarters = st.integers(min_value=1, max_value=4)


def test_fiscal_year_ends_in_march():
    assert Period.parse("FY2026Q1").fiscal_quarters() == [fiscal_index(2026, 1)]
    assert quarter_end_month(fiscal_index(2026, 1)) == (2025, 6)
    assert quarter_end_month(fiscal_index(2026, 4)) == (2026, 3)
    assert quarter_end_month(fiscal_index(2025, 3)) == (2024, 12)


def test_calendar_year_spans_two_fiscal_years():
    labels = [quarter_label(i) for i in Period.parse("CY2025").fiscal_quarters()]
    assert labels == ["FY2025Q4", "FY2026Q1", "FY2026Q2", "FY2026Q3"]


@given(years, quarters)
def test_fiscal_index_round_trip(year, quarter):
    assert fiscal_parts(fiscal_index(year, quarter)) == (year, quarter)
    assert Period.parse(quarter_label(fiscal_index(year, quarter))) == Period("FY", year, quarter)


@given(years, quarters)
def test_calendar_fiscal_round_trip(year, quarter):
    assert fiscal_to_calendar(calendar_to_fiscal(year, quarter)) == (year, quarter)


@given(st.integers(min_value=fiscal_index(2000, 1), max_value=fiscal_index(2090, 4)))
def test_consecutive_quarters_are_three_months_apart(index):
    (y0, m0), (y1, m1) = quarter_end_month(index), quarter_end_month(index + 1)
    assert (y1 * 12 + m1) - (y0 * 12 + m0) == 3


@given(st.sampled_from(["FY", "CY"]), years, st.one_of(st.none(), quarters))
def test_label_round_trip(kind, year, quarter):
    period = Period(kind, year, quarter)
    assert Period.parse(str(period)) == period


@given(years, st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=4, max_size=4))
def test_quarters_add_up_to_years(year, values):
    """A flow's fiscal year is the sum of its four quarters; a stock is its last quarter."""
    idx = Period.parse(f"FY{year}").fiscal_quarters()
    assert idx == [fiscal_index(year, q) for q in range(1, 5)]
    assert roll_up(values, Rollup.FLOW) == pytest.approx(sum(values))
    assert roll_up(values, Rollup.STOCK) == values[-1]


@given(years)
def test_calendar_year_overlaps_two_fiscal_years(year):
    """CY y = Jan–Mar of FY y (one quarter) + Apr–Dec of FY y+1 (three quarters)."""
    cy = set(Period.parse(f"CY{year}").fiscal_quarters())
    assert len(cy & set(Period.parse(f"FY{year}").fiscal_quarters())) == 1
    assert len(cy & set(Period.parse(f"FY{year + 1}").fiscal_quarters())) == 3


def test_years_covered_keeps_whole_years_only():
    idx = list(range(fiscal_index(2023, 1), fiscal_index(2028, 4) + 1))
    assert years_covered(idx, "FY") == [f"FY{y}" for y in range(2023, 2029)]
    assert years_covered(idx, "CY") == [f"CY{y}" for y in range(2023, 2028)]


@pytest.mark.parametrize("label", ["2025Q3", "FY25", "fy2026", "FY2026Q5", "Q1 2025", ""])
def test_bad_labels_name_the_accepted_forms(label):
    with pytest.raises(PeriodError, match="accepted forms"):
        Period.parse(label)


def test_ratio_rule_is_not_a_sum():
    with pytest.raises(ValueError):
        roll_up([1.0, 2.0], Rollup.RATIO)
