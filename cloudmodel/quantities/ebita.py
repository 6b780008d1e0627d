"""Cloud adjusted EBITA: gross profit by layer, shared costs, the capex plan's depreciation,
and their allocation to the layers.

In a reported quarter cloud EBITA is the reported figure and shared costs are what it implies;
``cloud.ebita.fit_residual`` shows the formula's error there.
"""

from __future__ import annotations

from cloudmodel import xp
from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import FLOW, LAYER_LABEL, LAYER_NAMES, MONEY, line, ratio
from cloudmodel.periods import QUARTERS_PER_YEAR
from cloudmodel.quantities import curves
from cloudmodel.quantities.maas import MAAS_GROSS_PROFIT
from cloudmodel.quantities.revenue import CLOUD_REVENUE, LAYER_REVENUE


def _per_layer(layer: str, kind: str, made: str, formula, doc: str) -> None:
    """Declare ``<layer>_<kind>`` (a layer's gross profit or EBITA), which makes the line ``made``: one
    formula for every layer, each with its own name, docstring and line."""
    def quantity(model):
        return formula(model, layer)
    quantity.__name__ = quantity.__qualname__ = f"{layer}_{kind}"
    quantity.__doc__ = doc
    per_quarter(made)(quantity)


def _gross_profit(model, layer):
    return model(f"{layer}_revenue") * model.driver(f"{layer}.gross_margin")


LAYER_GROSS_PROFIT = {layer: MAAS_GROSS_PROFIT if layer == "maas" else
                      line(f"cloud.gross_profit.{layer}", MONEY, FLOW, f"{LAYER_LABEL[layer]} gross profit") for layer in LAYER_NAMES}
for _layer in (layer for layer in LAYER_NAMES if layer != "maas"):  # MaaS's own gross profit: quantities.maas
    _per_layer(_layer, "gross_profit", LAYER_GROSS_PROFIT[_layer], _gross_profit,
               f"{LAYER_LABEL[_layer]} gross profit [RMB_mn] = {LAYER_LABEL[_layer]} revenue × {_layer}.gross_margin.")

GROSS_PROFIT = line("cloud.gross_profit", MONEY, FLOW, "Cloud gross profit", parts=tuple(LAYER_GROSS_PROFIT.values()),
                    check="check.cloud.layers_sum_to_gross_profit")
SHARED_OPEX = line("cloud.shared_opex", MONEY, FLOW, "Shared operating costs")
CAPEX_DEPRECIATION = line("cloud.capex_depreciation", MONEY, FLOW, "Depreciation of the capex plan (increment)")
GROUP_CAPEX = line("group.capex", MONEY, FLOW, "Group capital expenditure (the plan's run-rate)", metric="capex_rmb_mn")
LAYER_EBITA = {layer: line(f"cloud.ebita.{layer}", MONEY, FLOW, f"{LAYER_LABEL[layer]} adjusted EBITA") for layer in LAYER_NAMES}
CLOUD_EBITA = line("cloud.ebita", MONEY, FLOW, "Cloud adjusted EBITA", parts=tuple(LAYER_EBITA.values()),
                   terms=[(gross, 1) for gross in LAYER_GROSS_PROFIT.values()] + [(SHARED_OPEX, -1), (CAPEX_DEPRECIATION, -1)],
                   check="check.cloud.layers_sum_to_ebita", metric="cloud_adj_ebita_rmb_mn")
EBITA_MARGIN = ratio("cloud.ebita_margin", "Cloud adjusted EBITA margin", numerator=CLOUD_EBITA, denominator=CLOUD_REVENUE)
LAYER_MARGIN = {layer: ratio(f"cloud.ebita_margin.{layer}", f"{LAYER_LABEL[layer]} EBITA margin", numerator=LAYER_EBITA[layer],
                             denominator=LAYER_REVENUE[layer]) for layer in LAYER_NAMES}
FIT_RESIDUAL = line("cloud.ebita.fit_residual", MONEY, FLOW, "EBITA formula less reported EBITA (history)")


@per_quarter(GROSS_PROFIT)
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


@per_quarter(GROUP_CAPEX)
def group_capex(model):
    """Group capital expenditure [RMB_mn]: from the plan's first quarter, capex.plan_total ÷ capex.plan_years ÷ 4
    (the plan's run-rate, kept after it); before, the past run-rate capex.past_decade_total ÷ capex.baseline_years ÷ 4.
    A reported quarter has the reported figure (an actuals file) or none: no forward driver moves the past."""
    if model.quarter <= model.timeline.origin:
        return model.actual(GROUP_CAPEX)
    if model.quarter >= model.timeline.capex_start:
        return model.driver("capex.plan_total") / model.driver("capex.plan_years") / QUARTERS_PER_YEAR
    return model.driver("capex.past_decade_total") / model.driver("capex.baseline_years") / QUARTERS_PER_YEAR


@per_quarter(CAPEX_DEPRECIATION)
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
    return model.actual(CLOUD_EBITA) if model.quarter <= model.timeline.origin else None


@per_quarter()
def ebita_formula(model):
    """Cloud adjusted EBITA by the formula [RMB_mn] = gross profit − formula shared costs − depreciation."""
    return model("gross_profit") - model("shared_opex_formula") - model("capex_depreciation")


@per_quarter(SHARED_OPEX)
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


@per_quarter(CLOUD_EBITA)
def cloud_ebita(model):
    """Cloud adjusted EBITA [RMB_mn]: reported in a reported quarter; else gross profit − shared
    costs − depreciation."""
    reported = _reported_ebita(model)
    if reported is not None:
        return reported
    return model("gross_profit") - model("shared_opex") - model("capex_depreciation")


@per_quarter(FIT_RESIDUAL)
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
    depreciation = model("depreciation_allocation_rate") * model(f"{layer}_revenue") if layer in COMPUTE else 0.0
    return gross - model("opex_allocation_rate") * gross - depreciation


#: The layers that carry the capex plan's depreciation (compute).
COMPUTE = ("iaas", "maas")
for _layer in LAYER_NAMES:
    _per_layer(_layer, "ebita", LAYER_EBITA[_layer], _layer_ebita,
               f"{LAYER_LABEL[_layer]} adjusted EBITA [RMB_mn] = gross profit × (1 − opex rate)"
               + (" − depreciation rate × revenue." if _layer in COMPUTE else "."))
