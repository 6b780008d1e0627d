"""The fade of growth rates to the long run, as the quantities read it (no quantities here).

See :mod:`cloudmodel.layers.growth`: after the end of ``growth.fade_years``'s period each rate
fades over ``growth.fade_years`` years to ``growth.terminal_rate`` (money) or to 0 (volumes).
"""

from __future__ import annotations

from cloudmodel.layers import growth as formula


def money_growth(model, rate, start, end):
    """Growth factor of a money amount growing at ``rate`` from ``start`` to ``end`` [x], fading to
    growth.terminal_rate after the fade start."""
    return formula.growth_factor(start, end, rate, model.driver("growth.terminal_rate"),
                                 model.timeline.years(model.timeline.fade_start), model.driver("growth.fade_years"))


def volume_growth(model, rate, start, end):
    """Growth factor of a volume growing at ``rate`` from ``start`` to ``end`` [x], fading to 0
    (saturation) after the fade start."""
    return formula.growth_factor(start, end, rate, 0.0, model.timeline.years(model.timeline.fade_start),
                                 model.driver("growth.fade_years"))
