"""Alibaba Group: revenue, adjusted EBITA and Non-GAAP net income around the cloud forecast.

Lines [RMB_mn, fiscal years]: ``group.revenue``, ``group.adj_ebita``,
``group.non_gaap_net_income``, ``group.taotian.revenue``, ``group.taotian.adj_ebita``,
``group.other.revenue``; ``group.revenue_growth`` [ratio].

The group outside cloud is what the report's Table 4 implies once the report's own cloud
forecast (FY2024 reported × its growth, at its margins) is taken out. Group profit then
moves one for one with cloud EBITA (and Taotian EBITA) after tax.
"""

from __future__ import annotations


def grow(previous, growth):
    """A year's value [RMB_mn] = previous year × (1 + growth)."""
    return previous * (1 + growth)


def ex_cloud(group_value, report_cloud_value):
    """The group outside cloud [RMB_mn] = Table 4 figure − the report's own cloud figure."""
    return group_value - report_cloud_value


def group_revenue(cloud_revenue, taotian_revenue, other_revenue):
    """group.revenue [RMB_mn] = cloud + Taotian + the rest of the group."""
    return cloud_revenue + taotian_revenue + other_revenue


def group_adj_ebita(ex_cloud_adj_ebita, cloud_ebita):
    """group.adj_ebita [RMB_mn] = adjusted EBITA outside cloud + cloud adjusted EBITA."""
    return ex_cloud_adj_ebita + cloud_ebita


def non_gaap_net_income(ex_cloud_net_income, cloud_ebita, tax_rate):
    """group.non_gaap_net_income [RMB_mn] = net income outside cloud + cloud EBITA × (1 − group.tax_rate)."""
    return ex_cloud_net_income + cloud_ebita * (1 - tax_rate)
