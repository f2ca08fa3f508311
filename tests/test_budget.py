"""The one time budget: its phases fit in the limit, whatever the problem."""

from __future__ import annotations

import dataclasses
import math

import pytest

from prism_cp import Problem
from prism_cp.budget import Budget, engine_time_limit
from prism_cp.io import load_platform, load_workload


@pytest.fixture(scope="module")
def problems() -> dict[str, Problem]:
    w, p = load_workload("xception"), load_platform("grai")
    return {
        "small": Problem(w, p, 2),
        "large": Problem(w, p, 16),
        "stream": Problem(w, p, 4, arrival_us=50_000.0),
        "too large": Problem(w, p, 16),
    }


@pytest.mark.parametrize("limit", [0.5, 5.0, 60.0, 600.0])
@pytest.mark.parametrize("kind", ["small", "large", "stream", "too large"])
def test_the_phases_fit_in_the_limit(problems: dict[str, Problem], kind: str, limit: float) -> None:
    b = Budget.plan(limit, problems[kind], max_ops=1000 if kind == "too large" else 30_000)
    assert math.isclose(b.search_s + b.finish, limit)
    assert 0 < b.finish <= 0.13 * limit
    for phase in ("startup", "single_type"):
        assert 0 <= getattr(b, phase) <= b.search_s
    assert b.seeds <= (limit if kind == "too large" else b.search_s)
    if kind == "stream":
        assert b.single_type == 0
    if kind == "too large":
        assert (b.seeds, b.startup, b.single_type) == (limit, 0, 0)
    assert b.line().startswith(f"[budget] {limit:.1f} s: seeds <= {b.seeds:.1f} s")


def test_small_problems_give_the_single_type_relaxation_more_time(problems: dict[str, Problem]) -> None:
    small, large = Budget.plan(60.0, problems["small"]), Budget.plan(60.0, problems["large"])
    assert small.single_type > large.single_type and small.seeds < large.seeds
    assert dataclasses.replace(small, seeds=0, single_type=0) == dataclasses.replace(large, seeds=0, single_type=0)


def test_the_engine_gets_the_limit_less_start_up_and_export_but_never_under_a_quarter() -> None:
    assert engine_time_limit(60.0, 1.0) < 59.0
    assert engine_time_limit(60.0, 59.0) == 15.0
