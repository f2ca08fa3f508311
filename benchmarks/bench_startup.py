"""The start-up bound on xception against a real schedule: measure and print.

    PYTHONPATH=. python benchmarks/bench_startup.py [--npus 4] [--cpus 2] [--batches 16] [--time-limit 60] [--per-window 10]

Solves with cpsat, then for each default window end t prints U(t) (at most
how much CPU-only work any schedule does before t) by the columns and by the
CP-SAT relaxation, each given --per-window seconds, next to the CPU-only work
the schedule found really does before t, and the start-up bound with both.
U(t) below the schedule's work would be a false bound: exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time

from prism_cp import Problem, solve
from prism_cp.bounds import lower_bound
from prism_cp.cpsat.startup_bound import default_windows, early_cpu_work, early_work_bound, startup_bound
from prism_cp.cpsat.startup_columns import early_work_columns
from prism_cp.io import load_platform, load_workload


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npus", type=int, default=4)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--batches", type=int, default=16)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--per-window", type=float, default=10.0)
    args = ap.parse_args()
    problem = Problem(load_workload("xception"), load_platform("grai", npus=args.npus, cpus=args.cpus), args.batches)
    result = solve(problem, "cpsat", time_limit=args.time_limit)
    print(f"xception on grai {args.npus}x{args.cpus} b{args.batches}: cpsat {args.time_limit:g} s -> {result.makespan:.2f} us")
    windows = default_windows(problem)
    print(f"window  U columns (s)   U cp-sat (s)   schedule's work   {args.per_window:g} s per window")
    false = 0
    for t in windows:
        t0 = time.perf_counter()
        columns = early_work_columns(problem, t, t0 + args.per_window)
        t1 = time.perf_counter()
        cpsat = early_work_bound(problem, t, t1 + args.per_window, 1)
        t2 = time.perf_counter()
        done = early_cpu_work(problem, result.schedule, t)
        false += min(columns, cpsat) < done
        print(f"{t:6d}  {columns:4d} ({t1 - t0:5.1f})   {cpsat:4d} ({t2 - t1:5.1f})   {done:15d}")
    bound = startup_bound(problem, deadline=time.perf_counter() + 2 * args.per_window * len(windows), windows=windows)
    print(f"start-up bound {bound:.2f} us (analytic {lower_bound(problem):.2f}); gap of the schedule {(result.makespan - bound) / result.makespan:.3%}")
    print("U below a real schedule's work:", false or "never")
    return 1 if false else 0


if __name__ == "__main__":
    sys.exit(main())
