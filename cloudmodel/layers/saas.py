"""SaaS: the non-AI base plus AI applications (smart customer service and the like).

Lines: ``cloud.revenue.saas`` [RMB_mn], ``cloud.revenue.saas.ai`` [RMB_mn]; AI applications
scale with AI customers from their CY2024 level ``saas.smart_customer_service_cy2024``.
"""

from __future__ import annotations

from cloudmodel.layers.paas import ai_pull_through, pull_through_per_customer  # same formulas as PaaS


def saas_revenue(base, ai):
    """cloud.revenue.saas [RMB_mn] = non-AI base + AI applications."""
    return base + ai


__all__ = ["ai_pull_through", "pull_through_per_customer", "saas_revenue"]
