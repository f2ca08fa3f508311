"""One entry point for every algorithm: Problem in, Result out (and one for
the steady state); the one place where a schedule is validated and judged
(status, gap) before anyone sees it."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, Collection, Sequence

from prism_cp.bounds import check_bounds, lower_bound
from prism_cp.errors import PrismError
from prism_cp.heuristics import HEURISTICS
from prism_cp.outcome import Outcome, checked
from prism_cp.problem import Problem
from prism_cp.progress import Progress, ProgressLog
from prism_cp.schedule import Result, Status

if TYPE_CHECKING:
    from prism_cp.steady import SteadyState


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

    `bounds`: the lower bounds to prove (names from `bounds.BOUNDS`; None:
    all); a bound left out is not computed, and with none the bound is 0.
    The schedule is validated before it is returned; a violation is a bug
    and raises AssertionError rather than handing out a wrong schedule.
    OPTIMAL means the validated makespan meets the proven bound.
    """
    selected = check_bounds(bounds)
    say = ProgressLog(progress)
    t0 = time.perf_counter()
    if algorithm == "cpsat":
        from prism_cp.cpsat import solve_cpsat  # OR-Tools takes ~0.25 s to import: only when asked for

        outcome = solve_cpsat(problem, seed=seed, progress=say, bounds=selected, **options)
    elif algorithm in HEURISTICS:
        schedule = HEURISTICS[algorithm](problem, seed=seed, progress=say, **options)
        outcome = Outcome(schedule, lower_bound(problem, selected))
    else:
        raise PrismError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(algorithms())}")
    checked(problem, outcome.schedule, algorithm)
    status = Status.judge(outcome.schedule.makespan, outcome.lower_bound)
    return Result(algorithm, outcome.schedule, outcome.schedule.core_type, outcome.lower_bound, status,
                  time.perf_counter() - t0, tuple(say.lines), outcome.interrupted)



def under_best_bound(results: Sequence[Result]) -> tuple[Result, ...]:
    """Results of one problem, each judged against the best bound any of them
    proved: a bound holds for every schedule of the problem, so a makespan
    meeting another engine's bound is optimal too."""
    bound = max(r.lower_bound for r in results)
    return tuple(dataclasses.replace(r, lower_bound=bound, status=Status.judge(r.makespan, bound)) for r in results)


CHECK_PERIODS = 200  # periods unrolled to validate and measure a modulo schedule (plus its drain)


def steady_state(problem: Problem, *, progress: Progress | None = None, **options: Any) -> SteadyState:
    """The steady state of an endless stream of `problem`'s batches
    (`steady.search_steady`: its options), its periodic schedule validated
    over CHECK_PERIODS periods and replayed with the arrivals (`unroll.check`);
    the replay's period and latency are the reported ones. OPTIMAL where the
    period meets its proven bound."""
    from prism_cp.steady import SteadyState, search_steady  # OR-Tools takes ~0.25 s to import: only when asked for
    from prism_cp.steady.unroll import check

    say = progress or (lambda _line: None)
    found = search_steady(problem, progress=say, **options)
    if found.infeasible:
        return SteadyState(found.bound, found.clock, Status.INFEASIBLE, found.reason)
    if found.schedule is None:
        return SteadyState(found.bound, found.clock, Status.UNKNOWN, found.reason)
    one = Problem(problem.workload, problem.platform, 1)
    measured = check(one, found.schedule, CHECK_PERIODS)
    say(f"[steady] checked over {measured.batches} batches: period {measured.period_us:.2f} us, latency {measured.max_latency_us:.2f} us")
    period_us = found.schedule.period * found.clock / found.schedule.unroll
    status = Status.judge(period_us, found.bound.us(found.clock))
    return SteadyState(found.bound, found.clock, status, found.reason, found.schedule, found.least, measured)
