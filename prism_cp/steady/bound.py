"""The steady-state period bound: the least time per batch any schedule of an
endless stream of batches can sustain.

Over N batches every core type c carries the work mapped to it; the work-split
LP (`work_split`) gives the least possible max over types of load / cores
for one batch, with each op's work split freely between its allowed types.
N batches then take at least N times that, whatever the order, the mapping
or the latency, so it bounds the period (and 1 / it the throughput).
Occupancy is counted in whole ticks, at the fewest ticks an op can hold a
core at any start tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from prism_cp.problem import MAX_HORIZON_US, Problem, occupancy_range
from prism_cp.bounds.work_split import work_split
from prism_cp.workload import CORE_TYPES


@dataclass(frozen=True)
class PeriodBound:
    """ticks: the bound on the period per batch (exact, in ticks).
    bottleneck: the core type whose load per core sets it.
    load: per core type, its load per core (ticks) in an optimal split."""

    ticks: Fraction
    bottleneck: str
    load: dict[str, Fraction]

    def us(self, clock: int) -> float:
        return float(self.ticks * clock)


@lru_cache(maxsize=32)
def stream_ticks(problem: Problem) -> dict[str, tuple[tuple[int, int], ...]]:
    """Per core type, per op: (fewest, most) ticks it holds a core at any
    start tick of an endless stream (below MAX_HORIZON_US, ~100 days)."""
    return {c: tuple(occupancy_range(t, problem.clock, MAX_HORIZON_US) for t in ts) for c, ts in problem.workload.times.items()}


def fewest_ticks(problem: Problem) -> dict[str, list[int | None]]:
    """Per core type, per op: the fewest ticks it can hold a core of that
    type at any start tick; None where it may not run there."""
    occ = stream_ticks(problem)
    return {c: [occ[c][i][0] if c in problem.allowed(i) else None for i in range(problem.n_ops)] for c in CORE_TYPES}


def period_bound(problem: Problem) -> PeriodBound:
    """The work-split bound on the period of any periodic schedule of
    `problem`'s workload on its platform (`problem.nbatch` is ignored)."""
    cores = {c: problem.platform.cores(c) for c in CORE_TYPES}
    split = work_split(fewest_ticks(problem), [1] * problem.n_ops, cores)
    per_core = {c: split.load[c] / cores[c] for c in CORE_TYPES if cores[c]}
    bottleneck = max(per_core, key=lambda c: (per_core[c], split.dual.get(c, 0)))
    return PeriodBound(split.span, bottleneck, per_core)
