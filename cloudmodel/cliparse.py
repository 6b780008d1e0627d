"""A small declarative layer over :mod:`argparse`: each command and its options declared once.

A command is a function decorated with :meth:`App.command`, given its options and arguments
as specs (:func:`option`, :func:`argument`). From those specs come the argparse parser, the
``--help`` text and the call: the function receives one keyword per spec. Nothing here
imports more than the standard library, so ``python -m cloudmodel VERB`` starts in the time
Python takes to import what the verb itself needs (issue 10: typer cost ~150 ms at start-up).

Usage errors (an unknown option, a missing value, ``--draws abc``) raise :class:`UsageError`;
:meth:`App.run` writes them as one line, ``cloudmodel: error: …``, and returns exit code 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

EXIT_USAGE = 2
HELP_FLAGS = ("--help", "-h")


#: Most words a command line may have. argparse's time grows with the square of the number of
#: options, so a generated command line of a hundred thousand ``--set``s would take minutes; 5,000
#: words is ten times any real use, and parsing them takes well under a second.
MAX_WORDS = 5_000


class UsageError(Exception):
    """Bad usage of the command line (exit 2)."""


@dataclass(frozen=True)
class Option:
    """``--name`` (and short aliases): a value (``kind`` str or int), a flag (``kind`` bool),
    or a repeatable value (``many``)."""

    names: tuple[str, ...]
    dest: str
    help: str = ""
    default: Any = None
    kind: type = str
    many: bool = False
    required: bool = False
    metavar: str = ""

    def signature(self) -> str:
        if self.kind is bool:
            return ", ".join(self.names)
        meta = self.metavar or ("INTEGER" if self.kind is int else "TEXT")
        return ", ".join(self.names) + " " + meta

    def help_text(self) -> str:
        text = self.help
        if self.required:
            text += " [required]"
        elif self.many:
            text += " (repeatable)"
        elif self.kind is not bool and self.default is not None:
            text += f" [default: {self.default}]"
        return text.strip()


@dataclass(frozen=True)
class Argument:
    """A positional argument: one value, or any number (``many``), optional or required."""

    dest: str
    help: str = ""
    many: bool = False
    required: bool = True
    metavar: str = ""

    def signature(self) -> str:
        name = self.metavar or self.dest.upper()
        return f"[{name}]..." if self.many else (name if self.required else f"[{name}]")


def option(*names: str, dest: str = "", help: str = "", default: Any = None, kind: type = str, many: bool = False,
           required: bool = False, metavar: str = "") -> Option:
    """An option spec; ``dest`` defaults to the first long name (``--vs-scenario`` → ``vs_scenario``)."""
    return Option(tuple(names), dest or names[0].lstrip("-").replace("-", "_"), help,
                  False if kind is bool and default is None else default, kind, many, required, metavar)


def argument(dest: str, help: str = "", many: bool = False, required: bool = True, metavar: str = "") -> Argument:
    return Argument(dest, help, many, required and not many, metavar)


def _whole_number(option_name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message.replace("argument ", "", 1) if message.startswith("argument ") else message)


@dataclass
class Command:
    name: str
    func: Callable[..., Any]
    params: tuple[Option | Argument, ...]
    doc: str = ""
    formats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        return _cleandoc(self.doc).split("\n\n")[0]

    def options(self) -> list[Option]:
        return [p for p in self.params if isinstance(p, Option)]

    def arguments(self) -> list[Argument]:
        return [p for p in self.params if isinstance(p, Argument)]

    def parser(self, prog: str) -> argparse.ArgumentParser:
        p = _Parser(prog=f"{prog} {self.name}", add_help=False, allow_abbrev=False)
        for spec in self.params:
            if isinstance(spec, Argument):
                nargs = "*" if spec.many else (None if spec.required else "?")
                p.add_argument(spec.dest, nargs=nargs, metavar=spec.metavar or spec.dest.upper(),
                               default=None if spec.many else None)
            elif spec.kind is bool:
                p.add_argument(*spec.names, dest=spec.dest, action="store_true", default=spec.default)
            else:
                p.add_argument(*spec.names, dest=spec.dest, action="append" if spec.many else "store",
                               default=spec.default, required=spec.required,
                               type=_whole_number(spec.names[0]) if spec.kind is int else None)
        return p

    def parse(self, prog: str, argv: Sequence[str]) -> dict[str, Any]:
        return vars(self.parser(prog).parse_args(list(argv)))

    def help(self, prog: str, width: int) -> str:
        import textwrap

        args = " ".join(a.signature() for a in self.arguments())
        out = [f"Usage: {prog} {self.name} [OPTIONS]{' ' + args if args else ''}", ""]
        pars = [textwrap.fill(par, width, initial_indent="  ", subsequent_indent="  ") for par in _cleandoc(self.doc).split("\n\n")]
        out += "\n\n".join(pars).split("\n")
        rows = [(a.signature(), a.help) for a in self.arguments()]
        if rows:
            out += ["", "Arguments:", *_two_columns(rows, width)]
        rows = [(o.signature(), o.help_text()) for o in self.options()] + [("--help, -h", "Show this message and exit.")]
        out += ["", "Options:", *_two_columns(rows, width)]
        return "\n".join(out) + "\n"


def _cleandoc(doc: str) -> str:
    """A docstring without its indentation (the first line has none), paragraphs joined into lines."""
    import textwrap

    first, _, rest = doc.strip("\n").partition("\n")
    text = (first.strip() + "\n" + textwrap.dedent(rest)).strip()
    return "\n\n".join(" ".join(par.split()) for par in text.split("\n\n"))


def _two_columns(rows: list[tuple[str, str]], width: int) -> list[str]:
    import textwrap

    left = min(max(len(a) for a, _ in rows) + 4, 34)
    lines = []
    for name, text in rows:
        wrapped = textwrap.wrap(text, max(width - left, 20)) or [""]
        if len(name) + 4 > left:
            lines.append(f"  {name}")
            lines += [" " * left + w for w in wrapped]
        else:
            lines.append(f"  {name}".ljust(left) + wrapped[0])
            lines += [" " * left + w for w in wrapped[1:]]
    return lines


class App:
    """The commands of a program, each declared once."""

    def __init__(self, prog: str, help: str) -> None:
        self.prog, self.doc = prog, help
        self.commands: dict[str, Command] = {}
        self.out: Callable[[str], Any] = lambda text: sys.stdout.write(text)  # --help goes here

    def command(self, *params: Option | Argument, name: str = "", formats: tuple[str, ...] = ()) -> Callable:
        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            verb = name or func.__name__.removesuffix("_cmd")
            self.commands[verb] = Command(verb, func, params, func.__doc__ or "", formats)
            return func
        return register

    @staticmethod
    def width() -> int:
        return max(min(shutil.get_terminal_size((80, 24)).columns, 120), 40)

    def help(self) -> str:
        import textwrap

        width = self.width()
        out = [f"Usage: {self.prog} COMMAND [OPTIONS] [ARGS]...", "",
               textwrap.fill(self.doc, width, initial_indent="  ", subsequent_indent="  "), "",
               f"  {self.prog} COMMAND --help shows a command's options.", "", "Commands:"]
        out += _two_columns([(c.name, c.summary) for c in self.commands.values()], width)
        return "\n".join(out) + "\n"

    def run(self, argv: Sequence[str]) -> int:
        """Parse ``argv`` (without the program name), call the command; return the exit code."""
        argv = list(argv)
        if not argv or argv[0] in HELP_FLAGS:
            self.out(self.help())
            return 0
        if len(argv) > MAX_WORDS:
            return self.usage_error(f"the command line has {len(argv):,} words; at most {MAX_WORDS:,} are read "
                                    "(put many overrides in a scenario file instead)")
        verb, rest = argv[0], argv[1:]
        command = self.commands.get(verb)
        if command is None:
            import difflib

            close = difflib.get_close_matches(verb, list(self.commands), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; commands are {', '.join(self.commands)}"
            return self.usage_error(f"no such command {verb!r}{hint}")
        words = rest[:rest.index("--")] if "--" in rest else rest
        if any(w in HELP_FLAGS for w in words):
            self.out(command.help(self.prog, self.width()))
            return 0
        try:
            kwargs = command.parse(self.prog, rest)
        except UsageError as exc:
            return self.usage_error(f"{exc}; see {self.prog} {verb} --help")
        command.func(**kwargs)
        return 0

    def usage_error(self, message: str) -> int:
        from cloudmodel.errors import clean_text

        sys.stderr.write(f"{self.prog}: error: {clean_text(message)}\n")
        return EXIT_USAGE


def terminal_columns() -> int:
    """The terminal's width (``COLUMNS`` wins), for tables."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        return shutil.get_terminal_size((80, 24)).columns


__all__ = ["App", "Argument", "Command", "Option", "UsageError", "argument", "option"]
