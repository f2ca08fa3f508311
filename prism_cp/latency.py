"""Per-batch latency and deadline misses of a stream's schedule: what the
CP-SAT stream engine optimises and the steady-state report measures."""

from __future__ import annotations

from prism_cp.problem import Problem
from prism_cp.schedule import Schedule


def batch_latencies(problem: Problem, schedule: Schedule) -> list[float]:
    """Per batch: its last end minus its arrival (us)."""
    n = problem.n_ops
    return [float(max(schedule.end[b * n : (b + 1) * n]) - problem.arrival(b)) for b in range(problem.nbatch)]


def misses(problem: Problem, schedule: Schedule) -> int:
    """Batches completing after arrival + deadline (0 without a deadline)."""
    if problem.deadline_us is None:
        return 0
    return sum(latency > problem.deadline_us for latency in batch_latencies(problem, schedule))
