"""The exact engine on a timed problem (a stream: batches arriving over
time, with a deadline per batch; or a mix: inferences of several apps, each
with its arrival and due time): seeds from every heuristic (all honour the
arrivals), then the model with the stream objective
(`model.stream_objective`: deadline misses, then maximum latency, then
makespan): whole up to WHOLE_MODEL_OPS ops, else over rolling windows of
groups (`Problem.groups`: a stream's batches, a mix's inferences) in
arrival order (earlier groups fixed or held in order, later ones kept as
they are), each solution replayed and judged on the whole problem."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ortools.sat.python import cp_model

from prism_cp.bounds import lower_bound
from prism_cp.bounds.startup import STARTUP, raised_bound
from prism_cp.budget import Budget
from prism_cp.cpsat import model as cpm
from prism_cp.cpsat.search import WHOLE_MODEL_OPS, solve_model
from prism_cp.cpsat.seeds import seed_schedules
from prism_cp.latency import stream_key
from prism_cp.outcome import Outcome
from prism_cp.plan import Plan, to_schedule
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule


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
    order = arrival_order(problem)
    windows = group_windows([len(problem.groups[k].ops) for k in order], WHOLE_MODEL_OPS)
    if len(windows) > 1:
        say(f"[cpsat] {problem.size} ops: {_rolling(problem, windows)} (earlier ones fixed, later ones kept)")
    try:
        for step, span in enumerate(windows):
            if time.perf_counter() >= deadline:
                break
            free = None if len(windows) == 1 else _ops(problem, order[span.start:span.stop])
            built = cpm.build(problem, to_schedule(problem, Plan.of(problem, best)), bound, mapping=mapping, free=free, far=_ops(problem, order[span.stop:]))
            limit = (deadline - time.perf_counter()) / (len(windows) - step)
            status, solver = solve_model(built, limit, workers, seed, lambda plan: offer("improved", to_schedule(problem, plan)))
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                say(f"[cpsat] {time.perf_counter() - t0:7.2f}s {_named(problem, order[span.start:span.stop])}: {solver.status_name(status).lower()}")
    except KeyboardInterrupt:
        interrupted = True
        say("[cpsat] interrupted")
    return Outcome(best, bound, interrupted)


def arrival_order(problem: Problem) -> list[int]:
    """The indices of `problem.groups` by arrival, then by index (a stream's
    batches in batch order)."""
    groups = problem.groups
    return sorted(range(len(groups)), key=lambda k: (groups[k].arrival_us, k))


def group_windows(sizes: Sequence[int], most_ops: int) -> list[range]:
    """Rolling windows over groups of `sizes` ops each (in arrival order), as
    ranges of their positions: each the most consecutive groups whose ops sum
    to at most `most_ops` (at least one group), the next starting half a
    window (at least one group) later while a window still fits before the
    last one, which ends at the last group. One window of every group when
    they all fit. With equal sizes, windows of max(1, most_ops // size)
    groups: a stream's windows of batches."""

    def fit(first: int) -> int:
        """Groups from position `first` in one window."""
        total, count = 0, 0
        for size in sizes[first:]:
            if count and total + size > most_ops:
                break
            total, count = total + size, count + 1
        return count

    tail, total = len(sizes) - 1, sizes[-1]  # the last window's first group: as many as fit before the end
    while tail > 0 and total + sizes[tail - 1] <= most_ops:
        tail, total = tail - 1, total + sizes[tail - 1]
    starts, first = [], 0
    while first <= tail:
        starts.append(first)
        first += max(1, fit(first) // 2)
    if starts[-1] != tail:
        starts.append(tail)
    return [range(start, start + fit(start)) for start in starts]


def _ops(problem: Problem, groups: Sequence[int]) -> frozenset[int]:
    """The global ops of these groups."""
    return frozenset(g for k in groups for g in problem.groups[k].ops)


def _rolling(problem: Problem, windows: list[range]) -> str:
    """What the rolling windows are, for the progress line."""
    if problem.instances is None:  # a stream: equal windows of batches
        return f"rolling windows of {len(windows[0])} batches"
    return f"{len(windows)} rolling windows of at most {WHOLE_MODEL_OPS} ops over {len(problem.groups)} inferences in arrival order"


def _named(problem: Problem, window: Sequence[int]) -> str:
    """A window's groups for the progress line: 'batches 2..5', or a mix's
    'inferences detector#0..mobilenetv2#2 (3)'."""
    if problem.instances is None:
        return f"batches {window[0]}..{window[-1]}"
    names = [f"{problem.groups[k].app}#{problem.groups[k].index}" for k in window]
    return f"inferences {names[0]}..{names[-1]} ({len(window)})"
