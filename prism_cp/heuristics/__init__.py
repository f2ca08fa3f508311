"""Mapping/ordering heuristics. Each takes a Problem and returns a Schedule."""

from __future__ import annotations

from typing import Callable

from prism_cp.heuristics.heft import heft_schedule
from prism_cp.heuristics.hill_climb import hill_climb_mapping
from prism_cp.heuristics.mappings import npufirst_mapping, random_mapping
from prism_cp.heuristics.staggered import staggered_schedule
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule
from prism_cp.simulate import simulate

Heuristic = Callable[..., Schedule]


def random_schedule(problem: Problem, *, seed: int = 42, progress: Progress | None = None) -> Schedule:
    """The reference's `random` algorithm."""
    return simulate(problem, random_mapping(problem, seed))


def npufirst_schedule(problem: Problem, *, seed: int = 42, progress: Progress | None = None) -> Schedule:
    """The reference's `npufirst` algorithm (`seed` is unused, kept for a uniform signature)."""
    return simulate(problem, npufirst_mapping(problem))


def prism_schedule(problem: Problem, *, seed: int = 42, progress: Progress | None = None) -> Schedule:
    """The reference's `prism` algorithm: hill climbing from the random mapping."""
    return simulate(problem, hill_climb_mapping(problem, seed, progress))


HEURISTICS: dict[str, Heuristic] = {
    "random": random_schedule,
    "npufirst": npufirst_schedule,
    "prism": prism_schedule,
    "staggered": staggered_schedule,
    "heft": heft_schedule,
}
