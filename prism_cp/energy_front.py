"""The makespan-energy front of a problem by the epsilon-constraint method:
the least makespan, the least energy, then the least energy under makespan
caps between the two, all with cpsat under one time limit. Every point is a
validated `Result` with its makespan bound and (under a cap) energy bound."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from prism_cp.problem import Problem
from prism_cp.schedule import Result, Status
from prism_cp.solve import solve


@dataclass(frozen=True)
class FrontPoint:
    """One solve of the front: `result` (its `makespan_cap_us` None for the
    least-makespan solve) and whether another point is at least as good in
    both makespan and energy and better in one (`dominated`)."""

    result: Result
    dominated: bool = False

    def row(self) -> dict[str, Any]:
        """The point as the JSON and CSV write it."""
        r = self.result
        return {
            "objective": "makespan" if r.makespan_cap_us is None else "energy",
            "makespan_cap_us": r.makespan_cap_us,
            "makespan_us": r.makespan,
            "lower_bound_us": r.lower_bound,
            "energy_uj": r.energy_uj,
            "energy_bound_uj": r.energy_bound_uj,
            "status": str(r.status),
            "dominated": self.dominated,
            "wall_s": r.wall_s,
        }


def energy_front(problem: Problem, *, time_limit: float, points: int = 6, **options: Any) -> list[FrontPoint]:
    """`points` solves within `time_limit` seconds in all (each gets an equal
    share of what is left): the least makespan M, the least energy at any
    makespan (makespan M_E), then the least energy under caps spread evenly
    from M up to M_E (M itself first). Each energy solve is seeded with the
    schedules already found. Points without a schedule within their cap
    (INFEASIBLE, UNKNOWN) are dropped; the rest are marked `dominated` where
    an earlier point in (makespan, energy) order is no worse in both, so the non-dominated ones form a monotone front
    (a longer makespan never costs more energy). `options`: `solve`'s."""
    end = time.perf_counter() + time_limit
    found: list[Result] = []

    def run(**objective: Any) -> None:
        share = (end - time.perf_counter()) / (points - len(found))
        seeds = {"extra_seeds": tuple(r.schedule for r in found)} if objective else {}
        found.append(solve(problem, "cpsat", time_limit=max(share, 0.1), **seeds, **objective, **options))

    run()
    run(objective="energy")
    fastest, thriftiest = found[0].makespan, found[1].makespan
    caps = [fastest + (thriftiest - fastest) * k / (points - 2) for k in range(points - 2)]
    for cap in caps:
        run(objective="energy", makespan_cap_us=cap)
    kept = sorted((r for r in found if r.status not in (Status.INFEASIBLE, Status.UNKNOWN)), key=lambda r: (r.makespan, r.energy_uj or 0.0))
    return [FrontPoint(r, any(no_worse(q, r) for q in kept[:k])) for k, r in enumerate(kept)]


def no_worse(q: Result, r: Result) -> bool:
    """q's makespan and energy are both at most r's: r adds nothing to a
    front that has q (q comes first in (makespan, energy) order, so of two
    equal points the first one stays)."""
    assert q.energy_uj is not None and r.energy_uj is not None
    return q.makespan <= r.makespan and q.energy_uj <= r.energy_uj
