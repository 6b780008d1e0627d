"""The lean front end for ``forecast`` with a machine format (json, csv, parquet, xlsx).

Scripts and pipelines call ``python -m cloudmodel forecast --format json`` many times; the
typer front end costs more to start than the whole model run (it builds a pydantic adapter
per option), so this one path is parsed with :mod:`argparse`. It accepts exactly the options
of the typer ``forecast`` command (a test keeps the two in step) and calls the same library
function and the same writer. Anything else — tables, ``--help``, other verbs — goes to typer.
"""

from __future__ import annotations

import argparse

MACHINE_FORMATS = ("csv", "json", "parquet", "xlsx")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cloudmodel forecast", add_help=False)
    p.add_argument("--scenario", "-s", default="base")
    p.add_argument("--set", dest="set_", action="append", default=None)
    p.add_argument("--format", "-f", dest="fmt", default="table")
    p.add_argument("--output", "-o", default=None)
    p.add_argument("--force", action="store_true")
    p.add_argument("--period", default="year")
    p.add_argument("--drivers", default=None)
    p.add_argument("--horizon", default="FY2028Q4")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--actuals", default=None)
    p.add_argument("--origin", default=None)
    return p


def wants_fast_path(argv: list[str]) -> bool:
    """``forecast`` asking for a machine format, without --help."""
    if not argv or argv[0] != "forecast" or any(a in ("--help", "-h") for a in argv):
        return False
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--format=") else (
            argv[i + 1] if arg in ("--format", "-f") and i + 1 < len(argv) else None)
        if value is not None:
            return value in MACHINE_FORMATS
    return False


def run(argv: list[str]) -> int:
    """Parse ``forecast …`` and run the typer command's own function; return the exit code."""
    import typer

    from .cli import fail, forecast

    try:
        args, extra = parser().parse_known_args(argv[1:])
        if extra:
            fail(f"unexpected argument {extra[0]!r}; see cloudmodel forecast --help")
        forecast(**vars(args))
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # argparse's own usage errors (exit 2)
        return exc.code if isinstance(exc.code, int) else 2
    return 0
