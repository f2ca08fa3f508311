"""The exact engine on a stream (batches arriving over time, with a deadline
per batch): seeds from every heuristic (all honour the arrivals), then one
solve of the whole model with the stream objective (`model.stream_objective`:
deadline misses, then maximum latency, then makespan). Larger problems keep
the best seed: the makespan LNS does not know that objective."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from prism_cp.bounds import lower_bound
from prism_cp.cpsat import model as cpm
from prism_cp.cpsat.plan import Plan, to_schedule
from prism_cp.cpsat.search import WHOLE_MODEL_OPS, Search
from prism_cp.cpsat.seeds import seed_schedules
from prism_cp.problem import Problem
from prism_cp.progress import ProgressLog
from prism_cp.schedule import Result, Schedule, Status
from prism_cp.steady.stream import batch_latencies, misses

SEED_SHARE = 0.2  # of the time limit, at most, spent on seeding


def stream_key(problem: Problem, schedule: Schedule) -> tuple[int, float, float]:
    """What a stream schedule is judged by, in order: deadline misses,
    maximum latency (us), makespan (us). Smaller is better."""
    return misses(problem, schedule), max(batch_latencies(problem, schedule)), schedule.makespan


def solve_stream(problem: Problem, *, seed: int, say: ProgressLog, deadline: float, t0: float, workers: int, mapping: str, is_shared) -> Result:
    """The best stream schedule (by `stream_key`) found before `deadline`
    (a time.perf_counter() value). Its `lower_bound` bounds the makespan;
    OPTIMAL means the makespan meets it (the misses and latency are not
    proven least)."""
    bound = lower_bound(problem)
    best: Schedule | None = None

    def offer(name: str, schedule: Schedule) -> None:
        nonlocal best
        if best is None or stream_key(problem, schedule) < stream_key(problem, best):
            best = schedule
            k = stream_key(problem, schedule)
            say(f"[cpsat] {time.perf_counter() - t0:7.2f}s {name}: {k[0]} misses, max latency {k[1]:.2f} us, makespan {k[2]:.2f} us")

    try:
        for name, schedule in seed_schedules(problem, seed, min(deadline, t0 + SEED_SHARE * (deadline - t0)), bound, say):
            if mapping == "per-batch" or is_shared(problem, schedule):
                offer(f"seed {name}", schedule)
    except KeyboardInterrupt:
        if best is None:
            raise
        deadline = 0.0  # no search: return the best seed
    assert best is not None
    if problem.size > WHOLE_MODEL_OPS:
        say(f"[cpsat] {problem.size} ops: the stream objective is solved whole up to {WHOLE_MODEL_OPS} ops; keeping the best seed")
    elif time.perf_counter() < deadline:
        built = cpm.build(problem, to_schedule(problem, Plan.of(problem, best)), bound, mapping=mapping)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        solver.parameters.catch_sigint_signal = False

        class OnSolution(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                offer("improved", to_schedule(problem, built.plan(self.value)))

        try:
            status = Search._interruptible(solver, built, OnSolution())
        except KeyboardInterrupt:
            say("[cpsat] interrupted")
        else:
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                offer("final", to_schedule(problem, built.plan(solver.value)))
    status = Status.OPTIMAL if best.makespan <= bound else Status.FEASIBLE
    return Result("cpsat", best, best.core_type, bound, status, time.perf_counter() - t0, tuple(say.lines))
