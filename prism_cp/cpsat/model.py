"""The CP-SAT model of an unrolled problem, in clock ticks.

Every global op gets a start tick and (where both types may run it) a
literal "on the NPU"; it occupies a core of its type for the type's occupancy
in ticks; predecessors complete before successors start; a cumulative
constraint per core type keeps at most k ops on the k cores of that type.
The objective is the simulator's makespan, max(start * clock + T), in integer
units of 1/SCALE us, rounded down per op so that the solver's bound divided
by SCALE is a true lower bound of the float makespan.

The model can be built for a neighbourhood of an incumbent schedule: ops in
`free` choose type and start; ops that start before every free op keep their
exact start and type (a compacted schedule cannot start them earlier in the
same order); every other op keeps its type and its order on its core but may
move in time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import networkx as nx
from ortools.sat.python import cp_model

from prism_cp.cpsat.plan import Plan
from prism_cp.problem import Problem, completion_tick
from prism_cp.schedule import Schedule

SCALE = 1000
MAPPINGS = ("per-batch", "shared")


def scaled(time_us: float) -> int:
    """`time_us` in objective units, rounded down (exact for any float)."""
    return math.floor(Fraction(time_us) * SCALE)


@dataclass
class Model:
    """A built model and what is needed to read a solution back."""

    model: cp_model.CpModel
    start: dict[int, cp_model.IntVar]
    on_npu: dict[int, cp_model.IntVar]
    makespan: cp_model.IntVar
    incumbent: Plan

    def plan(self, value) -> Plan:
        """The Plan of a solution, `value` being the solver's or callback's `Value`."""
        start = list(self.incumbent.start)
        ctype = list(self.incumbent.core_type)
        for g, var in self.start.items():
            start[g] = int(value(var))
        for g, lit in self.on_npu.items():
            ctype[g] = "npu" if value(lit) else "cpu"
        return Plan(tuple(start), tuple(ctype))


@lru_cache(maxsize=8)
def _shape(problem: Problem) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(topological order, head, tail, fastest) per op of one batch, in ticks.

    head[i]: earliest start tick; tail[i]: fewest ticks from the start of op i
    to the completion of the last op after it, both with every op at its
    fastest allowed occupancy.
    """
    n = problem.n_ops
    order = tuple(nx.topological_sort(problem.workload.graph()))
    fastest = [min(problem.ticks[c][i] for c in problem.allowed(i)) for i in range(n)]
    preds, succs = problem.workload.predecessors(), problem.workload.successors()
    head, tail = [0] * n, [0] * n
    for i in order:
        head[i] = max((head[p] + fastest[p] for p in preds[i]), default=0)
    for i in reversed(order):
        tail[i] = fastest[i] + max((tail[s] for s in succs[i]), default=0)
    return order, tuple(head), tuple(tail), tuple(fastest)


def build(
    problem: Problem,
    incumbent: Schedule,
    lower_us: float,
    *,
    mapping: str = "per-batch",
    free: frozenset[int] | None = None,
) -> Model:
    """The model of `problem` restricted to schedules no worse than `incumbent`,
    hinted with it.

    `free=None` frees every op and adds batch symmetry breaking (batches are
    interchangeable, so their first ops start in batch order); the incumbent
    must then already be in that order (see `sort_batches`). `lower_us` is a
    proven lower bound on the makespan.
    """
    n, clock, nb = problem.n_ops, problem.clock, problem.nbatch
    order, head, tail, fastest = _shape(problem)
    inc = Plan.of(problem, incumbent)
    horizon = int(incumbent.makespan // clock) + 1  # no op of a better schedule completes later
    everything = free is None
    free = frozenset(range(problem.size)) if everything else free
    first_free = min((inc.start[g] for g in free), default=horizon)
    frozen = [g not in free and inc.start[g] < first_free for g in range(problem.size)]
    two = [len(problem.allowed(i)) == 2 for i in range(n)]

    # which ops keep their incumbent type; in shared mode a type is per op of a batch
    def key(g: int) -> int:
        return g % n if mapping == "shared" else g

    kept = {key(g) for g in range(problem.size) if two[g % n] and g not in free}
    m = cp_model.CpModel()
    start: dict[int, cp_model.IntVar] = {}
    on_npu: dict[int, cp_model.IntVar] = {}
    shared_lit: dict[int, cp_model.IntVar] = {}
    lb = [0] * problem.size
    done = {g: completion_tick(inc.start[g], problem.global_times[inc.core_type[g]][g], clock) for g in range(problem.size) if frozen[g]}
    for b in range(nb):
        for i in order:
            g = b * n + i
            if frozen[g]:
                continue
            lb[g] = max([head[i]] + [done[p] if frozen[p] else lb[p] + fastest[p % n] for p in problem.preds[g]])
            start[g] = m.new_int_var(lb[g], horizon - tail[i], f"s{g}")
            m.add_hint(start[g], inc.start[g])
            if two[i] and key(g) not in kept:
                if key(g) not in shared_lit:
                    shared_lit[key(g)] = m.new_bool_var(f"npu{key(g)}")
                    m.add_hint(shared_lit[key(g)], inc.core_type[g] == "npu")
                on_npu[g] = shared_lit[key(g)]
    reach = min((lb[g] for g in start), default=horizon)

    def ctype(g: int) -> str | None:
        """The fixed core type of g, or None when the model chooses it."""
        return None if g in on_npu else inc.core_type[g]

    def dur(g: int, c: str) -> int:
        return problem.ticks[c][g % n]

    def end_expr(g: int):
        c = ctype(g)
        if c:
            return start[g] + dur(g, c)
        return start[g] + dur(g, "cpu") + (dur(g, "npu") - dur(g, "cpu")) * on_npu[g]

    for g in start:
        for p in problem.preds[g]:
            if not frozen[p]:
                m.add(start[g] >= end_expr(p))
    # non-free ops keep their order on their core
    for (c, _k), seq in incumbent.sequences().items():
        chain = [g for g in seq if g in start and g not in free]
        for a, b in zip(chain, chain[1:]):
            m.add(start[b] >= start[a] + dur(a, c))
    for c in ("cpu", "npu"):
        cap = problem.platform.cores(c)
        if not cap:
            continue
        intervals = []
        for g in range(problem.size):
            if frozen[g]:
                if inc.core_type[g] == c and done[g] > reach:
                    intervals.append(m.new_fixed_size_interval_var(inc.start[g], done[g] - inc.start[g], f"f{c}{g}"))
            elif ctype(g) == c:
                intervals.append(m.new_fixed_size_interval_var(start[g], dur(g, c), f"i{c}{g}"))
            elif ctype(g) is None:
                lit = on_npu[g] if c == "npu" else ~on_npu[g]
                intervals.append(m.new_optional_fixed_size_interval_var(start[g], dur(g, c), lit, f"o{c}{g}"))
        if cap == 1:
            m.add_no_overlap(intervals)
        else:
            m.add_cumulative(intervals, [1] * len(intervals), cap)

    # objective: the latest end among ops without successors (a successor ends no earlier)
    upper = scaled(incumbent.makespan)
    span = m.new_int_var(min(scaled(lower_us), upper), upper, "makespan")
    for g in range(problem.size):
        if problem.succs[g]:
            continue
        if frozen[g]:
            m.add(span >= scaled(inc.start[g] * clock + problem.global_times[inc.core_type[g]][g]))
            continue
        for c in problem.allowed(g % n) if ctype(g) is None else (ctype(g),):
            term = start[g] * (clock * SCALE) + scaled(problem.global_times[c][g])
            con = m.add(span >= term)
            if ctype(g) is None:
                con.only_enforce_if(on_npu[g] if c == "npu" else ~on_npu[g])
    m.add_hint(span, upper)
    if everything and nb > 1:
        first = order[0]
        for b in range(nb - 1):
            m.add(start[b * n + first] <= start[(b + 1) * n + first])
    m.minimize(span)
    return Model(m, start, on_npu, span, inc)


def sort_batches(problem: Problem, schedule: Schedule) -> Schedule:
    """The same schedule with batches renumbered so that their first ops
    (in topological order) start in batch order; batches are interchangeable."""
    n = problem.n_ops
    first = _shape(problem)[0][0]
    perm = sorted(range(problem.nbatch), key=lambda b: (schedule.start[b * n + first], b))
    src = [perm[b] * n + i for b in range(problem.nbatch) for i in range(n)]
    return Schedule(
        tuple(schedule.start[g] for g in src),
        tuple(schedule.end[g] for g in src),
        tuple(schedule.core_type[g] for g in src),
        tuple(schedule.core_id[g] for g in src),
    )
