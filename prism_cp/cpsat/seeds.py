"""Starting schedules: every heuristic the project has, then a search over
staggered list schedules with the time left, all within a deadline."""

from __future__ import annotations

import time
from typing import Iterator

from prism_cp.heuristics import HEURISTICS, hill_climb_mapping
from prism_cp.progress import Progress
from prism_cp.heuristics.staggered import staggered_search
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule
from prism_cp.simulate import simulate


def seed_schedules(problem: Problem, seed: int, deadline: float, target: float, say: Progress) -> Iterator[tuple[str, Schedule]]:
    """(name, schedule) of each heuristic that finishes before `deadline`
    (time.perf_counter() value), then of the staggered search ('staggered-search').

    The hill climber (the slow one, run last) gets 3/4 of the time left and
    returns its best mapping so far; the staggered search uses the rest, and
    is skipped once a schedule reaches `target` (a lower bound). A generator,
    so that a caller interrupted by Ctrl-C keeps the schedules it already has.
    """
    best = float("inf")
    for name, heuristic in sorted(HEURISTICS.items(), key=lambda kv: kv[0] == "prism"):
        if time.perf_counter() >= deadline:
            say(f"[cpsat] no time left for the {name} seed")
            continue
        if name == "prism":  # most of the time left, the rest for the staggered search
            now = time.perf_counter()
            schedule = simulate(problem, hill_climb_mapping(problem, seed, None, now + 0.75 * (deadline - now)))
        else:
            schedule = heuristic(problem, seed=seed)
        say(f"[cpsat] seed {name}: makespan {schedule.makespan:.2f} us")
        best = min(best, schedule.makespan)
        yield name, schedule
    if best > target and time.perf_counter() < deadline:
        schedule = staggered_search(problem, deadline=deadline, seed=seed)
        say(f"[cpsat] seed staggered-search: makespan {schedule.makespan:.2f} us")
        yield "staggered-search", schedule
