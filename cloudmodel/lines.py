"""What an output line is, and how one is declared.

A line is declared once, with the quantity that makes it, by :func:`line` in its module of
:mod:`cloudmodel.quantities` (a ratio or a growth next to its parts): its name, unit, roll-up rule,
label and, for ratios, its parts. :func:`line` returns the name, a module constant that every other
piece of code refers to (``from cloudmodel.quantities.revenue import CLOUD_REVENUE``), so that no
line name or label is written twice. The registry of all lines is
:data:`cloudmodel.quantities.LINES`, complete once the quantities are imported; this module holds
only the type, the vocabulary the declarations share (the layers) and the domains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cloudmodel.periods import Rollup

LAYER_NAMES = ("iaas", "paas", "saas", "maas", "solutions")
#: Each layer's name as tables, charts and the note print it.
LAYER_LABELS = (("IaaS", "iaas"), ("PaaS", "paas"), ("SaaS", "saas"), ("MaaS", "maas"), ("Industry solutions", "solutions"))
LAYER_LABEL = {key: label for label, key in LAYER_LABELS}
#: Prefixes of the lines that exist by fiscal year only.
ANNUAL_ONLY = ("group.", "valuation.")
FLOW, STOCK, RATIO = Rollup.FLOW, Rollup.STOCK, Rollup.RATIO
MONEY = "RMB_mn"


@dataclass(frozen=True)
class Line:
    """An output line: unit, roll-up rule, a label, for ratios the parts, for sums the parts it adds up."""

    name: str
    unit: str
    rollup: Rollup
    label: str
    numerator: str | None = None
    denominator: str | None = None
    growth_of: str | None = None
    scale: float = 1.0  # for ratios whose parts are in different units (RMB_mn per token → 元/百万 tokens)
    domain: tuple[float, float] | None = None  # the plausible range of a ratio (:func:`_domain`)
    parts: tuple[str, ...] = ()  # the lines this one is the sum of (a check per period: Σ parts − total = 0)
    terms: tuple[tuple[str, int], ...] = ()  # a signed decomposition for the component bridge, where not the parts
    check: str | None = None  # the check of a sum: its row is Σ parts − total, 0 when it holds
    metric: str | None = None  # the metric of the reported history (fixtures/alibaba_reported.csv) that reports it


def bridge(line: Line) -> tuple[tuple[str, int], ...]:
    """The terms a line's component bridge splits it into (``explain --from``): its declared terms, else its parts."""
    return line.terms or tuple((part, 1) for part in line.parts)


#: Every declared line in order of declaration (the quantities' modules, in dependency order).
DECLARED: dict[str, Line] = {}


def line(name: str, unit: str, rollup: Rollup, label: str, *, numerator: str | None = None,
         denominator: str | None = None, growth_of: str | None = None, scale: float = 1.0,
         parts: Iterable[str] = (), terms: Iterable[tuple[str, int]] = (), check: str | None = None, domain: tuple[float, float] | None = None,
         metric: str | None = None) -> str:
    """Declare an output line; returns its name, the constant other code refers to. A ratio's domain
    defaults to the one its name implies (:func:`_domain`)."""
    if name in DECLARED:
        raise ValueError(f"line {name} is declared twice")
    if bool(parts) != bool(check):
        raise ValueError(f"line {name}: a sum declares its parts and the name of its check together")
    domain = domain or (_domain(name) if unit == "ratio" else None)
    DECLARED[name] = Line(name, unit, rollup, label, numerator, denominator, growth_of, scale, domain, tuple(parts), tuple(terms),
                          check, metric)
    return name


def ratio(name: str, label: str, *, numerator: str | None = None, denominator: str | None = None,
          growth_of: str | None = None, scale: float = 1.0, domain: tuple[float, float] | None = None) -> str:
    """Declare a ratio line: ``numerator ÷ denominator × scale``, or the year-on-year growth of ``growth_of``."""
    return line(name, "ratio", RATIO, label, numerator=numerator, denominator=denominator, growth_of=growth_of,
                scale=scale, domain=domain)


#: Plausible ranges of the ratio lines (``Line.domain``), our choice: a share or a penetration is a part of a whole
#: (0 to 100%); a margin above 100% needs negative costs, and one below −100% costs of more than
#: twice the revenue, which no cloud business of this size has reported (Alibaba Cloud's worst
#: reported year is about −2%); a growth below −100% is a negative revenue. A forecast outside
#: them is refused with the driver that caused it, like a non-finite number.
MARGIN, PART, GROWTH = (-1.0, 1.0), (0.0, 1.0), (-1.0, float("inf"))


def _domain(name: str) -> tuple[float, float] | None:
    if "_margin" in name and not name.endswith(".gap"):
        return MARGIN
    if "_share" in name or name.endswith("penetration"):
        return PART
    if "_growth" in name:
        return GROWTH
    return None


__all__ = ["ANNUAL_ONLY", "DECLARED", "FLOW", "LAYER_LABEL", "LAYER_LABELS", "LAYER_NAMES", "Line", "MONEY",
           "RATIO", "STOCK", "bridge", "line", "ratio"]
