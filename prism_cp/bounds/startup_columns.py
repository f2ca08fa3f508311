"""U(t) by column generation: a second, LP-based bound on the CPU-only work
any schedule does in [0, t) ticks, for `startup_bound`.

The CP-SAT relaxation of `startup_bound` reasons about every op of every
batch and proves little once the window holds more than a few ops per batch.
This one exploits that the batches are identical (releases are left out: a
relaxation, so the bound holds for streams too) and that, on
models like xception, the CPU-only ops lie on one path: each batch's early
ops are then a prefix of that path (the *spine*) plus the off-spine ops the
prefix needs. A *column* is one batch's early part scheduled in the window,
each op on an allowed core type for its fewest-tick occupancy. The master LP
chooses at most `nbatch` columns (fractionally) within each core type's
count at every tick and maximises their CPU-only work in the window; the
best column for given tick prices is a dynamic program over the spine.

Whatever the LP does, for any prices pi >= 0 the Lagrangian value
sum_tau cores * pi_tau + nbatch * max(0, best column's work - its priced
usage) bounds U(t) from above: every feasible schedule, cut at t, is
`nbatch` columns (of a relaxed set, see below) within the capacities. The
LP only supplies good prices (smoothed towards the best so far), so a bound
holds at every iteration and a solver stopped early (deadline, numerical
trouble) still returns one.

Relaxed, so that the best column is a dynamic program: an off-spine op may
start at its head instead of after its predecessors, needing only to
complete before the spine op that first depends on it starts; off-spine ops
no early spine op needs are left out (they do no CPU-only work).
"""

from __future__ import annotations

import math
import time

import networkx as nx
import numpy as np
from ortools.linear_solver import pywraplp

from prism_cp.bounds.timing import only_in_order, op_timing
from prism_cp.problem import Problem

#: a bound in floats (the Lagrangian value, CP-SAT's objective bound) is floored to an integer allowing this much rounding in it
ROUNDING = 1e-6
#: the next prices are this share of the best prices so far plus the rest of the
#: LP's duals (Wentges smoothing): the LP's duals alone jump about and the bound
#: tails off; on xception 4x2 this converges in about a third of the time
SMOOTHING = 0.8

#: an off-spine op's cheapest placement completing by each tick of the window:
#: (priced cost, index of its core type in `Columns.ticks`, start tick)
Placement = tuple[np.ndarray, np.ndarray, np.ndarray]


def spine(problem: Problem, window: int) -> list[int] | None:
    """A path of one batch's ops through every CPU-only op with head < window,
    the longest (fastest ticks) between consecutive ones, from a source; None
    when the CPU-only ops are not on one path (or there are none)."""
    timing = op_timing(problem)
    head, fastest, order = timing.head, timing.fastest, timing.order
    preds = problem.preds
    only = [i for i in only_in_order(problem, "cpu") if head[i] < window]
    if not only:
        return None
    path = [only[0]]
    while preds[path[-1]]:  # back to a source along the ops that set the head
        path.append(max(preds[path[-1]], key=lambda q: (head[q] + fastest[q], -q)))
    path.reverse()
    for a, b in zip(only, only[1:]):
        dist = {a: 0}
        back: dict[int, int] = {}
        for v in order[order.index(a) + 1 : order.index(b) + 1]:
            reach = [q for q in preds[v] if q in dist]
            if reach:
                q = max(reach, key=lambda q: (dist[q] + fastest[q], -q))
                dist[v], back[v] = dist[q] + fastest[q], q
        if b not in dist:
            return None
        segment = [b]
        while segment[-1] != a:
            segment.append(back[segment[-1]])
        path.extend(reversed(segment[:-1]))
    return path


class Columns:
    """The pricing problem for one window: the best column at given prices."""

    def __init__(self, problem: Problem, window: int, path: list[int]) -> None:
        self.problem, self.window = problem, window
        head = op_timing(problem).head
        self.path = [i for i in path if head[i] < window]
        on_path, graph = set(path), problem.workload.graph()
        seen: set[int] = set()
        self.needs: list[list[int]] = []  # per spine op: the off-spine ops it is first to depend on
        for i in self.path:
            new = sorted(a for a in nx.ancestors(graph, i) if a not in on_path and a not in seen)
            seen.update(new)
            self.needs.append(new)

    def ticks(self, i: int) -> list[tuple[str, int]]:
        """(core type, fewest ticks) for each type op i may run on."""
        return [(c, self.problem.min_ticks[c][i]) for c in self.problem.allowed(i)]

    def best(self, prices: dict[str, np.ndarray]) -> tuple[float, list[tuple[dict[str, np.ndarray], int]]]:
        """The most any column is worth at `prices` (per type, per tick of the
        window): work - priced usage, 0 for the empty column; and, for each
        length of spine prefix that pays, the best such column as (usage per
        type and tick, CPU-only work). The LP converges in fewer rounds with
        all of them than with the best alone, and pricing is the cheap part."""
        t, head = self.window, op_timing(self.problem).head
        cum = {c: np.concatenate(([0.0], np.cumsum(p))) for c, p in prices.items()}
        s = np.arange(t)

        def cost(c: str, d: int) -> np.ndarray:  # priced usage of an op of d ticks started at each tick
            return cum[c][np.minimum(s + d, t)] - cum[c][s]

        def off_spine(o: int) -> Placement:  # cheapest placement of o completing by each tick
            best, kind, began = np.full(t, np.inf), np.zeros(t, dtype=np.int64), np.zeros(t, dtype=np.int64)
            for x, (c, d) in enumerate(self.ticks(o)):
                if d >= t:
                    continue  # cannot complete before a start inside the window
                start = cost(c, d)
                start[: head[o]] = np.inf
                low = np.minimum.accumulate(start)
                where = np.maximum.accumulate(np.where(start == low, s, 0))  # a start with the least cost so far
                better = low[: t - d] < best[d:]
                best[d:][better], kind[d:][better], began[d:][better] = low[: t - d][better], x, where[: t - d][better]
            return best, kind, began

        span = t + max(d for i in self.path for _, d in self.ticks(i))
        ready = np.zeros(t)  # best value with the previous spine op complete by each tick
        stages = []  # per spine op: value, type index and start by completion tick, and its off-spine placements
        ends = []
        for k, i in enumerate(self.path):
            value, kind, began = np.full(span, -np.inf), np.zeros(span, dtype=np.int64), np.zeros(span, dtype=np.int64)
            placed = {o: off_spine(o) for o in self.needs[k]}
            penalty = sum((cheapest for cheapest, _, _ in placed.values()), np.zeros(t))
            for x, (c, d) in enumerate(self.ticks(i)):
                gain = np.minimum(d, t - s) if i in self.problem.only_on["cpu"] else 0
                v = ready + gain - cost(c, d) - penalty
                v[: head[i]] = -np.inf
                better = v > value[d : d + t]
                value[d : d + t][better], kind[d : d + t][better], began[d : d + t][better] = v[better], x, s[better]
            stages.append((value, kind, began, placed))
            if value.max() > 0:
                ends.append((k, int(value.argmax())))
            ready = np.maximum.accumulate(value[:t])
            if not np.isfinite(ready).any():
                break
        top = max((float(stages[k][0][end]) for k, end in ends), default=0.0)
        return top, [self.usage(end, stages) for end in ends]

    def usage(self, where: tuple[int, int] | None, stages: list) -> tuple[dict[str, np.ndarray], int]:
        """Back from the best column's last spine op: its usage and work."""
        t = self.window
        use = {c: np.zeros(t) for c in ("cpu", "npu")}
        work = 0
        while where is not None:
            k, end = where
            value, kind, began, placed = stages[k]
            i, start = self.path[k], int(began[end])
            c, d = self.ticks(i)[kind[end]]
            use[c][start : min(start + d, t)] += 1
            if i in self.problem.only_on["cpu"]:
                work += min(d, t - start)
            for o, (_, by, at) in placed.items():  # the cheapest placement completing by `start`, as priced
                c, d = self.ticks(o)[by[start]]
                use[c][at[start] : at[start] + d] += 1
            where = (k - 1, int(np.argmax(stages[k - 1][0][: start + 1]))) if k else None
        return use, work


def early_work_columns(problem: Problem, window: int, deadline: float) -> int:
    """U(window) by column generation (see the module docstring), proven by
    `deadline` (a time.perf_counter() value); the CPUs' capacity
    cpus * window where the method does not apply."""
    cpus = problem.platform.cpus
    path = spine(problem, window)
    if path is None:
        return cpus * window
    columns = Columns(problem, window, path)
    cores = {c: problem.platform.cores(c) for c in ("cpu", "npu")}
    lp = Master(cores, problem.nbatch, window)
    prices = center = {c: np.zeros(window) for c in cores}
    best = math.inf
    while True:
        gain, found = columns.best(prices)
        value = sum(cores[c] * float(prices[c].sum()) for c in cores) + problem.nbatch * gain
        if value < best:
            best, center = value, prices
        for use, work in found:
            lp.add(use, work)
        if time.perf_counter() >= deadline:
            break
        solved = lp.solve()
        if solved is None or math.floor(best + ROUNDING) <= solved[0] + ROUNDING:
            break  # U is an integer, and no Lagrangian value is below the LP's optimum, hence its value
        prices = {c: SMOOTHING * center[c] + (1 - SMOOTHING) * solved[1][c] for c in cores}
    return min(cpus * window, math.floor(best + ROUNDING))


class Master:
    """The master LP over the columns so far, kept between iterations so
    that GLOP starts from the last basis; rebuilt once if GLOP fails."""

    def __init__(self, cores: dict[str, int], nbatch: int, window: int) -> None:
        self.cores, self.nbatch, self.window = cores, nbatch, window
        self.kept: list[tuple[dict[str, np.ndarray], int]] = []
        self.build()

    def build(self) -> None:
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.rows = {c: [self.lp.Constraint(-self.lp.infinity(), self.cores[c]) for _ in range(self.window)] for c in self.cores}
        self.count = self.lp.Constraint(-self.lp.infinity(), self.nbatch)
        self.objective = self.lp.Objective()
        self.objective.SetMaximization()
        for use, work in self.kept:
            self.column(use, work)

    def column(self, use: dict[str, np.ndarray], work: int) -> None:
        x = self.lp.NumVar(0, self.lp.infinity(), "")
        for c in self.cores:
            for tau in np.flatnonzero(use[c]):
                self.rows[c][tau].SetCoefficient(x, float(use[c][tau]))
        self.count.SetCoefficient(x, 1)
        self.objective.SetCoefficient(x, work)

    def add(self, use: dict[str, np.ndarray], work: int) -> None:
        self.kept.append((use, work))
        self.column(use, work)

    def solve(self) -> tuple[float, dict[str, np.ndarray]] | None:
        """The LP value and its tick prices (duals, clipped at 0); None if GLOP fails twice."""
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            self.build()
            if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
                return None
        return self.objective.Value(), {c: np.maximum(0.0, np.array([r.dual_value() for r in self.rows[c]])) for c in self.cores}
