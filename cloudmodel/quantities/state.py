"""The residual states: what the reported quarters say that the drivers do not (docs/backtesting.md §4).

Two states, each a quantity per quarter with its lineage recorded like every other:

* **Revenue.** A quarter's *gap* is the log ratio of its reported non-AI revenue to the drivers'
  forecast of it (the bases a year earlier grown at their rates): the y/y growth surprise. The
  state is a damped local linear trend — a level and a slope — filtered on the gaps by the
  error-correction recursion of Holt's method (the steady-state Kalman filter of a local linear
  trend): prediction ``p = level + φ·slope``, innovation ``e = gap − p``, then ``level = p + α·e``,
  ``slope = φ·slope + α·β·e``. A forecast quarter's gap is the prediction (plus a simulated shock
  in ``simulate``), so a growth surprise carries, with its trend, into the next quarters.
* **Margin.** A quarter's *margin gap* is reported EBITA over revenue less the EBITA formula's
  margin; the state is a local level, ``level = level + α_m·(gap − level)``. A forecast quarter's
  EBITA is the formula's plus the level times revenue (charged through the shared costs, so the
  layers still add up).

The gains (α, β, φ, α_m) are estimated at each origin from what was reported by then
(:mod:`cloudmodel.living`) and enter as drivers of kind ``estimated``. At the report's own origin
the report's view is the forecast (PRODUCT §7): the states apply nothing there. After the explicit
forecast they fade to nothing with every growth rate (``growth.fade_years``).
"""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import STOCK, line
from cloudmodel.periods import QUARTERS_PER_YEAR
from cloudmodel.quantities.ebita import CLOUD_EBITA

REVENUE_GAP = line("cloud.revenue.gap", "ratio", STOCK, "Growth gap: log of non-AI revenue over the drivers' forecast")
MARGIN_GAP = line("cloud.ebita_margin.gap", "ratio", STOCK, "Margin gap: EBITA margin less the formula's")

LEVEL_GAIN, TREND_GAIN, DAMPING = "living.revenue_level_gain", "living.revenue_trend_gain", "living.revenue_damping"
MARGIN_GAIN = "living.margin_level_gain"


def first_gap_quarter(model):
    """The first quarter with a gap: the first reported quarter with a reported year before it."""
    return model.timeline.first + QUARTERS_PER_YEAR


@constant()
def state_applies(model):
    """Whether the states move the forecast [0 or 1]: 0 in the report's own view (the last reported
    quarter is the report's origin: its drivers explain everything reported to then), else 1."""
    return 0.0 if model.timeline.origin == model.timeline.report_origin else 1.0


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
def revenue_prediction(model):
    """The revenue state's prediction of this quarter's gap [log ratio] = level + φ × slope of the
    quarter before (living.revenue_damping); no value before the first gap's quarter."""
    if model.quarter <= first_gap_quarter(model):
        return None
    return model("revenue_level", model.quarter - 1) + model.driver(DAMPING) * model("revenue_slope", model.quarter - 1)


@per_quarter(REVENUE_GAP)
def revenue_gap(model):
    """The growth gap of a quarter [log ratio]: reported, log(non-AI revenue ÷ the drivers' non-AI
    forecast); in a forecast quarter the prediction plus the simulated shock (0 in a forecast)."""
    if model.quarter < first_gap_quarter(model):
        return None
    if model.quarter <= model.timeline.origin:
        return xp.log(model("non_ai_revenue") / model("non_ai_forecast"))
    prediction = model("revenue_prediction")
    return (0.0 if prediction is None else prediction) + model.shock("revenue")  # no gap known yet: none to carry


@per_quarter()
def revenue_innovation(model):
    """The surprise of a quarter's gap [log ratio] = gap − prediction; no value at the first gap."""
    if model.quarter <= first_gap_quarter(model):
        return None
    return model("revenue_gap") - model("revenue_prediction")


@per_quarter()
def revenue_level(model):
    """The revenue state's level after a quarter [log ratio] = prediction + α × innovation
    (living.revenue_level_gain); the first gap itself at the first gap's quarter."""
    if model.quarter < first_gap_quarter(model):
        return None
    if model.quarter == first_gap_quarter(model):
        return model("revenue_gap")
    return model("revenue_prediction") + model.driver(LEVEL_GAIN) * model("revenue_innovation")


@per_quarter()
def revenue_slope(model):
    """The revenue state's slope after a quarter [log ratio per quarter] = φ × the slope before + α × β ×
    innovation (living.revenue_trend_gain is β); 0 at the first gap's quarter."""
    if model.quarter < first_gap_quarter(model):
        return None
    if model.quarter == first_gap_quarter(model):
        return 0.0
    previous = model("revenue_slope", model.quarter - 1)
    return model.driver(DAMPING) * previous + model.driver(LEVEL_GAIN) * model.driver(TREND_GAIN) * model("revenue_innovation")


@per_quarter()
def revenue_state_factor(model):
    """What the revenue state does to a forecast quarter's non-AI bases [x] = exp(weight × gap); no
    value in a reported quarter."""
    if model.quarter <= model.timeline.origin:
        return None
    return xp.exp(model("state_weight") * model("revenue_gap"))


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
