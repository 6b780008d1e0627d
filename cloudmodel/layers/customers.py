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


def ai_penetration(years, penetration_start, penetration_target, penetration_ceiling, years_to_target):
    """cloud.ai.penetration [ratio] = c / (1 + exp(L(years))), the logistic with ceiling c.

    L is linear in time through L0 = ln(c / p0 − 1) at 0 and L1 = ln(c / p1 − 1) at
    ``years_to_target``, so p(0) = p0 = ai.penetration_dec2024 and p(T) = p1 =
    ai.penetration_target. Penetrations are clipped inside (0, c); both zero gives zero.
    """
    c = penetration_ceiling
    p0 = xp.clip(penetration_start, _EPS * c, c * (1 - _EPS))
    p1 = xp.clip(penetration_target, _EPS * c, c * (1 - _EPS))
    l0 = xp.log(c / p0 - 1)
    l1 = xp.log(c / p1 - 1)
    level = l0 + (l1 - l0) * years / years_to_target
    p = c / (1 + xp.exp(xp.clip(level, -700, 700)))
    return xp.where((penetration_start + penetration_target) > 0, p, 0 * p)


def ai_customers(customers, penetration):
    """cloud.ai.customers [count] = cloud.customers × cloud.ai.penetration."""
    return customers * penetration
