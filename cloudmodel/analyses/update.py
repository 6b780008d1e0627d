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
from cloudmodel.periods import QUARTERS_PER_YEAR, Period, fiscal_parts, quarter_label
from cloudmodel.quantities import LINES
from cloudmodel.quantities.customers import AI_CUSTOMERS
from cloudmodel.quantities.ebita import CLOUD_EBITA, EBITA_MARGIN
from cloudmodel.quantities.group import GROUP_ADJ_EBITA, GROUP_REVENUE
from cloudmodel.quantities.maas import DEEPSEEK_DAU
from cloudmodel.quantities.revenue import CLOUD_REVENUE
from cloudmodel.quantities.valuation import TARGET_USD

REVENUE, EBITA = CLOUD_REVENUE, CLOUD_EBITA
KEY_LINES = (CLOUD_REVENUE, CLOUD_EBITA, EBITA_MARGIN, GROUP_REVENUE, GROUP_ADJ_EBITA,
             TARGET_USD)


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
    surprises, used, not_used = _surprises(actuals, fc0, after, before)
    meta = after.describe() | {"origin": quarter_label(before.origin), "last_reported_at_origin": quarter_label(before.last),
            "last_reported": quarter_label(after.last), "actuals": actuals.file,
            "new_quarters": [quarter_label(q) for q in range(before.last + 1, after.last + 1)],
            "rows_used": used, "rows_not_used": not_used, "drivers_hash": drivers.files_hash,
            "update": after.living.describe(), "origin_update": before.living.describe(),
            "method": "drivers: MAP fit with a Laplace approximation (no draws, no seed); residual states: damped local "
                      "linear trend on the log level of cloud revenue over the drivers' and local level of the margin "
                      "gap; bridge: each step one run of the "
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


def _surprises(actuals: Any, fc0: Any, after: Any, before: Any = None) -> tuple[list[dict[str, Any]], list[str], list[dict[str, str]]]:
    """Each row of the file after the origin against the origin's forecast; which rows were used and how
    (``"line@period (how)"``), and which were not, with why (``{"row", "why"}``): see :func:`_row_status`."""
    origin, last = fc0.timeline.origin, after.last
    out, used, not_used = [], [], []
    for row in actuals.rows:
        key = f"{row.line}@{row.period}"
        how, why = _row_status(row, actuals.file, fc0, after, before)
        if why is not None:
            not_used.append({"row": key, "why": why})
        else:
            used.append(f"{key} ({how})")
        end = Period.parse(row.period).fiscal_quarters()[-1]
        forecast = fc0.rows.get(row.line, row.period)
        if end <= origin or end > last or forecast is None:
            continue
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
            forecast = fc0.rows.get(EBITA_MARGIN, label)
            actual = ebita[q] / revenue[q]
            out.append({"line": EBITA_MARGIN, "period": label, "forecast": forecast, "actual": actual, "low": None,
                        "high": None, "error": forecast - actual, "pct_error": None, "within_bounds": None, "unit": "ratio"})
    return out, used, not_used


def _row_status(row: Any, file: str, fc0: Any, after: Any, before: Any) -> tuple[str, str | None]:
    """How one row of the actuals file was used, or why not: (how, None) or ("", why).

    A row is **used as a figure** (it pins the reported history: cloud revenue feeds the revenue
    state, cloud EBITA the margin state, the latest AI customers or hosted DeepSeek DAU re-anchor
    their paths, a restated year rescales its quarters), **known at the origin** (a figure the
    history already holds, which it agrees with), or **used as a statement scored by the fit** (a
    bound, or a value of a line the history does not carry; or, for the Apple users served, read by
    the launch timing). It is **not used** after the last quarter of reported cloud revenue, at or
    before the report's origin for a statement (the fit weighs what was reported after it), for a
    line and period the model does not produce, for a statement no driver of the fit reaches, or
    for an AI-customers figure a later one supersedes."""
    from cloudmodel.engine import report_origin
    from cloudmodel.inputs.history import LINE_METRICS
    from cloudmodel.posterior import TIMING_LINES

    period = Period.parse(row.period)
    end, last = period.fiscal_quarters()[-1], after.last
    where = f"{file} row {row.row}"
    if end > last:
        why = f"after {quarter_label(last)}, the last quarter of reported cloud revenue"
        if not period.is_quarter:
            why += ": the period's quarters are not all reported"
        elif row.line != REVENUE and end == last + 1:
            why += f": give cloud.revenue for {row.period} too, and this row counts"
        return "", why
    if row.line in LINE_METRICS and row.value is not None and (period.is_quarter or period.kind == "FY"):
        return _figure_status(row, period, where, fc0, after, before)
    if row.line in TIMING_LINES:
        if row.value is None and row.high is not None and row.high <= 0:
            return f"read by the launch timing: no Apple launch by {row.period}, so the launch comes after it", None
        return "", "only a bound high = 0 (no launch reported) is read on this line; the fit does not weigh it"
    first = report_origin(after.drivers)
    posterior = after.living.posterior
    index = next((i for i, r in enumerate(posterior.residuals) if r.source == where), None) if posterior is not None else None
    if index is None:
        if end <= first:
            return "", (f"a statement at or before the report's origin {quarter_label(first)}: the drivers there are the "
                        "report's own reading of the history, and the fit weighs only what was reported after it")
        if fc0.rows.get(row.line, row.period) is None:
            return "", f"the model does not produce {row.line} for {row.period}"
        return "", "not weighed by the drivers' fit"
    at_prior, at_posterior = float(posterior.prior_residuals[index]), float(posterior.posterior_residuals[index])
    reached = posterior.gains is not None and bool(np.any(posterior.gains[:, index] != 0))
    kind = "a bound" if row.value is None else "a value of a line the history does not carry"
    if at_prior != 0 and not reached:
        return "", (f"{kind}, scored by the fit, but no driver the fit moves reaches {row.line} at {row.period}: it can "
                    f"change nothing (its gap stays {at_prior:.2f} spreads)")
    if row.value is None and at_prior == 0 and at_posterior == 0:
        return f"{kind} scored by the drivers' fit: the forecast already meets it, so it moves no driver", None
    return (f"{kind} scored by the drivers' fit: gap {at_prior:.2f} spreads at the prior, {at_posterior:.2f} at the "
            "posterior"), None


def _figure_status(row: Any, period: Period, where: str, fc0: Any, after: Any, before: Any) -> tuple[str, str | None]:
    """How a figure row (a line the history carries) was used, or why not."""
    from cloudmodel.engine import _re_anchored as re_anchored
    from cloudmodel.engine import observed
    from cloudmodel.inputs.actuals import reported

    origin = fc0.timeline.origin
    cut = before.history if before is not None else None
    if row.restates:
        changed = sorted({label for (metric, label), source in after.history.sources.items()
                          if source.endswith(f"({where})") and label != row.period})
        tail = f"; its quarters {', '.join(changed)} follow it (see their sources)" if changed else ""
        return f"used as a figure: restates the history's {row.period}{tail}", None
    if period.fiscal_quarters()[-1] <= origin and cut is not None and reported(cut, row.line, row.period) is not None:
        return "known at the origin: agrees with the history", None
    if not period.is_quarter:
        return f"used as a figure: {row.line} {row.period} joins the reported history (checked against its quarters)", None
    q = period.fiscal_quarters()[0]
    if row.line == REVENUE:
        weighed = any(e["source"] == where for e in after.living.evidence)
        return ("used as a figure: pins cloud revenue (actual) and feeds the revenue state"
                + ("; the drivers' fit weighs its surprise" if weighed else "")), None
    if row.line == EBITA:
        weighed = any(e["source"] == where for e in after.living.evidence)
        return ("used as a figure: pins cloud EBITA (actual) and feeds the margin state"
                + ("; the drivers' fit weighs its surprise" if weighed else "")), None
    if row.line in (AI_CUSTOMERS, DEEPSEEK_DAU):
        path = "the AI adoption curve" if row.line == AI_CUSTOMERS else "the hosted DeepSeek traffic path"
        if (row.line, q) in re_anchored(observed(after.history), fc0.timeline):
            return f"used as a figure: the latest {row.line}, re-anchors {path}", None
        return "", f"only the latest {row.line} after the drivers' own date re-anchors {path}; this one is not it"
    return f"used as a figure: {row.line} {row.period} joins the reported history (pinned where the model reports it)", None


def check_actuals_given(actuals: Any) -> None:
    if actuals is None:
        raise InputError.one("--actuals", "", None, "update needs an actuals file: what was reported since the origin")


__all__ = ["Update", "update", "bridge_keys", "KEY_LINES"]


def update_run(drivers_dir: str | None, actuals: str, origin: str | None = None, scenario: str = "base",
               overrides: Any = None, horizon: str | None = None) -> Update:
    """``update``: the files' drivers (a scenario and overrides as the prior) updated from ``origin``
    (default: the shipped history's last quarter) on the actuals file."""
    from cloudmodel.basis import parse_origin
    from cloudmodel.inputs.actuals import load_actuals
    from cloudmodel.inputs.drivers import load_drivers
    from cloudmodel.inputs.history import load_history
    from cloudmodel.model import scenario_drivers

    history = load_history()
    drivers = scenario_drivers(load_drivers(drivers_dir), scenario, overrides)
    at = parse_origin(origin, history, drivers)
    return update(drivers, history, load_actuals(actuals, history.up_to(at)), at, horizon)
