"""A full tornado against one forecast, timed in the same process and run.

The tornado moves every ranged driver to its low and its high (two cases each) and evaluates
both default outputs (FY2026 cloud revenue and the target price per ADS) in one batched run of
the vectorised layers. One forecast is ``cloudmodel.forecast()`` with the same drivers loaded.
Prints the medians and, as the last line, ``{"ratio": tornado ÷ forecast, …}``.
Goal (issue 5): ratio ≤ 10.   Usage: python benchmarks/sensitivity.py [REPEATS]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import cloudmodel  # noqa: E402
from cloudmodel.analyses.whatif import _moves, tornado  # noqa: E402
from cloudmodel.inputs.history import load_history  # noqa: E402

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def median_time(func) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    drivers = cloudmodel.load_drivers()
    history = load_history()
    outputs = [("cloud.revenue", "FY2026"), ("valuation.target.usd_per_ads", "FY2026")]
    cloudmodel.forecast(drivers=drivers, history=history)  # warm up imports
    tornado(drivers, history, outputs)
    one = median_time(lambda: cloudmodel.forecast(drivers=drivers, history=history))
    full = median_time(lambda: tornado(drivers, history, outputs))
    n = len(_moves(drivers, False))
    print(f"one forecast: {one * 1000:.1f} ms; tornado over {n} ranged drivers ({2 * n} cases, 2 outputs): {full * 1000:.1f} ms")
    print(json.dumps({"ratio": round(full / one, 3), "tornado_s": round(full, 4), "forecast_s": round(one, 4),
                      "ranged_drivers": n, "repeats": REPEATS}))


if __name__ == "__main__":
    main()
