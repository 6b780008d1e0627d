"""Solve the ``calibrated`` drivers so that the base scenario meets the report's own targets.

The report pins the outcomes (cloud growth 10% and 15%, EBITA margins 9.5% and 11.0%,
cloud at USD 39.40 per ADS) but not every driver behind them. Five free drivers are solved
here, each against the target named in its file:

* ``growth.organic_fy2025``  → ``cloud.revenue_growth@FY2025 = 10%``
* ``growth.organic_fy2026``  → ``cloud.revenue_growth@FY2026 = 15%``
* ``ebita.shared_fixed_opex_per_quarter`` and ``ebita.shared_fixed_opex_trend``
  → ``cloud.ebita_margin@FY2025 = 9.5%`` and ``@FY2026 = 11.0%`` (solved together, given the
  variable part ``ebita.shared_variable_opex_ratio`` fitted to the history by ``calibrate``)
* ``valuation.usd_cny``      → ``valuation.cloud.usd_per_ads@FY2026 = 39.40``

Each target is linear in its drivers given the others (growth compounds one year at a time,
costs enter EBITA linearly, the exchange rate divides), so each is solved exactly from a
few runs of the engine, then verified. ``forecast`` never calls this: the solved values live
in ``drivers/calibrated.toml``, which ``cloudmodel calibrate --write`` regenerates.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudmodel.engine import Raw, make_timeline, run
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import History
from cloudmodel.quantities.ebita import CLOUD_EBITA
from cloudmodel.quantities.revenue import CLOUD_REVENUE
from cloudmodel.quantities.valuation import CLOUD_VALUE

Target = Callable[[Raw], float]


def _growth(year: int) -> Target:
    return lambda raw: raw.fiscal_year(CLOUD_REVENUE, year) / raw.fiscal_year(CLOUD_REVENUE, year - 1) - 1


def _margin(year: int) -> Target:
    return lambda raw: raw.fiscal_year(CLOUD_EBITA, year) / raw.fiscal_year(CLOUD_REVENUE, year)


def _cloud_per_ads(year: int) -> Target:
    return lambda raw: raw.annual[CLOUD_VALUE][year]


def _runner(drivers: DriverSet, history: History):
    from cloudmodel.engine import REPORT_GROWTH, period_quarter

    last_target = max(period_quarter(drivers[i].period) for i in REPORT_GROWTH)
    timeline = make_timeline(drivers, history, max(last_target, history.last_quarter + 1))

    def evaluate(values: dict[str, float]) -> Raw:
        return run(values, history, timeline)

    return evaluate, timeline


def _solve_linear(evaluate, values: dict[str, float], driver_id: str, target: Target, goal: float) -> float:
    """Solve target(values with driver = x) = goal for x, the target being affine in x:
    two evaluations (at 0 and 1) fix the line exactly."""
    a, b = 0.0, 1.0
    fa = target(evaluate(values | {driver_id: a}))
    fb = target(evaluate(values | {driver_id: b}))
    return a + (goal - fa) * (b - a) / (fb - fa)


def solve_report_targets(drivers: DriverSet, history: History) -> dict[str, float]:
    """Values of the calibrated drivers that make the base meet the report's targets."""
    evaluate, timeline = _runner(drivers, history)
    y1, y2 = timeline.report_years
    v = drivers.values_by_id()

    v["growth.organic_fy2025"] = _solve_linear(evaluate, v, "growth.organic_fy2025", _growth(y1),
                                               v["targets.cloud_revenue_growth_fy2025"])
    v["growth.organic_fy2026"] = _solve_linear(evaluate, v, "growth.organic_fy2026", _growth(y2),
                                               v["targets.cloud_revenue_growth_fy2026"])

    # EBITA margins: affine in the fixed level and its trend jointly; three runs give the plane.
    fixed, ratio = "ebita.shared_fixed_opex_per_quarter", "ebita.shared_fixed_opex_trend"
    goals = (v["targets.cloud_ebita_margin_fy2025"], v["targets.cloud_ebita_margin_fy2026"])
    margins = []
    for f, r in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)):
        raw = evaluate(v | {fixed: f, ratio: r})
        margins.append((_margin(y1)(raw), _margin(y2)(raw)))
    (m00, n00), (m10, n10), (m01, n01) = margins
    a11, a12 = m10 - m00, m01 - m00
    a21, a22 = n10 - n00, n01 - n00
    r1, r2 = goals[0] - m00, goals[1] - n00
    det = a11 * a22 - a12 * a21
    v[fixed] = (r1 * a22 - a12 * r2) / det
    v[ratio] = (a11 * r2 - a21 * r1) / det

    v["valuation.usd_cny"] = v["valuation.usd_cny"] * _cloud_per_ads(y2)(evaluate(v)) / v["targets.cloud_usd_per_ads"]
    return {k: v[k] for k in ("growth.organic_fy2025", "growth.organic_fy2026", fixed, ratio, "valuation.usd_cny")}
