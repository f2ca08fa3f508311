"""The longest-path analysis every bound and the CP model start from.

Sound because every figure here is a relaxation: each op counts at its
fastest allowed core type, for its fewest-tick occupancy
(`Problem.min_ticks`, true at every start tick an optimal schedule can use),
and other batches are ignored (they only add work). Ends are exact rationals
X bounding the exact sum start * clock + T of some op; the makespan is the
largest float end fl(start * clock + T), and rounding is monotone, so it is
at least fl(X), which `float(Fraction)` computes (correctly rounded).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import networkx as nx

from prism_cp.problem import Problem


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
