"""The analytic bounds hold whatever start tick an op gets, including where
the float end time makes its occupancy depend on it; the energetic heads and
tails hold in every active schedule of tiny instances (brute force)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from ortools.sat.python import cp_model
from hypothesis import strategies as st

from prism_cp import Platform, PrismError, Problem, Workload, algorithms, solve
from prism_cp.bounds import BOUNDS, critical_path_bound, energetic_bound, load_bounds, lower_bound, only_in_order, split_bound, total_work_bound
from prism_cp.bounds.energetic import energetic_timing
from prism_cp.io import load_platform
from prism_cp.cpsat import model as cpm
from prism_cp.plan import to_schedule
from prism_cp.heuristics import HEURISTICS
from prism_cp.problem import completion_tick

from oracle import optimum
from strategies import examples, late_shorter_chain


def test_chain_whose_middle_op_is_shorter_later_is_bounded_by_its_makespan():
    problem = late_shorter_chain()
    for bound in (critical_path_bound(problem), total_work_bound(problem), *load_bounds(problem).values()):
        assert bound <= 1400.0
    assert lower_bound(problem) == 1400.0  # and the bound is still tight


def test_every_algorithm_reports_a_true_bound_on_the_chain():
    problem = late_shorter_chain()
    best = optimum(problem)
    for algorithm in algorithms():
        result = solve(problem, algorithm, **({"time_limit": 2.0} if algorithm == "cpsat" else {}))
        assert result.makespan == 1400.0
        assert result.lower_bound <= best


# Energetic heads and tails, against every active schedule of tiny instances.


@st.composite
def tiny_integral_problems(draw) -> Problem:
    """<= 5 global ops, whole times: durations do not depend on the start
    tick, so the active schedules (serial generation over every order and
    mapping) include an optimal one."""
    nbatch = draw(st.integers(1, 2))
    n = draw(st.integers(1, 5 // nbatch))
    edges = [(i, j, 1) for i in range(n) for j in range(i + 1, n) if draw(st.booleans())]
    types = tuple(draw(st.sampled_from("AB")) for _ in range(n))
    times = {c: tuple(float(draw(st.integers(0, 25))) for _ in range(n)) for c in ("cpu", "npu")}
    w = Workload("tiny", tuple(f"op{i}" for i in range(n)), types, np.array(edges, dtype=np.int64).reshape(-1, 3), times)
    npus = draw(st.integers(0, 2))
    platform = Platform("tiny", frozenset(draw(st.sets(st.sampled_from("AB")))), draw(st.sampled_from([1, 3, 10])), npus, draw(st.integers(1, 3)))
    return Problem(w, platform, nbatch)


def topological_orders(preds: list[list[int]], placed: tuple[int, ...] = ()):
    """Every order of the global ops that respects `preds`."""
    if len(placed) == len(preds):
        yield placed
        return
    for g in range(len(preds)):
        if g not in placed and all(p in placed for p in preds[g]):
            yield from topological_orders(preds, placed + (g,))


def active_schedules(problem: Problem):
    """(start ticks, completion ticks, exact makespan) of the serial schedule of
    every order and mapping: each op at the first tick after its predecessors
    where a core of its type is free for its whole occupancy."""
    size, clock = problem.size, problem.clock
    for mapping in itertools.product(*(problem.allowed(g % problem.n_ops) for g in range(size))):
        for order in topological_orders(problem.preds):
            busy: dict[tuple[str, int], int] = {}
            start, done = [0] * size, [0] * size
            for g in order:
                c, time_us = mapping[g], problem.global_times[mapping[g]][g]
                t = max((done[p] for p in problem.preds[g]), default=0)
                while any(busy.get((c, k), 0) >= problem.platform.cores(c) for k in range(t, completion_tick(t, time_us, clock))):
                    t += 1
                start[g], done[g] = t, completion_tick(t, time_us, clock)
                for k in range(t, done[g]):
                    busy[c, k] = busy.get((c, k), 0) + 1
            yield start, done, max(Fraction(start[g] * clock) + Fraction(problem.global_times[mapping[g]][g]) for g in range(size))


@settings(max_examples=examples(120), deadline=None)
@given(tiny_integral_problems())
def test_energetic_heads_tails_and_bound_hold_in_every_active_schedule(problem):
    e = energetic_timing(problem)
    n = problem.n_ops
    optimum = math.inf
    for start, done, makespan in active_schedules(problem):
        assert all(start[g] >= e.head[g % n] for g in range(problem.size))
        assert all(max(done) >= done[g] + e.tail[g % n] for g in range(problem.size))
        optimum = min(optimum, float(makespan))
    assert energetic_bound(problem) <= optimum
    assert lower_bound(problem) <= optimum


@settings(max_examples=examples(40), deadline=None)
@given(tiny_integral_problems())
def test_whole_model_with_energetic_cuts_finds_and_proves_the_brute_force_optimum(problem):
    """From a random schedule and no prior bound, so that the solver, not the
    analytic bound, has to reach the optimum with the cuts in the model."""
    optimum = min(float(makespan) for _, _, makespan in active_schedules(problem))
    built = cpm.build(problem, cpm.sort_batches(problem, HEURISTICS["random"](problem, seed=0)), 0.0)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    solver.parameters.catch_sigint_signal = False  # else later tests' Ctrl-C goes to the solver's handler
    assert solver.solve(built.model) == cp_model.OPTIMAL
    assert cpm.proven_makespan(problem, int(solver.best_objective_bound)) <= optimum
    assert to_schedule(problem, built.plan(solver.value)).makespan == optimum


def test_energetic_bound_sees_the_work_after_a_fork():
    """r (3 ticks) before four 2-tick ops, 2 CPUs: the path gives 5, the load
    6, the four ops after r need 4 more ticks: 7, the optimum."""
    w = Workload("fork", tuple("rabcd"), ("T",) * 5, np.array([[0, i, 1] for i in range(1, 5)], dtype=np.int64), {"cpu": (3.0,) + (2.0,) * 4, "npu": (0.0,) * 5})
    problem = Problem(w, Platform("two", frozenset(), 1, npus=0, cpus=2), 1)
    assert (critical_path_bound(problem), total_work_bound(problem)) == (5.0, 6.0)
    assert energetic_timing(problem).tail[0] == 4
    assert energetic_bound(problem) == lower_bound(problem) == 7.0
    assert min(float(m) for _, _, m in active_schedules(problem)) == 7.0


def test_ops_one_type_alone_runs_come_in_topological_order():
    """Op indices need not be topological: 2 -> 0 -> 1, with the NPU-able op 3 after 1."""
    edges = np.array([[2, 0, 1], [0, 1, 1], [1, 3, 1]], dtype=np.int64)
    w = Workload("back", tuple("abcd"), ("C", "C", "C", "N"), edges, {"cpu": (100.0,) * 4, "npu": (0.0, 0.0, 0.0, 100.0)})
    problem = Problem(w, Platform("p", frozenset({"N"}), 100, npus=1, cpus=1), 1)
    assert problem.only_on["cpu"] == (0, 1, 2)
    assert only_in_order(problem, "cpu") == (2, 0, 1)
    assert only_in_order(problem, "npu") == ()


def test_the_selected_bounds_alone_make_the_reported_bound(xception):
    """A bound left out is not computed: the heuristics' reported bound is the
    best of the others; with none selected it is 0 (still sound)."""
    problem = Problem(xception, load_platform("grai"), 4)
    assert solve(problem, "npufirst").lower_bound == lower_bound(problem)
    assert solve(problem, "npufirst", bounds=["critical-path"]).lower_bound == critical_path_bound(problem)
    others = [b for b in BOUNDS if b != "work-split"]
    assert solve(problem, "npufirst", bounds=others).lower_bound == lower_bound(problem, others)
    assert lower_bound(problem, ["work-split"]) == split_bound(problem)
    assert solve(problem, "npufirst", bounds=[]).lower_bound == 0.0


def test_an_unknown_bound_name_is_a_prism_error(xception):
    with pytest.raises(PrismError, match="unknown bound 'nope'"):
        solve(Problem(xception, load_platform("grai"), 1), "npufirst", bounds=["nope"])
