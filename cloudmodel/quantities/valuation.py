"""Sum-of-the-parts valuation for each fiscal year with Taotian's EBITA (the report's target is FY2026)."""

from __future__ import annotations

from cloudmodel.graph import constant, per_year
from cloudmodel.lines import STOCK, line
from cloudmodel.units import RMB_PER_MILLION

CLOUD_VALUE = line("valuation.cloud.usd_per_ads", "USD", STOCK, "Cloud value per ADS")
TAOTIAN_VALUE = line("valuation.taotian.usd_per_ads", "USD", STOCK, "Taotian value per ADS")
TARGET_USD = line("valuation.target.usd_per_ads", "USD", STOCK, "Target price per ADS",
                  terms=((CLOUD_VALUE, 1), (TAOTIAN_VALUE, 1)))
TARGET_HKD = line("valuation.target.hkd_per_share", "HKD", STOCK, "Target price per HK share")


@constant()
def ads_outstanding(model):
    """ADS-equivalents outstanding [count]: the latest ordinary share count reported by the origin ÷
    valuation.shares_per_ads when it is later than valuation.ordinary_shares' date; else valuation.ads_count."""
    latest = model.history.latest_shares()
    if latest is not None and latest[0] > model.timeline.shares_as_of:
        return latest[1] / model.driver("valuation.shares_per_ads")
    return model.driver("valuation.ads_count")


def _per_ads(model, value):
    """USD per ADS of a value [RMB_mn] = value × 10⁶ ÷ valuation.usd_cny ÷ ADS outstanding."""
    return value * RMB_PER_MILLION / model.driver("valuation.usd_cny") / model("ads_outstanding")


@per_year(CLOUD_VALUE)
def cloud_usd_per_ads(model):
    """Cloud value per ADS [USD] = valuation.cloud_ps_multiple × cloud revenue × 10⁶ ÷ valuation.usd_cny ÷
    valuation.ads_count (years with Taotian's EBITA)."""
    if model("taotian_adj_ebita") is None:
        return None
    return _per_ads(model, model.driver("valuation.cloud_ps_multiple") * model("cloud_revenue_fy"))


@per_year(TAOTIAN_VALUE)
def taotian_usd_per_ads(model):
    """Taotian value per ADS [USD] = valuation.taotian_pe_multiple × Taotian EBITA × (1 − group.tax_rate) ×
    10⁶ ÷ valuation.usd_cny ÷ valuation.ads_count."""
    ebita = model("taotian_adj_ebita")
    if ebita is None:
        return None
    return _per_ads(model, model.driver("valuation.taotian_pe_multiple") * ebita * (1 - model.driver("group.tax_rate")))


@per_year(TARGET_USD)
def target_usd_per_ads(model):
    """Target price per ADS [USD] = cloud + Taotian per ADS."""
    if model("taotian_adj_ebita") is None:
        return None
    return model("cloud_usd_per_ads") + model("taotian_usd_per_ads")


@per_year(TARGET_HKD)
def target_hkd_per_share(model):
    """Target price per Hong Kong share [HKD] = target per ADS ÷ valuation.shares_per_ads × valuation.usd_hkd."""
    if model("taotian_adj_ebita") is None:
        return None
    return model("target_usd_per_ads") / model.driver("valuation.shares_per_ads") * model.driver("valuation.usd_hkd")
