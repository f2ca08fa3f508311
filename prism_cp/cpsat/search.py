"""The search driver: one CP-SAT solve of the whole model for small problems,
large-neighbourhood search (LNS) around the incumbent for large ones, both
after re-timing the incumbent by double justification (`justify`), all
within a wall-clock deadline and stoppable with Ctrl-C.

Every solution the solver reports is converted to a compacted, validated
Schedule (`plan.to_schedule`) before it may become the incumbent, so the
incumbent is always exportable and never gets worse.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable

from ortools.sat.python import cp_model

from prism_cp import interruptible
from prism_cp.budget import Budget
from prism_cp.cpsat import model as cpm
from prism_cp.heuristics.justify import justify_search
from prism_cp.plan import SCALE, Plan, done_tick, to_schedule
from prism_cp.progress import Progress
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule, gap

# above this, one solve of the whole model stalls: use LNS (on 4 xception batches,
# 536 ops, LNS reached 327,900.67 us twice where the whole model reached 327,900.67-329,700.67)
WHOLE_MODEL_OPS = 500
FIRST_NEIGHBOURHOOD = 50  # free ops in the first LNS neighbourhood
MIDDLE = 1  # ops after the free ones that may move in time, per free op
CONSECUTIVE = 0.5  # share of LNS neighbourhoods made of consecutive ops


@dataclass
class Search:
    """State of one run: the incumbent, the best proven bound, the clock."""

    problem: Problem
    incumbent: Schedule
    bound: float  # proven lower bound on the float makespan, us
    deadline: float  # time.perf_counter() value
    t0: float
    say: Progress
    budget: Budget  # its LNS step and justification times
    workers: int = 2
    seed: int = 42
    mapping: str = "per-batch"
    incumbent_cost: float = field(init=False)  # `cost` of the incumbent, kept by `offer` (the energy's is a full replay)

    def __post_init__(self) -> None:
        self.incumbent_cost = self.cost(self.incumbent)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def report(self, what: str) -> None:
        mk = self.incumbent.makespan
        self.say(f"[cpsat] {self.elapsed():7.2f}s {what}: makespan {mk:.2f} us, bound {self.bound:.2f} us, gap {100 * gap(mk, self.bound):.2f}%")

    def cost(self, schedule: Schedule) -> float:
        """What the search minimises: the makespan."""
        return schedule.makespan

    def model(self, incumbent: Schedule, free: frozenset[int] | None = None, far: frozenset[int] = frozenset()) -> cpm.Model:
        """The model around `incumbent` (`cpm.build`)."""
        return cpm.build(self.problem, incumbent, self.bound, mapping=self.mapping, free=free, far=far)

    def worth(self, value: float) -> bool:
        """Whether a solution of objective `value` may beat the incumbent (saves replaying the others)."""
        return value < cpm.objective(self.problem, self.incumbent)

    def centres(self) -> list[int]:
        """Where LNS neighbourhoods are centred: the incumbent's `hot_spots`."""
        return hot_spots(self.problem, self.incumbent)

    def offer(self, schedule: Schedule) -> None:
        """Adopt `schedule` (valid and replayed) if it is no worse than the incumbent."""
        cost = self.cost(schedule)
        better = cost < self.incumbent_cost
        if cost <= self.incumbent_cost:
            self.incumbent, self.incumbent_cost = schedule, cost
        if better:
            self.report("improved")

    def raise_bound(self, units: int) -> None:
        """Take the solver's bound (objective units) if it proves more."""
        proven = cpm.proven_makespan(self.problem, units)
        if proven > self.bound:
            self.bound = proven
            self.report("bound raised")

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def optimal(self) -> bool:
        """Whether the incumbent is proven optimal: its float makespan meets
        the proven bound (the model's optimum alone is not a proof, its
        objective rounds ends down and its occupancies are the fewest)."""
        return self.incumbent.makespan <= self.bound

    def finish(self, *, search: bool = True, interrupted: bool = False) -> bool:
        """`run` unless `search` is off or Ctrl-C already `interrupted` the
        run, then the last progress line; whether Ctrl-C ended the run."""
        if interrupted:
            self.report("interrupted")
        elif search:
            try:
                self.run()
            except KeyboardInterrupt:
                interrupted = True
                self.report("interrupted")
        self.report("final")
        return interrupted

    def run(self) -> None:
        """Search until the deadline, optimality, or Ctrl-C (KeyboardInterrupt
        propagates; the incumbent is valid at every moment)."""
        if self.optimal():
            return
        self.justify()
        if self.optimal():
            return
        if self.problem.size <= WHOLE_MODEL_OPS:
            self.whole()
        else:
            self.say(f"[cpsat] {self.problem.size} ops: large-neighbourhood search around the incumbent")
            self.lns()

    def whole(self) -> None:
        """One solve of the complete model (with batch symmetry breaking).

        Per-batch, the solver's bound is a bound of the problem. With a shared
        mapping it only bounds shared mappings (a per-batch schedule may be
        better), so it is reported but never raises the proven bound."""
        built = self.model(cpm.sort_batches(self.problem, self.incumbent))
        track = self.mapping == "per-batch"
        status = self.solve(built, self.remaining(), track=track)
        if status == cp_model.OPTIMAL and not track:
            self.report("optimal among shared mappings")

    def lns(self) -> None:
        """Re-optimise neighbourhoods of k ops (see `neighbourhood`) around the
        incumbent's hot spots (see `hot_spots`), chosen at random. k grows
        while steps are solved to optimality and shrinks while they time out
        without a gain."""
        rng = random.Random(self.seed)
        size = FIRST_NEIGHBOURHOOD
        while self.remaining() > 0.5 and not self.optimal():
            by_start = sorted(range(self.problem.size), key=lambda g: (self.incumbent.start[g], g))
            position = {g: pos for pos, g in enumerate(by_start)}
            k = min(size, len(by_start))
            centre = position[rng.choice(self.centres())]
            free = self.neighbourhood(by_start, centre, k, rng)
            end = max(position[g] for g in free) + 1
            far = frozenset(by_start[end + int(MIDDLE * k) :])
            before = self.incumbent_cost
            built = self.model(self.incumbent, free, far)
            status = self.solve(built, min(self.budget.step, self.remaining()), track=False)
            if status == cp_model.OPTIMAL:
                size = min(int(size * 1.25) + 1, self.problem.size)
            elif self.incumbent_cost == before:
                size = max(20, int(size * 0.8))
            if self.incumbent_cost < before:
                self.justify()

    def justify(self) -> None:
        """Offer the incumbent re-timed by double justification (`justify`):
        it moves whole pipelines of work where an LNS step moves a window,
        in a fraction of a second."""
        limit = min(self.deadline, time.perf_counter() + self.budget.justify)
        self.offer(justify_search(self.problem, self.incumbent, deadline=limit, seed=self.seed, keep_types=self.mapping == "shared"))

    def neighbourhood(self, by_start: list[int], centre: int, k: int, rng: random.Random) -> frozenset[int]:
        """k ops around position `centre` of the start order: either consecutive
        ones, or (half the time) those of a few batches over a longer stretch,
        so that batches can be re-timed against each other."""
        n, nb = self.problem.n_ops, self.problem.nbatch
        if nb < 3 or rng.random() < CONSECUTIVE:
            lo = min(max(0, centre - rng.randrange(k)), len(by_start) - k)
            return frozenset(by_start[lo : lo + k])
        batches = set(rng.sample(range(nb), rng.randint(2, max(2, nb // 4))))
        batches.add(by_start[centre] // n)
        lo = max(0, centre - rng.randrange(k * nb // len(batches)))
        picked = [g for g in by_start[lo:] if g // n in batches][:k]
        return frozenset(picked)

    def solve(self, built: cpm.Model, limit: float, *, track: bool) -> int:
        """Solve `built` for at most `limit` seconds; each solution better than
        the incumbent is validated and adopted. With `track`, the solver's bound
        is a bound of the whole problem and raises ours. Returns the status."""
        status, solver = solve_model(
            built,
            limit,
            self.workers,
            self.seed,
            lambda plan: self.offer(to_schedule(self.problem, plan)),
            worth=self.worth,
            steer=track and not built.on_npu,
            on_bound=(lambda b: self.raise_bound(int(b))) if track else None,
        )
        if track and status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.raise_bound(int(solver.best_objective_bound))
        return status


def solve_model(
    built: cpm.Model,
    limit: float,
    workers: int,
    seed: int,
    adopt: Callable[[Plan], None],
    *,
    worth: Callable[[float], bool] | None = None,
    steer: bool = False,
    on_bound: Callable[[float], None] | None = None,
) -> tuple[int, cp_model.CpSolver]:
    """Solve `built` for at most `limit` seconds (interruptibly), handing
    `adopt` the plan of every solution whose objective value is `worth` it
    (default: all) and of the final one. `steer`: see
    `steer_fixed_durations`; `on_bound` gets each improved bound. Returns
    the status and the solver."""
    solver = interruptible.new_solver(limit, workers, seed)
    if steer:
        steer_fixed_durations(built, solver.parameters)

    class OnSolution(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if worth is None or worth(self.objective_value):
                adopt(built.plan(self.value))

    if on_bound is not None:
        solver.best_bound_callback = on_bound
    status = interruptible.solve(solver, built.model, OnSolution())
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        adopt(built.plan(solver.value))
    return status, solver


def steer_fixed_durations(built: cpm.Model, parameters) -> None:
    """For a whole model where every op's core type, hence duration, is fixed
    (identical processors, as in the STG set): the cumulative constraint's
    costlier propagators (timetable edge finding, overload checking,
    precedences), and a quick-restart portfolio that alternates the default
    search with set-times branching (earliest possible start first). On the
    STG set this proves in a second optima the default search leaves open
    after minutes (benchmarks/bench_stg.py)."""
    parameters.use_timetable_edge_finding_in_cumulative = True
    parameters.use_overload_checker_in_cumulative = True
    parameters.use_hard_precedences_in_cumulative = True
    parameters.exploit_all_precedences = True
    built.model.add_decision_strategy(list(built.start.values()), cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE)
    parameters.search_branching = cp_model.PORTFOLIO_WITH_QUICK_RESTART_SEARCH


def hot_spots(problem: Problem, schedule: Schedule) -> list[int]:
    """Ops of a critical path of the replayed `schedule` (one whose length is
    the makespan) where a better schedule may gain: those whose core waits
    idle before them, and those that could run on the other core type.
    Every op of the critical path if there are none."""
    nxt, prev = cpm.core_neighbours(schedule)
    to_end = cpm.paths_to_end(problem, schedule, nxt)
    span = max(s * SCALE + t for s, t in zip(schedule.start, to_end))
    critical = [g for g in range(problem.size) if schedule.start[g] * SCALE + to_end[g] == span]
    plan = Plan.of(problem, schedule)
    spots = [
        g
        for g in critical
        if len(problem.allowed(g % problem.n_ops)) == 2 or (g in prev and done_tick(problem, plan, prev[g]) < plan.start[g])
    ]
    return spots or critical
