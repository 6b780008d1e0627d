"""Errors the user can act on.

Every problem with input is an :class:`InputProblem` naming the file, the key path,
the offending value, the rule it breaks and, where one exists, a hint. Loaders collect
all problems before raising one :class:`InputError`, so the user sees them together.
The CLI prints them and exits 2; nothing else in the library prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice

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
    """Bad input: a driver file, an override, an actuals file, a command-line value.

    The message is made when it is asked for, not when the error is raised: a hostile file can
    hold a hundred thousand problems, and the CLI shows only the first
    ``cli.MAX_PROBLEMS_SHOWN`` of them (each problem's did-you-mean is worked out only then)."""

    def __init__(self, problems: Iterable[InputProblem]):
        self.problems = list(problems)
        super().__init__(self.problems)  # args as given: the error pickles and copies

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def one(cls, file: str, key: str, value: object, rule: str, hint: str = "") -> InputError:
        return cls([InputProblem(file, key, value, rule, hint)])


class NonFinite(InputError):
    """The model produced NaN or an infinity from the drivers it was given (exit 2)."""


class CheckFailed(CloudmodelError):
    """A reconciliation check failed where the user asked for strictness (exit 1)."""


#: The names a did-you-mean compares a word with, at most. The longest real list (the output
#: lines, the drivers) has a few hundred; a hostile drivers folder could hold a hundred thousand
#: ids, and comparing with each costs microseconds per shown problem.
SUGGESTION_CHOICES = 10_000
#: The longest word a did-you-mean looks at (longer ones are not a typo of an id or a line).
SUGGESTION_WORD_CHARS = 200


_BUDGET: ContextVar[list[int] | None] = ContextVar("cloudmodel_suggestion_budget", default=None)


@contextmanager
def suggestion_budget(count: int) -> Iterator[None]:
    """Inside, only the first ``count`` suggestions made can hold a did-you-mean (the CLI: one per
    problem it shows, and problems are listed in the order they are found); those made after
    them are empty, without a search. Outside any budget every one is searched when shown."""
    token = _BUDGET.set([count])
    try:
        yield
    finally:
        _BUDGET.reset(token)


class Suggestion:
    """A 'did you mean …?' hint, worked out only when it is shown (``str``, ``bool``, f-strings).

    Loaders make one per unknown name, so a file of a hundred thousand misspelt names costs a
    hundred thousand small objects, not a hundred thousand fuzzy searches: only the problems the
    CLI prints (the first ``cli.MAX_PROBLEMS_SHOWN``) run :mod:`difflib`. A loader that turns each
    problem into text as it finds it (and so asks for every suggestion) is held to the same number
    by :func:`suggestion_budget`, which the CLI opens around every verb: past it a suggestion is
    empty from the start."""

    __slots__ = ("_choices", "_text", "_word")

    def __init__(self, word: str, choices: Iterable[str]):
        self._word = word
        self._choices: tuple[str, ...] | None = None
        self._text: str | None = None
        budget = _BUDGET.get()
        if budget is not None:
            if budget[0] <= 0:  # past the budget: no search, no copy of the choices
                self._text = ""
                return
            budget[0] -= 1
        # a snapshot: the caller may change its collection before the message is shown
        self._choices = tuple(islice(choices, SUGGESTION_CHOICES))

    def __str__(self) -> str:
        if self._text is None:
            self._text = _closest(self._word, self._choices or ())
            self._choices = None
        return self._text

    def __bool__(self) -> bool:
        return bool(str(self))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, Suggestion) else other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __repr__(self) -> str:
        return repr(str(self))


def _closest(word: str, choices: Iterable[str]) -> str:
    import difflib

    if not isinstance(word, str) or len(word) > SUGGESTION_WORD_CHARS:
        return ""
    close = difflib.get_close_matches(word, [c for c in choices if isinstance(c, str)], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def did_you_mean(word: str, choices: Iterable[str]) -> Suggestion:
    """A 'did you mean …?' hint for an unknown name ('' when nothing is close), computed lazily:
    see :class:`Suggestion`."""
    return Suggestion(word, choices)
