"""The analytic bounds hold whatever start tick an op gets, including where
the float end time makes its occupancy depend on it."""

from __future__ import annotations

import numpy as np

from prism_cp import Platform, Problem, Workload, algorithms, solve
from prism_cp.bounds import critical_path_bound, load_bounds, lower_bound, total_work_bound


def chain() -> Problem:
    """a -> b -> c on one CPU, clock 100. b takes 4 ticks at tick 0 but 3
    from tick 10 on, where a leaves it: fl(1000 + 300.00000000000006) == 1300."""
    cpu = (1000.0, 100 * 3.0000000000000004, 100.0)
    w = Workload("chain", ("a", "b", "c"), ("T",) * 3, np.array([[0, 1, 1], [1, 2, 1]], dtype=np.int64), {"cpu": cpu, "npu": (0.0,) * 3})
    return Problem(w, Platform("one", frozenset(), 100, npus=0, cpus=1), 1)


def test_chain_whose_middle_op_is_shorter_later_is_bounded_by_its_makespan():
    problem = chain()
    for bound in (critical_path_bound(problem), total_work_bound(problem), *load_bounds(problem).values()):
        assert bound <= 1400.0
    assert lower_bound(problem) == 1400.0  # and the bound is still tight


def test_every_algorithm_reports_a_true_bound_on_the_chain():
    problem = chain()
    for algorithm in algorithms():
        result = solve(problem, algorithm, **({"time_limit": 2.0} if algorithm == "cpsat" else {}))
        assert result.makespan == 1400.0
        assert result.lower_bound <= result.makespan
