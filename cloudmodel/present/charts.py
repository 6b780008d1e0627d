"""Charts (matplotlib, imported only here, only when a chart is asked for).

Every chart has a title, its unit on the axis, value labels and the base case marked; PNGs are
written atomically like every other output (``--plot``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloudmodel.lines import LAYER_LABELS
from cloudmodel.present.output import write_atomic
from cloudmodel.quantities import LINES
from cloudmodel.quantities.ebita import EBITA_MARGIN
from cloudmodel.quantities.revenue import CLOUD_REVENUE
from cloudmodel.quantities.valuation import TARGET_USD

BASE_COLOUR, UP, DOWN, TOTAL = "#1d3557", "#2a9d8f", "#e76f51", "#444444"
LAYER_COLOURS = ("#1d3557", "#457b9d", "#a8dadc", "#e76f51", "#f4a261")
LAYERS = tuple((label, key, colour) for (label, key), colour in zip(LAYER_LABELS, LAYER_COLOURS, strict=True))


#: Every chart is drawn with these: user text (a scenario name, a driver id, a line) is plain
#: text, never mathtext (``$x$`` would be italic, ``$$`` a parse error) nor TeX.
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plain_text(draw: Callable[..., None]) -> Callable[..., None]:
    """Run a chart function — building the figure and saving it, when tick labels are made —
    under :data:`PLAIN_TEXT`."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        import matplotlib

        _pyplot()
        with matplotlib.rc_context(PLAIN_TEXT):
            draw(*args, **kwargs)

    return wrapper


def _save(fig: Any, path: Path, force: bool, dpi: int = 120) -> None:
    plt = _pyplot()
    try:
        write_atomic(Path(path), lambda p: fig.savefig(p, format="png", dpi=dpi), force, "--plot")
    finally:
        plt.close(fig)


def _bn(value_mn: float) -> float:
    return value_mn / 1e3


def _label(value: float, unit: str) -> str:
    from cloudmodel import numbers as nb

    scale = nb.column_scale(unit, [value])
    return scale.cell(value) + ("" if unit == "ratio" else "")


# ----------------------------------------------------------------------------- waterfall

@plain_text
def waterfall(bridge: dict[str, Any], title: str, path: Path, force: bool = False) -> None:
    """A waterfall of a bridge: start, one bar per contribution (largest first; those that round to
    nothing left out), end. The axis is zoomed on the levels the bars reach and every bar — the
    start and end included — is drawn whole from the axis floor, so nothing is clipped; each bar
    carries its value in the line's unit."""
    from cloudmodel import numbers as nb

    plt = _pyplot()
    unit = _line_unit(title)
    scale = max(abs(bridge["base"]), abs(bridge["new"]), 1e-12)
    rows = [r for r in sorted(bridge["rows"], key=lambda r: -abs(r["contribution"])) if abs(r["contribution"]) > 1e-9 * scale]
    labels = ["start"] + [str(r["driver"]) for r in rows] + ["end"]
    levels, level = [bridge["base"]], bridge["base"]
    for r in rows:
        level += r["contribution"]
        levels.append(level)
    levels.append(bridge["new"])
    low, high = min(levels), max(levels)
    span = max(high - low, abs(high) * 0.02, 1e-9)
    floor = 0.0 if low >= 0 and low < 3 * span else low - 0.6 * span
    fig, ax = plt.subplots(figsize=(max(6.5, 0.85 * len(labels)), 5))

    def text(x: float, y: float, value: str) -> None:
        ax.annotate(value, (x, y), textcoords="offset points", xytext=(0, 3), ha="center", va="bottom", fontsize=7)

    ax.bar(0, bridge["base"] - floor, bottom=floor, color=BASE_COLOUR)
    text(0, bridge["base"], nb.fmt(bridge["base"], unit) if unit else f"{bridge['base']:,.2f}")
    level = bridge["base"]
    for i, row in enumerate(rows, start=1):
        c = row["contribution"]
        ax.bar(i, c, bottom=level, color=UP if c >= 0 else DOWN)
        text(i, max(level, level + c), nb.change(c, unit) if unit else f"{c:+,.2f}")
        level += c
    ax.bar(len(labels) - 1, bridge["new"] - floor, bottom=floor, color=TOTAL)
    text(len(labels) - 1, bridge["new"], nb.fmt(bridge["new"], unit) if unit else f"{bridge['new']:,.2f}")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylim(floor, high + 0.25 * span)
    ax.set_ylabel(_axis_label(unit) + ("" if floor == 0 else " (axis does not start at 0)"))
    ax.axhline(bridge["base"], color=BASE_COLOUR, linewidth=0.6, linestyle=":", label="start (base)")
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    _save(fig, path, force)


def _line_unit(title: str) -> str:
    line = title.split(":")[0].split(" at ")[0].strip()
    return LINES[line].unit if line in LINES else ""


def _axis_label(unit: str) -> str:
    return {"RMB_mn": "RMB mn", "ratio": "ratio (0.10 = 10%)", "count": "count", "USD": "USD", "HKD": "HKD"}.get(unit, unit)


# ----------------------------------------------------------------------------- forecast

@plain_text
def forecast_chart(fc: Any, path: Path, force: bool = False) -> None:
    """Revenue mix by layer (stacked, RMB bn, totals labelled) and the EBITA margins (%), by
    fiscal year; reported years marked A."""
    from cloudmodel.present.render import periods_for

    plt = _pyplot()
    years = periods_for(fc, "year")
    marks = ["A" if fc.rows.basis(CLOUD_REVENUE, y) == "actual" else "E" for y in years]
    ticks = [f"{y}{m}" for y, m in zip(years, marks, strict=True)]
    fig, (mix, margins) = plt.subplots(1, 2, figsize=(12, 4.8))
    bottom = [0.0] * len(years)
    for label, key, colour in LAYERS:
        values = [_bn(fc.rows.get(f"cloud.revenue.{key}", y) or 0.0) for y in years]
        mix.bar(ticks, values, bottom=bottom, color=colour, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, total in enumerate(bottom):
        mix.annotate(f"{total:,.1f}", (x, total), ha="center", va="bottom", fontsize=8)
    mix.set_ylim(0, max(bottom) * 1.12)
    mix.set_ylabel("RMB bn")
    mix.set_title(f"Cloud revenue by layer (RMB bn), scenario {fc.meta['scenario']}")
    mix.legend(fontsize=7, loc="upper left")
    for label, line, colour in (("Cloud", EBITA_MARGIN, BASE_COLOUR),
                                *((lab, f"cloud.ebita_margin.{key}", col) for lab, key, col in LAYERS)):
        values = [fc.rows.get(line, y) for y in years]
        if any(v is None for v in values):
            continue
        pct = [100 * v for v in values]
        margins.plot(ticks, pct, marker="o", color=colour, label=label, linewidth=2.2 if label == "Cloud" else 1.0)
        if label == "Cloud":
            for x, v in enumerate(pct):
                margins.annotate(f"{v:.1f}%", (x, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    margins.axhline(0, color="#999999", linewidth=0.6)
    margins.set_ylabel("adjusted EBITA margin (%)")
    margins.set_title("Adjusted EBITA margin by layer (%)")
    margins.legend(fontsize=7, loc="best")
    fig.suptitle("A reported · E forecast", fontsize=8)
    fig.tight_layout()
    _save(fig, path, force)


@plain_text
def scenarios_chart(frame: Any, names: list[str], path: Path, force: bool = False) -> None:
    """Cloud revenue (RMB bn) and the target price per ADS (USD) by scenario and year; base marked."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, (line, unit) in zip(axes, ((CLOUD_REVENUE, "RMB bn"), (TARGET_USD, "USD")), strict=True):
        title = LINES[line].label
        part = frame.filter(frame["line"] == line)
        years = list(dict.fromkeys(part["period"].to_list()))
        width = 0.8 / max(len(names), 1)
        for i, name in enumerate(names):
            rows = {r["period"]: r["value"] for r in part.filter(part["scenario"] == name).iter_rows(named=True)}
            values = [(rows.get(y) or 0.0) / (1e3 if unit == "RMB bn" else 1) for y in years]
            xs = [x + (i - (len(names) - 1) / 2) * width for x in range(len(years))]
            base = name == "base"
            ax.bar(xs, values, width, label=name + (" (base)" if base else ""), color=BASE_COLOUR if base else None,
                   edgecolor="black" if base else None)
            for x, v in zip(xs, values, strict=True):
                ax.annotate(f"{v:,.1f}" if unit == "RMB bn" else f"{v:,.0f}", (x, v), ha="center", va="bottom", fontsize=6)
        ax.set_xticks(range(len(years)), years)
        ax.set_ylabel(unit)
        ax.set_title(f"{title} ({unit}) by scenario")
        top = max((v for v in part["value"].to_list() if v is not None), default=1) / (1e3 if unit == "RMB bn" else 1)
        ax.set_ylim(0, top * 1.15)
        ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path, force)


@plain_text
def tornado_chart(frame: Any, outputs: list[tuple[str, str]], path: Path, force: bool = False, top: int = 12) -> None:
    """A tornado per output: the output at each driver's low and high around the base (marked),
    largest swing on top, values labelled."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(outputs), figsize=(7 * len(outputs), 0.45 * top + 2), squeeze=False)
    for ax, (line, period) in zip(axes[0], outputs, strict=True):
        part = frame.filter((frame["line"] == line) & (frame["period"] == period)).head(top)
        unit = LINES[line].unit if line in LINES else ""
        k = 1e3 if unit == "RMB_mn" else 1.0
        label = {"RMB_mn": "RMB bn"}.get(unit, unit)
        base = part["output_base"][0] / k if part.height else 0.0
        rows = list(part.iter_rows(named=True))[::-1]
        for y, r in enumerate(rows):
            low, high = r["output_low"] / k, r["output_high"] / k
            ax.barh(y, low - base, left=base, color=DOWN if low < base else UP)
            ax.barh(y, high - base, left=base, color=UP if high >= base else DOWN)
            for v in (low, high):
                ax.annotate(f"{v:,.1f}", (v, y), ha="left" if v >= base else "right", va="center", fontsize=7)
        ax.axvline(base, color="black", linewidth=1, label=f"base {base:,.2f}")
        ax.set_yticks(range(len(rows)), [r["driver"] for r in rows], fontsize=7)
        ax.set_xlabel(label)
        ax.set_title(f"Tornado: {line} at {period} ({label})", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
        ax.margins(x=0.15)
    fig.tight_layout()
    _save(fig, path, force)


# ----------------------------------------------------------------------------- simulation

@plain_text
def fan_and_histogram(result: Any, path: Path, force: bool = False, history: Any = None, drivers: Any = None) -> None:
    """A fan chart of cloud revenue (RMB bn: p5–p95, p25–p75, median) after its reported history,
    and a histogram of the target price per ADS in the report's target year with the base case
    and the report's target marked."""
    import numpy as np

    from cloudmodel.present.defaults import target_year

    plt = _pyplot()
    year = target_year(drivers, history.last_quarter)
    stats = result.stats
    rows = stats.filter(stats["line"] == CLOUD_REVENUE).to_dicts()
    periods = sorted({r["period"] for r in rows})
    get = {(r["period"], r["stat"]): r["value"] / 1e3 for r in rows}
    fig, (fan, hist) = plt.subplots(1, 2, figsize=(12, 4.8))
    past = _reported_years(history, periods)
    labels = [p for p, _ in past] + periods
    x = np.arange(len(past), len(labels))
    if past:
        fan.plot(range(len(past)), [v for _, v in past], color="black", marker="o", label="reported")
        for i, (_, v) in enumerate(past):
            fan.annotate(f"{v:,.1f}", (i, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    fan.fill_between(x, [get[(p, "p5")] for p in periods], [get[(p, "p95")] for p in periods], alpha=0.25, color=UP, label="p5–p95")
    fan.fill_between(x, [get[(p, "p25")] for p in periods], [get[(p, "p75")] for p in periods], alpha=0.45, color=UP, label="p25–p75")
    median = [get[(p, "p50")] for p in periods]
    fan.plot(x, median, color=BASE_COLOUR, marker="o", label="median")
    for xi, v in zip(x, median, strict=True):
        fan.annotate(f"{v:,.1f}", (xi, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    fan.set_xticks(range(len(labels)), labels, fontsize=8)
    fan.set_ylabel("RMB bn")
    fan.set_title("Cloud revenue by fiscal year (RMB bn): reported, then simulated")
    fan.legend(loc="upper left", fontsize=7)
    key = (TARGET_USD, year)
    if key in result.samples:
        samples = np.asarray(result.samples[key])
        hist.hist(samples, bins=80, color=DOWN, alpha=0.8)
        base, target = _report_target(drivers)
        median_t = float(np.median(samples))
        hist.axvline(median_t, color=BASE_COLOUR, linestyle="--", label=f"median USD {median_t:,.2f}")
        if base is not None:
            hist.axvline(base, color="black", label=f"base USD {base:,.2f}")
        if target is not None:
            hist.axvline(target, color="#6a040f", linestyle=":", linewidth=2, label=f"report's target USD {target:,.2f}")
        hist.set_xlabel("USD per ADS")
        hist.set_ylabel("draws")
        hist.legend(fontsize=7)
        hist.set_title(f"Target price per ADS, {year} basis (USD)")
    fig.suptitle(f"{result.meta['draws']:,} draws, seed {result.meta['seed']}", fontsize=9)
    fig.tight_layout()
    _save(fig, path, force, dpi=110)


def _reported_years(history: Any, periods: list[str]) -> list[tuple[str, float]]:
    """Reported fiscal years of cloud revenue before the simulated ones (RMB bn), at most three."""
    if history is None or not periods:
        return []
    from cloudmodel.inputs.history import LINE_METRICS
    from cloudmodel.periods import fiscal_year_label

    quarterly = history.quarterly.get(LINE_METRICS[CLOUD_REVENUE], {})
    years: dict[str, list[float]] = {}
    for q in sorted(quarterly):
        label = fiscal_year_label(q)
        if label < periods[0]:
            years.setdefault(label, []).append(quarterly[q])
    return [(label, sum(v) / 1e3) for label, v in list(years.items())[-3:] if len(v) == 4]


def _report_target(drivers: Any = None) -> tuple[float | None, float | None]:
    """The base case's and the report's own target price per ADS (from the report's figures)."""
    from cloudmodel.model import forecast

    targets = forecast(drivers=drivers).targets
    rows = [r for r in targets.iter_rows(named=True)
            if r["line"] == TARGET_USD] if "line" in targets.columns else []
    if not rows:
        return None, None
    return rows[0]["model"], rows[0]["report"]
