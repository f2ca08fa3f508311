"""Starting schedules: every heuristic the project has, then searches over
staggered list schedules of the problem and of its mirror image, all within
a deadline."""

from __future__ import annotations

import time
from typing import Iterator

from prism_cp.budget import HILL_CLIMB_SHARE
from prism_cp.heuristics import HEURISTICS, hill_climb_mapping
from prism_cp.heuristics.mirrored import mirrorable, mirrored_search
from prism_cp.heuristics.staggered import staggered_search
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule
from prism_cp.simulate import simulate

def seed_schedules(
    problem: Problem, seed: int, deadline: float, target: float, say: Progress, mapping: str = "per-batch", hill_climb_share: float = HILL_CLIMB_SHARE
) -> Iterator[tuple[str, Schedule]]:
    """(name, schedule) of each heuristic that finishes before `deadline`
    (time.perf_counter() value), and of heuristics after it until one is
    yielded, since every caller needs a schedule however short its time
    (the first, random, is one simulation and always yielded); then of the
    staggered search ('staggered-search') and of its mirror image
    ('mirrored-search', not for timed problems, streams and mixes, nor
    above MIRROR_OPS ops: `mirrorable`), which share the time left. With
    `mapping` 'shared', only the schedules that map every batch alike
    (`is_shared`) are yielded: both callers keep only those, and the
    guarantee of a schedule holds for them.

    The hill climber (the slow one, run last) gets `hill_climb_share` of the
    time left and returns its best mapping so far. The searches are skipped
    once a schedule reaches `target` (a lower bound). A generator, so that a
    caller interrupted by Ctrl-C keeps the schedules it already has.
    """

    def usable(schedule: Schedule) -> bool:
        return mapping == "per-batch" or is_shared(problem, schedule)

    best = float("inf")
    yielded = False
    for name, heuristic in sorted(HEURISTICS.items(), key=lambda kv: kv[0] == "prism"):
        if yielded and time.perf_counter() >= deadline:
            say(f"[cpsat] no time left for the {name} seed")
            continue
        if name == "prism":  # the slow one: part of the time left, the rest for the staggered searches
            now = time.perf_counter()
            schedule = simulate(problem, hill_climb_mapping(problem, seed, None, now + hill_climb_share * (deadline - now)))
        else:
            schedule = heuristic(problem, seed=seed)
        say(f"[cpsat] seed {name}: makespan {schedule.makespan:.2f} us")
        best = min(best, schedule.makespan)
        if usable(schedule):
            yielded = True
            yield name, schedule
    searches = [("staggered-search", staggered_search)] + ([("mirrored-search", mirrored_search)] if mirrorable(problem) else [])
    for k, (name, search) in enumerate(searches):
        now = time.perf_counter()
        if best <= target or now >= deadline:
            break
        schedule = search(problem, deadline=now + (deadline - now) / (len(searches) - k), seed=seed)
        if schedule is None:
            say(f"[cpsat] no time left for the {name} seed")
            continue
        say(f"[cpsat] seed {name}: makespan {schedule.makespan:.2f} us")
        best = min(best, schedule.makespan)
        if usable(schedule):
            yield name, schedule


def is_shared(problem: Problem, schedule: Schedule) -> bool:
    """Whether every batch maps each op to the same core type."""
    n = problem.n_ops
    return all(c == schedule.core_type[g % n] for g, c in enumerate(schedule.core_type))
