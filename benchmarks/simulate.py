"""Monte Carlo speed and memory, measured in one run.

1. One million draws of the full model (FY2025–FY2028), in-process after a warm-up: wall time.
2. The same model called as a single-scenario forecast once per draw in a Python loop: timed on
   1,000 draws (same drawn values) and scaled to one million → speed-up.
3. Peak memory (max RSS) of a fresh process running the 1M simulation, and of one running 10M
   draws (chunked: memory should stay flat).
Prints the figures and, as the last line,
``{"draws": …, "seconds": …, "speedup_vs_loop": …, "peak_mb": …, "seconds_10m": …, "peak_mb_10m": …}``.
Goals (issue 6): ≤ 3 s for 1M on a 2-core machine; speed-up ≥ 50×; peak ≤ 2 GB; flat memory at 10M.
Usage: python benchmarks/simulate.py [--quick]   (--quick skips the 10M run)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import numpy as np  # noqa: E402

import cloudmodel  # noqa: E402
from cloudmodel.analyses.simulate import inverse_cdf, simulate, specs_for  # noqa: E402
from cloudmodel.basis import prepare  # noqa: E402

CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
import cloudmodel
from cloudmodel.analyses.simulate import simulate
from cloudmodel.basis import prepare
basis = prepare()
start = time.perf_counter()
simulate(basis.drivers, basis.history, {draws}, seed=1, living=basis.living)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def child(draws: int) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), draws=draws)], capture_output=True,
                          text=True, check=True)
    seconds, peak = done.stdout.split()
    return float(seconds), float(peak)


def main() -> None:
    basis = prepare()  # the run simulate stands on: the drivers updated at the origin, the history then
    drivers, history = basis.drivers, basis.history
    simulate(drivers, history, 50_000, seed=0, living=basis.living)  # warm up imports and caches
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        simulate(drivers, history, 1_000_000, seed=1, living=basis.living)
        runs.append(time.perf_counter() - start)
    seconds = min(runs)

    specs = specs_for(drivers, history=history)
    u = np.random.default_rng(0).random((len(specs), 1_000))
    values = {s.driver: inverse_cdf(s, u[j]) for j, s in enumerate(specs)}
    start = time.perf_counter()
    for i in range(1_000):
        cloudmodel.forecast(basis=basis, overrides={k: float(v[i]) for k, v in values.items()})
    loop_1m = (time.perf_counter() - start) * 1_000

    _, peak = child(1_000_000)
    seconds_10m = peak_10m = None
    if "--quick" not in sys.argv:
        seconds_10m, peak_10m = child(10_000_000)
    print(f"1M draws: {seconds:.2f} s (best of 3: {', '.join(f'{r:.2f}' for r in runs)})")
    print(f"forecast in a loop: {loop_1m / 1e6 * 1e3:.2f} ms a draw → {loop_1m:,.0f} s for 1M; speed-up {loop_1m / seconds:,.0f}×")
    print(f"peak memory, 1M draws: {peak:,.0f} MB" + (f"; 10M draws: {peak_10m:,.0f} MB in {seconds_10m:.1f} s" if peak_10m else ""))
    print(json.dumps({"draws": 1_000_000, "seconds": round(seconds, 3), "speedup_vs_loop": round(loop_1m / seconds, 1),
                      "peak_mb": round(peak, 1), "seconds_10m": seconds_10m and round(seconds_10m, 2),
                      "peak_mb_10m": peak_10m and round(peak_10m, 1)}))


if __name__ == "__main__":
    main()
