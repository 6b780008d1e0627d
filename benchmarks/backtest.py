"""The rolling-origin backtest's wall time, against the import floor, measured in one run.

Times, alternately, in fresh processes: ``python -m cloudmodel backtest --format json`` (one step ahead
from every origin of the shipped history, FY2024Q1 → FY2026Q3: the model as ``forecast --origin O``
makes it, seasonal naive, the y/y carry, Holt–Winters fitted at each origin by statsmodels, their
combination and the consensus) on an **empty cache** (every origin's update fitted, every
Holt–Winters fit made, statsmodels imported) and on a warm one; and the import floor
(``python -c "import polars, pydantic, rich"``).

Prints the medians and, as the last line, ``{"cold_s": …, "warm_s": …, "floor_s": …, "runs": …}``.
Goal (issue 19): the rolling backtest over all origins ≤ 3 s (cold).   Usage: python benchmarks/backtest.py [RUNS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
FLOOR = [sys.executable, "-c", "import polars, pydantic, rich"]
BACKTEST = [sys.executable, "-m", "cloudmodel", "backtest", "--format", "json"]


def timed(command: list[str], cache: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV | {"CLOUDMODEL_CACHE_DIR": cache}, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="cloudmodel-bench-"))
    timed(FLOOR, str(folder / "c0"))
    timed(BACKTEST, str(folder / "c0"))  # the bytecode and the file cache
    cold, warm, floor = [], [], []
    for i in range(RUNS):
        cache = str(folder / f"c{i + 1}")
        cold.append(timed(BACKTEST, cache))
        warm.append(timed(BACKTEST, cache))
        floor.append(timed(FLOOR, cache))
    c, w, f = (statistics.median(x) for x in (cold, warm, floor))
    print(f"backtest, empty cache: median {c * 1000:.0f} ms over {RUNS} runs")
    print(f"backtest, warm cache:  median {w * 1000:.0f} ms")
    print(f"import polars, pydantic, rich: median {f * 1000:.0f} ms")
    print(json.dumps({"cold_s": round(c, 3), "warm_s": round(w, 3), "floor_s": round(f, 3), "goal_s": 3.0, "runs": RUNS}))


if __name__ == "__main__":
    main()
