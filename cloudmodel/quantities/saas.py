"""SaaS: AI applications (smart customer service), scaling with AI customers."""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import FLOW, MONEY, line

SAAS_AI = line("cloud.revenue.saas.ai", MONEY, FLOW, "SaaS: AI applications")


@constant()
def saas_ai_per_customer(model):
    """SaaS AI applications per AI customer-quarter [RMB_mn] = saas.smart_customer_service_cy2024 ÷
    Σ_anchor AI customers (0 when the anchor year had none)."""
    return xp.safe_div(model.driver("saas.smart_customer_service_cy2024"), model("anchor_ai_customer_quarters"))


@per_quarter(SAAS_AI)
def saas_ai(model):
    """SaaS: AI applications [RMB_mn] = per-customer amount × AI customers (quarter average)."""
    return model("saas_ai_per_customer") * model("ai_customers_average")


@constant()
def saas_base_anchor(model):
    """Non-AI SaaS of the anchor year [RMB_mn] = anchor revenue × saas.share − saas.smart_customer_service_cy2024."""
    return model("anchor_revenue") * model.driver("saas.share") - model.driver("saas.smart_customer_service_cy2024")
