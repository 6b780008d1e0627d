"""Spreadsheet formulas from the model's own definitions.

A :class:`Formula` is a value that records the arithmetic done on it as the text of an Excel
formula. The quantities of :mod:`cloudmodel.quantities` use arithmetic operators and the
helpers of :mod:`cloudmodel.xp`; run on formulas instead of floats or arrays, the very same
functions write the workbook's cells (``forecast --format xlsx``), so Python and Excel cannot
drift apart. A driver becomes a reference to its input cell, another quantity a reference to
the cell that holds it, a number a literal.

Every operation is fully parenthesised, so Excel's own precedence rules (unary minus binds
tighter than ``^`` there) never change a result.

A formula also carries the number it stands for in the run it was made from (``value``), so
that code which only *guards* on a value (the roll-ups skip a ratio whose denominator is 0)
takes the same branch as the numeric run. Branching inside a quantity is another matter: a
quantity must choose with :func:`cloudmodel.xp.where` (``IF``) so the spreadsheet can follow an
edited input; :data:`STRICT` makes any truth test an error while the quantities are written.
"""

from __future__ import annotations

import math
import operator
from typing import Any

#: While true, a formula's truth value is an error (set while the quantities are written).
STRICT = [False]


class Formula:
    """The text of an Excel expression (without the leading ``=``) and the number it stands for."""

    __slots__ = ("text", "value")
    excel = True  # the marker :mod:`cloudmodel.xp` dispatches on

    def __init__(self, text: str, value: float | None = None):
        self.text = text
        self.value = value

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    # arithmetic ---------------------------------------------------------------------------
    def __add__(self, other: Any) -> Formula:
        return _binary("+", self, other)

    def __radd__(self, other: Any) -> Formula:
        if isinstance(other, int | float) and other == 0:  # sum() starts at 0
            return self
        return _binary("+", other, self)

    def __sub__(self, other: Any) -> Formula:
        return _binary("-", self, other)

    def __rsub__(self, other: Any) -> Formula:
        return _binary("-", other, self)

    def __mul__(self, other: Any) -> Formula:
        return _binary("*", self, other)

    def __rmul__(self, other: Any) -> Formula:
        return _binary("*", other, self)

    def __truediv__(self, other: Any) -> Formula:
        return _binary("/", self, other)

    def __rtruediv__(self, other: Any) -> Formula:
        return _binary("/", other, self)

    def __pow__(self, other: Any) -> Formula:
        return _binary("^", self, other)

    def __rpow__(self, other: Any) -> Formula:
        return _binary("^", other, self)

    def __neg__(self) -> Formula:
        return Formula(f"(0-{self.text})", None if self.value is None else -self.value)

    def __pos__(self) -> Formula:
        return self

    def __abs__(self) -> Formula:
        return call("ABS", self)

    # comparisons give boolean formulas, for IF ----------------------------------------------
    def __lt__(self, other: Any) -> Formula:
        return _binary("<", self, other)

    def __le__(self, other: Any) -> Formula:
        return _binary("<=", self, other)

    def __gt__(self, other: Any) -> Formula:
        return _binary(">", self, other)

    def __ge__(self, other: Any) -> Formula:
        return _binary(">=", self, other)

    def __bool__(self) -> bool:
        if STRICT[0] or self.value is None:
            raise TypeError("a spreadsheet formula has no truth value in Python: branch with xp.where "
                            f"(IF), not `if` ({self.text[:60]})")
        return bool(self.value)



def text(value: Any) -> str:
    """The formula text of a formula or a number."""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"a spreadsheet cannot hold {number!r}")
        literal = repr(number).upper()
        return literal[:-2] if literal.endswith(".0") else literal
    raise TypeError(f"no formula for {type(value).__name__}: {value!r}")


_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": operator.pow,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq,
}
_FUNCTIONS = {
    "EXP": math.exp, "LN": math.log, "ABS": abs, "MAX": max, "MIN": min,
    "IF": lambda condition, a, b: a if condition else b, "ROUNDUP": lambda x, _digits: float(math.ceil(x)),
}


def number(value: Any) -> float | None:
    """The number a formula or a literal stands for (None when unknown)."""
    if isinstance(value, Formula):
        return value.value
    return value if isinstance(value, int | float) else None


def _apply(function: Any, values: list[float | None]) -> float | None:
    if any(v is None for v in values):
        return None
    try:
        return function(*values)
    except (ArithmeticError, ValueError):
        return None


def _binary(op: str, left: Any, right: Any) -> Formula:
    return Formula(f"({text(left)}{op}{text(right)})", _apply(_OPERATORS[op], [number(left), number(right)]))


def equal(left: Any, right: Any) -> Formula:
    """``(a=b)``, a boolean formula."""
    return _binary("=", left, right)


def call(function: str, *arguments: Any) -> Formula:
    """``FUNCTION(a, b, …)``."""
    values = [number(a) for a in arguments]
    if function == "IF" and values[0] is not None:  # only the branch taken needs a value
        value = values[1] if values[0] else values[2]
    else:
        value = _apply(_FUNCTIONS[function], values)
    return Formula(f"{function}({','.join(text(a) for a in arguments)})", value)


def is_formula(*values: Any) -> bool:
    return any(isinstance(v, Formula) for v in values)


def cell(sheet: str, row: int, column: int, value: float | None = None) -> Formula:
    """An absolute reference ``'Sheet'!$C$5`` (row and column from 0) to a cell holding ``value``."""
    return Formula(f"'{sheet}'!${column_letter(column)}${row + 1}", value)


def column_letter(column: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    column += 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


__all__ = ["STRICT", "Formula", "call", "equal", "cell", "column_letter", "is_formula", "number", "text"]
