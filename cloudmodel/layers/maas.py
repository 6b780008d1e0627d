"""MaaS: model calls, plugins, GPU leasing, DeepSeek hosting and Apple.

Lines [RMB_mn, flows]: ``cloud.maas.model_calls``, ``cloud.maas.plugins``,
``cloud.maas.gpu_leasing``, ``cloud.maas.deepseek_hosting``, ``cloud.maas.apple``; their sum
``cloud.revenue.maas``; ``cloud.maas.tokens`` [tokens] and ``cloud.maas.gross_profit``.
"""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.layers.constants import (
    MONTHS_PER_QUARTER,
    QUARTERS_PER_YEAR,
    RMB_PER_MILLION,
    TOKENS_PER_MILLION,
)

# ----------------------------------------------------------------------------- model calls

def blended_price(deepseek_share, deepseek_r1_share, price_r1, price_v3, qwen_price):
    """Average price of a model call [RMB_per_mn_tokens]:
    share × (r1 share × price.deepseek_r1 + (1 − r1 share) × price.deepseek_v3) + (1 − share) × Qwen price."""
    deepseek_price = deepseek_r1_share * price_r1 + (1 - deepseek_r1_share) * price_v3
    return deepseek_share * deepseek_price + (1 - deepseek_share) * qwen_price


def price_response(price, anchor_price, price_elasticity):
    """Tokens per AI customer from the price alone, relative to the anchor price [x] =
    (price ÷ anchor price) ** −maas.token_price_elasticity."""
    return (price / anchor_price) ** (-price_elasticity)


def usage_factor(years, token_usage_growth, price, anchor_price, price_elasticity):
    """Tokens per AI customer relative to the anchor year [x]:
    (1 + maas.token_usage_growth) ** years × (price ÷ anchor price) ** −maas.token_price_elasticity."""
    return (1 + token_usage_growth) ** years * (price / anchor_price) ** (-price_elasticity)


def tokens_per_customer_anchor(model_calls_anchor, anchor_price, free_quota, new_ai_customers_anchor,
                               weighted_ai_customer_quarters):
    """Tokens per AI customer-quarter at usage factor 1 [tokens], solved so that the anchor
    year's billable tokens × price equal ``maas.model_calls_cy2024``:
    (revenue ÷ price + free quota × new AI customers) ÷ Σ(AI customers × usage factor)."""
    billable = model_calls_anchor * RMB_PER_MILLION * TOKENS_PER_MILLION / anchor_price
    return xp.safe_div(billable + free_quota * new_ai_customers_anchor, weighted_ai_customer_quarters)


def billable_tokens(ai_customers_average, new_ai_customers, tokens_per_customer, free_quota):
    """cloud.maas.tokens [tokens] = max(AI customers × tokens per customer − new AI customers × free quota, 0)."""
    used = ai_customers_average * tokens_per_customer
    free = xp.maximum(new_ai_customers, 0 * new_ai_customers) * free_quota
    return xp.maximum(used - free, 0 * used)


def model_call_revenue(tokens, price):
    """cloud.maas.model_calls [RMB_mn] = billable tokens × price [RMB per million tokens] ÷ 10⁶ ÷ 10⁶."""
    return tokens * price / TOKENS_PER_MILLION / RMB_PER_MILLION


# ----------------------------------------------------------------------------- plugins, leasing

def plugin_price(plugins_anchor, plugins_per_customer_anchor, anchor_ai_customer_quarters):
    """Price per plugin per quarter [RMB_mn], stable (价格相对稳定) and fixed by the anchor year:
    maas.plugins_cy2024 ÷ (plugins per customer in CY2024 × Σ anchor AI customers)."""
    return xp.safe_div(plugins_anchor, plugins_per_customer_anchor * anchor_ai_customer_quarters)


def plugin_revenue(price_per_plugin, plugins_per_customer, ai_customers_average):
    """cloud.maas.plugins [RMB_mn] = AI customers × plugins per customer × price per plugin."""
    return ai_customers_average * plugins_per_customer * price_per_plugin


def leasing_per_weighted_customer(leasing_anchor, anchor_weighted_quarters):
    """GPU leasing per unit of A^ε [RMB_mn] = maas.gpu_leasing_cy2024 ÷ Σ_anchor A^ε."""
    return xp.safe_div(leasing_anchor, anchor_weighted_quarters)


def gpu_leasing_revenue(per_weighted_customer, ai_customers_average, elasticity):
    """cloud.maas.gpu_leasing [RMB_mn] = leasing per A^ε × A^ε, where A is AI customers (quarter
    average) and ε = maas.gpu_leasing_customer_elasticity; it meets the CY2024 amount exactly."""
    return per_weighted_customer * ai_customers_average**elasticity


# ----------------------------------------------------------------------------- DeepSeek hosting

def deepseek_dau(years, dau_now, years_now, dau_target, years_target, growth_after):
    """DeepSeek DAU [count] at a quarter end: linear from ``deepseek.dau_now`` to
    ``deepseek.dau_cy2025`` between their dates, flat before, growing at
    ``deepseek.dau_growth_after_cy2025`` after."""
    progress = xp.clip((years - years_now) / (years_target - years_now), 0.0, 1.0)
    level = dau_now + (dau_target - dau_now) * progress
    after = xp.maximum(years - years_target, 0.0 * years)
    return level * (1 + growth_after) ** after


def dau_through(years, knots, growth_after):
    """DeepSeek DAU [count] through known points ``knots`` ((years, DAU) in time order: now, any
    reported since, the CY2025 figure): flat before the first, linear between, growing at
    ``growth_after`` after the last."""
    i = 0
    while i < len(knots) - 2 and years > knots[i + 1][0]:
        i += 1
    (t0, d0), (t1, d1) = knots[i], knots[i + 1]
    return deepseek_dau(years, d0, t0, d1, t1, growth_after)


def deepseek_hosting_revenue(hosted_dau_average, price_per_dau_year, active_months):
    """cloud.maas.deepseek_hosting [RMB_mn] = hosted DAU × price per DAU-year × months ÷ 12 ÷ 10⁶."""
    return hosted_dau_average * price_per_dau_year * active_months / (QUARTERS_PER_YEAR * MONTHS_PER_QUARTER) / RMB_PER_MILLION


# ----------------------------------------------------------------------------- Apple

def apple_compute_fee(users, u1, f1, u2, f2, u3, f3):
    """Annual compute payment [RMB_mn] for ``users``: piecewise linear through (0, 0),
    the three tiers (apple.tier{1,2,3}_users, apple.tier{1,2,3}_fee), and on at the last slope."""
    seg1 = f1 * users / u1
    seg2 = f1 + (f2 - f1) * (users - u1) / (u2 - u1)
    seg3 = f2 + (f3 - f2) * (users - u2) / (u3 - u2)
    return xp.where(users <= u1, seg1, xp.where(users <= u2, seg2, seg3))


def apple_licence_fee(shipments, t1, t2, t3, p1, p2, p3):
    """Annual device-licence payment [RMB_mn], graduated by band like a tax schedule: units from
    apple.licence_tier1_units to tier2 at price 1, to tier3 at price 2, above tier3 at price 3."""
    band1 = xp.clip(shipments - t1, 0.0 * shipments, t2 - t1)
    band2 = xp.clip(shipments - t2, 0.0 * shipments, t3 - t2)
    band3 = xp.maximum(shipments - t3, 0.0 * shipments)
    return (band1 * p1 + band2 * p2 + band3 * p3) / RMB_PER_MILLION


def apple_active_share(quarters_since_price_cut, launch_delay_quarters):
    """Share of a quarter the Apple deal is live [ratio]: 0 before the launch, 1 after, the
    fraction in between when the delay is not a whole number of quarters (launch after
    ``apple.launch_delay_quarters`` quarters from the quarter of the price cuts, FY2025Q4)."""
    return xp.clip(quarters_since_price_cut - launch_delay_quarters + 1, 0.0, 1.0)


def apple_revenue(compute_fee, licence_fee, deal_probability, active):
    """cloud.maas.apple [RMB_mn] per quarter = P(deal) × active × (compute fee + licence fee) ÷ 4."""
    return deal_probability * active * (compute_fee + licence_fee) / QUARTERS_PER_YEAR


# ----------------------------------------------------------------------------- total and margin

def maas_revenue(model_calls, plugins, gpu_leasing, deepseek_hosting, apple):
    """cloud.revenue.maas [RMB_mn] = model calls + plugins + GPU leasing + DeepSeek hosting + Apple."""
    return model_calls + plugins + gpu_leasing + deepseek_hosting + apple


def maas_gross_profit(model_calls, plugins, dedicated_compute, model_call_margin, plugin_margin, compute_margin):
    """MaaS gross profit [RMB_mn]: each part at its margin; GPU leasing, DeepSeek hosting and
    Apple's cluster are dedicated compute at maas.gpu_leasing_margin."""
    return model_calls * model_call_margin + plugins * plugin_margin + dedicated_compute * compute_margin
