"""The CP-SAT model of an unrolled problem, in clock ticks.

The whole model (`build` with every op free) is five constraint families,
each its own function below:

* `variables`: every global op gets a start tick and (where both types may
  run it) a literal "on the NPU";
* `precedence`: predecessors complete before successors start;
* `capacity`: per core type, at most k ops hold the k cores at any tick;
* `transfers` (with a link): per edge, an optional interval on the link,
  present exactly when its ops run on different core types, after the
  producer completes and before the consumer starts, at most `channels` of
  them at any tick;
* `makespan`: the objective, the simulator's makespan max(start * clock + T),
  in integer units of 1/SCALE us, rounded down per op;

plus `batch_symmetry` (batches are interchangeable) and the redundant
`energetic_cuts`. A timed problem (`Problem.timed`: a stream's batches
arriving over time, or a mix's instances) adds `releases` (no op starts
before its release tick, `Problem.release_of`) and replaces the objective
and the symmetry (batches are no longer interchangeable) with
`stream_objective`: over the `Problem.groups` (a stream's batches, a mix's
instances), the fewest deadline misses, then the least maximum latency,
then the least makespan. With energy terms (`EnergyTerms`, for untimed
problems only), `energy_objective` replaces the makespan objective: the
least energy of the schedules within a makespan cap.

Why the solver's bound is a bound of the problem: an op holds its core for
`Problem.min_ticks`, its fewest ticks at any start an optimal schedule can
use, so every such schedule is a solution (solutions are re-timed by replay
with the real occupancies, so the returned schedules stay valid); so does a
transfer for `Problem.transfer_ticks`' fewest, and the replay sends them by
the link's FIFO rule; each op's
objective term is at most its exact end; and `proven_makespan` turns the
bound back into microseconds through the float end the simulator computes.

For large-neighbourhood search the model can be built around an incumbent
(a compacted, i.e. replayed, schedule), splitting its ops in four parts
(`Neighbourhood`); `neighbourhood_restrictions` adds what holds the rest:

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

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

from ortools.sat.python import cp_model

from prism_cp.bounds.energetic import energetic_timing
from prism_cp.bounds.timing import op_timing
from prism_cp.cpsat.energy_terms import EnergyTerms
from prism_cp.plan import SCALE, Plan, done_tick, scaled
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule

MAPPINGS = ("per-batch", "shared")


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


@dataclass(frozen=True)
class Neighbourhood:
    """Which ops a model decides and how the others are held (see the module
    docstring). The whole model frees every op."""

    incumbent: Schedule
    plan: Plan
    free: frozenset[int]
    far: frozenset[int]
    frozen: tuple[bool, ...]
    done: dict[int, int]  # completion tick of every op outside the model
    horizon: int  # no op of a schedule better than the incumbent completes later
    whole: bool

    @classmethod
    def of(cls, problem: Problem, incumbent: Schedule, free: frozenset[int] | None, far: frozenset[int], cap_us: float = 0.0) -> "Neighbourhood":
        """`cap_us`: the longest makespan a solution may have, if above the incumbent's."""
        plan = Plan.of(problem, incumbent)
        horizon = int(max(incumbent.makespan, cap_us) // problem.clock) + 1
        chosen = frozenset(range(problem.size)) if free is None else free
        first_free = min((plan.start[g] for g in chosen), default=horizon)
        frozen = tuple(g not in chosen and g not in far and plan.start[g] < first_free for g in range(problem.size))
        done = {g: done_tick(problem, plan, g) for g in range(problem.size) if frozen[g] or g in far}
        return cls(incumbent, plan, chosen, far, frozen, done, horizon, free is None)

    def modelled(self, g: int) -> bool:
        return not self.frozen[g] and g not in self.far


@dataclass
class Variables:
    """The decision variables: a start tick per modelled op, and an 'on the
    NPU' literal per op whose core type is decided (others keep the incumbent's)."""

    start: dict[int, cp_model.IntVar]
    on_npu: dict[int, cp_model.IntVar]
    earliest: dict[int, int]  # lower bound of each start's domain
    problem: Problem
    plan: Plan

    def duration(self, g: int, c: str) -> int:
        return self.problem.min_ticks[c][g % self.problem.n_ops]

    def completion(self, g: int) -> cp_model.LinearExprT:
        """The tick op g frees its core, as an expression."""
        if g not in self.on_npu:
            return self.start[g] + self.duration(g, self.plan.core_type[g])
        return self.start[g] + self.duration(g, "cpu") + (self.duration(g, "npu") - self.duration(g, "cpu")) * self.on_npu[g]

    def choices(self, g: int) -> list[tuple[str, cp_model.LiteralT | None]]:
        """(core type, literal that selects it, or None if fixed) for op g."""
        if g not in self.on_npu:
            return [(self.plan.core_type[g], None)]
        return [("npu", self.on_npu[g]), ("cpu", ~self.on_npu[g])]


def build(
    problem: Problem,
    incumbent: Schedule,
    lower_us: float,
    *,
    mapping: str = "per-batch",
    free: frozenset[int] | None = None,
    far: frozenset[int] = frozenset(),
    energy: EnergyTerms | None = None,
) -> Model:
    """The model of `problem` restricted to schedules no worse than `incumbent`
    (an output of `replay`), hinted with it.

    `free=None` is the whole model, with batch symmetry breaking (batches are
    interchangeable, so their first ops start in batch order); the incumbent
    must then already be in that order (see `sort_batches`), and the
    solver's bound is a bound of the problem. `lower_us` is a proven lower
    bound on the makespan. With `energy`, the objective is the energy of
    schedules within its makespan cap instead (`energy_objective`).
    """
    hood = Neighbourhood.of(problem, incumbent, free, far, energy.cap_us if energy else 0.0)
    m = cp_model.CpModel()
    v = variables(m, problem, hood, mapping)
    stream = problem.timed
    if stream:
        releases(m, problem, v)
    precedence(m, problem, v, hood)
    capacity(m, problem, v, hood)
    if problem.platform.link is not None:
        transfers(m, problem, v, hood)
    span = makespan(m, problem, v, hood, lower_us, energy.cap_units if energy else 0)
    if not hood.whole:
        neighbourhood_restrictions(m, problem, v, hood, span)
    else:
        energetic_cuts(m, problem, v, span)  # valid whatever the releases: they only delay
        if not stream:
            batch_symmetry(m, problem, v)
    if energy is not None:
        m.minimize(energy_objective(m, problem, v, hood, span, energy))
    else:
        m.minimize(stream_objective(m, problem, v, hood, span) if stream else span)
    return Model(m, v.start, v.on_npu, span, hood.plan)


def variables(m: cp_model.CpModel, problem: Problem, hood: Neighbourhood, mapping: str) -> Variables:
    """Start ticks within [earliest possible, horizon - tail], and the core-type
    literals (one per op per batch, or one per op with a shared mapping),
    hinted with the incumbent. Frozen predecessors fix the earliest start."""
    n = problem.n_ops
    timing = op_timing(problem)
    plan = hood.plan
    two = [len(problem.allowed(i)) == 2 for i in range(n)]

    def key(g: int) -> int:
        """Ops sharing one mapping decision."""
        return g % n if mapping == "shared" else g

    kept = {key(g) for g in range(problem.size) if two[g % n] and g not in hood.free}
    start: dict[int, cp_model.IntVar] = {}
    on_npu: dict[int, cp_model.IntVar] = {}
    decision: dict[int, cp_model.IntVar] = {}
    lb: dict[int, int] = {}
    for b in range(problem.nbatch):
        for i in timing.order:
            g = b * n + i
            if not hood.modelled(g):
                continue
            lb[g] = max([timing.head[i]] + [hood.done[p] if hood.frozen[p] else lb[p] + timing.fastest[p % n] for p in problem.preds[g]])
            start[g] = m.new_int_var(lb[g], hood.horizon - timing.tail[i], f"s{g}")
            m.add_hint(start[g], plan.start[g])
            if two[i] and key(g) not in kept:
                if key(g) not in decision:
                    decision[key(g)] = m.new_bool_var(f"npu{key(g)}")
                    m.add_hint(decision[key(g)], plan.core_type[g] == "npu")
                on_npu[g] = decision[key(g)]
    return Variables(start, on_npu, lb, problem, plan)


def precedence(m: cp_model.CpModel, problem: Problem, v: Variables, hood: Neighbourhood) -> None:
    """Every modelled op starts once its predecessors have completed (frozen
    predecessors are already in its domain)."""
    for g in v.start:
        for p in problem.preds[g]:
            if not hood.frozen[p]:
                m.add(v.start[g] >= v.completion(p))


def capacity(m: cp_model.CpModel, problem: Problem, v: Variables, hood: Neighbourhood) -> None:
    """Per core type with k cores: at most k of its ops at any tick. Ops
    outside the model that may still hold a core when a modelled op could
    start are fixed intervals."""
    reach = min(v.earliest.values(), default=hood.horizon)
    last = latest_completion(problem, hood, v)
    for c in ("cpu", "npu"):
        cap = problem.platform.cores(c)
        if not cap:
            continue
        intervals = []
        for g in range(problem.size):
            if g not in v.start:
                held = hood.plan.core_type[g] == c and hood.done[g] > reach and (hood.frozen[g] or hood.plan.start[g] < last)
                if held:
                    intervals.append(m.new_fixed_size_interval_var(hood.plan.start[g], hood.done[g] - hood.plan.start[g], f"f{c}{g}"))
                continue
            for ctype, lit in v.choices(g):
                if ctype != c:
                    continue
                if lit is None:
                    intervals.append(m.new_fixed_size_interval_var(v.start[g], v.duration(g, c), f"i{c}{g}"))
                else:
                    intervals.append(m.new_optional_fixed_size_interval_var(v.start[g], v.duration(g, c), lit, f"o{c}{g}"))
        if cap == 1:
            m.add_no_overlap(intervals)
        else:
            m.add_cumulative(intervals, [1] * len(intervals), cap)


def transfers(m: cp_model.CpModel, problem: Problem, v: Variables, hood: Neighbourhood) -> None:
    """Per edge p -> g into a modelled op: a transfer interval of its fewest
    ticks at its producer's type, present exactly when p and g run on
    different core types, starting at or after p completes, completing by
    g's start; the present ones share the link's channels (a cumulative of
    that capacity; none for unlimited channels). Transfers of ops outside
    the model are not on the link here (an LNS step: the replay decides)."""
    n, channels, ticks = problem.n_ops, problem.platform.link.channels, problem.transfer_ticks
    on_link = []
    for g in v.start:
        for p in problem.preds[g]:
            edge = (p % n, g % n)
            cross = differ(m, v, p, g)
            if cross is False:
                continue
            if p in v.start:
                done = v.completion(p)
                size = ticks["cpu"][edge][0] + (ticks["npu"][edge][0] - ticks["cpu"][edge][0]) * v.on_npu[p] if p in v.on_npu else ticks[v.plan.core_type[p]][edge][0]
            else:
                done, size = hood.done[p], ticks[hood.plan.core_type[p]][edge][0]
            start, end = m.new_int_var(0, hood.horizon, f"t{p}_{g}"), m.new_int_var(0, hood.horizon, f"u{p}_{g}")
            when = [] if cross is True else [cross]
            m.add(start >= done).only_enforce_if(when)
            m.add(end == start + size).only_enforce_if(when)  # the size may depend on p's type: end is a variable of its own
            m.add(v.start[g] >= end).only_enforce_if(when)
            if channels:
                on_link.append(m.new_optional_interval_var(start, size, end, True if cross is True else cross, f"x{p}_{g}"))
    if not on_link:
        return
    if channels == 1:
        m.add_no_overlap(on_link)
    else:
        m.add_cumulative(on_link, [1] * len(on_link), channels)


def differ(m: cp_model.CpModel, v: Variables, p: int, g: int) -> cp_model.LiteralT | bool:
    """Whether ops p and g run on different core types: a constant where
    both types are fixed, else a literal."""
    a, b = v.on_npu.get(p), v.on_npu.get(g)
    if a is None and b is None:
        return v.plan.core_type[p] != v.plan.core_type[g]
    if a is None or b is None:
        lit, other = (b, p) if a is None else (a, g)
        return ~lit if v.plan.core_type[other] == "npu" else lit
    x = m.new_bool_var(f"d{p}_{g}")
    m.add_bool_xor([a, b, x.negated()])  # x == a xor b
    return x


def latest_completion(problem: Problem, hood: Neighbourhood, v: Variables) -> int:
    """The tick every modelled op must complete by: the horizon, or with far
    ops, the incumbent's last completion among the modelled ops."""
    if not hood.far:
        return hood.horizon
    return max(done_tick(problem, hood.plan, g) for g in v.start)


def makespan(m: cp_model.CpModel, problem: Problem, v: Variables, hood: Neighbourhood, lower_us: float, cap_units: int = 0) -> cp_model.IntVar:
    """The objective variable: at least the end of every op without successors
    (a successor ends no earlier), within [lower bound, incumbent's value or
    `cap_units` if more]."""
    unit = problem.clock * SCALE
    upper = max(objective(problem, hood.incumbent), cap_units)
    # a float makespan >= lower_us means an exact end above the float just below it
    span = m.new_int_var(min(scaled(math.nextafter(lower_us, -math.inf)), upper), upper, "makespan")
    for g in range(problem.size):
        if problem.succs[g] or g in hood.far:
            continue
        if hood.frozen[g]:
            m.add(span >= hood.plan.start[g] * unit + scaled(problem.global_times[hood.plan.core_type[g]][g]))
            continue
        for c, lit in v.choices(g):
            term = m.add(span >= v.start[g] * unit + scaled(problem.global_times[c][g]))
            if lit is not None:
                term.only_enforce_if(lit)
    m.add_hint(span, upper)
    return span


def energy_objective(m: cp_model.CpModel, problem: Problem, v: Variables, hood: Neighbourhood, span: cp_model.IntVar, terms: EnergyTerms) -> cp_model.LinearExprT:
    """The energy in `terms`' units, linear: each op's (active - idle) cost on
    its chosen type, the cores' idle draw times the makespan variable, and
    per edge whose ends run on different types, its bytes over the link
    (a literal at least "u on one type and v on the other")."""
    n = problem.n_ops

    def on(g: int, c: str) -> cp_model.LinearExprT:
        """1 where op g runs on type c, as an expression (a constant where the type is fixed)."""
        if g in v.on_npu:
            return v.on_npu[g] if c == "npu" else 1 - v.on_npu[g]
        return int(hood.plan.core_type[g] == c)

    total: list[cp_model.LinearExprT] = [terms.offset, terms.span * span]
    for g in range(problem.size):
        total.extend(terms.op[c][g % n] * on(g, c) for c in problem.allowed(g % n))
    for b in range(problem.nbatch):
        for (src, dst), (su, sv), coef in terms.edges:
            a, z = on(b * n + src, su), on(b * n + dst, sv)
            if isinstance(a, int) and isinstance(z, int):
                total.append(coef * a * z)
                continue
            both = m.new_bool_var(f"x{b}_{src}_{dst}_{su}")
            m.add(both >= a + z - 1)
            total.append(coef * both)
    return sum(total)


def releases(m: cp_model.CpModel, problem: Problem, v: Variables) -> None:
    """No op starts before its batch's release tick (its successors follow)."""
    n = problem.n_ops
    for g, start in v.start.items():
        if not problem.preds[g] and problem.release_of(g):
            m.add(start >= problem.release_of(g))


def late_after(problem: Problem, g: int, c: str) -> int:
    """The last start tick at which op g on core type c still ends (float end,
    as the simulator computes it) by its group's due time; -1 if none."""
    clock, t = problem.clock, problem.global_times[c][g]
    due = problem.groups[problem.group_index[g]].due_us
    k = math.floor((due - Fraction(t)) / clock)
    while Fraction((k + 1) * clock + t) <= due:
        k += 1
    while k >= 0 and Fraction(k * clock + t) > due:
        k -= 1
    return max(k, -1)


def stream_objective(m: cp_model.CpModel, problem: Problem, v: Variables, hood: Neighbourhood, span: cp_model.IntVar) -> cp_model.LinearExprT:
    """Deadline misses, then the maximum latency in ticks (completion tick
    of a group's last op minus the group's release tick), then the makespan:
    one weighted sum whose weights keep the order strict. A group (a batch of
    a stream, an instance of a mix) misses when one of its ops without
    successors starts after `late_after` its due time."""
    sinks = [g for g in v.start if not problem.succs[g]]
    most = hood.horizon  # no modelled op completes later
    latency = m.new_int_var(0, most, "latency")
    group_of = problem.group_index
    late = {k: m.new_bool_var(f"late{k}") for k, group in enumerate(problem.groups) if group.due_us is not None}
    for g in sinks:
        group = problem.groups[group_of[g]]
        for c, lit in v.choices(g):
            chosen = [] if lit is None else [lit]
            m.add(latency >= v.start[g] + v.duration(g, c) - problem.group_release(group)).only_enforce_if(chosen)
            if group_of[g] in late:
                m.add(v.start[g] <= late_after(problem, g, c)).only_enforce_if([~late[group_of[g]], *chosen])
    weight = objective(problem, hood.incumbent) + 1  # above the makespan's largest value
    return (most + 1) * weight * sum(late.values()) + weight * latency + span


def batch_symmetry(m: cp_model.CpModel, problem: Problem, v: Variables) -> None:
    """Batches are interchangeable: their first ops (in topological order)
    start in batch order."""
    n, first = problem.n_ops, op_timing(problem).order[0]
    for b in range(problem.nbatch - 1):
        m.add(v.start[b * n + first] <= v.start[(b + 1) * n + first])


def energetic_cuts(m: cp_model.CpModel, problem: Problem, v: Variables, span: cp_model.IntVar) -> None:
    """Redundant: every op starts at or after its energetic head, and the
    makespan is at least clock * (its completion + its energetic tail) + the
    least `after`, rounded down like the objective (`bounds.Energetic`). They
    cut no schedule, but give the solver at every node what cumulative
    reasoning finds only by search (on identical processors, gaps the
    cumulative constraint leaves open for minutes)."""
    timing, e = op_timing(problem), energetic_timing(problem)
    unit, rest = problem.clock * SCALE, math.floor(min(timing.after) * SCALE)
    for g, start in v.start.items():
        i = g % problem.n_ops
        if e.head[i] > timing.head[i]:
            m.add(start >= e.head[i])
        if e.tail[i]:
            m.add(span >= (v.completion(g) + e.tail[i]) * unit + rest)


def neighbourhood_restrictions(m: cp_model.CpModel, problem: Problem, v: Variables, hood: Neighbourhood, span: cp_model.IntVar) -> None:
    """What holds the ops an LNS step does not free: middle ops keep their
    order on their core; modelled ops complete before far successors start
    and before the incumbent's last modelled completion; the objective counts
    the incumbent's path from each edge into a far op to its end."""
    nxt, prev = core_neighbours(hood.incumbent)
    for seq in hood.incumbent.sequences().values():
        chain = [g for g in seq if g in v.start and g not in hood.free]
        for a, b in zip(chain, chain[1:]):
            m.add(v.start[b] >= v.completion(a))
    if not hood.far:
        return
    last = latest_completion(problem, hood, v)
    for g in v.start:
        m.add(v.completion(g) <= last)
        for s in problem.succs[g]:
            if s in hood.far:
                m.add(v.completion(g) <= hood.plan.start[s])
    unit = problem.clock * SCALE
    to_end = paths_to_end(problem, hood.incumbent, nxt)
    for s in hood.far:
        before = problem.preds[s] + ([prev[s]] if s in prev else [])
        known = [hood.done[p] for p in before if hood.frozen[p]]
        m.add(span >= max(known, default=0) * unit + to_end[s])
        for p in problem.preds[s] + ([prev[s]] if s in prev and prev[s] not in hood.free else []):
            if p in v.start:
                m.add(span >= v.completion(p) * unit + to_end[s])


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
        out[g] = max(own, problem.min_ticks[c][g % n] * clock * SCALE + max(later)) if later else own
    return out


def proven_makespan(problem: Problem, units: int) -> float:
    """A lower bound (us) on the float makespan of every schedule whose
    objective is at least `units` (the solver's bound).

    Some op without successors then has start * clock * SCALE + scaled(T) >=
    units on its core type, so it starts at a tick k at least that and its
    head, and ends at fl(k * clock + T) or later (float rounding is monotone).
    """
    clock, unit, n = problem.clock, problem.clock * SCALE, problem.n_ops
    head, times = op_timing(problem).head, problem.workload.times
    ends = []
    for i in range(n):
        if problem.succs[i]:  # batch 0's successors: every batch has the same
            continue
        for c in problem.allowed(i):
            k = max(head[i], -(-(units - scaled(times[c][i])) // unit))
            ends.append(k * clock + times[c][i])
    return min(ends)


def objective(problem: Problem, schedule: Schedule) -> int:
    """The model's objective value of `schedule`: max over ops of
    start * SCALE + scaled(T), exact in integers (never above scaled(makespan) + 1)."""
    return max(s * SCALE + scaled(problem.global_times[c][g]) for g, (s, c) in enumerate(zip(schedule.start, schedule.core_type)))


def sort_batches(problem: Problem, schedule: Schedule) -> Schedule:
    """The same schedule with batches renumbered so that their first ops
    (in topological order) start in batch order; batches are interchangeable."""
    n = problem.n_ops
    first = op_timing(problem).order[0]
    perm = sorted(range(problem.nbatch), key=lambda b: (schedule.start[b * n + first], b))
    src = [perm[b] * n + i for b in range(problem.nbatch) for i in range(n)]
    renumber = {old: new for new, old in enumerate(perm)}
    return Schedule(
        tuple(schedule.start[g] for g in src),
        tuple(schedule.end[g] for g in src),
        tuple(schedule.core_type[g] for g in src),
        tuple(schedule.core_id[g] for g in src),
        tuple(dataclasses.replace(t, batch=renumber[t.batch]) for t in schedule.transfers),
    )
