"""Alibaba Group by fiscal year, around the cloud forecast.

Years up to the report's base year (FY2024) are reported; the report's forecast years (FY2025,
FY2026) take the group outside cloud from its Table 4 once the report's own cloud forecast is
taken out; later years grow it. Group profit moves one for one with cloud EBITA (after tax).
"""

from __future__ import annotations

from cloudmodel.graph import per_year
from cloudmodel.lines import DECLARED, FLOW, MONEY, line, ratio
from cloudmodel.periods import QUARTERS_PER_YEAR, fiscal_index
from cloudmodel.quantities.longrun import money_growth
from cloudmodel.quantities.revenue import CLOUD_REVENUE, scheduled

GROUP_ADJ_EBITA = line("group.adj_ebita", MONEY, FLOW, "Group adjusted EBITA", metric="group_adj_ebita_rmb_mn")
NET_INCOME = line("group.non_gaap_net_income", MONEY, FLOW, "Group Non-GAAP net income")
TAOTIAN_REVENUE = line("group.taotian.revenue", MONEY, FLOW, "Taotian revenue", metric="ttg_revenue_rmb_mn")
TAOTIAN_ADJ_EBITA = line("group.taotian.adj_ebita", MONEY, FLOW, "Taotian adjusted EBITA", metric="ttg_adj_ebita_rmb_mn")
CEG_REVENUE = line("group.china_ecommerce.revenue", MONEY, FLOW, "China E-commerce Group revenue",
                   metric="china_ecommerce_group_revenue_rmb_mn")  # reported only: the valuation's segment (segment_metric)
CEG_ADJ_EBITA = line("group.china_ecommerce.adj_ebita", MONEY, FLOW, "China E-commerce Group adjusted EBITA",
                     metric="china_ecommerce_group_adj_ebita_rmb_mn")
OTHER_REVENUE = line("group.other.revenue", MONEY, FLOW, "Group revenue outside cloud and Taotian")
GROUP_REVENUE = line("group.revenue", MONEY, FLOW, "Group revenue", metric="group_revenue_rmb_mn",
                     terms=((CLOUD_REVENUE, 1), (TAOTIAN_REVENUE, 1), (OTHER_REVENUE, 1)))
GROUP_REVENUE_GROWTH = ratio("group.revenue_growth", "Group revenue growth (y/y)", growth_of=GROUP_REVENUE)
GROUP_MARGIN = ratio("group.adj_ebita_margin", "Group adjusted EBITA margin", numerator=GROUP_ADJ_EBITA, denominator=GROUP_REVENUE)

REPORT_GROWTH = ("targets.cloud_revenue_growth_fy2025", "targets.cloud_revenue_growth_fy2026")
REPORT_MARGIN = ("targets.cloud_ebita_margin_fy2025", "targets.cloud_ebita_margin_fy2026")


def base_year(model):
    """The report's base year: the fiscal year before its first forecast year."""
    return model.timeline.report_years[0] - 1


def known_at_origin(model):
    """Whether the base year is complete at the origin: before its end (an early backtest origin) the
    group forecast, which rests on it, has no value, and only the cloud lines are computed."""
    return model.history.fiscal_year_total("cloud_revenue_rmb_mn", base_year(model)) is not None


def _report_ids(model, ids):
    return dict(zip(model.timeline.report_years, ids, strict=True))


@per_year()
def cloud_revenue_fy(model):
    """Cloud revenue of the fiscal year [RMB_mn] = Σ its quarters."""
    return model.year_sum("cloud_revenue", model.year)


@per_year()
def cloud_ebita_fy(model):
    """Cloud adjusted EBITA of the fiscal year [RMB_mn] = Σ its quarters."""
    return model.year_sum("cloud_ebita", model.year)


@per_year()
def report_cloud_revenue(model):
    """The report's own cloud revenue [RMB_mn]: reported in the base year, then × (1 +
    targets.cloud_revenue_growth_fy*) in each of its forecast years."""
    if model.year == base_year(model):
        return model.history.fiscal_year_total("cloud_revenue_rmb_mn", model.year)
    if model.year not in model.timeline.report_years or not known_at_origin(model):
        return None
    return model("report_cloud_revenue", model.year - 1) * (1 + model.driver(_report_ids(model, REPORT_GROWTH)[model.year]))


@per_year()
def report_cloud_ebita(model):
    """The report's own cloud EBITA [RMB_mn] = its cloud revenue × targets.cloud_ebita_margin_fy*."""
    if model.year not in model.timeline.report_years or not known_at_origin(model):
        return None
    return model("report_cloud_revenue") * model.driver(_report_ids(model, REPORT_MARGIN)[model.year])


def _grown(model, previous, rate):
    """The previous year's figure grown one fiscal year at ``rate`` [RMB_mn], the rate fading to
    growth.terminal_rate after the explicit forecast (:mod:`cloudmodel.quantities.longrun`)."""
    end = model.timeline.years(fiscal_index(model.year, QUARTERS_PER_YEAR))
    return previous * money_growth(model, rate, end - 1, end)


def _table4(model, item):
    return model.driver(f"group.table4.{item}_fy{model.year}")


def _table4_ex_cloud_adj_ebita(model):
    """Table 4's group adjusted EBITA outside cloud [RMB_mn] = group.table4.adj_ebita_margin ×
    group.table4.revenue − the report's cloud EBITA."""
    return _table4(model, "adj_ebita_margin") * _table4(model, "revenue") - model("report_cloud_ebita")


CEG = "china_ecommerce_group"


def segment_metric(model, item):
    """The history's metric of the e-commerce segment the valuation rests on: Taobao and Tmall Group
    (``ttg_*``) until the reorganised China E-commerce Group has a restated comparative year (the
    FY2026 20-F), then China E-commerce Group (``china_ecommerce_group_*``), for every year."""
    ceg = f"{CEG}_{item}_rmb_mn"
    return ceg if ceg in model.history.annual else f"ttg_{item}_rmb_mn"


def reported_year(model, metric, year=None):
    """A fiscal year's reported total of a history metric (the annual figure or four quarters), or None."""
    return model.history.fiscal_year_total(metric, model.year if year is None else year)


def _segment(model, item, in_base_year, growth_schedule):
    """A year of the e-commerce segment [RMB_mn]: reported where the history holds it; none before the
    base year (on China E-commerce Group's basis, before its first restated year); in the base year
    ``in_base_year()``; later the previous year × (1 + the Taotian growth in force)."""
    metric = segment_metric(model, item)
    reported = reported_year(model, metric)
    if reported is not None:
        return reported
    if metric.startswith(CEG):
        if model.year < min(int(label[2:]) for label in model.history.annual[metric]):
            return None
    elif model.year < base_year(model):
        return None
    elif model.year == base_year(model):
        return in_base_year()
    if not known_at_origin(model):
        return None
    previous = model(f"taotian_{item}", model.year - 1)
    if previous is None:
        return None
    rate = model.driver(scheduled(growth_schedule(model), fiscal_index(model.year, QUARTERS_PER_YEAR)))
    return _grown(model, previous, rate)


@per_year(TAOTIAN_ADJ_EBITA)
def taotian_adj_ebita(model):
    """The e-commerce segment's adjusted EBITA [RMB_mn] (Taobao and Tmall Group; China E-commerce Group
    once reorganised, :func:`segment_metric`): reported where the history holds it; none before the
    base year; then the previous year × (1 + taotian.adj_ebita_growth_* in force)."""
    return _segment(model, "adj_ebita", lambda: None, lambda m: m.timeline.taotian_ebita)


@per_year(TAOTIAN_REVENUE)
def taotian_revenue(model):
    """The e-commerce segment's revenue [RMB_mn]: reported where the history holds it (Taobao and Tmall's
    base year backed out of the history when its EBITA is reported too); then the previous year × (1 +
    taotian.revenue_growth_* in force)."""
    def in_base_year():
        return model.history.taotian_revenue_fy(model.year) if model("taotian_adj_ebita") is not None else None
    return _segment(model, "revenue", in_base_year, lambda m: m.timeline.taotian_revenue)


def _group_reported(model, line):
    """The group's reported figure for the year (after the base year), or None."""
    return _reported(model, line) if model.year > base_year(model) else None


def _beyond_report(model, name, growth_id, in_report_year, in_reported_year):
    """A group figure outside cloud: None up to the base year; in a year reported since, what the
    reported group total leaves (``in_reported_year``); Table 4 less the report's cloud in the report's
    forecast years; the previous year grown at ``growth_id`` after."""
    if model.year <= base_year(model) or not known_at_origin(model):
        return None
    reported = in_reported_year()
    if reported is not None:
        return reported
    if model.year in model.timeline.report_years:
        return in_report_year()
    return _grown(model, model(name, model.year - 1), model.driver(growth_id))


@per_year(OTHER_REVENUE)
def other_revenue(model):
    """Group revenue outside cloud and Taotian [RMB_mn]: in a year reported since the base year, reported
    group revenue − cloud − Taotian; in the report's years, group.table4.revenue − the report's cloud
    revenue − Taotian; later, × (1 + group.other_revenue_growth_long_run)."""
    def taotian():
        value = model("taotian_revenue")
        return 0.0 if value is None else value

    def reported_year_():
        group = _group_reported(model, GROUP_REVENUE)
        return None if group is None else group - model("cloud_revenue_fy") - taotian()

    def report_year():
        return _table4(model, "revenue") - model("report_cloud_revenue") - taotian()
    return _beyond_report(model, "other_revenue", "group.other_revenue_growth_long_run", report_year, reported_year_)


@per_year()
def ex_cloud_adj_ebita(model):
    """Group adjusted EBITA outside cloud [RMB_mn]: in a year reported since the base year, reported group
    adjusted EBITA − cloud EBITA; in the report's years, group.table4.adj_ebita_margin × group.table4.revenue
    − the report's cloud EBITA; later, × (1 + group.ex_cloud_profit_growth_long_run)."""
    def reported_year_():
        group = _group_reported(model, GROUP_ADJ_EBITA)
        return None if group is None else group - model("cloud_ebita_fy")
    return _beyond_report(model, "ex_cloud_adj_ebita", "group.ex_cloud_profit_growth_long_run",
                          lambda: _table4_ex_cloud_adj_ebita(model), reported_year_)


@per_year()
def ex_cloud_net_income(model):
    """Group Non-GAAP net income outside cloud [RMB_mn]: in the report's years, group.table4.non_gaap_net_income
    − the report's cloud EBITA × (1 − group.tax_rate), moved after tax by how far the reported group EBITA
    outside cloud lies from Table 4's, where reported; a later reported year, the year before moved the same
    way; later, × (1 + group.ex_cloud_profit_growth_long_run)."""
    tax = model.driver("group.tax_rate")

    def report_year():
        return _table4(model, "non_gaap_net_income") - model("report_cloud_ebita") * (1 - tax)

    def reported_year_():
        if _group_reported(model, GROUP_ADJ_EBITA) is None:
            return None
        if model.year in model.timeline.report_years:
            return report_year() + (model("ex_cloud_adj_ebita") - _table4_ex_cloud_adj_ebita(model)) * (1 - tax)
        before = model("ex_cloud_net_income", model.year - 1)
        return before + (model("ex_cloud_adj_ebita") - model("ex_cloud_adj_ebita", model.year - 1)) * (1 - tax)
    return _beyond_report(model, "ex_cloud_net_income", "group.ex_cloud_profit_growth_long_run", report_year, reported_year_)


def _reported(model, line):
    return model.history.fiscal_year_total(DECLARED[line].metric, model.year)


@per_year(GROUP_REVENUE)
def group_revenue(model):
    """Group revenue [RMB_mn]: reported up to the base year and in every year reported since; else cloud +
    Taotian + the rest."""
    reported = _reported(model, GROUP_REVENUE)
    if model.year <= base_year(model) or reported is not None:
        return reported
    if not known_at_origin(model):
        return None
    taotian = model("taotian_revenue")
    return model("cloud_revenue_fy") + (0.0 if taotian is None else taotian) + model("other_revenue")


@per_year(GROUP_ADJ_EBITA)
def group_adj_ebita(model):
    """Group adjusted EBITA [RMB_mn]: reported up to the base year and in every year reported since (a
    missing quarter estimated, :mod:`cloudmodel.inputs.history`); else outside cloud + cloud EBITA."""
    reported = _reported(model, GROUP_ADJ_EBITA)
    if model.year <= base_year(model) or reported is not None:
        return reported
    if not known_at_origin(model):
        return None
    return model("ex_cloud_adj_ebita") + model("cloud_ebita_fy")


@per_year(NET_INCOME)
def group_non_gaap_net_income(model):
    """Group Non-GAAP net income [RMB_mn]: Table 4's (group.table4.non_gaap_net_income) up to the base
    year; then outside cloud + cloud EBITA × (1 − group.tax_rate)."""
    if model.year <= base_year(model):
        driver_id = f"group.table4.non_gaap_net_income_fy{model.year}"
        return model.driver(driver_id) if model.has(driver_id) else None
    if not known_at_origin(model):
        return None
    return model("ex_cloud_net_income") + model("cloud_ebita_fy") * (1 - model.driver("group.tax_rate"))
