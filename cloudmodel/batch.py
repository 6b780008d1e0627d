"""Many cases in one run: the same engine with drivers as arrays.

Sensitivity, reverse solving, driver bridges, scenarios and simulation all evaluate the model
for many sets of drivers. Here each driver is a scalar (unchanged) or an array with one element
per case; derived drivers are recomputed elementwise from their formulas; the engine runs once;
:func:`line_value` reads any output line at any period as an array, rolling up quarters with the
same rules as the long table (flows summed, stocks at the end, ratios from their parts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cloudmodel.engine import Raw, Timeline, default_last_quarter, make_timeline, pins, run
from cloudmodel.inputs.drivers import DriverSet, evaluate_formula, formula_names
from cloudmodel.inputs.history import History
from cloudmodel.periods import Period, Rollup
from cloudmodel.quantities import LINES
from cloudmodel.quantities.revenue import CLOUD_REVENUE


def model_inputs(drivers: DriverSet, history: History | None = None) -> set[str]:
    """Ids the engine reads, directly or through a derived driver's formula (recorded by a
    tracing run of the quantity graph, :mod:`cloudmodel.lineage`)."""
    from cloudmodel.lineage import all_inputs

    return all_inputs(drivers, history)


def values_with(drivers: DriverSet, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Driver values with ``changes`` (floats or arrays) applied and derived drivers recomputed."""
    values: dict[str, Any] = drivers.values_by_id()
    values.update(changes)
    derived = [k for k, d in drivers.items() if d.kind == "derived"]
    done = {k for k in values if k not in derived}
    while derived:
        progressed = False
        for key in list(derived):
            names = formula_names(drivers[key].formula or "")
            if all(n in done for n in names):
                if key not in changes:
                    values[key] = evaluate_formula(drivers[key].formula or "", {n: values[n] for n in names})
                done.add(key)
                derived.remove(key)
                progressed = True
        if not progressed:
            break
    return values


def run_cases(drivers: DriverSet, history: History, changes: Mapping[str, Any], timeline: Timeline | None = None,
              last: int | None = None) -> Raw:
    """One engine run over every case at once."""
    if timeline is None:
        timeline = make_timeline(drivers, history, last if last is not None else default_last_quarter(drivers, history.last_quarter))
    return run(values_with(drivers, changes), history, timeline, past=pins(drivers, timeline))





def line_value(raw: Raw, line: str, label: str) -> Any:
    """The value of ``line`` at period ``label`` (quarter, fiscal or calendar year), per case."""
    period = Period.parse(label)
    if line in raw.annual:
        if period.kind != "FY" or period.is_quarter:
            raise KeyError(f"{line} is a fiscal-year line; {label} is not a fiscal year")
        return raw.annual[line][period.year]
    definition = LINES.get(line)
    if definition is None:
        raise KeyError(f"unknown line {line}")
    if definition.rollup is Rollup.RATIO:
        if definition.growth_of:
            previous = period.year_before()
            return line_value(raw, definition.growth_of, label) / line_value(raw, definition.growth_of, previous) - 1
        return line_value(raw, definition.numerator, label) / line_value(raw, definition.denominator, label) * definition.scale
    series = raw.quarterly[line]
    return definition.rollup.roll_up([series[q] for q in definition.rollup.quarters_read(period.fiscal_quarters())])


def line_values(raw: Raw, line: str, label: str, n: int | tuple[int, ...], dtype: Any = float) -> np.ndarray:
    """:func:`line_value` as an array with one value per case (a line no case changes is broadcast)."""
    shape = (n,) if isinstance(n, int) else n
    return np.broadcast_to(np.asarray(line_value(raw, line, label), dtype=dtype), shape)


__all__ = ["check_computed", "model_inputs", "values_with", "run_cases", "line_value", "line_values"]


def check_computed(raw: Any, line: str, period: str, option: str) -> None:
    """Refuse a line@period the run did not compute (a period outside the horizon, a quarter of
    a fiscal-year line), naming the periods it did."""
    from cloudmodel.errors import InputError
    from cloudmodel.periods import fiscal_year_label, quarter_label

    try:
        line_value(raw, line, period)
        return
    except (KeyError, IndexError, TypeError, ZeroDivisionError):
        pass
    quarters = sorted(raw.quarterly.get(CLOUD_REVENUE, {}))
    span = f"{quarter_label(quarters[0])}–{quarter_label(quarters[-1])}" if quarters else "none"
    if line in raw.annual:
        years = sorted(raw.annual[line])
        span = f"fiscal years FY{years[0]}–FY{years[-1]}" if years else "none"
    elif quarters:
        span = f"quarters {span}, fiscal years {fiscal_year_label(quarters[0] + 3)}–{fiscal_year_label(quarters[-1])}"
    raise InputError.one(option, line, period, "has no value for this line: the period lies outside what the run "
                         f"computes ({span})")
