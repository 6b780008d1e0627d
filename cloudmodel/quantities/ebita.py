"""Cloud adjusted EBITA: gross profit by layer, shared costs, the capex plan's depreciation,
and their allocation to the layers.

In a reported quarter cloud EBITA is the reported figure and shared costs are what it implies;
``cloud.ebita.fit_residual`` shows the formula's error there.
"""

from __future__ import annotations

from ..graph import constant, per_quarter
from ..layers import ebita as formula

LAYERS = ("iaas", "paas", "saas", "maas", "solutions")


def _gross_profit(c, layer):
    return formula.gross_profit(c(f"{layer}_revenue"), c.driver(f"{layer}.gross_margin"))


@per_quarter("cloud.gross_profit.iaas")
def iaas_gross_profit(c):
    """IaaS gross profit [RMB_mn] = IaaS revenue × iaas.gross_margin."""
    return _gross_profit(c, "iaas")


@per_quarter("cloud.gross_profit.paas")
def paas_gross_profit(c):
    """PaaS gross profit [RMB_mn] = PaaS revenue × paas.gross_margin."""
    return _gross_profit(c, "paas")


@per_quarter("cloud.gross_profit.saas")
def saas_gross_profit(c):
    """SaaS gross profit [RMB_mn] = SaaS revenue × saas.gross_margin."""
    return _gross_profit(c, "saas")


@per_quarter("cloud.gross_profit.solutions")
def solutions_gross_profit(c):
    """Industry solutions gross profit [RMB_mn] = solutions revenue × solutions.gross_margin."""
    return _gross_profit(c, "solutions")


@per_quarter("cloud.gross_profit")
def gross_profit(c):
    """Cloud gross profit [RMB_mn] = Σ layers' gross profit."""
    return sum(c(f"{layer}_gross_profit") for layer in ("iaas", "paas", "saas", "solutions", "maas"))


@constant()
def incremental_capex_per_quarter(c):
    """Capex above the past run-rate charged to cloud, per plan quarter [RMB_mn] = capex.cloud_share ×
    (capex.plan_total ÷ capex.plan_years − capex.past_decade_total ÷ capex.baseline_years) ÷ 4."""
    return formula.incremental_capex_per_quarter(c.driver("capex.plan_total"), c.driver("capex.plan_years"),
                                                 c.driver("capex.past_decade_total"), c.driver("capex.baseline_years"),
                                                 c.driver("capex.cloud_share"))


@per_quarter("cloud.capex_depreciation")
def capex_depreciation(c):
    """Depreciation of the capex plan's increment [RMB_mn]: each plan quarter's spend straight line
    over capex.useful_life_years from the quarter after; 0 before the plan starts."""
    since_start = c.q - c.t.capex_start
    if since_start <= 0:
        return 0.0
    return formula.capex_depreciation(since_start, c("incremental_capex_per_quarter"), c.driver("capex.plan_years"),
                                      c.driver("capex.useful_life_years"))


@per_quarter()
def shared_opex_formula(c):
    """Shared operating costs by the formula [RMB_mn] = ebita.shared_fixed_opex_per_quarter +
    ebita.shared_fixed_opex_trend × years + ebita.shared_variable_opex_ratio × cloud revenue."""
    return formula.shared_opex(c.driver("ebita.shared_fixed_opex_per_quarter"), c.driver("ebita.shared_fixed_opex_trend"),
                               c.years, c.driver("ebita.shared_variable_opex_ratio"), c("cloud_revenue"))


def _reported_ebita(c):
    return c.actual("cloud.ebita") if c.q <= c.t.origin else None


@per_quarter("cloud.shared_opex")
def shared_opex(c):
    """Shared operating costs [RMB_mn]: in a reported quarter, gross profit − reported EBITA −
    depreciation; else the formula."""
    reported = _reported_ebita(c)
    if reported is not None:
        return c("gross_profit") - reported - c("capex_depreciation")
    return c("shared_opex_formula")


@per_quarter("cloud.ebita")
def cloud_ebita(c):
    """Cloud adjusted EBITA [RMB_mn]: reported in a reported quarter; else gross profit − shared
    costs − depreciation."""
    reported = _reported_ebita(c)
    if reported is not None:
        return reported
    return formula.ebita(c("gross_profit"), c("shared_opex"), c("capex_depreciation"))


@per_quarter("cloud.ebita.fit_residual")
def ebita_fit_residual(c):
    """The EBITA formula less reported EBITA, in a reported quarter [RMB_mn] = gross profit − formula
    costs − depreciation − reported EBITA; no value in a forecast quarter."""
    reported = _reported_ebita(c)
    if reported is None:
        return None
    return formula.ebita(c("gross_profit"), c("shared_opex_formula"), c("capex_depreciation")) - reported


@per_quarter()
def opex_allocation_rate(c):
    """Shared costs per unit of gross profit [x] = shared costs ÷ gross profit (0 if none)."""
    return formula.allocation_rate(c("shared_opex"), c("gross_profit"))


@per_quarter()
def depreciation_allocation_rate(c):
    """Depreciation per unit of compute revenue [x] = depreciation ÷ (IaaS + MaaS revenue)."""
    return formula.allocation_rate(c("capex_depreciation"), c("iaas_revenue") + c("maas_revenue"))


def _layer_ebita(c, layer):
    gross = c(f"{layer}_gross_profit")
    depreciation = c("depreciation_allocation_rate") * c(f"{layer}_revenue") if layer in ("iaas", "maas") else 0.0
    return gross - c("opex_allocation_rate") * gross - depreciation


@per_quarter("cloud.ebita.iaas")
def iaas_ebita(c):
    """IaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate) − depreciation rate × revenue."""
    return _layer_ebita(c, "iaas")


@per_quarter("cloud.ebita.paas")
def paas_ebita(c):
    """PaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate)."""
    return _layer_ebita(c, "paas")


@per_quarter("cloud.ebita.saas")
def saas_ebita(c):
    """SaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate)."""
    return _layer_ebita(c, "saas")


@per_quarter("cloud.ebita.maas")
def maas_ebita(c):
    """MaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate) − depreciation rate × revenue."""
    return _layer_ebita(c, "maas")


@per_quarter("cloud.ebita.solutions")
def solutions_ebita(c):
    """Industry solutions adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate)."""
    return _layer_ebita(c, "solutions")
