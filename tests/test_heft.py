"""HEFT: upward ranks, insertion into idle gaps, valid schedules everywhere."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from prism_cp import Platform, Problem, Workload, algorithms, replay, solve, validate
from prism_cp.bounds import lower_bound
from prism_cp.heuristics.heft import heft_schedule, upward_rank
from prism_cp.io import load_platform
from strategies import problems


def _gap_problem(nbatch: int = 1) -> Problem:
    """op0 (A: cpu 10, npu 4) -> op1 (B: cpu 3); op2 (B: cpu 2) on its own;
    1 CPU + 1 NPU, clock 1, the NPU runs A only."""
    w = Workload(
        "gap",
        ("op0", "op1", "op2"),
        ("A", "B", "B"),
        np.array([[0, 1, 1]], dtype=np.int64),
        {"cpu": (10.0, 3.0, 2.0), "npu": (4.0, 3.0, 2.0)},
    )
    return Problem(w, Platform("p", frozenset({"A"}), 1, npus=1, cpus=1), nbatch)


def test_rank_is_mean_occupancy_over_allowed_cores_plus_the_largest_successor_rank() -> None:
    assert upward_rank(_gap_problem()) == [(10 + 4) / 2 + 3, 3.0, 2.0]


def test_an_op_is_inserted_into_an_idle_gap() -> None:
    # op0 finishes first on the NPU [0, 4); op1 follows on the CPU [4, 7); op2,
    # ranked last, fits in the CPU's idle gap [0, 4) rather than after op1
    s = heft_schedule(_gap_problem())
    assert s.start == (0, 4, 0) and s.core_type == ("npu", "cpu", "cpu") and s.makespan == 7.0


def test_equal_ranks_go_in_batch_order() -> None:
    s = heft_schedule(_gap_problem(2))
    # both op0 copies want the NPU: batch 0's gets [0, 4), batch 1's [4, 8) (the CPU would finish at 10)
    assert (s.start[0], s.start[3]) == (0, 4) and s.core_type[0] == s.core_type[3] == "npu"


@settings(max_examples=150, deadline=None)
@given(problems())
def test_heft_is_valid_and_its_own_replay_on_random_problems(problem: Problem) -> None:
    s = heft_schedule(problem)
    assert validate(problem, s) == []
    assert replay(problem, s.sequences()) == s
    assert s.makespan >= lower_bound(problem)


@pytest.mark.parametrize("cores", [{"npus": 2, "cpus": 4}, {"npus": 1, "cpus": 1}, {"npus": 0, "cpus": 2}])
def test_heft_is_an_algorithm_with_a_valid_schedule_on_xception(xception, cores) -> None:
    assert "heft" in algorithms()
    problem = Problem(xception, load_platform("grai", **cores), 4)
    result = solve(problem, "heft")
    assert validate(problem, result.schedule) == []
