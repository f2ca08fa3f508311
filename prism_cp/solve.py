"""One entry point for every algorithm: Problem in, Result out."""

from __future__ import annotations

import time
from typing import Any, Collection

from prism_cp.bounds import check_bounds, lower_bound
from prism_cp.errors import PrismError
from prism_cp.heuristics import HEURISTICS
from prism_cp.problem import Problem
from prism_cp.progress import Progress, ProgressLog
from prism_cp.schedule import Result, Status
from prism_cp.simulate import validate


def algorithms() -> tuple[str, ...]:
    """Every algorithm name `solve` accepts."""
    return (*HEURISTICS, "cpsat")


def solve(
    problem: Problem,
    algorithm: str = "npufirst",
    *,
    seed: int = 42,
    progress: Progress | None = None,
    bounds: Collection[str] | None = None,
    **options: Any,
) -> Result:
    """Schedule `problem` with `algorithm` and report the makespan with a proven bound.

    The schedule is validated before it is returned; a violation is a bug and
    raises AssertionError rather than handing out a wrong schedule. `bounds`:
    the lower bounds to prove (names from `bounds.BOUNDS`; None: all).
    """
    check_bounds(bounds)
    if algorithm == "cpsat":
        from prism_cp.cpsat import solve_cpsat  # OR-Tools takes ~0.25 s to import: only when asked for

        return solve_cpsat(problem, seed=seed, progress=progress, **options)
    if algorithm not in HEURISTICS:
        raise PrismError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(algorithms())}")
    say = ProgressLog(progress)
    t0 = time.perf_counter()
    sched = HEURISTICS[algorithm](problem, seed=seed, progress=say, **options)
    wall = time.perf_counter() - t0
    problems = validate(problem, sched)
    if problems:
        raise AssertionError(f"{algorithm} produced an invalid schedule: {problems[:3]}")
    bound = lower_bound(problem)
    status = Status.OPTIMAL if sched.makespan <= bound else Status.FEASIBLE
    return Result(algorithm, sched, sched.core_type, bound, status, wall, tuple(say.lines))
