"""The shared number formatter: hand-computed spellings, and properties over any finite value."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudmodel import numbers as nb
from cloudmodel.numbers import MISSING, NumberError, change, column_scale, fmt, header

UNITS = ("ratio", "RMB_mn", "USD", "HKD", "count", "tokens", "RMB_per_mn_tokens", "RMB", "x", "years", "CNY_per_USD",
         "HKD_per_USD")
#: What each unit's text must contain, whatever the value (the unit is always stated).
UNIT_MARKS = {"ratio": ("%",), "RMB_mn": ("RMB ",), "USD": ("USD ",), "HKD": ("HKD ",), "RMB_per_mn_tokens": ("/mn tokens",),
              "tokens": (" tokens",), "RMB": ("RMB ",), "x": ("x",), "years": ("year",), "CNY_per_USD": ("CNY/USD",),
              "HKD_per_USD": ("HKD/USD",)}


@pytest.mark.parametrize(("value", "unit", "kwargs", "expected"), [
    # ratios: one decimal of a percent
    (0.15, "ratio", {}, "15.0%"),
    (0.0954, "ratio", {}, "9.5%"),
    (-0.034, "ratio", {"signed": True}, "-3.4%"),
    (0.034, "ratio", {"signed": True}, "+3.4%"),
    (1.5, "ratio", {}, "150.0%"),
    # money: RMB mn inside, bn from RMB 1bn (after rounding), mn below
    (317_400, "RMB_mn", {}, "RMB 317.4bn"),
    (850, "RMB_mn", {}, "RMB 850mn"),
    (134_563.11, "RMB_mn", {}, "RMB 134.6bn"),
    (1_090_870, "RMB_mn", {}, "RMB 1,090.9bn"),
    (999.6, "RMB_mn", {}, "RMB 1.0bn"),  # rounds to 1,000mn: written in bn
    (999.4, "RMB_mn", {}, "RMB 999mn"),
    (1_600, "RMB_mn", {"signed": True}, "+RMB 1.6bn"),
    (-850, "RMB_mn", {"signed": True}, "-RMB 850mn"),
    (-3_400, "RMB_mn", {}, "-RMB 3.4bn"),
    (2.5, "RMB_mn", {}, "RMB 2.5mn"),
    (0, "RMB_mn", {}, "RMB 0mn"),
    # counts: 万 (and 亿) by default, k/m with units="k"
    (700_000, "count", {}, "70.0万"),
    (700_000, "count", {"units": "k"}, "700k"),
    (4_000_000, "count", {"units": "k"}, "4.0m"),
    (4_000_000, "count", {}, "400.0万"),
    (18_620_000_000, "count", {}, "186.20亿"),
    (18_620_000_000, "count", {"units": "k"}, "18.62bn"),
    (15_000, "count", {"units": "k"}, "15.0k"),
    (9_999, "count", {}, "1.0万"),  # rounds up into the next scale word, never "10,000" or "0.9999万"
    (330, "count", {}, "330"),
    (2.5, "count", {}, "2.5"),
    (-70_000, "count", {"signed": True}, "-7.0万"),
    # per-share values
    (180.567, "USD", {}, "USD 180.57"),
    (175.61, "HKD", {}, "HKD 175.61"),
    (-1.2, "USD", {"signed": True}, "-USD 1.20"),
    # tokens and prices
    (8.25e13, "tokens", {}, "82.5万亿 tokens"),
    (8.25e13, "tokens", {"units": "k"}, "82.5tn tokens"),
    (1e7, "tokens", {"units": "k"}, "10.0m tokens"),
    (8.04, "RMB_per_mn_tokens", {}, "RMB 8.04/mn tokens"),
    (0.5, "RMB_per_mn_tokens", {}, "RMB 0.50/mn tokens"),
    (10, "RMB", {}, "RMB 10.00"),
    (2_000, "RMB", {}, "RMB 2,000"),
    # the rest
    (5, "x", {}, "5.0x"),
    (6, "years", {}, "6 years"),
    (1, "years", {}, "1 year"),
    (7.3369, "CNY_per_USD", {}, "7.34 CNY/USD"),
])
def test_hand_computed(value, unit, kwargs, expected):
    assert fmt(value, unit, **kwargs) == expected


@pytest.mark.parametrize(("delta", "unit", "expected"), [
    (0.012, "ratio", "+1.2 pp"),
    (-0.005, "ratio", "-0.5 pp"),
    (0.0004, "ratio", "±0.0 pp"),  # rounds to zero: neither + nor -
    (1_600, "RMB_mn", "+RMB 1.6bn"),
    (-1.78, "USD", "-USD 1.78"),
    (-120_000, "count", "-12.0万"),
])
def test_changes(delta, unit, expected):
    assert change(delta, unit) == expected


def test_no_negative_zero_and_explicit_missing():
    assert fmt(-1e-12, "ratio") == "0.0%"
    assert fmt(-0.0001, "RMB_mn") == "RMB 0.00mn"
    assert fmt(None, "RMB_mn") == MISSING == "–"
    assert fmt(math.nan, "ratio") == MISSING
    assert nb.relative(110, 100) == "+10.0%"
    assert nb.relative(1, 0) == MISSING


def test_ranges():
    assert nb.between(0.15, 0.2, "ratio") == "15.0% – 20.0%"
    assert nb.between(6_500, 7_500, "RMB_mn") == "RMB 6.5bn – RMB 7.5bn"
    assert nb.between(600_000, 800_000, "count", units="k") == "600k – 800k"
    assert nb.between(None, 1, "x") == ""


@pytest.mark.parametrize("bad", [math.inf, -math.inf])
def test_infinity_raises(bad):
    with pytest.raises(NumberError, match="not a finite number"):
        fmt(bad, "RMB_mn")
    with pytest.raises(NumberError):
        change(bad, "ratio")


def test_bad_options():
    with pytest.raises(NumberError, match="unknown units"):
        fmt(1, "count", units="萬")
    with pytest.raises(NumberError, match="per-share"):
        nb.per_share(1, "EUR")


def test_table_scales_and_headers():
    assert header("Cloud revenue", "RMB_mn") == "Cloud revenue (RMB bn)"
    assert header("Model calls", "RMB_mn", [200, 850]) == "Model calls (RMB mn)"
    assert header("AI customers", "count", [809_110]) == "AI customers (万)"
    assert header("AI customers", "count", [809_110], units="k") == "AI customers (k)"
    assert header("Margin", "ratio") == "Margin (%)"
    assert nb.unit_label("USD") == "USD"
    scale = column_scale("RMB_mn", [117_011.4, 134_563.11])
    assert [scale.cell(v) for v in (117_011.4, 134_563.11, None)] == ["117.0", "134.6", MISSING]
    assert scale.cell(1_600, signed=True) == "+1.6"
    assert column_scale("ratio", [0.11]).cell(0.11) == "11.0%"
    assert column_scale("count", [809_110]).cell(809_110) == "80.9"
    assert column_scale("count", [809_110], "k").cell(809_110) == "809"
    assert column_scale("tokens", [8.25e13], "k").label == "tn tokens"


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30)


@given(finite, st.sampled_from(UNITS), st.sampled_from(nb.UNIT_SYSTEMS), st.booleans())
def test_never_scientific_always_a_unit(value, unit, units, signed):
    text = fmt(value, unit, units=units, signed=signed)
    lowered = text.lower()
    assert "e+" not in lowered and "e-" not in lowered and "nan" not in lowered and "inf" not in lowered
    for mark in UNIT_MARKS.get(unit, ()):
        assert mark in text, (value, unit, text)
    if signed:
        assert text[0] in "+-±", text
    else:
        assert not text.startswith("-") or value < 0, text
    delta = change(value, unit, units=units)
    assert "e+" not in delta.lower() and delta[0] in "+-±"
    if unit == "ratio":
        assert delta.endswith(" pp")


@given(st.floats(min_value=0, max_value=1e15, allow_nan=False))
def test_money_reads_back_within_its_rounding(value):
    """The written amount is the value to the precision shown: ±0.05bn or ±0.5mn (or finer)."""
    text = fmt(value, "RMB_mn")
    number = float(text.removeprefix("RMB ").rstrip("bmn").replace(",", ""))
    back = number * (1e3 if text.endswith("bn") else 1)
    assert abs(back - value) <= (50 if text.endswith("bn") else 0.5) + 1e-9 * value


@given(st.floats(min_value=0, max_value=1e13, allow_nan=False), st.sampled_from(nb.UNIT_SYSTEMS))
def test_counts_read_back_within_their_rounding(value, units):
    text = fmt(value, "count", units=units)
    scales = {"亿": 1e8, "万": 1e4, "bn": 1e9, "m": 1e6, "k": 1e3}
    for word, size in scales.items():
        if text.endswith(word):
            digits = text.split(".")[1] if "." in text else ""
            places = len(digits) - len(word) if digits else 0
            back = float(text.removesuffix(word).replace(",", "")) * size
            assert abs(back - value) <= 0.5 * 10 ** -places * size + 1e-9 * value
            break
    else:
        assert abs(float(text.replace(",", "")) - value) <= 0.5


def test_module_imports_only_the_standard_library():
    """No rich, polars, numpy or matplotlib at module level: any verb may import it cheaply."""
    import ast

    tree = ast.parse(open(nb.__file__, encoding="utf-8").read())
    imported = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "math", "dataclasses"}, imported
