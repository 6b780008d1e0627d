"""IaaS: the anchor-year split, the extra compute of AI customers, the non-AI bases.

The anchor year's IaaS revenue is the residual of the other layers' CY2024 shares; domestic
spend per customer is solved on it, so that the AI uplift and the general base add up to it.
"""

from __future__ import annotations

from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import FLOW, MONEY, line

IAAS_AI = line("cloud.revenue.iaas.ai", MONEY, FLOW, "IaaS: extra compute of AI customers")


@constant("cloud.anchor.iaas_share")
def iaas_share_anchor(model):
    """IaaS share of anchor-year revenue [ratio] = 1 − paas.share − saas.share − solutions.share −
    MaaS share (MaaS built from its parts)."""
    return (1 - model.driver("paas.share") - model.driver("saas.share") - model.driver("solutions.share")
            - model("anchor_maas_revenue") / model("anchor_revenue"))


@constant()
def iaas_anchor(model):
    """IaaS revenue of the anchor year [RMB_mn] = anchor revenue × IaaS share."""
    return model("anchor_revenue") * model("iaas_share_anchor")


@constant()
def domestic_iaas_anchor(model):
    """Domestic IaaS revenue of the anchor year [RMB_mn] = IaaS × (1 − iaas.international_share)."""
    return model("iaas_anchor") * (1 - model.driver("iaas.international_share"))


@constant()
def general_spend_per_customer(model):
    """Domestic IaaS spend per customer-quarter without AI [RMB_mn] = domestic IaaS (anchor) ÷
    Σ_anchor (customers + iaas.ai_compute_uplift × AI customers)."""
    return model("domestic_iaas_anchor") / (model("anchor_customer_quarters")
                                            + model.driver("iaas.ai_compute_uplift") * model("anchor_ai_customer_quarters"))


@per_quarter(IAAS_AI)
def iaas_ai_compute(model):
    """IaaS: extra compute of AI customers [RMB_mn] = AI customers (quarter average) × spend per
    customer × iaas.ai_compute_uplift."""
    return model("ai_customers_average") * model("general_spend_per_customer") * model.driver("iaas.ai_compute_uplift")


@constant()
def anchor_iaas_ai_compute(model):
    """IaaS AI compute of the anchor year [RMB_mn] = Σ_anchor IaaS AI compute."""
    return model.anchor_sum("iaas_ai_compute")


@constant()
def iaas_domestic_base_anchor(model):
    """Domestic non-AI IaaS of the anchor year [RMB_mn] = domestic IaaS − IaaS AI compute."""
    return model("domestic_iaas_anchor") - model("anchor_iaas_ai_compute")


@constant()
def iaas_international_anchor(model):
    """International IaaS of the anchor year [RMB_mn] = IaaS × iaas.international_share."""
    return model("iaas_anchor") * model.driver("iaas.international_share")
