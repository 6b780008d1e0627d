"""Units at the edge: parse the report's spellings into canonical units, format them back.

Inside the model there is one unit per kind of quantity (docs/contract.md §3): money is
``RMB_mn``, shares and growth are ``ratio`` decimals, and so on. People write
``33万``, ``3.5亿``, ``20亿元``, ``1.2bn``, ``15%``, ``16 元/百万 tokens``, ``10M`` or
full-width digits; :func:`parse_quantity` turns any of them into a float in the driver's
canonical unit and rejects anything it cannot read exactly (``33千亿万``, ``RMB亿``).

Rules
-----
* A bare number is already in the canonical unit (``1200`` for ``RMB_mn`` is RMB 1.2bn).
* A number with a scale word or a currency sign is an absolute amount: ``20亿元`` is
  2,000,000,000 yuan, which is 2,000 ``RMB_mn``.
* ``%`` only for ``ratio``; ``元``/``RMB`` only for money; a per-token clause only for
  ``RMB_per_mn_tokens``. At most one scale word, from :data:`SCALE_WORDS`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

#: Canonical units and what each means.
UNITS: dict[str, str] = {
    "RMB_mn": "RMB million",
    "RMB": "RMB (yuan), for per-item prices",
    "USD": "US dollars (per-share values)",
    "HKD": "Hong Kong dollars (per-share values)",
    "CNY_per_USD": "yuan per US dollar",
    "HKD_per_USD": "Hong Kong dollars per US dollar",
    "count": "a number of things (customers, users, devices, shares)",
    "ratio": "a decimal: 0.15 means 15%",
    "tokens": "model tokens",
    "RMB_per_mn_tokens": "yuan per million tokens",
    "x": "a multiple",
    "years": "years",
}

#: Scale words, longest first so that 万亿 wins over 万 and 亿.
SCALE_WORDS: dict[str, float] = {
    "万亿": 1e12,
    "千亿": 1e11,
    "百亿": 1e10,
    "十亿": 1e9,
    "千万": 1e7,
    "百万": 1e6,
    "十万": 1e5,
    "亿": 1e8,
    "万": 1e4,
    "千": 1e3,
    "百": 1e2,
    "trillion": 1e12,
    "billion": 1e9,
    "million": 1e6,
    "tn": 1e12,
    "bn": 1e9,
    "mn": 1e6,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
}

#: Structural unit factors (not figures from the report): yuan in one ``RMB_mn``, and tokens in
#: the million tokens a ``RMB_per_mn_tokens`` price is quoted per.
RMB_PER_MILLION = 1_000_000
TOKENS_PER_MILLION = 1_000_000

_MONEY = {"RMB_mn": 1e6, "RMB": 1.0}
_CURRENCY_WORDS = {"RMB": ("元", "RMB", "¥", "人民币"), "USD": ("美元", "USD", "$"), "HKD": ("港币", "港元", "HKD", "HK$")}
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?|[+-]?\.\d+(?:[eE][+-]?\d+)?"
_SCALE = "|".join(re.escape(w) for w in SCALE_WORDS)
_PER_TOKENS = re.compile(r"^/(?P<per>(?:\d+)?(?:" + _SCALE + r")?|\d+)tokens?$", re.IGNORECASE)
_HEAD = re.compile(r"^(?P<pre>RMB|¥|人民币|USD|\$|HK\$|HKD)?(?P<num>" + _NUMBER + r")(?P<rest>.*)$")


#: Longest text read as a quantity. "16 元/百万 tokens" is 14; a hundred leaves room for any
#: spelling with thousands separators while keeping a hostile megabyte out of the regexes.
MAX_QUANTITY_CHARS = 100


class UnitError(ValueError):
    """A quantity that cannot be read in the unit asked for; the message says why."""


def normalise(text: str) -> str:
    """NFKC (full-width digits and signs to ASCII) and no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _finite(value: float, text: str) -> float:
    if not math.isfinite(value):
        raise UnitError(f"{text!r} is not a finite number (overflows to infinity or is NaN)")
    return value


def _per_token_scale(per: str) -> float:
    """'百万' -> 1e6, '100万' -> 1e6, '1M' -> 1e6, '千' -> 1e3, '' -> 1."""
    match = re.fullmatch(r"(?P<n>\d+)?(?P<s>" + _SCALE + r")?", per)
    if match is None or not per:
        raise UnitError(f"'/{per}tokens' is not a token count")
    n = float(match["n"]) if match["n"] else 1.0
    return n * (SCALE_WORDS[match["s"]] if match["s"] else 1.0)


def parse_quantity(raw: str | int | float, unit: str) -> float:
    """Read ``raw`` as a quantity in canonical ``unit`` and return a float in that unit.

    ``parse_quantity("33万", "count") == 330000``; ``parse_quantity("3800亿", "RMB_mn") ==
    380000``; ``parse_quantity("15%", "ratio") == 0.15``;
    ``parse_quantity("16 元/百万 tokens", "RMB_per_mn_tokens") == 16``.
    Raises :class:`UnitError` with the reason when the text does not parse or does not fit.
    """
    if unit not in UNITS:
        raise UnitError(f"unknown unit {unit!r}; units are {', '.join(UNITS)}")
    if isinstance(raw, bool):
        raise UnitError("a boolean is not a number")
    if isinstance(raw, int | float):
        try:
            return _finite(float(raw), repr(raw))
        except OverflowError:
            raise UnitError("an integer too large for a number (it overflows)") from None
    if not isinstance(raw, str):
        raise UnitError(f"expected a number or a string with a unit, not a {type(raw).__name__}")
    if len(raw) > MAX_QUANTITY_CHARS:
        raise UnitError(f"is {len(raw):,} characters long; a quantity is at most {MAX_QUANTITY_CHARS}")
    return _convert(_Reading.of(raw, unit), unit)


@dataclass(frozen=True)
class _Reading:
    """What a quantity's text says: the number and the words after it."""

    raw: str
    number: float
    scale_word: str
    percent: bool
    currency: str
    per_tokens: float | None

    @property
    def scale(self) -> float:
        return SCALE_WORDS[self.scale_word] if self.scale_word else 1.0

    @classmethod
    def of(cls, raw: str, unit: str) -> _Reading:
        head = _HEAD.match(normalise(raw))
        if head is None:
            raise UnitError(f"{raw!r} does not start with a number")
        number = _finite(float(head["num"].replace(",", "")), raw)
        rest, prefix = head["rest"], head["pre"] or ""
        scale_word = next((word for word in SCALE_WORDS if rest.startswith(word)), "")
        rest = rest[len(scale_word):]
        percent = rest.startswith("%")
        rest = rest[1:] if percent else rest
        currency, rest = _currency(raw, prefix, rest)
        per_tokens = None
        if rest:
            per_match = _PER_TOKENS.match(rest)
            if per_match is not None:
                per_tokens = _per_token_scale(per_match["per"])
            elif not (unit == "x" and rest in ("x", "X", "倍")) and not (unit == "years" and rest in ("年", "years", "year", "y")):
                raise UnitError(f"{raw!r}: cannot read {rest!r} after the number{' and ' + scale_word if scale_word else ''}")
        return cls(raw, number, scale_word, percent, currency, per_tokens)


def _currency(raw: str, prefix: str, rest: str) -> tuple[str, str]:
    """The currency a prefix (¥, $) or a word after the number names, and the text left."""
    currency = ""
    for cur, words in _CURRENCY_WORDS.items():
        if prefix in words:
            currency = cur
        for word in sorted(words, key=len, reverse=True):
            if rest.startswith(word):
                if currency and currency != cur:
                    raise UnitError(f"{raw!r} names two currencies")
                currency, rest = cur, rest[len(word):]
                break
    return currency, rest


def _convert(r: _Reading, unit: str) -> float:
    """The reading in the canonical ``unit``, or the rule it breaks."""
    raw, number = r.raw, r.number
    if r.percent and unit != "ratio":
        raise UnitError(f"{raw!r}: a percentage is only valid for a ratio, not {unit}")
    if unit == "ratio":
        if r.scale_word or r.currency or r.per_tokens is not None:
            raise UnitError(f"{raw!r}: a ratio is a decimal or a percentage")
        return _finite(number / 100 if r.percent else number, raw)
    if unit == "RMB_per_mn_tokens":
        if r.currency not in ("", "RMB") or r.scale_word:
            raise UnitError(f"{raw!r}: a token price is yuan per million tokens")
        return _finite(number * 1e6 / r.per_tokens if r.per_tokens else number, raw)
    if r.per_tokens is not None:
        raise UnitError(f"{raw!r}: a per-token price is only valid for RMB_per_mn_tokens")
    if unit in _MONEY:
        if r.currency not in ("", "RMB"):
            raise UnitError(f"{raw!r}: {unit} is in yuan, not {r.currency}")
        if r.currency or r.scale_word:
            return _finite(number * r.scale / _MONEY[unit], raw)
        return number
    if unit in ("USD", "HKD"):
        if r.currency not in ("", unit) or r.scale_word:
            raise UnitError(f"{raw!r}: expected a plain amount in {unit}")
        return number
    if r.currency:
        raise UnitError(f"{raw!r}: a currency is not valid for {unit}")
    if r.scale_word and unit not in ("count", "tokens"):
        raise UnitError(f"{raw!r}: a scale word is not valid for {unit}")
    return _finite(number * r.scale, raw)


def format_quantity(value: float, unit: str) -> str:
    """Write ``value`` (canonical ``unit``) in a spelling :func:`parse_quantity` reads back.

    Exact up to float rounding: ``parse_quantity(format_quantity(v, u), u) ≈ v``.
    """
    if unit == "ratio":
        return f"{value * 100!r}%"
    if unit in _MONEY and value != 0 and abs(value) * _MONEY[unit] >= 1e8:
        return f"{value * _MONEY[unit] / 1e8!r}亿元"
    if unit in ("count", "tokens") and abs(value) >= 1e4:
        word = "亿" if abs(value) >= 1e8 else "万"
        return f"{value / SCALE_WORDS[word]!r}{word}"
    if unit == "RMB_per_mn_tokens":
        return f"{value!r} 元/百万 tokens"
    return repr(float(value))


def display(value: float, unit: str) -> str:
    """A short human spelling for tables: RMB bn, %, thousands separators; always with a unit."""
    if value != value:  # NaN
        return "–"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "RMB_mn":
        return f"RMB {value / 1e3:,.2f}bn" if abs(value) >= 1e3 else f"RMB {value:,.1f}mn"
    if unit in ("count", "tokens"):
        if abs(value) >= 1e8:
            return f"{value / 1e8:,.2f}亿 {unit}"
        if abs(value) >= 1e4:
            return f"{value / 1e4:,.1f}万 {unit}"
        return f"{value:,.0f} {unit}"
    if unit == "RMB_per_mn_tokens":
        return f"{value:g} 元/百万 tokens"
    if unit == "x":
        return f"{value:g}x"
    return f"{value:,.4g} {unit}"
