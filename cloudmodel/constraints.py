"""Constraints on driver values that bounds alone cannot express, checked after overrides and before
any run (the update's included): relations between drivers, strictly positive denominators, layer
shares that leave IaaS a residual."""

from __future__ import annotations

import math
from typing import Any

from cloudmodel.errors import InputError, InputProblem
from cloudmodel.inputs.drivers import DriverSet

#: Relations between drivers that bounds alone cannot express: (smaller, larger), strictly.
RELATIONS = (
    ("ai.penetration_target", "ai.penetration_ceiling"),
    ("ai.penetration_dec2024", "ai.penetration_ceiling"),
    ("ai.customers_dec2024", "customers.total"),
    ("ai.customers_feb2025", "customers.total"),
    ("apple.tier1_users", "apple.tier2_users"),
    ("apple.tier2_users", "apple.tier3_users"),
    ("apple.licence_tier1_units", "apple.licence_tier2_units"),
    ("apple.licence_tier2_units", "apple.licence_tier3_units"),
)

#: Drivers a formula divides by (or raises to a negative power): each must be strictly positive.
DENOMINATORS = ("customers.total", "price.qwen_blended_cy2024", "price.qwen_cut_ratio", "price.qwen_max_before",
                "capex.plan_years", "capex.baseline_years", "capex.useful_life_years", "valuation.usd_cny",
                "valuation.ads_count", "valuation.shares_per_ads", "apple.tier1_users",
                "maas.plugins_per_ai_customer_cy2024")

#: Shares of CY2024 cloud revenue set by drivers; IaaS is the residual (1 − these − MaaS).
LAYER_SHARES = ("paas.share", "saas.share", "solutions.share")
LAYER_LINES = tuple(f"cloud.revenue.{layer}" for layer in ("iaas", "paas", "saas", "maas", "solutions"))


def relation_limits(driver_id: str, values: dict[str, Any]) -> tuple[float, float]:
    """The interval the relations allow ``driver_id`` given the other drivers' values."""
    lo, hi = -math.inf, math.inf
    for smaller, larger in RELATIONS:
        if smaller not in values or larger not in values:
            continue
        if driver_id == smaller:
            hi = min(hi, values[larger])
        if driver_id == larger:
            lo = max(lo, values[smaller])
    if driver_id in DENOMINATORS:
        lo = max(lo, 0.0)
    return lo, hi


def _where(drivers: DriverSet, driver_id: str) -> str:
    d = drivers[driver_id]
    return drivers.sources.get(driver_id, "--set") if d.overridden else d.file


def _validate_values(drivers: DriverSet) -> None:
    """Constraints checked after overrides and scenarios, before computing: every value finite
    and within its driver's bounds; relations; positive denominators; layer shares that leave
    IaaS a non-negative residual. Every broken one is reported."""
    v = drivers.values_by_id()
    problems = []
    for key, d in drivers.items():
        lo, hi = d.bounds
        if not math.isfinite(d.value) or not lo <= d.value <= hi:
            problems.append(InputProblem(_where(drivers, key), key, d.value, f"must be finite and within [{lo:g}, {hi:g}] ({d.unit})"))
    for smaller, larger in RELATIONS:
        if smaller in v and larger in v and not v[smaller] < v[larger]:
            problems.append(InputProblem(_where(drivers, smaller), smaller, v[smaller], f"must be below {larger} ({v[larger]:g})"))
    for key in DENOMINATORS:
        if key in v and not v[key] > 0:
            problems.append(InputProblem(_where(drivers, key), key, v[key], "must be strictly positive (the model divides by it)"))
    shares = [k for k in LAYER_SHARES if k in v]
    total = sum(v[k] for k in shares)
    if shares and not total < 1:
        moved = [k for k in shares if drivers[k].overridden] or shares
        problems.append(InputProblem(_where(drivers, moved[0]), " + ".join(shares), total,
                                     "layer shares of cloud revenue must sum to less than 1 (IaaS is the rest)",
                                     f"overridden: {', '.join(moved)}" if any(drivers[k].overridden for k in shares) else ""))
    if problems:
        raise InputError(problems)


validate = _validate_values

__all__ = ["RELATIONS", "DENOMINATORS", "LAYER_SHARES", "LAYER_LINES", "relation_limits", "validate"]
