"""IaaS: domestic general compute, international, and the extra compute of AI workloads.

Lines: ``cloud.revenue.iaas`` [RMB_mn] = domestic base + international + AI uplift;
``cloud.revenue.iaas.international``, ``cloud.revenue.iaas.ai``. GPU leasing to customers
outside MaaS is part of the AI uplift (the report gives it no separate figure); GPU leasing
of MaaS customers is MaaS (收入计入 MaaS 板块，而非 IaaS).
"""

from __future__ import annotations


def iaas_share(paas_share, saas_share, solutions_share, maas_share):
    """IaaS share of CY2024 revenue [ratio] = 1 − PaaS − SaaS − solutions − MaaS (the residual)."""
    return 1 - paas_share - saas_share - solutions_share - maas_share


def general_spend_per_customer(domestic_iaas_anchor, customer_quarters, ai_customer_quarters, ai_compute_uplift):
    """Domestic IaaS spend per customer-quarter without AI [RMB_mn].

    = domestic IaaS in the anchor year ÷ Σ(customers + uplift × AI customers) over its quarters,
    since an AI customer consumes (1 + iaas.ai_compute_uplift) times the compute of another.
    """
    return domestic_iaas_anchor / (customer_quarters + ai_compute_uplift * ai_customer_quarters)


def ai_compute_revenue(ai_customers_average, general_spend, ai_compute_uplift):
    """cloud.revenue.iaas.ai [RMB_mn] = AI customers (quarter average) × spend × iaas.ai_compute_uplift."""
    return ai_customers_average * general_spend * ai_compute_uplift


def grown(last_year_same_quarter, growth):
    """A non-AI base [RMB_mn] = the same quarter a year earlier × (1 + growth)."""
    return last_year_same_quarter * (1 + growth)


def iaas_revenue(domestic_base, international, ai_compute):
    """cloud.revenue.iaas [RMB_mn] = domestic base + international + AI compute."""
    return domestic_base + international + ai_compute
