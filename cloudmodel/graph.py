"""The model as a graph of named quantities that wire themselves.

A **quantity** is a small function named after what it computes; its docstring gives the unit
and the formula (the lifelib/modelx style). It takes one argument, the context ``model``, and
reads everything through it:

* ``model.driver(id)`` — a driver's value (a float, or an array with one value per case);
* ``model(name)`` — another quantity at this period; ``model(name, quarter)`` at another
  (earlier) quarter, ``model(name, year)`` at another fiscal year; ``model.anchor_sum(name)`` its
  sum over the anchor year, ``model.year_sum(name, year)`` over a fiscal year;
* ``model.actual(line, quarter)`` — a reported figure (the history, or an actuals file);
* ``model.quarter`` / ``model.year`` the period, ``model.years`` the years from the reference
  date, ``model.timeline`` the timeline, ``model.history`` the reported history.

Quantities are declared with :func:`per_quarter`, :func:`per_year` or :func:`constant`, the
first two optionally naming the output line they make. No list of what a quantity reads is
kept by hand: a *tracing* evaluation records every driver and quantity each one reads, in every
branch that executes, which gives the exact lineage of every line (:mod:`cloudmodel.lineage`).

Two evaluators share the definitions: :class:`Evaluation`, the engine's loop over quantities in
their order of declaration (a dependency order; quarters ascending), which works for floats and
numpy arrays alike; and :func:`reference`, a slow, readable evaluator that computes each value
by recursion with memoisation and nothing else. A test checks that they agree on every line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudmodel import xp

QUARTER, YEAR, CONSTANT = "quarter", "year", "constant"


@dataclass(frozen=True)
class Quantity:
    """A named quantity: its function, its time index and the output line it makes, if any."""

    name: str
    function: Callable[[Context], Any]
    time: str  # QUARTER, YEAR or CONSTANT
    line: str | None
    module: str
    path: bool | str = False  # a level path: in a run pinned to a basis, it continues from its value at the origin
    # (True: in proportion; a driver id: in log-odds within that ceiling, for a share that saturates)

    @property
    def doc(self) -> str:
        return " ".join((self.function.__doc__ or "").split())


QUANTITIES: dict[str, Quantity] = {}
_FUNCTIONS: dict[str, Callable[[Context], Any]] = {}  # name -> function, for the loop's speed
_CONSTANTS: set[str] = set()


def _register(time: str, line: str | None, path: bool | str = False) -> Callable[[Callable[[Context], Any]], Callable[[Context], Any]]:
    def wrap(function: Callable[[Context], Any]) -> Callable[[Context], Any]:
        name = function.__name__
        if name in QUANTITIES:
            raise ValueError(f"quantity {name} is defined twice")
        QUANTITIES[name] = Quantity(name, function, time, line, function.__module__.rpartition(".")[2], path)
        _FUNCTIONS[name] = function
        if time == CONSTANT:
            _CONSTANTS.add(name)
        return function
    return wrap


def per_quarter(line: str | None = None, path: bool | str = False):
    """Declare a quantity with a value per quarter (stocks at the quarter end, flows over it). A ``path``
    (customers, penetration, usage per customer, traffic) is a level the drivers shape from an anchor:
    in a run pinned to a basis (:class:`Evaluation`'s ``past``) it continues from the basis's value at the
    origin, so that a scenario moves its course after the origin, not its level there: in proportion
    (``path=True``), or for a share that saturates at a ceiling (``path="<ceiling driver id>"``) in
    log-odds within it, so that a scenario adopting faster also grows faster from the common level."""
    return _register(QUARTER, line, path)


def per_year(line: str | None = None):
    """Declare a quantity with a value per fiscal year."""
    return _register(YEAR, line)


def constant(line: str | None = None):
    """Declare a quantity with one value for the whole run (an anchor-year solve, a fee)."""
    return _register(CONSTANT, line)


class _RecordedTimeline:
    """A timeline whose dates record the drivers that set them as they are read."""

    __slots__ = ("_timeline", "_reads")

    def __init__(self, timeline: Any, reads: set):
        self._timeline, self._reads = timeline, reads

    def __getattr__(self, name: str) -> Any:
        for driver_id in self._timeline.drivers_setting("reference" if name == "years" else name):
            self._reads.add(("date", driver_id, None))  # the driver's period, not its value
        return getattr(self._timeline, name)


class Context:
    """What a quantity sees: the drivers, the other quantities, the period. Reads go through
    the evaluation, which may record them."""

    __slots__ = ("_evaluation", "at", "_reads")

    def __init__(self, evaluation: Evaluation, at: int | None, reads: set | None):
        self._evaluation = evaluation
        self.at = at
        self._reads = reads

    def driver(self, driver_id: str) -> Any:
        if self._reads is not None:
            self._reads.add(("driver", driver_id, None))
        return self._evaluation.values[driver_id]

    def has(self, driver_id: str) -> bool:
        return driver_id in self._evaluation.values

    def __call__(self, name: str, at: int | None = None) -> Any:
        if at is None and name not in _CONSTANTS:
            at = self.at
        if self._reads is not None:
            self._reads.add(("quantity", name, at))
        return self._evaluation.value(name, at)

    def anchor_sum(self, name: str) -> Any:
        """Σ of a quarterly quantity over the anchor year (the CY2024 quarters)."""
        return sum(self(name, quarter) for quarter in self.timeline.anchor)

    def year_sum(self, name: str, year: int) -> Any:
        """Σ of a quarterly quantity over the quarters of a fiscal year."""
        from cloudmodel.periods import QUARTERS_PER_YEAR, fiscal_index

        return sum(self(name, fiscal_index(year, k)) for k in range(1, QUARTERS_PER_YEAR + 1))

    def actual(self, line: str, quarter: int | None = None) -> Any:
        """The reported value of ``line`` at ``quarter`` (up to the origin), or None."""
        quarter = self.at if quarter is None else quarter
        if self._reads is not None:
            self._reads.add(("actual", line, quarter))
        return self._evaluation.observed.get(line, {}).get(quarter)

    def observed(self, line: str) -> Mapping[int, float]:
        """Every reported quarter of ``line`` up to the origin."""
        if self._reads is not None:
            self._reads.add(("actual", line, None))
        return self._evaluation.observed.get(line, {})

    def shock(self, name: str) -> Any:
        """A simulated innovation of a residual state this quarter (``simulate``); 0 in a forecast."""
        shocks = self._evaluation.shocks.get(name)
        return 0.0 if shocks is None else shocks.get(self.at, 0.0)

    def statements(self, line: str) -> list[Any]:
        """What was reported about ``line`` by the origin other than figures: bounds ("triple-digit
        growth", "no launch") and values of lines the history does not carry
        (:class:`cloudmodel.inputs.history.Observation`)."""
        if self._reads is not None:
            self._reads.add(("actual", line, None))
        origin = self.timeline.origin
        return [o for o in self._evaluation.history.observations if o.line == line and o.end <= origin]

    @property
    def quarter(self) -> int:
        return self.at  # type: ignore[return-value]

    @property
    def year(self) -> int:
        return self.at  # type: ignore[return-value]

    @property
    def years(self) -> float:
        """Years from the reference date (end of December 2024) to the end of this quarter."""
        return self.timeline.years(self.at)

    @property
    def timeline(self) -> Any:
        """The run's timeline; in a tracing run, reading one of its dates records the drivers whose
        periods set it (``Timeline.drivers_setting``, as ``("date", id)`` reads), so lineage sees when things start,
        not only how much."""
        timeline = self._evaluation.timeline
        return timeline if self._reads is None else _RecordedTimeline(timeline, self._reads)

    @property
    def history(self) -> Any:
        return self._evaluation.history


class Evaluation:
    """Values of every quantity for one run (floats, or arrays with one value per case).

    :meth:`value` returns a memoised value, computing it on first use; :meth:`run` is the
    engine's loop: every quantity in declaration order, each over every quarter (or year) of
    the timeline. With ``trace`` every read is recorded in :attr:`reads`: for each computed
    ``(quantity, period)``, the set of ``("driver", id, None)``, ``("quantity", name, period)`` and
    ``("actual", line, quarter)`` it read."""

    def __init__(self, values: Mapping[str, Any], history: Any, timeline: Any,
                 observed: Mapping[str, Mapping[int, float]], trace: bool = False,
                 shocks: Mapping[str, Mapping[int, Any]] | None = None, past: Evaluation | None = None):
        self.values = values
        self.shocks = shocks or {}
        self.past = past  # the basis's own evaluation: every value of a reported period is its (history pinned)
        self._path_scale: dict[str, Any] = {}
        self.history = history
        self.timeline = timeline
        self.observed = observed
        self.memo: dict[str, dict[int | None, Any]] = {name: {} for name in QUANTITIES}
        self.reads: dict[tuple[str, int | None], set] | None = {} if trace else None
        self.forward_references = 0  # values computed out of the loop's order (a test keeps this small)

    def value(self, name: str, at: int | None) -> Any:
        memo = self.memo[name]
        if at in memo:
            return memo[at]
        self.forward_references += 1
        return self._compute(name, at)

    def pinned(self, name: str, at: int | None) -> bool:
        """Whether ``name`` at ``at`` belongs to a reported period that the basis pins: a quarter up to the
        origin, a fiscal year that ends by it (constants are the run's own)."""
        if self.past is None or at is None:
            return False
        time = QUANTITIES[name].time
        if time == QUARTER:
            return at <= self.timeline.origin
        return time == YEAR and 4 * at + 3 <= self.timeline.origin  # the year's fourth quarter (periods.fiscal_index)

    def _compute(self, name: str, at: int | None) -> Any:
        if self.pinned(name, at):
            result = self.past.value(name, at)
        else:
            reads = None if self.reads is None else self.reads.setdefault((name, at), set())
            result = _FUNCTIONS[name](Context(self, at, reads))
            result = self._continued(name, at, result)
        self.memo[name][at] = result
        return result

    def _continued(self, name: str, at: int | None, result: Any) -> Any:
        """A path quantity's value in a run pinned to a basis: continued from the basis's at the origin."""
        path = QUANTITIES[name].path
        if self.past is None or not path or at is None or result is None:
            return result
        return result * self._scale(name) if path is True else self._within(name, result, self.values[path])

    def _scale(self, name: str) -> Any:
        """A path's continuation factor: the basis's value at the origin over this run's own there."""
        if name not in self._path_scale:
            origin = self.timeline.origin
            own = _FUNCTIONS[name](Context(self, origin, None))
            pinned = self.past.value(name, origin)
            self._path_scale[name] = 1.0 if own is None or pinned is None else _ratio(pinned, own)
        return self._path_scale[name]

    def _within(self, name: str, value: Any, ceiling: Any) -> Any:
        """A saturating path continued in log-odds within ``ceiling``: L(value) + L(the basis's value at the
        origin) − L(this run's own there), back to a share, L(p) = ln(c ÷ p − 1)."""
        if name not in self._path_scale:
            origin = self.timeline.origin
            own = _FUNCTIONS[name](Context(self, origin, None))
            pinned = self.past.value(name, origin)
            self._path_scale[name] = 0.0 if own is None or pinned is None else _log_odds(pinned, ceiling) - _log_odds(own, ceiling)
        return ceiling / (1 + xp.exp(xp.clip(_log_odds(value, ceiling) + self._path_scale[name], -LOG_ODDS_LIMIT, LOG_ODDS_LIMIT)))

    def run(self, names: Iterable[str] | None = None) -> Evaluation:
        quarters = list(self.timeline.quarters)
        years = self.timeline.fiscal_years
        for name in QUANTITIES if names is None else names:
            time, memo = QUANTITIES[name].time, self.memo[name]
            for at in quarters if time == QUARTER else years if time == YEAR else (None,):
                if at not in memo:
                    self._compute(name, at)
        return self


#: Log-odds beyond which a share is at its floor or its ceiling to the last bit (exp(700) is near a
#: float's limit), and the least odds a share clipped just below its ceiling is given.
LOG_ODDS_LIMIT, MIN_ODDS = 700.0, 1e-30
_EDGE = 1e-12  # a share within this fraction of 0 or of its ceiling is taken at that distance


def _log_odds(p: Any, ceiling: Any) -> Any:
    return xp.log(xp.maximum(ceiling / xp.clip(p, _EDGE * ceiling, ceiling * (1 - _EDGE)) - 1, MIN_ODDS))


def _ratio(a: Any, b: Any) -> Any:
    """a ÷ b, 1 where b is 0 (a path at 0 at the origin has nothing to continue from)."""
    if isinstance(b, int | float):
        return 1.0 if b == 0 else a / b
    if getattr(b, "excel", False):  # a spreadsheet formula: the cell divides
        return a / b
    import numpy as np

    b = np.asarray(b)
    return np.where(b == 0, 1.0, np.asarray(a) / np.where(b == 0, 1.0, b))


def reference(values: Mapping[str, Any], history: Any, timeline: Any,
              observed: Mapping[str, Mapping[int, float]]) -> dict[str, dict[int | None, Any]]:
    """The slow, readable evaluator: every (quantity, period) of the timeline computed by plain
    recursion with memoisation, in no particular order (output lines only, last to first)."""
    memo: dict[tuple[str, int | None], Any] = {}

    class _Lazy(Evaluation):
        def value(self, name: str, at: int | None) -> Any:
            if (name, at) not in memo:
                memo[(name, at)] = QUANTITIES[name].function(Context(self, at, None))
            return memo[(name, at)]

    lazy = _Lazy(values, history, timeline, observed)
    out: dict[str, dict[int | None, Any]] = {}
    for name, quantity in reversed(list(QUANTITIES.items())):
        if quantity.line is None:
            continue
        periods = (list(timeline.quarters)[::-1] if quantity.time == QUARTER
                   else timeline.fiscal_years[::-1] if quantity.time == YEAR else [None])
        out[name] = {at: lazy.value(name, at) for at in periods}
    return out


__all__ = ["QUANTITIES", "Quantity", "Context", "Evaluation", "reference", "per_quarter", "per_year", "constant"]
