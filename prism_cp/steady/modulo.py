"""The modulo (periodic) schedule of a stream of batches, with CP-SAT.

`unroll` = k batches are launched every `period` = P ticks: copy j of one
period's batches is released at tick ceil(j * P / k) (arrivals evenly spaced,
P / k ticks apart), and every op of copy j gets a start tick s (its offset
from the start of the period) and one core. The batch launched c periods
later runs the same ops c * P ticks later on the same cores, so each core
holds the same pattern in every period: an op occupying d <= P ticks from s
covers the residues [s mod P, s mod P + d) of a circle of P ticks, and the
ops of one core must not overlap on that circle. Two such arcs overlap
exactly when one of the line intervals [r, r + d), [r + P, r + P + d) of one
op overlaps one of those of the other, so each op puts both on its core and
a plain no-overlap constraint does the folding. Occupancy is the most ticks
the op can hold its core at any start tick (`most_ticks`).

Precedence never makes a period infeasible: given the residues, each op can
start whole periods later, after its predecessors. So a period is feasible
exactly when the ops can be packed onto the cores with at most P ticks per
core (`pack`, exact), and precedence only decides the latency
(`placement.place` builds a schedule from a packing, `improve_latency`
minimises it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction

from ortools.sat.python import cp_model

from prism_cp.bounds import op_timing
from prism_cp import interruptible
from prism_cp.problem import Problem
from prism_cp.steady.bound import stream_ticks
from prism_cp.steady.link import edges, reserved, shifts

Core = tuple[str, int]


@dataclass(frozen=True)
class ModuloSchedule:
    """k = `unroll` batches per `period` ticks. Per copy j and op i of a
    batch: `start[j][i]`, the tick offset from the start of its period, and
    the core `core[j][i]` (type, id) it runs on in every period. With a
    link, `transfer[j][e]`: the tick offset at which the transfer over edge
    e (`link.edges` order) of copy j starts, None where the edge does not
    cross the link; () without a link."""

    period: int
    unroll: int
    start: tuple[tuple[int, ...], ...]
    core: tuple[tuple[Core, ...], ...]
    transfer: tuple[tuple[int | None, ...], ...] = ()


@lru_cache(maxsize=32)
def most_ticks(problem: Problem) -> dict[str, tuple[int, ...]]:
    """Per core type, per op: the most ticks it holds a core at any start tick
    of an endless stream: what a modulo schedule reserves for it."""
    return {c: tuple(hi for _, hi in occ) for c, occ in stream_ticks(problem).items()}


def span(problem: Problem, schedule: ModuloSchedule) -> int:
    """The ticks from the start of its period to the last reserved tick of
    any op copy of `schedule`: how far one period's batches reach (the
    periods to unroll past the last one for them to drain)."""
    ticks = most_ticks(problem)
    return max(schedule.start[j][i] + ticks[schedule.core[j][i][0]][i] for j in range(schedule.unroll) for i in range(problem.n_ops))


def release_ticks(period: int, unroll: int) -> list[int]:
    """Per copy: the first tick at or after its arrival j * period / unroll."""
    return [-(-j * period // unroll) for j in range(unroll)]


def _cores(problem: Problem, op: int, period: int) -> list[tuple[Core, int]]:
    """(core, occupancy) of every core op `op` may run on within one period."""
    ticks = most_ticks(problem)
    return [
        ((c, x), ticks[c][op])
        for c in problem.allowed(op)
        if ticks[c][op] <= period
        for x in range(problem.platform.cores(c))
    ]


def pack(
    problem: Problem, period: int, unroll: int, *, time_limit: float, workers: int = 2, seed: int = 42, first: bool = False
) -> tuple[str, list[list[Core]] | None]:
    """('feasible' | 'infeasible' | 'unknown', core of each op of each copy):
    an assignment that puts at most `period` ticks of work on every core,
    and, with a link of limited channels, at most channels x `period` ticks
    of transfers on the link, with the least total occupancy (of cores and
    link) found (the first one found if `first`). 'infeasible' is a proof
    that no modulo schedule has this period."""
    n, k = problem.n_ops, unroll
    options = [_cores(problem, i, period) for i in range(n)]
    if any(not o for o in options):
        return "infeasible", None
    m = cp_model.CpModel()
    x = [[{core: m.new_bool_var("") for core, _ in options[i]} for i in range(n)] for _ in range(k)]
    load: dict[Core, list] = {}
    for j in range(k):
        for i in range(n):
            m.add_exactly_one(x[j][i].values())
            for core, d in options[i]:
                load.setdefault(core, []).append(d * x[j][i][core])
    for core, terms in load.items():
        m.add(sum(terms) <= period)
    # cores of a type are interchangeable: their loads in decreasing order
    for c in ("cpu", "npu"):
        for a in range(problem.platform.cores(c) - 1):
            if (c, a) in load and (c, a + 1) in load:
                m.add(sum(load[c, a]) >= sum(load[c, a + 1]))
    occupancy = sum(sum(terms) for terms in load.values())
    if problem.platform.link is not None:
        occupancy += _link_load(problem, m, x, period)
    # the least total occupancy leaves the most room on every circle
    m.minimize(occupancy)
    solver = interruptible.new_solver(time_limit, workers, seed)
    solver.parameters.stop_after_first_solution = first
    status = interruptible.solve(solver, m)
    if status == cp_model.INFEASIBLE:
        return "infeasible", None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "unknown", None
    return "feasible", [[next(core for core, lit in x[j][i].items() if solver.boolean_value(lit)) for i in range(n)] for j in range(k)]


def _link_load(problem: Problem, m: cp_model.CpModel, x: list[list[dict[Core, cp_model.IntVar]]], period: int):
    """The ticks of transfers the core choices `x` imply, constrained to
    channels x `period` where the link's channels are limited."""
    link = problem.platform.link
    terms = []
    for lits in x:
        for u, v in edges(problem):
            for c in problem.allowed(u):
                other = [lit for core, lit in lits[v].items() if core[0] != c]
                if other:  # crosses when u is on c and v is not
                    on_c = [lit for core, lit in lits[u].items() if core[0] == c]
                    cross = m.new_bool_var("")
                    m.add(cross >= sum(on_c) + sum(other) - 1)
                    terms.append(reserved(problem, (u, v), c) * cross)
    if link.channels:
        m.add(sum(terms) <= link.channels * period)
    return sum(terms)


def latency_units(problem: Problem, schedule: ModuloSchedule) -> int:
    """k times the latency (us) of `schedule`, each op's float time rounded up
    to whole us: the model's objective (never below k times the true latency)."""
    k, clock, n = schedule.unroll, problem.clock, problem.n_ops
    times, succs = problem.workload.times, problem.workload.successors()
    return max(
        k * clock * schedule.start[j][i] + math.ceil(k * Fraction(times[schedule.core[j][i][0]][i])) - j * schedule.period * clock
        for j in range(k)
        for i in range(n)
        if not succs[i]
    )


def improve_latency(
    problem: Problem,
    incumbent: ModuloSchedule,
    *,
    time_limit: float,
    deadline_us: float | None = None,
    workers: int = 2,
    seed: int = 42,
) -> tuple[str, ModuloSchedule | None]:
    """('optimal' | 'feasible' | 'infeasible' | 'unknown', schedule): a modulo
    schedule of the incumbent's period and unroll with the least latency
    (latest end of a batch minus its arrival) found in `time_limit` seconds,
    at most `deadline_us` if given, hinted with `incumbent`. 'infeasible'
    proves that no schedule of this period meets the deadline."""
    clock, k, P = problem.clock, incumbent.unroll, incumbent.period
    times, succs = problem.workload.times, problem.workload.successors()
    horizon = max(max(row) for row in incumbent.start) + max(most_ticks(problem)[c][i] for i in range(problem.n_ops) for c in problem.allowed(i)) + P
    model = CircleModel(problem, incumbent, horizon)
    m = model.m
    upper = latency_units(problem, incumbent)
    latency = m.new_int_var(0, max(upper, k * model.horizon * clock), "latency")
    for j, row in enumerate(model.assign):
        for i, lits in enumerate(row):
            for core, lit in lits.items() if not succs[i] else ():
                m.add(latency >= k * clock * model.start[j][i] + math.ceil(k * Fraction(times[core[0]][i])) - j * P * clock).only_enforce_if(lit)
    if deadline_us is not None:
        m.add(latency <= math.floor(k * Fraction(deadline_us)))
    m.add_hint(latency, upper)
    m.minimize(latency)
    return model.solve(time_limit, workers, seed)


class CircleModel:
    """The CP-SAT model every modulo schedule of the incumbent's period and
    unroll satisfies, without an objective: per op copy a start tick (at or
    after its copy's release, its own release in a mix, and its heads), a
    core, its arcs on that core's circle and, with a link, its transfers
    folded onto the channels; hinted with `incumbent`. Starts are below
    `horizon` (ticks; the link's longest transfer is added)."""

    def __init__(self, problem: Problem, incumbent: ModuloSchedule, horizon: int) -> None:
        n, k, P = problem.n_ops, incumbent.unroll, incumbent.period
        timing, succs = op_timing(problem), problem.workload.successors()
        rel = release_ticks(P, k)
        self.problem, self.period, self.unroll = problem, P, k
        self.options = options = [_cores(problem, i, P) for i in range(n)]
        if problem.platform.link is not None:
            horizon += max((reserved(problem, e, c) for e in edges(problem) for c in problem.allowed(e[0])), default=0)
        self.horizon = horizon
        self.m = m = cp_model.CpModel()
        per_core: dict[Core, list[cp_model.IntervalVar]] = {}
        per_type: dict[str, list[cp_model.IntervalVar]] = {"cpu": [], "npu": []}
        self.start = start = [[m.new_int_var(rel[j] + problem.op_release[i] + timing.head[i], horizon, "") for i in range(n)] for j in range(k)]
        self.assign: list[list[dict[Core, cp_model.IntVar]]] = [[{} for _ in range(n)] for _ in range(k)]
        for j in range(k):
            for i in range(n):
                s = start[j][i]
                m.add_hint(s, incumbent.start[j][i])
                residue = m.new_int_var(0, P - 1, "")
                m.add(s == m.new_int_var(0, horizon // P, "") * P + residue)
                lits = self.assign[j][i]
                for core, d in options[i]:
                    lit = lits[core] = m.new_bool_var("")
                    m.add_hint(lit, incumbent.core[j][i] == core)
                    per_core.setdefault(core, []).extend(m.new_optional_fixed_size_interval_var(residue + shift, d, lit, "") for shift in (0, P))
                m.add_exactly_one(lits.values())
                for c in problem.allowed(i):
                    typed = [lit for core, lit in lits.items() if core[0] == c]
                    if typed and problem.platform.cores(c) > 1:
                        present = m.new_bool_var("")
                        m.add(present == sum(typed))
                        per_type[c].extend(m.new_optional_fixed_size_interval_var(residue + shift, most_ticks(problem)[c][i], present, "") for shift in (0, P))
                for t in succs[i]:
                    m.add(start[j][t] >= s + sum(d * lits[core] for core, d in options[i]))
        for intervals in per_core.values():
            m.add_no_overlap(intervals)
        for c, intervals in per_type.items():
            if intervals:
                m.add_cumulative(intervals, [1] * len(intervals), problem.platform.cores(c))
        self.sent = _transfers(problem, m, incumbent, start, self.assign, options, horizon) if problem.platform.link is not None else None

    def solve(self, time_limit: float, workers: int, seed: int) -> tuple[str, ModuloSchedule | None]:
        """('optimal' | 'feasible' | 'infeasible' | 'unknown', the best schedule found)."""
        solver = interruptible.new_solver(time_limit, workers, seed)
        status = interruptible.solve(solver, self.m)
        if status == cp_model.INFEASIBLE:
            return "infeasible", None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "unknown", None
        n, k, sent = self.problem.n_ops, self.unroll, self.sent
        found = ModuloSchedule(
            self.period,
            k,
            tuple(tuple(solver.value(self.start[j][i]) for i in range(n)) for j in range(k)),
            tuple(tuple(next(core for core, lit in self.assign[j][i].items() if solver.boolean_value(lit)) for i in range(n)) for j in range(k)),
            () if sent is None else tuple(tuple(solver.value(t) if any(solver.boolean_value(p) for p in present) else None for t, present in row) for row in sent),
        )
        return ("optimal" if status == cp_model.OPTIMAL else "feasible"), found


def _transfers(
    problem: Problem,
    m: cp_model.CpModel,
    incumbent: ModuloSchedule,
    start: list[list[cp_model.IntVar]],
    assign: list[list[dict[Core, cp_model.IntVar]]],
    options: list[list[tuple[Core, int]]],
    horizon: int,
) -> list[list[tuple[cp_model.IntVar, list[cp_model.IntVar]]]]:
    """Per copy and edge: the transfer's start and its presence literal per
    producer type (present when the producer is on that type and the
    consumer is not), after the producer and before the consumer, folded
    onto the link's channels (a cumulative, none when unlimited)."""
    P, channels = incumbent.period, problem.platform.link.channels
    folded: list[cp_model.IntervalVar] = []
    out = []
    for j, lits in enumerate(assign):
        row = []
        for e, (u, v) in enumerate(edges(problem)):
            t = m.new_int_var(0, horizon, "")
            residue = m.new_int_var(0, P - 1, "")
            m.add(t == m.new_int_var(0, horizon // P, "") * P + residue)
            if incumbent.transfer[j][e] is not None:
                m.add_hint(t, incumbent.transfer[j][e])
            present = []
            for c in problem.allowed(u):
                other = [lit for core, lit in lits[v].items() if core[0] != c]
                if not other:
                    continue
                on_c = [lit for core, lit in lits[u].items() if core[0] == c]
                p = m.new_bool_var("")
                m.add(p >= sum(on_c) + sum(other) - 1)
                m.add(p <= sum(on_c))
                m.add(p <= sum(other))
                d = reserved(problem, (u, v), c)
                m.add(t >= start[j][u] + sum(ticks * lits[u][core] for core, ticks in options[u])).only_enforce_if(p)
                m.add(start[j][v] >= t + d).only_enforce_if(p)
                if channels:
                    folded.extend(m.new_optional_fixed_size_interval_var(residue + shift, d, p, "") for shift in shifts(d, P))
                present.append(p)
            row.append((t, present))
        out.append(row)
    if folded:
        m.add_cumulative(folded, [1] * len(folded), channels)
    return out
