"""What an engine hands back to `solve`: a schedule and the bound it proved,
nothing judged yet. `solve` alone validates the schedule, decides the status
and builds the `Result`, so no engine can report an unchecked schedule."""

from __future__ import annotations

from dataclasses import dataclass

from prism_cp.problem import Problem
from prism_cp.schedule import Schedule
from prism_cp.simulate import validate


@dataclass(frozen=True)
class Outcome:
    """schedule: the engine's best schedule (not yet validated). lower_bound:
    a proven bound on the makespan of every schedule of the problem (us).
    interrupted: Ctrl-C ended the run early. energy_bound_uj: with an energy
    objective, a proven bound on the energy of every schedule within the
    makespan cap (None: nothing proven)."""

    schedule: Schedule
    lower_bound: float
    interrupted: bool = False
    energy_bound_uj: float | None = None


def checked(problem: Problem, schedule: Schedule, what: str) -> Schedule:
    """`schedule`, once `validate` finds nothing wrong with it; else
    AssertionError: an invalid schedule from `what` is a bug, never a result."""
    problems = validate(problem, schedule)
    if problems:
        raise AssertionError(f"{what} produced an invalid schedule: {problems[:3]}")
    return schedule
