"""The orchestrator: runs the layers quarter by quarter and returns every line's values.

:func:`run` takes driver values (floats for one scenario, numpy arrays for many draws),
the reported history and a :class:`Timeline`, and returns :class:`Raw` — per-quarter
series and per-fiscal-year series keyed by output line. It holds no figures: the timing
comes from the drivers' own periods (the as-of date of the December 2024 AI customers,
the quarter of the price cut, the CY2024 anchor year of the MaaS figures, the first year
of the capex plan), the values from the drivers, the actuals from the history.

Path of a number: driver file → :func:`cloudmodel.drivers.load_drivers` → ``values`` →
layer functions here → :class:`Raw` → :mod:`cloudmodel.result` (long table, roll-ups,
checks) → renderers and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .drivers import DriverSet
from .errors import InputError
from .history import LINE_METRICS, History
from .layers import customers, ebita, group, iaas, maas, paas, saas, solutions, valuation
from .periods import QUARTERS_PER_YEAR, Period, calendar_to_fiscal, fiscal_index, fiscal_parts

MONTHS_PER_QUARTER = 3
LAYER_NAMES = ("iaas", "paas", "saas", "maas", "solutions")
MAAS_PARTS = ("model_calls", "plugins", "gpu_leasing", "deepseek_hosting", "apple")
BASES = ("iaas_domestic", "iaas_international", "paas", "saas", "government", "solutions_other")
ORGANIC_SCHEDULE = ("growth.organic_fy2025", "growth.organic_fy2026", "growth.organic_long_run")
TAOTIAN_REVENUE_SCHEDULE = ("taotian.revenue_growth_fy2025", "taotian.revenue_growth_fy2026", "taotian.revenue_growth_long_run")
REPORT_GROWTH = ("targets.cloud_revenue_growth_fy2025", "targets.cloud_revenue_growth_fy2026")
REPORT_MARGIN = ("targets.cloud_ebita_margin_fy2025", "targets.cloud_ebita_margin_fy2026")
TAOTIAN_EBITA_SCHEDULE = ("taotian.adj_ebita_growth_fy2025", "taotian.adj_ebita_growth_fy2026", "taotian.adj_ebita_growth_long_run")


def period_quarter(period: str) -> int:
    """The fiscal quarter index a driver's period refers to: its last quarter for a year
    (``FY2026`` → FY2026Q4), the quarter containing an as-of date (``2025-03`` → FY2025Q4)."""
    if period[:2] in ("FY", "CY"):
        label = period[:6] + ("Q2" if period.endswith("H1") else "Q4" if period.endswith("H2") else period[6:])
        return Period.parse(label).fiscal_quarters()[-1]
    year, month = int(period[:4]), int(period[5:7])
    return calendar_to_fiscal(year, (month - 1) // MONTHS_PER_QUARTER + 1)


def period_first_quarter(period: str) -> int:
    if period[:2] in ("FY", "CY"):
        return Period.parse(period[:6] if period[6:7] == "H" else period).fiscal_quarters()[0]
    return period_quarter(period)


@dataclass(frozen=True)
class Timeline:
    """Which quarters are history, anchor, forecast; when things start. Built from driver periods."""

    first: int  # first reported quarter
    origin: int  # last quarter taken as actual
    last: int  # last forecast quarter
    reference: int  # quarter ending at the as-of date of ai.customers_dec2024 (time 0)
    target: int  # quarter of the AI penetration target
    anchor: tuple[int, ...]  # the CY2024 quarters the report's segment figures describe
    price_cut: int  # quarter the DeepSeek price cuts start
    deepseek_now: int
    deepseek_target: int
    capex_start: int
    organic: tuple[tuple[int, str], ...]
    taotian_revenue: tuple[tuple[int, str], ...]
    taotian_ebita: tuple[tuple[int, str], ...]
    report_years: tuple[int, ...]  # fiscal years of the report's cloud targets (FY2025, FY2026)

    @property
    def quarters(self) -> range:
        return range(self.first, self.last + 1)

    def years(self, q: int) -> float:
        """Years from the reference date (end of Dec 2024) to the end of quarter ``q``."""
        return (q - self.reference) / QUARTERS_PER_YEAR

    @property
    def fiscal_years(self) -> list[int]:
        first_year, first_q = fiscal_parts(self.first)
        last_year, last_q = fiscal_parts(self.last)
        return [y for y in range(first_year, last_year + 1)
                if fiscal_index(y, 1) >= self.first and fiscal_index(y, 4) <= self.last]


def _schedule(drivers: DriverSet, ids: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    return tuple(sorted((period_first_quarter(drivers[i].period), i) for i in ids))


def scheduled(schedule: tuple[tuple[int, str], ...], q: int) -> str:
    """The driver id in force in quarter ``q``: the last entry starting at or before it."""
    current = schedule[0][1]
    for start, driver_id in schedule:
        if start <= q:
            current = driver_id
    return current


def make_timeline(drivers: DriverSet, history: History, last: int, origin: int | None = None,
                  first: int | None = None) -> Timeline:
    """``first`` defaults to the first reported quarter; simulation starts at the anchor year,
    the earliest quarter the forecast depends on."""
    origin = history.last_quarter if origin is None else origin
    if last <= origin:
        raise InputError.one("--horizon", "", last, "the horizon must end after the last actual quarter")
    anchor = tuple(Period.parse(drivers["maas.model_calls_cy2024"].period).fiscal_quarters())
    if origin < anchor[-1]:  # an earlier origin: the last four quarters known then stand in for the anchor year
        anchor = tuple(range(origin - QUARTERS_PER_YEAR + 1, origin + 1))
    return Timeline(
        first=history.first_quarter if first is None else min(first, anchor[0]),
        origin=origin,
        last=last,
        reference=period_quarter(drivers["ai.customers_dec2024"].period),
        target=period_quarter(drivers["ai.penetration_target"].period),
        anchor=anchor,
        price_cut=period_quarter(drivers["price.qwen_max_now"].period),
        deepseek_now=period_quarter(drivers["deepseek.dau_now"].period),
        deepseek_target=period_quarter(drivers["deepseek.dau_cy2025"].period),
        capex_start=period_first_quarter(drivers["capex.plan_total"].period),
        organic=_schedule(drivers, ORGANIC_SCHEDULE),
        taotian_revenue=_schedule(drivers, TAOTIAN_REVENUE_SCHEDULE),
        taotian_ebita=_schedule(drivers, TAOTIAN_EBITA_SCHEDULE),
        report_years=tuple(fiscal_parts(period_quarter(drivers[i].period))[0] for i in REPORT_GROWTH),
    )


@dataclass
class Raw:
    """Line -> {quarter index: value} and line -> {fiscal year: value}, as the engine made them."""

    quarterly: dict[str, dict[int, Any]] = field(default_factory=dict)
    annual: dict[str, dict[int, Any]] = field(default_factory=dict)
    timeline: Timeline | None = None
    actual: dict[str, set[int]] = field(default_factory=dict)  # quarters of each line that are reported

    def put(self, line: str, q: int, value: Any) -> None:
        self.quarterly.setdefault(line, {})[q] = value

    def put_year(self, line: str, year: int, value: Any) -> None:
        self.annual.setdefault(line, {})[year] = value

    def fiscal_year(self, line: str, year: int) -> Any:
        """Sum of a flow line over a fiscal year's quarters."""
        series = self.quarterly[line]
        return sum(series[fiscal_index(year, k)] for k in range(1, QUARTERS_PER_YEAR + 1))


def _avg(a: Any, b: Any) -> Any:
    return (a + b) / 2


def observed_actuals(history: History, extra: Mapping[str, Mapping[int, float]] | None, origin: int) -> dict[str, dict[int, float]]:
    """Reported quarters up to ``origin``: the history, then an actuals file's quarters on top."""
    observed = {"cloud.revenue": dict(history.quarterly["cloud_revenue_rmb_mn"]),
                "cloud.ebita": dict(history.quarterly["cloud_adj_ebita_rmb_mn"])}
    for line, values in (extra or {}).items():
        observed.setdefault(line, {}).update(values)
    return {line: {q: x for q, x in values.items() if q <= origin} for line, values in observed.items()}


def run(v: Mapping[str, Any], history: History, timeline: Timeline,
        actuals: Mapping[str, Mapping[int, float]] | None = None) -> Raw:
    """Run every layer for every quarter of the timeline; see the module docstring.

    ``actuals`` adds reported quarters beyond the history (an actuals file): ``cloud.revenue``
    and ``cloud.ebita`` replace the model's quarters up to the origin; the latest
    ``cloud.ai.customers`` and ``cloud.deepseek.dau_hosted`` re-anchor the adoption curve and the
    DeepSeek traffic path."""
    t = timeline
    observed = observed_actuals(history, actuals, t.origin)
    revenue_actual, ebita_actual = observed["cloud.revenue"], observed["cloud.ebita"]
    missing = [q for q in range(t.first, t.origin + 1) if q not in revenue_actual]
    if missing:
        from .periods import quarter_label

        raise InputError.one("actuals", "cloud.revenue", quarter_label(missing[0]),
                             "no reported cloud revenue for this quarter, which lies before the origin",
                             "add it to the actuals file, or move the origin back")
    raw = Raw(timeline=t, actual={"cloud.revenue": set(revenue_actual), "cloud.ebita": set(ebita_actual)})
    quarters = list(t.quarters)
    ends = [quarters[0] - 1, *quarters]

    # --- customers and AI adoption (stocks at quarter ends; flows use quarter averages)
    years_to_target = (t.target - t.reference) / QUARTERS_PER_YEAR
    knots = {0.0: v["ai.penetration_dec2024"], years_to_target: v["ai.penetration_target"]}
    ai_observed = observed.get("cloud.ai.customers", {})
    if ai_observed:  # re-anchor: the path also passes through the latest reported AI customers
        q_a = max(ai_observed)
        n_a = customers.cloud_customers(v["customers.total"], v["customers.growth"], t.years(q_a))
        knots[t.years(q_a)] = ai_observed[q_a] / n_a
        raw.actual["cloud.ai.customers"] = {q_a}
    knots = sorted(knots.items())
    n_end, a_end = {}, {}
    for q in ends:
        n_end[q] = customers.cloud_customers(v["customers.total"], v["customers.growth"], t.years(q))
        p = customers.penetration_through(t.years(q), knots, v["ai.penetration_ceiling"])
        a_end[q] = customers.ai_customers(n_end[q], p)
        if q in t.quarters:
            raw.put("cloud.customers", q, n_end[q])
            raw.put("cloud.ai.penetration", q, p)
            raw.put("cloud.ai.customers", q, a_end[q])
    a_avg = {q: _avg(a_end[q - 1], a_end[q]) for q in quarters}
    n_avg = {q: _avg(n_end[q - 1], n_end[q]) for q in quarters}
    a_new = {q: a_end[q] - a_end[q - 1] for q in quarters}
    anchor = t.anchor
    sum_a = sum(a_avg[q] for q in anchor)
    sum_n = sum(n_avg[q] for q in anchor)
    anchor_revenue = sum(revenue_actual[q] for q in anchor)

    # --- MaaS
    anchor_price = v["price.qwen_blended_cy2024"]
    qwen_after = anchor_price * v["price.qwen_cut_ratio"]
    price, usage = {}, {}
    for q in quarters:
        if q < t.price_cut:
            price[q] = anchor_price
        else:
            share = v["maas.deepseek_call_share"] * (0.5 if q == t.price_cut else 1)
            price[q] = maas.blended_price(share, v["maas.deepseek_r1_call_share"], v["price.deepseek_r1"],
                                          v["price.deepseek_v3"], qwen_after)
        mid_years = t.years(q) - 1 / (2 * QUARTERS_PER_YEAR)
        usage[q] = maas.usage_factor(mid_years, v["maas.token_usage_growth"], price[q], anchor_price,
                                     v["maas.token_price_elasticity"])
    tpc = maas.tokens_per_customer_anchor(
        v["maas.model_calls_cy2024"], anchor_price, v["maas.free_quota_tokens"],
        sum(a_new[q] for q in anchor), sum(a_avg[q] * usage[q] for q in anchor))
    elasticity = v["maas.gpu_leasing_customer_elasticity"]
    leasing_per = maas.leasing_per_weighted_customer(v["maas.gpu_leasing_cy2024"], sum(a_avg[q] ** elasticity for q in anchor))
    price_per_plugin = maas.plugin_price(v["maas.plugins_cy2024"], v["maas.plugins_per_ai_customer_cy2024"], sum_a)
    dau_knots = {t.years(t.deepseek_now): v["deepseek.dau_now"], t.years(t.deepseek_target): v["deepseek.dau_cy2025"]}
    dau_observed = {q: x for q, x in observed.get("cloud.deepseek.dau_hosted", {}).items() if q >= t.deepseek_now}
    if dau_observed:  # re-anchor on the latest reported hosted DAU
        q_d = max(dau_observed)
        dau_knots[t.years(q_d)] = dau_observed[q_d] / v["deepseek.alibaba_share"]
        raw.actual["cloud.deepseek.dau_hosted"] = {q_d}
    dau_knots = sorted(dau_knots.items())
    dau_end = {q: maas.dau_through(t.years(q), dau_knots, v["deepseek.dau_growth_after_cy2025"]) for q in ends}
    compute_fee = maas.apple_compute_fee(v["apple.users"], v["apple.tier1_users"], v["apple.tier1_fee"],
                                         v["apple.tier2_users"], v["apple.tier2_fee"], v["apple.tier3_users"],
                                         v["apple.tier3_fee"])
    licence_fee = maas.apple_licence_fee(v["apple.device_shipments"], v["apple.licence_tier1_units"],
                                         v["apple.licence_tier2_units"], v["apple.licence_tier3_units"],
                                         v["apple.licence_price_tier1"], v["apple.licence_price_tier2"],
                                         v["apple.licence_price_tier3"])
    for q in quarters:
        tokens = maas.billable_tokens(a_avg[q], a_new[q], tpc * usage[q], v["maas.free_quota_tokens"])
        ppc = v["maas.plugins_per_ai_customer_cy2024"] if q <= max(anchor) else v["maas.plugins_per_ai_customer"]
        hosted = v["deepseek.alibaba_share"] * _avg(dau_end[q - 1], dau_end[q])
        months = 0 if q < t.deepseek_now else (v["deepseek.hosting_months_fy2025q4"] if q == t.deepseek_now else MONTHS_PER_QUARTER)
        active = maas.apple_active_share(q - t.price_cut, v["apple.launch_delay_quarters"])
        parts = {
            "model_calls": maas.model_call_revenue(tokens, price[q]),
            "plugins": maas.plugin_revenue(price_per_plugin, ppc, a_avg[q]),
            "gpu_leasing": maas.gpu_leasing_revenue(leasing_per, a_avg[q], elasticity),
            "deepseek_hosting": maas.deepseek_hosting_revenue(hosted, v["deepseek.hosting_price_per_dau_year"], months),
            "apple": maas.apple_revenue(compute_fee, licence_fee, v["apple.deal_probability"], active),
        }
        for name, value in parts.items():
            raw.put(f"cloud.maas.{name}", q, value)
        raw.put("cloud.revenue.maas", q, maas.maas_revenue(**parts))
        raw.put("cloud.maas.tokens", q, tokens)
        raw.put("cloud.deepseek.dau_hosted", q, v["deepseek.alibaba_share"] * dau_end[q])
        raw.put("cloud.apple.users_served", q, v["apple.users"] * active)
        margin = v["maas.model_call_margin_before"] if q < t.price_cut else v["maas.model_call_margin_after"]
        raw.put("cloud.gross_profit.maas", q, maas.maas_gross_profit(
            parts["model_calls"], parts["plugins"], parts["gpu_leasing"] + parts["deepseek_hosting"] + parts["apple"],
            margin, v["maas.plugin_margin"], v["maas.gpu_leasing_margin"]))
    maas_anchor = sum(raw.quarterly["cloud.revenue.maas"][q] for q in anchor)

    # --- AI pull-through in IaaS, PaaS, SaaS and the anchor-year bases
    iaas_anchor = anchor_revenue * iaas.iaas_share(v["paas.share"], v["saas.share"], v["solutions.share"],
                                                   maas_anchor / anchor_revenue)
    domestic_anchor = iaas_anchor * (1 - v["iaas.international_share"])
    spend = iaas.general_spend_per_customer(domestic_anchor, sum_n, sum_a, v["iaas.ai_compute_uplift"])
    ai_iaas = {q: iaas.ai_compute_revenue(a_avg[q], spend, v["iaas.ai_compute_uplift"]) for q in quarters}
    ai_iaas_anchor = sum(ai_iaas[q] for q in anchor)
    other_ai = paas.other_ai_revenue(v["ai.revenue_cy2024"], maas_anchor, v["saas.smart_customer_service_cy2024"],
                                     v["paas.content_moderation_cy2024"], ai_iaas_anchor)
    paas_ai_anchor = v["paas.content_moderation_cy2024"] + other_ai
    paas_per = paas.pull_through_per_customer(paas_ai_anchor, sum_a)
    saas_per = saas.pull_through_per_customer(v["saas.smart_customer_service_cy2024"], sum_a)
    ai_paas = {q: paas.ai_pull_through(paas_per, a_avg[q]) for q in quarters}
    ai_saas = {q: saas.ai_pull_through(saas_per, a_avg[q]) for q in quarters}
    bases_anchor = {
        "iaas_domestic": domestic_anchor - ai_iaas_anchor,
        "iaas_international": iaas_anchor * v["iaas.international_share"],
        "paas": anchor_revenue * v["paas.share"] - paas_ai_anchor,
        "saas": anchor_revenue * v["saas.share"] - v["saas.smart_customer_service_cy2024"],
        "government": v["solutions.government_projects_cy2024"],
        "solutions_other": solutions.other_solutions_anchor(anchor_revenue, v["solutions.share"],
                                                            v["solutions.government_projects_cy2024"]),
    }
    base_total = sum(bases_anchor.values())
    raw.put_year("cloud.anchor.other_ai_revenue", 0, other_ai)
    raw.put_year("cloud.anchor.iaas_share", 0, iaas_anchor / anchor_revenue)

    # --- the non-AI bases: history allocated from actual revenue, forecast grown a year on
    base: dict[str, dict[int, Any]] = {b: {} for b in BASES}
    for q in quarters:
        ai_total = ai_iaas[q] + ai_paas[q] + ai_saas[q] + raw.quarterly["cloud.revenue.maas"][q]
        if q <= t.origin:
            non_ai = revenue_actual[q] - ai_total
            for b in BASES:
                base[b][q] = non_ai * bases_anchor[b] / base_total
        else:
            organic = v[scheduled(t.organic, q)]
            growth_of = {"iaas_international": v["iaas.international_growth"],
                         "government": v["solutions.government_projects_growth"]}
            for b in BASES:
                base[b][q] = iaas.grown(base[b][q - QUARTERS_PER_YEAR], growth_of.get(b, organic))
        layer = {
            "iaas": iaas.iaas_revenue(base["iaas_domestic"][q], base["iaas_international"][q], ai_iaas[q]),
            "paas": paas.paas_revenue(base["paas"][q], ai_paas[q]),
            "saas": saas.saas_revenue(base["saas"][q], ai_saas[q]),
            "maas": raw.quarterly["cloud.revenue.maas"][q],
            "solutions": solutions.solutions_revenue(base["government"][q], base["solutions_other"][q]),
        }
        for name in ("iaas", "paas", "saas", "solutions"):
            raw.put(f"cloud.revenue.{name}", q, layer[name])
        raw.put("cloud.revenue", q, revenue_actual[q] if q <= t.origin else sum(layer.values()))
        raw.put("cloud.revenue.iaas.international", q, base["iaas_international"][q])
        raw.put("cloud.revenue.iaas.ai", q, ai_iaas[q])
        raw.put("cloud.revenue.paas.ai", q, ai_paas[q])
        raw.put("cloud.revenue.saas.ai", q, ai_saas[q])
        raw.put("cloud.revenue.solutions.government", q, base["government"][q])
        raw.put("cloud.ai.revenue", q, ai_total)

    # --- EBITA
    margins = {"iaas": v["iaas.gross_margin"], "paas": v["paas.gross_margin"], "saas": v["saas.gross_margin"],
               "solutions": v["solutions.gross_margin"]}
    capex = ebita.incremental_capex_per_quarter(v["capex.plan_total"], v["capex.plan_years"],
                                                v["capex.past_decade_total"], v["capex.baseline_years"],
                                                v["capex.cloud_share"])
    for q in quarters:
        rev = {name: raw.quarterly[f"cloud.revenue.{name}"][q] for name in LAYER_NAMES}
        gp = {name: ebita.gross_profit(rev[name], margins[name]) for name in margins}
        gp["maas"] = raw.quarterly["cloud.gross_profit.maas"][q]
        gp_total = sum(gp.values())
        depreciation = ebita.capex_depreciation(q - t.capex_start, capex, v["capex.plan_years"],
                                                v["capex.useful_life_years"])
        formula_opex = ebita.shared_opex(v["ebita.shared_fixed_opex_per_quarter"], v["ebita.shared_fixed_opex_trend"],
                                         t.years(q), v["ebita.shared_variable_opex_ratio"], raw.quarterly["cloud.revenue"][q])
        if q <= t.origin and q in ebita_actual:
            opex = gp_total - ebita_actual[q] - depreciation
            total = ebita_actual[q]
            raw.put("cloud.ebita.fit_residual", q, ebita.ebita(gp_total, formula_opex, depreciation) - total)
        else:
            opex = formula_opex
            total = ebita.ebita(gp_total, opex, depreciation)
        opex_rate = ebita.allocation_rate(opex, gp_total)
        depreciation_rate = ebita.allocation_rate(depreciation, rev["iaas"] + rev["maas"])
        for name in LAYER_NAMES:
            share_of_depreciation = depreciation_rate * rev[name] if name in ("iaas", "maas") else 0.0
            raw.put(f"cloud.ebita.{name}", q, gp[name] - opex_rate * gp[name] - share_of_depreciation)
            raw.put(f"cloud.gross_profit.{name}", q, gp[name])
        raw.put("cloud.gross_profit", q, gp_total)
        raw.put("cloud.shared_opex", q, opex)
        raw.put("cloud.capex_depreciation", q, depreciation)
        raw.put("cloud.ebita", q, total)

    _group_and_valuation(v, history, raw)
    return raw


def _group_and_valuation(v: Mapping[str, Any], history: History, raw: Raw) -> None:
    """Fiscal-year group lines and the valuation, around the cloud forecast.

    Years up to the report's base year (FY2024) are reported; the report's forecast years
    (FY2025, FY2026) take the group outside cloud from Table 4; later years grow it.
    """
    t = raw.timeline
    tax = v["group.tax_rate"]
    base_year = t.report_years[0] - 1
    report_cloud = {base_year: history.fiscal_year_total("cloud_revenue_rmb_mn", base_year)}
    report_cloud_ebita = {}
    for year, growth_id, margin_id in zip(t.report_years, REPORT_GROWTH, REPORT_MARGIN, strict=True):
        report_cloud[year] = report_cloud[year - 1] * (1 + v[growth_id])
        report_cloud_ebita[year] = report_cloud[year] * v[margin_id]
    taotian_revenue = {base_year: history.taotian_revenue_fy(base_year)}
    taotian_ebita = {int(label[2:]): value for label, value in history.annual["ttg_adj_ebita_rmb_mn"].items()}
    other_revenue, ex_cloud_ebita, ex_cloud_income = {}, {}, {}
    for year in t.fiscal_years:
        cloud_revenue = raw.fiscal_year("cloud.revenue", year)
        cloud_ebita = raw.fiscal_year("cloud.ebita", year)
        if year <= base_year:
            for line in ("group.revenue", "group.adj_ebita"):
                reported = history.fiscal_year_total(LINE_METRICS[line], year)
                if reported is not None:
                    raw.put_year(line, year, reported)
            if f"group.table4.non_gaap_net_income_fy{year}" in v:
                raw.put_year("group.non_gaap_net_income", year, v[f"group.table4.non_gaap_net_income_fy{year}"])
        else:
            q4 = fiscal_index(year, QUARTERS_PER_YEAR)
            previous = taotian_revenue.get(year - 1)  # unknown at an origin before the history backs it out
            taotian_revenue[year] = None if previous is None else group.grow(previous, v[scheduled(t.taotian_revenue, q4)])
            taotian_ebita[year] = group.grow(taotian_ebita[year - 1], v[scheduled(t.taotian_ebita, q4)])
            if year in report_cloud_ebita:
                table4 = f"group.table4.{{}}_fy{year}"
                rest = group.ex_cloud(v[table4.format("revenue")], report_cloud[year])
                other_revenue[year] = rest - (0.0 if taotian_revenue[year] is None else taotian_revenue[year])
                ex_cloud_ebita[year] = group.ex_cloud(
                    v[table4.format("adj_ebita_margin")] * v[table4.format("revenue")], report_cloud_ebita[year])
                ex_cloud_income[year] = group.ex_cloud(
                    v[table4.format("non_gaap_net_income")], report_cloud_ebita[year] * (1 - tax))
            else:
                other_revenue[year] = group.grow(other_revenue[year - 1], v["group.other_revenue_growth_long_run"])
                ex_cloud_ebita[year] = group.grow(ex_cloud_ebita[year - 1], v["group.ex_cloud_profit_growth_long_run"])
                ex_cloud_income[year] = group.grow(ex_cloud_income[year - 1], v["group.ex_cloud_profit_growth_long_run"])
            if taotian_revenue[year] is not None:
                raw.put_year("group.taotian.revenue", year, taotian_revenue[year])
            raw.put_year("group.other.revenue", year, other_revenue[year])
            taotian = 0.0 if taotian_revenue[year] is None else taotian_revenue[year]
            raw.put_year("group.revenue", year, group.group_revenue(cloud_revenue, taotian, other_revenue[year]))
            raw.put_year("group.adj_ebita", year, group.group_adj_ebita(ex_cloud_ebita[year], cloud_ebita))
            raw.put_year("group.non_gaap_net_income", year, group.non_gaap_net_income(ex_cloud_income[year], cloud_ebita, tax))
        if year not in taotian_ebita:
            continue
        if year <= base_year and taotian_revenue.get(year) is not None:
            raw.put_year("group.taotian.revenue", year, taotian_revenue[year])
        raw.put_year("group.taotian.adj_ebita", year, taotian_ebita[year])
        cloud_usd = valuation.per_ads(valuation.cloud_value(cloud_revenue, v["valuation.cloud_ps_multiple"]),
                                      v["valuation.usd_cny"], v["valuation.ads_count"])
        taotian_usd = valuation.per_ads(valuation.taotian_value(taotian_ebita[year], tax, v["valuation.taotian_pe_multiple"]),
                                        v["valuation.usd_cny"], v["valuation.ads_count"])
        raw.put_year("valuation.cloud.usd_per_ads", year, cloud_usd)
        raw.put_year("valuation.taotian.usd_per_ads", year, taotian_usd)
        raw.put_year("valuation.target.usd_per_ads", year, cloud_usd + taotian_usd)
        raw.put_year("valuation.target.hkd_per_share", year, valuation.hkd_per_share(
            cloud_usd + taotian_usd, v["valuation.shares_per_ads"], v["valuation.usd_hkd"]))
