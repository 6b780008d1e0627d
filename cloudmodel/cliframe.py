"""The command line's frame: how a verb is declared, how its errors become exit codes, and how its
result reaches the terminal or a file. :mod:`cloudmodel.cli` declares the verbs with it; every
verb maps its options to one library call and one presenter.

Exit codes: 0 success; 1 a check failed and ``--strict`` was asked; 2 bad usage or bad input, with
one clear message on stderr and no traceback; 3 an internal error (a bug: a short message and how to
report it); 130/143 interrupted by Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

from cloudmodel.cliparse import option
from cloudmodel.errors import CheckFailed, CloudmodelError, InputError
from cloudmodel.present.formats import ALL_FORMATS, check_format, check_units

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


def verb_of(app: Any) -> Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """The ``@verb(...)`` decorator of ``app``: a command's options and arguments, declared once; its
    errors become exit codes."""
    return functools.partial(_verb, app)


def _verb(app: Any, *params: Any, name: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        from cloudmodel.cliparse import Option

        names = frozenset(n for p in params if isinstance(p, Option) for n in p.names) | {"--help"}
        wrapped = friendly(func, names)
        app.command(*params, name=name or func.__name__.removesuffix("_cmd"))(wrapped)
        return wrapped
    return register


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
            document: Any, inputs: Any = (), meta: dict[str, Any] | None = None) -> None:
    """A verb's result: ``show()`` prints the tables (to ``output`` with ``table``; after the header line
    of ``meta``, the origin and the data the run stands on), the rest goes through
    :func:`cloudmodel.present.output.emit_frames`. ``output`` ``-`` is stdout."""
    if fmt == "table" and meta is not None:
        tables = show

        def show() -> None:
            from cloudmodel.present.render import header, make_console

            make_console().print(header(meta))
            tables()
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




def plot_checked(plot: str | None, output: str | None, force: bool) -> Any:
    """The ``--plot`` target, refused before any work when it is the ``--output`` file, an input, not a
    PNG, or stdout together with the tables; None without ``--plot``."""
    if not plot:
        return None
    if output and os.path.abspath(plot) == os.path.abspath(output):
        raise InputError.one("--plot", "", plot, "is also the --output file; give two different files")
    if plot == "-" and (not output or output == "-"):
        raise InputError.one("--plot", "", plot, "would put the PNG on stdout together with the tables",
                             "give --output FILE for the tables, or a file name for --plot")
    from cloudmodel.present.output import check_output

    return check_output(plot, "png", force, option="--plot")


def print_text(text: str) -> None:
    """--help and the command list: through output.to_stdout (a closed, full or broken stdout is exit 2)."""
    from cloudmodel.present.output import to_stdout

    to_stdout(text)


def run(app: Any) -> None:
    """The entry point: parse, run the verb, exit with its code."""
    try:
        raise SystemExit(app.run(sys.argv[1:]))
    except KeyboardInterrupt:  # outside a command (while parsing): still no traceback
        _say("cloudmodel: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except InputError as exc:  # writing --help failed
        fail(str(exc))


# ============================================================================ the options many verbs share

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


def plot_option(what: str) -> Any:
    return option("--plot", metavar="FILE", help=f"Draw {what} (PNG).")


def basis_of(drivers: str | None = None, actuals: str | None = None, origin: str | None = None) -> Any:
    """What the verb stands on (:func:`cloudmodel.basis.prepare`)."""
    from cloudmodel.basis import prepare

    return prepare(drivers_dir=drivers, actuals=actuals, origin=origin)


def scenario_on(basis: Any, scenario: str, set_: list[str] | None) -> Any:
    """The scenario's drivers, with --set on top, on the basis (:func:`cloudmodel.model.scenario_on`)."""
    from cloudmodel.inputs.drivers import parse_sets
    from cloudmodel.model import scenario_on as on

    return on(basis, scenario, parse_sets(set_))


def frames_of(tables: dict[str, Any]) -> dict[str, Any]:
    """Records as polars frames for the machine formats (an empty table as none)."""
    from cloudmodel.present.output import frame_of

    return {name: frame_of(rows) if rows else None for name, rows in tables.items()}


def emit_forecast(fc: Any, fmt: str, output: str | None, force: bool, inputs: Any) -> None:
    """A forecast in a machine format: the live workbook for ``xlsx`` (a file only), else its table with
    its meta and the report-target comparison."""
    from cloudmodel.present.output import check_output, emit

    inputs = list(inputs)
    if fmt == "xlsx":
        from cloudmodel.errors import InputError

        if not output:
            raise InputError.one("--format", "xlsx", "xlsx", "xlsx is binary: pass --output FILE")
        from cloudmodel.present.workbook import save

        save(fc, check_output(output, fmt, force, inputs), force)
        return
    check_output(output, fmt, force, inputs)
    emit(fmt, fc.table, None, output, force, inputs, meta=fc.meta | {"targets": fc.targets.to_dicts()})
