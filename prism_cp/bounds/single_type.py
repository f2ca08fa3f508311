"""A lower bound from the ops only one core type can run, all batches at once.

The critical path lets every batch follow its longest path alone; the load
bound lets one type's cores run its work back to back. Neither sees that the
batches' single-type ops (on xception/grai: the CPU-only layers between NPU
stretches) fall due at the same moments and must take turns on few cores.

The relaxation keeps, for one core type c, only the ops that can run nowhere
else: each global one is an interval of its fewest-tick occupancy
(`Problem.min_ticks`) starting at or after its head, at most cores(c) at any
tick. Every other op is dropped and replaced by what it forces: between two
such ops i -> j of a batch, j starts at least lag(i, j) ticks after i (the
longest path from i's start to j's start, every op at its fastest occupancy),
and the makespan's exact value is at least clock * start + `rest` of each
(`bounds.op_timing`). Any schedule of the problem, restricted to these ops,
is a solution (its occupancies are at least the fewest, its paths at least
the fastest), so the CP-SAT solver's proven bound on this smaller model,
valid even when the search is cut short, bounds every schedule.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

from ortools.sat.python import cp_model

from prism_cp.bounds.timing import only_in_order, op_timing
from prism_cp import interruptible
from prism_cp.plan import SCALE, scaled
from prism_cp.problem import Problem


def single_type_bound(problem: Problem, lower_us: float, upper_us: float, *, deadline: float, workers: int = 1) -> float:
    """The best bound (us) the relaxation proves before `deadline` (a
    `time.perf_counter()` value), over the core types that have ops of their
    own (but not all of them), at least `lower_us` (a proven bound).
    `upper_us`: a schedule's makespan, above which nothing need be proven."""
    best = lower_us
    # a type that alone can run every op leaves nothing to relax: the whole model is that problem
    counts = {c: len(problem.only_on[c]) for c in ("cpu", "npu")}
    types = [c for c in ("cpu", "npu") if problem.platform.cores(c) and 0 < counts[c] < problem.n_ops]
    for k, c in enumerate(types):
        share = time.perf_counter() + (deadline - time.perf_counter()) / (len(types) - k)
        best = max(best, Relaxation(problem, c, workers).bound(best, upper_us, share))
    return best


def lags(problem: Problem, only: tuple[int, ...]) -> dict[tuple[int, int], int]:
    """lag[i, j]: the fewest ticks from op i's start to op j's start of the
    same batch, for i, j in `only` with j after i and no op of `only` on every
    path between them (others follow through transitivity, or add nothing)."""
    t = op_timing(problem)
    succs = problem.workload.successors()
    kept = set(only)
    out: dict[tuple[int, int], int] = {}
    for i in only:
        # longest path from i's start, through ops outside `only`
        dist = {i: 0}
        for u in t.order[t.order.index(i):]:
            if u not in dist or (u in kept and u != i):
                continue
            for s in succs[u]:
                dist[s] = max(dist.get(s, 0), dist[u] + t.fastest[u])
        for j in only:
            if j != i and j in dist:
                out[i, j] = dist[j]
    return out


class Relaxation:
    """The relaxation for core type c (see the module docstring).

    Its bound comes from deadlines rather than from minimising: the
    solver's bound on a minimisation comes from a linear relaxation, which
    barely sees the cores' contention, whereas with a deadline on the
    makespan every op gets a time window [head, deadline - tail] and the
    propagation of the cores' constraint over those windows often proves
    quickly that no schedule meets it. `bound`
    searches that deadline."""

    def __init__(self, problem: Problem, c: str, workers: int) -> None:
        t = op_timing(problem)
        self.problem, self.c, self.workers = problem, c, workers
        self.only = only_in_order(problem, c)
        self.rest = {i: math.floor(t.rest[i] * SCALE) for i in self.only}
        self.lags = lags(problem, self.only)

    def bound(self, lower_us: float, upper_us: float, deadline: float) -> float:
        """At least `lower_us`: search a deadline D (objective units, in
        steps of a tick) between the bound and `upper_us`; a solver's proof
        that no solution has objective <= D proves the objective > D. Each
        probe is a third of the way up from the bound (proofs cost more the
        nearer D is to the optimum, and `upper_us` is above it) and gets half
        the time left; one that proves nothing ends the search above it."""
        lo, hi = scaled(lower_us), scaled(upper_us)
        proven = -math.inf
        step = self.problem.clock * SCALE  # a deadline one tick later admits new starts
        while hi - lo >= step and time.perf_counter() < deadline:
            mid = lo + max(1, (hi - lo) // step // 3) * step
            status, value, bound = self.probe(mid, lo, (deadline - time.perf_counter()) / 2)
            if status == cp_model.INFEASIBLE:
                lo = mid + 1
                proven = mid + 1
            elif status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                hi = min(mid, value)
                proven = max(proven, bound)
                if status == cp_model.OPTIMAL:
                    break
            else:
                hi = mid
        return max(lower_us, to_us(self.problem, self.only, self.rest, proven)) if proven > -math.inf else lower_us

    def probe(self, cap: int, floor: int, limit: float) -> tuple[int, int, int]:
        """(status, best objective found, proven objective bound) of the
        relaxation with objective <= cap, solved for at most `limit` seconds
        or until a solution reaches `floor` (already proven: nothing to gain)."""
        problem, c, only = self.problem, self.c, self.only
        n, t = problem.n_ops, op_timing(problem)
        unit = problem.clock * SCALE
        horizon = problem.horizon_us // problem.clock + 1
        m = cp_model.CpModel()
        start: dict[int, cp_model.IntVar] = {}
        intervals = []
        for b in range(problem.nbatch):
            for i in only:
                g = b * n + i
                start[g] = m.new_int_var(t.head[i], horizon, f"s{g}")
                intervals.append(m.new_fixed_size_interval_var(start[g], problem.min_ticks[c][i], f"i{g}"))
        for (i, j), lag in self.lags.items():
            for b in range(problem.nbatch):
                m.add(start[b * n + j] >= start[b * n + i] + lag)
        cores = problem.platform.cores(c)
        if cores == 1:
            m.add_no_overlap(intervals)
        else:
            m.add_cumulative(intervals, [1] * len(intervals), cores)
        first = only[0]  # batches are interchangeable: their first c-only ops start in batch order
        for b in range(problem.nbatch - 1):
            m.add(start[b * n + first] <= start[(b + 1) * n + first])
        span = m.new_int_var(0, cap, "span")
        for g, var in start.items():
            m.add(span >= var * unit + self.rest[g % n])
        m.minimize(span)
        solver = interruptible.new_solver(limit, self.workers)
        status = interruptible.solve(solver, m, StopAt(floor))
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return status, cap, -1
        return status, round(solver.objective_value), math.ceil(solver.best_objective_bound - 1e-6)


class StopAt(cp_model.CpSolverSolutionCallback):
    """Stops the solver at the first solution whose objective is at most `floor`."""

    def __init__(self, floor: int) -> None:
        super().__init__()
        self.floor = floor

    def on_solution_callback(self) -> None:
        if self.objective_value <= self.floor:
            self.stop_search()


def to_us(problem: Problem, only: tuple[int, ...], rest: dict[int, int], units: int) -> float:
    """The least exact end clock * start + rest an op of `only` can have when
    start * unit + floor(rest * SCALE) >= units (some op reaches the proven
    objective bound), correctly rounded to a float (monotone, like the
    simulator's add)."""
    t, clock = op_timing(problem), problem.clock
    unit = clock * SCALE
    ends = [clock * max(t.head[i], -(-(units - rest[i]) // unit)) + t.rest[i] for i in only]
    return float(min(Fraction(e) for e in ends))
