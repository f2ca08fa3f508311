"""The single-type relaxation: batches whose CPU-only ops fall due together
must take turns on the CPUs, which the critical path and the load bounds miss."""

from __future__ import annotations

import time

import numpy as np

from prism_cp import Platform, Problem, Status, Workload, solve
from prism_cp.bounds import lower_bound
from prism_cp.bounds.single_type import lags, single_type_bound


def colliding() -> Problem:
    """3 batches of a (CPU only, 3 ticks) -> b (NPU, 1 tick) -> c (CPU only,
    3 ticks) on 2 CPUs + 3 NPUs, clock 100. Critical path 700 us, CPU load
    900 us; two batches' a fill both CPUs over ticks 0-3, the third's waits
    for a CPU, and a CPU idles over tick 3 while b runs: optimum 1000 us."""
    edges = np.array([[0, 1, 1], [1, 2, 1]], dtype=np.int64)
    w = Workload("collide", ("a", "b", "c"), ("C", "N", "C"), edges, {"cpu": (300.0, 300.0, 300.0), "npu": (0.0, 100.0, 0.0)})
    return Problem(w, Platform("p", frozenset({"N"}), 100, npus=3, cpus=2), 3)


def test_lags_follow_the_longest_path_through_other_ops():
    problem = colliding()
    assert lags(problem, (0, 2)) == {(0, 2): 4}


def test_it_proves_the_optimum_where_the_analytic_bounds_do_not():
    problem = colliding()
    assert lower_bound(problem) == 900.0
    assert single_type_bound(problem, lower_bound(problem), 1100.0, deadline=time.perf_counter() + 5) == 1000.0
    result = solve(problem, "cpsat", time_limit=5)
    assert (result.makespan, result.lower_bound, result.status) == (1000.0, 1000.0, Status.OPTIMAL)


def test_it_never_lowers_the_bound_it_is_given():
    problem = colliding()
    assert single_type_bound(problem, 950.0, 950.0, deadline=time.perf_counter() + 5) == 950.0
