"""The output lines: each line's unit, roll-up rule, label and, for ratios, its parts.

One registry for every output line (docs/contract.md §4): the engine's quantities name the
lines they make, :mod:`cloudmodel.result` rolls them up by these rules, actuals files and
renderers look their units up here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cloudmodel.periods import Rollup
from cloudmodel.units import RMB_PER_MILLION, TOKENS_PER_MILLION

LAYER_NAMES = ("iaas", "paas", "saas", "maas", "solutions")
#: Each layer's name as tables, charts and the note print it.
LAYER_LABELS = (("IaaS", "iaas"), ("PaaS", "paas"), ("SaaS", "saas"), ("MaaS", "maas"), ("Industry solutions", "solutions"))
MAAS_PARTS = ("model_calls", "plugins", "gpu_leasing", "deepseek_hosting", "apple")


@dataclass(frozen=True)
class Line:
    """An output line: unit, roll-up rule, a label, and for ratios the parts."""

    name: str
    unit: str
    rollup: Rollup
    label: str
    numerator: str | None = None
    denominator: str | None = None
    growth_of: str | None = None
    scale: float = 1.0  # for ratios whose parts are in different units (RMB_mn per token → 元/百万 tokens)
    domain: tuple[float, float] | None = None  # the plausible range of a ratio (:data:`DOMAINS`)


def _lines() -> dict[str, Line]:
    out: list[Line] = []
    flow, stock, ratio = Rollup.FLOW, Rollup.STOCK, Rollup.RATIO
    out.append(Line("cloud.revenue", "RMB_mn", flow, "Cloud revenue"))
    out.append(Line("cloud.revenue_growth", "ratio", ratio, "Cloud revenue growth (y/y)", growth_of="cloud.revenue"))
    for name in LAYER_NAMES:
        out.append(Line(f"cloud.revenue.{name}", "RMB_mn", flow, f"{name.upper() if name != 'solutions' else 'Solutions'} revenue"))
    for name in LAYER_NAMES:
        out.append(Line(f"cloud.revenue_share.{name}", "ratio", ratio, f"{name} share of cloud revenue",
                        numerator=f"cloud.revenue.{name}", denominator="cloud.revenue"))
        out.append(Line(f"cloud.revenue_growth.{name}", "ratio", ratio, f"{name} revenue growth (y/y)",
                        growth_of=f"cloud.revenue.{name}"))
    for name, label in (("iaas.international", "International IaaS"), ("iaas.ai", "IaaS: extra compute of AI customers"),
                        ("paas.ai", "PaaS: AI pull-through"), ("saas.ai", "SaaS: AI applications"),
                        ("solutions.government", "Government and enterprise projects")):
        out.append(Line(f"cloud.revenue.{name}", "RMB_mn", flow, label))
    out.append(Line("cloud.gross_profit", "RMB_mn", flow, "Cloud gross profit"))
    for name in LAYER_NAMES:
        out.append(Line(f"cloud.gross_profit.{name}", "RMB_mn", flow, f"{name} gross profit"))
    out.append(Line("cloud.shared_opex", "RMB_mn", flow, "Shared operating costs"))
    out.append(Line("cloud.capex_depreciation", "RMB_mn", flow, "Depreciation of the capex plan (increment)"))
    out.append(Line("group.capex", "RMB_mn", flow, "Group capital expenditure (the plan's run-rate)"))
    out.append(Line("cloud.ebita", "RMB_mn", flow, "Cloud adjusted EBITA"))
    out.append(Line("cloud.ebita_margin", "ratio", ratio, "Cloud adjusted EBITA margin", "cloud.ebita", "cloud.revenue"))
    for name in LAYER_NAMES:
        out.append(Line(f"cloud.ebita.{name}", "RMB_mn", flow, f"{name} adjusted EBITA"))
        out.append(Line(f"cloud.ebita_margin.{name}", "ratio", ratio, f"{name} EBITA margin",
                        f"cloud.ebita.{name}", f"cloud.revenue.{name}"))
    out.append(Line("cloud.ebita.fit_residual", "RMB_mn", flow, "EBITA formula less reported EBITA (history)"))
    out.append(Line("cloud.revenue.gap", "ratio", stock, "Growth gap: log of non-AI revenue over the drivers' forecast"))
    out.append(Line("cloud.ebita_margin.gap", "ratio", stock, "Margin gap: EBITA margin less the formula's"))
    out.append(Line("cloud.customers", "count", stock, "Cloud customers"))
    out.append(Line("cloud.ai.customers", "count", stock, "AI customers"))
    out.append(Line("cloud.ai.penetration", "ratio", stock, "AI penetration"))
    out.append(Line("cloud.ai.revenue", "RMB_mn", flow, "AI and AI-adjacent revenue"))
    out.append(Line("cloud.ai.revenue_growth", "ratio", ratio, "AI and AI-adjacent revenue growth (y/y)", growth_of="cloud.ai.revenue"))
    out.append(Line("cloud.ai.revenue_share", "ratio", ratio, "AI share of cloud revenue", "cloud.ai.revenue", "cloud.revenue"))
    for name in MAAS_PARTS:
        out.append(Line(f"cloud.maas.{name}", "RMB_mn", flow, "MaaS: " + name.replace("_", " ")))
    out.append(Line("cloud.maas.tokens", "tokens", flow, "Billable tokens"))
    out.append(Line("cloud.maas.price", "RMB_per_mn_tokens", ratio, "Average price of a model call",
                    "cloud.maas.model_calls", "cloud.maas.tokens", scale=TOKENS_PER_MILLION * RMB_PER_MILLION))
    out.append(Line("cloud.maas.margin", "ratio", ratio, "MaaS gross margin", "cloud.gross_profit.maas", "cloud.revenue.maas"))
    out.append(Line("cloud.deepseek.dau_hosted", "count", stock, "DeepSeek DAU hosted by Alibaba"))
    out.append(Line("cloud.apple.users_served", "count", stock, "Apple users served (if the deal happens)"))
    for name, label in (("group.revenue", "Group revenue"), ("group.adj_ebita", "Group adjusted EBITA"),
                        ("group.non_gaap_net_income", "Group Non-GAAP net income"),
                        ("group.taotian.revenue", "Taotian revenue"), ("group.taotian.adj_ebita", "Taotian adjusted EBITA"),
                        ("group.china_ecommerce.revenue", "China E-commerce Group revenue"),
                        ("group.china_ecommerce.adj_ebita", "China E-commerce Group adjusted EBITA"),
                        ("group.other.revenue", "Group revenue outside cloud and Taotian")):
        out.append(Line(name, "RMB_mn", flow, label))
    out.append(Line("group.revenue_growth", "ratio", ratio, "Group revenue growth (y/y)", growth_of="group.revenue"))
    out.append(Line("group.adj_ebita_margin", "ratio", ratio, "Group adjusted EBITA margin", "group.adj_ebita", "group.revenue"))
    for name, unit, label in (("valuation.cloud.usd_per_ads", "USD", "Cloud value per ADS"),
                              ("valuation.taotian.usd_per_ads", "USD", "Taotian value per ADS"),
                              ("valuation.target.usd_per_ads", "USD", "Target price per ADS"),
                              ("valuation.target.hkd_per_share", "HKD", "Target price per HK share")):
        out.append(Line(name, unit, stock, label))
    return {line.name: replace(line, domain=_domain(line.name) if line.unit == "ratio" else None) for line in out}


#: Plausible ranges of the ratio lines (``Line.domain``), our choice: a share or a penetration is a part of a whole
#: (0 to 100%); a margin above 100% needs negative costs, and one below −100% costs of more than
#: twice the revenue, which no cloud business of this size has reported (Alibaba Cloud's worst
#: reported year is about −2%); a growth below −100% is a negative revenue. A forecast outside
#: them is refused with the driver that caused it, like a non-finite number.
MARGIN, PART, GROWTH = (-1.0, 1.0), (0.0, 1.0), (-1.0, float("inf"))


def _domain(name: str) -> tuple[float, float] | None:
    if "_margin" in name and not name.endswith(".gap") or name == "cloud.maas.margin":
        return MARGIN
    if "_share" in name or name.endswith("penetration"):
        return PART
    if "_growth" in name:
        return GROWTH
    return None


LINES = _lines()
ANNUAL_ONLY = ("group.", "valuation.")


__all__ = ["ANNUAL_ONLY", "LAYER_LABELS", "LAYER_NAMES", "LINES", "Line", "MAAS_PARTS"]
