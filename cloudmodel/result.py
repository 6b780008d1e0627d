"""From the engine's raw series to the long output table, roll-ups, checks and targets.

The output (docs/contract.md §4) is one row per (line, period): ``line, period, basis, value,
unit``. Quarters come from the engine; fiscal and calendar years are rolled up here by the
line's rule (flows summed, stocks at the period end, ratios recomputed from their rolled-up
parts). Checks (``check.*``) are computed from the finished rows, so they test the roll-ups
as well as the layers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from cloudmodel.engine import Raw
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import LINE_METRICS, History
from cloudmodel.lines import ANNUAL_ONLY, Line  # noqa: F401 - re-exported
from cloudmodel.periods import (
    QUARTERS_PER_YEAR,
    Period,
    Rollup,
    calendar_year_label,
    fiscal_index,
    fiscal_year_label,
    quarter_label,
    years_covered,
)
from cloudmodel.quantities import LINES
from cloudmodel.quantities.ebita import CLOUD_EBITA
from cloudmodel.quantities.group import (
    CEG_ADJ_EBITA,
    CEG_REVENUE,
    GROUP_ADJ_EBITA,
    GROUP_REVENUE,
    OTHER_REVENUE,
    TAOTIAN_REVENUE,
)
from cloudmodel.quantities.maas import GPU_LEASING, MODEL_CALLS, PLUGINS
from cloudmodel.quantities.revenue import AI_REVENUE, CLOUD_REVENUE
from cloudmodel.quantities.valuation import CLOUD_VALUE, TAOTIAN_VALUE, TARGET_USD

#: The lines that are sums of declared parts, each with its check.
SUMS = [line for line in LINES.values() if line.parts]

ACTUAL, ESTIMATE, FORECAST = "actual", "estimate", "forecast"
_STRENGTH = {ACTUAL: 0, ESTIMATE: 1, FORECAST: 2}


def basis_of(quarters: list[int], reported: set[int], origin: int) -> str:
    """What a value over ``quarters`` is: ``actual`` when Alibaba reported every one of them,
    ``estimate`` when they all lie in reported periods (up to the origin) but the value is the
    model's reading of them (a layer split, AI customers), else ``forecast``."""
    if all(q in reported for q in quarters):
        return ACTUAL
    return ESTIMATE if all(q <= origin for q in quarters) else FORECAST


def weakest(*bases: str | None) -> str:
    """The basis of a value made of parts: the weakest of theirs (actual < estimate < forecast)."""
    return max((b or FORECAST for b in bases), key=_STRENGTH.__getitem__)


@dataclass
class Rows:
    """(line, period) -> (value, basis), in insertion order."""

    cells: dict[tuple[str, str], tuple[Any, str]]

    def get(self, line: str, period: str) -> Any:
        cell = self.cells.get((line, period))
        return None if cell is None else cell[0]

    def basis(self, line: str, period: str) -> str | None:
        cell = self.cells.get((line, period))
        return None if cell is None else cell[1]

    def put(self, line: str, period: str, value: Any, basis: str) -> None:
        self.cells[(line, period)] = (value, basis)


def _year_quarters(label: str) -> list[int]:
    return Period.parse(label).fiscal_quarters()


def build_rows(raw: Raw, history: History) -> Rows:
    """Quarters from the engine, years rolled up, annual lines, growth and ratio lines."""
    rows = Rows({})
    quarters = list(raw.timeline.quarters)
    years = years_covered(quarters, "FY") + years_covered(quarters, "CY")
    _put_quarters_and_years(rows, raw, quarters, years)
    _put_group_history(rows, history, raw.timeline)
    for name, by_year in raw.annual.items():
        if name in LINES:
            for year, value in sorted(by_year.items()):
                rows.put(name, f"FY{year}", value, annual_basis(name, year, history, raw.timeline))
    _put_ratios(rows, [quarter_label(q) for q in quarters] + years)
    return rows


def _put_quarters_and_years(rows: Rows, raw: Raw, quarters: list[int], years: list[str]) -> None:
    """Every quarterly line at its quarters, and its years rolled up where all their quarters are known."""
    origin = raw.timeline.origin
    for name in (n for n, line in LINES.items() if line.rollup is not Rollup.RATIO and n in raw.quarterly):
        series, reported, rollup = raw.quarterly[name], raw.actual.get(name, set()), LINES[name].rollup
        derived = raw.derived.get(name, set())  # a quarter the history derived from its year: an estimate
        for q in quarters:
            if q in series:
                rows.put(name, quarter_label(q), series[q], ESTIMATE if q in derived else basis_of([q], reported, origin))
        for label in years:
            qs = _year_quarters(label)
            if all(q in series for q in qs):
                rows.put(name, label, rollup.roll_up([series[q] for q in qs]), basis_of(rollup.quarters_read(qs), reported, origin))


def _put_group_history(rows: Rows, history: History, timeline: Any) -> None:
    """The group's reported quarters (a quarter the history estimated: estimate), and the years of the
    segment lines no quantity makes."""
    for name in (GROUP_REVENUE, GROUP_ADJ_EBITA, TAOTIAN_REVENUE, CEG_REVENUE,
                 CEG_ADJ_EBITA):
        metric = LINE_METRICS[name]
        for q, value in sorted(history.quarterly.get(metric, {}).items()):
            if q <= timeline.origin:
                rows.put(name, quarter_label(q), value, ESTIMATE if history.is_derived(metric, q) else ACTUAL)
    for name in (CEG_REVENUE, CEG_ADJ_EBITA):
        for label, value in sorted(history.annual.get(LINE_METRICS[name], {}).items()):
            rows.put(name, label, value, ACTUAL)


def _put_ratios(rows: Rows, periods: list[str]) -> None:
    """Ratio and growth lines, recomputed from their parts at every period (no value where a part is
    missing or the denominator is zero, rather than NaN)."""
    for name, line in LINES.items():
        if line.rollup is not Rollup.RATIO:
            continue
        for label in periods:
            if line.growth_of:
                previous = Period.parse(label).year_before()
                now, before = rows.get(line.growth_of, label), rows.get(line.growth_of, previous)
                if now is None or before is None:
                    continue
                value = now / before - 1
                basis = weakest(rows.basis(line.growth_of, label), rows.basis(line.growth_of, previous))
            else:
                num, den = rows.get(line.numerator, label), rows.get(line.denominator, label)
                if num is None or den is None or not den:
                    continue
                value = num / den * line.scale
                basis = weakest(rows.basis(line.numerator, label), rows.basis(line.denominator, label))
            rows.put(name, label, value, basis)


def annual_basis(name: str, year: int, history: History, timeline: Any) -> str:
    """The basis of a fiscal-year line the engine makes: ``forecast`` unless the year is complete at
    the origin; then ``actual`` where the history reports the figure (the group's lines up to the
    report's base year, which Table 4 reports), else ``estimate`` (the valuation, net income, the rest
    of the group, a year with a quarter the history estimated)."""
    if fiscal_index(year, QUARTERS_PER_YEAR) > timeline.origin:
        return FORECAST
    if year <= timeline.report_years[0] - 1:
        return ACTUAL if name.startswith("group.") else ESTIMATE
    metrics = [LINE_METRICS[name]] if name in LINE_METRICS else []
    if name.startswith("group.taotian."):
        metrics.append(LINE_METRICS[name.replace("taotian", "china_ecommerce")])
    for metric in metrics:
        quarters = [fiscal_index(year, k) for k in range(1, QUARTERS_PER_YEAR + 1)]
        if history.fiscal_year_total(metric, year) is not None and not history.is_derived(metric, f"FY{year}") \
                and not any(history.is_derived(metric, q) for q in quarters if f"FY{year}" not in history.annual.get(metric, {})):
            return ACTUAL
    return ESTIMATE


def add_checks(rows: Rows, raw: Raw, history: History, drivers: DriverSet) -> list[str]:
    """Append ``check.*`` rows (residuals, 0 when the check holds); return the check names."""
    t = raw.timeline
    quarters = list(t.quarters)
    fiscal = years_covered(quarters, "FY")
    periods = [quarter_label(q) for q in quarters] + fiscal + years_covered(quarters, "CY")
    names: list[str] = []

    def put(name: str, label: str, value: Any) -> None:
        rows.put(name, label, value, FORECAST)
        if name not in names:
            names.append(name)

    for label in periods:
        for line in SUMS:  # each sum line's declared parts (cloudmodel.lines.Line.parts)
            put(line.check, label, sum(rows.get(part, label) for part in line.parts) - rows.get(line.name, label))
    for label in fiscal:
        year = int(label[2:])
        for line, metric in ((name, LINES[name].metric) for name in (CLOUD_REVENUE, CLOUD_EBITA)):
            quarter_sum = sum(rows.get(line, quarter_label(fiscal_index(year, k))) for k in range(1, QUARTERS_PER_YEAR + 1))
            reported = history.annual.get(metric, {}).get(label)
            year_value = reported if reported is not None and rows.basis(line, label) == ACTUAL else rows.get(line, label)
            put(f"check.{line}.quarters_sum_to_year", label, quarter_sum - year_value)
        if rows.get(OTHER_REVENUE, label) is not None:
            put("check.group.revenue_reconciles", label, rows.get(GROUP_REVENUE, label) - (
                rows.get(CLOUD_REVENUE, label) + _or_zero(rows.get(TAOTIAN_REVENUE, label))
                + rows.get(OTHER_REVENUE, label)))
        if rows.get(TARGET_USD, label) is not None:
            put("check.valuation.parts_sum_to_target", label, rows.get(TARGET_USD, label) - (
                rows.get(CLOUD_VALUE, label) + rows.get(TAOTIAN_VALUE, label)))
    anchor_year = next((label for label in (calendar_year_label(t.anchor[-1]), fiscal_year_label(t.anchor[-1]))
                        if _year_quarters(label) == list(t.anchor)), None)  # CY2024, or the fiscal year before an early origin
    for line, driver_id in () if anchor_year is None else ((MODEL_CALLS, "maas.model_calls_cy2024"), (GPU_LEASING, "maas.gpu_leasing_cy2024"),
                            (PLUGINS, "maas.plugins_cy2024"), (AI_REVENUE, "ai.revenue_cy2024")):
        put(f"check.anchor.{line.split('.')[-1]}", anchor_year, rows.get(line, anchor_year) - drivers[driver_id].value)
    return names


def _or_zero(value: Any) -> Any:
    return 0.0 if value is None else value


def _target_bound(drivers: DriverSet, ref: str) -> float:
    driver_id, _, which = ref.partition(":")
    d = drivers[driver_id]
    return getattr(d, which) if which else d.value


def evaluate_targets(rows: Rows, drivers: DriverSet) -> list[dict[str, Any]]:
    """Compare the outputs with the report's own figures (fixtures/report_targets.toml)."""
    from cloudmodel.inputs.resources import fixtures_dir

    spec = tomllib.loads((fixtures_dir() / "report_targets.toml").read_text(encoding="utf-8"))
    out = []
    for target in spec["target"]:
        model = rows.get(target["line"], target["period"])
        kind = target["kind"]
        low = high = report_value = None
        if kind == "range":
            low, high = _target_bound(drivers, target["low"]), _target_bound(drivers, target["high"])
            ok = model is not None and low <= model <= high
        else:
            report_value = _target_bound(drivers, target["driver"])
            if model is None:
                ok = False
            elif kind == "abs":
                ok = abs(model - report_value) <= target["tolerance"]
            elif kind == "rel":
                ok = abs(model / report_value - 1) <= target["tolerance"]
            elif kind == "max":
                ok = model <= report_value
            else:
                ok = model >= report_value
        out.append({"label": target["label"], "line": target["line"], "period": target["period"], "kind": kind,
                    "model": model, "report": report_value, "low": low, "high": high,
                    "tolerance": target.get("tolerance"), "unit": LINES[target["line"]].unit, "ok": bool(ok)})
    return out


def ordered_periods(labels: set[str]) -> list[str]:
    """Quarters first in time order, then fiscal years, then calendar years."""
    def key(label: str):
        p = Period.parse(label)
        return ({"FY": 1, "CY": 2}[p.kind] if not p.is_quarter else 0, p.year, p.quarter or 0)
    return sorted(labels, key=key)


__all__ = ["LINES", "Line", "Rows", "build_rows", "add_checks", "evaluate_targets", "ordered_periods"]
