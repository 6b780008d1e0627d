"""Charts (matplotlib, imported only here, only when a chart is asked for)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .output import write_atomic


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def waterfall(bridge: dict[str, Any], title: str, path: Path, force: bool = False) -> None:
    """A waterfall of a bridge: start, one bar per contribution, end."""
    plt = _pyplot()
    rows = sorted(bridge["rows"], key=lambda r: -abs(r["contribution"]))
    labels = ["start"] + [r["driver"] for r in rows] + ["end"]
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(labels)), 4.5))
    level = bridge["base"]
    ax.bar(0, level, color="#888888")
    for i, row in enumerate(rows, start=1):
        c = row["contribution"]
        ax.bar(i, c, bottom=level, color="#2a9d8f" if c >= 0 else "#e76f51")
        level += c
    ax.bar(len(labels) - 1, bridge["new"], color="#444444")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    low = min(bridge["base"], bridge["new"], level)
    high = max(bridge["base"], bridge["new"])
    span = max(high - low, abs(high) * 0.05, 1e-9)
    ax.set_ylim(low - span * 0.5, high + span * 0.5)
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, format="png", dpi=120), force, "--plot")
    plt.close(fig)


def fan_and_histogram(result: Any, path: Path, force: bool = False) -> None:
    """A fan chart of cloud revenue (p5–p95, p25–p75, median) and a histogram of the FY2026
    target price per ADS, side by side."""
    import numpy as np

    plt = _pyplot()
    stats = result.stats
    rows = stats.filter(stats["line"] == "cloud.revenue").to_dicts()
    periods = sorted({r["period"] for r in rows})
    get = {(r["period"], r["stat"]): r["value"] / 1e3 for r in rows}
    x = np.arange(len(periods))
    fig, (fan, hist) = plt.subplots(1, 2, figsize=(11, 4.5))
    fan.fill_between(x, [get[(p, "p5")] for p in periods], [get[(p, "p95")] for p in periods], alpha=0.25, color="#2a9d8f", label="p5–p95")
    fan.fill_between(x, [get[(p, "p25")] for p in periods], [get[(p, "p75")] for p in periods], alpha=0.45, color="#2a9d8f", label="p25–p75")
    fan.plot(x, [get[(p, "p50")] for p in periods], color="#1d3557", label="median")
    fan.set_xticks(x, periods)
    fan.set_ylabel("RMB bn")
    fan.set_title("Cloud revenue")
    fan.legend(loc="upper left", fontsize=8)
    key = ("valuation.target.usd_per_ads", "FY2026")
    if key in result.samples:
        hist.hist(result.samples[key], bins=80, color="#e76f51")
        hist.set_title("Target price per ADS, FY2026 basis (USD)")
    fig.suptitle(f"{result.meta['draws']:,} draws, seed {result.meta['seed']}", fontsize=9)
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, format="png", dpi=110), force, "--plot")
    plt.close(fig)
