"""Double justification and the mirrored seed: valid schedules whatever the
times, types kept when asked, releases kept, and (where occupancies do not
depend on the start tick) never a longer makespan than the schedule justified."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prism_cp import Platform, Problem, Workload, solve
from prism_cp.heuristics.justify import justify, justify_search
from prism_cp.heuristics.mirrored import mirrored_search, reversed_problem
from prism_cp.io import load_platform
from prism_cp.simulate import replay, validate

from strategies import problems, streams

MARGINS = st.sampled_from([None, 0, 20])


def some_schedule(problem: Problem, which: str):
    return solve(problem, which).schedule


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), MARGINS, st.sampled_from(["npufirst", "staggered", "random"]))
def test_justify_returns_a_valid_schedule(problem, margin, which):
    before = some_schedule(problem, which)
    after = justify(problem, before, margin=margin)
    assert validate(problem, after) == []
    if margin is None:
        assert after.core_type == before.core_type


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), MARGINS)
def test_justify_keeps_the_releases_of_a_stream(problem, margin):
    after = justify(problem, some_schedule(problem, "staggered"), margin=margin)
    assert validate(problem, after) == []
    n = problem.n_ops
    assert all(s >= problem.release[g // n] * problem.clock for g, s in enumerate(after.start))


@st.composite
def whole_tick_problems(draw) -> Problem:
    """`problems` whose times are whole multiples of the clock, so that an op
    holds its core the same number of ticks at every start."""
    p = draw(problems())
    clock = p.clock
    times = {c: tuple(float(clock * draw(st.integers(1, 6))) for _ in ts) for c, ts in p.workload.times.items()}
    return replace(p, workload=replace(p.workload, times=times))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(whole_tick_problems(), st.sampled_from(["npufirst", "staggered", "random"]))
def test_justify_on_fixed_types_never_lengthens_a_schedule(problem, which):
    # the classic property of double justification, exact when occupancies do not vary
    before = some_schedule(problem, which)
    assert justify(problem, before, margin=None).makespan <= before.makespan


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.booleans())
def test_justify_search_is_never_worse_and_keeps_types_when_asked(problem, keep):
    before = some_schedule(problem, "random")
    after = justify_search(problem, before, deadline=time.perf_counter() + 0.5, keep_types=keep)
    assert validate(problem, after) == []
    assert after.makespan <= before.makespan
    if keep:
        assert after.core_type == before.core_type


def test_reversed_problem_swaps_predecessors_and_successors(xception):
    problem = Problem(xception, load_platform("grai"), 2)
    mirror = reversed_problem(problem)
    assert mirror.preds == problem.succs and mirror.succs == problem.preds
    assert mirror.workload.times == problem.workload.times


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_mirrored_search_returns_a_valid_schedule(problem):
    schedule = mirrored_search(problem, deadline=time.perf_counter() + 0.5)
    assert validate(problem, schedule) == []


def test_justify_moves_a_starved_op_earlier():
    # a1 (NPU) -> a2 (CPU only, long) and b1 (NPU): a list order that runs
    # b1 first delays the long chain; justification puts a1 first
    w = Workload("two", ("a1", "a2", "b1"), ("T", "C", "T"), np.array([[0, 1, 1]], dtype=np.int64), {"cpu": (100.0, 300.0, 100.0), "npu": (100.0, 300.0, 100.0)})
    problem = Problem(w, Platform("p", frozenset({"T"}), 100, npus=1, cpus=1), 1)
    bad = replay(problem, {("npu", 0): [2, 0], ("cpu", 0): [1]})
    assert bad.makespan == 500.0
    good = justify(problem, bad, margin=None)
    assert good.makespan == 400.0 and good.start[0] == 0
