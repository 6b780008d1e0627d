"""PaaS: the AI pull-through (content moderation and the AI revenue no other layer explains)."""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import FLOW, MONEY, line

PAAS_AI = line("cloud.revenue.paas.ai", MONEY, FLOW, "PaaS: AI pull-through")


@constant("cloud.anchor.other_ai_revenue")
def other_ai_revenue_anchor(model):
    """AI revenue of the anchor year not explained elsewhere, booked to PaaS [RMB_mn] =
    ai.revenue_cy2024 − MaaS − saas.smart_customer_service_cy2024 − paas.content_moderation_cy2024 −
    IaaS AI compute."""
    return (model.driver("ai.revenue_cy2024") - model("anchor_maas_revenue") - model.driver("saas.smart_customer_service_cy2024")
            - model.driver("paas.content_moderation_cy2024") - model("anchor_iaas_ai_compute"))


@constant()
def paas_ai_anchor(model):
    """PaaS AI pull-through of the anchor year [RMB_mn] = paas.content_moderation_cy2024 + the other AI revenue."""
    return model.driver("paas.content_moderation_cy2024") + model("other_ai_revenue_anchor")


@constant()
def paas_ai_per_customer(model):
    """PaaS AI pull-through per AI customer-quarter [RMB_mn] = anchor amount ÷ Σ_anchor AI customers
    (0 when the anchor year had none)."""
    return xp.safe_div(model("paas_ai_anchor"), model("anchor_ai_customer_quarters"))


@per_quarter(PAAS_AI)
def paas_ai(model):
    """PaaS: AI pull-through [RMB_mn] = per-customer amount × AI customers (quarter average)."""
    return model("paas_ai_per_customer") * model("ai_customers_average")


@constant()
def paas_base_anchor(model):
    """Non-AI PaaS of the anchor year [RMB_mn] = anchor revenue × paas.share − PaaS AI pull-through."""
    return model("anchor_revenue") * model.driver("paas.share") - model("paas_ai_anchor")
