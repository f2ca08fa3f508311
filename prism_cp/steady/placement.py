"""Modulo schedules from a packing (`modulo.pack`) with a short latency,
without a solver: iterative modulo scheduling, and residues placed near the
ticks each op would like to start (see `place`)."""

from __future__ import annotations

from heapq import heapify, heappop, heappush

from prism_cp.bounds import op_timing
from prism_cp.problem import Problem
from prism_cp.steady import link
from prism_cp.steady.circle import Circle
from prism_cp.steady.modulo import Core, ModuloSchedule, latency_units, most_ticks, release_ticks


def place(problem: Problem, period: int, unroll: int, cores: list[list[Core]], rounds: int = 8) -> ModuloSchedule:
    """A modulo schedule on the core types of `pack`, built for a short latency.

    First iterative modulo scheduling (`_iterative`); where it does not
    settle, and to compare: from the as-soon-as-possible start of
    each op, each core's ops go around its circle in order of their wished
    residue (start mod P), each as near after its wish as the previous one
    allows, or all back to back from the first wish when that overflows the
    circle; each op then starts at the first tick with its residue after its
    predecessors complete, and those starts are the next round's wishes.
    Transfers go around the link likewise (`link.residues`), each wishing
    its start in the previous round. The least latency of all is returned."""
    wish, sent = _starts(problem, period, unroll, cores, None)
    found: list[ModuloSchedule] = []
    for _ in range(rounds):
        found.append(_schedule(problem, period, unroll, cores, _residues(problem, period, unroll, cores, wish), sent))
        wish, sent = found[-1].start, found[-1].transfer
    listed = _iterative(problem, period, unroll, cores)
    if listed is not None:
        found.append(listed)
    return min(found, key=lambda f: latency_units(problem, f))


class _Circles:
    """Which op copy holds each residue of each core's circle, and the
    core's `Circle` (its free runs), kept up to date."""

    def __init__(self, problem: Problem, period: int) -> None:
        self.period = period
        self.owner = {(c, x): [None] * period for c in ("cpu", "npu") for x in range(problem.platform.cores(c))}
        self.circle = {core: Circle(period) for core in self.owner}

    def holders(self, core: Core, start: int, d: int) -> set:
        """The op copies an arc of `d` ticks from `start` would overlap."""
        row, P = self.owner[core], self.period
        return {row[(start + x) % P] for x in range(d)} - {None}

    def set(self, core: Core, start: int, d: int, op) -> None:
        row, P = self.owner[core], self.period
        for x in range(d):
            row[(start + x) % P] = op
        self.circle[core].take(start, d, held=op is not None)


def _iterative(
    problem: Problem, period: int, unroll: int, cores: list[list[Core]], effort: int = 8, pinned: dict[tuple[int, int], tuple[Core, int]] | None = None
) -> ModuloSchedule | None:
    """Iterative modulo scheduling (Rau, 1994) on the core types of `cores`:
    op copies by priority (longest path to the end first), each at the first
    tick after its scheduled predecessors at which a core of its type has a
    free arc for it; when none has, at the arc (from the tick after its last
    try) that evicts the least work, the evicted ops and any successor it now
    precedes too late going back to the queue. `pinned` op copies keep their
    (core, residue): they start at the first tick with it and are never
    evicted from their arc. None when `effort` placements per op copy do not
    settle."""
    P, n, k = period, problem.n_ops, unroll
    ticks, timing = most_ticks(problem), op_timing(problem)
    preds, succs = problem.workload.predecessors(), problem.workload.successors()
    rel = release_ticks(P, k)
    delay = [link.delays(problem, row) for row in cores]
    circles = _Circles(problem, P)
    pinned = pinned or {}
    for op, (core, r) in pinned.items():
        circles.set(core, r, ticks[core[0]][op[1]], op)
    placed: dict[tuple[int, int], tuple[int, Core]] = {}
    tried: dict[tuple[int, int], int] = {}

    def priority(op: tuple[int, int]) -> tuple:
        return (-timing.tail[op[1]], rel[op[0]] + timing.head[op[1]], op)

    todo = [priority((j, i)) for j in range(k) for i in range(n)]
    heapify(todo)
    waiting = {(j, i) for j in range(k) for i in range(n)}

    def evict(op: tuple[int, int]) -> None:
        s, core = placed.pop(op)
        if op not in pinned:
            circles.set(core, s, ticks[core[0]][op[1]], None)
        if op not in waiting:
            waiting.add(op)
            heappush(todo, priority(op))

    for _ in range(effort * k * n):
        if not todo:
            break
        op = heappop(todo)[-1]
        waiting.discard(op)
        j, i = op
        c = cores[j][i][0]
        d = ticks[c][i]
        ready = max([rel[j] + problem.op_release[i]] + [placed[j, p][0] + ticks[placed[j, p][1][0]][p] + delay[j][p, i] for p in preds[i] if (j, p) in placed])
        mine = [(c, x) for x in range(problem.platform.cores(c))]
        fits = [circles.circle[core].first(ready, d) for core in mine]
        options = [(t, core) for t, core in zip(fits, mine) if t is not None]
        if op in pinned:
            core, r = pinned[op]
            s = ready + (r - ready) % P
        elif options:
            s, core = min(options)
        else:
            lo = max(ready, tried.get(op, ready - 1) + 1)
            movable = [(t, core) for core in mine for t in range(lo, lo + P) if not circles.holders(core, t, d) & pinned.keys()]
            if not movable:
                return None
            s, core = min(movable, key=lambda tc: (sum(ticks[placed[e][1][0]][e[1]] for e in circles.holders(tc[1], tc[0], d)), tc))
            for other in circles.holders(core, s, d):
                evict(other)
        tried[op] = s
        placed[op] = (s, core)
        if op not in pinned:
            circles.set(core, s, d, op)
        for t in succs[i]:
            if (j, t) in placed and placed[j, t][0] < s + d + delay[j][i, t]:
                evict((j, t))
    if todo:
        return None
    found = ModuloSchedule(P, k, tuple(tuple(placed[j, i][0] for i in range(n)) for j in range(k)), tuple(tuple(placed[j, i][1] for i in range(n)) for j in range(k)))
    if problem.platform.link is None:
        return found
    # the ops keep their cores and residues; the transfers go around the link
    residue = {(j, i): found.start[j][i] % P for j in range(k) for i in range(n)}
    return _schedule(problem, P, k, found.core, residue, _starts(problem, P, k, found.core, residue)[1])


def _freeze(rows: list[list[Core]]) -> tuple[tuple[Core, ...], ...]:
    return tuple(tuple(row) for row in rows)


def _residues(problem: Problem, period: int, unroll: int, cores: list[list[Core]], wish) -> dict[tuple[int, int], int]:
    """Per (copy, op): its residue on its core's circle, as near after its wish as possible."""
    P = period
    on: dict[Core, list[tuple[int, int]]] = {}
    for j in range(unroll):
        for i in range(problem.n_ops):
            on.setdefault(cores[j][i], []).append((j, i))
    residue: dict[tuple[int, int], int] = {}
    for core, ops in on.items():
        ops.sort(key=lambda ji: (wish[ji[0]][ji[1]] % P, ji))
        d = [most_ticks(problem)[core[0]][i] for _, i in ops]
        first = wish[ops[0][0]][ops[0][1]] % P
        r, end = [], first
        for (j, i), dur in zip(ops, d):
            r.append(max(wish[j][i] % P, end))
            end = r[-1] + dur
        if end > first + P:  # overflow: back to back from the first wish
            r = [first + sum(d[:x]) for x in range(len(d))]
        residue.update({ji: x % P for ji, x in zip(ops, r)})
    return residue


def _schedule(problem: Problem, period: int, unroll: int, cores, residue: dict[tuple[int, int], int], sent) -> ModuloSchedule:
    """The modulo schedule with these op residues, its transfers going around
    the link as near after their wished starts `sent` as it allows."""
    P, lres = period, None
    if problem.platform.link is not None:
        wish = {(j, e): (t, link.reserved(problem, edge, cores[j][edge[0]][0])) for j, row in enumerate(sent) for e, (t, edge) in enumerate(zip(row, link.edges(problem))) if t is not None}
        lres = link.residues(problem.platform.link.channels, P, wish)
    start, transfer = _starts(problem, P, unroll, cores, residue, lres)
    return ModuloSchedule(P, unroll, start, _freeze(cores), transfer)


def _starts(
    problem: Problem, period: int, unroll: int, cores, residue: dict[tuple[int, int], int] | None, link_residue: dict[tuple[int, int], int] | None = None
) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int | None, ...], ...]]:
    """Per copy and op: the first tick after its release and its predecessors'
    completion (and their transfers'), with its residue if given; per copy
    and edge, the transfer's start: the first tick after its producer
    completes, with its residue on the link if given (() without a link)."""
    preds = problem.workload.predecessors()
    rel = release_ticks(period, unroll)
    index = {e: x for x, e in enumerate(link.edges(problem))}
    start = [[0] * problem.n_ops for _ in range(unroll)]
    sent: list[list[int | None]] = [[None] * len(index) for _ in range(unroll)]
    for j in range(unroll):
        delay = link.delays(problem, cores[j])
        for i in op_timing(problem).order:
            ready = rel[j] + problem.op_release[i]  # an inference of a mix: its arrival
            for p in preds[i]:
                done = start[j][p] + most_ticks(problem)[cores[j][p][0]][p]
                if delay[p, i]:
                    x = index[p, i]
                    if link_residue is not None:
                        done += (link_residue[j, x] - done) % period
                    sent[j][x] = done
                    done += delay[p, i]
                ready = max(ready, done)
            start[j][i] = ready if residue is None else ready + (residue[j, i] - ready) % period
    return tuple(map(tuple, start)), (() if problem.platform.link is None else tuple(map(tuple, sent)))


def bottleneck_first(problem: Problem, period: int, unroll: int, cores: list[list[Core]], *, time_limit: float, workers: int = 2, seed: int = 42) -> ModuloSchedule | None:
    """A modulo schedule built around its busiest core type, for tight periods.

    First CP-SAT places the ops the packing puts on the busiest type (by
    load per core) on that type's circles, and the others with only their
    type's core count on its circle (no core chosen), minimising the latency.
    Then iterative modulo scheduling (`_iterative`) places every op, those of
    the busiest type pinned to their core and residue. None if the solver
    finds nothing in `time_limit` seconds or the scheduling does not settle."""
    from ortools.sat.python import cp_model

    from prism_cp import interruptible

    P, n, k = period, problem.n_ops, unroll
    ticks, timing = most_ticks(problem), op_timing(problem)
    succs = problem.workload.successors()
    rel = release_ticks(P, k)
    load: dict[str, int] = {}
    for j in range(k):
        for i in range(n):
            load[cores[j][i][0]] = load.get(cores[j][i][0], 0) + ticks[cores[j][i][0]][i]
    busy = max(load, key=lambda c: load[c] / problem.platform.cores(c))
    delay = [link.delays(problem, row) for row in cores]
    horizon = rel[-1] + sum(ticks[cores[j][i][0]][i] + P for j in range(k) for i in range(n)) + sum(d + P for row in delay for d in row.values() if d)
    m = cp_model.CpModel()
    start = [[m.new_int_var(rel[j] + timing.head[i], horizon, "") for i in range(n)] for j in range(k)]
    latency = m.new_int_var(0, horizon, "latency")
    circle: dict[int, list] = {x: [] for x in range(problem.platform.cores(busy))}
    on: dict[tuple[int, int], dict[int, cp_model.IntVar]] = {}
    folded: dict[str, list] = {}
    for j in range(k):
        for i in range(n):
            c = cores[j][i][0]
            d = ticks[c][i]
            for t in succs[i]:
                m.add(start[j][t] >= start[j][i] + d)
                if delay[j][i, t]:  # the transfer: after i, before t, on the link
                    sent = m.new_int_var(0, horizon, "")
                    m.add(sent >= start[j][i] + d)
                    m.add(start[j][t] >= sent + delay[j][i, t])
                    if problem.platform.link.channels:
                        r = m.new_int_var(0, P - 1, "")
                        m.add(sent == m.new_int_var(0, horizon // P, "") * P + r)
                        folded.setdefault("link", []).extend(m.new_fixed_size_interval_var(r + shift, delay[j][i, t], "") for shift in link.shifts(delay[j][i, t], P))
            if not succs[i]:
                m.add(latency >= start[j][i] + d - rel[j])
            residue = m.new_int_var(0, P - 1, "")
            m.add(start[j][i] == m.new_int_var(0, horizon // P, "") * P + residue)
            if c != busy:
                folded.setdefault(c, []).extend(m.new_fixed_size_interval_var(residue + shift, d, "") for shift in (0, P))
            else:
                on[j, i] = {x: m.new_bool_var("") for x in circle}
                m.add_exactly_one(on[j, i].values())
                for x, lit in on[j, i].items():
                    circle[x].extend(m.new_optional_fixed_size_interval_var(residue + shift, d, lit, "") for shift in (0, P))
    for intervals in circle.values():
        m.add_no_overlap(intervals)
    for c, intervals in folded.items():  # the other types' cores, counted only; the link's channels
        m.add_cumulative(intervals, [1] * len(intervals), problem.platform.link.channels if c == "link" else problem.platform.cores(c))
    m.minimize(latency)
    solver = interruptible.new_solver(time_limit, workers, seed)
    if interruptible.solve(solver, m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    pinned = {(j, i): ((busy, next(x for x, lit in lits.items() if solver.boolean_value(lit))), solver.value(start[j][i]) % P) for (j, i), lits in on.items()}
    return _iterative(problem, P, k, cores, pinned=pinned)
