"""The work-split relaxation of the core-type choice, solved exactly.

Every op must run on *some* core type, so the cores of each type share the
work mapped to it. Relaxing the choice to a fractional split of each op's
work between its allowed types gives the linear program

    min C  s.t.  load(c) / cores(c) <= C for every type c,
                 load(c) = sum_i count_i * occupancy_i(c) * x_i(c),
                 sum_c x_i(c) = 1,  x_i(c) >= 0, x_i(c) = 0 where i cannot run on c.

Any mapping of any schedule is a feasible point, so C* is a lower bound on the
busiest type's load per core. With two core types the optimum is
combinatorial (the Lagrangian weighs the two loads by lambda and 1 - lambda,
which sends each op to the type of smaller weighted occupancy: a threshold on
the ratio occupancy(a) / occupancy(b)), so it is computed here in exact
rational arithmetic together with its dual certificate lambda.

`split_bound` applies it to a problem: all batches' work at its fewest-tick
occupancy, each type's load after the earliest head of an op it may run and
followed by the least `after` of such an op (`timing.op_timing`), so any
schedule is a feasible point and the LP optimum bounds its makespan.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Mapping, Sequence

from prism_cp.bounds.timing import op_timing
from prism_cp.problem import Problem

Occupancy = Mapping[str, Sequence[int | Fraction | None]]


@dataclass(frozen=True)
class WorkSplit:
    """The optimum of the work-split LP.

    span: C*, the least possible max over types of load / cores.
    share: per op, per type, the fraction x_i(c) of its work on c in an optimal split.
    load: per type, the load of that split (at most span * cores).
    dual: per type, the Lagrange weight (summing to 1) whose relaxation
    sum_c weight(c) * offset(c) + sum_i count_i * min_c weight(c) * occupancy_i(c) / cores(c)
    equals span: the certificate that no split does better.
    """

    span: Fraction
    share: tuple[dict[str, Fraction], ...]
    load: dict[str, Fraction]
    dual: dict[str, Fraction]


def work_split(
    occupancy: Occupancy, count: Sequence[int], cores: Mapping[str, int], offset: Mapping[str, Fraction] | None = None
) -> WorkSplit:
    """The exact optimum of the work-split LP (see the module docstring).

    occupancy[c][i]: what op i occupies a core of type c (ticks, or any
    exact unit), None where op i cannot run on c. count[i]: copies of op i
    (e.g. batches). cores[c]: cores of type c; a type without cores takes no
    work. offset[c] (default 0): added to type c's load / cores, e.g. the
    least time before and after any work on c; span is then
    min over splits of max_c load(c) / cores(c) + offset(c). At most two core
    types. Raises ValueError if an op can run nowhere.
    """
    off = {c: Fraction((offset or {}).get(c, 0)) for c in occupancy}
    types = [c for c in occupancy if cores.get(c, 0) > 0]
    if len(types) > 2:
        raise ValueError(f"the work split is solved for at most two core types, got {types}")
    n = len(count)
    allowed = [[c for c in types if occupancy[c][i] is not None] for i in range(n)]
    for i, where in enumerate(allowed):
        if not where and count[i]:
            raise ValueError(f"op {i} can run on no core type with cores")
    share = [{c: Fraction(0) for c in occupancy} for _ in range(n)]
    load = {c: Fraction(0) for c in occupancy}
    flexible = []
    for i, where in enumerate(allowed):
        if len(where) == 2 and count[i]:
            flexible.append(i)
        elif where:  # all on one type (an op without copies adds nothing)
            share[i][where[0]] = Fraction(1)
            load[where[0]] += count[i] * Fraction(occupancy[where[0]][i])
    if len(types) < 2:
        c = types[0] if types else next(iter(occupancy))
        return WorkSplit(load[c] / cores[c] + off[c] if types else Fraction(0), tuple(share), load, {c: Fraction(1)})
    a, b = types
    ka, kb = Fraction(cores[a]), Fraction(cores[b])

    def occ(c: str, i: int) -> Fraction:
        return Fraction(occupancy[c][i])

    def level(c: str) -> Fraction:
        return load[c] / cores[c] + off[c]

    # start with every flexible op on b, then move them to a, cheapest ratio a/b first
    for i in flexible:
        share[i][b] = Fraction(1)
        load[b] += count[i] * occ(b, i)
    flexible.sort(key=lambda i: (occ(b, i) == 0, occ(a, i) / occ(b, i) if occ(b, i) else 0, i))
    marginal = Fraction(1)  # weight of a that makes the last op moved indifferent
    for i in flexible:
        ta, tb = occ(a, i), occ(b, i)
        if level(a) >= level(b) or tb == 0:
            break  # balanced, or the rest only adds work to a
        # x copies moved balance the types: level(a) + x ta / ka = level(b) - x tb / kb
        x = min(Fraction(count[i]), (level(b) - level(a)) / (ta / ka + tb / kb))
        load[a] += x * ta
        load[b] -= x * tb
        share[i][a], share[i][b] = x / count[i], 1 - x / count[i]
        marginal = (tb / kb) / (ta / ka + tb / kb)
    # b still busier: all movable work is on a and only b's load counts (weight 0 on a);
    # balanced: the marginal op's ratio separates the types; a busier: nothing moved, only a counts
    dual_a = Fraction(0) if level(a) < level(b) else marginal
    span = max(level(a), level(b))
    return WorkSplit(span, tuple(share), load, {a: dual_a, b: 1 - dual_a})


def work_split_bound(
    occupancy: Occupancy, count: Sequence[int], cores: Mapping[str, int], offset: Mapping[str, Fraction] | None = None
) -> Fraction:
    """C* of the work-split LP: no mapping puts less than C* work per core on
    its busiest core type (same arguments as `work_split`)."""
    return work_split(occupancy, count, cores, offset).span


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
