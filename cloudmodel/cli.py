"""The command line: each verb parses its options, calls one library function, prints.

Exit codes: 0 success; 1 a check failed and ``--strict`` was asked; 2 bad usage or bad
input, with one clear message on stderr and no traceback; 3 an internal error (a bug: a short
message and how to report it); 130/143 interrupted by Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from .errors import CheckFailed, CloudmodelError, InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="cloudmodel: Alibaba Cloud, layer by layer, from the report's drivers to the target price.")

DriversOption = Annotated[str | None, typer.Option("--drivers", help="Directory of driver files (default: the shipped drivers/).")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, csv, json, parquet or xlsx.")]
OutputOption = Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing output file.")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override a driver: ID=VALUE, units allowed (ai.penetration_target=18%).")]
ActualsOption = Annotated[str | None, typer.Option("--actuals", help="Roll forward on reported quarters (CSV/Parquet: period,line,value).")]


EXIT_CHECK, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
#: Problems listed before "… and N more": a screenful, while a hostile file with ten thousand
#: broken entries still gets a message one can read.
MAX_PROBLEMS_SHOWN = 20
REPORT_HINT = ("this is a bug in cloudmodel, not a problem with your input; please report it with the command "
               "line you ran and this message")


def fail(message: str, code: int = EXIT_INPUT) -> None:
    from .errors import clean_text

    sys.stderr.write(f"cloudmodel: error: {clean_text(message)}\n")
    raise typer.Exit(code)


def internal_error(exc: BaseException) -> None:
    from .errors import clean_text, shown

    text = clean_text(str(exc).splitlines()[0] if str(exc) else "")
    sys.stderr.write(f"cloudmodel: internal error: {type(exc).__name__}: {shown(text)[1:-1]}\n  ({REPORT_HINT})\n")
    raise typer.Exit(EXIT_INTERNAL)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's errors into one clear message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import warnings

        from .output import reset_inputs

        reset_inputs()
        # NaN and overflow are refused with a message naming line, period and driver; numpy's own
        # warnings about them would only add lines of source code to stderr.
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            lines = [str(p) for p in exc.problems[:MAX_PROBLEMS_SHOWN]]
            if len(exc.problems) > MAX_PROBLEMS_SHOWN:
                lines.append(f"… and {len(exc.problems) - MAX_PROBLEMS_SHOWN:,} more")
            head = f"{len(exc.problems)} problems:\n  " if len(exc.problems) > 1 else ""
            fail(head + "\n  ".join(lines))
        except CheckFailed as exc:
            fail(str(exc), code=EXIT_CHECK)
        except CloudmodelError as exc:
            fail(str(exc))
        except BrokenPipeError:
            sys.stderr.close()
        except KeyboardInterrupt:
            sys.stderr.write("cloudmodel: interrupted\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, SystemExit) as exc:
            from .output import Terminated

            if isinstance(exc, Terminated):  # SIGTERM while a file was written: it was removed
                sys.stderr.write("cloudmodel: terminated; nothing was written\n")
            raise
        except Exception as exc:  # anything else is our bug: exit 3, never a traceback
            internal_error(exc)

    return wrapper


def parse_sets(items: list[str] | None) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError.one("--set", item, item, "expected ID=VALUE", "e.g. --set ai.penetration_target=18%")
        overrides[key.strip()] = value.strip()
    return overrides


def check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise InputError.one("--format", "", fmt, f"unknown format; choose from {', '.join(allowed)}")


@app.command()
@friendly
def forecast(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="base, a scenario name in drivers/scenarios, or a file.")] = "base",
    set_: SetOption = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
    period: Annotated[str, typer.Option("--period", help="year (fiscal), quarter or calendar (tables only).")] = "year",
    drivers: DriversOption = None,
    horizon: Annotated[str, typer.Option("--horizon", help="Last fiscal quarter or year, e.g. FY2030.")] = "FY2028Q4",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 if a check fails.")] = False,
    actuals: Annotated[str | None, typer.Option("--actuals", help="Roll forward: a CSV/Parquet of reported quarters (period,line,value).")] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="Forecast as made at this fiscal quarter (no later actuals).")] = None,
) -> None:
    """The report's view of Alibaba Cloud, layer by layer, the group around it and the target price."""
    from .model import forecast as run_forecast
    from .output import FORMATS, emit

    check_format(fmt, FORMATS)
    if period not in ("year", "quarter", "calendar"):
        raise InputError.one("--period", "", period, "choose year, quarter or calendar")
    fc = run_forecast(scenario=scenario, overrides=parse_sets(set_), drivers_dir=drivers, horizon=horizon,
                      actuals=actuals, origin=origin)
    if fmt == "table":
        from .render import print_forecast

        print_forecast(fc, period)
    else:
        inputs = [d.file for d in fc.drivers.values()] + ([actuals] if actuals else [])
        emit(fmt, fc.table, None, output, force, inputs, meta=fc.meta | {"targets": fc.targets.to_dicts()})
    if strict and not fc.ok:
        bad = fc.checks.filter(~fc.checks["ok"])
        raise CheckFailed(f"{bad.height} check rows failed, e.g. {bad['line'][0]} at {bad['period'][0]}")
    if strict and not fc.targets["ok"].all():
        off = fc.targets.filter(~fc.targets["ok"])
        first = off.row(0, named=True)
        raise CheckFailed(f"{off.height} report targets are off (--strict), e.g. {first['label']}: model "
                          f"{first['model']:.6g}, report {first['report']:.6g} {first['unit']}")


@app.command("drivers")
@friendly
def drivers_cmd(
    fmt: FormatOption = "table",
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only these kinds: report, outside, derived, assumption, calibrated.")] = None,
    drivers: DriversOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Every driver: id, value in its unit, range, period, kind and source."""
    from .drivers import KINDS
    from .model import load_drivers
    from .output import emit

    check_format(fmt, ("table", "json", "csv"))
    wanted = {k for item in kind or [] for k in item.split(",") if k}
    unknown = wanted - set(KINDS)
    if unknown:
        raise InputError.one("--kind", "", sorted(unknown)[0], f"unknown kind; kinds are {', '.join(KINDS)}")
    driver_set = load_drivers(drivers)
    records = [d.record() | {"short_source": d.short_source()} for d in driver_set.values() if not wanted or d.kind in wanted]
    if fmt == "table":
        from .render import drivers_table

        drivers_table(records)
        return
    import polars as pl

    flat = pl.DataFrame([{k: (str(v) if isinstance(v, list | dict) else v) for k, v in r.items()} for r in records],
                        infer_schema_length=None)
    emit(fmt, flat, records, output, force, [d.file for d in driver_set.values()])


@app.command()
@friendly
def trace(
    line: Annotated[str, typer.Argument(help="An output line, e.g. cloud.revenue.maas, or LINE@PERIOD for one period.")],
    drivers: DriversOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Which drivers make a line (at one period with LINE@PERIOD), with their values and sources."""
    from .lineage import drivers_of
    from .model import load_drivers
    from .result import LINES

    line, _, period = line.partition("@")
    if line not in LINES:
        from .errors import did_you_mean

        raise InputError.one("trace", "LINE", line, "unknown output line", did_you_mean(line, LINES))
    if period:
        from .whatif import check_period

        period = check_period(period, "trace")
    driver_set = load_drivers(drivers)
    try:
        ids = drivers_of(line, driver_set, period=period or None)
    except KeyError as exc:
        raise InputError.one("trace", "LINE@PERIOD", f"{line}@{period}", exc.args[0]) from None
    records = [driver_set[i].record() | {"short_source": driver_set[i].short_source()} for i in ids]
    if fmt == "json":
        from .lineage import formula_of
        from .output import to_json

        sys.stdout.write(to_json({"line": line, "period": period or None, "formula": dict(formula_of(line)),
                                  "drivers": records}) + "\n")
        return
    from .render import drivers_table

    drivers_table(records)


def check_computed(raw: Any, line: str, period: str, option: str) -> None:
    """Refuse a line@period the run did not compute (a period outside the horizon, a quarter of
    a fiscal-year line), naming the periods it did."""
    from .batch import line_value
    from .periods import fiscal_year_label, quarter_label

    try:
        line_value(raw, line, period)
        return
    except (KeyError, IndexError, TypeError, ZeroDivisionError):
        pass
    quarters = sorted(raw.quarterly.get("cloud.revenue", {}))
    span = f"{quarter_label(quarters[0])}–{quarter_label(quarters[-1])}" if quarters else "none"
    if line in raw.annual:
        years = sorted(raw.annual[line])
        span = f"fiscal years FY{years[0]}–FY{years[-1]}" if years else "none"
    elif quarters:
        span = f"quarters {span}, fiscal years {fiscal_year_label(quarters[0] + 3)}–{fiscal_year_label(quarters[-1])}"
    raise InputError.one(option, line, period, "has no value for this line: the period lies outside what the run "
                         f"computes ({span})")


#: Draws of the rolling backtest's update at each origin: the update's own limit.
MAX_BACKTEST_DRAWS = 1_000_000


def check_seed(seed: int) -> None:
    if seed < 0:
        raise InputError.one("--seed", "", seed, "a seed is a whole number 0 or above")


def _refuse_output_early(output: str | None, force: bool) -> None:
    """Refuse a bad ``--output`` once the inputs are loaded, before the work rather than after it."""
    if output:
        from .output import check_target

        check_target(output, force)


def _raw_of(fc: Any) -> Any:
    """The engine run behind a forecast's drivers (for naming the periods it computed)."""
    from .batch import run_cases
    from .history import load_history

    return run_cases(fc.drivers, load_history(), {})


def _check_output_period(driver_set: Any, history: Any, line: str, period: str, option: str = "--period") -> None:
    from .batch import run_cases

    check_computed(run_cases(driver_set, history, {}), line, period, option)


def _base_and_history(drivers: str | None, scenario: str = "base", sets: list[str] | None = None, actuals: str | None = None):
    """The scenario's drivers (with --set on top) and the reported history (rolled forward on an
    actuals file's quarters when one is given)."""
    from .history import load_history
    from .model import load_drivers, scenario_drivers

    history = load_history()
    if actuals:
        from .actuals import load_actuals
        from .update import rolled_history

        history = rolled_history(history, load_actuals(actuals))
    return scenario_drivers(load_drivers(drivers), scenario, parse_sets(sets)), history


@app.command()
@friendly
def scenarios(
    names: Annotated[list[str] | None, typer.Argument(help="Scenarios to compare (default: bear base bull).")] = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
    drivers: DriversOption = None,
    actuals: ActualsOption = None,
) -> None:
    """Scenarios side by side for the key lines, FY2025–FY2028."""
    from .history import load_history
    from .model import forecast as run_forecast
    from .model import load_drivers
    from .output import emit
    from .render import print_scenarios
    from .whatif import compare_scenarios

    check_format(fmt, ("table", "json", "csv", "parquet"))
    base, history = load_drivers(drivers), load_history()
    _refuse_output_early(output, force)
    loaded = None
    if actuals:
        from .actuals import load_actuals

        loaded = load_actuals(actuals)
    results = {name: run_forecast(scenario=name, drivers=base, history=history, actuals=loaded)
               for name in (names or ["bear", "base", "bull"])}
    frame = compare_scenarios(results)
    if fmt == "table":
        print_scenarios(frame, list(results))
        return
    meta = {"scenarios": {name: fc.meta["overrides"] for name, fc in results.items()}}
    emit(fmt, frame, {"meta": meta, "rows": frame.to_dicts()}, output, force)


@app.command()
@friendly
def sensitivity(
    line: Annotated[str | None, typer.Option("--line", help="Output line (default: cloud.revenue and the target price).")] = None,
    period: Annotated[str, typer.Option("--period", help="Period of the output.")] = "FY2026",
    grid_: Annotated[str | None, typer.Option("--grid", help="Two ranged drivers, A,B: a two-way data table.")] = None,
    include_all: Annotated[bool, typer.Option("--all", help="Also move drivers without a range (±10%, ratios ±1 pp).")] = False,
    scenario: Annotated[str, typer.Option("--scenario", "-s")] = "base",
    set_: SetOption = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
    drivers: DriversOption = None,
    actuals: ActualsOption = None,
) -> None:
    """A tornado of each ranged driver's effect on an output, or a two-way grid."""
    from .output import emit
    from .render import print_frame
    from .whatif import check_line, check_period, grid, tornado

    check_format(fmt, ("table", "json", "csv", "parquet"))
    driver_set, history = _base_and_history(drivers, scenario, set_, actuals)
    _refuse_output_early(output, force)
    check_period(period)
    for out_line in ([check_line(line)] if line else ["cloud.revenue", "valuation.target.usd_per_ads"]):
        _check_output_period(driver_set, history, out_line, period)
    if grid_:
        parts = [p.strip() for p in grid_.split(",")]
        if len(parts) != 2:
            raise InputError.one("--grid", "", grid_, "expected two driver ids, A,B")
        if parts[0] == parts[1]:
            raise InputError.one("--grid", "", grid_, "names the same driver twice; a grid is over two different drivers")
        target_line = check_line(line or "cloud.revenue")
        frame = grid(driver_set, history, parts[0], parts[1], target_line, period)
        if fmt == "table":
            import polars as pl

            wide = frame.pivot(on=parts[1], index=parts[0], values="value").rename(lambda c: c if c == parts[0] else f"{parts[1]}={float(c):.4g}")
            print_frame(wide.with_columns(pl.col(parts[0]).round(6)), f"{target_line} at {period}: {parts[0]} (rows) × {parts[1]} (columns)")
            return
        emit(fmt, frame, {"meta": {"line": target_line, "period": period, "grid": parts}, "rows": frame.to_dicts()},
             output, force)
        return
    outputs = [(check_line(line), period)] if line else [("cloud.revenue", period), ("valuation.target.usd_per_ads", period)]
    frame = tornado(driver_set, history, outputs, include_all)
    if fmt == "table":
        for out_line, out_period in outputs:
            part = frame.filter((frame["line"] == out_line) & (frame["period"] == out_period))
            base = part["output_base"][0] if part.height else float("nan")
            print_frame(part, f"Tornado: {out_line} at {out_period} (base {base:,.6g}), sorted by swing",
                         {"driver": "driver", "range": "range", "driver_low": "driver low", "driver_high": "driver high",
                          "output_low": "output at low", "output_high": "output at high", "swing": "swing"})
        return
    emit(fmt, frame, {"meta": {"outputs": outputs, "scenario": scenario}, "rows": frame.to_dicts()}, output, force)


@app.command()
@friendly
def solve(
    target: Annotated[str, typer.Option("--target", help="LINE@PERIOD=VALUE, e.g. cloud.revenue_growth@FY2026=17%.")],
    vary: Annotated[str, typer.Option("--vary", help="The driver to solve for.")],
    scenario: Annotated[str, typer.Option("--scenario", "-s")] = "base",
    set_: SetOption = None,
    fmt: FormatOption = "table",
    drivers: DriversOption = None,
    actuals: ActualsOption = None,
) -> None:
    """Reverse-solve one driver so that an output meets a target."""
    from .units import display
    from .whatif import parse_condition
    from .whatif import solve as run_solve

    check_format(fmt, ("table", "json"))
    condition = parse_condition(target, "--target")
    driver_set, history = _base_and_history(drivers, scenario, set_, actuals)
    _check_output_period(driver_set, history, condition.line, condition.period, "--target")
    result = run_solve(driver_set, history, condition, vary)
    if fmt == "json":
        from .output import to_json

        sys.stdout.write(to_json(result) + "\n")
        return
    unit = result["unit"]
    where = "inside" if result["in_range"] else "OUTSIDE"
    rng = f"[{display(result['low'], unit)}, {display(result['high'], unit)}]" if result["low"] is not None else "(no range)"
    from .render import make_console

    make_console().print(
        f"{vary} = [bold]{display(result['value'], unit)}[/] ({result['value']:.10g}) meets {target}\n"
        f"  {where} the report's range {rng}; base {display(result['base_value'], unit)}, "
        f"change {result['change_from_base']:+.6g}" + (f" ({result['relative_change']:+.1%})" if result["relative_change"] is not None else ""))


@app.command()
@friendly
def explain(
    line: Annotated[str, typer.Argument(help="The output line to explain.")],
    period: Annotated[str, typer.Option("--period", help="The period of the line.")] = "FY2026",
    start: Annotated[str | None, typer.Option("--from", help="Bridge from this period of the same scenario (by component).")] = None,
    vs_scenario: Annotated[str | None, typer.Option("--vs-scenario", help="Bridge from base to this scenario (by driver, Shapley).")] = None,
    set_: SetOption = None,
    fmt: FormatOption = "table",
    plot: Annotated[str | None, typer.Option("--plot", help="Draw the waterfall to this PNG file.")] = None,
    force: ForceOption = False,
    drivers: DriversOption = None,
    actuals: ActualsOption = None,
) -> None:
    """Why a line moved: a bridge whose contributions add up to the total change."""
    from .render import print_bridge
    from .whatif import check_line, check_period, component_bridge, shapley_bridge

    check_format(fmt, ("table", "json"))
    check_line(line, "explain")
    check_period(period)
    if (start is None) == (vs_scenario is None and not set_):
        raise InputError.one("explain", "", None, "give exactly one of --from PERIOD or --vs-scenario NAME (or --set ID=VALUE)")
    plot_target = None
    if start is not None:
        from .model import forecast as run_forecast

        check_period(start, "--from")
        fc = run_forecast(drivers_dir=drivers, actuals=actuals)
        if plot:
            from .output import check_target

            plot_target = check_target(plot, force, option="--plot")
        for label_, option in ((period, "--period"), (start, "--from")):
            if fc.rows.get(line, label_) is None:
                check_computed(_raw_of(fc), line, label_, option)
        try:
            bridge = component_bridge(fc, line, period, start)
        except KeyError as exc:
            raise InputError.one("--from", line, start, f"cannot bridge these periods: {exc.args[0]}") from None
        label = f"{line}: {start} → {period}"
    else:
        from .history import load_history
        from .model import load_drivers, scenario_drivers

        base = load_drivers(drivers)
        history = load_history()
        if actuals:
            from .actuals import load_actuals
            from .update import rolled_history

            history = rolled_history(history, load_actuals(actuals))
        target = scenario_drivers(base, vs_scenario or "base", parse_sets(set_))
        if plot:
            from .output import check_target

            plot_target = check_target(plot, force, option="--plot")
        _check_output_period(base, history, line, period)
        bridge = shapley_bridge(base, history, {k: target[k].value for k in target.overrides}, line, period)
        label = f"{line} at {period}: base → {vs_scenario or 'base'}" + (f" with {', '.join(set_)}" if set_ else "")
    import math

    numbers = [bridge["base"], bridge["new"], *(r["contribution"] for r in bridge["rows"])]
    if not all(math.isfinite(x) for x in numbers):
        from .errors import NonFinite

        raise NonFinite.one("explain", f"{line} at {period}", None, "the bridge is not finite (NaN or infinity) for "
                            "these drivers", "check the --set / scenario values")
    if plot_target is not None:
        from .charts import waterfall

        waterfall(bridge, label, plot_target, force)
    if fmt == "json":
        from .output import to_json

        document = {"meta": {"line": line, "period": period, "method": bridge["method"], "base": bridge["base"],
                             "new": bridge["new"], "total_change": bridge["total_change"], "label": label},
                    "rows": bridge["rows"]}
        sys.stdout.write(to_json(document) + "\n")
        return
    print_bridge(bridge, label)


#: A saved forecast run is ~2 MB of JSON (every line, every period); 64 MB leaves room for long
#: horizons while refusing to parse a file that cannot be one.
MAX_SAVED_RUN_BYTES = 64 * 1024 * 1024


def _saved_run(name: str) -> dict[str, Any]:
    """A saved forecast run (``forecast --format json``), checked shape by shape."""
    import json as jsonlib
    import math
    from pathlib import Path

    from .drivers import MAX_NESTING, nesting_depth, read_text

    path = Path(name)
    text = read_text(path, MAX_SAVED_RUN_BYTES, "saved run")
    try:
        doc = jsonlib.loads(text)
    except jsonlib.JSONDecodeError as exc:
        raise InputError.one(name, "", None, f"is not JSON: {exc}") from None
    except RecursionError:
        doc = None
    if doc is None or nesting_depth(doc) > MAX_NESTING:
        raise InputError.one(name, "", None, f"nests lists or objects more than {MAX_NESTING} deep; not a saved forecast")
    hint = "save one with: cloudmodel forecast --format json --output FILE"
    if not isinstance(doc, dict) or not isinstance(doc.get("meta"), dict) or not isinstance(doc.get("rows"), list):
        raise InputError.one(name, "", None, "is not a saved forecast (expected {\"meta\": {…}, \"rows\": […]})", hint)
    for key in ("scenario", "drivers_hash"):
        if key in doc["meta"] and not isinstance(doc["meta"][key], str | None):
            raise InputError.one(name, f"meta.{key}", doc["meta"][key], "must be a string", hint)
    for key in ("drivers", "overrides"):
        value = doc["meta"].get(key, {})
        if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) or v is None for v in value.values()):
            raise InputError.one(name, f"meta.{key}", value, "must be an object of driver id: number", hint)
    for i, row in enumerate(doc["rows"]):
        if not isinstance(row, dict):
            raise InputError.one(name, f"rows[{i}]", row, "must be an object {line, period, basis, value, unit}", hint)
        for key in ("line", "period", "unit"):
            if not isinstance(row.get(key), str):
                raise InputError.one(name, f"rows[{i}].{key}", row.get(key), "must be a string", hint)
        value = row.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)):
            raise InputError.one(name, f"rows[{i}].value", value, "must be a finite number (or null)", hint)
    return doc


@app.command()
@friendly
def diff(
    a: Annotated[str, typer.Argument(help="A saved run: forecast --format json --output A.json")],
    b: Annotated[str, typer.Argument(help="Another saved run.")],
    fmt: FormatOption = "table",
) -> None:
    """Which drivers differ between two saved forecast runs, and how the key outputs moved."""
    from .render import print_frame
    from .whatif import diff_runs

    check_format(fmt, ("table", "json"))
    documents = [_saved_run(name) for name in (a, b)]
    result = diff_runs(*documents)
    if fmt == "json":
        from .output import to_json

        sys.stdout.write(to_json(result) + "\n")
        return
    import polars as pl

    if result["drivers"]:
        print_frame(pl.DataFrame(result["drivers"]), "Drivers that differ")
    else:
        pl_note = "same driver files" if result["meta"]["same_driver_files"] else "driver hashes differ"
        sys.stdout.write(f"No driver values differ ({pl_note}).\n")
    if result["outputs"]:
        frame = pl.DataFrame(result["outputs"]).filter(pl.col("change") != 0)
        print_frame(frame, "Key outputs that moved")


@app.command()
@friendly
def simulate(
    draws: Annotated[int, typer.Option("--draws", "-n", help="Number of draws (1 to 50,000,000).")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same output.")] = 0,
    prob: Annotated[list[str] | None, typer.Option("--prob", help="A probability to estimate: LINE@PERIOD>VALUE (or <, >=, <=).")] = None,
    correlate: Annotated[list[str] | None, typer.Option("--correlate", help="Rank correlation between drawn drivers: A,B=0.5.")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Draw only these drivers (others at base).")] = None,
    scenario: Annotated[str, typer.Option("--scenario", "-s")] = "base",
    set_: SetOption = None,
    horizon: Annotated[str, typer.Option("--horizon")] = "FY2028Q4",
    precision: Annotated[str, typer.Option("--precision", help="float32 (fast) or float64.")] = "float32",
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
    plot: Annotated[str | None, typer.Option("--plot", help="Fan chart of cloud revenue and histogram of the target price (PNG).")] = None,
    drivers: DriversOption = None,
    actuals: Annotated[str | None, typer.Option("--actuals", help="Reported since the origin (CSV/Parquet): the draws carry the update "
                                                "and the forecast-error uncertainty of the rolling-origin backtest.")] = None,
    period: Annotated[str, typer.Option("--period", help="year (fiscal years) or quarter (every quarter after the last reported one, "
                                        "with the forecast-error uncertainty).")] = "year",
) -> None:
    """Monte Carlo over the report's ranges: percentiles, probabilities and what drives the spread."""
    from .render import print_simulation
    from .simulate import simulate as run_simulation
    from .whatif import parse_condition

    check_format(fmt, ("table", "json", "csv", "parquet"))
    check_seed(seed)
    conditions = [parse_condition(text, "--prob", (">", ">=", "<", "<=")) for text in prob or []]
    pairs: dict[tuple[str, str], float] = {}
    for item in correlate or []:
        names, sep, value = item.partition("=")
        parts = [p.strip() for p in names.split(",")]
        try:
            rho = float(value)
        except ValueError:
            rho = None
        if not sep or len(parts) != 2 or rho is None:
            raise InputError.one("--correlate", "", item, "expected A,B=RHO, e.g. ai.penetration_target,apple.users=0.5")
        if parts[0] == parts[1]:
            raise InputError.one("--correlate", "", item, "names the same driver twice; a correlation is between two drivers")
        pair = tuple(sorted(parts))
        if any(tuple(sorted(k)) == pair for k in pairs):
            raise InputError.one("--correlate", "", item, f"the pair {pair[0]},{pair[1]} is given more than once")
        if not -1 < rho < 1:
            raise InputError.one("--correlate", "", item, "a correlation lies strictly between -1 and 1")
        pairs[(parts[0], parts[1])] = rho
    driver_set, history = _base_and_history(drivers, scenario, set_)
    from .output import check_target

    if plot and output and os.path.abspath(plot) == os.path.abspath(output):
        raise InputError.one("--plot", "", plot, "is also the --output file; give two different files")
    for target, option in ((plot, "--plot"), (output, "--output")):  # refuse before the run, not after
        if target:
            check_target(target, force, option=option)
    if period not in ("year", "quarter"):
        raise InputError.one("--period", "", period, "choose year or quarter")
    if plot and period == "quarter":
        raise InputError.one("--plot", "", plot, "the fan chart is by fiscal year; drop --period quarter to draw it")
    loaded = None
    if actuals:
        from .actuals import load_actuals

        loaded = load_actuals(actuals)
    result = run_simulation(driver_set, history, draws, seed, horizon=horizon, only=only, correlate=pairs,
                            conditions=conditions, keep_draws=fmt == "parquet", precision=precision,
                            actuals=loaded, period=period)
    if plot:
        from pathlib import Path

        from .charts import fan_and_histogram

        fan_and_histogram(result, Path(plot), force)
    meta = result.meta | {"scenario": scenario, "probabilities": result.probabilities,
                          "variance_shares": result.attribution.to_dicts()}
    if fmt == "parquet":
        from .output import emit

        emit("parquet", result.draws_frame, None, output, force)
        return
    if fmt in ("json", "csv"):
        from .output import emit

        emit(fmt, result.stats, None, output, force, meta=meta)
        return
    if period == "quarter":
        from .update import print_quarterly

        print_quarterly(result)
        return
    print_simulation(result)


@app.command("calibrate")
@friendly
def calibrate_cmd(
    write: Annotated[bool, typer.Option("--write", help="Rewrite calibrated.toml in the drivers directory.")] = False,
    output: OutputOption = None,
    force: ForceOption = False,
    fmt: FormatOption = "table",
    drivers: DriversOption = None,
) -> None:
    """Fit the reported history (statsmodels) and solve the report's targets; show or write the calibrated drivers."""
    from pathlib import Path

    from .calibrate import CALIBRATED_FILE, calibrate, render_calibrated
    from .history import load_history
    from .model import load_drivers
    from .output import check_target, to_json, write_atomic
    from .periods import quarter_label
    from .render import print_calibration

    check_format(fmt, ("table", "json"))
    driver_set, history = load_drivers(drivers), load_history()
    if output and not write:
        _refuse_output_early(output, force)
    result = calibrate(driver_set, history)
    text = render_calibrated(driver_set, result, quarter_label(history.last_quarter))
    target = None
    if write:
        target = Path(driver_set.directory) / CALIBRATED_FILE
    elif output:
        target = check_target(output, force, [d.file for d in driver_set.values()])
    if target is not None:  # --write deliberately replaces calibrated.toml: that is what it is for
        write_atomic(target, lambda p: p.write_text(text, encoding="utf-8"), force=write or force)
        load_drivers(target.parent) if write else None  # a written drivers directory must still load
    if fmt == "json":
        old = {k: driver_set[k].value for k in result["values"] if k in driver_set}
        sys.stdout.write(to_json(result | {"previous": old, "written": str(target) if target else None}) + "\n")
        return
    print_calibration(result, driver_set, target)


@app.command()
@friendly
def backtest(
    actuals: Annotated[str | None, typer.Option("--actuals", help="CSV/Parquet of reported figures: period,line,value[,unit]. "
                                                "Without it, only the rolling-origin backtest over the shipped history.")] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="The forecast origin (default: the last reported quarter, FY2025Q3).")] = None,
    scenario: Annotated[str, typer.Option("--scenario", "-s")] = "base",
    draws: Annotated[int, typer.Option("--draws", help="Driver draws of the update at each rolling origin.")] = 4096,
    seed: Annotated[int, typer.Option("--seed", help="Seed of those draws.")] = 0,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
    drivers: DriversOption = None,
) -> None:
    """Hold the forecast made at an origin against reported actuals (errors, MAPE, bias, MASE), and the
    rolling-origin one-step backtest of the updated model against seasonal naive and the latest y/y growth."""
    from .actuals import load_actuals
    from .backtest import backtest as run_backtest
    from .backtest import rolling_backtest
    from .render import print_frame

    check_format(fmt, ("table", "json"))
    check_seed(seed)
    if not 0 <= draws <= MAX_BACKTEST_DRAWS:
        raise InputError.one("--draws", "", draws, f"the number of draws is a whole number from 0 to {MAX_BACKTEST_DRAWS:,}")
    driver_set, history = _base_and_history(drivers, scenario)
    loaded = load_actuals(actuals) if actuals else None
    result = run_backtest(driver_set, history, loaded, origin) if loaded is not None else None
    rolling = rolling_backtest(driver_set, history, loaded, draws, seed)
    if fmt == "json":
        from .output import emit, to_json

        document = {"meta": result["meta"] if result else {"origin": None, "actuals": None},
                    "rows": result["rows"] if result else [], "summary": result["summary"] if result else [],
                    "rolling": rolling}
        if output:
            emit("json", None, document, output, force, [actuals] if actuals else [])
        else:
            sys.stdout.write(to_json(document) + "\n")
        return
    import polars as pl

    from .update import print_rolling

    print_rolling(rolling)
    if result is None:
        return
    meta = result["meta"]
    sys.stdout.write(f"backtest from origin {meta['origin']} against {meta['actuals']} "
                     f"({meta['rows_compared']} line-periods; baseline: {meta['baseline']['method']})\n")
    if result["rows"]:
        print_frame(pl.DataFrame(result["rows"]).select("line", "period", "method", "forecast", "actual", "error", "pct_error"),
                     "Forecast against actual")
        print_frame(pl.DataFrame(result["summary"]), "By line and method (MASE < 1 beats seasonal naive)")
    else:
        sys.stdout.write("No rows of the file fall after the origin.\n")


@app.command("update")
@friendly
def update_cmd(
    actuals: Annotated[str, typer.Option("--actuals", help="CSV/Parquet of what was reported since the origin: period,line,value[,unit,low,high].")],
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="The prior: base or a scenario.")] = "base",
    set_: SetOption = None,
    draws: Annotated[int, typer.Option("--draws", help="Driver draws weighed against the actuals.")] = 4096,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws; the same seed gives the same update.")] = 0,
    horizon: Annotated[str, typer.Option("--horizon")] = "FY2028Q4",
    fmt: FormatOption = "table",
    output: OutputOption = None,
    force: ForceOption = False,
    drivers: DriversOption = None,
) -> None:
    """The quarterly update: surprises, driver updates (prior → posterior, flagged outside the report's range),
    the revised years and target price, and a bridge from the origin's forecast that adds up."""
    from .actuals import load_actuals
    from .update import print_update
    from .update import update as run_update

    check_format(fmt, ("table", "json"))
    check_seed(seed)
    from .simulate import horizon_quarter

    horizon_quarter(horizon)
    driver_set, history = _base_and_history(drivers, scenario, set_)
    if output:
        from .output import check_target

        check_target(output, force, [d.file for d in driver_set.values()] + [actuals], option="--output")
    result = run_update(driver_set, history, load_actuals(actuals), draws, seed, horizon)
    if fmt == "json":
        from .output import emit, to_json

        document = result.document()
        if output:
            emit("json", None, document, output, force, [actuals])
        else:
            sys.stdout.write(to_json(document) + "\n")
        return
    print_update(result)


def main() -> None:
    from .fastcli import run, wants_fast_path

    try:
        if wants_fast_path(sys.argv[1:]):
            raise SystemExit(run(sys.argv[1:]))
        app()
    except KeyboardInterrupt:  # outside a command (typer's start-up): still no traceback
        sys.stderr.write("cloudmodel: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None


if __name__ == "__main__":
    main()
