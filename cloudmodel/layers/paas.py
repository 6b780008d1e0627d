"""PaaS: the non-AI base plus AI pull-through (content moderation, RAG, knowledge bases,
search, databases for AI).

Lines: ``cloud.revenue.paas`` [RMB_mn], ``cloud.revenue.paas.ai`` [RMB_mn]. AI pull-through
is proportional to AI customers: its CY2024 level is content moderation
(``paas.content_moderation_cy2024``) plus the part of the report's CY2024 AI revenue
(``ai.revenue_cy2024``) that no other layer explains.
"""

from __future__ import annotations

from cloudmodel import xp


def pull_through_per_customer(anchor_amount, anchor_ai_customer_quarters):
    """AI pull-through per AI customer-quarter [RMB_mn] = anchor-year amount ÷ Σ anchor AI customers
    (0 when the anchor year had none)."""
    return xp.safe_div(anchor_amount, anchor_ai_customer_quarters)


def ai_pull_through(per_customer, ai_customers_average):
    """AI pull-through [RMB_mn] = per-customer amount × AI customers (quarter average)."""
    return per_customer * ai_customers_average


def other_ai_revenue(ai_revenue_anchor, maas_anchor, smart_customer_service, content_moderation, iaas_ai_anchor):
    """AI revenue of the anchor year not explained elsewhere [RMB_mn], booked to PaaS:
    ai.revenue_cy2024 − MaaS − smart customer service − content moderation − IaaS AI compute."""
    return ai_revenue_anchor - maas_anchor - smart_customer_service - content_moderation - iaas_ai_anchor


def paas_revenue(base, ai):
    """cloud.revenue.paas [RMB_mn] = non-AI base + AI pull-through."""
    return base + ai
