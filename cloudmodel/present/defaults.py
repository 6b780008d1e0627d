"""Calendar defaults of the command line and the tables, in one place — from the drivers and the origin.

No year is written here: the valuation year is the fiscal year after the origin's, the default
horizon adds ``timeline.default_horizon_years`` to it (:mod:`cloudmodel.engine`). Each default is a
function of a driver set and the last reported quarter.
"""

from __future__ import annotations

from typing import Any


def target_year(drivers: Any, origin: int) -> str:
    """The year the target price is set on: the default period of ``sensitivity``, ``explain`` and the
    valuation, and the year the histogram of the target price is drawn for."""
    from cloudmodel.engine import target_year as of

    return of(drivers, origin)


def years_shown(drivers: Any, origin: int) -> tuple[str, ...]:
    """Fiscal years the forecast tables show: the last two years known at the origin, then the forecast
    years to the default horizon (later ones follow with a longer horizon)."""
    from cloudmodel.engine import years_shown as of

    return of(drivers, origin)


def scenario_years(drivers: Any, origin: int) -> tuple[str, ...]:
    """Fiscal years a scenario comparison shows: the origin's last year to the default horizon."""
    from cloudmodel.engine import years_shown as of

    return of(drivers, origin, before=0)


def horizon(drivers: Any, origin: int) -> str:
    """The default last quarter of a run."""
    from cloudmodel.engine import default_horizon

    return default_horizon(drivers, origin)


__all__ = ["horizon", "scenario_years", "target_year", "years_shown"]
