"""Cloud revenue by layer: the AI parts, the non-AI bases and the layers' sums.

Reported quarters split reported revenue: the non-AI bases share what the AI parts leave in
their anchor-year proportions, so the layers add up to the reported figure. A forecast quarter's
base is the same quarter a year earlier grown at its rate, which keeps the seasonality.
"""

from __future__ import annotations

from cloudmodel.graph import constant, per_quarter
from cloudmodel.lines import FLOW, LAYER_LABEL, LAYER_NAMES, MONEY, line, ratio
from cloudmodel.periods import QUARTERS_PER_YEAR
from cloudmodel.quantities.iaas import IAAS_AI
from cloudmodel.quantities.longrun import money_growth
from cloudmodel.quantities.maas import MAAS_REVENUE
from cloudmodel.quantities.paas import PAAS_AI
from cloudmodel.quantities.saas import SAAS_AI

IAAS_INTERNATIONAL = line("cloud.revenue.iaas.international", MONEY, FLOW, "International IaaS")
GOVERNMENT = line("cloud.revenue.solutions.government", MONEY, FLOW, "Government and enterprise projects")
#: Each layer's revenue line, and the quantity that makes it.
LAYER_QUANTITY = {layer: f"{layer}_revenue" for layer in LAYER_NAMES}
LAYER_REVENUE = {layer: MAAS_REVENUE if layer == "maas" else line(f"cloud.revenue.{layer}", MONEY, FLOW, f"{LAYER_LABEL[layer]} revenue")
                 for layer in LAYER_NAMES}
CLOUD_REVENUE = line("cloud.revenue", MONEY, FLOW, "Cloud revenue", parts=tuple(LAYER_REVENUE.values()),
                     check="check.cloud.layers_sum_to_revenue", metric="cloud_revenue_rmb_mn")
AI_REVENUE = line("cloud.ai.revenue", MONEY, FLOW, "AI and AI-adjacent revenue", parts=(IAAS_AI, PAAS_AI, SAAS_AI, MAAS_REVENUE),
                  check="check.cloud.ai_parts_sum_to_ai_revenue")
CLOUD_REVENUE_GROWTH = ratio("cloud.revenue_growth", "Cloud revenue growth (y/y)", growth_of=CLOUD_REVENUE)
LAYER_SHARE = {layer: ratio(f"cloud.revenue_share.{layer}", f"{LAYER_LABEL[layer]} share of cloud revenue",
                            numerator=LAYER_REVENUE[layer], denominator=CLOUD_REVENUE) for layer in LAYER_NAMES}
LAYER_GROWTH = {layer: ratio(f"cloud.revenue_growth.{layer}", f"{LAYER_LABEL[layer]} revenue growth (y/y)",
                             growth_of=LAYER_REVENUE[layer]) for layer in LAYER_NAMES}
AI_REVENUE_GROWTH = ratio("cloud.ai.revenue_growth", "AI and AI-adjacent revenue growth (y/y)", growth_of=AI_REVENUE)
AI_REVENUE_SHARE = ratio("cloud.ai.revenue_share", "AI share of cloud revenue", numerator=AI_REVENUE, denominator=CLOUD_REVENUE)


def scheduled(schedule, quarter):
    """The driver id in force in ``quarter``: the last entry of ``schedule`` starting at or before it."""
    current = schedule[0][1]
    for start, driver_id in schedule:
        if start <= quarter:
            current = driver_id
    return current


@per_quarter(AI_REVENUE)
def cloud_ai_revenue(model):
    """AI and AI-adjacent revenue [RMB_mn] = IaaS AI compute + PaaS AI pull-through + SaaS AI
    applications + MaaS."""
    return model("iaas_ai_compute") + model("paas_ai") + model("saas_ai") + model("maas_revenue")


@constant()
def base_total_anchor(model):
    """The non-AI bases of the anchor year together [RMB_mn] = domestic IaaS + international IaaS +
    PaaS + SaaS + government projects + other solutions."""
    return sum(model(name) for name in ("iaas_domestic_base_anchor", "iaas_international_anchor", "paas_base_anchor",
                                    "saas_base_anchor", "government_anchor", "solutions_other_anchor"))


@per_quarter()
def non_ai_revenue(model):
    """Reported revenue the AI parts leave, in a reported quarter [RMB_mn] = reported cloud revenue −
    AI revenue; no value in a forecast quarter."""
    reported = model.actual(CLOUD_REVENUE) if model.quarter <= model.timeline.origin else None
    return None if reported is None else reported - model("cloud_ai_revenue")


#: The non-AI bases and the growth driver of each (None: the organic rate in force).
BASE_GROWTH = (("iaas_domestic_base", None), ("iaas_international", "iaas.international_growth"), ("paas_base", None),
               ("saas_base", None), ("government_projects", "solutions.government_projects_growth"), ("solutions_other", None))


def _grown(model, name, growth_id, quarter):
    """A base at ``quarter`` as the drivers grow it: the same quarter a year earlier × (1 + growth),
    the rate fading to growth.terminal_rate after the explicit forecast (:mod:`.longrun`)."""
    growth = model.driver(growth_id or scheduled(model.timeline.organic, quarter))
    end = model.timeline.years(quarter)
    return model(name, quarter - QUARTERS_PER_YEAR) * money_growth(model, growth, end - 1, end)


def _base(model, name, anchor, growth_id=None):
    """A non-AI base [RMB_mn]: in a reported quarter up to the report's origin, non-AI revenue × its
    anchor-year share of the bases; in one reported after it, non-AI revenue × its share of the
    drivers' forecast of the bases for that quarter (so a quarter reported as forecast splits as
    forecast, and changes nothing after it); in a forecast quarter, the same quarter a year earlier ×
    (1 + growth), the organic rate in force (growth.organic_*) unless ``growth_id`` is given, × the
    revenue state's factor: the growth surprise the reported quarters show carries into the next
    ones (:mod:`cloudmodel.quantities.state`)."""
    if model.quarter <= min(model.timeline.origin, model.timeline.report_origin):
        return model("non_ai_revenue") * model(anchor) / model("base_total_anchor")
    if model.quarter <= model.timeline.origin:
        return model("non_ai_revenue") * _grown(model, name, growth_id, model.quarter) / model("non_ai_forecast")
    return _grown(model, name, growth_id, model.quarter) * model("revenue_state_factor")


@per_quarter()
def iaas_domestic_base(model):
    """Domestic non-AI IaaS [RMB_mn]: reported quarters split, forecast grown at the organic rate."""
    return _base(model, "iaas_domestic_base", "iaas_domestic_base_anchor")


@per_quarter(IAAS_INTERNATIONAL)
def iaas_international(model):
    """International IaaS [RMB_mn]: reported quarters split, forecast grown at iaas.international_growth."""
    return _base(model, "iaas_international", "iaas_international_anchor", "iaas.international_growth")


@per_quarter()
def paas_base(model):
    """Non-AI PaaS [RMB_mn]: reported quarters split, forecast grown at the organic rate."""
    return _base(model, "paas_base", "paas_base_anchor")


@per_quarter()
def saas_base(model):
    """Non-AI SaaS [RMB_mn]: reported quarters split, forecast grown at the organic rate."""
    return _base(model, "saas_base", "saas_base_anchor")


@per_quarter(GOVERNMENT)
def government_projects(model):
    """Government and enterprise projects [RMB_mn]: reported quarters split, forecast grown at
    solutions.government_projects_growth."""
    return _base(model, "government_projects", "government_anchor", "solutions.government_projects_growth")


@per_quarter()
def solutions_other(model):
    """Other industry solutions [RMB_mn]: reported quarters split, forecast grown at the organic rate."""
    return _base(model, "solutions_other", "solutions_other_anchor")


@per_quarter()
def non_ai_forecast(model):
    """The drivers' forecast of a quarter's non-AI revenue [RMB_mn] = Σ bases a year earlier × (1 +
    their growth), before any residual state; no value before a year of quarters."""
    if model.quarter - QUARTERS_PER_YEAR < model.timeline.first:
        return None
    return sum(_grown(model, name, growth_id, model.quarter) for name, growth_id in BASE_GROWTH)


@per_quarter(LAYER_REVENUE["iaas"])
def iaas_revenue(model):
    """IaaS revenue [RMB_mn] = domestic non-AI base + international + AI compute."""
    return model("iaas_domestic_base") + model("iaas_international") + model("iaas_ai_compute")


@per_quarter(LAYER_REVENUE["paas"])
def paas_revenue(model):
    """PaaS revenue [RMB_mn] = non-AI base + AI pull-through."""
    return model("paas_base") + model("paas_ai")


@per_quarter(LAYER_REVENUE["saas"])
def saas_revenue(model):
    """SaaS revenue [RMB_mn] = non-AI base + AI applications."""
    return model("saas_base") + model("saas_ai")


@per_quarter(LAYER_REVENUE["solutions"])
def solutions_revenue(model):
    """Industry solutions revenue [RMB_mn] = government projects + other solutions."""
    return model("government_projects") + model("solutions_other")


@per_quarter(CLOUD_REVENUE)
def cloud_revenue(model):
    """Cloud revenue [RMB_mn]: reported in a reported quarter; else IaaS + PaaS + SaaS + MaaS + solutions."""
    if model.quarter <= model.timeline.origin:
        return model.actual(CLOUD_REVENUE)
    return sum(model(name) for name in LAYER_QUANTITY.values())
