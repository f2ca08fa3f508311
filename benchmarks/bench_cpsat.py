"""Quality targets of the CP-SAT engine: measure and print them.

    PYTHONPATH=. python benchmarks/bench_cpsat.py [--time-limit 60] [--workers 2] [--only b16]

Each case runs `solve(problem, 'cpsat', ...)` in this process and prints the
makespan, the proven bound, the status, the wall time and whether the target
is met. Then the whole CLI process is timed against short --time-limit values
(it must exit within the limit plus 5%, start-up included). Exit status 1 if
a target is missed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from prism_cp import Problem, Result, Status, solve
from prism_cp.io import load_platform, load_workload
from prism_cp.io.stg import load_stg, stg_platform

STG = Path(__file__).resolve().parent.parent / "tests" / "data" / "rand0000.stg"


Check = Callable[[Result, float], bool]  # (result, wall s) -> target met


@dataclass(frozen=True)
class Case:
    name: str
    problem: Callable[[], Problem]
    target: Callable[[Problem], tuple[str, Check]]  # the target's text and its check


def xception(nbatch: int) -> Callable[[], Problem]:
    return lambda: Problem(load_workload("xception"), load_platform("grai", npus=4, cpus=2), nbatch)


def stg(cpus: int) -> Callable[[], Problem]:
    return lambda: Problem(load_stg(STG), stg_platform(cpus), 1)


def fixed(text: str, check: Check) -> Callable[[Problem], tuple[str, Check]]:
    return lambda problem: (text, check)


def proven_within(optimum: float, seconds: float) -> Callable[[Problem], tuple[str, Check]]:
    return fixed(f"{optimum:g} proven in <= {seconds:g} s", lambda r, wall: r.status == Status.OPTIMAL and r.makespan == optimum and wall <= seconds)


def beats(algorithm: str) -> Callable[[Problem], tuple[str, Check]]:
    """Strictly better than `algorithm`'s makespan, measured in this run."""

    def target(problem: Problem) -> tuple[str, Check]:
        reference = solve(problem, algorithm).makespan
        return f"< {reference:.2f} ({algorithm}, this run)", lambda r, wall: r.makespan < reference

    return target


CASES = [
    Case("xception b1", xception(1), fixed("OPTIMAL in <= 5 s", lambda r, wall: r.status == Status.OPTIMAL and wall <= 5)),
    Case("xception b2", xception(2), fixed("OPTIMAL in <= 5 s", lambda r, wall: r.status == Status.OPTIMAL and wall <= 5)),
    Case("xception b4", xception(4), beats("prism")),
    Case(
        "xception b16",
        xception(16),
        fixed("<= 1013000 and bound >= 975000 (stretch <= 990000)", lambda r, wall: r.makespan <= 1_013_000 and r.lower_bound >= 975_000),
    ),
    Case("rand0000 2 cpus", stg(2), proven_within(131, 10)),
    Case("rand0000 4 cpus", stg(4), proven_within(66, 10)),
    Case("rand0000 8 cpus", stg(8), proven_within(55, 10)),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", default="", help="run only cases whose name contains this text")
    ap.add_argument("--verbose", action="store_true", help="print the engine's progress lines")
    args = ap.parse_args()
    missed = 0
    print(f"{'case':18} {'makespan us':>14} {'bound us':>14} {'gap %':>7} {'status':9} {'wall s':>7}  target")
    for case in CASES:
        if args.only not in case.name:
            continue
        problem = case.problem()
        text, met = case.target(problem)
        t0 = time.perf_counter()
        r = solve(problem, "cpsat", seed=args.seed, time_limit=args.time_limit, workers=args.workers, progress=print if args.verbose else None)
        wall = time.perf_counter() - t0
        ok = met(r, wall)
        missed += not ok
        print(f"{case.name:18} {r.makespan:14.2f} {r.lower_bound:14.2f} {100 * r.gap:7.3f} {r.status:9} {wall:7.2f}  {text}: {'met' if ok else 'MISSED'}", flush=True)
    if not args.only:
        missed += time_limit_compliance()
    return 1 if missed else 0


def time_limit_compliance(limits: tuple[float, ...] = (2.0, 10.0)) -> int:
    """Wall time of `prism-cp schedule -a cpsat` as a whole process; misses counted."""
    missed = 0
    for limit in limits:
        with tempfile.TemporaryDirectory() as results:
            cmd = [sys.executable, "-m", "prism_cp", "schedule", "-a", "cpsat", "--time-limit", str(limit), "--quiet", "--results-dir", results]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
        ok = wall <= 1.05 * limit
        missed += not ok
        print(f"CLI process, --time-limit {limit:g}: {wall:.2f} s wall  (<= {1.05 * limit:.2f}): {'met' if ok else 'MISSED'}", flush=True)
    return missed


if __name__ == "__main__":
    sys.exit(main())
