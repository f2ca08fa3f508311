"""Energetic heads and tails: precedence and load together.

The longest path ignores that the ops before (or after) an op compete for
the cores; Fernandez and Bussell's argument (1973) does not: if the
ancestors of op i that cannot start before tick k hold W core-ticks in
total, they run on at most m cores between k and i's start, so i starts no
earlier than k + ceil(W / m); symmetrically for its descendants and the end
of the schedule. Sound for any mapping because every op counts at its
fastest occupancy and m is every core of the platform; other batches only
add work, so ignoring them keeps the bounds true.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from prism_cp.bounds.timing import op_timing
from prism_cp.problem import Problem


@dataclass(frozen=True)
class Energetic:
    """Per op of one batch. head[i]: no schedule starts op i before this
    tick. tail[i]: no schedule's last completion tick is less than op i's
    completion tick + tail[i]."""

    head: tuple[int, ...]
    tail: tuple[int, ...]


def _closure(order: list[int], direct: list[list[int]]) -> dict[int, set[int]]:
    """Per op, every op reachable through `direct` (all earlier in `order`)."""
    out: dict[int, set[int]] = {}
    for i in order:
        out[i] = set(direct[i]).union(*(out[j] for j in direct[i]))
    return out


def _strengthen(order: list[int], direct: list[list[int]], related: dict[int, set[int]], occupancy: tuple[int, ...], cores: int) -> list[int]:
    """Per op, in `order` (its `direct` and `related` ops come earlier): the
    longest path through the already computed values of its direct ones, and
    for every threshold k, k + ceil(work of its related ops of value >= k / cores)."""
    value = [0] * len(occupancy)
    for i in order:
        best = max((value[j] + occupancy[j] for j in direct[i]), default=0)
        work = 0
        for j in sorted(related[i], key=lambda j: -value[j]):  # ties: the last of them sees the whole set
            work += occupancy[j]
            best = max(best, value[j] + -(-work // cores))
        value[i] = best
    return value


@lru_cache(maxsize=32)
def energetic_timing(problem: Problem) -> Energetic:
    """Heads and tails of every op, at least the longest-path ones."""
    timing = op_timing(problem)
    cores = problem.platform.cpus + problem.platform.npus
    order = list(timing.order)
    preds, succs = problem.workload.predecessors(), problem.workload.successors()
    head = _strengthen(order, preds, _closure(order, preds), timing.fastest, cores)
    tail = _strengthen(order[::-1], succs, _closure(order[::-1], succs), timing.fastest, cores)
    return Energetic(tuple(head), tuple(tail))


def energetic_bound(problem: Problem) -> float:
    """The makespan bound of the energetic heads and tails, in us: some op
    completes at tick head + fastest + tail or later, and the makespan is at
    least clock * (the last completion tick) + the least `after`."""
    timing, e = op_timing(problem), energetic_timing(problem)
    ticks = max(e.head[i] + timing.fastest[i] + e.tail[i] for i in range(problem.n_ops))
    return float(ticks * problem.clock + min(timing.after))

