"""The pydantic schema of a driver file (strict). Imported only when files are validated,
so a forecast from cached, already-validated drivers does not pay for pydantic's start-up."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from cloudmodel.errors import did_you_mean
from cloudmodel.units import UNITS

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_PERIOD = re.compile(r"^(?:(?:FY|CY)\d{4}(?:Q[1-4]|H[12])?|\d{4}-\d{2}(?:-\d{2})?)$")

#: Longest formula a derived driver may have. The longest shipped one is ~230 characters; four
#: times that leaves room, while a formula of thousands of terms would only exhaust the parser.
MAX_FORMULA_CHARS = 1000

Kind = Literal["report", "outside", "derived", "assumption", "calibrated"]


class Distribution(BaseModel):
    """How simulation draws a driver: a named family over the driver's range."""

    model_config = ConfigDict(extra="forbid", strict=True)
    family: Literal["uniform", "triangular", "pert", "lognormal", "discrete", "bernoulli"]
    values: list[float] | None = None
    probabilities: list[float] | None = None

    @field_validator("values", "probabilities")
    @classmethod
    def _finite(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and not all(math.isfinite(x) for x in v):
            raise ValueError("NaN and infinity are not values or probabilities a distribution can take")
        return v


class DriverSpec(BaseModel):
    """One ``[[driver]]`` table as written in a file (before units are applied)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    label: str
    value: Any = None
    unit: str
    period: str
    kind: Kind
    quote: str | None = None
    where: str | None = None
    source: str | None = None
    reason: str | None = None
    formula: str | None = None
    target: str | None = None
    low: Any = None
    high: Any = None
    reading: str | None = None
    bounds: list[float] | None = None
    distribution: Distribution | None = None
    fit: bool | None = None  # false: the quarterly update never moves it (an event no aggregate figure reports)
    schedule: str | None = None  # the dated path it is an entry of, in force from its period's first quarter

    @field_validator("schedule")
    @classmethod
    def _schedule_shape(cls, v: str | None) -> str | None:
        if v is not None and not _ID.match(v):
            raise ValueError("a schedule is named like a driver, dotted lower-case words, e.g. 'growth.organic'")
        return v

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("an id is dotted lower-case words, e.g. 'ai.penetration_target'")
        return v

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, v: str) -> str:
        if v not in UNITS:
            hint = did_you_mean(v, UNITS)
            raise ValueError(f"unknown unit; units are {', '.join(UNITS)}" + (f" — {hint}" if hint else ""))
        return v

    @field_validator("period")
    @classmethod
    def _period_shape(cls, v: str) -> str:
        if not _PERIOD.match(v):
            raise ValueError("a period is FY2026, FY2026Q1, CY2024, FY2025H1 or an as-of date YYYY-MM(-DD)")
        return v

    @field_validator("value", "low", "high")
    @classmethod
    def _number_or_text(cls, v: Any) -> Any:
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError("expected a number or a string with a unit, e.g. 15% or 33万")
        try:
            finite = math.isfinite(v)
        except OverflowError:  # an integer beyond the float range
            raise ValueError("an integer too large for a number (it overflows)") from None
        if not finite:
            raise ValueError("NaN and infinity are not numbers a driver can take")
        return v

    @field_validator("formula")
    @classmethod
    def _formula_length(cls, v: str | None) -> str | None:
        if v is not None and len(v) > MAX_FORMULA_CHARS:
            raise ValueError(f"a formula is at most {MAX_FORMULA_CHARS} characters (this one is {len(v):,})")
        return v

    @field_validator("bounds")
    @classmethod
    def _bounds_pair(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (len(v) != 2 or any(math.isnan(x) for x in v) or v[0] > v[1]):
            raise ValueError("bounds is [min, max] with min <= max (no NaN)")
        return v


SPEC_FIELDS = tuple(DriverSpec.model_fields)


class DriverFile(BaseModel):
    """A whole driver file: a theme and its drivers."""

    model_config = ConfigDict(extra="forbid", strict=True)
    theme: str
    driver: list[dict[str, Any]]


