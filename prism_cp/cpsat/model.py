"""The CP-SAT model of an unrolled problem, in clock ticks.

Every global op gets a start tick and (where both types may run it) a
literal "on the NPU"; it occupies a core of its type for the type's occupancy
in ticks; predecessors complete before successors start; a cumulative
constraint per core type keeps at most k ops on the k cores of that type.
The objective is the simulator's makespan, max(start * clock + T), in integer
units of 1/SCALE us, rounded down per op so that the solver's bound divided
by SCALE is a true lower bound of the float makespan.

For large-neighbourhood search the model can be built around an incumbent
(a compacted, i.e. replayed, schedule), splitting its ops in four parts:

* free: choose type and start;
* frozen: the ops that start before every free op keep start and type (in a
  compacted schedule they cannot start earlier in the same order);
* middle: the rest, except `far`, keep type and order on their core but may
  move in time;
* far: not modelled; they keep their incumbent times in the returned plan,
  the modelled ops must complete before the far successors' incumbent starts
  and fit around far ops already running, and the objective counts, for each
  edge into a far op, the longest path from there to the end of the
  incumbent: the makespan the far ops would reach if compacted after the
  modelled ones. That term is an estimate; the replayed schedule decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ortools.sat.python import cp_model

from prism_cp.bounds import op_timing
from prism_cp.cpsat.plan import Plan, done_tick
from prism_cp.problem import Problem
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


def core_neighbours(schedule: Schedule) -> tuple[dict[int, int], dict[int, int]]:
    """(next, previous) op on the same core, per op of `schedule`."""
    nxt: dict[int, int] = {}
    for seq in schedule.sequences().values():
        nxt.update(zip(seq, seq[1:]))
    return nxt, {b: a for a, b in nxt.items()}


def paths_to_end(problem: Problem, schedule: Schedule, nxt: dict[int, int]) -> list[int]:
    """Per op, in objective units: the longest path from its start to the end
    of the static-order replay of `schedule` (successors and next op on its core)."""
    clock, n = problem.clock, problem.n_ops
    out = [0] * problem.size
    for g in sorted(range(problem.size), key=lambda g: -schedule.start[g]):
        c = schedule.core_type[g]
        own = scaled(problem.global_times[c][g])
        later = [out[s] for s in problem.succs[g]] + ([out[nxt[g]]] if g in nxt else [])
        out[g] = max(own, problem.ticks[c][g % n] * clock * SCALE + max(later)) if later else own
    return out


def objective(problem: Problem, schedule: Schedule) -> int:
    """The model's objective value of `schedule`: max over ops of
    start * SCALE + scaled(T), exact in integers (never above scaled(makespan) + 1)."""
    return max(s * SCALE + scaled(problem.global_times[c][g]) for g, (s, c) in enumerate(zip(schedule.start, schedule.core_type)))


def build(
    problem: Problem,
    incumbent: Schedule,
    lower_us: float,
    *,
    mapping: str = "per-batch",
    free: frozenset[int] | None = None,
    far: frozenset[int] = frozenset(),
) -> Model:
    """The model of `problem` restricted to schedules no worse than `incumbent`
    (an output of `replay`), hinted with it.

    `free=None` frees every op and adds batch symmetry breaking (batches are
    interchangeable, so their first ops start in batch order); the incumbent
    must then already be in that order (see `sort_batches`), and the
    solver's bound is a bound of the problem. `lower_us` is a proven lower
    bound on the makespan.
    """
    n, clock, nb = problem.n_ops, problem.clock, problem.nbatch
    timing = op_timing(problem)
    order, head, tail, fastest = timing.order, timing.head, timing.tail, timing.fastest
    inc = Plan.of(problem, incumbent)
    horizon = int(incumbent.makespan // clock) + 1  # no op of a better schedule completes later
    everything = free is None
    free = frozenset(range(problem.size)) if everything else free
    first_free = min((inc.start[g] for g in free), default=horizon)
    frozen = [g not in free and g not in far and inc.start[g] < first_free for g in range(problem.size)]
    outside = [frozen[g] or g in far for g in range(problem.size)]
    done = {g: done_tick(problem, inc, g) for g in range(problem.size) if outside[g]}
    two = [len(problem.allowed(i)) == 2 for i in range(n)]
    nxt, prev = core_neighbours(incumbent)

    def key(g: int) -> int:
        """Ops sharing one mapping decision."""
        return g % n if mapping == "shared" else g

    kept = {key(g) for g in range(problem.size) if two[g % n] and g not in free}
    m = cp_model.CpModel()
    start: dict[int, cp_model.IntVar] = {}
    on_npu: dict[int, cp_model.IntVar] = {}
    decision: dict[int, cp_model.IntVar] = {}
    lb = [0] * problem.size
    for b in range(nb):
        for i in order:
            g = b * n + i
            if outside[g]:
                continue
            lb[g] = max([head[i]] + [done[p] if frozen[p] else lb[p] + fastest[p % n] for p in problem.preds[g]])
            start[g] = m.new_int_var(lb[g], horizon - tail[i], f"s{g}")
            m.add_hint(start[g], inc.start[g])
            if two[i] and key(g) not in kept:
                if key(g) not in decision:
                    decision[key(g)] = m.new_bool_var(f"npu{key(g)}")
                    m.add_hint(decision[key(g)], inc.core_type[g] == "npu")
                on_npu[g] = decision[key(g)]
    reach = min((lb[g] for g in start), default=horizon)

    def dur(g: int, c: str) -> int:
        return problem.ticks[c][g % n]

    def completion(g: int):
        if g not in on_npu:
            return start[g] + dur(g, inc.core_type[g])
        return start[g] + dur(g, "cpu") + (dur(g, "npu") - dur(g, "cpu")) * on_npu[g]

    for g in start:
        for p in problem.preds[g]:
            if not frozen[p]:
                m.add(start[g] >= completion(p))
    # middle ops keep their order on their core
    for seq in incumbent.sequences().values():
        chain = [g for g in seq if g in start and g not in free]
        for a, b in zip(chain, chain[1:]):
            m.add(start[b] >= completion(a))
    # far ops stay put: modelled ops end before their far successors start
    last = horizon
    if far:
        last = max(done_tick(problem, inc, g) for g in start)
        for g in start:
            m.add(completion(g) <= last)
            for s in problem.succs[g]:
                if s in far:
                    m.add(completion(g) <= inc.start[s])
    for c in ("cpu", "npu"):
        cap = problem.platform.cores(c)
        if not cap:
            continue
        intervals = []
        for g in range(problem.size):
            if outside[g]:
                if inc.core_type[g] == c and done[g] > reach and (frozen[g] or inc.start[g] < last):
                    intervals.append(m.new_fixed_size_interval_var(inc.start[g], done[g] - inc.start[g], f"f{c}{g}"))
            elif g not in on_npu:
                if inc.core_type[g] == c:
                    intervals.append(m.new_fixed_size_interval_var(start[g], dur(g, c), f"i{c}{g}"))
            else:
                lit = on_npu[g] if c == "npu" else ~on_npu[g]
                intervals.append(m.new_optional_fixed_size_interval_var(start[g], dur(g, c), lit, f"o{c}{g}"))
        if cap == 1:
            m.add_no_overlap(intervals)
        else:
            m.add_cumulative(intervals, [1] * len(intervals), cap)

    # objective: the latest end among ops without successors (a successor ends no earlier)
    upper = objective(problem, incumbent)
    span = m.new_int_var(min(scaled(lower_us), upper), upper, "makespan")
    unit = clock * SCALE
    if far:
        to_end = paths_to_end(problem, incumbent, nxt)
        for s in far:
            known = [done[p] for p in problem.preds[s] + ([prev[s]] if s in prev else []) if frozen[p]]
            m.add(span >= max(known, default=0) * unit + to_end[s])
            for p in problem.preds[s] + ([prev[s]] if s in prev and prev[s] not in free else []):
                if p in start:
                    m.add(span >= completion(p) * unit + to_end[s])
    for g in range(problem.size):
        if problem.succs[g] or g in far:
            continue
        if frozen[g]:
            m.add(span >= scaled(inc.start[g] * clock + problem.global_times[inc.core_type[g]][g]))
        elif g not in on_npu:
            m.add(span >= start[g] * unit + scaled(problem.global_times[inc.core_type[g]][g]))
        else:
            for c, lit in (("npu", on_npu[g]), ("cpu", ~on_npu[g])):
                m.add(span >= start[g] * unit + scaled(problem.global_times[c][g])).only_enforce_if(lit)
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
    first = op_timing(problem).order[0]
    perm = sorted(range(problem.nbatch), key=lambda b: (schedule.start[b * n + first], b))
    src = [perm[b] * n + i for b in range(problem.nbatch) for i in range(n)]
    return Schedule(
        tuple(schedule.start[g] for g in src),
        tuple(schedule.end[g] for g in src),
        tuple(schedule.core_type[g] for g in src),
        tuple(schedule.core_id[g] for g in src),
    )
