"""The exact engine on a stream (batches arriving over time, with a deadline
per batch): seeds from every heuristic (all honour the arrivals), then the
model with the stream objective (`model.stream_objective`: deadline misses,
then maximum latency, then makespan): whole up to WHOLE_MODEL_OPS ops, else
over rolling windows of batches in arrival order (earlier batches fixed or
held in order, later ones kept as they are), each solution replayed and
judged on the whole stream."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from prism_cp.bounds import lower_bound
from prism_cp.bounds.startup import STARTUP, raised_bound
from prism_cp.budget import Budget
from prism_cp.cpsat import model as cpm
from prism_cp.cpsat.search import WHOLE_MODEL_OPS, solve_model
from prism_cp.cpsat.seeds import seed_schedules
from prism_cp.latency import batch_latencies, misses
from prism_cp.outcome import Outcome
from prism_cp.plan import Plan, to_schedule
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule


def stream_key(problem: Problem, schedule: Schedule) -> tuple[int, float, float]:
    """What a stream schedule is judged by, in order: deadline misses,
    maximum latency (us), makespan (us). Smaller is better."""
    return misses(problem, schedule), max(batch_latencies(problem, schedule)), schedule.makespan


def solve_stream(
    problem: Problem, *, seed: int, say: Progress, budget: Budget, t0: float, workers: int, mapping: str, bounds: frozenset[str]
) -> Outcome:
    """The best stream schedule (by `stream_key`) found within `budget`
    from `t0` (a time.perf_counter() value). Its `lower_bound` bounds the
    makespan (the selected analytic `bounds`, or the start-up bound where
    that is selected and higher); OPTIMAL means the makespan meets it (the
    misses and latency are not proven least)."""
    deadline = t0 + budget.search_s
    interrupted = False
    bound = lower_bound(problem, bounds)
    best: Schedule | None = None

    def offer(name: str, schedule: Schedule) -> None:
        nonlocal best
        if best is None or stream_key(problem, schedule) < stream_key(problem, best):
            best = schedule
            k = stream_key(problem, schedule)
            say(f"[cpsat] {time.perf_counter() - t0:7.2f}s {name}: {k[0]} misses, max latency {k[1]:.2f} us, makespan {k[2]:.2f} us")

    try:
        for name, schedule in seed_schedules(problem, seed, min(deadline, t0 + budget.seeds), bound, say, mapping, budget.hill_climb):
            offer(f"seed {name}", schedule)
    except KeyboardInterrupt:
        if best is None:
            raise
        interrupted, deadline = True, 0.0  # no search: return the best seed
    assert best is not None
    if best.makespan > bound and time.perf_counter() < deadline and bounds & STARTUP:
        try:  # the start-up bound leaves releases out: it holds for streams too
            bound = raised_bound(problem, bound, deadline=min(deadline, time.perf_counter() + budget.startup), bounds=bounds,
                                 columns_share=budget.columns, say=say, t0=t0)
        except KeyboardInterrupt:
            interrupted, deadline = True, 0.0  # no search: return the best seed
    n, nb = problem.n_ops, problem.nbatch
    window = max(1, WHOLE_MODEL_OPS // n)  # batches per model
    if nb > window:
        say(f"[cpsat] {problem.size} ops: rolling windows of {window} batches (earlier ones fixed, later ones kept)")
    firsts = [0] if nb <= window else list(range(0, nb - window + 1, max(1, window // 2))) + [nb - window]
    try:
        for step, first in enumerate(dict.fromkeys(firsts)):
            if time.perf_counter() >= deadline:
                break
            last = min(first + window, nb)
            free = None if nb <= window else frozenset(range(first * n, last * n))
            far = frozenset(range(last * n, nb * n))
            built = cpm.build(problem, to_schedule(problem, Plan.of(problem, best)), bound, mapping=mapping, free=free, far=far)
            limit = (deadline - time.perf_counter()) / (len(dict.fromkeys(firsts)) - step)
            status, solver = solve_model(built, limit, workers, seed, lambda plan: offer("improved", to_schedule(problem, plan)))
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                say(f"[cpsat] {time.perf_counter() - t0:7.2f}s batches {first}..{last - 1}: {solver.status_name(status).lower()}")
    except KeyboardInterrupt:
        interrupted = True
        say("[cpsat] interrupted")
    return Outcome(best, bound, interrupted)
