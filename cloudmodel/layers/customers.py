"""Customers and AI adoption.

Lines: ``cloud.customers`` [count, stock], ``cloud.ai.penetration`` [ratio, stock],
``cloud.ai.customers`` [count, stock]. Time ``years`` is measured from the end of
December 2024 (the as-of date of ``ai.customers_dec2024``).

The adoption curve is a logistic with a ceiling: it passes through the December 2024
penetration and the CY2025 target exactly and flattens towards ``ai.penetration_ceiling``.
A logistic (rather than Bass) needs only the two points the report gives plus a ceiling,
has a closed form, and is monotone, so it vectorises and back-casts to the history.
"""

from __future__ import annotations

from cloudmodel import xp

_EPS = 1e-12

#: The largest exponent the logistic takes: exp(710) overflows a float64, and beyond ±700 the
#: curve is at its floor or its ceiling to the last bit anyway.
EXP_LIMIT = 700


def cloud_customers(customers_total, customers_growth, years):
    """cloud.customers [count] = customers.total × (1 + customers.growth) ** years."""
    return customers_total * (1 + customers_growth) ** years


#: The smallest odds the logit takes: in float32 a penetration clipped just below its ceiling rounds
#: to it (odds 0, log −∞); 1e-30 is representable there and already at the ceiling to the last bit.
_MIN_ODDS = 1e-30


def _logit(p, c):
    return xp.log(xp.maximum(c / xp.clip(p, _EPS * c, c * (1 - _EPS)) - 1, _MIN_ODDS))


def ai_penetration(years, penetration_start, penetration_target, penetration_ceiling, years_to_target, years_start=0.0):
    """cloud.ai.penetration [ratio] = c / (1 + exp(L(years))), the logistic with ceiling c.

    L is linear in time through L0 = ln(c / p0 − 1) at ``years_start`` (0: December 2024) and
    L1 = ln(c / p1 − 1) at ``years_to_target``, so p = p0 = ai.penetration_dec2024 at the start
    and p = p1 = ai.penetration_target at the target date. Penetrations are clipped inside
    (0, c); both zero gives zero.
    """
    c = penetration_ceiling
    l0, l1 = _logit(penetration_start, c), _logit(penetration_target, c)
    level = l0 + (l1 - l0) * (years - years_start) / (years_to_target - years_start)
    p = c / (1 + xp.exp(xp.clip(level, -EXP_LIMIT, EXP_LIMIT)))
    return xp.where((penetration_start + penetration_target) > 0, p, 0 * p)


def penetration_through(years, knots, penetration_ceiling):
    """cloud.ai.penetration [ratio] on a logistic path through several known points.

    ``knots`` are (years, penetration) pairs in time order — the December 2024 figure, an
    actual reported since (roll-forward) and the CY2025 target. L = ln(c/p − 1) is linear
    between neighbouring knots and continues the first and last segments beyond them, so the
    path meets every known point and with two knots is :func:`ai_penetration`."""
    i = 0
    while i < len(knots) - 2 and years > knots[i + 1][0]:
        i += 1
    (t0, p0), (t1, p1) = knots[i], knots[i + 1]
    return ai_penetration(years, p0, p1, penetration_ceiling, t1, t0)


def penetration_before(years, penetration_start, rate, ceiling):
    """cloud.ai.penetration [ratio] before the start date (the back-cast): the logistic
    p = c / (1 + exp(L0 − rate × years)) with L0 = ln(c / p0 − 1), so p = p0 at ``years`` = 0 and
    the log-odds fall by ``rate`` a year going back; zero when p0 is zero."""
    level = _logit(penetration_start, ceiling) - rate * years
    p = ceiling / (1 + xp.exp(xp.clip(level, -EXP_LIMIT, EXP_LIMIT)))
    return xp.where(penetration_start > 0, p, 0 * p)


def ai_customers(customers, penetration):
    """cloud.ai.customers [count] = cloud.customers × cloud.ai.penetration."""
    return customers * penetration
