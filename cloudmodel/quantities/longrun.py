"""The fade of growth rates to the long run, as the quantities read it (no quantities here).

See :func:`cloudmodel.quantities.curves.log_growth`: after the end of ``growth.fade_years``'s period each rate
fades over ``growth.fade_years`` years to ``growth.terminal_rate`` (money) or to 0 (volumes).
"""

from __future__ import annotations

from cloudmodel.quantities import curves


def money_growth(model, rate, start, end):
    """Growth factor of a money amount growing at ``rate`` from ``start`` to ``end`` [x], fading to
    growth.terminal_rate after the fade start."""
    return _factor(model, rate, start, end, lambda: model.driver("growth.terminal_rate"))


def volume_growth(model, rate, start, end):
    """Growth factor of a volume growing at ``rate`` from ``start`` to ``end`` [x], fading to 0
    (saturation) after the fade start."""
    return _factor(model, rate, start, end, lambda: 0.0)


def _factor(model, rate, start, end, terminal):
    """(1 + rate)^(end − start) up to the fade start (the long-run drivers are not read there, so
    they are in no line's lineage for a horizon that ends before it); the faded path after."""
    fade_start = model.timeline.years(model.timeline.fade_start)
    if end <= fade_start:
        span = end - start
        return 1 + rate if span == 1 else (1 + rate) ** span
    return curves.growth_factor(start, end, rate, terminal(), fade_start, model.driver("growth.fade_years"))
