"""The exact engine: a CP-SAT model of the unrolled problem, seeded with the
best heuristic schedule, searched within a time limit, with a proven bound.

Entry point: `solve_cpsat(problem, ...) -> Result`.
"""

from __future__ import annotations

import time

from prism_cp.bounds import lower_bound
from prism_cp.cpsat import model as cpm
from prism_cp.bounds.single_type import single_type_bound
from prism_cp.plan import Plan, to_schedule
from prism_cp.cpsat.search import Search
from prism_cp.cpsat.seeds import seed_schedules
from prism_cp.bounds.startup import raised_bound
from prism_cp.cpsat.stream import solve_stream
from prism_cp.errors import PrismError, check_count, check_time_limit
from prism_cp.problem import Problem
from prism_cp.progress import Progress, ProgressLog
from prism_cp.schedule import Result, Schedule, Status
from prism_cp.simulate import validate

MAX_OPS = 30_000  # larger unrolled problems get the best heuristic schedule only
SMALL_OPS = 700  # up to this size (5 xception batches) the single-type relaxation's proofs come in seconds
# of the time limit, at most, spent on seeding (large: the hill climber and the two
# staggered searches need seconds each, and LNS gains little there)
SEED_SHARE = {"small": 0.1, "large": 0.3}
# of the time limit, at most, spent proving the single-type relaxation's bound: on
# small problems it raises the bound where the search never does; on large ones its
# proofs rarely come (16 xception batches) and the LNS steps need the time
ONLY_TYPE_SHARE = {"small": 0.4, "large": 0.1}
FINISH_SHARE = 0.03  # of the time limit kept for the final replay and validation,
FINISH_S = 0.5  # plus this, or a tenth of the limit if less, for the process to exit


def solve_cpsat(
    problem: Problem,
    *,
    seed: int = 42,
    progress: Progress | None = None,
    time_limit: float = 60.0,
    workers: int = 2,
    mapping: str = "per-batch",
    max_ops: int = MAX_OPS,
) -> Result:
    """The best schedule found within `time_limit` seconds (everything
    included), never worse than the best heuristic, with a proven lower bound.

    `mapping='per-batch'` lets each batch map an op differently; 'shared' uses
    one mapping for all batches (as the reference does). The lower bound and
    the OPTIMAL status (the float makespan meets the bound) always hold
    against every schedule of the problem, so optimality among shared
    mappings only appears as a progress line. A bound above the makespan
    is a bug: `Result` refuses it with AssertionError. Ctrl-C stops the search
    and returns the best schedule so far. The returned schedule is the
    static-order replay of the solution, validated. A stream (arrivals)
    is solved for its own objective by `stream.solve_stream`.
    """
    t0 = time.perf_counter()
    check_time_limit(time_limit)
    check_count(workers, "workers")
    if mapping not in cpm.MAPPINGS:
        raise PrismError(f"mapping must be one of {', '.join(cpm.MAPPINGS)}, got {mapping!r}")
    say = ProgressLog(progress)

    deadline = t0 + time_limit * (1 - FINISH_SHARE) - min(FINISH_S, time_limit / 10)
    if problem.arrival_us is not None:
        return solve_stream(problem, seed=seed, say=say, deadline=deadline, t0=t0, workers=workers, mapping=mapping)
    analytic = lower_bound(problem)
    too_big = problem.size > max_ops
    if too_big:
        say(f"[cpsat] {problem.size} ops exceed the {max_ops} the exact engine can model: "
            "no CP-SAT search; the whole time limit goes to the heuristics and the best one is returned")
    scope = "small" if problem.size <= SMALL_OPS else "large"
    share = 1.0 if too_big else SEED_SHARE[scope]
    seeds: dict[str, Schedule] = {}
    interrupted = False
    try:
        for name, schedule in seed_schedules(problem, seed, min(deadline, t0 + share * time_limit), analytic, say, mapping):
            seeds[name] = schedule
    except KeyboardInterrupt:
        if not seeds:
            raise  # nothing to return: the caller sees a plain interrupt
        interrupted = True
    name, best = min(seeds.items(), key=lambda kv: kv[1].makespan)
    if too_big:
        return heuristic_result(problem, name, best, analytic, t0, say)
    lower = analytic
    if not interrupted and best.makespan > analytic:
        try:
            lower = raised_bound(problem, analytic, deadline=deadline, time_limit=time_limit, say=say, t0=t0)
        except KeyboardInterrupt:
            interrupted = True
    if not interrupted and best.makespan > lower:
        try:
            only = single_type_bound(problem, lower, best.makespan, deadline=min(deadline, time.perf_counter() + ONLY_TYPE_SHARE[scope] * time_limit))
        except KeyboardInterrupt:
            interrupted = True
        else:
            if only > lower:
                say(f"[cpsat] {time.perf_counter() - t0:7.2f}s single-type relaxation bound: {only:.2f} us")
            lower = only
    search = Search(problem, to_schedule(problem, Plan.of(problem, best)), lower, deadline, t0, say, workers, seed, mapping)
    search.report(f"best seed {name}")
    if interrupted:
        search.report("interrupted")
    else:
        try:
            search.run()
        except KeyboardInterrupt:
            search.report("interrupted")
    schedule = search.incumbent
    status = Status.OPTIMAL if search.optimal() else Status.FEASIBLE
    search.report(status.lower())
    return Result("cpsat", schedule, schedule.core_type, search.bound, status, time.perf_counter() - t0, tuple(say.lines))


def heuristic_result(problem: Problem, name: str, best: Schedule, analytic: float, t0: float, say: ProgressLog) -> Result:
    """The Result for an instance too large to model: the best heuristic
    schedule, validated, with the analytic bound. (At 512 xception batches
    the start-up bound's model took seconds and raised nothing, and a 60 s
    search improved nothing while needing 490 MB.)"""
    problems = validate(problem, best)
    if problems:
        raise AssertionError(f"the {name} schedule is invalid: {problems[:3]}")
    makespan = best.makespan
    bound = analytic
    status = Status.OPTIMAL if makespan <= bound else Status.FEASIBLE
    gap = (makespan - bound) / makespan if makespan else 0.0
    say(f"[cpsat] {time.perf_counter() - t0:7.2f}s returning the {name} schedule: makespan {makespan:.2f} us, "
        f"bound {bound:.2f} us, gap {100 * gap:.2f}% ({status.lower()})")
    return Result("cpsat", best, best.core_type, bound, status, time.perf_counter() - t0, tuple(say.lines))
