"""Time and peak memory of every stage against the batch count.

    PYTHONPATH=. python benchmarks/bench_scale.py [--batches 16,128,512] [--time-limit 30] [--stages ...]

Each (batch count, stage) runs in a fresh subprocess, so its peak RSS (the
process's own high-water mark, `ru_maxrss`) belongs to that size and stage
alone; `cpu s` is its CPU time (threads summed, so cpsat's exceeds the wall
time), the figure to trust on a loaded machine. `base` is the peak after imports and building the Problem; `extra` is
what the stage added on top, and `B/op` divides it by the number of ops: a
constant B/op over the sizes means memory proportional to the instance.
Stages: npufirst, staggered, prism (the hill climber), validate and export
(of the npufirst schedule: reference pickle and JSON), cpsat (with the time limit).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("npufirst", "staggered", "prism", "validate", "export", "cpsat")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_s() -> float:
    """CPU seconds of this process: unlike wall time, barely moved by a loaded machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(batches: int, stage: str, time_limit: float) -> dict:
    """Run one stage on xception/grai (4 NPUs, 2 CPUs) in this process; its figures."""
    from prism_cp import Problem, solve, validate
    from prism_cp.io import load_platform, load_workload, write_reference_pickle, write_schedule_json

    problem = Problem(load_workload("xception"), load_platform("grai", npus=4, cpus=2), batches)
    problem.succs, problem.preds, problem.global_times, problem.indegree  # noqa: B018  the instance itself, in base
    if stage == "cpsat":
        import prism_cp.cpsat  # noqa: F401  OR-Tools belongs to the base
    base = peak_mb()
    t0, c0 = time.perf_counter(), cpu_s()
    lines: list[str] = []
    if stage in ("validate", "export"):
        result = solve(problem, "npufirst")
        t0, c0 = time.perf_counter(), cpu_s()
        if stage == "validate":
            assert validate(problem, result.schedule) == []
        else:
            with tempfile.TemporaryDirectory() as tmp:
                write_reference_pickle(Path(tmp) / "s.pkl", problem, result.schedule, result.mapping)
                write_schedule_json(Path(tmp) / "s.json", problem, result)
    else:
        options = {"time_limit": time_limit, "progress": lines.append} if stage == "cpsat" else {}
        result = solve(problem, stage, **options)
    seconds, cpu = time.perf_counter() - t0, cpu_s() - c0
    note = next((line.split("] ", 1)[1] for line in lines if "exceed" in line), "")
    return {"ops": problem.size, "seconds": seconds, "cpu_s": cpu, "base_mb": base, "peak_mb": peak_mb(), "makespan": result.makespan, "status": result.status, "note": note}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", default="16,128,512")
    ap.add_argument("--time-limit", type=float, default=30.0, help="cpsat stage: seconds")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--child", nargs=2, metavar=("BATCHES", "STAGE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.time_limit)))
        return 0
    print(f"{'batches':>7} {'ops':>7} {'stage':<10} {'seconds':>8} {'cpu s':>8} {'base MB':>8} {'peak MB':>8} {'extra MB':>9} {'B/op':>6} {'makespan us':>14}  status")
    for batches in map(int, args.batches.split(",")):
        for stage in args.stages.split(","):
            cmd = [sys.executable, __file__, "--child", str(batches), stage, "--time-limit", str(args.time_limit)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                print(f"{batches:>7} {'':>7} {stage:<10} FAILED: {done.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(done.stdout)
            extra = r["peak_mb"] - r["base_mb"]
            print(f"{batches:>7} {r['ops']:>7} {stage:<10} {r['seconds']:>8.2f} {r['cpu_s']:>8.2f} {r['base_mb']:>8.1f} {r['peak_mb']:>8.1f} {extra:>9.1f} "
                  f"{extra * 2**20 / r['ops']:>6.0f} {r['makespan']:>14.2f}  {r['status']} {r['note']}".rstrip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
