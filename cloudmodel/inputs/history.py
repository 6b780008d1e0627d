"""Reported history: the ``actual`` rows of every forecast.

Read from ``fixtures/alibaba_reported.csv`` (copied from the public sources named on each
row; see ``fixtures/README.md``). Only the Cloud Intelligence Group basis after the April
2023 reorganisation is used; the legacy ``cloud_segment_legacy_*`` rows are never mixed in.

Two quarters of cloud adjusted EBITA (FY2023Q1, FY2024Q1) were not found; they are derived
as the fiscal-year total less the three reported quarters and flagged in
:attr:`History.derived`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from cloudmodel.errors import InputError
from cloudmodel.inputs.periods import Period, fiscal_index

#: Output line -> metric in the fixture, for the lines the history carries.
LINE_METRICS = {
    "cloud.revenue": "cloud_revenue_rmb_mn",
    "cloud.ebita": "cloud_adj_ebita_rmb_mn",
    "group.revenue": "group_revenue_rmb_mn",
    "group.adj_ebita": "group_adj_ebita_rmb_mn",
    "group.taotian.revenue": "ttg_revenue_rmb_mn",
    "group.taotian.adj_ebita": "ttg_adj_ebita_rmb_mn",
}


@dataclass
class History:
    """Reported figures by metric: quarterly (by quarter index) and annual (by ``FY`` label)."""

    quarterly: dict[str, dict[int, float]]
    annual: dict[str, dict[str, float]]
    growth: dict[str, dict[int, float]]
    derived: set[tuple[str, int]] = field(default_factory=set)

    @property
    def last_quarter(self) -> int:
        """The last quarter with reported cloud revenue (FY2025Q3 in the shipped history)."""
        return max(self.quarterly["cloud_revenue_rmb_mn"])

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
        idx = [fiscal_index(fiscal_year, k) for k in range(1, 5)]
        return sum(q[i] for i in idx) if all(i in q for i in idx) else None

    def up_to(self, origin: int) -> History:
        """The history as known at the end of quarter ``origin``: later quarters and the years
        they complete are dropped (no look-ahead)."""
        from cloudmodel.inputs.periods import fiscal_index

        quarterly = {m: {q: v for q, v in s.items() if q <= origin} for m, s in self.quarterly.items()}
        growth = {m: {q: v for q, v in s.items() if q <= origin} for m, s in self.growth.items()}
        annual = {m: {y: v for y, v in s.items() if fiscal_index(int(y[2:]), 4) <= origin} for m, s in self.annual.items()}
        return History(quarterly, annual, growth, {d for d in self.derived if d[1] <= origin})

    def taotian_revenue_fy(self, fiscal_year: int) -> float | None:
        """Taotian revenue for a fiscal year; quarters missing from the history are backed
        out of the next year's quarter and its stated growth (rounded to 1%)."""
        q = self.quarterly.get("ttg_revenue_rmb_mn", {})
        g = self.growth.get("ttg_revenue_yoy", {})
        total = 0.0
        for k in range(1, 5):
            i = fiscal_index(fiscal_year, k)
            if i in q:
                total += q[i]
            elif i + 4 in q and i + 4 in g:
                total += q[i + 4] / (1 + g[i + 4])
            else:
                return None
        return total


def load_history(path: str | Path | None = None) -> History:
    """Read the reported history CSV (``period, period_end, metric, value, …``)."""
    from cloudmodel.inputs.drivers import read_text
    from cloudmodel.inputs.resources import fixtures_dir

    file = Path(path) if path is not None else fixtures_dir() / "alibaba_reported.csv"
    if not file.is_file():
        raise InputError.one(str(file), "", None, "the reported history file is missing")
    quarterly: dict[str, dict[int, float]] = {}
    annual: dict[str, dict[str, float]] = {}
    growth: dict[str, dict[int, float]] = {}
    for n, row in enumerate(csv.DictReader(read_text(file).splitlines()), start=2):
        label, metric = row["period"], row["metric"]
        try:
            value = float(row["value"])
        except ValueError:
            raise InputError.one(str(file), f"row {n}, column value", row["value"], "not a number") from None
        if label.endswith(("H1", "H2")):
            continue
        period = Period.parse(label)
        if metric.endswith("_yoy") or metric.endswith("_margin"):
            if period.is_quarter:
                growth.setdefault(metric, {})[period.fiscal_quarters()[0]] = value
            continue
        if period.is_quarter:
            quarterly.setdefault(metric, {})[period.fiscal_quarters()[0]] = value
        else:
            annual.setdefault(metric, {})[label] = value
    history = History(quarterly, annual, growth)
    _derive_missing_quarters(history, "cloud_adj_ebita_rmb_mn")
    return history


def _derive_missing_quarters(history: History, metric: str) -> None:
    """Fill a single missing quarter of a fiscal year from the reported annual total."""
    quarters = history.quarterly.setdefault(metric, {})
    for label, total in history.annual.get(metric, {}).items():
        year = int(label[2:])
        idx = [fiscal_index(year, k) for k in range(1, 5)]
        missing = [i for i in idx if i not in quarters]
        if len(missing) == 1:
            quarters[missing[0]] = total - sum(quarters[i] for i in idx if i in quarters)
            history.derived.add((metric, missing[0]))




__all__ = ["History", "LINE_METRICS", "load_history"]
