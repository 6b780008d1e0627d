"""Customers and AI adoption: stocks at quarter ends, their quarter averages, the anchor year.

Time 0 is the end of December 2024 (the as-of date of ``ai.customers_dec2024``). The past
(up to that date) and the future are separate segments of the adoption curve, each with its own
drivers, so that no forward assumption (the CY2025 target, the ceiling, customer growth)
rewrites the history: AI customers in December 2024 are 33万 whatever is assumed about later.
"""

from __future__ import annotations

from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import STOCK, line
from cloudmodel.periods import QUARTERS_PER_YEAR
from cloudmodel.quantities import curves

CLOUD_CUSTOMERS = line("cloud.customers", "count", STOCK, "Cloud customers")
AI_CUSTOMERS = line("cloud.ai.customers", "count", STOCK, "AI customers", metric="ai_customers")  # none shipped: an actuals file may give them
AI_PENETRATION = line("cloud.ai.penetration", "ratio", STOCK, "AI penetration")


@per_quarter(CLOUD_CUSTOMERS, path=True)
def cloud_customers(model):
    """Cloud customers at the quarter end [count] = customers.total × (1 + g) ^ years from Dec 2024,
    with g = customers.growth_past up to December 2024 and customers.growth after it."""
    growth = model.driver("customers.growth_past") if model.years <= 0 else model.driver("customers.growth")
    return model.driver("customers.total") * (1 + growth) ** model.years


@constant()
def penetration_dec2024(model):
    """AI penetration in December 2024 [ratio] = ai.penetration_dec2024 (33万 ÷ 400万), or the
    restated December 2024 AI customers of an actuals file ÷ cloud customers then."""
    restated = model.actual(AI_CUSTOMERS, model.timeline.reference)
    if restated is not None:
        return restated / model("cloud_customers", model.timeline.reference)
    return model.driver("ai.penetration_dec2024")


@constant()
def penetration_knots(model):
    """Known points of the forward adoption curve [(years, ratio)]: December 2024, the latest
    AI customers reported since (an actuals file), and ai.penetration_target at its date."""
    knots = {0.0: model("penetration_dec2024")}
    later = [quarter for quarter in model.observed(AI_CUSTOMERS) if quarter > model.timeline.reference]
    if later:
        latest = max(later)
        knots[model.timeline.years(latest)] = model.actual(AI_CUSTOMERS, latest) / model("cloud_customers", latest)
    knots[(model.timeline.target - model.timeline.reference) / QUARTERS_PER_YEAR] = model.driver("ai.penetration_target")
    return sorted(knots.items())


@per_quarter(AI_PENETRATION, path="ai.penetration_ceiling")
def ai_penetration(model):
    """AI penetration at the quarter end [ratio]. Up to December 2024, the back-cast logistic
    p = c₀ / (1 + exp(ln(c₀/p₀ − 1) − k·years)) with c₀ = ai.penetration_ceiling_past and
    k = ai.adoption_rate_past; after it, the logistic through the known points (December 2024,
    any reported since, ai.penetration_target) with ceiling ai.penetration_ceiling."""
    if model.years <= 0:
        return curves.penetration_before(model.years, model("penetration_dec2024"), model.driver("ai.adoption_rate_past"),
                                         model.driver("ai.penetration_ceiling_past"))
    return curves.penetration_through(model.years, model("penetration_knots"), model.driver("ai.penetration_ceiling"))


@per_quarter(AI_CUSTOMERS)
def ai_customers(model):
    """AI customers at the quarter end [count] = cloud customers × AI penetration."""
    return model("cloud_customers") * model("ai_penetration")


@per_quarter()
def ai_customers_average(model):
    """AI customers over the quarter [count] = average of the two quarter ends."""
    return (model("ai_customers", model.quarter - 1) + model("ai_customers")) / 2


@per_quarter()
def cloud_customers_average(model):
    """Cloud customers over the quarter [count] = average of the two quarter ends."""
    return (model("cloud_customers", model.quarter - 1) + model("cloud_customers")) / 2


@per_quarter()
def new_ai_customers(model):
    """AI customers added in the quarter [count] = AI customers at its end − at the previous end."""
    return model("ai_customers") - model("ai_customers", model.quarter - 1)


@constant()
def anchor_ai_customer_quarters(model):
    """AI customer-quarters of the anchor year [count] = Σ_anchor AI customers (quarter average)."""
    return model.anchor_sum("ai_customers_average")


@constant()
def anchor_customer_quarters(model):
    """Cloud customer-quarters of the anchor year [count] = Σ_anchor cloud customers (quarter average)."""
    return model.anchor_sum("cloud_customers_average")


@constant()
def anchor_revenue(model):
    """Reported cloud revenue of the anchor year [RMB_mn] = Σ_anchor reported quarters."""
    return sum(model.actual("cloud.revenue", quarter) for quarter in model.timeline.anchor)
