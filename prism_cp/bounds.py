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

import networkx as nx

from prism_cp.problem import Problem
from prism_cp.work_split import work_split_bound


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


def critical_path_bound(problem: Problem) -> float:
    """Longest path with every op on its fastest allowed core type, in us."""
    t = op_timing(problem)
    return float(max(t.head[i] * problem.clock + t.rest[i] for i in range(problem.n_ops)))


def load_bounds(problem: Problem) -> dict[str, float]:
    """Per core type c: a bound from the ops that can run only on c.

    All batches' c-only work W (ticks) needs ceil(W / cores) ticks on the c cores,
    none of it can start before the earliest head among those ops, and the op
    that completes last is followed by at least its `after` time.
    """
    head, after = op_timing(problem).head, op_timing(problem).after
    out: dict[str, float] = {}
    for c in ("cpu", "npu"):
        only = [i for i in range(problem.n_ops) if problem.allowed(i) == (c,)]
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


def split_bound(problem: Problem) -> float:
    """The work-split bound, in us: each op's work split between the core
    types that may run it (`work_split`), each type's share of every batch
    on its cores after the earliest head of an op it may run and followed by
    the least `after` of such an op.

    Rounding: in any schedule type c's work ends at a whole tick E_c >=
    head_c + load_c / cores_c, and makespan >= clock * E_c + after_c; the
    busiest type's term is at least the LP optimum v and lies on the grid
    clock * Z + after_c, so the makespan is at least the least grid point
    >= v over the types.
    """
    timing, clock, plat = op_timing(problem), problem.clock, problem.platform
    types = [c for c in ("cpu", "npu") if plat.cores(c)]
    able = {c: [i for i in range(problem.n_ops) if c in problem.allowed(i)] for c in types}
    occupancy = {c: [clock * problem.ticks[c][i] if c in problem.allowed(i) else None for i in range(problem.n_ops)] for c in types}
    after = {c: min(timing.after[i] for i in able[c]) for c in types if able[c]}
    offset = {c: clock * min(timing.head[i] for i in able[c]) + after[c] for c in after}
    v = work_split_bound(occupancy, [problem.nbatch] * problem.n_ops, {c: plat.cores(c) for c in types}, offset)
    return float(min(a + clock * -((a - v) // clock) for a in after.values()))


def lower_bound(problem: Problem) -> float:
    """The best analytic bound (us)."""
    return max([critical_path_bound(problem), total_work_bound(problem), split_bound(problem), *load_bounds(problem).values()])
