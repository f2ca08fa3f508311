"""A solver's answer in ticks (start tick and core type per global op), and
its conversion into a validated, compacted Schedule.

A CP solution says *when* and *on which core type* each op runs; the cores
themselves are numbered afterwards. The reported schedule is always the
static-order replay of that answer, checked by `validate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from heapq import heappop, heappush

from prism_cp.outcome import checked
from prism_cp.problem import Problem, completion_tick
from prism_cp.schedule import Schedule
from prism_cp.simulate import replay

#: integer units per us of the CP-SAT models' objectives (times rounded down to 1/SCALE us)
SCALE = 1000


def scaled(time_us: float) -> int:
    """`time_us` in objective units, rounded down (exact for any float)."""
    return math.floor(Fraction(time_us) * SCALE)


@dataclass(frozen=True)
class Plan:
    """Start tick and core type of every global op."""

    start: tuple[int, ...]
    core_type: tuple[str, ...]

    @classmethod
    def of(cls, problem: Problem, schedule: Schedule) -> "Plan":
        return cls(tuple(s // problem.clock for s in schedule.start), schedule.core_type)


def done_tick(problem: Problem, plan: Plan, g: int) -> int:
    """The tick at which op `g` frees its core under `plan`."""
    c = plan.core_type[g]
    return completion_tick(plan.start[g], problem.global_times[c][g], problem.clock)


def assign_cores(problem: Problem, plan: Plan) -> dict[tuple[str, int], list[int]]:
    """Per-core sequences for `plan`: ops of each type in start order, each on
    the lowest-numbered core free at its start, else on the core freed first.

    Where at most k ops of a type overlap at any tick, every op finds a core
    free (interval graphs are perfect). The CP model ensures that only for
    the fewest-tick occupancies (`Problem.min_ticks`); where an op really
    holds its core longer, replay delays the next op of that core.
    """
    seqs: dict[tuple[str, int], list[int]] = {}
    for c in ("cpu", "npu"):
        ops = sorted((g for g in range(problem.size) if plan.core_type[g] == c), key=lambda g: (plan.start[g], g))
        free = list(range(problem.platform.cores(c)))
        busy: list[tuple[int, int]] = []  # (done tick, core)
        for g in ops:
            while busy and busy[0][0] <= plan.start[g]:
                heappush(free, heappop(busy)[1])
            if not free:
                heappush(free, heappop(busy)[1])
            core = heappop(free)
            heappush(busy, (done_tick(problem, plan, g), core))
            seqs.setdefault((c, core), []).append(g)
    return seqs


def to_schedule(problem: Problem, plan: Plan) -> Schedule:
    """The static-order replay of `plan`, validated.

    Replay starts every op as early as its core order and predecessors allow,
    so the makespan never exceeds the plan's when the plan holds each core for
    the real occupancy. A violation is a bug in the engine and raises
    AssertionError: such a schedule must never be exported.
    """
    return checked(problem, replay(problem, assign_cores(problem, plan)), "cpsat")
