"""Cloud adjusted EBITA: gross profit by layer, less shared operating costs and the
depreciation of the capex plan.

Lines [RMB_mn]: ``cloud.gross_profit``, ``cloud.shared_opex``, ``cloud.capex_depreciation``,
``cloud.ebita`` and ``cloud.ebita.{iaas,paas,saas,maas,solutions}``; ``cloud.ebita_margin``
[ratio]. Shared costs are allocated to layers by gross profit (so IaaS keeps its
single-digit EBITA margin); capex depreciation to the compute layers, IaaS and MaaS, by
revenue.
"""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.layers.constants import QUARTERS_PER_YEAR


def gross_profit(revenue, gross_margin):
    """Gross profit of a layer [RMB_mn] = revenue × gross margin."""
    return revenue * gross_margin


def shared_opex(fixed_per_quarter, fixed_trend, years, variable_ratio, revenue):
    """cloud.shared_opex [RMB_mn] = (fixed + trend × years) + variable ratio × revenue; ``years``
    from December 2024, the trend in RMB_mn per quarter per year."""
    return fixed_per_quarter + fixed_trend * years + variable_ratio * revenue


def incremental_capex_per_quarter(plan_total, plan_years, past_decade_total, baseline_years, cloud_share):
    """Capex above the past run-rate charged to cloud, per quarter of the plan [RMB_mn] =
    cloud share × (plan ÷ plan years − past decade ÷ 10 years) ÷ 4."""
    return cloud_share * (plan_total / plan_years - past_decade_total / baseline_years) / QUARTERS_PER_YEAR


def capex_depreciation(quarters_since_plan_start, per_quarter_capex, plan_years, useful_life_years):
    """cloud.capex_depreciation [RMB_mn] in a quarter, straight line from the quarter after
    spend: Σ over earlier plan quarters k of capex_k ÷ (life × 4) while k is within its life.
    ``quarters_since_plan_start`` (s) is 0 in the plan's first quarter. In closed form: the
    vintages alive are k with max(0, ⌈s − 4·life⌉) ≤ k < min(s, ⌈4·plan years⌉)."""
    s = quarters_since_plan_start
    if s <= 0:
        return 0.0 * per_quarter_capex
    life_quarters = useful_life_years * QUARTERS_PER_YEAR
    last = xp.minimum(s + 0.0 * life_quarters, xp.ceil(plan_years * QUARTERS_PER_YEAR))
    first = xp.maximum(xp.ceil(s - life_quarters), 0.0 * life_quarters)
    vintages = xp.maximum(last - first, 0.0 * last)
    return per_quarter_capex * vintages / life_quarters


def ebita(gross_profit_total, opex, depreciation):
    """cloud.ebita [RMB_mn] = gross profit − shared opex − capex depreciation."""
    return gross_profit_total - opex - depreciation


def allocation_rate(total, whole):
    """Shared cost per unit of the allocation key [x] = total ÷ whole (0 when whole is 0);
    a layer's share is then rate × its part (gross profit for opex, revenue for depreciation)."""
    return xp.safe_div(total, whole)
