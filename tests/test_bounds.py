"""The analytic bounds hold whatever start tick an op gets, including where
the float end time makes its occupancy depend on it."""

from __future__ import annotations

from prism_cp import algorithms, solve
from prism_cp.bounds import critical_path_bound, load_bounds, lower_bound, total_work_bound

from strategies import late_shorter_chain


def test_chain_whose_middle_op_is_shorter_later_is_bounded_by_its_makespan():
    problem = late_shorter_chain()
    for bound in (critical_path_bound(problem), total_work_bound(problem), *load_bounds(problem).values()):
        assert bound <= 1400.0
    assert lower_bound(problem) == 1400.0  # and the bound is still tight


def test_every_algorithm_reports_a_true_bound_on_the_chain():
    problem = late_shorter_chain()
    for algorithm in algorithms():
        result = solve(problem, algorithm, **({"time_limit": 2.0} if algorithm == "cpsat" else {}))
        assert result.makespan == 1400.0
        assert result.lower_bound <= result.makespan
