"""Cloud adjusted EBITA: gross profit by layer, less shared operating costs and the
depreciation of the capex plan.

Lines [RMB_mn]: ``cloud.gross_profit``, ``cloud.shared_opex``, ``cloud.capex_depreciation``,
``cloud.ebita`` and ``cloud.ebita.{iaas,paas,saas,maas,solutions}``; ``cloud.ebita_margin``
[ratio]. Shared costs are allocated to layers by gross profit (so IaaS keeps its
single-digit EBITA margin); capex depreciation to the compute layers, IaaS and MaaS, by
revenue.
"""

from __future__ import annotations

from .. import xp
from .constants import QUARTERS_PER_YEAR

READS = ("iaas.gross_margin", "paas.gross_margin", "saas.gross_margin", "solutions.gross_margin",
         "ebita.shared_fixed_opex_per_quarter", "ebita.shared_variable_opex_ratio", "ebita.shared_fixed_opex_growth",
         "capex.plan_total", "capex.plan_years", "capex.past_decade_total", "capex.baseline_years",
         "capex.cloud_share", "capex.useful_life_years")


def gross_profit(revenue, gross_margin):
    """Gross profit of a layer [RMB_mn] = revenue × gross margin."""
    return revenue * gross_margin


def shared_opex(fixed_per_quarter, fixed_growth, years, variable_ratio, revenue):
    """cloud.shared_opex [RMB_mn] = fixed × (1 + growth) ** years + variable ratio × revenue."""
    return fixed_per_quarter * (1 + fixed_growth) ** years + variable_ratio * revenue


def incremental_capex_per_quarter(plan_total, plan_years, past_decade_total, baseline_years, cloud_share):
    """Capex above the past run-rate charged to cloud, per quarter of the plan [RMB_mn] =
    cloud share × (plan ÷ plan years − past decade ÷ 10 years) ÷ 4."""
    return cloud_share * (plan_total / plan_years - past_decade_total / baseline_years) / QUARTERS_PER_YEAR


def capex_depreciation(quarters_since_plan_start, per_quarter_capex, plan_years, useful_life_years):
    """cloud.capex_depreciation [RMB_mn] in a quarter, straight line from the quarter after
    spend: Σ over earlier plan quarters k of capex_k ÷ (life × 4) while k is within its life.
    ``quarters_since_plan_start`` is 0 in the plan's first quarter."""
    total = 0.0 * per_quarter_capex
    life_quarters = useful_life_years * QUARTERS_PER_YEAR
    for k in range(max(int(quarters_since_plan_start), 0)):
        spent = xp.where(k < plan_years * QUARTERS_PER_YEAR, per_quarter_capex, 0.0 * per_quarter_capex)
        alive = xp.where(quarters_since_plan_start - k <= life_quarters, 1.0, 0.0)
        total = total + spent * alive / life_quarters
    return total


def ebita(gross_profit_total, opex, depreciation):
    """cloud.ebita [RMB_mn] = gross profit − shared opex − capex depreciation."""
    return gross_profit_total - opex - depreciation


def allocate(total, part, whole):
    """A layer's share of a shared cost [RMB_mn] = total × part ÷ whole (0 when whole is 0)."""
    return xp.where(whole != 0, total * part / xp.where(whole != 0, whole, 1.0), 0.0 * total)
