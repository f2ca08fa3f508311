"""The makespan-energy front of a problem by the epsilon-constraint method:
the least makespan, the least energy, then the least energy under makespan
caps placed where the front is least known, all with cpsat under one time
limit. Every point is a validated `Result` with its makespan bound and
(under a cap) energy bound."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from prism_cp.problem import Problem
from prism_cp.schedule import Result, Status
from prism_cp.solve import check_objective, solve

MAKESPAN_SHARE = 0.2  # of the time limit, for the least makespan (the only solve that seeds and proves bounds)
THRIFTY_SHARE = 0.1  # for the least energy at any makespan: it starts from the cheapest mapping


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
    """`points` solves within `time_limit` seconds in all: the least makespan
    M (MAKESPAN_SHARE of the limit; the only solve that runs the heuristics
    and proves makespan bounds, which the others reuse), the least energy at
    any makespan (THRIFTY_SHARE: its search starts from the mapping with each
    op on its cheapest type, which already minimises every op's own term),
    then caps in equal shares of what is left, each where the front is least
    known (`next_cap`). Every energy solve is seeded with every schedule
    found so far (those within its cap are its starting points). Points
    without a schedule within their cap (INFEASIBLE, UNKNOWN) are dropped;
    the rest are marked `dominated` where an earlier point in (makespan,
    energy) order is no worse in both, so the non-dominated ones form a
    monotone front (a longer makespan never costs more energy). `options`:
    `solve`'s."""
    check_objective(problem, "cpsat", "energy", None)  # a platform without power figures, or a stream: before any solve
    end = time.perf_counter() + time_limit
    found: list[Result] = [solve(problem, "cpsat", time_limit=max(MAKESPAN_SHARE * time_limit, 0.1), **options)]
    reuse = {**options, "bounds": (), "seeding": False, "proven_bound_us": found[0].lower_bound}
    tried: list[float] = []

    def run(share: float, cap: float | None) -> None:
        seeds = tuple(r.schedule for r in found)
        found.append(solve(problem, "cpsat", time_limit=max(share, 0.1), objective="energy", makespan_cap_us=cap, extra_seeds=seeds, **reuse))
        if cap is not None:
            tried.append(cap)

    run(THRIFTY_SHARE * time_limit, None)
    for k in range(points - 2):
        cap = next_cap(valid(found), tried)
        if cap is None:
            break
        run((end - time.perf_counter()) / (points - 2 - k), cap)
    kept = sorted(valid(found), key=lambda r: (r.makespan, r.energy_uj or 0.0))
    return [FrontPoint(r, any(no_worse(q, r) for q in kept[:k])) for k, r in enumerate(kept)]


def valid(results: list[Result]) -> list[Result]:
    """The results with a schedule within their cap."""
    return [r for r in results if r.status not in (Status.INFEASIBLE, Status.UNKNOWN)]


def next_cap(results: list[Result], tried: list[float]) -> float | None:
    """The middle of the makespan interval where the least energy found
    drops most: between consecutive knots (the points' makespans and the
    caps tried), the step from the least energy found within the lower knot
    to that within the upper one. A cap tried splits its interval even when
    it found nothing new, so no interval is solved twice. None when no
    interval has an energy drop (the front found is flat)."""
    knots = sorted({r.makespan for r in results} | set(tried))

    def least(x: float) -> float:
        return min(r.energy_uj for r in results if r.makespan <= x and r.energy_uj is not None)

    drops = [(least(a) - least(b), (a + b) / 2) for a, b in zip(knots, knots[1:])]
    drop, cap = max(drops, default=(0.0, None))
    return cap if drop > 0 else None


def no_worse(q: Result, r: Result) -> bool:
    """q's makespan and energy are both at most r's: r adds nothing to a
    front that has q (q comes first in (makespan, energy) order, so of two
    equal points the first one stays)."""
    assert q.energy_uj is not None and r.energy_uj is not None
    return q.makespan <= r.makespan and q.energy_uj <= r.energy_uj
