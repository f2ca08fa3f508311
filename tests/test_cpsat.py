"""The CP-SAT engine: optimality on small instances, never worse than its
seeds, proven bounds, validated replayed schedules, limits and Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from prism_cp import Platform, PrismError, Problem, Status, Workload, algorithms, replay, solve, validate
from prism_cp.bounds import BOUNDS, lower_bound
from prism_cp.cpsat.model import objective, scaled, sort_batches
from prism_cp.plan import Plan, assign_cores, to_schedule
from prism_cp.cpsat.seeds import is_shared
from prism_cp.heuristics import HEURISTICS
from prism_cp.io import load_platform
from prism_cp.io.stg import load_stg, stg_platform

from strategies import near_tie

STG = Path(__file__).parent / "data" / "rand0000.stg"


@pytest.fixture(scope="module")
def grai():
    return load_platform("grai")


def xproblem(xception, grai, nbatch: int) -> Problem:
    return Problem(xception, grai, nbatch)


def assert_sound(problem: Problem, result) -> None:
    """The result's schedule is valid, is its own static-order replay, the
    bound is at least the analytic one, and a makespan meeting the bound is
    claimed OPTIMAL (`Result` itself refuses a bound above the makespan and
    OPTIMAL above the bound; test_oracle.py holds the bounds against brute force)."""
    s = result.schedule
    assert validate(problem, s) == []
    assert replay(problem, s.sequences()) == s
    assert result.mapping == s.core_type
    assert result.lower_bound >= lower_bound(problem)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.status == Status.OPTIMAL or result.makespan > result.lower_bound


def test_cpsat_is_listed_and_dispatched(xception, grai):
    assert "cpsat" in algorithms()
    result = solve(xproblem(xception, grai, 1), "cpsat", time_limit=10)
    assert result.algorithm == "cpsat"


@pytest.mark.parametrize("nbatch", [1, 2])
def test_one_and_two_batches_are_proven_optimal_fast(xception, grai, nbatch):
    problem = xproblem(xception, grai, nbatch)
    result = solve(problem, "cpsat", time_limit=10)  # the <= 5 s target is measured by benchmarks/bench_cpsat.py
    assert result.status == Status.OPTIMAL
    assert result.makespan == lower_bound(problem) == result.lower_bound
    assert_sound(problem, result)


def test_four_batches_beat_prism_never_lose_to_a_seed_and_report_progress(xception, grai):
    problem = xproblem(xception, grai, 4)
    lines: list[str] = []
    result = solve(problem, "cpsat", time_limit=6, progress=lines.append)
    assert_sound(problem, result)
    seeds = {name: h(problem).makespan for name, h in HEURISTICS.items()}
    assert result.makespan <= min(seeds.values())
    assert result.makespan < seeds["prism"]
    assert any("best seed" in line for line in lines)
    assert lines[0].startswith("[budget] 6.0 s: seeds <= 0.6 s") and all(line.startswith("[cpsat]") for line in lines[1:])
    assert tuple(lines) == result.log


def test_shared_mapping_maps_every_batch_alike(xception, grai):
    problem = xproblem(xception, grai, 3)
    # without the single-type relaxation's bound (a bound of the problem, here above the analytic one)
    result = solve(problem, "cpsat", time_limit=4, mapping="shared", bounds=set(BOUNDS) - {"single-type"})
    assert_sound(problem, result)
    assert is_shared(problem, result.schedule)
    assert result.makespan <= HEURISTICS["prism"](problem).makespan
    # optimality among shared mappings proves nothing about per-batch schedules
    assert result.lower_bound == lower_bound(problem) < result.makespan
    assert result.status == Status.FEASIBLE


@pytest.mark.parametrize(("cpus", "optimum"), [(2, 131), (4, 66), (8, 55)])
def test_stg_published_optima_are_found_and_proven(cpus, optimum):
    problem = Problem(load_stg(STG), stg_platform(cpus), 1)
    result = solve(problem, "cpsat", time_limit=10)  # the <= 10 s target is measured by benchmarks/bench_cpsat.py
    assert (result.status, result.makespan, result.lower_bound) == (Status.OPTIMAL, optimum, optimum)
    assert_sound(problem, result)


def test_homogeneous_instance_where_the_model_must_prove():
    """Two batches on 3 CPUs: the analytic bound is not tight, the solver must close the gap."""
    problem = Problem(load_stg(STG), stg_platform(3), 2)
    result = solve(problem, "cpsat", time_limit=20)
    assert_sound(problem, result)
    assert result.status == Status.OPTIMAL
    assert result.makespan <= min(h(problem).makespan for h in HEURISTICS.values())


def test_time_limit_bounds_the_whole_run(xception, grai):
    """The search ends at its limit instead of running on to optimality (which
    would take far longer here); the precise limit + 5% is measured, for the
    whole CLI process, by benchmarks/bench_cpsat.py."""
    problem = xproblem(xception, grai, 16)
    t0 = time.perf_counter()
    result = solve(problem, "cpsat", time_limit=4)
    assert time.perf_counter() - t0 < 2 * 4
    assert_sound(problem, result)
    assert result.makespan <= HEURISTICS["npufirst"](problem).makespan


@pytest.mark.parametrize("arrival_us", [None, 50_000.0])
@pytest.mark.parametrize("mapping", ["per-batch", "shared"])
def test_a_schedule_comes_back_when_seeding_starts_after_its_deadline(xception, grai, monkeypatch, arrival_us, mapping):
    """A loaded machine can spend the seeding share of a short limit before
    seeding starts (it happened in CI with a 1 s limit): the first heuristic
    still runs, so there is a schedule to return instead of none."""
    problem = Problem(xception, grai, 2, arrival_us=arrival_us)

    def slow_bound(p: Problem, bounds: frozenset[str]) -> float:
        time.sleep(0.9)  # past the 0.1 s seeding share of the 1 s limit
        return lower_bound(p, bounds)

    monkeypatch.setattr("prism_cp.cpsat.stream.lower_bound" if arrival_us else "prism_cp.cpsat.lower_bound", slow_bound)
    lines: list[str] = []
    result = solve(problem, "cpsat", time_limit=1, mapping=mapping, progress=lines.append)
    assert any("seed random" in line for line in lines)
    assert any("no time left for the npufirst seed" in line for line in lines)
    assert_sound(problem, result)


@pytest.mark.parametrize("options", [{"time_limit": 0}, {"time_limit": -1}, {"workers": 0}, {"workers": 1.5}, {"mapping": "per-op"}])
def test_bad_options_are_user_errors(xception, grai, options):
    with pytest.raises(PrismError):
        solve(xproblem(xception, grai, 1), "cpsat", **options)


def test_too_large_falls_back_to_the_best_heuristic(xception, grai):
    problem = xproblem(xception, grai, 2)
    lines: list[str] = []
    result = solve(problem, "cpsat", time_limit=2, max_ops=100, progress=lines.append)
    assert any("268 ops exceed the 100 the exact engine can model" in line for line in lines)
    assert_sound(problem, result)
    assert result.makespan <= min(solve(problem, h).makespan for h in ("random", "npufirst", "staggered"))
    assert result.wall_s <= 2


def test_platform_that_cannot_run_an_op_fails_before_solving(xception):
    with pytest.raises(PrismError):
        Problem(xception, Platform("npu-only", frozenset({"Conv2D"}), 100, npus=2, cpus=0), 1)


@pytest.mark.parametrize("after_s", [0.5, 4.5])  # while seeding, while solving
def test_ctrl_c_returns_the_best_schedule_so_far(xception, grai, after_s):
    problem = xproblem(xception, grai, 4)
    timer = threading.Timer(after_s, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.perf_counter()
    try:
        result = solve(problem, "cpsat", time_limit=30)
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < after_s + 2
    assert any("interrupted" in line for line in result.log) and result.interrupted
    assert_sound(problem, result)


def test_objective_is_the_makespan_rounded_down(xception, grai):
    problem = xproblem(xception, grai, 2)
    s = HEURISTICS["random"](problem)
    assert objective(problem, s) == scaled(s.makespan)
    assert objective(problem, s) / 1000 <= s.makespan


def test_sorted_batches_keep_a_valid_schedule(xception, grai):
    problem = xproblem(xception, grai, 4)
    s = HEURISTICS["staggered"](problem, stagger_us=3000.0)
    sorted_s = sort_batches(problem, s)
    assert validate(problem, sorted_s) == []
    assert sorted_s.makespan == s.makespan
    firsts = [sorted_s.start[b * problem.n_ops] for b in range(problem.nbatch)]
    assert firsts == sorted(firsts)


def test_plan_conversion_compacts_and_retimes_overlaps():
    """A plan may overlap ops on a core (the model's occupancies are the
    fewest): replay keeps each core's order and delays the later op."""
    w = Workload("chain", ("a", "b"), ("T", "T"), np.array([[0, 1, 1]], dtype=np.int64), {"cpu": (150.0, 50.0), "npu": (0.0, 0.0)})
    problem = Problem(w, Platform("one", frozenset(), 100, npus=0, cpus=1), 2)
    late = Plan((0, 5, 2, 9), ("cpu",) * 4)
    s = to_schedule(problem, late)
    assert s.makespan < 9 * 100 + 50
    assert validate(problem, s) == []
    overlapping = Plan((0, 2, 0, 2), ("cpu",) * 4)
    assert assign_cores(problem, overlapping) == {("cpu", 0): [0, 2, 1, 3]}
    s = to_schedule(problem, overlapping)
    assert validate(problem, s) == [] and s.start == (0, 400, 200, 500)


def test_optimal_only_when_the_float_makespan_meets_the_bound(monkeypatch):
    """Two independent ops on 1 CPU + 1 NPU, each fast on one type: optimum
    100.0001 us. Seeded with the random schedule (100.0009 us), whose model
    objective rounds to the same nanosecond, the engine may not claim OPTIMAL."""
    problem = near_tie()
    seed = HEURISTICS["random"](problem)
    assert seed.makespan == 100.0009
    monkeypatch.setattr("prism_cp.cpsat.seed_schedules", lambda *_: iter([("random", seed)]))
    result = solve(problem, "cpsat", time_limit=2)
    assert result.lower_bound <= 100.0001
    assert (result.status == Status.OPTIMAL) == (result.makespan == 100.0001)


def test_bounds_left_out_are_not_computed(xception, grai):
    """Only the critical path selected: the start-up and single-type bounds
    never run, and the engine's bound is the critical path or what its own
    search proved above it."""
    problem = xproblem(xception, grai, 3)
    result = solve(problem, "cpsat", time_limit=3, bounds=["critical-path"])
    assert_sound(problem, result)
    engine = [line for line in result.log if line.startswith("[cpsat]")]
    assert not any("start-up bound" in line or "single-type" in line for line in engine)
    everything = solve(problem, "cpsat", time_limit=3)
    assert any(line.startswith("[cpsat]") and "single-type" in line for line in everything.log)


def test_an_unknown_bound_is_a_user_error(xception, grai):
    with pytest.raises(PrismError, match="unknown bound 'nope'"):
        solve(xproblem(xception, grai, 1), "cpsat", time_limit=1, bounds=["critical-path", "nope"])
