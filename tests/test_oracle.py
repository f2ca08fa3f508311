"""An exhaustive oracle: tiny problems solved by brute force over every
per-batch mapping and every order of ops on each core, each re-timed by
replay. Every algorithm's bound, and each bound on its own, must be at most
that optimum; cpsat's OPTIMAL must be it."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings

from prism_cp import Status, algorithms, solve
from prism_cp.bounds import critical_path_bound, load_bounds, split_bound, total_work_bound
from prism_cp.bounds.single_type import single_type_bound
from prism_cp.bounds.startup import startup_bound

from oracle import optimum
from strategies import examples, late_shorter_chain, near_tie, tiny_problems


def options(algorithm: str) -> dict:
    return {"time_limit": 1.0} if algorithm == "cpsat" else {}


def test_oracle_on_hand_checked_cases():
    assert optimum(late_shorter_chain()) == 1400.0
    assert optimum(near_tie()) == 100.0001


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
@example(late_shorter_chain())
@example(near_tie())
def test_every_bound_is_at_most_the_optimum_and_optimal_is_the_optimum(problem):
    best = optimum(problem)
    for algorithm in algorithms():
        result = solve(problem, algorithm, **options(algorithm))
        assert result.lower_bound <= best <= result.makespan, algorithm
        if result.status == Status.OPTIMAL:
            assert result.makespan == best, algorithm
    for bound in (critical_path_bound(problem), total_work_bound(problem), split_bound(problem), *load_bounds(problem).values()):
        assert bound <= best
    windows = tuple(range(1, int(best // problem.clock) + 2))  # every window up to the optimum
    assert startup_bound(problem, deadline=time.perf_counter() + 1, windows=windows) <= best
    assert single_type_bound(problem, 0.0, 2 * best + problem.clock, deadline=time.perf_counter() + 1) <= best
