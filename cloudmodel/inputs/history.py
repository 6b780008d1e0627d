"""Reported history: the ``actual`` rows of every forecast, as known at an origin.

Read from ``fixtures/alibaba_reported.csv`` (copied from the public sources named on each
row; ``fixtures/README.md`` lists coverage, restatements and the rows where sources disagree).
Each row is one stated figure (``period, period_end, metric, value, source_url, quote``) with
two columns of the project's own:

* ``status`` — empty when the row is used; otherwise why it is not (a disagreeing source whose
  figure another row supersedes). One used row per period and metric, or the file is refused.
* ``reported_by`` — the quarter whose release or filing first stated the figure, when it is
  later than the period (restated comparatives in the FY2026 20-F). An origin sees a row only
  once both its period and its ``reported_by`` have passed: no look-ahead.

Every row becomes one of: a **figure** of a line the model carries (cloud revenue and EBITA,
group revenue and adjusted EBITA, Taobao and Tmall Group, China E-commerce Group, capex,
shares), a **bound** on a line (``_min`` metrics, "triple-digit AI growth for the Nth
quarter", no reported Apple launch), or **unused**, with the reason (:attr:`History.unused`).
An actuals file adds rows the same way (:meth:`History.with_actuals`): for quarters after the
origin they stand in for what was reported.

Only the Cloud Intelligence Group basis after the April 2023 reorganisation is used; the legacy
``cloud_segment_legacy_*`` rows are never mixed in. Cloud adjusted EBITA for FY2023Q1 and
FY2024Q1 was not found; each is derived as the fiscal-year total less the three reported
quarters and flagged in :attr:`History.derived`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from cloudmodel.errors import InputError, InputProblem
from cloudmodel.periods import QUARTERS_PER_YEAR, Period, PeriodError, fiscal_index, quarter_label
from cloudmodel.quantities import LINE_METRICS
from cloudmodel.quantities.maas import APPLE_USERS
from cloudmodel.quantities.revenue import AI_REVENUE_GROWTH

#: Output line -> metric of the history (each line declares the metric that reports it), and back.
METRIC_LINES = {metric: line for line, metric in LINE_METRICS.items()}

#: Metrics stated in another unit: metric -> (the metric it is stored as, factor to it).
RESCALED = {"capex_quarter_rmb_bn": ("capex_rmb_mn", 1000.0),
            "ordinary_shares_outstanding_mn": ("ordinary_shares", 1e6)}
#: Figures kept for the valuation's share count (not an output line).
SHARES = "ordinary_shares"

#: Bound metrics: metric -> how a row becomes bounds on a line (see :func:`_bounds_of`).
AI_STREAK = "ai_revenue_triple_digit_consecutive_quarters"
APPLE_LAUNCH = "apple_launch_reported"
#: "triple-digit growth": y/y growth of at least 100%.
TRIPLE_DIGIT = 1.0

#: Why a metric is not used, by prefix or name (the first that matches).
UNUSED = (
    ("cloud_segment_legacy_", "the old Cloud segment basis before the April 2023 reorganisation; the model uses the Cloud "
                              "Intelligence Group basis only and never mixes the two"),
    ("cloud_revenue_as_first_reported", "first reported before DingTalk moved out of the segment; the restated figure is used"),
    ("_usd_mn", "stated in US dollars; the RMB figures are used"),
    ("cloud_external", "the model does not split cloud revenue into external and internal customers"),
    ("cloud_internal", "the model does not split cloud revenue into external and internal customers"),
    ("ai_share_of_cloud_external", "a share of external revenue: the model does not split external from internal customers"),
    ("cmr", "customer management revenue is not a line of the model"),
    ("total_segments_adj_ebita", "used only to estimate a fiscal year's group adjusted EBITA where a quarter is missing"),
    ("capex_plan_", "the report's own three-year plan is the driver capex.plan_total"),
    ("capex_trailing", "an approximation; the quarterly figures are used"),
    ("capex_rmb_bn_approx", "an approximation; the quarterly figures are used"),
    ("capex_quarter_yoy", "a growth rate; the quarterly levels are used"),
    ("ordinary_shares_per_ads", "the driver valuation.shares_per_ads holds it"),
    ("weighted_avg", "a third-party aggregate; the period-end share count is used"),
    ("qwen_", "Qwen adoption (downloads, app users) is not a line of the model"),
    ("cloud_ai_commercial_revenue_target", "a five-year target, not a reported figure"),
)


@dataclass(frozen=True)
class Fact:
    """One row of the history file."""

    period: str
    metric: str
    value: float
    source: str
    quote: str
    status: str
    reported_by: int | None  # the quarter it was first stated in, when later than its period
    row: int

    @property
    def known_from(self) -> int:
        """The first origin that sees this row: its period's last quarter or, later, its reported_by."""
        end = _period_end(self.period)
        return end if self.reported_by is None else max(end, self.reported_by)


@dataclass(frozen=True)
class Observation:
    """A reported statement about a line the history does not carry as a figure: a value (an
    actuals file's AI customers, a margin) or a bound ("more than 20%", "triple digits" → ``low``)."""

    line: str
    period: str
    value: float | None
    low: float | None
    high: float | None
    source: str

    @property
    def end(self) -> int:
        return Period.parse(self.period).fiscal_quarters()[-1]


@dataclass
class History:
    """Reported figures by metric, quarterly (by quarter index) and annual (by ``FY`` label), as
    known at :attr:`origin`; the bounds; and every row that is not used, with the reason."""

    quarterly: dict[str, dict[int, float]]
    annual: dict[str, dict[str, float]]
    growth: dict[str, dict[int, float]]
    derived: set[tuple[str, int | str]] = field(default_factory=set)
    observations: list[Observation] = field(default_factory=list)
    unused: list[tuple[str, str, str]] = field(default_factory=list)  # (period, metric, why)
    facts: tuple[Fact, ...] = ()
    origin: int | None = None  # the quarter the history is cut at (None: everything in the file)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (metric, period) -> where the figure comes from
    file: str = ""

    @property
    def last_quarter(self) -> int:
        """The last quarter of contiguous reported cloud revenue (FY2026Q4 in the shipped history)."""
        quarters = self.quarterly["cloud_revenue_rmb_mn"]
        last = self.first_quarter
        while last + 1 in quarters:
            last += 1
        return last

    @property
    def first_quarter(self) -> int:
        return min(self.quarterly["cloud_revenue_rmb_mn"])

    def cloud_quarters(self) -> list[int]:
        return sorted(self.quarterly["cloud_revenue_rmb_mn"])

    def fiscal_year_total(self, metric: str, fiscal_year: int) -> float | None:
        """Reported annual total, or the sum of four reported quarters, or None."""
        label = f"FY{fiscal_year}"
        if label in self.annual.get(metric, {}):
            return self.annual[metric][label]
        q = self.quarterly.get(metric, {})
        idx = [fiscal_index(fiscal_year, k) for k in range(1, QUARTERS_PER_YEAR + 1)]
        return sum(q[i] for i in idx) if all(i in q for i in idx) else None

    def is_derived(self, metric: str, key: int | str) -> bool:
        return (metric, key) in self.derived

    def up_to(self, origin: int) -> History:
        """The history as known at the end of quarter ``origin``: rows of later periods, and rows
        first stated later (restated comparatives), are not seen (no look-ahead)."""
        return build(self.facts, origin, self.file)

    def latest_shares(self) -> tuple[int, float] | None:
        """The latest reported count of ordinary shares outstanding: (quarter, count), or None."""
        counts = self.quarterly.get(SHARES, {})
        return max(counts.items()) if counts else None

    def observed(self, line: str) -> list[Observation]:
        return [o for o in self.observations if o.line == line]

    def taotian_revenue_fy(self, fiscal_year: int) -> float | None:
        """Taotian revenue for a fiscal year; quarters missing from the history are backed
        out of the next year's quarter and its stated growth (rounded to 1%)."""
        q = self.quarterly.get("ttg_revenue_rmb_mn", {})
        g = self.growth.get("ttg_revenue_yoy", {})
        total = 0.0
        for k in range(1, QUARTERS_PER_YEAR + 1):
            i = fiscal_index(fiscal_year, k)
            if i in q:
                total += q[i]
            elif i + QUARTERS_PER_YEAR in q and i + QUARTERS_PER_YEAR in g:
                total += q[i + QUARTERS_PER_YEAR] / (1 + g[i + QUARTERS_PER_YEAR])
            else:
                return None
        return total

    def with_figures(self, figures: Iterable[tuple[str, int | str, float, str]],
                     observations: Iterable[Observation] = ()) -> History:
        """A copy with more figures ``(metric, quarter index or FY label, value, source)`` (an actuals
        file's, replacing what they restate) and observations."""
        quarterly = {m: dict(s) for m, s in self.quarterly.items()}
        annual = {m: dict(s) for m, s in self.annual.items()}
        sources = dict(self.sources)
        for metric, key, value, source in figures:
            target = quarterly if isinstance(key, int) else annual
            target.setdefault(metric, {})[key] = value
            sources[(metric, quarter_label(key) if isinstance(key, int) else key)] = source
        derived = {d for d in self.derived if not _given(d, quarterly, annual, sources, self.sources)}
        out = replace(self, quarterly=quarterly, annual=annual, sources=sources, derived=derived,
                      observations=[*self.observations, *observations])
        _derive(out)
        return out

    def source_of(self, metric: str, key: int | str) -> str:
        label = quarter_label(key) if isinstance(key, int) else key
        return self.sources.get((metric, label), self.file)


def _given(derived: tuple[str, int | str], quarterly: dict, annual: dict, sources: dict, before: dict) -> bool:
    """Whether a derived figure is now given (an actuals file states it)."""
    metric, key = derived
    label = quarter_label(key) if isinstance(key, int) else key
    return sources.get((metric, label)) != before.get((metric, label))


def _period_end(label: str) -> int:
    """The last fiscal quarter of a period label (half years ``FY2026H1`` included)."""
    if label.endswith(("H1", "H2")):
        return fiscal_index(int(label[2:6]), 2 if label.endswith("H1") else 4)
    return Period.parse(label).fiscal_quarters()[-1]


def _unused_reason(metric: str) -> str | None:
    for prefix, why in UNUSED:
        if metric.startswith(prefix) or prefix in metric:
            return why
    return None


def read_facts(path: str | Path | None = None) -> tuple[tuple[Fact, ...], str]:
    """Every row of the history file, checked (numbers, periods, one used row per period and
    metric and vintage)."""
    from cloudmodel.inputs.drivers import read_text
    from cloudmodel.inputs.resources import fixtures_dir

    file = Path(path) if path is not None else fixtures_dir() / "alibaba_reported.csv"
    if not file.is_file():
        raise InputError.one(str(file), "", None, "the reported history file is missing")
    facts, problems, seen = [], [], {}
    for n, row in enumerate(csv.DictReader(read_text(file).splitlines()), start=2):
        try:
            value = float(row["value"])
            _period_end(row["period"])
            reported_by = Period.parse(row["reported_by"]).fiscal_quarters()[0] if row.get("reported_by") else None
        except (ValueError, PeriodError) as exc:
            problems.append(InputProblem(str(file), f"row {n}", row.get("value"), f"not a number or not a period ({exc})"))
            continue
        fact = Fact(row["period"], row["metric"], value, row.get("source_url", ""), row.get("quote", ""),
                    (row.get("status") or "").strip(), reported_by, n)
        key = (fact.period, fact.metric, fact.known_from)
        if not fact.status and key in seen:
            problems.append(InputProblem(str(file), f"row {n}", f"{fact.period} {fact.metric}",
                                         f"row {seen[key]} already gives this figure; mark one row's status with why it is not used"))
        if not fact.status:
            seen.setdefault(key, n)
        facts.append(fact)
    if problems:
        raise InputError(problems)
    return tuple(facts), str(file)


def build(facts: tuple[Fact, ...], origin: int | None, file: str = "") -> History:
    """The history as known at ``origin`` (None: every row)."""
    visible = [f for f in facts if not f.status and (origin is None or f.known_from <= origin)]
    latest: dict[tuple[str, str], Fact] = {}
    for fact in visible:  # the latest vintage of a figure (a restatement replaces the first report)
        key = (fact.period, fact.metric)
        if key not in latest or fact.known_from > latest[key].known_from:
            latest[key] = fact
    history = History({}, {}, {}, facts=facts, origin=origin, file=file)
    history.unused = [(f.period, f.metric, f.status) for f in facts if f.status]
    for fact in latest.values():
        _place(history, fact)
    seen: set[tuple] = set()  # a streak restates the quarters of the one before: each bound once
    history.observations = [o for o in history.observations
                            if (key := (o.line, o.period, o.low, o.high)) not in seen and not seen.add(key)]
    _derive(history)
    return history


def _place(history: History, fact: Fact) -> None:
    """File one row: a figure, a growth or margin, a bound, or unused with the reason."""
    metric, label = fact.metric, fact.period
    where = f"{history.file or 'history'} row {fact.row}"
    if metric in (AI_STREAK, APPLE_LAUNCH):
        history.observations.extend(_bounds_of(fact, where))
        return
    if label.endswith(("H1", "H2")):
        history.unused.append((label, metric, "a half-year figure; the quarters are used"))
        return
    why = _unused_reason(metric)
    if why and metric not in LINE_METRICS.values() and not metric.startswith("total_segments"):
        history.unused.append((label, metric, why))
        return
    metric, factor = RESCALED.get(metric, (metric, 1.0))
    value = fact.value * factor
    period = Period.parse(label)
    if metric.endswith(("_yoy", "_margin")):
        if period.is_quarter:
            history.growth.setdefault(metric, {})[period.fiscal_quarters()[0]] = value
        return
    if period.is_quarter:
        history.quarterly.setdefault(metric, {})[period.fiscal_quarters()[0]] = value
    else:
        history.annual.setdefault(metric, {})[label] = value
    history.sources[(metric, label)] = where


def _bounds_of(fact: Fact, where: str) -> list[Observation]:
    """A streak of N quarters of triple-digit AI growth ending at q bounds each of those quarters'
    ``cloud.ai.revenue_growth`` below by 100%; "no Apple launch reported" bounds the Apple users
    served that quarter above by 0."""
    end = Period.parse(fact.period).fiscal_quarters()[-1]
    if fact.metric == AI_STREAK:
        return [Observation(AI_REVENUE_GROWTH, quarter_label(end - k), None, TRIPLE_DIGIT, None, where)
                for k in range(int(fact.value))]
    return [Observation(APPLE_USERS, fact.period, None, None, 0.0, where)] if fact.value == 0 else []


def _derive(history: History) -> None:
    _derive_missing_quarters(history, "cloud_adj_ebita_rmb_mn")
    _derive_group_ebita_years(history)


def _derive_missing_quarters(history: History, metric: str) -> None:
    """Fill a single missing quarter of a fiscal year from the reported annual total."""
    quarters = history.quarterly.setdefault(metric, {})
    for label, total in history.annual.get(metric, {}).items():
        year = int(label[2:])
        idx = [fiscal_index(year, k) for k in range(1, QUARTERS_PER_YEAR + 1)]
        missing = [i for i in idx if i not in quarters or history.is_derived(metric, i)]
        if len(missing) == 1 and (history.origin is None or missing[0] <= history.origin):
            quarters[missing[0]] = total - sum(quarters[i] for i in idx if i != missing[0])
            history.derived.add((metric, missing[0]))


def _derive_group_ebita_years(history: History) -> None:
    """A fiscal year of group adjusted EBITA with a quarter missing: the reported total segments
    adjusted EBITA plus the unallocated costs (group less segments) of the latest year with both;
    the missing quarter is that total less the reported ones. Both are flagged derived."""
    group, segments = "group_adj_ebita_rmb_mn", "total_segments_adj_ebita_rmb_mn"
    years = {label for label in history.annual.get(segments, {})}
    both = sorted((label for label in years if label in history.annual.get(group, {})
                   and not history.is_derived(group, label)), key=lambda y: int(y[2:]))
    if not both:
        return
    unallocated = history.annual[group][both[-1]] - history.annual[segments][both[-1]]
    quarters = history.quarterly.setdefault(group, {})
    for label in sorted(years - set(both)):
        year = int(label[2:])
        idx = [fiscal_index(year, k) for k in range(1, QUARTERS_PER_YEAR + 1)]
        missing = [i for i in idx if i not in quarters or history.is_derived(group, i)]
        if len(missing) != 1:
            continue
        total = history.annual[segments][label] + unallocated
        history.annual.setdefault(group, {})[label] = total
        history.derived.add((group, label))
        quarters[missing[0]] = total - sum(quarters[i] for i in idx if i != missing[0])
        history.derived.add((group, missing[0]))


def load_history(path: str | Path | None = None, origin: int | None = None) -> History:
    """Read the reported history CSV (default: the shipped fixture), as known at ``origin``."""
    facts, file = _read_cached(path)
    return build(facts, origin, file)


_READ: dict[str, tuple[tuple[Fact, ...], str]] = {}


def _read_cached(path: str | Path | None) -> tuple[tuple[Fact, ...], str]:
    """The shipped file is read once per process (it never changes while a command runs)."""
    key = str(path)
    if key not in _READ:
        _READ[key] = read_facts(path)
    return _READ[key]


__all__ = ["History", "Observation", "Fact", "LINE_METRICS", "METRIC_LINES", "load_history", "build", "read_facts"]
