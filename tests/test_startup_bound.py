"""The start-up bound: never above an optimum proven without it, at least
the CPU load bound, and strictly better where the CPUs must wait."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from prism_cp import Platform, PrismError, Problem, Status, Workload, solve
from prism_cp.bounds import BOUNDS, load_bounds, lower_bound, split_bound
from prism_cp import interruptible
from prism_cp.bounds.startup import STARTUP, early_cpu_work, early_work_bound, early_work_model, raised_bound, startup_bound
from prism_cp.budget import COLUMNS_SHARE
from prism_cp.bounds.startup_columns import early_work_columns
from prism_cp.heuristics import heft_schedule, npufirst_schedule, random_schedule
from prism_cp.io import load_platform

from oracle import optimum as brute_force_optimum
from strategies import ARRIVALS, checked, examples, problems

#: each way to bound U(t) alone, and both
ALONE_AND_BOTH = {"columns": ("startup-columns",), "cp-sat": ("startup-cpsat",), "both": ("startup-columns", "startup-cpsat")}


def optimum(problem: Problem) -> float | None:
    """The makespan the engine proves optimal without the start-up bound, or None."""
    result = solve(problem, "cpsat", time_limit=1, bounds=set(BOUNDS) - STARTUP)
    return result.makespan if result.status == Status.OPTIMAL else None


@st.composite
def startups(draw) -> Problem:
    """Small batched DAGs whose entry ops the few NPUs run fastest, followed by
    CPU-only ops: the shape where the CPUs wait at start-up. The CPU-only ops
    form a chain (the case the columns bound) or, now and then, not; NPU ops
    may feed it from the side."""
    n = draw(st.integers(2, 6))
    types = ("N",) + tuple(draw(st.sampled_from("NC")) for _ in range(n - 1))
    chained = draw(st.integers(0, 3)) > 0
    cpu_only = [i for i, t in enumerate(types) if t == "C"]
    chain = set(zip(cpu_only, cpu_only[1:])) if chained else set()
    edges = [(i, j, 1) for i in range(n) for j in range(i + 1, n) if (i, j) in chain or draw(st.booleans())]
    ticks = st.integers(1, 4)
    cpu = tuple(100.0 * draw(ticks) * (3 if t == "N" else 1) for t in types)
    npu = tuple(100.0 * draw(ticks) for _ in types)
    w = Workload("entry", tuple(f"op{i}" for i in range(n)), types, np.array(edges, dtype=np.int64).reshape(-1, 3), {"cpu": cpu, "npu": npu})
    platform = Platform("few", frozenset({"N"}), 100, npus=draw(st.integers(1, 2)), cpus=draw(st.integers(1, 2)))
    return Problem(w, platform, draw(st.integers(2, 4)))


def below_optimum(problem: Problem) -> bool:
    """Whether the engine proves an optimum within its second; if so, assert
    that the start-up bound from each way to bound U(t), alone and together,
    over every window up to the optimum, is at most it."""
    best = optimum(problem)
    if best is None:
        return False
    windows = tuple(range(1, int(best // problem.clock) + 2))
    for method, methods in ALONE_AND_BOTH.items():
        bound = startup_bound(problem, deadline=time.perf_counter() + 1, windows=windows, bounds=methods)
        if method == "columns":
            target(max(0.0, bound - lower_bound(problem)))  # steer towards instances where the columns bite
        assert bound <= best, method
    return True


def assert_below_optima(problems: st.SearchStrategy[Problem], n: int, least: int) -> None:
    """`below_optimum` on `n` drawn problems; fails too when fewer than
    `least` of them had an optimum proven in time: the property would then
    have checked too little to mean anything."""
    count = checked(problems, n, below_optimum)
    assert count >= least, f"an optimum was proven for only {count} of {n} problems"


def test_never_above_a_proven_optimum_at_start_up():
    assert_below_optima(startups(), examples(40), least=examples(20))  # all 40 in a local run


def test_never_above_a_proven_optimum_on_any_platform():
    assert_below_optima(problems(max_ops=5, max_batches=3), examples(15), least=examples(8))  # all 15 in a local run


def test_never_above_a_proven_optimum_of_a_stream():
    """The relaxations leave releases out, so their bound holds for streams
    too. The stream engine minimises latency before the makespan, so it
    proves the makespan optimal less often (11 of 15 in a local run)."""
    streams = st.builds(lambda problem, arrival: replace(problem, arrival_us=arrival), startups(), ARRIVALS)
    assert_below_optima(streams, examples(15), least=examples(5))


def relaxation_found(problem: Problem, window: int) -> int:
    """The CPU-only work of the best solution the CP-SAT relaxation of U(window)
    finds. Each of its solutions, cut to the ops the columns keep, is `nbatch`
    columns within the capacities, so the columns' bound is at least this."""
    found = []

    def spy(solver: cp_model.CpSolver, model: cp_model.CpModel) -> int:
        status = solve(solver, model)
        found.append(round(solver.objective_value) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0)
        return status

    solve = interruptible.solve
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(interruptible, "solve", spy)
        early_work_bound(problem, window, time.perf_counter() + 1, 1)
    return found[0]


def side_fed() -> Problem:
    """A chain of CPU-only ops whose last one also waits for an op off the
    chain (op2, 3 ticks on the CPU or 4 on the NPU): the columns must price it."""
    edges = np.array([[1, 3, 1], [2, 4, 1], [3, 4, 1]], dtype=np.int64)
    times = {"cpu": (300.0, 100.0, 300.0, 100.0, 200.0), "npu": (100.0, 100.0, 400.0, 100.0, 100.0)}
    w = Workload("side", tuple(f"op{i}" for i in range(5)), ("N", "C", "N", "C", "C"), edges, times)
    return Problem(w, Platform("few", frozenset({"N"}), 100, npus=1, cpus=2), 2)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(startups())
@example(side_fed())
def test_columns_bound_the_early_work_of_real_schedules(problem):
    """U(t) by columns is at least what the optimal and the heuristic schedules
    do before t, and what the CP-SAT relaxation's best solution does."""
    solved = solve(problem, "cpsat", time_limit=1).schedule
    schedules = [solved] + [h(problem) for h in (heft_schedule, npufirst_schedule, random_schedule)]
    slack = []
    for window in range(1, int(max(s.makespan for s in schedules) // problem.clock) + 2):
        bound = early_work_columns(problem, window, time.perf_counter() + 1)
        done = max(early_cpu_work(problem, s, window) for s in schedules)
        relaxed = relaxation_found(problem, window)
        assert done <= bound and relaxed <= bound, window
        slack.append(bound - relaxed)
    target(-float(min(slack)))  # steer towards problems where the columns are tight


def pipeline(nbatch: int) -> Problem:
    """Each batch: an op only the one NPU runs fast (2 ticks), then a 1-tick CPU-only op.
    The CPU waits for the NPU, one batch at a time: optimum 2 * nbatch + 1 ticks."""
    w = Workload("pipe", ("a", "b"), ("N", "C"), np.array([[0, 1, 1]], dtype=np.int64), {"cpu": (1000.0, 100.0), "npu": (200.0, 0.0)})
    return Problem(w, Platform("one-each", frozenset({"N"}), 100, npus=1, cpus=1), nbatch)


def test_pipeline_bound_is_tight_where_the_load_bound_is_not():
    problem = pipeline(3)
    best = optimum(problem)
    assert best == 700.0
    assert load_bounds(problem)["cpu"] < best  # the bound the start-up one refines
    assert split_bound(problem) == best  # (the NPU's share with the CPU op after it sees it too)
    assert startup_bound(problem, deadline=time.perf_counter() + 5, windows=(4, 6)) == best


def test_columns_on_the_pipeline_by_hand():
    """Window 4: each batch's CPU op needs its NPU op (2 of the NPU's ticks 0-2)
    done first, so the LP runs 1.5 batches' CPU ops: U = 1. Window 6: 2.5, U = 2."""
    problem = pipeline(3)
    assert [early_work_columns(problem, w, time.perf_counter() + 5) for w in (4, 6)] == [1, 2]


def test_relaxation_solved_to_optimality_on_the_pipeline_is_the_exact_early_work():
    """Its best solution is a real start (what the benchmark's caps rest on):
    by hand, U(4) = 1 and U(6) = 2 (one NPU op of 2 ticks before each CPU tick)."""
    problem = pipeline(3)
    for window, exact in ((4, 1), (6, 2)):
        solver = cp_model.CpSolver()
        solver.parameters.catch_sigint_signal = False  # else later tests' Ctrl-C goes to the solver's handler
        assert solver.solve(early_work_model(problem, window).model) == cp_model.OPTIMAL
        assert solver.objective_value == exact


def test_columns_do_not_apply_off_one_path():
    """Two CPU-only ops side by side are not on one path: the bound is the CPUs' capacity."""
    w = Workload("fork", ("a", "b", "c"), ("N", "C", "C"), np.array([[0, 1, 1], [0, 2, 1]], dtype=np.int64), {"cpu": (300.0, 100.0, 100.0), "npu": (100.0, 0.0, 0.0)})
    problem = Problem(w, Platform("one-each", frozenset({"N"}), 100, npus=1, cpus=2), 2)
    assert early_work_columns(problem, 3, time.perf_counter() + 5) == 6


def test_a_cpu_only_source_does_not_hide_the_wait():
    """op1 is CPU-only and needs nothing, so the CPU may start at once; the
    next CPU-only op waits for the entry op. The default windows follow that
    wait, and the bound stays at most the brute-force optimum."""
    edges = np.array([[0, 2, 1], [0, 3, 1], [0, 4, 1], [1, 2, 1], [2, 3, 1], [2, 4, 1], [3, 4, 1]], dtype=np.int64)
    times = {"cpu": (300.0, 100.0, 100.0, 100.0, 900.0), "npu": (400.0, 300.0, 100.0, 200.0, 300.0)}
    w = Workload("fed", tuple(f"op{i}" for i in range(5)), ("N", "C", "C", "C", "N"), edges, times)
    problem = Problem(w, Platform("one-each", frozenset({"N"}), 100, npus=1, cpus=1), 2)
    assert lower_bound(problem) < startup_bound(problem, deadline=time.perf_counter() + 5) <= brute_force_optimum(problem)


def test_no_cpu_only_op_gives_no_bound(xception):
    everything = Problem(xception, Platform("all", frozenset(xception.op_types), 100, npus=4, cpus=2), 2)
    assert startup_bound(everything, deadline=time.perf_counter() + 1) == -math.inf


def test_xception_four_batches_at_least_the_load_bound(xception):
    problem = Problem(xception, load_platform("grai"), 4)
    assert startup_bound(problem, deadline=time.perf_counter() + 3) >= load_bounds(problem)["cpu"]


def test_xception_sixteen_batches_beats_the_analytic_bound(xception):
    problem = Problem(xception, load_platform("grai"), 16)
    assert startup_bound(problem, deadline=time.perf_counter() + 5, windows=(190,)) > lower_bound(problem)


def test_an_unknown_way_to_bound_u_is_refused():
    with pytest.raises(PrismError, match="unknown bound 'lp'"):
        startup_bound(pipeline(2), deadline=time.perf_counter() + 1, bounds=("startup-columns", "lp"))


def test_windows_that_cannot_beat_the_callers_bound_are_skipped():
    """With no bound to beat both windows run and prove the optimum (700 us);
    above any bound they could reach, none runs and the CPU load bound remains."""
    problem = pipeline(3)
    tried = startup_bound(problem, deadline=time.perf_counter() + 5, windows=(4, 6), above=-math.inf)
    skipped = startup_bound(problem, deadline=time.perf_counter() + 5, windows=(4, 6), above=math.inf)
    assert tried == 700.0
    assert skipped < tried


def test_raised_bound_says_when_the_start_up_bound_raises_nothing():
    """Below the caller's bound the start-up bound is not printed as if it counted."""
    problem, lines = pipeline(3), []
    start = time.perf_counter()
    low = raised_bound(problem, 0.0, deadline=start + 1, bounds=STARTUP, columns_share=COLUMNS_SHARE, say=lines.append, t0=start)
    high = raised_bound(problem, 1e9, deadline=start + 1, bounds=STARTUP, columns_share=COLUMNS_SHARE, say=lines.append, t0=start)
    assert 0.0 < low <= 700.0 and high == 1e9
    assert lines[0].endswith(f"start-up bound: {low:.2f} us")
    assert lines[1].endswith("start-up bound: none above 1000000000.00 us")
