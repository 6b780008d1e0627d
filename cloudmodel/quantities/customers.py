"""Customers and AI adoption: stocks at quarter ends, their quarter averages, the anchor year.

Time 0 is the end of December 2024 (the as-of date of ``ai.customers_dec2024``). The past
(up to that date) and the future are separate segments of the adoption curve, each with its own
drivers, so that no forward assumption (the CY2025 target, the ceiling, customer growth)
rewrites the history: AI customers in December 2024 are 33万 whatever is assumed about later.
"""

from __future__ import annotations

from ..graph import constant, per_quarter
from ..layers import customers as formula
from ..periods import QUARTERS_PER_YEAR


@per_quarter("cloud.customers")
def cloud_customers(c):
    """Cloud customers at the quarter end [count] = customers.total × (1 + g) ^ years from Dec 2024,
    with g = customers.growth_past up to December 2024 and customers.growth after it."""
    growth = c.driver("customers.growth_past") if c.years <= 0 else c.driver("customers.growth")
    return formula.cloud_customers(c.driver("customers.total"), growth, c.years)


@constant()
def penetration_dec2024(c):
    """AI penetration in December 2024 [ratio] = ai.penetration_dec2024 (33万 ÷ 400万), or the
    restated December 2024 AI customers of an actuals file ÷ cloud customers then."""
    restated = c.actual("cloud.ai.customers", c.t.reference)
    if restated is not None:
        return restated / c("cloud_customers", c.t.reference)
    return c.driver("ai.penetration_dec2024")


@constant()
def penetration_knots(c):
    """Known points of the forward adoption curve [(years, ratio)]: December 2024, the latest
    AI customers reported since (an actuals file), and ai.penetration_target at its date."""
    knots = {0.0: c("penetration_dec2024")}
    later = [q for q in c.observed("cloud.ai.customers") if q > c.t.reference]
    if later:
        q = max(later)
        knots[c.t.years(q)] = c.actual("cloud.ai.customers", q) / c("cloud_customers", q)
    knots[(c.t.target - c.t.reference) / QUARTERS_PER_YEAR] = c.driver("ai.penetration_target")
    return sorted(knots.items())


@per_quarter("cloud.ai.penetration")
def ai_penetration(c):
    """AI penetration at the quarter end [ratio]. Up to December 2024, the back-cast logistic
    p = c₀ / (1 + exp(ln(c₀/p₀ − 1) − k·years)) with c₀ = ai.penetration_ceiling_past and
    k = ai.adoption_rate_past; after it, the logistic through the known points (December 2024,
    any reported since, ai.penetration_target) with ceiling ai.penetration_ceiling."""
    if c.years <= 0:
        return formula.penetration_before(c.years, c("penetration_dec2024"), c.driver("ai.adoption_rate_past"),
                                          c.driver("ai.penetration_ceiling_past"))
    return formula.penetration_through(c.years, c("penetration_knots"), c.driver("ai.penetration_ceiling"))


@per_quarter("cloud.ai.customers")
def ai_customers(c):
    """AI customers at the quarter end [count] = cloud customers × AI penetration."""
    return formula.ai_customers(c("cloud_customers"), c("ai_penetration"))


@per_quarter()
def ai_customers_average(c):
    """AI customers over the quarter [count] = average of the two quarter ends."""
    return (c("ai_customers", c.q - 1) + c("ai_customers")) / 2


@per_quarter()
def cloud_customers_average(c):
    """Cloud customers over the quarter [count] = average of the two quarter ends."""
    return (c("cloud_customers", c.q - 1) + c("cloud_customers")) / 2


@per_quarter()
def new_ai_customers(c):
    """AI customers added in the quarter [count] = AI customers at its end − at the previous end."""
    return c("ai_customers") - c("ai_customers", c.q - 1)


@constant()
def anchor_ai_customer_quarters(c):
    """AI customer-quarters of the anchor year [count] = Σ_anchor AI customers (quarter average)."""
    return c.anchor_sum("ai_customers_average")


@constant()
def anchor_customer_quarters(c):
    """Cloud customer-quarters of the anchor year [count] = Σ_anchor cloud customers (quarter average)."""
    return c.anchor_sum("cloud_customers_average")


@constant()
def anchor_revenue(c):
    """Reported cloud revenue of the anchor year [RMB_mn] = Σ_anchor reported quarters."""
    return sum(c.actual("cloud.revenue", q) for q in c.t.anchor)
