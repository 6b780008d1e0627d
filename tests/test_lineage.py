"""The lineage is exact: a driver moves a line exactly when ``trace LINE`` lists it (or the
listed driver is read, but inert at the base point); the tornado and the simulation vary
exactly the drivers the lineage names."""

from __future__ import annotations

import numpy as np
import pytest

from cloudmodel.batch import line_value, run_cases
from cloudmodel.engine import make_timeline
from cloudmodel.lineage import drivers_of, drivers_of_lines, traced_reads
from cloudmodel.periods import fiscal_index
from cloudmodel.result import LINES

MOVE = 1e-12  # relative change that counts as moving a line


@pytest.fixture(scope="module", params=["report", "today"])
def moves(request):
    """Every ranged driver at its low and its high, one batched run; per line, which drivers move it (at the
    report's origin, and today's, where the reported periods are pinned and only the forecast moves)."""
    basis = request.getfixturevalue("report_basis" if request.param == "report" else "basis")
    drivers, history, base = basis.drivers, basis.history, None
    ranged = sorted(k for k, d in drivers.items() if d.has_range and d.kind != "derived" and d.low != d.high)
    n = 2 * len(ranged) + 1
    changes = {}
    for i, driver_id in enumerate(ranged):
        column = np.full(n, drivers[driver_id].value)
        column[2 * i], column[2 * i + 1] = drivers[driver_id].low, drivers[driver_id].high
        changes[driver_id] = column
    raw = run_cases(drivers, history, changes)
    import cloudmodel

    base = cloudmodel.forecast(basis=basis)
    periods = sorted({p for _, p in base.rows.cells})
    moved: dict[str, set[str]] = {}
    for line in LINES:
        found = set()
        for period in periods:
            try:
                values = np.broadcast_to(np.asarray(line_value(raw, line, period), dtype=float), (n,))
            except (KeyError, ZeroDivisionError):
                continue
            base_value = values[-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                relative = np.abs(values[:-1] - base_value) / max(abs(base_value), 1e-300)
            for i in np.flatnonzero(relative > MOVE):
                found.add(ranged[i // 2])
        moved[line] = found
    return ranged, moved, drivers, history


def test_a_driver_that_moves_a_line_is_in_its_trace(moves):
    ranged, moved, drivers, history = moves
    listed = {line: set(drivers_of(line, drivers, history)) & set(ranged) for line in LINES}
    missing = {line: sorted(moved[line] - listed[line]) for line in LINES if moved[line] - listed[line]}
    assert not missing
    checked = len(LINES) * len(ranged)
    n_listed = sum(len(v) for v in listed.values())
    n_moved = sum(len(v) for v in moved.values())
    print(f"lineage: {len(LINES)} lines × {len(ranged)} ranged drivers = {checked} pairs checked; "
          f"{n_listed} listed, {n_moved} moved (listed but inert at the base point: {n_listed - n_moved})")
    assert n_moved > 0.3 * n_listed  # many listed drivers move their lines (today the reported periods are pinned)


def test_every_listed_driver_is_read(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    """By construction: every driver a trace lists is one a quantity read (or a derived driver's input)."""
    timeline = make_timeline(drivers, history, fiscal_index(2028, 4))
    reads = traced_reads(drivers, history, timeline)
    read = {ident for found in reads.values() for kind, ident, _ in found if kind == "driver"}
    for line in LINES:
        for driver_id in drivers_of(line, drivers, history):
            d = drivers[driver_id]
            assert driver_id in read or any(driver_id in (drivers[r].formula or "") for r in read
                                            if drivers[r].kind == "derived"), (line, driver_id)
            assert d is not None


def test_trace_names_the_drivers_the_old_hand_lists_missed(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    solutions = drivers_of("cloud.revenue.solutions", drivers, history)
    assert "ai.revenue_cy2024" in solutions and "ai.adoption_rate_past" in solutions
    # solutions are split from reported revenue in the past and grow from it: the forward adoption curve never enters
    assert "ai.penetration_target" not in solutions and "ai.penetration_target" in drivers_of("cloud.revenue.saas", drivers, history)
    customers = drivers_of("cloud.ai.customers", drivers, history)
    assert "ai.customers_dec2024" in customers  # through the derived ai.penetration_dec2024
    assert "apple.users" not in customers and "valuation.usd_cny" not in drivers_of("cloud.revenue", drivers, history)
    assert drivers_of("group.table4.revenue", drivers, history) == [
        f"group.table4.revenue_fy{y}" for y in (2023, 2024, 2025, 2026)]


def test_trace_at_a_reported_period_names_no_forward_driver(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    past = drivers_of("cloud.revenue.iaas", drivers, history, period="FY2024Q2")
    assert "ai.adoption_rate_past" in past and "maas.token_usage_growth_past" in past
    for forward in ("ai.penetration_target", "ai.penetration_ceiling", "growth.organic_fy2026", "maas.token_usage_growth",
                    "iaas.international_growth", "deepseek.dau_cy2025"):
        assert forward not in past, forward
    assert "ai.penetration_target" in drivers_of("cloud.revenue.iaas", drivers, history, period="FY2026")
    assert drivers_of("cloud.ebita", drivers, history, period="FY2024") == []  # reported
    assert "growth.organic_fy2026" in drivers_of("cloud.revenue_growth", drivers, history, period="FY2026")


def test_tornado_varies_exactly_the_lineage(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    from cloudmodel.analyses.whatif import tornado

    outputs = [("cloud.revenue.saas", "FY2026"), ("cloud.ai.customers", "FY2026")]
    frame = tornado(drivers, history, outputs)
    varied = set(frame["driver"].to_list())
    lineage = drivers_of_lines([line for line, _ in outputs], drivers, history)
    assert varied == {k for k in lineage if drivers[k].has_range and drivers[k].kind != "derived"
                      and (drivers[k].low != drivers[k].value or drivers[k].high != drivers[k].value)}


def test_simulation_draws_exactly_the_lineage_of_what_it_reports(rdrivers, rhistory):
    drivers, history = rdrivers, rhistory
    from cloudmodel.analyses.simulate import KEY_LINES, specs_for

    drawn = {s.driver for s in specs_for(drivers, history=history)}
    lineage = drivers_of_lines(KEY_LINES, drivers, history)
    assert drawn == {k for k in lineage if drivers[k].has_range and drivers[k].kind != "derived"
                     and drivers[k].low != drivers[k].high}


def test_trace_cli_gives_the_recorded_lineage_and_the_formula(cli, basis):
    drivers, history = basis.drivers, basis.history
    import json

    result = cli("trace", "cloud.maas.gpu_leasing", "--format", "json")
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    values = drivers_of("cloud.maas.gpu_leasing", drivers, history)
    dates = drivers_of("cloud.maas.gpu_leasing", drivers, history, dates=True)
    assert [r["id"] for r in out["drivers"]] == sorted(set(values) | set(dates))
    assert {r["id"] for r in out["drivers"] if r["reads"] == "period"} == set(dates) - set(values)
    assert "maas.model_calls_cy2024" in dates  # its period is the anchor year the leasing is scaled on
    assert "maas.gpu_leasing_cy2024" in out["formula"]["gpu_leasing_revenue"] or "A^ε" in out["formula"]["gpu_leasing_revenue"]


def test_trace_at_a_period(cli):
    import json

    result = cli("trace", "cloud.revenue.iaas@FY2024Q2", "--format", "json")
    assert result.code == 0, result.stderr
    ids = [r["id"] for r in json.loads(result.stdout)["drivers"]]
    assert "ai.adoption_rate_past" in ids and "ai.penetration_target" not in ids and "maas.token_price_elasticity" not in ids
    outside = cli("trace", "cloud.revenue@FY2099")
    assert outside.code == 2 and "no value at FY2099" in outside.stderr


def test_trace_lists_the_drivers_whose_periods_set_a_date(cli):
    """Timeline dates are recorded reads: the Apple deal's clock starts at the quarter of the price cuts,
    which price.qwen_max_now's period sets; the fade of every growth rate starts at growth.fade_years's."""
    import json

    def ids(line: str) -> set[str]:
        result = cli("trace", line, "--format", "json")
        assert result.code == 0, result.stderr
        return {r["id"] for r in json.loads(result.stdout)["drivers"]}

    assert "price.qwen_max_now" in ids("cloud.maas.apple")
    assert "growth.fade_years" in ids("cloud.revenue")
    assert "deepseek.dau_now" in ids("cloud.maas.deepseek_hosting")
