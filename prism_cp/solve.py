"""One entry point for every algorithm: Problem in, Result out (and one for
the steady state, `steady_state`, and one for a mix's verdict, `mix_verdict`,
whose checked schedule `witness_result` turns into a Result); the one place
where a schedule is validated and judged (status, gap) before anyone sees it."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Sequence

from prism_cp.bounds import check_bounds, lower_bound
from prism_cp.budget import VERDICT_CHECK_SHARE
from prism_cp.cost.energy import energy_uj, powers
from prism_cp.errors import PrismError, check_time_limit
from prism_cp.heuristics import HEURISTICS
from prism_cp.outcome import Outcome, checked
from prism_cp.problem import Problem
from prism_cp.progress import Progress, ProgressLog
from prism_cp.schedule import Result, Status

if TYPE_CHECKING:
    from prism_cp.mix import Mix
    from prism_cp.platform import Platform
    from prism_cp.steady import SteadyState
    from prism_cp.steady.verdict import Verdict


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
    objective: str = "makespan",
    makespan_cap_us: float | None = None,
    **options: Any,
) -> Result:
    """Schedule `problem` with `algorithm` and report the makespan with a proven bound.

    `bounds`: the lower bounds to prove (names from `bounds.BOUNDS`; None:
    all); a bound left out is not computed, and with none the bound is 0.
    The schedule is validated before it is returned; a violation is a bug
    and raises AssertionError rather than handing out a wrong schedule.
    OPTIMAL means the validated makespan meets the proven bound.

    `objective='energy'` (cpsat only): the least energy among schedules of
    makespan at most `makespan_cap_us` (None: any makespan); OPTIMAL then
    means the energy meets its proven bound, INFEASIBLE that the makespan
    bound exceeds the cap, UNKNOWN that no schedule within the cap was found.
    """
    selected = check_bounds(bounds)
    cap = check_objective(problem, algorithm, objective, makespan_cap_us)
    say = ProgressLog(progress)
    t0 = time.perf_counter()
    if algorithm == "cpsat":
        from prism_cp.cpsat import solve_cpsat  # OR-Tools takes ~0.25 s to import: only when asked for

        energy = {} if cap is None else {"makespan_cap_us": cap}
        outcome = solve_cpsat(problem, seed=seed, progress=say, bounds=selected, **energy, **options)
        wall = time.perf_counter() - t0
    elif algorithm in HEURISTICS:
        schedule = HEURISTICS[algorithm](problem, seed=seed, progress=say, **options)
        wall = time.perf_counter() - t0  # the algorithm's own time, as the reference reports it: no bound, check or energy
        outcome = Outcome(schedule, lower_bound(problem, selected))
    else:
        raise PrismError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(algorithms())}")
    checked(problem, outcome.schedule, algorithm)
    energy = energy_uj(problem, outcome.schedule)
    result = Result(algorithm, outcome.schedule, outcome.schedule.core_type, outcome.lower_bound, Status.FEASIBLE,
                    wall, tuple(say.lines), outcome.interrupted, energy, cap, outcome.energy_bound_uj)
    if cap is not None and outcome.lower_bound > cap:
        status = Status.INFEASIBLE
    elif cap is not None and result.makespan > cap:
        status = Status.UNKNOWN
    else:
        status = Status.judge(*result.judged()[:2])
    return dataclasses.replace(result, status=status)


def check_objective(problem: Problem, algorithm: str, objective: str, makespan_cap_us: float | None) -> float | None:
    """The makespan cap of an energy objective (the problem's serial horizon
    when none is given: no compacted schedule is longer), None for the
    makespan objective; PrismError for a combination that means nothing."""
    if objective == "makespan":
        if makespan_cap_us is not None:
            raise PrismError("a makespan cap needs the energy objective (--objective energy)")
        return None
    if objective != "energy":
        raise PrismError(f"objective must be makespan or energy, got {objective!r}")
    if algorithm != "cpsat":
        raise PrismError(f"the energy objective needs the cpsat algorithm, got {algorithm!r}")
    if powers(problem.platform) is None:
        raise PrismError(f"platform {problem.platform.name!r} states no power figures ([power.cpu], [power.npu]) for its cores: energy is unknown")
    if problem.timed:
        raise PrismError("the energy objective does not apply to a stream (arrivals)")
    if makespan_cap_us is None:
        return float(problem.horizon_us)
    if isinstance(makespan_cap_us, bool) or not isinstance(makespan_cap_us, (int, float)) or not 0 < makespan_cap_us < float("inf"):
        raise PrismError(f"the makespan cap must be a number > 0 (us), got {makespan_cap_us!r}")
    return float(makespan_cap_us)


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
    state = SteadyState(found.bound, found.clock, Status.UNKNOWN, found.reason, found.schedule, found.least, measured)
    return dataclasses.replace(state, status=Status.judge(state.period_us, state.bound_period_us))


CHECK_HYPERPERIODS = 20  # hyperperiods unrolled to check a mix's periodic schedule (plus its drain)


def mix_verdict(mix: Mix, platform: Platform, *, progress: Progress | None = None, **options: Any) -> Verdict:
    """Is `mix` schedulable on `platform` forever (`steady.verdict`: its
    options)? A `time_limit` passed here covers the check too,
    VERDICT_CHECK_SHARE of it kept for it; without one, the search takes
    `search_verdict`'s default in full and the check comes on top. Any
    periodic schedule found is unrolled over CHECK_HYPERPERIODS hyperperiods
    plus the ones an inference spans, validated, replayed in the simulator
    and validated again; a schedule on time in the model and late in the
    simulator is a bug (AssertionError), never a verdict."""
    from prism_cp.latency import misses
    from prism_cp.mix import app_reports
    from prism_cp.steady.hyper import unrolled_mix
    from prism_cp.steady.modulo import span
    from prism_cp.steady.unroll import replayed
    from prism_cp.steady.verdict import SCHEDULABLE, Verdict, search_verdict

    say = progress or (lambda _line: None)
    t0 = time.perf_counter()
    if "time_limit" in options:
        check_time_limit(options["time_limit"])
        options["time_limit"] *= 1 - VERDICT_CHECK_SHARE
    found = search_verdict(mix, platform, progress=say, **options)
    if found.schedule is None:
        return Verdict(found, time.perf_counter() - t0)
    one, s = found.problem, found.schedule
    copies = CHECK_HYPERPERIODS + -(-span(one, s) // s.period)
    problem, schedule = unrolled_mix(mix, one, s, found.hyperperiod_us, copies)
    again = replayed(problem, schedule)
    late, late_again = misses(problem, schedule), misses(problem, again)
    if found.verdict == SCHEDULABLE and (late or late_again):
        raise AssertionError(f"a periodic schedule on time in the model misses {late} deadlines unrolled, {late_again} replayed")
    say(f"[verdict] checked over {copies} hyperperiods ({len(problem.groups)} inferences): {late} missed")
    return Verdict(found, time.perf_counter() - t0, copies, problem, schedule, late, tuple(app_reports(problem, schedule)))


def witness_result(verdict: Verdict) -> Result | None:
    """The verdict's checked schedule (the witness, or the best one found) as
    a Result judged against the makespan bounds of its unrolled problem, so it
    exports like any schedule; None when the verdict has none."""
    if verdict.schedule is None or verdict.problem is None:
        return None
    problem, schedule = verdict.problem, verdict.schedule
    bound = lower_bound(problem, ("critical-path", "total-work", "load"))
    return Result("verdict", schedule, schedule.core_type, bound, Status.judge(schedule.makespan, bound), verdict.wall_s, energy_uj=energy_uj(problem, schedule))


def write_witness(verdict: Verdict, path: Path, seed: int | None = None) -> Path | None:
    """Export the verdict's checked schedule (`witness_result`) as a schedule
    JSON at `path`: the path, or None when the verdict has no schedule."""
    from prism_cp.io import write_schedule_json  # only an export needs the file formats

    result = witness_result(verdict)
    return None if result is None else write_schedule_json(path, verdict.problem, result, seed=seed)
