"""Errors the user can act on.

Every problem with input is an :class:`InputProblem` naming the file, the key path,
the offending value, the rule it breaks and, where one exists, a hint. Loaders collect
all problems before raising one :class:`InputError`, so the user sees them together.
The CLI prints them and exits 2; nothing else in the library prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: A value longer than this is cut in messages: enough to recognise it, never a whole file's
#: content echoed back (a value can be anything a hostile file holds).
VALUE_SHOWN_CHARS = 120
# C0 and C1 control characters (but newline and tab) and the bidirectional overrides that can
# make text on a terminal look other than it is.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """``text`` with control characters and terminal escapes written as ``\\xNN`` / ``\\uNNNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def shown(value: object) -> str:
    """``repr(value)``, cut to :data:`VALUE_SHOWN_CHARS`."""
    text = repr(value)
    return text if len(text) <= VALUE_SHOWN_CHARS else text[: VALUE_SHOWN_CHARS - 1] + "…"


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with one input: where, what, which rule, and a hint."""

    file: str
    key: str
    value: object
    rule: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file + (f": {self.key}" if self.key else "")
        value = "" if self.value is None else f" = {shown(self.value)}"
        text = f"{where}{value}: {self.rule}"
        return clean_text(text + (f" ({self.hint})" if self.hint else ""))


class CloudmodelError(Exception):
    """Base class of the errors this package raises on purpose."""


class InputError(CloudmodelError):
    """Bad input: a driver file, an override, an actuals file, a command-line value."""

    def __init__(self, problems: Iterable[InputProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, file: str, key: str, value: object, rule: str, hint: str = "") -> InputError:
        return cls([InputProblem(file, key, value, rule, hint)])


class NonFinite(InputError):
    """The model produced NaN or an infinity from the drivers it was given (exit 2)."""


class CheckFailed(CloudmodelError):
    """A reconciliation check failed where the user asked for strictness (exit 1)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean …?' hint for an unknown name, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""
