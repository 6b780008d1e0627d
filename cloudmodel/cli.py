"""The command line: each verb parses its options, calls one library function, prints.

Exit codes: 0 success; 1 a check failed and ``--strict`` was asked; 2 bad usage or bad
input, with one clear message on stderr and no traceback.
"""

from __future__ import annotations

import functools
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


def fail(message: str, code: int = 2) -> None:
    sys.stderr.write(f"cloudmodel: error: {message}\n")
    raise typer.Exit(code)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's errors into one clear message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            lines = [str(p) for p in exc.problems]
            head = f"{len(lines)} problems:\n  " if len(lines) > 1 else ""
            fail(head + "\n  ".join(lines))
        except CheckFailed as exc:
            fail(str(exc), code=1)
        except CloudmodelError as exc:
            fail(str(exc))
        except BrokenPipeError:
            sys.stderr.close()

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
) -> None:
    """The report's view of Alibaba Cloud, layer by layer, the group around it and the target price."""
    from .model import forecast as run_forecast
    from .output import FORMATS, emit

    check_format(fmt, FORMATS)
    if period not in ("year", "quarter", "calendar"):
        raise InputError.one("--period", "", period, "choose year, quarter or calendar")
    fc = run_forecast(scenario=scenario, overrides=parse_sets(set_), drivers_dir=drivers, horizon=horizon)
    if fmt == "table":
        from .render import print_forecast

        print_forecast(fc, period)
    else:
        inputs = [d.file for d in fc.drivers.values()]
        emit(fmt, fc.table, None, output, force, inputs, meta=fc.meta | {"targets": fc.targets.to_dicts()})
    if strict and not fc.ok:
        bad = fc.checks.filter(~fc.checks["ok"])
        raise CheckFailed(f"{bad.height} check rows failed, e.g. {bad['line'][0]} at {bad['period'][0]}")


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
    line: Annotated[str, typer.Argument(help="An output line, e.g. cloud.revenue.maas.")],
    drivers: DriversOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Which drivers make a line, with their values and sources."""
    from .lineage import drivers_of
    from .model import load_drivers
    from .result import LINES

    if line not in LINES:
        from .errors import did_you_mean

        raise InputError.one("trace", "LINE", line, "unknown output line", did_you_mean(line, LINES))
    driver_set = load_drivers(drivers)
    records = [driver_set[i].record() | {"short_source": driver_set[i].short_source()} for i in drivers_of(line)]
    if fmt == "json":
        from .output import to_json

        sys.stdout.write(to_json({"line": line, "drivers": records}) + "\n")
        return
    from .render import drivers_table

    drivers_table(records)


def main() -> None:
    from .fastcli import run, wants_fast_path

    if wants_fast_path(sys.argv[1:]):
        raise SystemExit(run(sys.argv[1:]))
    app()


if __name__ == "__main__":
    main()
