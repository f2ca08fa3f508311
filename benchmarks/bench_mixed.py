"""Mixes of apps on grai / 4 NPUs + 2 CPUs: measure every algorithm on the example workload files.

    PYTHONPATH=. python benchmarks/bench_mixed.py [--time-limit 60] [--workers 2] [--only finite]

Mix A is models/mixes/perception.toml (xception at 5/s, mobilenetv2 at 20/s),
mix B models/mixes/classifiers.toml (resnet50 + mobilenetv2 near 80% load).
Each mix is first described: its apps, its load (the work-split bound of one
hyperperiod's inferences over the hyperperiod, `period_bound`).

Section `finite`: the files' finite run (2 hyperperiods) with every
algorithm: deadline misses, makespan, wall and CPU time of the `solve` call
(bound and validation included; CPU time sums CP-SAT's threads and is the
figure to trust on a loaded machine), and per app the max and mean latency.
Target: cpsat (with --time-limit) never has more misses than the best
heuristic on the same mix, this run.

Section `verdict`: each mix's schedulability verdict (`mix_verdict`) and
its time, with the witness's per-app latencies.

Section `sweep`: `prism-cp sweep --workloads` over mix A, NPUs 1-8 x CPUs
1-4, and mix B, NPUs 1-4 x CPUs 1-4 (--sweep-time-limit per verdict): the
time each took, its verdicts and the smallest schedulable core counts.

Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from collections import Counter
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Callable

from prism_cp import Platform, Problem, Result, solve
from prism_cp.io import load_platform
from prism_cp.latency import misses
from prism_cp.mix import Mix, app_reports, load_mix, mix_problem
from prism_cp.solve import algorithms, mix_verdict
from prism_cp.steady.bound import period_bound
from prism_cp.steady.hyper import hyper_problem

MIXES = Path(__file__).resolve().parent.parent / "models" / "mixes"
FILES = {"A": MIXES / "perception.toml", "B": MIXES / "classifiers.toml"}


def grai() -> Platform:
    return load_platform("grai", npus=4, cpus=2)


def load(mix: Mix, platform: Platform) -> tuple[Problem, Fraction, float]:
    """One hyperperiod's inferences, the hyperperiod (us) and their
    work-split bound over it: above 1, no schedule keeps up with the arrivals."""
    one, hyper = hyper_problem(mix, platform)
    return one, hyper, float(period_bound(one).ticks * one.clock / hyper)


def describe(label: str, mix: Mix, platform: Platform) -> None:
    """Print the mix's apps, hyperperiod and load."""
    named = {a.name: a.name if a.name == a.workload.name else f"{a.name} ({a.workload.name})" for a in mix.apps}
    apps = ", ".join(f"{named[a.name]} x{a.count} every {a.period_us:g} us, deadline {a.deadline_us:g} us" for a in mix.apps)
    print(f"mix {label} ({FILES[label].name}): {apps}")
    one, hyper, fraction = load(mix, platform)
    print(f"  hyperperiod {float(hyper):g} us ({len(one.groups)} inferences, {one.n_ops} ops), "
          f"load {fraction:.4f} (work-split bound of one hyperperiod / hyperperiod)")


def timed(run: Callable[[], Result]) -> tuple[Result, float, float]:
    """The result, wall s and CPU s (all threads) of `run`."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def finite(args: argparse.Namespace) -> bool:
    """Every algorithm on each mix's finite run; the misses target, per mix and overall."""
    platform = grai()
    met = True
    for label, path in FILES.items():
        mix = load_mix(path)
        describe(label, mix, platform)
        problem = mix_problem(mix, platform)
        latency_heads = "".join(f" {a.name + ' max/mean ms':>26}" for a in mix.apps)
        print(f"  {'algorithm':10} {'misses':>6} {'makespan us':>12} {'status':9} {'wall s':>7} {'cpu s':>7}{latency_heads}")
        missed: dict[str, int] = {}
        for algorithm in algorithms():
            options = {"time_limit": args.time_limit, "workers": args.workers} if algorithm == "cpsat" else {}
            r, wall, cpu = timed(partial(solve, problem, algorithm, seed=args.seed, **options))
            missed[algorithm] = misses(problem, r.schedule)
            latencies = "".join(f" {rep.max_latency_us / 1000:12.2f} / {rep.mean_latency_us / 1000:11.2f}" for rep in app_reports(problem, r.schedule))
            print(f"  {algorithm:10} {missed[algorithm]:6d} {r.makespan:12.1f} {r.status:9} {wall:7.2f} {cpu:7.2f}{latencies}", flush=True)
        best = min(n for a, n in missed.items() if a != "cpsat")
        ok = missed["cpsat"] <= best
        met = met and ok
        tied = ", ".join(a for a, n in missed.items() if a != "cpsat" and n == best)
        print(f"  mix {label}: cpsat {missed['cpsat']} misses, best heuristic {best} ({tied}): {'met' if ok else 'NOT MET'}\n")
    print(f"cpsat never more misses than the best heuristic ({args.time_limit:g} s): {'met' if met else 'NOT MET'}")
    return met


def verdict(args: argparse.Namespace) -> bool:
    """Each mix's schedulability verdict on grai 4 + 2 (`mix_verdict`, with
    --time-limit): the verdict, its reason, its time, and per app the
    latencies of the witness unrolled and replayed. Target: a verdict other
    than unknown (schedulable or not, with its evidence)."""
    platform = grai()
    met = True
    for label, path in FILES.items():
        mix = load_mix(path)
        describe(label, mix, platform)
        v = mix_verdict(mix, platform, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
        print(f"  verdict: {v.verdict} in {v.wall_s:.2f} s ({v.found.reason})")
        if v.schedule is not None:
            print(f"  witness checked over {v.hyperperiods} hyperperiods: {v.misses} of {len(v.problem.groups)} inferences missed")
            for rep in v.apps:
                print(f"    {rep.app}: latency max {rep.max_latency_us / 1000:.2f} ms, mean {rep.mean_latency_us / 1000:.2f} ms, {rep.misses} missed")
        met = met and v.verdict != "unknown"
    print(f"every mix gets a verdict with its evidence: {'met' if met else 'NOT MET'}\n")
    return met


#: the core counts each mix is swept over: mix A as the target asks, mix B where it turns from overloaded to schedulable
SWEEPS = {"A": ("1-8", "1-4"), "B": ("1-4", "1-4")}


def sweep(args: argparse.Namespace) -> bool:
    """`prism-cp sweep --workloads` over each mix on grai (SWEEPS core
    counts), --sweep-time-limit per verdict, 2 local processes, into a fresh
    database: its wall time, the verdicts it recorded (from its CSV export)
    and the smallest schedulable core counts it prints. Target: the sweep of
    mix A names them."""
    met = True
    for label, (npus, cpus) in SWEEPS.items():
        with tempfile.TemporaryDirectory() as scratch:
            db, csv_path = Path(scratch) / "sweep.db", Path(scratch) / "sweep.csv"
            command = [sys.executable, "-m", "prism_cp", "sweep", "--workloads", str(FILES[label]), "--npus", npus, "--cpus", cpus,
                       "--time-limit", f"{args.sweep_time_limit:g}", "--jobs", "2", "--seed", str(args.seed), "--db", str(db),
                       "--export", str(csv_path), "--quiet"]
            wall = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - wall
            with csv_path.open() as f:
                verdicts = Counter(row["verdict"] for row in csv.DictReader(f))
        smallest = [line for line in done.stderr.splitlines() + done.stdout.splitlines() if "smallest schedulable" in line]
        print(f"mix {label} sweep over NPUs {npus} x CPUs {cpus} ({args.sweep_time_limit:g} s per verdict, 2 processes): {wall:.1f} s; "
              + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())))
        for line in smallest:
            print(f"  {line}")
        if label == "A":
            met = bool(smallest)
            print(f"the sweep of mix A names the smallest schedulable core counts: {'met' if met else 'NOT MET'}")
    print()
    return met


SECTIONS: dict[str, Callable[[argparse.Namespace], bool]] = {"finite": finite, "verdict": verdict, "sweep": sweep}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0, help="cpsat's time limit per mix (s)")
    ap.add_argument("--sweep-time-limit", type=float, default=10.0, help="section sweep: seconds per verdict")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", nargs="+", choices=sorted(SECTIONS), default=list(SECTIONS), help="the sections to run (default: all)")
    args = ap.parse_args()
    met = [SECTIONS[name](args) for name in SECTIONS if name in args.only]
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
