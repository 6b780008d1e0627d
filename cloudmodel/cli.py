"""The command line: each verb maps its options to one library call and one presenter.

Each command and its options are declared once, here, with :mod:`cloudmodel.cliparse` (a small
declarative layer over :mod:`argparse`); the parser and ``--help`` come from that one declaration.
How errors become exit codes and results reach a file is :mod:`cloudmodel.cliframe`; the checks of
an option live with the input they check. Everything heavy (polars, the model, rich, matplotlib,
statsmodels) is imported inside the command that needs it, so ``forecast --format json`` starts fast.
"""

from __future__ import annotations

from cloudmodel.cliframe import (
    ACTUALS,
    DRIVERS,
    FORCE,
    FORMAT,
    HORIZON,
    ORIGIN,
    OUTPUTS,
    SCENARIO,
    SET,
    UNITS,
    basis_of,
    deliver,
    emit_forecast,
    frames_of,
    plot_checked,
    plot_option,
    print_text,
    scenario_on,
    start,
    verb_of,
)
from cloudmodel.cliparse import App, argument, option
from cloudmodel.errors import InputError
from cloudmodel.present.formats import check_choice, check_format, check_units

app = App("cloudmodel", "cloudmodel: Alibaba Cloud, layer by layer, from the report's drivers to the target price.")
app.out = print_text
verb = verb_of(app)

# ============================================================================ forecast, drivers, trace

@verb(SCENARIO, SET, *OUTPUTS,
      option("--period", default="year", help="year (fiscal), quarter or calendar (tables only)."),
      DRIVERS, HORIZON,
      option("--strict", kind=bool, help="Exit 1 if a check fails, or (in the report's own view) a report target is off."),
      option("--actuals", metavar="FILE", help="Roll forward: a CSV/Parquet of reported quarters (period,line,value)."),
      ORIGIN, plot_option("the revenue mix by layer and the margins"))
def forecast(scenario: str = "base", set_: list[str] | None = None, fmt: str = "table", output: str | None = None,
             force: bool = False, units: str = "cn", period: str = "year", drivers: str | None = None,
             horizon: str | None = None, strict: bool = False, actuals: str | None = None, origin: str | None = None,
             plot: str | None = None) -> None:
    """Today's view of Alibaba Cloud, layer by layer, the group around it and the target price: the report's
    drivers updated on every quarter reported since (--origin report: the report's own view).

    --format xlsx writes the live workbook: drivers as inputs, calculation sheets of Excel formulas, outputs, checks and targets."""
    from cloudmodel.inputs.drivers import parse_sets
    from cloudmodel.model import check_strict
    from cloudmodel.model import forecast as run_forecast

    start(fmt, units, output, force, [actuals] if actuals else [])
    check_choice("--period", period, ("year", "quarter", "calendar"))
    plot_checked(plot, output, force)
    fc = run_forecast(scenario=scenario, overrides=parse_sets(set_), drivers_dir=drivers, horizon=horizon,
                      actuals=actuals, origin=origin)
    inputs = [d.file for d in fc.drivers.values()] + ([actuals] if actuals else [])
    if plot:
        from cloudmodel.present.charts import forecast_chart

        forecast_chart(fc, plot_checked(plot, output, force), force)
    if fmt == "table":
        from cloudmodel.present.render import print_forecast

        deliver(fmt, output, force, lambda: print_forecast(fc, period), {}, None, inputs)
    else:
        emit_forecast(fc, fmt, output, force, inputs)
    if strict:
        check_strict(fc)


@verb(*OUTPUTS, option("--kind", many=True, metavar="KIND",
                       help="Only these kinds: report, outside, derived, assumption, calibrated, estimated."),
      DRIVERS, ORIGIN, ACTUALS, name="drivers")
def drivers_cmd(fmt: str = "table", output: str | None = None, force: bool = False, units: str = "cn",
                kind: list[str] | None = None, drivers: str | None = None, origin: str | None = None,
                actuals: str | None = None) -> None:
    """Every driver: id, value in its unit (updated on what was reported by the origin), the file's value,
    range, period, kind and source; the residual states' gains estimated at the origin among them."""
    from cloudmodel.analyses.lookup import drivers_list
    from cloudmodel.present.render import print_drivers

    start(fmt, units, output, force, [actuals] if actuals else [])
    basis = basis_of(drivers, actuals, origin)
    result = drivers_list(basis, kind)
    deliver(fmt, output, force, lambda: print_drivers(result["records"], basis.describe()),
            frames_of({"drivers": result["records"]}), result["document"], basis.inputs())


@verb(argument("line", "An output line, e.g. cloud.revenue.maas, or LINE@PERIOD for one period.", metavar="LINE"),
      DRIVERS, ORIGIN, ACTUALS, *OUTPUTS)
def trace(line: str, drivers: str | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
          units: str = "cn", origin: str | None = None, actuals: str | None = None) -> None:
    """Which drivers make a line (at one period with LINE@PERIOD), with their values and sources."""
    from cloudmodel.analyses.lookup import trace as run_trace
    from cloudmodel.present.render import drivers_table

    start(fmt, units, output, force, [actuals] if actuals else [])
    basis = basis_of(drivers, actuals, origin)
    result = run_trace(basis, line)
    deliver(fmt, output, force, lambda: drivers_table(result["records"], title=result["title"]),
            frames_of({"drivers": result["records"]}), result["document"], basis.inputs(), meta=basis.describe())


# ============================================================================ scenarios, sensitivity, solve, explain

@verb(argument("names", "Scenarios to compare (default: bear base bull).", many=True, metavar="NAMES"),
      *OUTPUTS, DRIVERS, ACTUALS, ORIGIN, plot_option("the scenarios' key lines side by side"))
def scenarios(names: list[str] | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
              units: str = "cn", drivers: str | None = None, actuals: str | None = None, origin: str | None = None,
              plot: str | None = None) -> None:
    """Scenarios side by side for the key lines, from the origin's last year to the default horizon."""
    from cloudmodel.analyses.whatif import scenario_table
    from cloudmodel.present.render import print_scenarios

    start(fmt, units, output, force, [actuals] if actuals else [])
    target = plot_checked(plot, output, force)
    result = scenario_table(basis_of(drivers, actuals, origin), names)
    if target is not None:
        from cloudmodel.present.charts import scenarios_chart

        scenarios_chart(result["frame"], result["names"], target, force)
    deliver(fmt, output, force, lambda: print_scenarios(result["frame"], result["names"], result["years"]),
            {"scenarios": result["frame"]}, result["document"], meta=result["document"]["meta"])


@verb(option("--line", metavar="LINE", help="Output line (default: cloud.revenue and the target price)."),
      option("--period", metavar="PERIOD", help="Period of the output (default: the year the valuation is set on)."),
      option("--grid", dest="grid_", metavar="A,B", help="Two ranged drivers, A,B: a two-way data table."),
      option("--all", dest="include_all", kind=bool, help="Also move drivers without a range (±10%, ratios ±1 pp)."),
      SCENARIO, SET, *OUTPUTS, DRIVERS, ACTUALS, ORIGIN, plot_option("the tornado"))
def sensitivity(line: str | None = None, period: str | None = None, grid_: str | None = None, include_all: bool = False,
                scenario: str = "base", set_: list[str] | None = None, fmt: str = "table", output: str | None = None,
                force: bool = False, units: str = "cn", drivers: str | None = None, actuals: str | None = None,
                origin: str | None = None, plot: str | None = None) -> None:
    """A tornado of each ranged driver's effect on an output, or a two-way grid."""
    from cloudmodel.analyses.whatif import sensitivity as run_sensitivity
    from cloudmodel.present.render import print_grid, print_tornado

    basis = basis_of(drivers, actuals, origin)
    driver_set = scenario_on(basis, scenario, set_)
    start(fmt, units, output, force)
    target = plot_checked(plot, output, force)
    if grid_ and plot:
        raise InputError.one("--plot", "", plot, "the tornado is drawn without --grid; drop one of them")
    r = run_sensitivity(basis, driver_set, line, period, grid_, include_all, scenario)
    if r["kind"] == "grid":
        show = lambda: print_grid(r["frame"], *r["parts"], r["line"], r["period"], driver_set)  # noqa: E731
    else:
        show = lambda: print_tornado(r["frame"], r["outputs"])  # noqa: E731
    if target is not None:
        from cloudmodel.present.charts import tornado_chart

        tornado_chart(r["frame"], r["outputs"], target, force)
    deliver(fmt, output, force, show, {r["kind"]: r["frame"]}, r["document"], meta=basis.describe())


@verb(option("--target", required=True, metavar="LINE@PERIOD=VALUE",
             help="LINE@PERIOD=VALUE, e.g. cloud.revenue_growth@FY2027=40%."),
      option("--vary", required=True, metavar="ID", help="The driver to solve for."),
      SCENARIO, SET, *OUTPUTS, DRIVERS, ACTUALS, ORIGIN)
def solve(target: str, vary: str, scenario: str = "base", set_: list[str] | None = None, fmt: str = "table",
          output: str | None = None, force: bool = False, units: str = "cn", drivers: str | None = None,
          actuals: str | None = None, origin: str | None = None) -> None:
    """Reverse-solve one driver so that an output meets a target."""
    from cloudmodel.analyses.whatif import parse_condition, solve_target
    from cloudmodel.present.render import print_solve

    start(fmt, units, output, force, [actuals] if actuals else [])
    parse_condition(target, "--target")  # a bad target is refused before the update is made
    basis = basis_of(drivers, actuals, origin)
    result = solve_target(basis, scenario_on(basis, scenario, set_), target, vary)
    row = {"driver": vary, "target": target} | {k: v for k, v in result.items() if k != "meta"}
    deliver(fmt, output, force, lambda: print_solve(result, vary, target), frames_of({"solve": [row]}), result,
            meta=result["meta"])


@verb(argument("line", "The output line to explain.", metavar="LINE"),
      option("--period", metavar="PERIOD", help="The period of the line (default: the year the valuation is set on)."),
      option("--from", dest="from_", metavar="PERIOD", help="Bridge from this period of the same scenario (by component)."),
      option("--vs-scenario", metavar="NAME", help="Bridge from base to this scenario (by driver, Shapley)."),
      SET, *OUTPUTS, plot_option("the waterfall"), DRIVERS, ACTUALS, ORIGIN)
def explain(line: str, period: str | None = None, from_: str | None = None, vs_scenario: str | None = None,
            set_: list[str] | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
            units: str = "cn", plot: str | None = None, drivers: str | None = None, actuals: str | None = None,
            origin: str | None = None) -> None:
    """Why a line moved: a bridge whose contributions add up to the total change."""
    from cloudmodel.analyses.whatif import check_line
    from cloudmodel.analyses.whatif import explain as run_explain
    from cloudmodel.present.render import print_bridge

    check_format(fmt)
    basis = basis_of(drivers, actuals, origin)
    check_line(line, "explain")
    if (from_ is None) == (vs_scenario is None and not set_):
        raise InputError.one("explain", "", None, "give exactly one of --from PERIOD or --vs-scenario NAME (or --set ID=VALUE)")
    other = None if from_ is not None else scenario_on(basis, vs_scenario or "base", set_)
    start(fmt, units, output, force, basis.inputs())
    target = plot_checked(plot, output, force)
    label = (vs_scenario or "base") + (f" with {', '.join(set_)}" if set_ else "")
    r = run_explain(basis, line, period, from_, other, label)
    if target is not None:
        from cloudmodel.present.charts import waterfall

        waterfall(r["bridge"], r["label"], target, force)
    deliver(fmt, output, force, lambda: print_bridge(r["bridge"], r["label"]), frames_of({"bridge": r["bridge"]["rows"]}),
            r["document"], [actuals] if actuals else [], meta=basis.describe())


@verb(argument("a", "A saved run: forecast --format json --output A.json", metavar="A"),
      argument("b", "Another saved run.", metavar="B"), *OUTPUTS)
def diff(a: str, b: str, fmt: str = "table", output: str | None = None, force: bool = False, units: str = "cn") -> None:
    """Which drivers differ between two saved forecast runs, and how the key outputs moved."""
    from cloudmodel.analyses.whatif import diff_runs
    from cloudmodel.inputs.saved import load_saved_run
    from cloudmodel.present.render import print_diff

    start(fmt, units, output, force, [a, b])
    result = diff_runs(*(load_saved_run(name) for name in (a, b)))
    frames = frames_of({"drivers": result["drivers"], "outputs": result["outputs"]})
    if all(f is None for f in frames.values()):
        from cloudmodel.present.output import frame_of

        frames = {"outputs": frame_of([{"line": None, "period": None, "a": None, "b": None, "change": None}]).clear()}
    deliver(fmt, output, force, lambda: print_diff(result), frames, result, [a, b])


# ============================================================================ simulate

@verb(option("--draws", "-n", kind=int, default=100_000, metavar="N", help="Number of draws (1 to 50,000,000)."),
      option("--seed", kind=int, default=0, help="Random seed; the same seed gives the same output."),
      option("--prob", many=True, metavar="CONDITION", help="A probability to estimate: LINE@PERIOD>VALUE (or <, >=, <=)."),
      option("--correlate", many=True, metavar="A,B=RHO", help="Rank correlation between drawn drivers: A,B=0.5."),
      option("--only", many=True, metavar="ID", help="Draw only these drivers (others at base)."),
      SCENARIO, SET, HORIZON, option("--precision", default="float32", help="float32 (fast) or float64."),
      FORMAT, option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout; parquet writes "
                     "every draw (line, period, draw, value), the other formats the percentiles."),
      FORCE, UNITS, plot_option("a fan chart of cloud revenue with its history and a histogram of the target price"),
      DRIVERS, option("--actuals", metavar="FILE", help="Reported since the origin (CSV/Parquet): the draws stand on the "
                      "update made on them."),
      ORIGIN, option("--period", default="year", help="year (fiscal years) or quarter (every quarter after the last reported one)."))
def simulate(draws: int = 100_000, seed: int = 0, prob: list[str] | None = None, correlate: list[str] | None = None,
             only: list[str] | None = None, scenario: str = "base", set_: list[str] | None = None,
             horizon: str | None = None, precision: str = "float32", fmt: str = "table", output: str | None = None,
             force: bool = False, units: str = "cn", plot: str | None = None, drivers: str | None = None,
             actuals: str | None = None, origin: str | None = None, period: str = "year") -> None:
    """Monte Carlo over the report's ranges: percentiles, probabilities and what drives the spread."""
    from cloudmodel.analyses.simulate import simulate_on
    from cloudmodel.present.render import print_simulation

    check_format(fmt)
    check_units(units)
    check_choice("--period", period, ("year", "quarter"))
    if plot and period == "quarter":
        raise InputError.one("--plot", "", plot, "the fan chart is by fiscal year; drop --period quarter to draw it")
    basis = basis_of(drivers, actuals, origin)
    driver_set = scenario_on(basis, scenario, set_)
    target = plot_checked(plot, output, force)
    start(fmt, units, output, force, basis.inputs())
    result, meta = simulate_on(basis, driver_set, scenario, draws=draws, seed=seed, prob=prob,
                                           correlate=correlate, only=only, horizon=horizon, precision=precision,
                                           period=period, keep_draws=fmt == "parquet")
    if target is not None:
        from cloudmodel.present.charts import fan_and_histogram

        fan_and_histogram(result, target, force, history=basis.history, drivers=driver_set)
    if fmt in ("parquet", "json", "csv"):
        from cloudmodel.present.output import emit

        emit(fmt, result.draws_frame if fmt == "parquet" else result.stats, None, output, force,
             meta=None if fmt == "parquet" else meta)
        return
    frames = {"stats": result.stats, "variance_shares": result.attribution} | frames_of({"probabilities": result.probabilities})
    deliver(fmt, output, force, lambda: print_simulation(result, period), frames, None, meta=basis.describe())


# ============================================================================ calibrate, backtest, update, report

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
    from cloudmodel.analyses.calibrate import calibrate_at
    from cloudmodel.present.output import STDOUT, check_output, require_stdout, save_calibrated
    from cloudmodel.present.render import print_calibration

    check_format(fmt)
    check_units(units)
    if fmt == "table" or not output:
        require_stdout()
    c = calibrate_at(drivers, origin)
    files = [d.file for d in c["drivers"].values()]
    if output and not write:
        check_output(output, "toml" if fmt == "table" else fmt, force, files)
    written = save_calibrated(c["text"], c["drivers"], write, output if fmt == "table" else None, force, files)
    if written == STDOUT:  # --output -: the TOML alone, so that it can be piped
        return
    document = {"meta": c["meta"]} | c["result"] | {"previous": c["previous"], "written": str(written) if written else None}
    deliver(fmt, None if fmt == "table" else output, force, lambda: print_calibration(c["result"], c["drivers"], written, c["meta"]),
            frames_of(c["tables"]), document, files)


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
    from cloudmodel.analyses.backtest import backtest_run
    from cloudmodel.present.render import print_backtest

    files = [a for a in (actuals, consensus) if a]
    start(fmt, units, output, force, files)
    r = backtest_run(drivers, actuals, origin, consensus, scenario)
    deliver(fmt, output, force, lambda: print_backtest(r["result"], r["rolling"], r["meta"]), frames_of(r["tables"]),
            r["document"], files, meta=r["meta"])


@verb(option("--actuals", required=True, metavar="FILE",
             help="CSV/Parquet of what was reported since the origin: period,line,value[,unit,low,high]."),
      ORIGIN, option("--scenario", "-s", default="base", metavar="NAME", help="The prior: base or a scenario."),
      SET, HORIZON, *OUTPUTS, DRIVERS, name="update")
def update_cmd(actuals: str, origin: str | None = None, scenario: str = "base", set_: list[str] | None = None,
               horizon: str | None = None, fmt: str = "table", output: str | None = None, force: bool = False,
               units: str = "cn", drivers: str | None = None) -> None:
    """The quarterly update: surprises, driver updates (prior → posterior, flagged outside the report's range),
    the revised years and target price, and a bridge from the origin's forecast that adds up. Deterministic."""
    from cloudmodel.analyses.update import update_run
    from cloudmodel.inputs.drivers import parse_sets
    from cloudmodel.present.render import print_update

    check_format(fmt)
    check_units(units)
    start(fmt, units, output, force, [actuals])
    result = update_run(drivers, actuals, origin, scenario, parse_sets(set_), horizon)
    document = result.document()
    deliver(fmt, output, force, lambda: print_update(result),
            frames_of({key: document[key] for key in ("surprises", "drivers", "bridge", "revised")}), document, [actuals],
            meta=document["meta"])


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
    from cloudmodel.analyses import note_data
    from cloudmodel.analyses.sampling import check_seed
    from cloudmodel.inputs.drivers import parse_sets
    from cloudmodel.present.output import STDOUT, check_output, notice

    check_units(units)
    check_seed(seed)
    note_data.check_draws(draws)
    check_output(output, "html", force, [actuals] if actuals else [])
    target = note_data.write_note(output, scenario, parse_sets(set_), actuals, drivers, force=force, origin=origin,
                                  draws=draws or note_data.DEFAULT_DRAWS, seed=seed, units=units)
    if target != STDOUT:  # the note is written: a closed or broken stdout only loses this line (exit 0)
        notice(f"wrote {target}\n")


def main() -> None:
    from cloudmodel.cliframe import run

    run(app)


if __name__ == "__main__":
    main()
