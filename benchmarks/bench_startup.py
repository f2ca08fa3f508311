"""The start-up bound on xception against a real schedule: measure and print.

    PYTHONPATH=. python benchmarks/bench_startup.py [--npus 4] [--cpus 2] [--batches 16] [--time-limit 60] [--per-window 10]
        [--cap-windows 600 900] [--cap-time 120]

Solves with cpsat, then for each default window end t prints U(t) (at most
how much CPU-only work any schedule does before t) by the columns and by the
CP-SAT relaxation, each given --per-window seconds, next to the CPU-only work
the schedule found really does before t, and the start-up bound with both.
U(t) below the schedule's work would be a false bound: exit status 1.

With --cap-windows, it also shows how much any bound from each of those
windows could ever prove: it searches the CP-SAT relaxation for solutions
(hinted with the schedule found) and completes the best into a real,
validated schedule; its CPU-only work before t, or the schedule found's
where more, is at most the exact U(t), so no start-up bound from window t
can exceed the bound that work gives (the cap). The same schedules cap
every window up to the last one given; the largest of those caps is printed.
"""

from __future__ import annotations

import argparse
import sys
import time

from ortools.sat.python import cp_model

from prism_cp import Problem, Schedule, solve
from prism_cp.bounds import lower_bound, op_timing
from prism_cp import interruptible
from prism_cp.heuristics.justify import forward
from prism_cp.cpsat.model import sort_batches
from prism_cp.bounds.startup import default_windows, early_cpu_work, early_work_bound, early_work_model, startup_bound, window_bound
from prism_cp.bounds.startup_columns import early_work_columns
from prism_cp.io import load_platform, load_workload


def early_start(problem: Problem, window: int, hint: Schedule, seconds: float) -> Schedule | None:
    """A real schedule that starts as the best solution of the U(window)
    relaxation found in `seconds` (hinted with `hint`): its early ops in the
    order and on the core types the solver gave them, then the others in
    order of head, each as early as it fits (the forward pass, exact
    occupancies, validated); None if no solution is found."""
    n, clock = problem.n_ops, problem.clock
    built = early_work_model(problem, window)
    hint = sort_batches(problem, hint)  # the relaxation orders batches by their first op's start
    for g, start in built.start.items():
        tick = hint.start[g] // clock
        early = tick < window
        built.model.add_hint(start, tick if early else window - 1)
        built.model.add_hint(built.early[g], early)
        types = problem.allowed(g % n)
        if len(types) > 1:  # a single type's flag is the early flag itself, hinted already
            for c in types:
                built.model.add_hint(built.on[g, c], early and hint.core_type[g] == c)
    solver = interruptible.new_solver(seconds, 2)
    if interruptible.solve(solver, built.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    early = sorted((g for g in built.start if solver.boolean_value(built.early[g])), key=lambda g: (solver.value(built.start[g]), g))
    chosen = set(early)
    head, ticks = op_timing(problem).head, problem.min_ticks

    def home(g: int) -> str:  # the solver's type for an early op, the fastest for the others
        if g in chosen:
            return next(c for c in problem.allowed(g % n) if solver.boolean_value(built.on[g, c]))
        return min(problem.allowed(g % n), key=lambda c: ticks[c][g % n])

    rest = sorted((g for g in range(problem.size) if g not in chosen), key=lambda g: (head[g % n], g))
    return forward(problem, early + rest, [home(g) for g in range(problem.size)], None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npus", type=int, default=4)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--batches", type=int, default=16)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--per-window", type=float, default=10.0)
    ap.add_argument("--cap-windows", type=int, nargs="*", default=[], help="window ends (ticks) to cap; none by default")
    ap.add_argument("--cap-time", type=float, default=120.0, help="seconds of search per capped window")
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
    starts = [result.schedule]
    for t in args.cap_windows:
        start = early_start(problem, t, result.schedule, args.cap_time)
        if start is None:
            print(f"window {t}: no solution of the relaxation in {args.cap_time:g} s")
            continue
        starts.append(start)
        done, found = early_cpu_work(problem, start, t), early_cpu_work(problem, result.schedule, t)
        print(f"window {t}: a real schedule ({start.makespan:.2f} us) does {done} ticks of CPU-only work before it "
              f"(the schedule found: {found}); no bound from this window exceeds {window_bound(problem, t, max(done, found)):.2f} us")
    if args.cap_windows:
        # every window up to the last capped one, each capped by the real schedule doing the most before it
        cap = {t: window_bound(problem, t, max(early_cpu_work(problem, s, t) for s in starts)) for t in range(1, max(args.cap_windows) + 1)}
        worst = max(cap, key=lambda t: (cap[t], -t))
        print(f"every window up to {max(args.cap_windows)}: no bound exceeds {cap[worst]:.2f} us (the most at window {worst})")
    return 1 if false else 0


if __name__ == "__main__":
    sys.exit(main())
