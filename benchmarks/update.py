"""The quarterly update's wall time, against the import floor, measured in one run.

Times, alternately (so both see the same machine load), in fresh processes:

1. ``python -m cloudmodel update --origin FY2025Q3 --actuals F --format json`` with F the five quarters
   reported since the report's origin (cloud revenue and adjusted EBITA, FY2025Q4–FY2026Q4, written from
   the shipped history), each run on an **empty cache**: the drivers validated, the update at the origin
   and the one on the file fitted (MAP, Laplace), the bridge run — everything a first run does;
2. the same with the cache warm (a second run on the same file);
3. the import floor: ``python -c "import polars, pydantic, rich"``.

Prints the medians and, as the last line, ``{"cold_s": …, "warm_s": …, "floor_s": …, "runs": …}``.
Goal (issue 18): the update ≤ 1 s (cold).   Usage: python benchmarks/update.py [RUNS]
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
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
FLOOR = [sys.executable, "-c", "import polars, pydantic, rich"]


def actuals_file(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from cloudmodel.basis import prepare
    from cloudmodel.inputs.history import load_history
    from cloudmodel.periods import quarter_label

    history = load_history()
    origin = prepare(history=history, origin="report").origin
    path = folder / "since_the_report.csv"
    rows = ["period,line,value"]
    for q in range(origin + 1, history.last_quarter + 1):
        rows.append(f"{quarter_label(q)},cloud.revenue,{history.quarterly['cloud_revenue_rmb_mn'][q]}")
        rows.append(f"{quarter_label(q)},cloud.ebita,{history.quarterly['cloud_adj_ebita_rmb_mn'][q]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def timed(command: list[str], cache: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV | {"CLOUDMODEL_CACHE_DIR": cache}, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="cloudmodel-bench-"))
    update = [sys.executable, "-m", "cloudmodel", "update", "--origin", "FY2025Q3", "--actuals",
              str(actuals_file(folder)), "--format", "json"]
    timed(FLOOR, str(folder / "c0"))  # warm the file cache and the bytecode
    timed(update, str(folder / "c0"))
    cold, warm, floor = [], [], []
    for i in range(RUNS):
        cache = str(folder / f"c{i + 1}")  # a cache that does not exist yet: a first run
        cold.append(timed(update, cache))
        warm.append(timed(update, cache))
        floor.append(timed(FLOOR, cache))
    c, w, f = (statistics.median(x) for x in (cold, warm, floor))
    print(f"update, empty cache: median {c * 1000:.0f} ms over {RUNS} runs")
    print(f"update, warm cache:  median {w * 1000:.0f} ms")
    print(f"import polars, pydantic, rich: median {f * 1000:.0f} ms")
    print(json.dumps({"cold_s": round(c, 3), "warm_s": round(w, 3), "floor_s": round(f, 3),
                      "cold_over_floor": round(c / f, 2), "goal_s": 1.0, "runs": RUNS}))


if __name__ == "__main__":
    main()
