"""Every golden schedule of the reference, reproduced field by field with ==."""

from __future__ import annotations

import pytest

from conftest import golden_files, golden_problem, load_golden
from prism_cp import replay, solve, validate


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: p.stem)
def test_reproduces_golden_schedule(xception, path):
    gold = load_golden(path)
    problem = golden_problem(xception, gold)
    result = solve(problem, gold["algorithm"], seed=gold["seed"])
    s = result.schedule
    assert list(s.start) == gold["start_times"]
    assert list(s.end) == gold["end_times"]
    assert list(s.core_type) == gold["computing_cores"]
    assert list(s.core_id) == gold["computing_ids"]
    assert list(result.mapping) == gold["map"]
    assert result.makespan == gold["makespan_us"]


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: p.stem)
def test_golden_schedules_validate_and_replay(xception, path):
    """The golden schedules themselves satisfy our validator and are fixed points of replay."""
    from prism_cp import Schedule

    gold = load_golden(path)
    problem = golden_problem(xception, gold)
    s = Schedule(tuple(gold["start_times"]), tuple(gold["end_times"]), tuple(gold["computing_cores"]), tuple(gold["computing_ids"]))
    assert validate(problem, s, makespan=gold["makespan_us"]) == []
    assert replay(problem, s.sequences()) == s
