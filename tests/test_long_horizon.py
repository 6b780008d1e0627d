"""Time lives in the drivers, and long horizons stay sane (issue 10).

The default horizon, the report's target years and the furthest horizon come from driver files;
beyond the explicit forecast every growth rate fades to its long-run rate, so a forecast to
FY2060 is finite, passes every check, and its growth settles near the terminal rate."""

from __future__ import annotations

import math

import pytest

import cloudmodel
from cloudmodel.engine import default_horizon, furthest_quarter, report_years, target_year, years_shown
from cloudmodel.periods import Period

#: After the fade, cloud growth must stay this close to the terminal rate (the issue's bound).
TERMINAL_BAND = 0.03


@pytest.fixture(scope="module", params=["report", "today"])
def long_run(request):
    basis = request.getfixturevalue("report_basis" if request.param == "report" else "basis")
    return cloudmodel.forecast(basis=basis, horizon="FY2060")


def _growth(fc, line, first, last):
    return {year: fc.value(line, f"FY{year}") for year in range(first, last + 1)}


def test_fy2060_is_finite_and_every_check_and_target_holds(long_run):
    assert long_run.ok and (bool(long_run.targets["ok"].all()) or not long_run.meta["targets_apply"])
    assert all(math.isfinite(v) for v in long_run.table["value"])
    assert long_run.value("cloud.revenue", "FY2060") > long_run.value("cloud.revenue", "FY2030") > 0


@pytest.mark.parametrize("line", ["cloud.revenue_growth", "group.revenue_growth"])
def test_growth_never_climbs_back_and_settles_at_the_terminal_rate(long_run, line):
    terminal = long_run.drivers["growth.terminal_rate"].value
    growth = _growth(long_run, line, 2027, 2060)
    peak = max(growth[year] for year in range(2027, 2031))
    assert all(growth[year] <= peak + 1e-12 for year in range(2031, 2061))
    assert all(abs(growth[year] - terminal) <= TERMINAL_BAND for year in range(2035, 2061)), growth


def test_the_fade_changes_nothing_before_it_starts(rdrivers, rhistory, report_basis, report):
    """The long-run drivers are read, but move no value up to the end of the explicit forecast (FY2028, the
    report's default horizon)."""
    drivers, history, base = rdrivers, rhistory, report
    other = cloudmodel.forecast(basis=report_basis, overrides={"growth.terminal_rate": "2%", "growth.fade_years": "10"})
    assert other.table["value"].to_list() == pytest.approx(base.table["value"].to_list(), rel=1e-12, abs=1e-9)
    later = cloudmodel.forecast(basis=report_basis, horizon="FY2040", overrides={"growth.terminal_rate": "2%"})
    longer = cloudmodel.forecast(basis=report_basis, horizon="FY2040")
    assert later.value("cloud.revenue", "FY2040") < longer.value("cloud.revenue", "FY2040")
    # read only after the fade starts: in the lineage of a long horizon, not of the default one
    from cloudmodel.engine import make_timeline
    from cloudmodel.lineage import drivers_of

    long = make_timeline(drivers, history, Period.parse("FY2040").fiscal_quarters()[-1])
    assert {"growth.terminal_rate", "growth.fade_years"} <= set(drivers_of("cloud.revenue", drivers, history, long))
    assert "growth.terminal_rate" not in base.lineage("cloud.revenue")


def test_defaults_come_from_the_drivers(drivers, history, basis, report_basis):
    assert report_years(drivers) == tuple(Period.parse(drivers[i].period).year for i in
                                          ("targets.cloud_revenue_growth_fy2025", "targets.cloud_revenue_growth_fy2026"))
    years_after = round(drivers["timeline.default_horizon_years"].value)
    for on, valuation in ((report_basis, report_years(drivers)[-1]), (basis, report_years(drivers)[-1] + 1)):
        origin = on.last  # the valuation year is the fiscal year after the origin's
        assert default_horizon(drivers, origin) == f"FY{valuation + years_after}Q4"
        assert target_year(drivers, origin) == f"FY{valuation}"
        assert years_shown(drivers, origin)[-1] == default_horizon(drivers, origin)[:6]
        longer = cloudmodel.forecast(basis=on, overrides={"timeline.default_horizon_years": "3"})
        assert longer.meta["horizon"] == f"FY{valuation + 3}Q4"
        too_far = furthest_quarter(drivers, origin) + 4
        with pytest.raises(cloudmodel.errors.InputError, match="furthest"):
            cloudmodel.forecast(basis=on, horizon=f"FY{too_far // 4}")


def test_the_price_cut_ramp_is_a_driver(report_basis, report):
    base = report
    quarter = base.table.filter(base.table["line"] == "cloud.maas.price")["period"].to_list()
    full = cloudmodel.forecast(basis=report_basis, overrides={"maas.price_cut_ramp": "100%"})
    moved = [p for p in quarter if "Q" in p and full.value("cloud.maas.price", p) != pytest.approx(base.value("cloud.maas.price", p))]
    assert len(moved) == 1  # only the quarter the cuts start
    assert "maas.price_cut_ramp" in base.lineage("cloud.maas.model_calls")


def test_a_long_simulation_draws_the_long_run_drivers(rdrivers, rhistory):
    """The simulation varies the lineage of what it reports over its own horizon (the report's: FY2028)."""
    from cloudmodel.analyses.simulate import simulate

    drivers, history = rdrivers, rhistory
    drawn = {d["driver"] for d in simulate(drivers, history, 64, horizon="FY2040").meta["drawn_drivers"]}
    default = {d["driver"] for d in simulate(drivers, history, 64).meta["drawn_drivers"]}
    assert {"growth.terminal_rate", "growth.fade_years"} <= drawn
    assert not {"growth.terminal_rate", "growth.fade_years"} & default
