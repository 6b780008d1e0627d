"""The command line: each verb parses its options, calls one library function, prints.

Each command and its options are declared once, here, with :mod:`cloudmodel.cliparse` (a
small declarative layer over :mod:`argparse`); the parser and ``--help`` come from that one
declaration. Everything heavy (polars, the model, rich, matplotlib, statsmodels) is imported
inside the command that needs it, so ``forecast --format json`` starts fast.

Every verb writes ``table`` (what the terminal shows; with ``--output`` the same text to a
file), ``csv``, ``json``, ``parquet`` and ``xlsx``; ``report`` writes one HTML file.

Exit codes: 0 success; 1 a check failed and ``--strict`` was asked; 2 bad usage or bad
input, with one clear message on stderr and no traceback; 3 an internal error (a bug: a short
message and how to report it); 130/143 interrupted by Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

from cloudmodel.cliparse import App, argument, option
from cloudmodel.errors import CheckFailed, CloudmodelError, InputError

app = App("cloudmodel", "cloudmodel: Alibaba Cloud, layer by layer, from the report's drivers to the target price.")

ALL_FORMATS = ("table", "csv", "json", "parquet", "xlsx")
DRIVERS = option("--drivers", help="Directory of driver files (default: the shipped drivers/).", metavar="DIR")
FORMAT = option("--format", "-f", dest="fmt", default="table", metavar="FORMAT",
                help="table, csv, json, parquet or xlsx (parquet and xlsx need --output; - is stdout, not a terminal).")
OUTPUT = option("--output", "-o", metavar="FILE",
                help="Write to this file (atomically; its extension must match the format) instead of stdout; - is stdout.")
FORCE = option("--force", kind=bool, help="Replace an existing output file.")
SET = option("--set", dest="set_", many=True, metavar="ID=VALUE",
             help="Override a driver: ID=VALUE, units allowed (ai.penetration_target=18%).")
ACTUALS = option("--actuals", metavar="FILE", help="Roll forward on reported quarters (CSV/Parquet: period,line,value).")
SCENARIO = option("--scenario", "-s", default="base", metavar="NAME", help="base, a scenario name in drivers/scenarios, or a file.")
UNITS = option("--units", default="cn", metavar="cn|k", help="Counts in tables: 万/亿 (cn) or k/m/bn (k).")
HORIZON = option("--horizon", metavar="PERIOD", help="Last fiscal quarter or year, e.g. FY2030 (default: the model's horizon).")
ORIGIN = option("--origin", metavar="QUARTER", help="Made as at this fiscal quarter, seeing no shipped figure after it "
                "(default: the latest reported; 'report' is the report's own, FY2025Q3). An actuals file's later "
                "quarters stand in for what was reported.")
OUTPUTS = (FORMAT, OUTPUT, FORCE, UNITS)


EXIT_CHECK, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
#: Problems listed before "… and N more": a screenful, while a hostile file with ten thousand
#: broken entries still gets a message one can read.
MAX_PROBLEMS_SHOWN = 20
REPORT_HINT = ("this is a bug in cloudmodel, not a problem with your input; please report it with the command "
               "line you ran and this message")


def fail(message: str, code: int = EXIT_INPUT) -> None:
    from cloudmodel.errors import clean_text

    _say(f"cloudmodel: error: {clean_text(message)}\n")
    raise SystemExit(code)


def _say(text: str) -> None:
    """A message on stderr; a closed or full stderr loses it, never the exit code."""
    try:
        if sys.stderr is not None:
            sys.stderr.write(text)
            sys.stderr.flush()
    except (OSError, ValueError):
        pass


def internal_error(exc: BaseException) -> None:
    from cloudmodel.errors import clean_text, shown

    text = clean_text(str(exc).splitlines()[0] if str(exc) else "")
    _say(f"cloudmodel: internal error: {type(exc).__name__}: {shown(text)[1:-1]}\n  ({REPORT_HINT})\n")
    raise SystemExit(EXIT_INTERNAL)


#: System errors that are the machine's state, not a bug: exit 2 with the system's reason.
IO_ERRNOS = ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS", "EPIPE", "ENXIO", "EACCES", "EPERM")


def _own_hints(problems: list[Any], options: frozenset[str] | None) -> list[Any]:
    """The problems with any hint that names an option this verb lacks dropped (a library hint
    written for another verb: "give a later --horizon" to backtest, which has none).
    tests/test_hostile2.py checks statically that no hint does; this keeps it true at run time."""
    if options is None:
        return problems
    import dataclasses
    import re

    return [dataclasses.replace(p, hint="") if set(re.findall(r"--[a-z][a-z-]*", str(p.hint))) - options else p
            for p in problems]


def friendly(func: Callable[..., Any], options: frozenset[str] | None = None) -> Callable[..., Any]:
    """Turn the library's errors into one clear message and an exit code, never a traceback.
    ``options`` are the verb's own (``--help`` among them): a hint naming another is not shown."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import warnings

        from cloudmodel.errors import suggestion_budget
        from cloudmodel.inputs.files import reset_inputs

        reset_inputs()
        # NaN and overflow are refused with a message naming line, period and driver; numpy's own
        # warnings about them would only add lines of source code to stderr.
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        try:
            with suggestion_budget(MAX_PROBLEMS_SHOWN):  # a did-you-mean only for the problems shown
                return func(*args, **kwargs)
        except InputError as exc:
            lines = [str(p) for p in _own_hints(exc.problems[:MAX_PROBLEMS_SHOWN], options)]
            if len(exc.problems) > MAX_PROBLEMS_SHOWN:
                lines.append(f"… and {len(exc.problems) - MAX_PROBLEMS_SHOWN:,} more")
            head = f"{len(exc.problems)} problems:\n  " if len(exc.problems) > 1 else ""
            fail(head + "\n  ".join(lines))
        except CheckFailed as exc:
            fail(str(exc), code=EXIT_CHECK)
        except CloudmodelError as exc:
            fail(str(exc))
        except BrokenPipeError:  # stdout is written through output.to_stdout; this is a last resort
            from cloudmodel.present.output import _silence_stdout

            _silence_stdout()
            fail("stdout: the reader closed the pipe before the whole output was written (broken pipe)")
        except OSError as exc:
            import errno

            if exc.errno not in {getattr(errno, name, None) for name in IO_ERRNOS} - {None}:
                internal_error(exc)
            fail(f"{exc.filename or 'a file'}: cannot be written or read: {exc.strerror or exc}")
        except KeyboardInterrupt:
            _say("cloudmodel: interrupted\n")
            raise SystemExit(EXIT_INTERRUPTED) from None
        except SystemExit as exc:
            from cloudmodel.present.output import Terminated

            if isinstance(exc, Terminated):  # SIGTERM while a file was written: it was removed
                _say("cloudmodel: terminated; nothing was written\n")
            raise
        except Exception as exc:  # anything else is our bug: exit 3, never a traceback
            internal_error(exc)

    return wrapper


def verb(*params: Any, name: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a command: its options and arguments, once; errors become exit codes."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        from cloudmodel.cliparse import Option

        names = frozenset(n for p in params if isinstance(p, Option) for n in p.names) | {"--help"}
        wrapped = friendly(func, names)
        app.command(*params, name=name or func.__name__.removesuffix("_cmd"))(wrapped)
        return wrapped
    return register


#: Most ``--set`` options of one run: a driver is set once, and the model has a few hundred.
#: More belong in a scenario file (at most ``inputs.drivers.MAX_OVERRIDES`` overrides).
MAX_SETS = 1_000


def parse_sets(items: list[str] | None) -> dict[str, str]:
    if items and len(items) > MAX_SETS:
        raise InputError.one("--set", "", None, f"is given {len(items):,} times; a run takes at most {MAX_SETS:,}",
                             "put many overrides in a scenario file instead")
    overrides: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError.one("--set", item, item, "expected ID=VALUE", "e.g. --set ai.penetration_target=18%")
        overrides[key.strip()] = value.strip()
    return overrides


def check_format(fmt: str, allowed: tuple[str, ...] = ALL_FORMATS) -> None:
    if fmt not in allowed:
        raise InputError.one("--format", "", fmt, f"unknown format; choose from {', '.join(allowed)}")


def check_units(units: str) -> None:
    if units in ("cn", "k"):  # cloudmodel.present.numbers.UNIT_SYSTEMS, without importing it on the fast path
        return
    from cloudmodel.present.numbers import UNIT_SYSTEMS

    if units not in UNIT_SYSTEMS:
        raise InputError.one("--units", "", units, f"choose {' or '.join(UNIT_SYSTEMS)}")


def start(fmt: str, units: str, output: str | None, force: bool, inputs: Any = (), allowed: tuple[str, ...] = ALL_FORMATS) -> None:
    """Check the output options before any work: the format, the units, the output file and its extension."""
    check_format(fmt, allowed)
    check_units(units)
    if fmt == "table":  # rich is imported only for tables
        from cloudmodel.present import render

        render.UNITS = units
    if not output:  # the output goes to stdout: refuse a closed one before any work
        from cloudmodel.present.output import require_stdout

        require_stdout()
    if output:
        from pathlib import Path

        from cloudmodel.present.output import check_format_extension, check_target

        check_target(output, force, inputs)
        # An existing file may be an input the run has not loaded yet (refused once it is, whatever
        # its name), and a new *.toml may land in a drivers folder: their extension is checked at the write.
        if not os.path.lexists(output) and Path(output).suffix.lower() != ".toml":
            check_format_extension(output, fmt)


def deliver(fmt: str, output: str | None, force: bool, show: Callable[[], None], frames: dict[str, Any],
            document: Any, inputs: Any = ()) -> None:
    """A verb's result: ``show()`` prints the tables (to ``output`` with ``table``), the rest
    goes through :func:`cloudmodel.present.output.emit_frames`. ``output`` ``-`` is stdout."""
    if fmt == "table":
        if not output or output == "-":
            from cloudmodel.present.output import to_stdout
            from cloudmodel.present.render import captured_stdout

            with captured_stdout() as buffer:
                show()
            to_stdout(buffer.getvalue())
            return
        from cloudmodel.present.output import write_text
        from cloudmodel.present.render import captured

        with captured() as buffer:
            show()
        write_text(output, buffer.getvalue(), force, inputs)
        return
    from cloudmodel.present.output import emit_frames

    emit_frames(fmt, frames, document, output, force, inputs)


# ============================================================================ forecast

@verb(SCENARIO, SET, *OUTPUTS,
      option("--period", default="year", help="year (fiscal), quarter or calendar (tables only)."),
      DRIVERS, HORIZON,
      option("--strict", kind=bool, help="Exit 1 if a check fails, or (in the report's own view) a report target is off."),
      option("--actuals", metavar="FILE", help="Roll forward: a CSV/Parquet of reported quarters (period,line,value)."),
      ORIGIN,
      option("--plot", metavar="FILE", help="Draw the revenue mix by layer and the margins (PNG)."))
def forecast(scenario: str = "base", set_: list[str] | None = None, fmt: str = "table", output: str | None = None,
             force: bool = False, units: str = "cn", period: str = "year", drivers: str | None = None,
             horizon: str | None = None, strict: bool = False, actuals: str | None = None, origin: str | None = None,
             plot: str | None = None) -> None:
    """Today's view of Alibaba Cloud, layer by layer, the group around it and the target price: the report's
    drivers updated on every quarter reported since (--origin report: the report's own view).

    --format xlsx writes the live workbook: drivers as inputs, calculation sheets of Excel formulas, outputs, checks and targets."""
    from cloudmodel.model import forecast as run_forecast

    start(fmt, units, output, force, [actuals] if actuals else [])
    if period not in ("year", "quarter", "calendar"):
        raise InputError.one("--period", "", period, "choose year, quarter or calendar")
    _check_plot(plot, output, force)
    fc = run_forecast(scenario=scenario, overrides=parse_sets(set_), drivers_dir=drivers, horizon=horizon,
                      actuals=actuals, origin=origin)
    inputs = [d.file for d in fc.drivers.values()] + ([actuals] if actuals else [])
    if plot:
        from cloudmodel.present.charts import forecast_chart

        forecast_chart(fc, _plot_target(plot, force), force)
    if fmt == "table":
        from cloudmodel.present.render import print_forecast

        deliver(fmt, output, force, lambda: print_forecast(fc, period), {}, None, inputs)
    elif fmt == "xlsx":
        from cloudmodel.present import workbook
        from cloudmodel.present.output import check_output

        if not output:
            raise InputError.one("--format", "xlsx", "xlsx", "xlsx is binary: pass --output FILE")
        workbook.save(fc, check_output(output, fmt, force, inputs), force)
    else:
        from cloudmodel.present.output import check_output, emit

        check_output(output, fmt, force, inputs)
        emit(fmt, fc.table, None, output, force, inputs, meta=fc.meta | {"targets": fc.targets.to_dicts()})
    if strict and not fc.ok:
        bad = fc.checks.filter(~fc.checks["ok"])
        raise CheckFailed(f"{bad.height} check rows failed, e.g. {bad['line'][0]} at {bad['period'][0]}")
    if strict and fc.meta["targets_apply"] and not fc.targets["ok"].all():  # the report's own view only
        off = fc.targets.filter(~fc.targets["ok"])
        first = off.row(0, named=True)
        raise CheckFailed(f"{off.height} report targets are off (--strict), e.g. {first['label']}: model "
                          f"{first['model']:.6g}, report {first['report']:.6g} {first['unit']}")


def _check_plot(plot: str | None, output: str | None, force: bool) -> None:
    """Refuse a bad ``--plot`` before the run: the same file as ``--output``, an input, not a PNG."""
    if not plot:
        return
    if output and os.path.abspath(plot) == os.path.abspath(output):
        raise InputError.one("--plot", "", plot, "is also the --output file; give two different files")
    if plot == "-" and (not output or output == "-"):
        raise InputError.one("--plot", "", plot, "would put the PNG on stdout together with the tables",
                             "give --output FILE for the tables, or a file name for --plot")
    _plot_target(plot, force)


def _plot_target(plot: str, force: bool) -> Any:
    from cloudmodel.present.output import check_output

    return check_output(plot, "png", force, option="--plot")


# ============================================================================ drivers, trace

def _driver_records(driver_set: Any, ids: Any) -> list[dict[str, Any]]:
    """Drivers' records with a short source cut at a space (never inside a number)."""
    from cloudmodel.present.render import shorten

    return [driver_set[i].record() | {"file_value": driver_set.updates.get(i, (driver_set[i].value,))[0],
                                      "short_source": shorten(driver_set[i].short_source(1 << 20))} for i in ids]


@verb(*OUTPUTS,
      option("--kind", many=True, metavar="KIND",
             help="Only these kinds: report, outside, derived, assumption, calibrated, estimated."),
      DRIVERS, ORIGIN, ACTUALS, name="drivers")
def drivers_cmd(fmt: str = "table", output: str | None = None, force: bool = False, units: str = "cn",
                kind: list[str] | None = None, drivers: str | None = None, origin: str | None = None,
                actuals: str | None = None) -> None:
    """Every driver: id, value in its unit (updated on what was reported by the origin), the file's value,
    range, period, kind and source; the residual states' gains estimated at the origin among them."""
    from cloudmodel.inputs.drivers import RUN_KINDS
    from cloudmodel.present.output import frame_of

    start(fmt, units, output, force, [actuals] if actuals else [])
    wanted = {k for item in kind or [] for k in item.split(",") if k}
    unknown = wanted - set(RUN_KINDS)
    if unknown:
        raise InputError.one("--kind", "", sorted(unknown)[0], f"unknown kind; kinds are {', '.join(RUN_KINDS)}")
    basis = _basis(drivers, actuals, origin)
    driver_set = basis.drivers
    records = _driver_records(driver_set, [i for i, d in driver_set.items() if not wanted or d.kind in wanted])

    def show() -> None:
        from cloudmodel.present.render import drivers_table, header, make_console

        make_console().print(header(basis.describe()))
        drivers_table(records)

    deliver(fmt, output, force, show, {"drivers": frame_of(records)}, {"meta": basis.describe(), "drivers": records},
            _inputs(basis))


def _inputs(basis: Any) -> list[str]:
    """The files a run on ``basis`` reads (never written): the driver files and the actuals file."""
    return [d.file for d in basis.base.values()] + ([basis.actuals.file] if basis.actuals is not None else [])


@verb(argument("line", "An output line, e.g. cloud.revenue.maas, or LINE@PERIOD for one period.", metavar="LINE"),
      DRIVERS, ORIGIN, ACTUALS, *OUTPUTS)
def trace(line: str, drivers: str | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
          units: str = "cn", origin: str | None = None, actuals: str | None = None) -> None:
    """Which drivers make a line (at one period with LINE@PERIOD), with their values and sources."""
    from cloudmodel.lineage import drivers_of, formula_of
    from cloudmodel.lines import LINES
    from cloudmodel.present.output import frame_of

    start(fmt, units, output, force, [actuals] if actuals else [])
    line, _, period = line.partition("@")
    if line not in LINES:
        from cloudmodel.errors import did_you_mean

        raise InputError.one("trace", "LINE", line, "unknown output line", did_you_mean(line, LINES))
    if period:
        from cloudmodel.analyses.whatif import check_period

        period = check_period(period, "trace")
    basis = _basis(drivers, actuals, origin)
    driver_set = basis.drivers
    try:
        ids = drivers_of(line, driver_set, basis.history, period=period or None)
    except KeyError as exc:
        raise InputError.one("trace", "LINE@PERIOD", f"{line}@{period}", exc.args[0]) from None
    records = _driver_records(driver_set, ids)
    document = {"meta": basis.describe(), "line": line, "period": period or None, "formula": dict(formula_of(line)),
                "drivers": records}

    def show() -> None:
        from cloudmodel.present.render import drivers_table

        drivers_table(records, title=f"Drivers of {line}" + (f" at {period}" if period else ""))

    deliver(fmt, output, force, show, {"drivers": frame_of(records)}, document, _inputs(basis))


# ============================================================================ helpers of the what-if verbs

def check_computed(raw: Any, line: str, period: str, option: str) -> None:
    """Refuse a line@period the run did not compute (:func:`cloudmodel.batch.check_computed`)."""
    from cloudmodel.batch import check_computed as check

    check(raw, line, period, option)


#: Most draws of the note's simulation (report --draws): the simulation's own limit.
MAX_NOTE_DRAWS = 1_000_000


def check_seed(seed: int) -> None:
    if seed < 0:
        raise InputError.one("--seed", "", seed, "a seed is a whole number 0 or above")


def _check_output_period(driver_set: Any, history: Any, line: str, period: str, option: str = "--period") -> None:
    from cloudmodel.batch import run_cases

    check_computed(run_cases(driver_set, history, {}), line, period, option)


def _basis(drivers: str | None = None, actuals: str | None = None, origin: str | None = None) -> Any:
    """What the verb stands on (:func:`cloudmodel.basis.prepare`): the drivers, the history as known at
    --origin with --actuals on top, and the update on it."""
    from cloudmodel.basis import prepare

    return prepare(drivers_dir=drivers, actuals=actuals, origin=origin)


def _scenario_on(basis: Any, scenario: str = "base", sets: list[str] | None = None) -> Any:
    """The scenario's drivers (with --set on top) on the basis's updated drivers, refused (exit 2, with
    the driver that caused it) when their point forecast is not finite or leaves an output's domain:
    every verb that moves drivers from there starts from a forecast the user could have asked for."""
    from cloudmodel.model import forecast, scenario_drivers

    overrides = parse_sets(sets)
    forecast(scenario, overrides, basis=basis)
    return scenario_drivers(basis.drivers, scenario, overrides)


# ============================================================================ scenarios, sensitivity, solve

@verb(argument("names", "Scenarios to compare (default: bear base bull).", many=True, metavar="NAMES"),
      *OUTPUTS, DRIVERS, ACTUALS, ORIGIN,
      option("--plot", metavar="FILE", help="Draw the scenarios' key lines side by side (PNG)."))
def scenarios(names: list[str] | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
              units: str = "cn", drivers: str | None = None, actuals: str | None = None, origin: str | None = None,
              plot: str | None = None) -> None:
    """Scenarios side by side for the key lines, from the origin's last year to the default horizon."""
    from cloudmodel.analyses.whatif import compare_scenarios
    from cloudmodel.model import forecast as run_forecast
    from cloudmodel.present.defaults import scenario_years

    start(fmt, units, output, force, [actuals] if actuals else [])
    _check_plot(plot, output, force)
    basis = _basis(drivers, actuals, origin)
    results = {name: run_forecast(scenario=name, basis=basis) for name in (names or ["bear", "base", "bull"])}
    years = scenario_years(basis.drivers, basis.last)
    frame = compare_scenarios(results, periods=years)
    if plot:
        from cloudmodel.present.charts import scenarios_chart

        scenarios_chart(frame, list(results), _plot_target(plot, force), force)
    meta = basis.describe() | {"scenarios": {name: fc.meta["overrides"] for name, fc in results.items()}}

    def show() -> None:
        from cloudmodel.present.render import print_scenarios

        print_scenarios(frame, list(results), years)

    deliver(fmt, output, force, show, {"scenarios": frame}, {"meta": meta, "rows": frame.to_dicts()})


@verb(option("--line", metavar="LINE", help="Output line (default: cloud.revenue and the target price)."),
      option("--period", metavar="PERIOD", help="Period of the output (default: the year the valuation is set on)."),
      option("--grid", dest="grid_", metavar="A,B", help="Two ranged drivers, A,B: a two-way data table."),
      option("--all", dest="include_all", kind=bool, help="Also move drivers without a range (±10%, ratios ±1 pp)."),
      SCENARIO, SET, *OUTPUTS, DRIVERS, ACTUALS, ORIGIN,
      option("--plot", metavar="FILE", help="Draw the tornado (PNG)."))
def sensitivity(line: str | None = None, period: str | None = None, grid_: str | None = None, include_all: bool = False,
                scenario: str = "base", set_: list[str] | None = None, fmt: str = "table", output: str | None = None,
                force: bool = False, units: str = "cn", drivers: str | None = None, actuals: str | None = None,
                origin: str | None = None, plot: str | None = None) -> None:
    """A tornado of each ranged driver's effect on an output, or a two-way grid."""
    from cloudmodel.analyses.whatif import check_line, check_period, grid, tornado
    from cloudmodel.present.defaults import target_year

    basis = _basis(drivers, actuals, origin)
    driver_set, history = _scenario_on(basis, scenario, set_), basis.history
    period = period or target_year(driver_set, basis.last)
    start(fmt, units, output, force)
    _check_plot(plot, output, force)
    check_period(period)
    for out_line in ([check_line(line)] if line else ["cloud.revenue", "valuation.target.usd_per_ads"]):
        _check_output_period(driver_set, history, out_line, period)
    if grid_:
        parts = [p.strip() for p in grid_.split(",")]
        if len(parts) != 2:
            raise InputError.one("--grid", "", grid_, "expected two driver ids, A,B")
        if parts[0] == parts[1]:
            raise InputError.one("--grid", "", grid_, "names the same driver twice; a grid is over two different drivers")
        if plot:
            raise InputError.one("--plot", "", plot, "the tornado is drawn without --grid; drop one of them")
        target_line = check_line(line or "cloud.revenue")
        frame = grid(driver_set, history, parts[0], parts[1], target_line, period)

        def show_grid() -> None:
            from cloudmodel.present.render import print_grid

            print_grid(frame, parts[0], parts[1], target_line, period, driver_set)

        deliver(fmt, output, force, show_grid, {"grid": frame},
                {"meta": basis.describe() | {"line": target_line, "period": period, "grid": parts}, "rows": frame.to_dicts()})
        return
    outputs = [(check_line(line), period)] if line else [("cloud.revenue", period), ("valuation.target.usd_per_ads", period)]
    frame = tornado(driver_set, history, outputs, include_all)
    if plot:
        from cloudmodel.present.charts import tornado_chart

        tornado_chart(frame, outputs, _plot_target(plot, force), force)

    def show() -> None:
        from cloudmodel.present.render import print_tornado

        print_tornado(frame, outputs)

    deliver(fmt, output, force, show, {"tornado": frame}, {"meta": basis.describe() | {"outputs": outputs, "scenario": scenario},
                                                           "rows": frame.to_dicts()})


@verb(option("--target", required=True, metavar="LINE@PERIOD=VALUE",
             help="LINE@PERIOD=VALUE, e.g. cloud.revenue_growth@FY2026=17%."),
      option("--vary", required=True, metavar="ID", help="The driver to solve for."),
      SCENARIO, SET, *OUTPUTS, DRIVERS, ACTUALS, ORIGIN)
def solve(target: str, vary: str, scenario: str = "base", set_: list[str] | None = None, fmt: str = "table",
          output: str | None = None, force: bool = False, units: str = "cn", drivers: str | None = None,
          actuals: str | None = None, origin: str | None = None) -> None:
    """Reverse-solve one driver so that an output meets a target."""
    from cloudmodel.analyses.whatif import parse_condition
    from cloudmodel.analyses.whatif import solve as run_solve
    from cloudmodel.present.output import frame_of

    start(fmt, units, output, force, [actuals] if actuals else [])
    condition = parse_condition(target, "--target")
    basis = _basis(drivers, actuals, origin)
    driver_set, history = _scenario_on(basis, scenario, set_), basis.history
    _check_output_period(driver_set, history, condition.line, condition.period, "--target")
    result = run_solve(driver_set, history, condition, vary) | {"meta": basis.describe()}

    def show() -> None:
        from cloudmodel.present.render import print_solve

        print_solve(result, vary, target)

    row = {"driver": vary, "target": target} | {k: v for k, v in result.items() if k != "meta"}
    deliver(fmt, output, force, show, {"solve": frame_of([row])}, result)


# ============================================================================ explain, diff

@verb(argument("line", "The output line to explain.", metavar="LINE"),
      option("--period", metavar="PERIOD", help="The period of the line (default: the year the valuation is set on)."),
      option("--from", dest="from_", metavar="PERIOD", help="Bridge from this period of the same scenario (by component)."),
      option("--vs-scenario", metavar="NAME", help="Bridge from base to this scenario (by driver, Shapley)."),
      SET, *OUTPUTS,
      option("--plot", metavar="FILE", help="Draw the waterfall to this PNG file."),
      DRIVERS, ACTUALS, ORIGIN)
def explain(line: str, period: str | None = None, from_: str | None = None, vs_scenario: str | None = None,
            set_: list[str] | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
            units: str = "cn", plot: str | None = None, drivers: str | None = None, actuals: str | None = None,
            origin: str | None = None) -> None:
    """Why a line moved: a bridge whose contributions add up to the total change."""
    from cloudmodel.analyses.whatif import check_line, check_period
    from cloudmodel.present.defaults import target_year

    check_format(fmt)
    basis = _basis(drivers, actuals, origin)
    period = period or target_year(basis.drivers, basis.last)
    check_line(line, "explain")
    check_period(period)
    if (from_ is None) == (vs_scenario is None and not set_):
        raise InputError.one("explain", "", None, "give exactly one of --from PERIOD or --vs-scenario NAME (or --set ID=VALUE)")
    if from_ is not None:
        bridge, label, plot_target = _period_bridge(line, period, from_, basis, plot, force, fmt, units, output)
    else:
        bridge, label, plot_target = _scenario_bridge(line, period, vs_scenario, set_, basis, plot, force,
                                                      fmt, units, output)
    import math

    numbers = [bridge["base"], bridge["new"], *(r["contribution"] for r in bridge["rows"])]
    if not all(math.isfinite(x) for x in numbers):
        from cloudmodel.errors import NonFinite

        raise NonFinite.one("explain", f"{line} at {period}", None, "the bridge is not finite (NaN or infinity) for "
                            "these drivers", "check the --set / scenario values")
    if plot_target is not None:
        from cloudmodel.present.charts import waterfall

        waterfall(bridge, label, plot_target, force)
    document = {"meta": basis.describe() | {"line": line, "period": period, "method": bridge["method"], "base": bridge["base"],
                         "new": bridge["new"], "total_change": bridge["total_change"], "label": label},
                "rows": bridge["rows"]}

    def show() -> None:
        from cloudmodel.present.render import print_bridge

        print_bridge(bridge, label)

    from cloudmodel.present.output import frame_of

    deliver(fmt, output, force, show, {"bridge": frame_of(bridge["rows"])}, document, [actuals] if actuals else [])


def _period_bridge(line: str, period: str, start_: str, basis: Any, plot: str | None,
                   force: bool, fmt: str, units: str, output: str | None) -> tuple[Any, str, Any]:
    from cloudmodel.analyses.whatif import check_period, component_bridge
    from cloudmodel.model import forecast as run_forecast

    check_period(start_, "--from")
    fc = run_forecast(basis=basis)
    start(fmt, units, output, force, _inputs(basis))
    _check_plot(plot, output, force)
    plot_target = _plot_target(plot, force) if plot else None
    for label_, option_ in ((period, "--period"), (start_, "--from")):
        if fc.rows.get(line, label_) is None:
            _check_output_period(fc.drivers, basis.history, line, label_, option_)
    try:
        bridge = component_bridge(fc, line, period, start_)
    except KeyError as exc:
        raise InputError.one("--from", line, start_, f"cannot bridge these periods: {exc.args[0]}") from None
    return bridge, f"{line}: {start_} → {period}", plot_target


def _scenario_bridge(line: str, period: str, vs_scenario: str | None, set_: list[str] | None, basis: Any,
                     plot: str | None, force: bool, fmt: str, units: str, output: str | None) -> tuple[Any, str, Any]:
    from cloudmodel.analyses.whatif import shapley_bridge

    base, history = basis.drivers, basis.history
    target = _scenario_on(basis, vs_scenario or "base", set_)
    start(fmt, units, output, force, _inputs(basis))
    _check_plot(plot, output, force)
    plot_target = _plot_target(plot, force) if plot else None
    _check_output_period(base, history, line, period)
    bridge = shapley_bridge(base, history, {k: target[k].value for k in target.overrides}, line, period)
    label = f"{line} at {period}: base → {vs_scenario or 'base'}" + (f" with {', '.join(set_)}" if set_ else "")
    return bridge, label, plot_target


#: A saved forecast run is ~2 MB of JSON (every line, every period); 64 MB leaves room for long
#: horizons while refusing to parse a file that cannot be one.
MAX_SAVED_RUN_BYTES = 64 * 1024 * 1024


def _saved_run(name: str) -> dict[str, Any]:
    """A saved forecast run (``forecast --format json``), checked shape by shape."""
    import json as jsonlib
    from pathlib import Path

    from cloudmodel.inputs.drivers import MAX_NESTING, nesting_depth, read_text

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
    _check_saved_meta(name, doc["meta"], hint)
    _check_saved_rows(name, doc["rows"], hint)
    return doc


def _check_saved_meta(name: str, meta: dict[str, Any], hint: str) -> None:
    for key in ("scenario", "drivers_hash"):
        if key in meta and not isinstance(meta[key], str | None):
            raise InputError.one(name, f"meta.{key}", meta[key], "must be a string", hint)
    for key in ("drivers", "overrides"):
        value = meta.get(key, {})
        if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) or v is None for v in value.values()):
            raise InputError.one(name, f"meta.{key}", value, "must be an object of driver id: number", hint)


def _check_saved_rows(name: str, rows: list[Any], hint: str) -> None:
    import math

    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError.one(name, f"rows[{i}]", row, "must be an object {line, period, basis, value, unit}", hint)
        for key in ("line", "period", "unit"):
            if not isinstance(row.get(key), str):
                raise InputError.one(name, f"rows[{i}].{key}", row.get(key), "must be a string", hint)
        value = row.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)):
            raise InputError.one(name, f"rows[{i}].value", value, "must be a finite number (or null)", hint)


@verb(argument("a", "A saved run: forecast --format json --output A.json", metavar="A"),
      argument("b", "Another saved run.", metavar="B"), *OUTPUTS)
def diff(a: str, b: str, fmt: str = "table", output: str | None = None, force: bool = False, units: str = "cn") -> None:
    """Which drivers differ between two saved forecast runs, and how the key outputs moved."""
    from cloudmodel.analyses.whatif import diff_runs
    from cloudmodel.present.output import frame_of

    start(fmt, units, output, force, [a, b])
    documents = [_saved_run(name) for name in (a, b)]
    result = diff_runs(*documents)

    def show() -> None:
        from cloudmodel.present.render import print_diff

        print_diff(result)

    frames = {"drivers": frame_of(result["drivers"]) if result["drivers"] else None,
              "outputs": frame_of(result["outputs"]) if result["outputs"] else None}
    if all(f is None for f in frames.values()):
        frames = {"outputs": frame_of([{"line": None, "period": None, "a": None, "b": None, "change": None}]).clear()}
    deliver(fmt, output, force, show, frames, result, [a, b])


# ============================================================================ simulate

@verb(option("--draws", "-n", kind=int, default=100_000, metavar="N", help="Number of draws (1 to 50,000,000)."),
      option("--seed", kind=int, default=0, help="Random seed; the same seed gives the same output."),
      option("--prob", many=True, metavar="CONDITION", help="A probability to estimate: LINE@PERIOD>VALUE (or <, >=, <=)."),
      option("--correlate", many=True, metavar="A,B=RHO", help="Rank correlation between drawn drivers: A,B=0.5."),
      option("--only", many=True, metavar="ID", help="Draw only these drivers (others at base)."),
      SCENARIO, SET, HORIZON,
      option("--precision", default="float32", help="float32 (fast) or float64."),
      FORMAT, option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout; parquet writes "
                     "every draw (line, period, draw, value), the other formats the percentiles."),
      FORCE, UNITS,
      option("--plot", metavar="FILE", help="Fan chart of cloud revenue with its history and histogram of the target price (PNG)."),
      DRIVERS,
      option("--actuals", metavar="FILE", help="Reported since the origin (CSV/Parquet): the draws stand on the update "
             "made on them."),
      ORIGIN,
      option("--period", default="year", help="year (fiscal years) or quarter (every quarter after the last reported one)."))
def simulate(draws: int = 100_000, seed: int = 0, prob: list[str] | None = None, correlate: list[str] | None = None,
             only: list[str] | None = None, scenario: str = "base", set_: list[str] | None = None,
             horizon: str | None = None, precision: str = "float32", fmt: str = "table", output: str | None = None,
             force: bool = False, units: str = "cn", plot: str | None = None, drivers: str | None = None,
             actuals: str | None = None, origin: str | None = None, period: str = "year") -> None:
    """Monte Carlo over the report's ranges: percentiles, probabilities and what drives the spread."""
    from cloudmodel.analyses.simulate import simulate as run_simulation
    from cloudmodel.analyses.whatif import parse_condition

    check_format(fmt)
    check_units(units)
    check_seed(seed)
    conditions = [parse_condition(text, "--prob", (">", ">=", "<", "<=")) for text in prob or []]
    pairs = _correlations(correlate)
    basis = _basis(drivers, actuals, origin)
    driver_set, history = _scenario_on(basis, scenario, set_), basis.history
    _check_plot(plot, output, force)
    start(fmt, units, output, force, _inputs(basis))
    if period not in ("year", "quarter"):
        raise InputError.one("--period", "", period, "choose year or quarter")
    if plot and period == "quarter":
        raise InputError.one("--plot", "", plot, "the fan chart is by fiscal year; drop --period quarter to draw it")
    result = run_simulation(driver_set, history, draws, seed, horizon=horizon, only=only, correlate=pairs,
                            conditions=conditions, keep_draws=fmt == "parquet", precision=precision,
                            living=basis.living, period=period)
    if plot:

        from cloudmodel.present.charts import fan_and_histogram

        fan_and_histogram(result, _plot_target(plot, force), force, history=history, drivers=driver_set)
    meta = basis.describe() | result.meta | {"scenario": scenario, "probabilities": result.probabilities,
                          "variance_shares": result.attribution.to_dicts()}
    if fmt == "parquet":
        from cloudmodel.present.output import emit

        emit("parquet", result.draws_frame, None, output, force)
        return
    if fmt in ("json", "csv"):
        from cloudmodel.present.output import emit

        emit(fmt, result.stats, None, output, force, meta=meta)
        return

    def show() -> None:
        if period == "quarter":
            from cloudmodel.present.render import print_quarterly

            print_quarterly(result)
            return
        from cloudmodel.present.render import print_simulation

        print_simulation(result)

    from cloudmodel.present.output import frame_of

    deliver(fmt, output, force, show, {"stats": result.stats, "variance_shares": result.attribution,
                                       "probabilities": frame_of(result.probabilities) if result.probabilities else None},
            None)


def _correlations(correlate: list[str] | None) -> dict[tuple[str, str], float]:
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
    return pairs


# ============================================================================ calibrate, backtest, update

@verb(option("--write", kind=bool, help="Rewrite calibrated.toml in the drivers directory."),
      option("--output", "-o", metavar="FILE", help="With the table format: write the calibrated drivers (TOML) "
             "to this file; with another format, the fits in that format."),
      FORCE, FORMAT, UNITS, DRIVERS, ORIGIN, name="calibrate")
def calibrate_cmd(write: bool = False, output: str | None = None, force: bool = False, fmt: str = "table",
                  units: str = "cn", drivers: str | None = None, origin: str | None = None) -> None:
    """Fit the reported history (statsmodels) and solve the report's targets; show or write the calibrated
    drivers. The fits shown are made on the history known at --origin (default: the last reported
    quarter); the calibrated values, and what --write writes, are the report's calibration, made at its
    origin whatever --origin says."""
    from pathlib import Path

    from cloudmodel.analyses.calibrate import CALIBRATED_FILE, calibrate, render_calibrated
    from cloudmodel.inputs.history import load_history
    from cloudmodel.inputs.periods import quarter_label
    from cloudmodel.model import load_drivers
    from cloudmodel.present.output import STDOUT, check_output, require_stdout, save_text

    check_format(fmt)
    check_units(units)
    if fmt == "table" or not output:
        require_stdout()
    driver_set, history = load_drivers(drivers), load_history()
    from cloudmodel.basis import parse_origin
    from cloudmodel.engine import report_origin

    report_q = report_origin(driver_set)
    origin_q = parse_origin(origin, history)
    if origin_q > history.last_quarter:
        from cloudmodel.basis import check_known

        check_known(origin_q, history)
    toml_output = output if fmt == "table" else None
    if output and not write:
        check_output(output, "toml" if fmt == "table" else fmt, force)
    result = calibrate(driver_set, history, None if origin_q == report_q else origin_q)
    meta = {"origin": quarter_label(origin_q), "last_reported": quarter_label(min(origin_q, history.last_quarter)),
            "report_origin": quarter_label(report_q), "history": history.file,
            "calibrated_at": quarter_label(report_q)}

    text = render_calibrated(driver_set, result, quarter_label(report_origin(driver_set)))
    target = None
    if write:
        target = Path(driver_set.directory) / CALIBRATED_FILE
    elif toml_output:
        target = check_output(toml_output, "toml", force, [d.file for d in driver_set.values()])
    if target is not None:  # --write deliberately replaces calibrated.toml: that is what it is for
        save_text(target, text, force=write or force)
        load_drivers(target.parent) if write else None  # a written drivers directory must still load
    if target == STDOUT:  # --output -: the TOML alone, so that it can be piped
        return
    old = {k: driver_set[k].value for k in result["values"] if k in driver_set}
    document = {"meta": meta} | result | {"previous": old, "written": str(target) if target else None}

    def show() -> None:
        from cloudmodel.present.render import make_console, print_calibration

        make_console().print(f"origin [bold]{meta['origin']}[/] (the fits) · the calibrated values at the report's "
                             f"origin {meta['report_origin']} · data: {meta['history']}")
        print_calibration(result, driver_set, target)

    deliver(fmt, None if fmt == "table" else output, force, show, _calibration_frames(result, old), document,
            [d.file for d in driver_set.values()])


def _calibration_frames(result: dict[str, Any], old: dict[str, float]) -> dict[str, Any]:
    from cloudmodel.present.output import frame_of

    values = [{"driver": k, "file_value": old.get(k)} | {key: v.get(key) for key in ("value", "low", "high")}
              for k, v in result["values"].items()]
    base = result["baseline"]
    params = [{"fit": "baseline", "parameter": k, "estimate": v, "std_error": base["bse"].get(k)} for k, v in base["params"].items()]
    for name, fit in result["operating_leverage"].items():
        params += [{"fit": f"operating_leverage.{name}", "parameter": k, "estimate": v, "std_error": fit["bse"].get(k)}
                   for k, v in fit["params"].items()]
    ols = result["operating_leverage"]["revenue"]["residuals"]
    residuals = [{"quarter": q, "baseline": base["residuals"].get(q), "operating_leverage": v} for q, v in ols.items()]
    return {"calibrated": frame_of(values), "fits": frame_of(params), "residuals": frame_of(residuals)}


@verb(option("--actuals", metavar="FILE", help="CSV/Parquet of reported figures: period,line,value[,unit]. "
             "Without it, only the rolling-origin backtest over the shipped history."),
      option("--origin", metavar="QUARTER", help="The origin of the forecast held against the file (default: the "
             "shipped history's last quarter; the rolling backtest runs from every origin)."),
      option("--consensus", metavar="FILE", help="Sell-side consensus to score too (CSV: period,metric,value,kind,…; "
             "default: the press-reported consensus shipped in fixtures/)."),
      SCENARIO, *OUTPUTS, DRIVERS)
def backtest(actuals: str | None = None, origin: str | None = None, consensus: str | None = None, scenario: str = "base",
             fmt: str = "table", output: str | None = None, force: bool = False, units: str = "cn",
             drivers: str | None = None) -> None:
    """Hold the forecast made at an origin against reported actuals (errors, MAPE, bias, MASE), and the
    rolling-origin one-step backtest of the model from every origin against seasonal naive, the latest y/y
    growth, Holt–Winters, their combination and the press-reported consensus."""
    from cloudmodel.analyses.backtest import backtest as run_backtest
    from cloudmodel.analyses.backtest import load_consensus, rolling_backtest
    from cloudmodel.basis import check_known, parse_origin
    from cloudmodel.inputs.actuals import load_actuals
    from cloudmodel.inputs.history import load_history
    from cloudmodel.model import load_drivers, scenario_drivers
    from cloudmodel.present.output import frame_of

    check_format(fmt)
    check_units(units)
    start(fmt, units, output, force, [a for a in (actuals, consensus) if a])
    history = load_history()
    driver_set = scenario_drivers(load_drivers(drivers), scenario)
    origin_q = parse_origin(origin, history)
    check_known(origin_q, history, actuals)
    loaded = load_actuals(actuals, history.up_to(origin_q)) if actuals else None
    result = run_backtest(driver_set, history, loaded, origin_q) if loaded is not None else None
    rolling = rolling_backtest(driver_set, history, loaded.before(origin_q) if loaded is not None else None,
                               load_consensus(consensus))
    meta = {"origin": quarter_label_of(origin_q), "last_reported": quarter_label_of(history.last_quarter),
            "history": history.file, "actuals": actuals} | (result["meta"] if result else {})
    document = {"meta": meta, "rows": result["rows"] if result else [], "summary": result["summary"] if result else [],
                "rolling": rolling}

    def show() -> None:
        from cloudmodel.present.render import print_backtest

        print_backtest(result, rolling, meta)

    frames = {"rows": frame_of(result["rows"]) if result and result["rows"] else None,
              "summary": frame_of(result["summary"]) if result and result["summary"] else None,
              "rolling": frame_of(rolling["rows"]),
              "rolling_summary": frame_of([r | {"view": view} for view, items in rolling["summary"].items() for r in items])}
    deliver(fmt, output, force, show, frames, document, [a for a in (actuals, consensus) if a])


def quarter_label_of(q: int) -> str:
    from cloudmodel.inputs.periods import quarter_label

    return quarter_label(q)


@verb(option("--actuals", required=True, metavar="FILE",
             help="CSV/Parquet of what was reported since the origin: period,line,value[,unit,low,high]."),
      ORIGIN,
      option("--scenario", "-s", default="base", metavar="NAME", help="The prior: base or a scenario."),
      SET, HORIZON, *OUTPUTS, DRIVERS, name="update")
def update_cmd(actuals: str, origin: str | None = None, scenario: str = "base", set_: list[str] | None = None,
               horizon: str | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
               units: str = "cn", drivers: str | None = None) -> None:
    """The quarterly update: surprises, driver updates (prior → posterior, flagged outside the report's range),
    the revised years and target price, and a bridge from the origin's forecast that adds up. Deterministic."""
    from cloudmodel.analyses.update import update as run_update
    from cloudmodel.basis import parse_origin
    from cloudmodel.inputs.actuals import load_actuals
    from cloudmodel.inputs.history import load_history
    from cloudmodel.model import load_drivers, scenario_drivers
    from cloudmodel.present.output import frame_of

    check_format(fmt)
    check_units(units)
    history = load_history()
    driver_set = scenario_drivers(load_drivers(drivers), scenario, parse_sets(set_))
    origin_q = parse_origin(origin, history)
    start(fmt, units, output, force, [d.file for d in driver_set.values()] + [actuals])
    result = run_update(driver_set, history, load_actuals(actuals, history.up_to(origin_q)), origin_q, horizon)
    document = result.document()

    def show() -> None:
        from cloudmodel.present.render import print_update

        print_update(result)

    frames = {key: frame_of(document[key]) if document[key] else None for key in ("surprises", "drivers", "bridge", "revised")}
    deliver(fmt, output, force, show, frames, document, [actuals])


# ============================================================================ report

@verb(option("--output", "-o", required=True, metavar="FILE.html", help="The HTML file to write (one self-contained page)."),
      SCENARIO, SET, ACTUALS, ORIGIN, DRIVERS, FORCE, UNITS,
      option("--draws", kind=int, default=None, metavar="N", help="Draws of the note's simulation (default: the note's)."),
      option("--seed", kind=int, default=0, help="Seed of the simulation."))
def report(output: str, scenario: str = "base", set_: list[str] | None = None, actuals: str | None = None,
           origin: str | None = None, drivers: str | None = None, force: bool = False, units: str = "cn",
           draws: int | None = None, seed: int = 0) -> None:
    """The research note: one self-contained HTML page (headline figures, layers and margins, AI and MaaS,
    the group and the valuation, scenarios, tornado, fan chart, bridges, backtest, checks, targets and every
    driver with its quote). Writes only HTML, to --output."""
    from cloudmodel.present.note import DEFAULT_DRAWS, write_note
    from cloudmodel.present.output import check_output

    check_units(units)
    check_seed(seed)
    if draws is not None and not 1 <= draws <= MAX_NOTE_DRAWS:
        raise InputError.one("--draws", "", draws, f"the number of draws is a whole number from 1 to {MAX_NOTE_DRAWS:,}")
    check_output(output, "html", force, [actuals] if actuals else [])
    target = write_note(output, scenario, parse_sets(set_), actuals, drivers, force=force, origin=origin,
                        draws=draws or DEFAULT_DRAWS, seed=seed, units=units)
    from cloudmodel.present.output import STDOUT, notice

    if target != STDOUT:  # the note is written: a closed or broken stdout only loses this line (exit 0)
        notice(f"wrote {target}\n")


def _print(text: str) -> None:
    """--help and the command list: through output.to_stdout (a closed, full or broken stdout is exit 2)."""
    from cloudmodel.present.output import to_stdout

    to_stdout(text)


app.out = _print


def main() -> None:
    try:
        raise SystemExit(app.run(sys.argv[1:]))
    except KeyboardInterrupt:  # outside a command (while parsing): still no traceback
        _say("cloudmodel: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except InputError as exc:  # writing --help failed
        fail(str(exc))


if __name__ == "__main__":
    main()
