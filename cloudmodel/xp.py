"""Array-agnostic helpers, so one layer function serves a scenario, a million draws and a workbook.

Layer functions use arithmetic operators, which work alike on Python floats, numpy arrays and
:class:`cloudmodel.formula.Formula` (spreadsheet formulas). The few non-arithmetic operations go
through these helpers: on floats they use :mod:`math` (so a single forecast never imports numpy
and stays fast), on arrays numpy, on formulas the spreadsheet function of the same meaning.
"""

from __future__ import annotations

import math
import sys
from typing import Any

Number = Any  # float or numpy.ndarray

#: The standard normal's 95% quantile: [centre ± Z90 σ] is a 90% interval (the report's ranges read
#: as 90% intervals, the P5–P95 bands).
Z90 = 1.6448536269514722


def _is_array(*xs: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and any(isinstance(x, np.ndarray) for x in xs)


def _is_formula(*xs: Any) -> bool:
    return any(getattr(x, "excel", False) for x in xs)


def _sheet(function: str, *xs: Any) -> Any:
    from cloudmodel.formula import call

    return call(function, *xs)


def exp(x: Number) -> Number:
    if _is_formula(x):
        return _sheet("EXP", x)
    if _is_array(x):
        import numpy as np

        return np.exp(x)
    return math.exp(x)


def log(x: Number) -> Number:
    if _is_formula(x):
        return _sheet("LN", x)
    if _is_array(x):
        import numpy as np

        return np.log(x)
    return math.log(x)


def ceil(x: Number) -> Number:
    if _is_formula(x):
        return _sheet("ROUNDUP", x, 0)
    if _is_array(x):
        import numpy as np

        return np.ceil(x)
    return float(math.ceil(x))


def maximum(a: Number, b: Number) -> Number:
    if _is_formula(a, b):
        return _sheet("MAX", a, b)
    if _is_array(a, b):
        import numpy as np

        return np.maximum(a, b)
    return a if a >= b else b


def minimum(a: Number, b: Number) -> Number:
    if _is_formula(a, b):
        return _sheet("MIN", a, b)
    if _is_array(a, b):
        import numpy as np

        return np.minimum(a, b)
    return a if a <= b else b


def clip(x: Number, low: Number, high: Number) -> Number:
    return minimum(maximum(x, low), high)


def where(condition: Any, a: Number, b: Number) -> Number:
    if _is_formula(condition, a, b):
        return _sheet("IF", condition, a, b)
    if _is_array(condition, a, b):
        import numpy as np

        return np.where(condition, a, b)
    return a if condition else b




def safe_div(a: Number, b: Number) -> Number:
    """a ÷ b, and 0 where b is 0 (an anchor with no AI customers explains nothing)."""
    if _is_formula(a, b):
        from cloudmodel.formula import equal

        return _sheet("IF", equal(b, 0), 0, a / b)
    if _is_array(a, b):
        import numpy as np

        b = np.asarray(b)
        return np.where(b != 0, a / np.where(b != 0, b, 1.0), 0.0 * a)
    return a / b if b != 0 else 0.0 * a
