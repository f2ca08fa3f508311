"""Analytic lower bounds on the makespan of any schedule of a problem.

Every bound here holds for every mapping (per-batch or shared) and every
order, so the gap of any schedule to them is an honest limit on its distance
to optimal. Times are ticks inside, microseconds at the edge.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import networkx as nx

from prism_cp.problem import Problem


@lru_cache(maxsize=32)
def _analysis(problem: Problem) -> tuple[list[int], list[Fraction], list[int]]:
    """(head, after, fastest) per op of one batch.

    head[i]: earliest start tick of op i (predecessor chains at their fastest
    allowed occupancy). after[i]: a lower bound on makespan - clock * (the
    tick op i completes), whatever core types are chosen. fastest[i]: fewest
    ticks op i can occupy a core.
    """
    n, clock = problem.n_ops, problem.clock
    times, ticks = problem.workload.times, problem.ticks
    fastest = [min(ticks[c][i] for c in problem.allowed(i)) for i in range(n)]
    min_time = [min(Fraction(times[c][i]) for c in problem.allowed(i)) for i in range(n)]
    # the most an op's end can fall short of its completion tick * clock
    slack = [max(ticks[c][i] * clock - Fraction(times[c][i]) for c in problem.allowed(i)) for i in range(n)]
    preds, succs = problem.workload.predecessors(), problem.workload.successors()
    order = list(nx.topological_sort(problem.workload.graph()))
    head = [0] * n
    for i in order:
        head[i] = max((head[p] + fastest[p] for p in preds[i]), default=0)
    # q[i]: makespan - clock * start tick of i is at least q[i]
    q = [Fraction(0)] * n
    after = [Fraction(0)] * n
    for i in reversed(order):
        after[i] = max((q[s] for s in succs[i]), default=-slack[i])
        q[i] = max([min_time[i]] + [fastest[i] * clock + q[s] for s in succs[i]])
    return head, after, fastest


def critical_path_bound(problem: Problem) -> float:
    """Longest path with every op on its fastest allowed core type, in us."""
    head, after, fastest = _analysis(problem)
    return float(max((head[i] + fastest[i]) * problem.clock + after[i] for i in range(problem.n_ops)))


def load_bounds(problem: Problem) -> dict[str, float]:
    """Per core type c: a bound from the ops that can run only on c.

    All batches' c-only work W (ticks) needs ceil(W / cores) ticks on the c cores,
    none of it can start before the earliest head among those ops, and the op
    that completes last is followed by at least its `after` time.
    """
    head, after, _ = _analysis(problem)
    out: dict[str, float] = {}
    for c in ("cpu", "npu"):
        only = [i for i in range(problem.n_ops) if problem.allowed(i) == (c,)]
        if not only:
            continue
        work = problem.nbatch * sum(problem.ticks[c][i] for i in only)
        k = problem.platform.cores(c)
        span = min(head[i] for i in only) + -(-work // k)
        out[c] = float(span * problem.clock + min(after[i] for i in only))
    return out


def total_work_bound(problem: Problem) -> float:
    """All work at its fastest occupancy, spread over every core, in us."""
    _, after, fastest = _analysis(problem)
    cores = problem.platform.cpus + problem.platform.npus
    span = -(-problem.nbatch * sum(fastest) // cores)
    return float(span * problem.clock + min(after))


def lower_bound(problem: Problem) -> float:
    """The best analytic bound (us)."""
    return max([critical_path_bound(problem), total_work_bound(problem), *load_bounds(problem).values()])
