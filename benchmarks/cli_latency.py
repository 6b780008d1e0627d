"""Start-up latency of the main machine-readable command, against the libraries it stands on.

Times ``python -m cloudmodel forecast --format json`` and ``python -c "import polars, pydantic,
rich"`` alternately in the same run (so both see the same machine load), takes the median of
each and prints, as the last line, ``{"ratio": …}`` with the medians.
Goal (issues 3 and 10): ratio ≤ 1.3.   Usage: python benchmarks/cli_latency.py [RUNS]

The baseline is the libraries the command line stands on: polars (the tables), pydantic (the
driver files' validation) and rich (the terminal tables). typer was part of it until the CLI
moved to its own declarative layer over the standard library's argparse (issue 10): typer is
no longer imported, so it is no longer in the baseline — a stricter goal, since its start-up
no longer pads the baseline.

Both commands run as an installed package does: with its bytecode compiled once (pip compiles it
at install). An environment that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise make every run
recompile cloudmodel's modules (the libraries in the baseline are installed with their bytecode),
timing the compiler rather than the start-up; the script unsets it for its own runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 21
FORECAST = [sys.executable, "-m", "cloudmodel", "forecast", "--format", "json"]
BASELINE = [sys.executable, "-c", "import polars, pydantic, rich"]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    timed(FORECAST)  # warm the file cache, the bytecode and the validated-driver cache once
    timed(BASELINE)
    forecast, baseline = [], []
    for _ in range(RUNS):
        forecast.append(timed(FORECAST))
        baseline.append(timed(BASELINE))
    f, b = statistics.median(forecast), statistics.median(baseline)
    print(f"forecast --format json: median {f * 1000:.1f} ms over {RUNS} runs")
    print(f"import polars, pydantic, rich: median {b * 1000:.1f} ms")
    print(json.dumps({"ratio": round(f / b, 3), "forecast_s": round(f, 4), "baseline_s": round(b, 4), "runs": RUNS}))


if __name__ == "__main__":
    main()
