"""The energy of a schedule (docs/engine.md#energy): what its cores draw while
busy and idle until the makespan, plus the bytes it moves over the link.
Computed exactly from the schedule's floats and rounded once, so that a
bound proven in exact arithmetic (the CP model's) can be compared with it."""

from __future__ import annotations

from fractions import Fraction

from prism_cp.platform import Platform, Power
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule
from prism_cp.workload import CORE_TYPES


def powers(platform: Platform) -> dict[str, Power] | None:
    """The power figures of every core type that has cores, or None if the
    platform states none for one of them (energy is then unknown)."""
    found = {c: platform.power_of(c) for c in CORE_TYPES if platform.cores(c)}
    if any(p is None for p in found.values()):
        return None
    return {c: p for c, p in found.items() if p is not None}


def energy_uj(problem: Problem, schedule: Schedule) -> float | None:
    """`sum_t (active_mw_t * busy_t + idle_mw_t * (cores_t * makespan - busy_t)) / 1000
    + sum over transfers of bytes * pj_per_byte / 1e6` (uJ), busy_t the summed
    `end - start` of the ops on type t; None without power figures. The sum is
    exact over the floats of the schedule and the platform, rounded to the
    nearest float once."""
    power = powers(problem.platform)
    if power is None:
        return None
    makespan = Fraction(schedule.makespan)
    busy = dict.fromkeys(power, Fraction(0))
    for start, end, core in zip(schedule.start, schedule.end, schedule.core_type):
        busy[core] += Fraction(end) - start
    total = sum(
        (Fraction(p.active_mw) * busy[c] + Fraction(p.idle_mw) * (problem.platform.cores(c) * makespan - busy[c]) for c, p in power.items()),
        Fraction(0),
    ) / 1000
    link = problem.platform.link
    if link is not None and schedule.transfers:
        total += sum(t.bytes for t in schedule.transfers) * Fraction(link.pj_per_byte) / 10**6
    return float(total)
