"""Everything the research note shows, computed (the note only presents it, :mod:`cloudmodel.present.note`).

:func:`gather` runs, on one basis (:func:`cloudmodel.basis.prepare`: the origin, the history as known
then, the actuals, the update), the forecast of the scenario and of the base, every scenario, the
tornado, a small simulation, two bridges and the rolling-origin backtest.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudmodel.quantities.revenue import CLOUD_REVENUE
from cloudmodel.quantities.valuation import TARGET_USD

BASE = "base"
VALUATION_LINE = TARGET_USD
#: Draws of the note's simulation: enough for a stable p5–p95 band, small enough for a second.
DEFAULT_DRAWS = 2_000
DEFAULT_SEED = 0
#: Most draws of the note's simulation (report --draws): a million keeps the page's build under a minute.
MAX_DRAWS = 1_000_000


def check_draws(draws: int | None) -> None:
    """``report --draws``: a whole number from 1 to :data:`MAX_DRAWS` (None: the note's own)."""
    if draws is not None and not 1 <= draws <= MAX_DRAWS:
        from cloudmodel.errors import InputError

        raise InputError.one("--draws", "", draws, f"the number of draws is a whole number from 1 to {MAX_DRAWS:,}")
UNIT_SYSTEMS = ("cn", "k")


def _scenario_names(directory: str) -> list[str]:
    folder = Path(directory) / "scenarios"
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def _fiscal_years(fc: Any) -> list[str]:
    from cloudmodel.result import ordered_periods

    labels = {p for p in fc.table["period"].unique().to_list() if p.startswith("FY") and "Q" not in p}
    return ordered_periods(labels)


def gather(scenario: str = BASE, overrides: Mapping[str, Any] | None = None, actuals: Any = None,
           drivers_dir: str | Path | None = None, *, origin: str | None = None, draws: int = DEFAULT_DRAWS,
           seed: int = DEFAULT_SEED, units: str = "cn") -> dict[str, Any]:
    """Everything the note shows, computed: forecasts, scenarios, tornado, simulation, bridges, backtest."""
    from cloudmodel.analyses.backtest import rolling_backtest
    from cloudmodel.analyses.simulate import simulate
    from cloudmodel.analyses.whatif import component_bridge, shapley_bridge, tornado
    from cloudmodel.basis import prepare
    from cloudmodel.engine import target_year
    from cloudmodel.model import forecast

    if units not in UNIT_SYSTEMS:
        from cloudmodel.errors import InputError

        raise InputError.one("--units", "", units, "unknown count scale", f"choose {' or '.join(UNIT_SYSTEMS)}")
    basis = prepare(drivers_dir=drivers_dir, actuals=actuals, origin=origin)
    history = basis.history
    fc = forecast(scenario, overrides, basis=basis)
    is_base = scenario == BASE and not fc.meta["overrides"]
    base_fc = fc if is_base else forecast(BASE, None, basis=basis)
    value_period = target_year(basis.drivers, basis.last)
    scenarios = {name: (fc if name == scenario and not overrides else forecast(name, None, basis=basis))
                 for name in [BASE, *_scenario_names(basis.base.directory)]}
    if scenario not in scenarios or overrides:
        scenarios["this note" if scenario in scenarios else scenario] = fc
    order = sorted(scenarios, key=lambda n: scenarios[n].value(VALUATION_LINE, value_period))
    scenarios = {n: scenarios[n] for n in order}
    years = _fiscal_years(fc)
    if basis.is_report_view:  # the report's own years: the figures it set
        target_years = sorted({t["period"] for t in fc.targets.to_dicts() if t["period"].startswith("FY")})
    else:  # the year the valuation is set on and the one after
        later = [y for y in years if int(y[2:]) > int(value_period[2:])]
        target_years = [value_period, later[0] if later else value_period]
    outputs = [(VALUATION_LINE, value_period), (CLOUD_REVENUE, target_years[-1])]
    sensitivity = tornado(fc.drivers, history, outputs).to_dicts()
    sim = simulate(fc.drivers, history, draws, seed, living=basis.living)
    if is_base:
        others = [n for n in order if n != BASE]
        vs = next((n for n in reversed(others)), None)
        target_set = scenarios[vs].drivers if vs else None
    else:
        vs, target_set = ("this scenario", fc.drivers)
    shapley = None
    if target_set is not None:
        changes = {k: target_set[k].value for k in target_set.overrides}
        shapley = shapley_bridge(basis.drivers, history, changes, VALUATION_LINE, value_period)
        shapley["vs"] = vs
    last = target_years[-1]
    before = years[years.index(last) - 1] if last in years and years.index(last) > 0 else None
    component = component_bridge(fc, CLOUD_REVENUE, last, before) if before else None
    from cloudmodel.inputs.history import load_history

    shipped = load_history()
    backtest = rolling_backtest(basis.base, shipped.up_to(basis.origin) if basis.origin < shipped.last_quarter else shipped,
                                basis.actuals)
    return {"fc": fc, "base_fc": base_fc, "is_base": is_base, "scenario": scenario, "history": history, "basis": basis,
            "targets": fc.targets.to_dicts(), "value_period": value_period, "target_years": target_years,
            "years": years, "scenarios": scenarios, "tornado": sensitivity, "tornado_outputs": outputs, "simulation": sim,
            "shapley": shapley, "component": component, "component_from": before,
            "backtest": backtest, "draws": draws, "seed": seed, "units": units}




def build_note(scenario: str = BASE, overrides: Mapping[str, Any] | None = None, actuals: Any = None,
               drivers_dir: str | Path | None = None, *, origin: str | None = None, draws: int = DEFAULT_DRAWS,
               seed: int = DEFAULT_SEED, units: str = "cn") -> str:
    """The research note of a scenario (with ``--set`` overrides and an actuals file) as one HTML page.

    ``scenario``: ``base``, a name in ``drivers/scenarios`` or a scenario file; ``overrides``:
    ``{driver id: value}`` (values may carry units, ``"18%"``, ``"2000万"``); ``actuals``: a CSV
    or Parquet actuals file (rolls the forecast forward and joins the backtest); ``draws`` and
    ``seed``: the simulation; ``units``: counts in 万/亿 (``cn``) or k/m/bn (``k``).
    Bad input raises :class:`cloudmodel.errors.InputError` (the CLI's exit 2)."""
    from cloudmodel.present.note import render

    return render(gather(scenario, overrides, actuals, drivers_dir, origin=origin, draws=draws, seed=seed, units=units))


def write_note(path: str | Path, scenario: str = BASE, overrides: Mapping[str, Any] | None = None, actuals: Any = None,
               drivers_dir: str | Path | None = None, *, force: bool = False, origin: str | None = None,
               draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED, units: str = "cn") -> Path:
    """Build the note and write it to ``path`` atomically; an existing file only with ``force``;
    never over an input of the run, a symlink, a FIFO, a device or a folder. Returns the path."""
    from cloudmodel.present.output import check_target, save_text

    inputs = [actuals] if isinstance(actuals, str | Path) else []
    check_target(path, force, inputs)  # refuse before the work, not after
    html = build_note(scenario, overrides, actuals, drivers_dir, origin=origin, draws=draws, seed=seed, units=units)
    target = check_target(path, force, inputs)
    save_text(target, html, force)  # a file, or stdout for "-"
    return target


__all__ = ["gather", "build_note", "write_note", "DEFAULT_DRAWS", "DEFAULT_SEED"]
