"""How long it takes to look at the 16-batch PRISM schedule of xception (2,144
ops on grai, 4 NPUs + 2 CPUs): a Gantt chart in each format, a trace, a model summary.

Run: `python benchmarks/bench_views.py [--repeats N]` (needs the extra `plot`).
Prints the median wall time of each view and the size of the file it wrote.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from prism_cp import Problem, solve
from prism_cp.io import load_platform, load_workload
from prism_cp.summary import summarize
from prism_cp.views import plot_gantt, timeline_of, write_trace


def median_s(make: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        make()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    workload, platform = load_workload("xception"), load_platform("grai")
    problem = Problem(workload, platform, 16)
    timeline = timeline_of(problem, solve(problem, "prism"))
    print(f"xception prism schedule, 16 batches: {timeline.size} ops; median of {repeats}")
    print(f"{'view':<22} {'seconds':>8} {'file bytes':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in [
            *[(f"gantt {ext}", lambda ext=ext: plot_gantt(timeline, Path(tmp) / f"g.{ext}")) for ext in ("png", "svg", "pdf")],
            ("trace json", lambda: write_trace(timeline, Path(tmp) / "t.json")),
            ("show (load, bounds)", lambda: summarize(load_workload("xception"), platform, (1, 16))),
        ]:
            seconds = median_s(make, repeats)
            out = make()
            size = f"{out.stat().st_size:>11,}" if isinstance(out, Path) else f"{'':>11}"
            print(f"{name:<22} {seconds:>8.3f} {size}")


if __name__ == "__main__":
    main()
