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

from .. import xp

READS = ("customers.total", "customers.growth", "ai.customers_dec2024", "ai.penetration_dec2024",
         "ai.penetration_target", "ai.penetration_ceiling")

_EPS = 1e-12


def cloud_customers(customers_total, customers_growth, years):
    """cloud.customers [count] = customers.total × (1 + customers.growth) ** years."""
    return customers_total * (1 + customers_growth) ** years


def _logit(p, c):
    return xp.log(c / xp.clip(p, _EPS * c, c * (1 - _EPS)) - 1)


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
    p = c / (1 + xp.exp(xp.clip(level, -700, 700)))
    return xp.where((penetration_start + penetration_target) > 0, p, 0 * p)


def reanchored(years_actual, penetration_actual, penetration_start, penetration_target, penetration_ceiling,
               years_to_target):
    """Points (p_start, p_target, years_start, years_to_target) of a curve re-anchored on an
    actual penetration at ``years_actual``: before the target date, the curve runs from the
    actual to the target; after it, it keeps the original slope of L through the actual."""
    if years_actual < years_to_target:
        return penetration_actual, penetration_target, years_actual, years_to_target
    c = penetration_ceiling
    slope = _logit(penetration_target, c) - _logit(penetration_start, c)  # per years_to_target
    later = c / (1 + xp.exp(xp.clip(_logit(penetration_actual, c) + slope, -700, 700)))
    return penetration_actual, later, years_actual, years_actual + years_to_target


def ai_customers(customers, penetration):
    """cloud.ai.customers [count] = cloud.customers × cloud.ai.penetration."""
    return customers * penetration
