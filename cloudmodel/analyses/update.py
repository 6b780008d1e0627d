"""The quarterly update: what the quarters reported since an origin changed, and why.

``update`` holds the forecast made at the origin (:func:`cloudmodel.basis.prepare` at ``--origin``,
without the actuals file) against the one the actuals file's quarters give (the same, with the file:
exactly ``forecast --origin … --actuals …``). Both are the one graph; nothing is patched after it.
It reports:

* **surprises** — each row of the file against the origin's forecast (and each new quarter's margin);
* **drivers** — the update's fit (:mod:`cloudmodel.posterior`): prior (the file), posterior and 90%
  band, flagged ``outside_range`` where the data push a driver outside the report's range;
* **the bridge** — per key line and period, from the origin's forecast to the updated one: the drivers'
  moves one after another (each split over the surprises that caused it by the fit's linear gains),
  the residual states' re-estimated gains, then each new quarter's revenue (through the revenue state)
  and EBITA (through the margin state) added one after another. Every step is one more run of the
  graph, so the contributions add up exactly to the change;
* **revised** — the key lines at the origin and updated.

Deterministic: no draws, no seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cloudmodel.engine import Raw, make_timeline, run
from cloudmodel.errors import InputError
from cloudmodel.inputs.drivers import DriverSet
from cloudmodel.inputs.history import History
from cloudmodel.inputs.periods import QUARTERS_PER_YEAR, Period, fiscal_parts, quarter_label
from cloudmodel.lines import LINES

REVENUE, EBITA = "cloud.revenue", "cloud.ebita"
KEY_LINES = ("cloud.revenue", "cloud.ebita", "cloud.ebita_margin", "group.revenue", "group.adj_ebita",
             "valuation.target.usd_per_ads")


@dataclass
class Update:
    """What ``update`` prints: surprises, driver updates, the bridge, the revised key lines."""

    meta: dict[str, Any]
    surprises: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    bridge: list[dict[str, Any]]
    revised: list[dict[str, Any]]
    forecast: Any = field(default=None, repr=False)  # the updated forecast

    def document(self) -> dict[str, Any]:
        return {"meta": self.meta, "surprises": self.surprises, "drivers": self.drivers, "bridge": self.bridge,
                "revised": self.revised}


def update(drivers: DriverSet, history: History, actuals: Any, origin: str | None = None, horizon: str | None = None) -> Update:
    """The update from ``origin`` (default: the shipped history's last quarter) on ``actuals``."""
    from cloudmodel.basis import prepare
    from cloudmodel.model import forecast

    before = prepare(drivers, history=history, origin=origin)
    after = prepare(drivers, history=history, actuals=actuals, origin=before.origin)
    from cloudmodel.engine import default_horizon

    horizon = horizon or default_horizon(after.drivers, after.last)
    fc0, fc1 = forecast(basis=before, horizon=horizon), forecast(basis=after, horizon=horizon)
    keys = bridge_keys(fc1, before.last, after.last)
    bridge = _bridge(before, after, fc1.timeline.last, keys)
    revised = [{"line": line, "period": period, "origin_forecast": fc0.rows.get(line, period),
                "updated": fc1.rows.get(line, period), "unit": LINES[line].unit} for line, period in keys]
    for row in revised:
        row["change"] = row["updated"] - row["origin_forecast"]
    surprises, used, not_used = _surprises(actuals, fc0, after)
    meta = {"origin": quarter_label(before.origin), "last_reported_at_origin": quarter_label(before.last),
            "last_reported": quarter_label(after.last), "actuals": actuals.file,
            "new_quarters": [quarter_label(q) for q in range(before.last + 1, after.last + 1)],
            "rows_used": used, "rows_not_used": not_used, "drivers_hash": drivers.files_hash,
            "update": after.living.describe(), "origin_update": before.living.describe(),
            "method": "drivers: MAP fit with a Laplace approximation (no draws, no seed); residual states: damped local "
                      "linear trend of the growth gap and local level of the margin gap; bridge: each step one run of the "
                      "graph (drivers one after another, the states' gains, then each new quarter's revenue and EBITA)"}
    return Update(meta, surprises, _driver_rows(before, after), bridge, revised, fc1)


def bridge_keys(fc: Any, origin: int, last: int) -> list[tuple[str, str]]:
    """(line, period) of the bridge: cloud revenue and EBITA for the new quarters and the four after,
    and every key line for each fiscal year from the first with a new quarter to the horizon."""
    out = []
    quarters = [quarter_label(q) for q in range(origin + 1, last + QUARTERS_PER_YEAR + 1)]
    for line in (REVENUE, EBITA):
        out += [(line, q) for q in quarters if fc.rows.get(line, q) is not None]
    first_year = fiscal_parts(origin + 1)[0]
    for line in KEY_LINES:
        for year in fc.timeline.fiscal_years:
            if year >= first_year and fc.rows.get(line, f"FY{year}") is not None:
                out.append((line, f"FY{year}"))
    return out


def _values_at(raw: Raw, keys: list[tuple[str, str]], n: int) -> np.ndarray:
    from cloudmodel.batch import line_values

    return np.array([line_values(raw, line, period, n) for line, period in keys])  # keys × cases


def _bridge(before: Any, after: Any, last: int, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Contributions from the origin's forecast to the updated one (see the module docstring)."""
    from cloudmodel.batch import values_with

    d0, d1 = before.drivers, after.drivers
    moved = [r["driver"] for r in after.living.records if d1[r["driver"]].value != d0[r["driver"]].value]
    timeline0 = make_timeline(d0, before.history, last)
    n = len(moved) + 1
    cases = {}
    for j, driver_id in enumerate(moved):
        column = np.full(n, d0[driver_id].value, dtype=float)
        column[j + 1:] = d1[driver_id].value
        cases[driver_id] = column
    path = _values_at(run(values_with(d0, cases), before.history, timeline0), keys, n)
    steps: list[tuple[str, str, np.ndarray]] = []
    shares = _shares(after)
    for j, driver_id in enumerate(moved):
        steps.append((driver_id, "driver", path[:, j + 1] - path[:, j]))
    with_gains = {k: d1[k].value for k in d1 if k in d0 and d0[k].value != d1[k].value}
    previous = path[:, -1]
    now = _values_at(run(values_with(d0, with_gains), before.history, timeline0), keys, 1)[:, 0]
    steps.append(("residual states' gains", "state gains", now - previous))
    previous = now
    for label, via, history in _histories(before, after):
        now = _values_at(run(d1.values_by_id(), history, make_timeline(d1, history, last)), keys, 1)[:, 0]
        steps.append((label, via, now - previous))
        previous = now
    rows = []
    for i, (line, period) in enumerate(keys):
        for component, via, delta in steps:
            if via == "driver" and shares.get(component):
                for surprise, share in shares[component].items():
                    rows.append({"line": line, "period": period, "surprise": surprise, "via": component,
                                 "contribution": float(delta[i] * share)})
            else:
                rows.append({"line": line, "period": period, "surprise": component if via != "driver" else "(prior)",
                             "via": via if via != "driver" else component, "contribution": float(delta[i])})
    return rows


def _shares(after: Any) -> dict[str, dict[str, float]]:
    posterior = after.living.posterior
    return posterior.attribution() if posterior is not None else {}


def _histories(before: Any, after: Any) -> list[tuple[str, str, History]]:
    """The history as known at the origin plus each new quarter's revenue (and statements), then its EBITA,
    one after another; the last is the updated history."""
    from cloudmodel.inputs.actuals import Actuals, as_known

    cut = before.history
    rows = after.actuals.rows if after.actuals is not None else []
    out = []
    for q in range(before.last + 1, after.last + 1):
        def known(r, with_ebita, q=q):
            end = Period.parse(r.period).fiscal_quarters()[-1]
            return end < q or (end == q and (with_ebita or r.line != EBITA))
        for with_ebita, label, via in ((False, f"{REVENUE}@{quarter_label(q)}", "revenue state"),
                                       (True, f"{EBITA}@{quarter_label(q)}", "margin state")):
            subset = Actuals(after.actuals.file, [r for r in rows if known(r, with_ebita)])
            out.append((label, via, as_known(cut, subset)))
    out.append(("later rows", "statements", after.history))
    return out


def _driver_rows(before: Any, after: Any) -> list[dict[str, Any]]:
    """Each driver the fits reached: the file's value, the origin's posterior and the updated one, with
    the updated 90% band."""
    at_origin = {r["driver"]: r["posterior"] for r in before.living.records}
    rows = []
    for r in after.living.records:
        rows.append(r | {"file_value": r["prior"], "at_origin": at_origin.get(r["driver"], r["prior"]),
                         "change_since_origin": r["posterior"] - at_origin.get(r["driver"], r["prior"])})
    return rows


def _surprises(actuals: Any, fc0: Any, after: Any) -> tuple[list[dict[str, Any]], list[str], list[dict[str, str]]]:
    """Each row of the file after the origin against the origin's forecast; which rows were used and how,
    and which were not, with why."""
    origin, last = fc0.timeline.origin, after.last
    out, used, not_used = [], [], []
    for row in actuals.rows:
        key = f"{row.line}@{row.period}"
        end = Period.parse(row.period).fiscal_quarters()[-1]
        if end <= origin:
            used.append(key + " (known at the origin: agrees with the history)")
            continue
        if end > last:
            not_used.append({"row": key, "why": f"after {quarter_label(last)}, the last quarter of reported cloud revenue"})
            continue
        forecast = fc0.rows.get(row.line, row.period)
        if forecast is None:
            not_used.append({"row": key, "why": f"the model has no {row.line} for {row.period}"})
            continue
        used.append(key)
        item = {"line": row.line, "period": row.period, "forecast": forecast, "actual": row.value, "low": row.low,
                "high": row.high, "error": None, "pct_error": None, "within_bounds": None, "unit": LINES[row.line].unit}
        if row.value is not None:
            item["error"] = forecast - row.value
            item["pct_error"] = (forecast - row.value) / row.value if row.value else None
        if row.low is not None or row.high is not None:
            item["within_bounds"] = bool((row.low is None or forecast >= row.low) and (row.high is None or forecast <= row.high))
        out.append(item)
    revenue, ebita = after.history.quarterly["cloud_revenue_rmb_mn"], after.history.quarterly["cloud_adj_ebita_rmb_mn"]
    for q in range(origin + 1, last + 1):
        if q in ebita and q in revenue:
            label = quarter_label(q)
            forecast = fc0.rows.get("cloud.ebita_margin", label)
            actual = ebita[q] / revenue[q]
            out.append({"line": "cloud.ebita_margin", "period": label, "forecast": forecast, "actual": actual, "low": None,
                        "high": None, "error": forecast - actual, "pct_error": None, "within_bounds": None, "unit": "ratio"})
    return out, used, not_used


def check_actuals_given(actuals: Any) -> None:
    if actuals is None:
        raise InputError.one("--actuals", "", None, "update needs an actuals file: what was reported since the origin")


__all__ = ["Update", "update", "bridge_keys", "KEY_LINES"]
