"""Sum-of-the-parts valuation for each fiscal year with Taotian's EBITA (the report's target is FY2026)."""

from __future__ import annotations

from ..graph import per_year
from ..layers import valuation as formula


def _per_ads(c, value):
    return formula.per_ads(value, c.driver("valuation.usd_cny"), c.driver("valuation.ads_count"))


@per_year("valuation.cloud.usd_per_ads")
def cloud_usd_per_ads(c):
    """Cloud value per ADS [USD] = valuation.cloud_ps_multiple × cloud revenue × 10⁶ ÷ valuation.usd_cny ÷
    valuation.ads_count (years with Taotian's EBITA)."""
    if c("taotian_adj_ebita") is None:
        return None
    return _per_ads(c, formula.cloud_value(c("cloud_revenue_fy"), c.driver("valuation.cloud_ps_multiple")))


@per_year("valuation.taotian.usd_per_ads")
def taotian_usd_per_ads(c):
    """Taotian value per ADS [USD] = valuation.taotian_pe_multiple × Taotian EBITA × (1 − group.tax_rate) ×
    10⁶ ÷ valuation.usd_cny ÷ valuation.ads_count."""
    ebita = c("taotian_adj_ebita")
    if ebita is None:
        return None
    return _per_ads(c, formula.taotian_value(ebita, c.driver("group.tax_rate"), c.driver("valuation.taotian_pe_multiple")))


@per_year("valuation.target.usd_per_ads")
def target_usd_per_ads(c):
    """Target price per ADS [USD] = cloud + Taotian per ADS."""
    if c("taotian_adj_ebita") is None:
        return None
    return c("cloud_usd_per_ads") + c("taotian_usd_per_ads")


@per_year("valuation.target.hkd_per_share")
def target_hkd_per_share(c):
    """Target price per Hong Kong share [HKD] = target per ADS ÷ valuation.shares_per_ads × valuation.usd_hkd."""
    if c("taotian_adj_ebita") is None:
        return None
    return formula.hkd_per_share(c("target_usd_per_ads"), c.driver("valuation.shares_per_ads"), c.driver("valuation.usd_hkd"))
