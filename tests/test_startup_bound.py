"""The start-up bound: never above an optimum proven without it, at least
the CPU load bound, and strictly better where the CPUs must wait."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from prism_cp import Platform, Problem, Status, Workload
from prism_cp.bounds import load_bounds, lower_bound, split_bound
from prism_cp.cpsat import solve_cpsat
from prism_cp.cpsat.startup_bound import startup_bound
from prism_cp.io import load_platform

from strategies import problems


def optimum(problem: Problem) -> float | None:
    """The makespan the engine proves optimal without the start-up bound, or None."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("prism_cp.cpsat.startup_bound", lambda *_, **__: -math.inf)
        result = solve_cpsat(problem, time_limit=1)
    return result.makespan if result.status == Status.OPTIMAL else None


@st.composite
def startups(draw) -> Problem:
    """Small batched DAGs whose entry ops the few NPUs run fastest, followed by
    CPU-only ops: the shape where the CPUs wait at start-up."""
    n = draw(st.integers(2, 5))
    edges = [(i, j, 1) for i in range(n) for j in range(i + 1, n) if j == i + 1 or draw(st.booleans())]
    types = ("N",) + tuple(draw(st.sampled_from("NC")) for _ in range(n - 1))
    ticks = st.integers(1, 4)
    cpu = tuple(100.0 * draw(ticks) * (3 if t == "N" else 1) for t in types)
    npu = tuple(100.0 * draw(ticks) for _ in types)
    w = Workload("entry", tuple(f"op{i}" for i in range(n)), types, np.array(edges, dtype=np.int64).reshape(-1, 3), {"cpu": cpu, "npu": npu})
    platform = Platform("few", frozenset({"N"}), 100, npus=draw(st.integers(1, 2)), cpus=draw(st.integers(1, 2)))
    return Problem(w, platform, draw(st.integers(2, 4)))


def assert_below_optimum(problem: Problem) -> None:
    best = optimum(problem)
    if best is None:
        return
    windows = tuple(range(1, int(best // problem.clock) + 2))  # every window up to the optimum
    bound = startup_bound(problem, deadline=time.perf_counter() + 1, windows=windows)
    target(max(0.0, bound - lower_bound(problem)))  # steer towards instances where the bound bites
    assert bound <= best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(startups())
def test_never_above_a_proven_optimum_at_start_up(problem):
    assert_below_optimum(problem)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_ops=5, max_batches=3))
def test_never_above_a_proven_optimum_on_any_platform(problem):
    assert_below_optimum(problem)


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


def test_no_cpu_only_op_gives_no_bound(xception):
    everything = Problem(xception, Platform("all", frozenset(xception.op_types), 100, npus=4, cpus=2), 2)
    assert startup_bound(everything, deadline=time.perf_counter() + 1) == -math.inf


def test_xception_four_batches_at_least_the_load_bound(xception):
    problem = Problem(xception, load_platform("grai"), 4)
    assert startup_bound(problem, deadline=time.perf_counter() + 3) >= load_bounds(problem)["cpu"]


def test_xception_sixteen_batches_beats_the_analytic_bound(xception):
    problem = Problem(xception, load_platform("grai"), 16)
    assert startup_bound(problem, deadline=time.perf_counter() + 5, windows=(190,)) > lower_bound(problem)
