"""The one result path: every result judged by one rule, across engines too."""

from __future__ import annotations

from pathlib import Path

from prism_cp import Problem, Status, solve
from prism_cp.io.stg import load_stg, stg_platform
from prism_cp.schedule import gap
from prism_cp.solve import under_best_bound

STG = Path(__file__).parent / "data" / "rand0000.stg"


def test_every_result_is_judged_against_the_best_bound_any_engine_proved() -> None:
    problem = Problem(load_stg(STG), stg_platform(4), 1)
    unproven = solve(problem, "heft", bounds=())  # no bound selected: 0
    proven = solve(problem, "cpsat", time_limit=10)
    assert unproven.lower_bound == 0 and unproven.status == Status.FEASIBLE
    judged = under_best_bound([unproven, proven])
    assert [r.algorithm for r in judged] == ["heft", "cpsat"]
    for before, after in zip((unproven, proven), judged):
        assert after.lower_bound == proven.lower_bound > 0
        assert after.schedule == before.schedule
        assert after.status == (Status.OPTIMAL if before.makespan <= proven.lower_bound else Status.FEASIBLE)
        assert after.gap == gap(before.makespan, proven.lower_bound)


def test_status_is_optimal_exactly_where_the_value_meets_the_bound() -> None:
    assert Status.judge(5.0, 5.0) == Status.OPTIMAL
    assert Status.judge(5.0, 6.0) == Status.OPTIMAL
    assert Status.judge(5.0000001, 5.0) == Status.FEASIBLE
