"""The engine: the timeline, and the loop over the quantity graph that makes every line.

:func:`run` takes driver values (floats for one scenario, numpy arrays for many draws),
the reported history and a :class:`Timeline`, evaluates every quantity of
:mod:`cloudmodel.quantities` over the timeline (:class:`cloudmodel.graph.Evaluation`) and
returns :class:`Raw` — per-quarter and per-fiscal-year series keyed by output line. It holds no
figures: the timing comes from the drivers' own periods (the as-of date of the December 2024 AI
customers, the quarter of the price cut, the CY2024 anchor year of the MaaS figures, the first
year of the capex plan), the values from the drivers, the actuals from the history.

Path of a number: driver file → :func:`cloudmodel.inputs.drivers.load_drivers` → ``values`` →
quantities (each reads drivers and other quantities through a recording context) →
:class:`Raw` → :mod:`cloudmodel.result` (long table, roll-ups, checks) → renderers and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cloudmodel.errors import InputError, did_you_mean
from cloudmodel.graph import QUANTITIES, QUARTER, YEAR, Evaluation
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import History
from cloudmodel.periods import (
    MONTHS_PER_QUARTER,
    QUARTERS_PER_YEAR,
    Period,
    PeriodError,
    calendar_to_fiscal,
    fiscal_index,
    fiscal_parts,
    quarter_label,
)
from cloudmodel.quantities.customers import AI_CUSTOMERS
from cloudmodel.quantities.ebita import CLOUD_EBITA, GROUP_CAPEX
from cloudmodel.quantities.group import REPORT_GROWTH
from cloudmodel.quantities.maas import DEEPSEEK_DAU
from cloudmodel.quantities.revenue import CLOUD_REVENUE

#: The dated paths the quantities read: timeline field → the schedule its entries declare in their driver
#: files (``schedule = "growth.organic"``). Each entry is in force from the first quarter of its period to
#: the next entry's (the first one also before its period); a year more on a path is one more entry in a
#: file, no code.
SCHEDULES = {"organic": "growth.organic", "taotian_revenue": "taotian.revenue_growth",
             "taotian_ebita": "taotian.adj_ebita_growth"}


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
    fade_start: int  # last quarter before growth rates fade to the long run (growth.fade_years's period)
    report_origin: int = 0  # the report's own origin (FY2025Q3): the quarter its drivers were written at
    shares_as_of: int = 0  # the quarter of valuation.ordinary_shares' count

    #: The drivers whose periods set each date (make_timeline): what a quantity reading the date depends
    #: on, which lineage records (:class:`cloudmodel.graph.Context`'s ``timeline``).
    EVENTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "reference": ("ai.customers_dec2024",), "target": ("ai.penetration_target",), "anchor": ("maas.model_calls_cy2024",),
        "price_cut": ("price.qwen_max_now",), "deepseek_now": ("deepseek.dau_now",), "deepseek_target": ("deepseek.dau_cy2025",),
        "capex_start": ("capex.plan_total",), "report_years": REPORT_GROWTH, "fade_start": ("growth.fade_years",),
        "report_origin": ("ai.customers_dec2024",), "shares_as_of": ("valuation.ordinary_shares",)}

    def drivers_setting(self, name: str) -> tuple[str, ...]:
        """The drivers whose periods set the date or the schedule ``name`` (what lineage records of a read)."""
        if name in SCHEDULES:
            return tuple(driver_id for _, driver_id in getattr(self, name))
        return self.EVENTS.get(name, ())

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


def _schedule(drivers: DriverSet, name: str) -> tuple[tuple[int, str], ...]:
    """The entries of the schedule ``name``: (first quarter in force, driver id), in order. The first
    entry is also in force before its period (a path has a rate in every quarter)."""
    entries = sorted((period_first_quarter(d.period), d.id) for d in drivers.values() if d.schedule == name)
    if not entries:
        raise InputError.one("drivers", "schedule", name, f"no driver is an entry of the schedule {name}; "
                             f"its entries say schedule = \"{name}\" in their driver files")
    for (start, first), (again, second) in zip(entries, entries[1:], strict=False):
        if start == again:
            raise InputError.one(drivers[second].file, f"{second}.period", drivers[second].period,
                                 f"two entries of the schedule {name} start in the same quarter ({first} and {second})")
    unit = drivers[entries[0][1]].unit
    for _, driver_id in entries[1:]:
        if drivers[driver_id].unit != unit:
            raise InputError.one(drivers[driver_id].file, f"{driver_id}.unit", drivers[driver_id].unit,
                                 f"the entries of the schedule {name} share one unit ({entries[0][1]} is in {unit})")
    return tuple(entries)


def _check_schedule_names(drivers: DriverSet) -> None:
    """Every ``schedule`` a driver names is one the quantities read (a misspelt one would be ignored)."""
    known = set(SCHEDULES.values())
    for d in drivers.values():
        if d.schedule is not None and d.schedule not in known:
            hint = did_you_mean(d.schedule, known)
            raise InputError.one(d.file, f"{d.id}.schedule", d.schedule,
                                 f"not a schedule the model reads ({', '.join(sorted(known))})", str(hint) if hint else "")


def make_timeline(drivers: DriverSet, history: History, last: int, origin: int | None = None,
                  first: int | None = None) -> Timeline:
    """``first`` defaults to the first reported quarter; simulation starts at the anchor year,
    the earliest quarter the forecast depends on."""
    origin = history.last_quarter if origin is None else origin
    if last <= origin:
        raise InputError.one("--horizon", "", last, "the horizon must end after the last actual quarter")
    _check_schedule_names(drivers)
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
        **{field: _schedule(drivers, name) for field, name in SCHEDULES.items()},
        report_years=report_years(drivers),
        fade_start=period_quarter(drivers["growth.fade_years"].period),
        report_origin=report_origin(drivers),
        shares_as_of=period_quarter(drivers["valuation.ordinary_shares"].period),
    )


def report_years(drivers: DriverSet) -> tuple[int, ...]:
    """Fiscal years of the report's cloud targets (targets.cloud_revenue_growth_fy*), in order."""
    return tuple(fiscal_parts(period_quarter(drivers[i].period))[0] for i in REPORT_GROWTH)


def report_origin(drivers: DriverSet) -> int:
    """The report's origin: the last quarter it had reported figures for, the quarter of the as-of
    date of its December 2024 AI customers (FY2025Q3). ``--origin`` there is the report's own view."""
    return period_quarter(drivers["ai.customers_dec2024"].period)


def valuation_year(origin: int) -> int:
    """The fiscal year a forecast made at ``origin`` values: the one after the origin's fiscal year
    (the report, made at FY2025Q3, values FY2026)."""
    return fiscal_parts(origin)[0] + 1


def default_horizon(drivers: DriverSet, origin: int) -> str:
    """The horizon tables, scenarios and simulation show by default: the fourth quarter of the
    valuation year + timeline.default_horizon_years (FY2028 at the report's origin)."""
    return f"FY{valuation_year(origin) + round(drivers['timeline.default_horizon_years'].value)}Q4"


def default_last_quarter(drivers: DriverSet, origin: int) -> int:
    """The last quarter of the default horizon."""
    return Period.parse(default_horizon(drivers, origin)).fiscal_quarters()[-1]


def years_shown(drivers: DriverSet, origin: int, before: int = 1) -> tuple[str, ...]:
    """Fiscal years a summary shows: ``before`` years before the year before the valuation year
    (the last two years known at the origin, by default), to the default horizon."""
    first = valuation_year(origin) - 1 - before
    last = Period.parse(default_horizon(drivers, origin)).year
    return tuple(f"FY{year}" for year in range(first, last + 1))


def target_year(drivers: DriverSet, origin: int) -> str:
    """The year the target price is set on, ``FY…``: the valuation year of the origin."""
    return f"FY{valuation_year(origin)}"


def horizon_quarter(label: str | None, drivers: DriverSet, origin: int, limits: bool = True) -> int:
    """The last quarter of a ``--horizon`` (a fiscal year or quarter; None: the default horizon),
    between the end of the valuation year and the furthest one (timeline.max_horizon_years) unless
    ``limits`` is false."""
    label = default_horizon(drivers, origin) if label is None else label
    try:
        period = Period.parse(label)
    except PeriodError as exc:
        raise InputError.one("--horizon", "", label, str(exc)) from None
    if period.kind != "FY":
        raise InputError.one("--horizon", "", label, "the horizon is a fiscal quarter or year, e.g. FY2030 or FY2030Q4")
    last = period.fiscal_quarters()[-1]
    if not limits:
        return last
    first = fiscal_index(valuation_year(origin), QUARTERS_PER_YEAR)
    if last < first:
        year = target_year(drivers, origin)
        raise InputError.one("--horizon", "", label, f"ends before {year}Q4, the end of the year the valuation is set on "
                             f"(the fiscal year after the origin {quarter_label(origin)})", f"give {year} or later")
    if last > furthest_quarter(drivers, origin):
        furthest = fiscal_parts(furthest_quarter(drivers, origin))[0]
        raise InputError.one("--horizon", "", label, f"is beyond FY{furthest}, the furthest the model extrapolates "
                             "(timeline.max_horizon_years after the valuation year)")
    return last


def furthest_quarter(drivers: DriverSet, origin: int) -> int:
    """The last quarter a horizon may reach: the valuation year + timeline.max_horizon_years."""
    return fiscal_index(valuation_year(origin) + round(drivers["timeline.max_horizon_years"].value), QUARTERS_PER_YEAR)


@dataclass
class Raw:
    """Line -> {quarter index: value} and line -> {fiscal year: value}, as the engine made them."""

    quarterly: dict[str, dict[int, Any]] = field(default_factory=dict)
    annual: dict[str, dict[int, Any]] = field(default_factory=dict)
    timeline: Timeline | None = None
    actual: dict[str, set[int]] = field(default_factory=dict)  # quarters of each line that are reported
    derived: dict[str, set[int]] = field(default_factory=dict)  # of those, quarters the history derived (from its year)

    def put(self, line: str, q: int, value: Any) -> None:
        self.quarterly.setdefault(line, {})[q] = value

    def put_year(self, line: str, year: int, value: Any) -> None:
        self.annual.setdefault(line, {})[year] = value

    def fiscal_year(self, line: str, year: int) -> Any:
        """Sum of a flow line over a fiscal year's quarters."""
        series = self.quarterly[line]
        return sum(series[fiscal_index(year, k)] for k in range(1, QUARTERS_PER_YEAR + 1))


def observed(history: History) -> dict[str, dict[int, float]]:
    """Reported quarters of every line the history carries as a figure (cloud revenue and EBITA,
    capex, AI customers and hosted DeepSeek DAU of an actuals file…), up to the last reported quarter."""
    from cloudmodel.inputs.history import LINE_METRICS

    last = history.last_quarter
    return {line: {q: x for q, x in history.quarterly.get(metric, {}).items() if q <= last}
            for line, metric in LINE_METRICS.items()}


def pins(drivers: Any, timeline: Timeline) -> Evaluation | None:
    """The evaluation that pins a run's reported periods: its basis's own (drivers as updated on what was
    reported, no scenario), when the drivers come from a basis with this origin (:mod:`cloudmodel.basis`)."""
    basis = getattr(drivers, "basis", None)
    if basis is None or basis.last != timeline.origin:
        return None
    return basis.past(timeline.last)


def evaluate(values: Mapping[str, Any], history: History, timeline: Timeline, trace: bool = False,
             names: Iterable[str] | None = None, shocks: Mapping[str, Mapping[int, Any]] | None = None,
             past: Evaluation | None = None) -> Evaluation:
    """Every quantity of the graph over the timeline (see :mod:`cloudmodel.graph`), or only
    ``names`` (which must hold, in declaration order, every quantity they read)."""
    seen = observed(history)
    missing = [q for q in range(timeline.first, timeline.origin + 1) if q not in seen[CLOUD_REVENUE]]
    if missing:
        raise InputError.one("actuals", CLOUD_REVENUE, quarter_label(missing[0]),
                             "no reported cloud revenue for this quarter, which lies before the origin",
                             "add it to the actuals file, or move the origin back")
    return Evaluation(values, history, timeline, seen, trace=trace, shocks=shocks, past=past).run(names)


def run(values: Mapping[str, Any], history: History, timeline: Timeline, names: Iterable[str] | None = None,
        shocks: Mapping[str, Mapping[int, Any]] | None = None, past: Evaluation | None = None) -> Raw:
    """Every line for every quarter (and fiscal year) of the timeline; see the module docstring.

    ``history`` is what was reported by the origin (:func:`cloudmodel.inputs.actuals.as_known`: the
    shipped history cut at the origin and an actuals file's rows): ``cloud.revenue`` and
    ``cloud.ebita`` are the reported quarters; the latest ``cloud.ai.customers`` and
    ``cloud.deepseek.dau_hosted`` re-anchor the adoption curve and the DeepSeek traffic path.
    ``names`` limits the run to those quantities (see :func:`cloudmodel.lineage.quantities_for`);
    lines of the others are absent. ``past`` pins every reported period to another evaluation (:func:`pins`)."""
    return to_raw(evaluate(values, history, timeline, names=names, shocks=shocks, past=past))


def to_raw(evaluation: Evaluation) -> Raw:
    """The evaluation's output lines as :class:`Raw` series (quarters, fiscal years; constants at 0)."""
    timeline, observed = evaluation.timeline, evaluation.observed
    from cloudmodel.inputs.history import LINE_METRICS

    reported = (CLOUD_REVENUE, CLOUD_EBITA, GROUP_CAPEX)
    history = evaluation.history
    raw = Raw(timeline=timeline, actual={line: set(observed[line]) for line in reported},
              derived={line: {q for q in observed[line] if history.is_derived(LINE_METRICS[line], q)} for line in reported})
    for line, quarter in _re_anchored(observed, timeline):
        raw.actual[line] = {quarter}
    quarters = set(timeline.quarters)
    for name, quantity in QUANTITIES.items():
        if quantity.line is None:
            continue
        memo = evaluation.memo[name]
        if not memo:  # not evaluated in a run limited to some quantities
            continue
        if quantity.time == QUARTER:
            raw.quarterly[quantity.line] = {quarter: value for quarter, value in sorted(memo.items())
                                            if quarter in quarters and value is not None}
        elif quantity.time == YEAR:
            raw.annual[quantity.line] = {year: value for year, value in sorted(memo.items())
                                         if year in timeline.fiscal_years and value is not None}
        else:
            raw.annual[quantity.line] = {0: memo[None]}
    return raw


def _re_anchored(observed: Mapping[str, Mapping[int, float]], timeline: Timeline) -> list[tuple[str, int]]:
    """The reported points that re-anchor a path: the latest AI customers after December 2024 and
    the latest hosted DeepSeek DAU since hosting began."""
    out = []
    ai = [quarter for quarter in observed.get(AI_CUSTOMERS, {}) if quarter > timeline.reference]
    if ai:
        out.append((AI_CUSTOMERS, max(ai)))
    dau = [quarter for quarter in observed.get(DEEPSEEK_DAU, {}) if quarter >= timeline.deepseek_now]
    if dau:
        out.append((DEEPSEEK_DAU, max(dau)))
    return out
