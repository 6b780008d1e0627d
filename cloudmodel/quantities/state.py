"""The residual states: what the reported quarters say that the drivers do not (docs/backtesting.md §4).

Two states, each a quantity per quarter with its lineage recorded like every other:

* **Revenue.** A quarter's *gap* is the log ratio of its reported cloud revenue to the drivers'
  forecast of it (AI revenue + the non-AI bases a year earlier grown at their rates): the y/y growth
  surprise, measured on what is reported (the AI revenue is modelled, not reported). Its *excess* is
  the quarter's log q/q growth less the fiscal quarter's seasonal q/q growth and a quarter of the
  drivers' y/y growth: the deseasonalised growth the drivers do not explain. The state is a local
  linear trend on the log level of revenue over the drivers' path: the level is the reported
  quarter, the slope the latest excess, damped by φ each quarter ahead. A forecast quarter's gap is
  the gap before + its excess − the excess of the same quarter a year earlier (the base effect: the
  y/y gap changes by what is new this quarter less what drops out of the year); the excess is φ ×
  the excess before (plus a simulated shock in ``simulate``). Where the seasonal pattern or the
  excess a year earlier is not known yet, the latest gap carries. The gap is carried by the non-AI
  bases alone, so that cloud revenue is the drivers' forecast × exp(gap) (the AI revenue stays theirs).
* **Margin.** A quarter's *margin gap* is reported EBITA over revenue less the EBITA formula's
  margin; the state is a local level, ``level = level + α_m·(gap − level)``. A forecast quarter's
  EBITA is the formula's plus the level times revenue (charged through the shared costs, so the
  layers still add up).

The seasonal q/q pattern (``living.revenue_season_q1`` … ``_q4``) and the margin gain α_m are
estimated from what was reported by then (:mod:`cloudmodel.living`) and enter as drivers of kind
``estimated``; the damping φ (``living.revenue_damping``) is an assumption of ``drivers/living.toml``. At the report's own origin
the report's view is the forecast (PRODUCT §7): the states apply nothing there. After the explicit
forecast they fade to nothing with every growth rate (``growth.fade_years``).
"""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import STOCK, line
from cloudmodel.periods import QUARTERS_PER_YEAR, fiscal_parts
from cloudmodel.quantities.ebita import CLOUD_EBITA

REVENUE_GAP = line("cloud.revenue.gap", "ratio", STOCK, "Growth gap: log of cloud revenue over the drivers' forecast")
MARGIN_GAP = line("cloud.ebita_margin.gap", "ratio", STOCK, "Margin gap: EBITA margin less the formula's")

DAMPING, MARGIN_GAIN = "living.revenue_damping", "living.margin_level_gain"
#: The seasonal q/q growth of each fiscal quarter [log ratio], estimated at the origin (:mod:`cloudmodel.living`).
SEASON = {k: f"living.revenue_season_q{k}" for k in range(1, QUARTERS_PER_YEAR + 1)}


def first_gap_quarter(model):
    """The first quarter with a gap: the first reported quarter with a reported year before it."""
    return model.timeline.first + QUARTERS_PER_YEAR


def report_view(model):
    """Whether the run is the report's own view: the last reported quarter is the report's origin."""
    return model.timeline.origin == model.timeline.report_origin


@constant()
def state_applies(model):
    """Whether the states move the forecast [0 or 1]: 0 in the report's own view (the last reported
    quarter is the report's origin: its drivers explain everything reported to then), else 1."""
    return 0.0 if report_view(model) else 1.0


@per_quarter()
def state_weight(model):
    """Weight of the states in a forecast quarter [x] = state_applies × (1 − clip((years − fade
    start) ÷ growth.fade_years, 0, 1)): whole through the explicit forecast, fading to nothing with the
    growth rates after it."""
    fade_start = model.timeline.years(model.timeline.fade_start)
    if model.years <= fade_start:
        return model("state_applies")
    into = (model.years - fade_start) / model.driver("growth.fade_years")
    return model("state_applies") * (1 - xp.clip(into, 0.0, 1.0))


@per_quarter()
def revenue_forecast_total(model):
    """The drivers' forecast of a quarter's cloud revenue, before any residual state [RMB_mn] = AI
    revenue + the non-AI bases a year earlier × (1 + their growth); no value before a year of quarters."""
    non_ai = model("non_ai_forecast")
    return None if non_ai is None else model("cloud_ai_revenue") + non_ai


@per_quarter(REVENUE_GAP)
def revenue_gap(model):
    """The growth gap of a quarter [log ratio]: reported, log(cloud revenue ÷ the drivers' forecast of
    it); in a forecast quarter the gap before + this quarter's excess − the excess a year earlier (the
    latest gap carries where either is unknown), plus the simulated shock where there is no excess."""
    if model.quarter < first_gap_quarter(model):
        return None
    if model.quarter <= model.timeline.origin:
        return xp.log(model("cloud_revenue") / model("revenue_forecast_total"))
    before = model("revenue_gap", model.quarter - 1)
    before = 0.0 if before is None else before  # no gap known yet: none to carry
    excess, year_ago = model("revenue_excess"), model("revenue_excess", model.quarter - QUARTERS_PER_YEAR)
    if excess is None or year_ago is None:
        return before + model.shock("revenue")
    return before + excess - year_ago


@per_quarter()
def revenue_excess(model):
    """The deseasonalised growth the drivers do not explain [log ratio per quarter]. Reported, in the
    first year with a gap: log(cloud revenue ÷ the quarter before's) − the fiscal quarter's seasonal
    growth (living.revenue_season_q*) − ¼ × log(the drivers' forecast ÷ cloud revenue a year earlier);
    reported later: the gap − the gap before + the excess a year earlier (the same identity the
    forecast quarters follow, so a quarter reported as forecast has the excess forecast). In a forecast
    quarter φ × the excess before (living.revenue_damping) plus the simulated shock. No value before
    the seasonal pattern is known."""
    season = SEASON[fiscal_parts(model.quarter)[1]]
    if not model.has(season) or model.quarter < first_gap_quarter(model):
        return None
    if model.quarter <= model.timeline.origin:
        if model.quarter >= first_gap_quarter(model) + QUARTERS_PER_YEAR:
            gap_change = model("revenue_gap") - model("revenue_gap", model.quarter - 1)
            return gap_change + model("revenue_excess", model.quarter - QUARTERS_PER_YEAR)
        revenue, before = model("cloud_revenue"), model("cloud_revenue", model.quarter - 1)
        drivers_growth = xp.log(model("revenue_forecast_total") / model("cloud_revenue", model.quarter - QUARTERS_PER_YEAR))
        return xp.log(revenue / before) - model.driver(season) - drivers_growth / QUARTERS_PER_YEAR
    before = model("revenue_excess", model.quarter - 1)
    if before is None:
        return None
    return model.driver(DAMPING) * before + model.shock("revenue")


@per_quarter()
def revenue_innovation(model):
    """The surprise of a reported quarter's gap [log ratio] = gap − (gap before + φ × excess before −
    the excess a year earlier), or gap − gap before where those are unknown (the one-step error of
    the forecast the quarter before made); no value at the first gap."""
    if model.quarter <= first_gap_quarter(model) or model.quarter > model.timeline.origin:
        return None
    before = model("revenue_gap", model.quarter - 1)
    excess, year_ago = model("revenue_excess", model.quarter - 1), model("revenue_excess", model.quarter - QUARTERS_PER_YEAR)
    if excess is None or year_ago is None:
        return model("revenue_gap") - before
    return model("revenue_gap") - (before + model.driver(DAMPING) * excess - year_ago)


#: The least the revenue state leaves of the drivers' non-AI forecast [x]: a gap so negative that the
#: non-AI revenue would fall to nothing or below (cloud revenue under the drivers' AI revenue) is
#: floored at 0.1% of it, so that every figure stays finite and positive. Our rule; the shipped
#: history's gaps leave the factor between 0.9 and 1.3.
NON_AI_FLOOR = 1e-3


@per_quarter()
def revenue_state_factor(model):
    """What the revenue state does to a forecast quarter's non-AI bases [x] = max(1 + (exp(weight ×
    gap) − 1) × the drivers' total forecast ÷ their non-AI forecast, NON_AI_FLOOR): the gap, measured
    on cloud revenue, carried by the non-AI revenue alone, so that cloud revenue is the drivers'
    forecast × exp(weight × gap) exactly; 1 in the report's own view (which reads no state); no value
    in a reported quarter."""
    if model.quarter <= model.timeline.origin:
        return None
    if report_view(model):
        return 1.0
    carried = model("revenue_forecast_total") / model("non_ai_forecast")
    return xp.maximum(1 + (xp.exp(model("state_weight") * model("revenue_gap")) - 1) * carried, NON_AI_FLOOR)


@per_quarter(MARGIN_GAP)
def margin_gap(model):
    """The margin gap of a quarter [ratio]: reported, reported EBITA ÷ revenue − the EBITA formula ÷
    revenue; in a forecast quarter the margin state's level before it plus the simulated shock."""
    if model.quarter <= model.timeline.origin:
        reported = model.actual(CLOUD_EBITA)
        if reported is None:
            return None
        return (reported - model("ebita_formula")) / model("cloud_revenue")
    return model("margin_level", model.quarter - 1) + model.shock("margin")


@per_quarter()
def margin_level(model):
    """The margin state's level after a quarter [ratio] = level before + α_m × (gap − level before)
    (living.margin_level_gain); the gap itself at the first quarter with reported EBITA."""
    gap = model("margin_gap")
    before = model("margin_level", model.quarter - 1) if model.quarter > model.timeline.first else None
    if gap is None or before is None:  # no reported EBITA this quarter: the level carries
        return before if gap is None else gap
    return before + model.driver(MARGIN_GAIN) * (gap - before)


@per_quarter()
def margin_state(model):
    """What the margin state adds to a forecast quarter's EBITA margin [ratio] = weight × margin gap;
    no value in a reported quarter."""
    if model.quarter <= model.timeline.origin:
        return None
    return model("state_weight") * model("margin_gap")
