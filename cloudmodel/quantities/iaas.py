"""IaaS: the anchor-year split, the extra compute of AI customers, the non-AI bases.

The anchor year's IaaS revenue is the residual of the other layers' CY2024 shares; domestic
spend per customer is solved on it, so that the AI uplift and the general base add up to it.
"""

from __future__ import annotations

from ..graph import constant, per_quarter
from ..layers import iaas as formula


@constant("cloud.anchor.iaas_share")
def iaas_share_anchor(c):
    """IaaS share of anchor-year revenue [ratio] = 1 − paas.share − saas.share − solutions.share −
    MaaS share (MaaS built from its parts)."""
    return formula.iaas_share(c.driver("paas.share"), c.driver("saas.share"), c.driver("solutions.share"),
                              c("anchor_maas_revenue") / c("anchor_revenue"))


@constant()
def iaas_anchor(c):
    """IaaS revenue of the anchor year [RMB_mn] = anchor revenue × IaaS share."""
    return c("anchor_revenue") * c("iaas_share_anchor")


@constant()
def domestic_iaas_anchor(c):
    """Domestic IaaS revenue of the anchor year [RMB_mn] = IaaS × (1 − iaas.international_share)."""
    return c("iaas_anchor") * (1 - c.driver("iaas.international_share"))


@constant()
def general_spend_per_customer(c):
    """Domestic IaaS spend per customer-quarter without AI [RMB_mn] = domestic IaaS (anchor) ÷
    Σ_anchor (customers + iaas.ai_compute_uplift × AI customers)."""
    return formula.general_spend_per_customer(c("domestic_iaas_anchor"), c("anchor_customer_quarters"),
                                              c("anchor_ai_customer_quarters"), c.driver("iaas.ai_compute_uplift"))


@per_quarter("cloud.revenue.iaas.ai")
def iaas_ai_compute(c):
    """IaaS: extra compute of AI customers [RMB_mn] = AI customers (quarter average) × spend per
    customer × iaas.ai_compute_uplift."""
    return formula.ai_compute_revenue(c("ai_customers_average"), c("general_spend_per_customer"),
                                      c.driver("iaas.ai_compute_uplift"))


@constant()
def anchor_iaas_ai_compute(c):
    """IaaS AI compute of the anchor year [RMB_mn] = Σ_anchor IaaS AI compute."""
    return c.anchor_sum("iaas_ai_compute")


@constant()
def iaas_domestic_base_anchor(c):
    """Domestic non-AI IaaS of the anchor year [RMB_mn] = domestic IaaS − IaaS AI compute."""
    return c("domestic_iaas_anchor") - c("anchor_iaas_ai_compute")


@constant()
def iaas_international_anchor(c):
    """International IaaS of the anchor year [RMB_mn] = IaaS × iaas.international_share."""
    return c("iaas_anchor") * c.driver("iaas.international_share")
