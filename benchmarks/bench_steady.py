"""Steady-state targets on xception / grai / 4 NPUs + 2 CPUs: measure and print them.

    PYTHONPATH=. python benchmarks/bench_steady.py [--time-limit 30] [--workers 2]

Prints the period bound (work-split LP with tick rounding) and, for unroll 1
and 2, the periodic schedule's period, gap, latency and the period measured
by replaying it over many batches, next to the reference-style npufirst
average over batch sizes 2..128; then the least period meeting a latency
deadline, and the latency placement alone reaches at a few longer periods.
Target: a validated periodic schedule within 2% of the bound
(its measured period equal to its period). Exit status 1 if missed.
"""

from __future__ import annotations

import argparse
import sys
import time

from prism_cp import Problem, Status, solve
from prism_cp.bounds import critical_path_bound
from prism_cp.io import load_platform, load_workload
from prism_cp.solve import steady_state
from prism_cp.steady.modulo import pack
from prism_cp.steady.placement import place
from prism_cp.steady.unroll import check

TARGET_GAP = 0.02
SIZES = (2, 4, 8, 16, 32, 64, 128)
TRADE_OFF = (650, 800, 1500)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    workload, platform = load_workload("xception"), load_platform("grai", npus=4, cpus=2)
    one = Problem(workload, platform, 1)
    average = sum(solve(Problem(workload, platform, n), "npufirst").makespan / n for n in SIZES) / len(SIZES)
    print(f"reference-style npufirst average over {SIZES}: {average:.2f} us per batch")
    met = True
    for unroll in (1, 2):
        t0 = time.perf_counter()
        state = steady_state(one, unroll=unroll, time_limit=args.time_limit, workers=args.workers)
        wall = time.perf_counter() - t0
        s = state.summary()
        ok = state.status in (Status.OPTIMAL, Status.FEASIBLE) and s["gap"] <= TARGET_GAP and s["measured_period_us"] == s["period_us"]
        met = met and ok
        print(
            f"unroll {unroll}: bound {s['bound_period_us']:.2f} us ({s['bottleneck']}), period {s['period_us']:.2f} us "
            f"(least for this unroll: {s['least_period']}), gap {100 * s['gap']:.3f} %, measured {s['measured_period_us']:.2f} us "
            f"over {s['checked_batches']} batches, latency {s['latency_us']:.2f} us, {wall:.1f} s: "
            f"{'met' if ok else 'NOT met'} (within {100 * TARGET_GAP:g} % of the bound, measured = period)"
        )
    for period in TRADE_OFF:  # latency of modulo schedules at longer periods (ticks)
        _, cores = pack(one, period, 1, time_limit=args.time_limit / 4, workers=args.workers)
        measured = check(one, place(one, period, 1, cores), 50)
        print(f"period {period * one.clock} us: measured latency {measured.max_latency_us:.2f} us (placement only, no CP-SAT)")
    deadline = 2 * critical_path_bound(one)
    t0 = time.perf_counter()
    state = steady_state(one, deadline_us=deadline, time_limit=args.time_limit, workers=args.workers)
    s = state.summary()
    print(
        f"deadline {deadline:.2f} us (2 x critical path): period {s['period_us']:.2f} us, latency {s['latency_us']:.2f} us, "
        f"gap {100 * s['gap']:.2f} %, {time.perf_counter() - t0:.1f} s"
    )
    print("target:", "met" if met else "NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
