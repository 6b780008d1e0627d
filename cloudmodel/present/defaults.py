"""Calendar defaults of the command line and the tables, in one place — from the drivers.

No year is written here: the report's target years are the periods of its target drivers
(``targets.cloud_revenue_growth_fy*``), the default horizon adds ``timeline.default_horizon_years``
to the last of them (:mod:`cloudmodel.engine`). Each default is a function of a driver set;
the names ``TARGET_YEAR``, ``YEARS_SHOWN`` and ``SCENARIO_YEARS`` are computed from the shipped
drivers on first use, for option defaults that need a value before any file is read.
"""

from __future__ import annotations

from typing import Any


def _drivers(drivers: Any = None) -> Any:
    if drivers is not None:
        return drivers
    from cloudmodel.model import load_drivers

    return load_drivers()


def target_year(drivers: Any = None) -> str:
    """The report's target year: the default period of ``sensitivity``, ``explain`` and the
    valuation, and the year the histogram of the target price is drawn for."""
    from cloudmodel.engine import target_year as of

    return of(_drivers(drivers))


def years_shown(drivers: Any = None) -> tuple[str, ...]:
    """Fiscal years the forecast tables show: from the year before the report's first target year
    to the default horizon (later ones follow with a longer horizon)."""
    from cloudmodel.engine import years_shown as of

    return of(_drivers(drivers))


def scenario_years(drivers: Any = None) -> tuple[str, ...]:
    """Fiscal years a scenario comparison shows: the report's target years to the default horizon."""
    from cloudmodel.engine import years_shown as of

    return of(_drivers(drivers), before=0)


def horizon(drivers: Any = None) -> str:
    """The default last quarter of a run."""
    from cloudmodel.engine import default_horizon

    return default_horizon(_drivers(drivers))


_LAZY = {"TARGET_YEAR": target_year, "YEARS_SHOWN": years_shown, "SCENARIO_YEARS": scenario_years}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(name)


__all__ = ["horizon", "scenario_years", "target_year", "years_shown"]  # and, lazily, SCENARIO_YEARS, TARGET_YEAR, YEARS_SHOWN
