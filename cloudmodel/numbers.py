"""Numbers as analysts read them: one formatter, shared by every verb and the HTML note.

Values arrive in the model's canonical units (``docs/contract.md`` §3: money in ``RMB_mn``,
ratios as decimals, per-share values in ``USD``/``HKD``, ``count``, ``tokens``, …) and leave
as text that always states its unit:

=====================  ==========================  ======================================
unit                   :func:`fmt`                  signed (:func:`change`)
=====================  ==========================  ======================================
``ratio``              ``15.0%``                    ``+1.2 pp`` (a change in a ratio)
``RMB_mn``             ``RMB 317.4bn``, ``RMB 850mn``  ``+RMB 1.6bn``, ``-RMB 850mn``
``count``              ``70.0万`` (``units="k"``: ``700k``, ``4.0m``)
``tokens``             ``8.3万亿 tokens`` (``units="k"``: ``82.5tn tokens``)
``RMB_per_mn_tokens``  ``RMB 8.04/mn tokens``
``USD`` / ``HKD``      ``USD 180.57`` / ``HKD 175.61``
``x`` / ``years``      ``5.0x`` / ``6 years``
=====================  ==========================  ======================================

Rules
-----
* **Never scientific notation.** Every number goes through fixed-point formats (``f``),
  with thousands separators; a value beyond the largest scale word just gets more digits.
* **Missing is explicit.** ``None`` and NaN (a value that does not exist, e.g. a MASE
  without a naive benchmark) are written as :data:`MISSING` (``–``), never ``nan``.
  An infinity is a bug upstream (the model refuses non-finite outputs) and raises
  :class:`NumberError` instead of printing ``inf``.
* **Signs.** ``signed=True`` (and :func:`change`) always write a sign: ``+``, ``-`` or
  ``±`` when the value rounds to zero. Unsigned values write ``-`` only when the rounded
  value is below zero (no ``-0.0``).
* **Scales.** ``units="cn"`` (default) counts in 万 and 亿 (tokens up to 万亿);
  ``units="k"`` counts in k, m and bn (tokens up to tn). Money is RMB bn from RMB 1bn
  up (rounded), RMB mn below.
* **Tables.** :func:`column_scale` picks one scale for a column or a row of values;
  :class:`Scale` gives its header (``Cloud revenue (RMB bn)``) and its cells (``134.6``).

Pure functions; nothing is imported but the standard library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Written for a value that does not exist (None, NaN). An en dash, never "nan".
MISSING = "–"
#: Choices of ``units``: Chinese scale words (万, 亿) or English (k, m, bn).
UNIT_SYSTEMS = ("cn", "k")
#: Per-share currencies: values are written with two decimals after the code.
PER_SHARE = ("USD", "HKD")

_CN_COUNT = ((1e8, "亿", 2), (1e4, "万", 1))
_EN_COUNT = ((1e9, "bn", 2), (1e6, "m", 1), (1e3, "k", None))
_CN_TOKENS = ((1e12, "万亿", 1), (1e8, "亿", 1), (1e4, "万", 1))
_EN_TOKENS = ((1e12, "tn", 1), (1e9, "bn", 1), (1e6, "m", 1), (1e3, "k", 1))


class NumberError(ValueError):
    """A value that cannot be written as a number (an infinity), or an unknown option."""


# --------------------------------------------------------------------------- basics

def _check(value: float | None) -> float | None:
    """The value as a float, or None for a missing one; an infinity raises."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise NumberError("a boolean is not a number")
    x = float(value)
    if math.isnan(x):
        return None
    if math.isinf(x):
        raise NumberError(f"{x} is not a finite number; the model never gives one, so this is a bug upstream")
    return x


def _units(units: str) -> str:
    if units not in UNIT_SYSTEMS:
        raise NumberError(f"unknown units {units!r}; choose {' or '.join(UNIT_SYSTEMS)}")
    return units


def _rounds_to_zero(x: float, digits: int) -> bool:
    return round(abs(x), digits) == 0


def _sign(x: float, digits: int, signed: bool) -> str:
    """The sign written before a number rounded to ``digits``."""
    if _rounds_to_zero(x, digits):
        return "±" if signed else ""
    if x < 0:
        return "-"
    return "+" if signed else ""


def fixed(x: float, digits: int) -> str:
    """``|x|`` in fixed point with thousands separators and ``digits`` decimals (no sign)."""
    return f"{abs(x):,.{digits}f}"


def number(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """A plain number: ``1,234.5``; ``+0.3`` when signed; ``–`` when missing."""
    x = _check(value)
    if x is None:
        return MISSING
    return _sign(x, digits, signed) + fixed(x, digits)


def _significant(x: float, figures: int = 3) -> int:
    """Decimals that show about ``figures`` significant figures of ``x`` (0 to 6)."""
    if x == 0:
        return 0
    magnitude = math.floor(math.log10(abs(x)))
    return max(0, min(6, figures - 1 - magnitude))


# --------------------------------------------------------------------------- by kind

def ratio(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """A decimal ratio as a percentage: ``0.15`` → ``15.0%``; signed ``-3.4%``."""
    x = _check(value)
    if x is None:
        return MISSING
    return _sign(x * 100, digits, signed) + fixed(x * 100, digits) + "%"


def pp(delta: float | None, digits: int = 1) -> str:
    """A change in a ratio in percentage points: ``0.012`` → ``+1.2 pp`` (always signed)."""
    x = _check(delta)
    if x is None:
        return MISSING
    return _sign(x * 100, digits, True) + fixed(x * 100, digits) + " pp"


def money_scale(value_mn: float) -> tuple[float, str, int]:
    """(divisor from RMB mn, suffix, decimals) for a money amount: bn from RMB 1bn (rounded), else mn."""
    if round(abs(value_mn)) >= 1_000:
        return 1e3, "bn", 1
    if abs(value_mn) >= 10 or value_mn == 0:
        return 1.0, "mn", 0
    return 1.0, "mn", _significant(value_mn, 2) if abs(value_mn) >= 0.01 else 2


def money(value_mn: float | None, signed: bool = False, currency: str = "RMB") -> str:
    """RMB million as analysts write it: ``RMB 317.4bn``, ``RMB 850mn``; ``+RMB 1.6bn`` signed."""
    x = _check(value_mn)
    if x is None:
        return MISSING
    divisor, suffix, digits = money_scale(x)
    scaled = x / divisor
    return f"{_sign(scaled, digits, signed)}{currency} {fixed(scaled, digits)}{suffix}"


def price(value: float | None, currency: str = "RMB", signed: bool = False) -> str:
    """A per-item amount in yuan (or another currency): ``RMB 10.00``, ``RMB 2,000``."""
    x = _check(value)
    if x is None:
        return MISSING
    digits = 0 if abs(x) >= 1_000 else 2
    return f"{_sign(x, digits, signed)}{currency} {fixed(x, digits)}"


def per_share(value: float | None, currency: str, signed: bool = False) -> str:
    """A per-share value: ``USD 180.57``, ``HKD 175.61``; ``-USD 1.20`` signed."""
    if currency not in PER_SHARE:
        raise NumberError(f"per-share values are in {' or '.join(PER_SHARE)}, not {currency!r}")
    x = _check(value)
    if x is None:
        return MISSING
    return f"{_sign(x, 2, signed)}{currency} {fixed(x, 2)}"


def _scaled(x: float, table: tuple[tuple[float, str, int | None], ...], signed: bool) -> str:
    for size, word, digits in table:
        places = digits if digits is not None else (0 if abs(x) >= 100 * size else 1)
        if round(abs(x) / size, places) >= 1:  # 9,999 is 1.0万, not 10,000 or 0.999万
            scaled = x / size
            return _sign(scaled, places, signed) + fixed(scaled, places) + word
    places = 0 if float(x).is_integer() or abs(x) >= 100 else _significant(x, 3)
    text = fixed(x, places)
    if "." in text:  # 2.5, not 2.50
        text = text.rstrip("0").rstrip(".")
    return _sign(x, places, signed) + text


def count(value: float | None, units: str = "cn", signed: bool = False) -> str:
    """A number of things: ``70.0万`` (``units="cn"``) or ``700k`` / ``4.0m`` (``units="k"``)."""
    x = _check(value)
    if x is None:
        return MISSING
    return _scaled(x, _CN_COUNT if _units(units) == "cn" else _EN_COUNT, signed)


def tokens(value: float | None, units: str = "cn", signed: bool = False) -> str:
    """Model tokens: ``8.3万亿 tokens`` or ``82.5tn tokens``."""
    x = _check(value)
    if x is None:
        return MISSING
    return _scaled(x, _CN_TOKENS if _units(units) == "cn" else _EN_TOKENS, signed) + " tokens"


def token_price(value: float | None, signed: bool = False) -> str:
    """Yuan per million tokens: ``RMB 8.04/mn tokens``."""
    x = _check(value)
    if x is None:
        return MISSING
    digits = 2 if abs(x) >= 0.1 or x == 0 else 4
    return f"{_sign(x, digits, signed)}RMB {fixed(x, digits)}/mn tokens"


def multiple(value: float | None, signed: bool = False) -> str:
    """A multiple: ``5.0x``."""
    x = _check(value)
    if x is None:
        return MISSING
    digits = 1 if abs(x) >= 1 or x == 0 else 2
    return _sign(x, digits, signed) + fixed(x, digits) + "x"


# --------------------------------------------------------------------------- any unit

def fmt(value: float | None, unit: str, *, units: str = "cn", signed: bool = False) -> str:
    """``value`` (in the canonical ``unit``) as analysts read it, with its unit.

    ``signed=True`` writes a sign (for changes and errors); for a change in a *ratio* use
    :func:`change`, which writes percentage points."""
    _units(units)
    if unit == "ratio":
        return ratio(value, signed=signed)
    if unit == "RMB_mn":
        return money(value, signed=signed)
    if unit in PER_SHARE:
        return per_share(value, unit, signed=signed)
    if unit == "count":
        return count(value, units, signed=signed)
    if unit == "tokens":
        return tokens(value, units, signed=signed)
    if unit == "RMB_per_mn_tokens":
        return token_price(value, signed=signed)
    if unit == "RMB":
        return price(value, "RMB", signed=signed)
    if unit == "x":
        return multiple(value, signed=signed)
    x = _check(value)
    if x is None:
        return MISSING
    digits = 2 if abs(x) < 100 and not float(x).is_integer() else 0
    text = _sign(x, digits, signed) + fixed(x, digits)
    if unit == "years":
        return text + (" year" if text in ("1", "+1") else " years")
    if unit in ("CNY_per_USD", "HKD_per_USD"):
        return text + " " + unit.replace("_per_", "/")
    return f"{text} {unit}"


def change(delta: float | None, unit: str, *, units: str = "cn") -> str:
    """A change or an error in ``unit``, always signed: ratios in pp, the rest as :func:`fmt`."""
    if unit == "ratio":
        return pp(delta)
    return fmt(delta, unit, units=units, signed=True)


def relative(new: float | None, old: float | None, signed: bool = True) -> str:
    """The relative change ``new ÷ old − 1`` as a signed percentage: ``+12.3%``; ``–`` if old is 0."""
    a, b = _check(new), _check(old)
    if a is None or b is None or b == 0:
        return MISSING
    return ratio(a / b - 1, signed=signed)


def between(low: float | None, high: float | None, unit: str, *, units: str = "cn") -> str:
    """A range: ``15.0% – 20.0%``, ``RMB 6.5bn – RMB 7.5bn``; empty when there is none (either end missing)."""
    if _check(low) is None or _check(high) is None:
        return ""
    return f"{fmt(low, unit, units=units)} – {fmt(high, unit, units=units)}"


# --------------------------------------------------------------------------- tables

@dataclass(frozen=True)
class Scale:
    """One scale for a column (or a row) of a table: the unit goes in the header, cells carry
    only the number (ratios keep their ``%``)."""

    unit: str  # the canonical unit of the values
    label: str  # what the header says: "RMB bn", "%", "万", "USD", …
    divisor: float
    digits: int
    suffix: str = ""  # written after each cell ("%" for ratios)

    def cell(self, value: float | None, signed: bool = False) -> str:
        x = _check(value)
        if x is None:
            return MISSING
        scaled = x / self.divisor
        return _sign(scaled, self.digits, signed) + fixed(scaled, self.digits) + self.suffix

    def header(self, name: str) -> str:
        """``name (label)``: ``Cloud revenue (RMB bn)``."""
        return f"{name} ({self.label})"


def unit_label(unit: str, units: str = "cn") -> str:
    """The unit as a header says it, at the scale :func:`column_scale` picks for typical values."""
    return column_scale(unit, [], units).label


def column_scale(unit: str, values: list[float | None] | tuple[float | None, ...], units: str = "cn") -> Scale:
    """The scale for a column of values in ``unit``: chosen from the largest finite |value|
    (RMB bn when it is at least RMB 1bn; 万 or k/m for counts; …)."""
    _units(units)
    finite = [abs(x) for x in (_check(v) for v in values) if x is not None]
    top = max(finite, default=0.0)
    if unit == "ratio":
        return Scale(unit, "%", 0.01, 1, "%")
    if unit == "RMB_mn":
        if top >= 1_000 or not finite:
            return Scale(unit, "RMB bn", 1e3, 1)
        return Scale(unit, "RMB mn", 1.0, 0 if top >= 10 else 2)
    if unit in PER_SHARE:
        return Scale(unit, unit, 1.0, 2)
    if unit in ("count", "tokens"):
        words = {("count", "cn"): _CN_COUNT, ("count", "k"): _EN_COUNT,
                 ("tokens", "cn"): _CN_TOKENS, ("tokens", "k"): _EN_TOKENS}[(unit, units)]
        noun = "" if unit == "count" else " tokens"
        for size, word, digits in words:
            if top >= size or not finite and size == words[-1][0]:
                places = digits if digits is not None else (0 if top >= 100 * size else 1)
                return Scale(unit, word + noun, size, places)
        return Scale(unit, unit if unit == "tokens" else "number", 1.0, 0)
    if unit == "RMB_per_mn_tokens":
        return Scale(unit, "RMB/mn tokens", 1.0, 2)
    if unit == "RMB":
        return Scale(unit, "RMB", 1.0, 0 if top >= 1_000 else 2)
    if unit == "x":
        return Scale(unit, "x", 1.0, 1)
    if unit in ("CNY_per_USD", "HKD_per_USD"):
        return Scale(unit, unit.replace("_per_", "/"), 1.0, 2)
    return Scale(unit, unit, 1.0, 2 if top < 100 else 0)


def header(name: str, unit: str, values: list[float | None] | tuple[float | None, ...] = (), units: str = "cn") -> str:
    """A header that says the unit: ``header("Cloud revenue", "RMB_mn")`` → ``Cloud revenue (RMB bn)``."""
    return column_scale(unit, values, units).header(name)


__all__ = ["MISSING", "NumberError", "Scale", "between", "change", "column_scale", "count", "fixed", "fmt", "header", "money",
           "money_scale", "multiple", "number", "per_share", "pp", "price", "ratio", "relative", "token_price", "tokens",
           "unit_label"]
