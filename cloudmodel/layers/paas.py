"""PaaS: the non-AI base plus AI pull-through (content moderation, RAG, knowledge bases,
search, databases for AI).

Lines: ``cloud.revenue.paas`` [RMB_mn], ``cloud.revenue.paas.ai`` [RMB_mn]. AI pull-through
is proportional to AI customers: its CY2024 level is content moderation
(``paas.content_moderation_cy2024``) plus the part of the report's CY2024 AI revenue
(``ai.revenue_cy2024``) that no other layer explains.
"""

from __future__ import annotations

from .. import xp

READS = ("paas.share", "paas.gross_margin", "paas.content_moderation_cy2024", "ai.revenue_cy2024")


def ai_pull_through(anchor_amount, ai_customers_average, anchor_ai_customer_quarters):
    """AI pull-through [RMB_mn] = anchor-year amount × AI customers (quarter average) ÷ Σ anchor AI customers."""
    return xp.safe_div(anchor_amount * ai_customers_average, anchor_ai_customer_quarters)


def other_ai_revenue(ai_revenue_anchor, maas_anchor, smart_customer_service, content_moderation, iaas_ai_anchor):
    """AI revenue of the anchor year not explained elsewhere [RMB_mn], booked to PaaS:
    ai.revenue_cy2024 − MaaS − smart customer service − content moderation − IaaS AI compute."""
    return ai_revenue_anchor - maas_anchor - smart_customer_service - content_moderation - iaas_ai_anchor


def paas_revenue(base, ai):
    """cloud.revenue.paas [RMB_mn] = non-AI base + AI pull-through."""
    return base + ai
