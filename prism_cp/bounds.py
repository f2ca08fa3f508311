"""Analytic lower bounds on the makespan of any schedule of a problem.

Every bound here holds for every mapping (per-batch or shared) and every
order, so the gap of any schedule to them is an honest limit on its distance
to optimal. Times are ticks inside, microseconds at the edge.

Soundness rests on two facts. Occupancies are `Problem.min_ticks`, true at
every start tick an optimal schedule can use. Ends are exact rationals X
bounding the exact sum start * clock + T of some op; the makespan is the
largest float end fl(start * clock + T), and rounding is monotone, so it is
at least fl(X), which `float(Fraction)` computes (correctly rounded).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Collection

import networkx as nx

from prism_cp.errors import PrismError
from prism_cp.problem import Problem
from prism_cp.work_split import WorkSplit, work_split

#: every lower bound by the name `solve(..., bounds=...)` and `--bounds` select it by
BOUNDS = ("critical-path", "total-work", "load", "work-split", "energetic", "startup-columns", "startup-cpsat", "single-type")


def check_bounds(names: Collection[str] | None) -> frozenset[str]:
    """The bounds selected by `names` (None: all of them); an unknown name is a PrismError."""
    if names is None:
        return frozenset(BOUNDS)
    unknown = sorted(set(names) - set(BOUNDS))
    if unknown:
        raise PrismError(f"unknown bound {', '.join(map(repr, unknown))}; choose from {', '.join(BOUNDS)}")
    return frozenset(names)


@dataclass(frozen=True)
class OpTiming:
    """Per op of one batch, with every op on its fastest allowed core type.

    order: a topological order. head[i]: earliest start tick. tail[i]: fewest
    ticks from op i's start to the completion of the last op after it.
    fastest[i]: fewest ticks op i can occupy a core. With E the largest exact
    end start * clock + T of any op, whatever core types are chosen, exact
    lower bounds: rest[i] on E - clock * (the tick op i starts), after[i] on
    E - clock * (the tick op i completes).
    """

    order: tuple[int, ...]
    head: tuple[int, ...]
    tail: tuple[int, ...]
    fastest: tuple[int, ...]
    rest: tuple[Fraction, ...]
    after: tuple[Fraction, ...]


@lru_cache(maxsize=32)
def op_timing(problem: Problem) -> OpTiming:
    """The longest-path analysis every bound and the CP model start from."""
    n, clock = problem.n_ops, problem.clock
    times = problem.workload.times
    fastest = [min(problem.min_ticks[c][i] for c in problem.allowed(i)) for i in range(n)]
    min_time = [min(Fraction(times[c][i]) for c in problem.allowed(i)) for i in range(n)]
    # the most an op's exact end can fall short of its completion tick * clock
    slack = [max(problem.max_ticks[c][i] * clock - Fraction(times[c][i]) for c in problem.allowed(i)) for i in range(n)]
    preds, succs = problem.workload.predecessors(), problem.workload.successors()
    order = tuple(nx.topological_sort(problem.workload.graph()))
    head, tail = [0] * n, [0] * n
    for i in order:
        head[i] = max((head[p] + fastest[p] for p in preds[i]), default=0)
    rest = [Fraction(0)] * n
    after = [Fraction(0)] * n
    for i in reversed(order):
        tail[i] = fastest[i] + max((tail[s] for s in succs[i]), default=0)
        after[i] = max((rest[s] for s in succs[i]), default=-slack[i])
        rest[i] = max([min_time[i]] + [fastest[i] * clock + rest[s] for s in succs[i]])
    return OpTiming(order, tuple(head), tuple(tail), tuple(fastest), tuple(rest), tuple(after))


def only_in_order(problem: Problem, c: str) -> tuple[int, ...]:
    """The ops of one batch that run on core type c alone, in `op_timing`'s
    topological order: the order the relaxations over them walk."""
    only = set(problem.only_on[c])
    return tuple(i for i in op_timing(problem).order if i in only)


def critical_path_bound(problem: Problem) -> float:
    """Longest path with every op on its fastest allowed core type, from the
    last batch's release (tick 0 without a stream), in us."""
    t, last = op_timing(problem), problem.release[-1]
    return float(max((last + t.head[i]) * problem.clock + t.rest[i] for i in range(problem.n_ops)))


def load_bounds(problem: Problem) -> dict[str, float]:
    """Per core type c: a bound from the ops that can run only on c.

    All batches' c-only work W (ticks) needs ceil(W / cores) ticks on the c cores,
    none of it can start before the earliest head among those ops, and the op
    that completes last is followed by at least its `after` time.
    """
    head, after = op_timing(problem).head, op_timing(problem).after
    out: dict[str, float] = {}
    for c in ("cpu", "npu"):
        only = problem.only_on[c]
        if not only:
            continue
        work = problem.nbatch * sum(problem.min_ticks[c][i] for i in only)
        k = problem.platform.cores(c)
        span = min(head[i] for i in only) + -(-work // k)
        out[c] = float(span * problem.clock + min(after[i] for i in only))
    return out


def total_work_bound(problem: Problem) -> float:
    """All work at its fastest occupancy, spread over every core, in us."""
    after, fastest = op_timing(problem).after, op_timing(problem).fastest
    cores = problem.platform.cpus + problem.platform.npus
    span = -(-problem.nbatch * sum(fastest) // cores)
    return float(span * problem.clock + min(after))


@lru_cache(maxsize=32)
def type_split(problem: Problem) -> tuple[WorkSplit, dict[str, Fraction]]:
    """The work-split LP of all batches (`work_split`, occupancies
    `Problem.min_ticks` in us), each type's load on its cores after the
    earliest head of an op it may run and followed by the least `after` of
    such an op; and that least `after` per type."""
    timing, clock, plat = op_timing(problem), problem.clock, problem.platform
    types = [c for c in ("cpu", "npu") if plat.cores(c)]
    able = {c: [i for i in range(problem.n_ops) if c in problem.allowed(i)] for c in types}
    occupancy = {c: [clock * problem.min_ticks[c][i] if c in problem.allowed(i) else None for i in range(problem.n_ops)] for c in types}
    after = {c: min(timing.after[i] for i in able[c]) for c in types if able[c]}
    offset = {c: clock * min(timing.head[i] for i in able[c]) + after[c] for c in after}
    return work_split(occupancy, [problem.nbatch] * problem.n_ops, {c: plat.cores(c) for c in types}, offset), after


def split_bound(problem: Problem) -> float:
    """The work-split bound (`type_split`), in us.

    Rounding: in any schedule type c's work ends at a whole tick E_c >=
    head_c + load_c / cores_c, and the largest exact end is at least
    clock * E_c + after_c; the busiest type's term is at least the LP optimum
    v and lies on the grid clock * Z + after_c, so the largest exact end is at
    least the least grid point >= v over the types.
    """
    split, after = type_split(problem)
    clock, v = problem.clock, split.span
    return float(min(a + clock * -((a - v) // clock) for a in after.values()))


def lower_bound(problem: Problem) -> float:
    """The best analytic bound (us)."""
    bounds = [critical_path_bound(problem), total_work_bound(problem), split_bound(problem), energetic_bound(problem)]
    return max(bounds + list(load_bounds(problem).values()))


# Energetic heads and tails: precedence and load together. The longest path
# ignores that the ops before (or after) an op compete for the cores;
# Fernandez and Bussell's argument (1973) does not: if the ancestors of op i
# that cannot start before tick k hold W core-ticks in total, they run on at
# most m cores between k and i's start, so i starts no earlier than
# k + ceil(W / m); symmetrically for its descendants and the end of the
# schedule. Every op counts at its fastest occupancy and m is every core of the
# platform, so the bounds hold for any mapping; other batches only add work, so
# ignoring them keeps the bounds true.


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

