"""The unit parser: the report's own spellings, round trips, and what it must refuse."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudmodel.units import SCALE_WORDS, UnitError, format_quantity, parse_quantity

REL = 1e-12


@pytest.mark.parametrize(("text", "unit", "expected"), [
    ("33万", "count", 330_000),
    ("34.6万", "count", 346_000),
    ("3.5亿", "count", 350_000_000),
    ("20亿元", "RMB_mn", 2_000),
    ("3800亿", "RMB_mn", 380_000),
    ("1.2万亿", "RMB_mn", 1_200_000),
    ("３３万", "count", 330_000),  # full-width digits
    ("１.２bn", "RMB_mn", 1_200),
    ("1.2bn", "RMB_mn", 1_200),
    ("15%", "ratio", 0.15),
    ("１５％", "ratio", 0.15),
    ("-0.86%", "ratio", -0.0086),
    ("16 元/百万 tokens", "RMB_per_mn_tokens", 16),
    ("8元/100万 token", "RMB_per_mn_tokens", 8),
    ("0.5 元/千 tokens", "RMB_per_mn_tokens", 500),
    ("10M", "tokens", 10_000_000),
    ("1000万", "tokens", 10_000_000),
    ("1千万", "count", 10_000_000),
    ("RMB 3bn", "RMB_mn", 3_000),
    ("1,090,870", "RMB_mn", 1_090_870),
    ("5倍", "x", 5),
    ("6 years", "years", 6),
    ("39.40", "USD", 39.40),
    (2, "count", 2),
])
def test_report_spellings(text, unit, expected):
    assert parse_quantity(text, unit) == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize(("text", "unit", "fragment"), [
    ("33千亿万", "count", "cannot read '万'"),
    ("RMB亿", "RMB_mn", "does not start with a number"),
    ("1e400", "count", "not a finite number"),
    ("nan", "ratio", "does not start with a number"),
    ("inf", "ratio", "does not start with a number"),
    ("15%", "count", "percentage is only valid for a ratio"),
    ("3亿元", "count", "currency is not valid"),
    ("3亿", "ratio", "a ratio is a decimal or a percentage"),
    ("16元/百万tokens", "RMB_mn", "only valid for RMB_per_mn_tokens"),
    ("", "count", "does not start with a number"),
    ("5 USD", "RMB_mn", "is in yuan, not USD"),
])
def test_refuses(text, unit, fragment):
    with pytest.raises(UnitError, match=fragment):
        parse_quantity(text, unit)


def test_refuses_booleans_and_non_finite_numbers():
    with pytest.raises(UnitError):
        parse_quantity(True, "count")
    with pytest.raises(UnitError):
        parse_quantity(math.inf, "count")
    with pytest.raises(UnitError):
        parse_quantity(math.nan, "ratio")


finite = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)


@given(finite, st.sampled_from(["RMB_mn", "RMB", "count", "tokens", "ratio", "RMB_per_mn_tokens", "x", "USD"]))
def test_format_parse_round_trip(value, unit):
    back = parse_quantity(format_quantity(value, unit), unit)
    assert back == pytest.approx(value, rel=REL, abs=1e-9)


@given(st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False),
       st.sampled_from(sorted(SCALE_WORDS)))
def test_scale_words_multiply(mantissa, word):
    text = f"{mantissa}{word}"
    assert parse_quantity(text, "count") == pytest.approx(float(mantissa) * SCALE_WORDS[word], rel=REL)


@given(st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False))
def test_money_with_yuan_is_absolute(mantissa):
    assert parse_quantity(f"{mantissa}亿元", "RMB_mn") == pytest.approx(float(mantissa) * 100, rel=REL)
