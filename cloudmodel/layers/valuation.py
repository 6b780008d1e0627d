"""Sum-of-the-parts valuation per ADS and per Hong Kong share.

Lines, for each fiscal year's figures: ``valuation.cloud.usd_per_ads``,
``valuation.taotian.usd_per_ads``, ``valuation.target.usd_per_ads`` [USD] and
``valuation.target.hkd_per_share`` [HKD]. The report's target is the FY2026 row.
"""

from __future__ import annotations

from cloudmodel.layers.constants import RMB_PER_MILLION


def per_ads(value_rmb_mn, usd_cny, ads_count):
    """USD per ADS = value [RMB_mn] × 10⁶ ÷ valuation.usd_cny ÷ valuation.ads_count [count]."""
    return value_rmb_mn * RMB_PER_MILLION / usd_cny / ads_count


def cloud_value(cloud_revenue, ps_multiple):
    """Cloud equity value [RMB_mn] = valuation.cloud_ps_multiple × cloud revenue."""
    return ps_multiple * cloud_revenue


def taotian_value(taotian_adj_ebita, tax_rate, pe_multiple):
    """Taotian equity value [RMB_mn] = valuation.taotian_pe_multiple × adjusted EBITA × (1 − tax)."""
    return pe_multiple * taotian_adj_ebita * (1 - tax_rate)


def hkd_per_share(usd_per_ads, shares_per_ads, usd_hkd):
    """HKD per Hong Kong share = USD per ADS ÷ valuation.shares_per_ads × valuation.usd_hkd."""
    return usd_per_ads / shares_per_ads * usd_hkd
