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


def waterfall(bridge: dict[str, Any], title: str, path: Path) -> None:
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
    write_atomic(path, lambda p: fig.savefig(p, format="png", dpi=120))
    plt.close(fig)
