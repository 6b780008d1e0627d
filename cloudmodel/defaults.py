"""Calendar defaults of the command line and the tables, in one place.

Each default is a function of a driver set (the timeline's helpers will compute them from the
drivers); until those land they are the report's years, written here and nowhere else. The
names ``TARGET_YEAR``, ``YEARS_SHOWN`` and ``SCENARIO_YEARS`` give the same values for option
defaults that need one before any file is read.
"""

from __future__ import annotations

from typing import Any

_TARGET_YEAR = "FY2026"
_YEARS_SHOWN = ("FY2024", "FY2025", "FY2026", "FY2027", "FY2028")


def target_year(drivers: Any = None) -> str:
    """The report's target year: the default period of ``sensitivity``, ``explain`` and the
    valuation, and the year the histogram of the target price is drawn for."""
    return _TARGET_YEAR


def years_shown(drivers: Any = None) -> tuple[str, ...]:
    """Fiscal years the forecast tables show (later ones follow with a longer horizon)."""
    return _YEARS_SHOWN


def scenario_years(drivers: Any = None) -> tuple[str, ...]:
    """Fiscal years a scenario comparison shows."""
    return _YEARS_SHOWN[1:]


def horizon(drivers: Any = None) -> str:
    """The default last quarter of a run: the model's."""
    from .model import DEFAULT_HORIZON

    return DEFAULT_HORIZON


_LAZY = {"TARGET_YEAR": target_year, "YEARS_SHOWN": years_shown, "SCENARIO_YEARS": scenario_years}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(name)


__all__ = ["horizon", "scenario_years", "target_year", "years_shown"]  # and, lazily, SCENARIO_YEARS, TARGET_YEAR, YEARS_SHOWN
