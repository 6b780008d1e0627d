"""Errors the user can act on.

Every problem with input is an :class:`InputProblem` naming the file, the key path,
the offending value, the rule it breaks and, where one exists, a hint. Loaders collect
all problems before raising one :class:`InputError`, so the user sees them together.
The CLI prints them and exits 2; nothing else in the library prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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
        shown = "" if self.value is None else f" = {self.value!r}"
        text = f"{where}{shown}: {self.rule}"
        return text + (f" ({self.hint})" if self.hint else "")


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


class CheckFailed(CloudmodelError):
    """A reconciliation check failed where the user asked for strictness (exit 1)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean …?' hint for an unknown name, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""
