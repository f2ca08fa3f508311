"""Every lower bound on the makespan, one module each, and the switch that
selects them by name.

Each bound holds for every mapping (per-batch or shared) and every order of
the problem, so the gap of any schedule to the largest of them is an honest
limit on its distance to optimal; each module says why its bound is sound.
The analytic ones (`lower_bound`) take milliseconds; the start-up
(`startup`) and single-type (`single_type`) bounds solve relaxations within
a time share and are run by the CP-SAT engine only.
"""

from __future__ import annotations

from typing import Callable, Collection

from prism_cp.bounds.analytic import critical_path_bound, load_bounds, total_work_bound
from prism_cp.bounds.energetic import energetic_bound
from prism_cp.bounds.timing import OpTiming, only_in_order, op_timing
from prism_cp.bounds.transfer_path import transfer_path_bounds
from prism_cp.bounds.work_split import split_bound, type_split
from prism_cp.errors import PrismError
from prism_cp.problem import Problem

#: every lower bound by the name `solve(..., bounds=...)` and `--bounds` select it by
BOUNDS = ("critical-path", "total-work", "load", "work-split", "energetic", "transfer-path", "startup-columns", "startup-cpsat", "single-type")

#: the analytic bounds by name, each giving its makespan bounds (us)
ANALYTIC: dict[str, Callable[[Problem], list[float]]] = {
    "critical-path": lambda problem: [critical_path_bound(problem)],
    "total-work": lambda problem: [total_work_bound(problem)],
    "load": lambda problem: list(load_bounds(problem).values()),
    "work-split": lambda problem: [split_bound(problem)],
    "energetic": lambda problem: [energetic_bound(problem)],
    "transfer-path": transfer_path_bounds,  # [] without a link
}


def check_bounds(names: Collection[str] | None) -> frozenset[str]:
    """The bounds selected by `names` (None: all of them); an unknown name is a PrismError."""
    if names is None:
        return frozenset(BOUNDS)
    unknown = sorted(set(names) - set(BOUNDS))
    if unknown:
        raise PrismError(f"unknown bound {', '.join(map(repr, unknown))}; choose from {', '.join(BOUNDS)}")
    return frozenset(names)


def lower_bound(problem: Problem, bounds: Collection[str] | None = None) -> float:
    """The best of the selected analytic bounds (us; `bounds`: names from
    BOUNDS, None: all). 0.0 where none is selected: still sound, since no
    makespan is negative."""
    selected = check_bounds(bounds)
    return max((b for name, bound in ANALYTIC.items() if name in selected for b in bound(problem)), default=0.0)


__all__ = [
    "BOUNDS",
    "OpTiming",
    "check_bounds",
    "critical_path_bound",
    "energetic_bound",
    "load_bounds",
    "lower_bound",
    "only_in_order",
    "op_timing",
    "split_bound",
    "total_work_bound",
    "transfer_path_bounds",
    "type_split",
]
