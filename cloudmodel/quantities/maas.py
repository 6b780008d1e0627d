"""MaaS: model calls, plugins, GPU leasing, DeepSeek hosting and Apple, and their margin.

Intensities (tokens per customer, the plugin price, leasing per customer) are solved so that
the anchor year (CY2024) reproduces the report's amounts exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudmodel import xp
from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import FLOW, MARGIN, MONEY, RATIO, STOCK, line, ratio
from cloudmodel.periods import MONTHS_PER_QUARTER, QUARTERS_PER_YEAR
from cloudmodel.quantities import curves
from cloudmodel.quantities.longrun import volume_growth
from cloudmodel.units import RMB_PER_MILLION, TOKENS_PER_MILLION

TOKENS = line("cloud.maas.tokens", "tokens", FLOW, "Billable tokens")
MODEL_CALLS = line("cloud.maas.model_calls", MONEY, FLOW, "MaaS: model calls")
PLUGINS = line("cloud.maas.plugins", MONEY, FLOW, "MaaS: plugins")
GPU_LEASING = line("cloud.maas.gpu_leasing", MONEY, FLOW, "MaaS: GPU leasing")
DEEPSEEK_DAU = line("cloud.deepseek.dau_hosted", "count", STOCK, "DeepSeek DAU hosted by Alibaba", metric="deepseek_dau_hosted")
DEEPSEEK_HOSTING = line("cloud.maas.deepseek_hosting", MONEY, FLOW, "MaaS: DeepSeek hosting")
APPLE = line("cloud.maas.apple", MONEY, FLOW, "MaaS: Apple (expected)")
APPLE_USERS = line("cloud.apple.users_served", "count", STOCK, "Apple users served (if the deal happens)")

# ----------------------------------------------------------------------------- model calls

@per_quarter()
def call_price(model):
    """Average price of a model call [RMB_per_mn_tokens]: price.qwen_blended_cy2024 before the
    price cuts; from them, maas.deepseek_call_share (× maas.price_cut_ramp in the quarter of the cuts) of calls at
    the DeepSeek blend (maas.deepseek_r1_call_share × price.deepseek_r1 + the rest × price.deepseek_v3)
    and the rest at the cut Qwen price (price.qwen_blended_cy2024 × price.qwen_cut_ratio)."""
    anchor_price = model.driver("price.qwen_blended_cy2024")
    if model.quarter < model.timeline.price_cut:
        return anchor_price
    ramp = model.driver("maas.price_cut_ramp") if model.quarter == model.timeline.price_cut else 1
    share = model.driver("maas.deepseek_call_share") * ramp
    r1_share = model.driver("maas.deepseek_r1_call_share")
    deepseek_price = r1_share * model.driver("price.deepseek_r1") + (1 - r1_share) * model.driver("price.deepseek_v3")
    return share * deepseek_price + (1 - share) * (anchor_price * model.driver("price.qwen_cut_ratio"))


@per_quarter(path=True)
def usage_factor(model):
    """Tokens per AI customer relative to the anchor level [x] = (1 + g) ^ years at mid-quarter ×
    (price ÷ price.qwen_blended_cy2024) ^ −maas.token_price_elasticity, with g =
    maas.token_usage_growth_past up to December 2024 and maas.token_usage_growth after it, fading to 0
    after the explicit forecast (usage per customer saturates; :mod:`cloudmodel.quantities.longrun`)."""
    mid_years = model.years - 1 / (2 * QUARTERS_PER_YEAR)
    if mid_years <= 0:
        growth = (1 + model.driver("maas.token_usage_growth_past")) ** mid_years
    else:
        growth = volume_growth(model, model.driver("maas.token_usage_growth"), 0.0, mid_years)
    if model.quarter < model.timeline.price_cut:  # at the anchor price the price term is 1, whatever the elasticity
        return growth
    relative_price = model("call_price") / model.driver("price.qwen_blended_cy2024")
    return growth * relative_price ** (-model.driver("maas.token_price_elasticity"))


@per_quarter()
def ai_customer_usage(model):
    """AI customers weighted by usage [count] = AI customers (quarter average) × usage factor."""
    return model("ai_customers_average") * model("usage_factor")


@constant()
def tokens_per_customer_anchor(model):
    """Tokens per AI customer-quarter at usage factor 1 [tokens], solved so that the anchor year's
    billable tokens × price = maas.model_calls_cy2024: (revenue ÷ price + maas.free_quota_tokens ×
    new AI customers) ÷ Σ_anchor AI customers × usage factor."""
    scaled_revenue = model.driver("maas.model_calls_cy2024") * RMB_PER_MILLION * TOKENS_PER_MILLION  # yuan × 10⁶
    billable = scaled_revenue / model.driver("price.qwen_blended_cy2024")  # ÷ yuan per million tokens: tokens
    free = model.driver("maas.free_quota_tokens") * model.anchor_sum("new_ai_customers")
    return xp.safe_div(billable + free, model.anchor_sum("ai_customer_usage"))


@per_quarter(TOKENS)
def billable_tokens(model):
    """Billable tokens [tokens] = max(AI customers × tokens per customer × usage factor − new AI
    customers × maas.free_quota_tokens, 0)."""
    return curves.billable_tokens(model("ai_customers_average"), model("new_ai_customers"),
                                  model("tokens_per_customer_anchor") * model("usage_factor"), model.driver("maas.free_quota_tokens"))


@per_quarter(MODEL_CALLS)
def model_call_revenue(model):
    """Model-call revenue [RMB_mn] = billable tokens × average price ÷ 10¹²."""
    return model("billable_tokens") * model("call_price") / TOKENS_PER_MILLION / RMB_PER_MILLION


# ----------------------------------------------------------------------------- plugins, leasing

@constant()
def plugin_price(model):
    """Price per plugin per quarter [RMB_mn] = maas.plugins_cy2024 ÷
    (maas.plugins_per_ai_customer_cy2024 × Σ_anchor AI customers)."""
    return xp.safe_div(model.driver("maas.plugins_cy2024"),
                       model.driver("maas.plugins_per_ai_customer_cy2024") * model("anchor_ai_customer_quarters"))


@per_quarter(PLUGINS)
def plugin_revenue(model):
    """Plugin revenue [RMB_mn] = AI customers × plugins per customer × price per plugin; plugins per
    customer are maas.plugins_per_ai_customer_cy2024 up to the anchor year, maas.plugins_per_ai_customer after."""
    per_customer = (model.driver("maas.plugins_per_ai_customer_cy2024") if model.quarter <= max(model.timeline.anchor)
                    else model.driver("maas.plugins_per_ai_customer"))
    return model("ai_customers_average") * per_customer * model("plugin_price")


@constant()
def leasing_per_weight(model):
    """GPU leasing per unit of A^ε [RMB_mn] = maas.gpu_leasing_cy2024 ÷ Σ_anchor A^ε (the elasticity applied
    here to the anchor year's AI customers, so the calibration and the forecast share one ε)."""
    elasticity = model.driver("maas.gpu_leasing_customer_elasticity")
    weights = sum(model("ai_customers_average", q) ** elasticity for q in model.timeline.anchor)
    return xp.safe_div(model.driver("maas.gpu_leasing_cy2024"), weights)


@per_quarter(GPU_LEASING, path=True)
def gpu_leasing_revenue(model):
    """GPU leasing revenue [RMB_mn] = leasing per A^ε × A^ε, A the AI customers (quarter average) and ε
    maas.gpu_leasing_customer_elasticity (meets the CY2024 amount exactly)."""
    return model("leasing_per_weight") * model("ai_customers_average") ** model.driver("maas.gpu_leasing_customer_elasticity")


# ----------------------------------------------------------------------------- DeepSeek hosting

@constant()
def deepseek_dau_knots(model):
    """Known points of DeepSeek's DAU path [(years, count)]: deepseek.dau_now, the latest hosted DAU
    reported since (an actuals file, ÷ deepseek.alibaba_share), deepseek.dau_cy2025."""
    knots = {model.timeline.years(model.timeline.deepseek_now): model.driver("deepseek.dau_now"),
             model.timeline.years(model.timeline.deepseek_target): model.driver("deepseek.dau_cy2025")}
    reported = [quarter for quarter in model.observed(DEEPSEEK_DAU) if quarter >= model.timeline.deepseek_now]
    if reported:
        latest = max(reported)
        knots[model.timeline.years(latest)] = (model.actual(DEEPSEEK_DAU, latest)
                                               / model.driver("deepseek.alibaba_share"))
    return sorted(knots.items())


@per_quarter(path=True)
def deepseek_dau(model):
    """DeepSeek DAU at the quarter end [count]: flat at the first known point before it, linear
    between known points, growing at deepseek.dau_growth_after_cy2025 after the last, that growth
    fading to 0 after the explicit forecast (:mod:`cloudmodel.quantities.longrun`)."""
    knots = model("deepseek_dau_knots")
    last = knots[-1][0]
    after = volume_growth(model, model.driver("deepseek.dau_growth_after_cy2025"), last, max(model.years, last))
    return curves.dau_through(model.years, knots, 0.0) * after


@per_quarter(DEEPSEEK_DAU)
def deepseek_dau_hosted(model):
    """DeepSeek DAU hosted by Alibaba at the quarter end [count] = deepseek.alibaba_share × DAU from
    the quarter hosting starts (deepseek.dau_now's quarter); 0 before it."""
    if model.quarter < model.timeline.deepseek_now:
        return 0.0
    return model.driver("deepseek.alibaba_share") * model("deepseek_dau")


@per_quarter(DEEPSEEK_HOSTING)
def deepseek_hosting_revenue(model):
    """DeepSeek hosting revenue [RMB_mn] = deepseek.alibaba_share × DAU (quarter average) ×
    deepseek.hosting_price_per_dau_year × months hosted ÷ 12 (deepseek.hosting_months_fy2025q4 in the
    first quarter, 3 after; 0 before hosting starts)."""
    if model.quarter < model.timeline.deepseek_now:
        return 0.0
    if model.quarter == model.timeline.deepseek_now:
        months = model.driver("deepseek.hosting_months_fy2025q4")
    else:
        months = MONTHS_PER_QUARTER
    hosted = model.driver("deepseek.alibaba_share") * ((model("deepseek_dau", model.quarter - 1) + model("deepseek_dau")) / 2)
    return (hosted * model.driver("deepseek.hosting_price_per_dau_year") * months / (QUARTERS_PER_YEAR * MONTHS_PER_QUARTER)
            / RMB_PER_MILLION)


# ----------------------------------------------------------------------------- Apple

@constant()
def apple_compute_fee(model):
    """Apple's annual compute payment [RMB_mn]: piecewise linear in apple.users through (0, 0) and
    the tiers (apple.tier{1,2,3}_users, apple.tier{1,2,3}_fee)."""
    return curves.apple_compute_fee(model.driver("apple.users"), model.driver("apple.tier1_users"), model.driver("apple.tier1_fee"),
                                    model.driver("apple.tier2_users"), model.driver("apple.tier2_fee"),
                                    model.driver("apple.tier3_users"), model.driver("apple.tier3_fee"))


@constant()
def apple_licence_fee(model):
    """Apple's annual device-licence payment [RMB_mn]: apple.device_shipments graduated over the bands
    apple.licence_tier{1,2,3}_units at apple.licence_price_tier{1,2,3}."""
    return curves.apple_licence_fee(model.driver("apple.device_shipments"), model.driver("apple.licence_tier1_units"),
                                    model.driver("apple.licence_tier2_units"), model.driver("apple.licence_tier3_units"),
                                    model.driver("apple.licence_price_tier1"), model.driver("apple.licence_price_tier2"),
                                    model.driver("apple.licence_price_tier3"))


@constant()
def apple_launch_delay(model):
    """Quarters from the price cuts to the Apple launch [count] = the larger of apple.launch_delay_quarters
    and what the reports allow: a quarter reported without a launch (a bound cloud.apple.users_served ≤ 0)
    moves the launch after it. The deal's probability is not touched: no launch yet is news of timing."""
    delay = model.driver("apple.launch_delay_quarters")
    absent = [o.end for o in model.statements(APPLE_USERS) if o.high is not None and o.high <= 0]
    if not absent:
        return delay
    return xp.maximum(delay, 0.0 * delay + (max(absent) - model.timeline.price_cut + 1))


@per_quarter()
def apple_active_share(model):
    """Share of the quarter the Apple deal is live [ratio] = clip(quarters since the price cuts −
    the launch delay + 1, 0, 1); 0 before the quarter of the cuts, whatever the delay."""
    if model.quarter < model.timeline.price_cut:
        return 0.0
    return curves.apple_active_share(model.quarter - model.timeline.price_cut, model("apple_launch_delay"))


@per_quarter(APPLE)
def apple_revenue(model):
    """Apple revenue [RMB_mn] = apple.deal_probability × active share × (compute fee + licence fee) ÷ 4;
    0 before the quarter of the price cuts (the deal cannot be live then)."""
    if model.quarter < model.timeline.price_cut:
        return 0.0
    fees = model("apple_compute_fee") + model("apple_licence_fee")
    return model.driver("apple.deal_probability") * model("apple_active_share") * fees / QUARTERS_PER_YEAR


@per_quarter(APPLE_USERS)
def apple_users_served(model):
    """Apple users served if the deal happens [count] = apple.users × active share (0 before the cuts)."""
    if model.quarter < model.timeline.price_cut:
        return 0.0
    return model.driver("apple.users") * model("apple_active_share")


# ----------------------------------------------------------------------------- total and margin

@dataclass(frozen=True)
class Part:
    """A part of MaaS revenue: the quantity of its revenue and the driver of its gross margin (and, where the
    margin changes with the price cuts, the driver before them)."""

    revenue: str
    margin: str
    margin_before_cuts: str | None = None


#: MaaS revenue's parts, by line. A new part is its line and its quantity above and an entry here (and its
#: drivers in drivers/maas.toml): the sum, its check, the gross profit, the tables, the note, the workbook,
#: the tornado and the component bridge all follow from this declaration (docs/architecture.md).
PARTS = {
    MODEL_CALLS: Part("model_call_revenue", "maas.model_call_margin_after", "maas.model_call_margin_before"),
    PLUGINS: Part("plugin_revenue", "maas.plugin_margin"),
    GPU_LEASING: Part("gpu_leasing_revenue", "maas.gpu_leasing_margin"),
    DEEPSEEK_HOSTING: Part("deepseek_hosting_revenue", "maas.gpu_leasing_margin"),  # dedicated compute
    APPLE: Part("apple_revenue", "maas.gpu_leasing_margin"),  # dedicated compute
}
MAAS_REVENUE = line("cloud.revenue.maas", MONEY, FLOW, "MaaS revenue", parts=tuple(PARTS),
                    check="check.cloud.maas_parts_sum_to_maas")
MAAS_GROSS_PROFIT = line("cloud.gross_profit.maas", MONEY, FLOW, "MaaS gross profit")
PRICE = line("cloud.maas.price", "RMB_per_mn_tokens", RATIO, "Average price of a model call", numerator=MODEL_CALLS,
             denominator=TOKENS, scale=TOKENS_PER_MILLION * RMB_PER_MILLION)
GROSS_MARGIN = ratio("cloud.maas.margin", "MaaS gross margin", numerator=MAAS_GROSS_PROFIT, denominator=MAAS_REVENUE,
                     domain=MARGIN)


@per_quarter(MAAS_REVENUE)
def maas_revenue(model):
    """MaaS revenue [RMB_mn] = Σ its parts (model calls + plugins + GPU leasing + DeepSeek hosting + Apple)."""
    return sum(model(part.revenue) for part in PARTS.values())


@per_quarter(MAAS_GROSS_PROFIT)
def maas_gross_profit(model):
    """MaaS gross profit [RMB_mn] = Σ parts' revenue × their gross margin: model calls ×
    maas.model_call_margin_before before the price cuts, maas.model_call_margin_after from them; plugins ×
    maas.plugin_margin; GPU leasing, DeepSeek hosting and Apple (dedicated compute) × maas.gpu_leasing_margin."""
    before_cuts = model.quarter < model.timeline.price_cut
    revenue_at: dict[str, object] = {}  # margin driver -> the revenue it applies to (parts that share one added first)
    for part in PARTS.values():
        margin = part.margin_before_cuts if before_cuts and part.margin_before_cuts else part.margin
        revenue_at[margin] = revenue_at[margin] + model(part.revenue) if margin in revenue_at else model(part.revenue)
    return sum(revenue * model.driver(margin) for margin, revenue in revenue_at.items())


@constant()
def anchor_maas_revenue(model):
    """MaaS revenue of the anchor year [RMB_mn] = Σ_anchor MaaS revenue."""
    return model.anchor_sum("maas_revenue")
