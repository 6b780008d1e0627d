"""Cloud adjusted EBITA: gross profit by layer, shared costs, the capex plan's depreciation,
and their allocation to the layers.

In a reported quarter cloud EBITA is the reported figure and shared costs are what it implies;
``cloud.ebita.fit_residual`` shows the formula's error there.
"""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.graph import constant, per_quarter
from cloudmodel.periods import QUARTERS_PER_YEAR
from cloudmodel.quantities import curves

LAYERS = ("iaas", "paas", "saas", "maas", "solutions")


def _gross_profit(model, layer):
    return model(f"{layer}_revenue") * model.driver(f"{layer}.gross_margin")


@per_quarter("cloud.gross_profit.iaas")
def iaas_gross_profit(model):
    """IaaS gross profit [RMB_mn] = IaaS revenue × iaas.gross_margin."""
    return _gross_profit(model, "iaas")


@per_quarter("cloud.gross_profit.paas")
def paas_gross_profit(model):
    """PaaS gross profit [RMB_mn] = PaaS revenue × paas.gross_margin."""
    return _gross_profit(model, "paas")


@per_quarter("cloud.gross_profit.saas")
def saas_gross_profit(model):
    """SaaS gross profit [RMB_mn] = SaaS revenue × saas.gross_margin."""
    return _gross_profit(model, "saas")


@per_quarter("cloud.gross_profit.solutions")
def solutions_gross_profit(model):
    """Industry solutions gross profit [RMB_mn] = solutions revenue × solutions.gross_margin."""
    return _gross_profit(model, "solutions")


@per_quarter("cloud.gross_profit")
def gross_profit(model):
    """Cloud gross profit [RMB_mn] = Σ layers' gross profit."""
    return sum(model(f"{layer}_gross_profit") for layer in ("iaas", "paas", "saas", "solutions", "maas"))


@constant()
def incremental_capex_per_quarter(model):
    """Capex above the past run-rate charged to cloud, per plan quarter [RMB_mn] = capex.cloud_share ×
    (capex.plan_total ÷ capex.plan_years − capex.past_decade_total ÷ capex.baseline_years) ÷ 4."""
    plan_rate = model.driver("capex.plan_total") / model.driver("capex.plan_years")
    past_rate = model.driver("capex.past_decade_total") / model.driver("capex.baseline_years")
    return model.driver("capex.cloud_share") * (plan_rate - past_rate) / QUARTERS_PER_YEAR


@per_quarter("group.capex")
def group_capex(model):
    """Group capital expenditure [RMB_mn]: from the plan's first quarter, capex.plan_total ÷ capex.plan_years ÷ 4
    (the plan's run-rate, kept after it); before, the past run-rate capex.past_decade_total ÷ capex.baseline_years ÷ 4.
    A reported quarter has the reported figure (an actuals file) or none: no forward driver moves the past."""
    if model.quarter <= model.timeline.origin:
        return model.actual("group.capex")
    if model.quarter >= model.timeline.capex_start:
        return model.driver("capex.plan_total") / model.driver("capex.plan_years") / QUARTERS_PER_YEAR
    return model.driver("capex.past_decade_total") / model.driver("capex.baseline_years") / QUARTERS_PER_YEAR


@per_quarter("cloud.capex_depreciation")
def capex_depreciation(model):
    """Depreciation of the capex plan's increment [RMB_mn]: each plan quarter's spend straight line
    over capex.useful_life_years from the quarter after; 0 before the plan starts."""
    since_start = model.quarter - model.timeline.capex_start
    if since_start <= 0:
        return 0.0
    return curves.capex_depreciation(since_start, model("incremental_capex_per_quarter"), model.driver("capex.plan_years"),
                                     model.driver("capex.useful_life_years"))


@per_quarter()
def shared_opex_formula(model):
    """Shared operating costs by the formula [RMB_mn] = ebita.shared_fixed_opex_per_quarter +
    ebita.shared_fixed_opex_trend × years + ebita.shared_variable_opex_ratio × cloud revenue."""
    return (model.driver("ebita.shared_fixed_opex_per_quarter") + model.driver("ebita.shared_fixed_opex_trend") * model.years
            + model.driver("ebita.shared_variable_opex_ratio") * model("cloud_revenue"))


def _reported_ebita(model):
    return model.actual("cloud.ebita") if model.quarter <= model.timeline.origin else None


@per_quarter()
def ebita_formula(model):
    """Cloud adjusted EBITA by the formula [RMB_mn] = gross profit − formula shared costs − depreciation."""
    return model("gross_profit") - model("shared_opex_formula") - model("capex_depreciation")


@per_quarter("cloud.shared_opex")
def shared_opex(model):
    """Shared operating costs [RMB_mn]: in a quarter with reported EBITA, gross profit − reported
    EBITA − depreciation; else the formula less the margin state × revenue (what the reported margins
    say the formula misses, :mod:`cloudmodel.quantities.state`) — in a quarter whose revenue is
    reported but not its EBITA, the state's level carried from the quarter before."""
    reported = _reported_ebita(model)
    if reported is not None:
        return model("gross_profit") - reported - model("capex_depreciation")
    if model.quarter <= model.timeline.origin:  # a reported quarter without reported EBITA
        level = model("margin_level", model.quarter - 1) if model.quarter > model.timeline.first else None
        if level is None:
            return model("shared_opex_formula")
        return model("shared_opex_formula") - model("state_applies") * level * model("cloud_revenue")
    return model("shared_opex_formula") - model("margin_state") * model("cloud_revenue")


@per_quarter("cloud.ebita")
def cloud_ebita(model):
    """Cloud adjusted EBITA [RMB_mn]: reported in a reported quarter; else gross profit − shared
    costs − depreciation."""
    reported = _reported_ebita(model)
    if reported is not None:
        return reported
    return model("gross_profit") - model("shared_opex") - model("capex_depreciation")


@per_quarter("cloud.ebita.fit_residual")
def ebita_fit_residual(model):
    """The EBITA formula less reported EBITA, in a reported quarter [RMB_mn] = gross profit − formula
    costs − depreciation − reported EBITA; no value in a forecast quarter."""
    reported = _reported_ebita(model)
    if reported is None:
        return None
    return model("ebita_formula") - reported


@per_quarter()
def opex_allocation_rate(model):
    """Shared costs per unit of gross profit [x] = shared costs ÷ gross profit (0 if none)."""
    return xp.safe_div(model("shared_opex"), model("gross_profit"))


@per_quarter()
def depreciation_allocation_rate(model):
    """Depreciation per unit of compute revenue [x] = depreciation ÷ (IaaS + MaaS revenue) (0 if none)."""
    return xp.safe_div(model("capex_depreciation"), model("iaas_revenue") + model("maas_revenue"))


def _layer_ebita(model, layer):
    gross = model(f"{layer}_gross_profit")
    depreciation = model("depreciation_allocation_rate") * model(f"{layer}_revenue") if layer in ("iaas", "maas") else 0.0
    return gross - model("opex_allocation_rate") * gross - depreciation


@per_quarter("cloud.ebita.iaas")
def iaas_ebita(model):
    """IaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate) − depreciation rate × revenue."""
    return _layer_ebita(model, "iaas")


@per_quarter("cloud.ebita.paas")
def paas_ebita(model):
    """PaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate)."""
    return _layer_ebita(model, "paas")


@per_quarter("cloud.ebita.saas")
def saas_ebita(model):
    """SaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate)."""
    return _layer_ebita(model, "saas")


@per_quarter("cloud.ebita.maas")
def maas_ebita(model):
    """MaaS adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate) − depreciation rate × revenue."""
    return _layer_ebita(model, "maas")


@per_quarter("cloud.ebita.solutions")
def solutions_ebita(model):
    """Industry solutions adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate)."""
    return _layer_ebita(model, "solutions")
