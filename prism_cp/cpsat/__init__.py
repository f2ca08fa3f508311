"""The exact engine: a CP-SAT model of the unrolled problem, seeded with the
best heuristic schedule, searched within a time limit, with a proven bound.

Entry point: `solve_cpsat(problem, ...) -> Outcome` (through `solve(problem, "cpsat")`).
"""

from __future__ import annotations

import time
from typing import Collection, Sequence

from prism_cp.bounds import check_bounds, lower_bound
from prism_cp.bounds.single_type import single_type_bound
from prism_cp.bounds.startup import STARTUP, raised_bound
from prism_cp.budget import MAX_OPS, Budget
from prism_cp.cpsat import model as cpm
from prism_cp.cpsat.energy_search import search_energy
from prism_cp.cpsat.search import Search
from prism_cp.cpsat.seeds import seed_schedules
from prism_cp.cpsat.stream import solve_stream
from prism_cp.errors import PrismError, check_count, check_time_limit
from prism_cp.outcome import Outcome
from prism_cp.plan import Plan, to_schedule
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule, gap


def solve_cpsat(
    problem: Problem,
    *,
    seed: int = 42,
    progress: Progress | None = None,
    time_limit: float = 60.0,
    workers: int = 2,
    mapping: str = "per-batch",
    max_ops: int = MAX_OPS,
    bounds: Collection[str] | None = None,
    makespan_cap_us: float | None = None,
    extra_seeds: Sequence[Schedule] = (),
    seeding: bool = True,
    proven_bound_us: float = 0.0,
) -> Outcome:
    """The best schedule found within `time_limit` seconds (everything
    included, shared as `Budget.plan` says), never worse than the best
    heuristic, with the bound proven by the selected `bounds` (names of
    `bounds.BOUNDS`; None: all); `solve(problem, "cpsat")` validates and
    judges it.

    `mapping='per-batch'` lets each batch map an op differently; 'shared' uses
    one mapping for all batches (as the reference does). The lower bound
    always holds against every schedule of the problem, so optimality among
    shared mappings only appears as a progress line. Ctrl-C stops the search
    and returns the best schedule so far (`interrupted`). The schedule is the
    static-order replay of the solution. A stream (arrivals) is solved for
    its own objective by `stream.solve_stream`. Larger problems than
    `max_ops` ops get the best heuristic schedule with the analytic bound
    (at 512 xception batches the start-up bound's model took seconds and
    raised nothing, and a 60 s search improved nothing while needing 490 MB).
    With `makespan_cap_us`, the search is for the least energy within that
    makespan after the seeds and bounds (`energy_search.search_energy`),
    which also starts from `extra_seeds` (valid schedules of the problem, e.g.
    earlier points of an energy front). `seeding=False` runs only the first
    heuristic (one simulation) and `proven_bound_us` is a makespan bound the
    caller already proved for this problem: a caller solving one problem
    again and again (the energy front) spends its time on the search.
    """
    t0 = time.perf_counter()
    check_time_limit(time_limit)
    check_count(workers, "workers")
    if mapping not in cpm.MAPPINGS:
        raise PrismError(f"mapping must be one of {', '.join(cpm.MAPPINGS)}, got {mapping!r}")
    selected = check_bounds(bounds)
    say = progress or (lambda _line: None)
    budget = Budget.plan(time_limit, problem, max_ops=max_ops)
    say(budget.line())
    deadline = t0 + budget.search_s
    if problem.timed:
        return solve_stream(problem, seed=seed, say=say, budget=budget, t0=t0, workers=workers, mapping=mapping, bounds=selected)
    analytic = max(lower_bound(problem, selected), proven_bound_us)
    too_big = problem.size > max_ops
    if too_big:
        say(f"[cpsat] {problem.size} ops exceed the {max_ops} the exact engine can model: "
            "no CP-SAT search; the whole time limit goes to the heuristics and the best one is returned")
    seeds: dict[str, Schedule] = {}
    interrupted = False
    try:
        for name, schedule in seed_schedules(problem, seed, min(deadline, t0 + (budget.seeds if seeding else 0.0)), analytic, say, mapping, budget.hill_climb):
            seeds[name] = schedule
    except KeyboardInterrupt:
        if not seeds:
            raise  # nothing to return: the caller sees a plain interrupt
        interrupted = True
    seeds |= {f"given-{k}": s for k, s in enumerate(extra_seeds)}
    name, best = min(seeds.items(), key=lambda kv: kv[1].makespan)
    if too_big and makespan_cap_us is not None:
        base = Search(problem, best, analytic, deadline, t0, say, budget, workers, seed, mapping)
        return search_energy(problem, seeds, analytic, makespan_cap_us, base, search=False, interrupted=interrupted)
    if too_big:
        say(f"[cpsat] {time.perf_counter() - t0:7.2f}s returning the {name} schedule: makespan {best.makespan:.2f} us, "
            f"bound {analytic:.2f} us, gap {100 * gap(best.makespan, analytic):.2f}%")
        return Outcome(best, analytic, interrupted)
    lower = analytic
    if not interrupted and best.makespan > analytic and selected & STARTUP:
        try:
            lower = raised_bound(problem, analytic, deadline=min(deadline, time.perf_counter() + budget.startup), bounds=selected,
                                 columns_share=budget.columns, say=say, t0=t0)
        except KeyboardInterrupt:
            interrupted = True
    if not interrupted and best.makespan > lower and "single-type" in selected:
        try:
            only = single_type_bound(problem, lower, best.makespan, deadline=min(deadline, time.perf_counter() + budget.single_type))
        except KeyboardInterrupt:
            interrupted = True
        else:
            if only > lower:
                say(f"[cpsat] {time.perf_counter() - t0:7.2f}s single-type relaxation bound: {only:.2f} us")
            lower = only
    search = Search(problem, to_schedule(problem, Plan.of(problem, best)), lower, deadline, t0, say, budget, workers, seed, mapping)
    if makespan_cap_us is not None:
        return search_energy(problem, seeds, lower, makespan_cap_us, search, interrupted=interrupted)
    search.report(f"best seed {name}")
    interrupted = search.finish(interrupted=interrupted)
    return Outcome(search.incumbent, search.bound, interrupted)
