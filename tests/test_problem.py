"""Workload, platform and problem validation: bad input is a PrismError naming the cause."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prism_cp import Platform, PrismError, Problem, Workload
from prism_cp.problem import MAX_HORIZON_US, completion_tick, occupancy_range

from strategies import examples, tricky_times


def workload(edges, cpu=(1.0, 1.0), npu=(1.0, 1.0)):
    n = len(npu)
    return Workload("w", tuple(f"op{i}" for i in range(n)), ("A",) * n, np.array(edges, dtype=np.int64).reshape(-1, 3), {"cpu": cpu, "npu": npu})


@pytest.mark.parametrize(
    ("edges", "message"),
    [([(0, 1, 1), (1, 0, 1)], "cycle"), ([(1, 1, 1)], "self-loop"), ([(0, 5, 1)], "missing op")],
)
def test_bad_graphs(edges, message):
    with pytest.raises(PrismError, match=message):
        workload(edges)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, "7", None])
def test_bad_times(bad):
    with pytest.raises(PrismError, match="op 1"):
        workload([(0, 1, 1)], cpu=(1.0, bad))


def test_missing_times():
    with pytest.raises(PrismError, match="1 cpu times for 2 ops"):
        workload([(0, 1, 1)], cpu=(1.0,))


def test_bad_platforms():
    with pytest.raises(PrismError, match="clock"):
        Platform("p", frozenset(), clock_us=0)
    with pytest.raises(PrismError, match="npus"):
        Platform("p", frozenset(), npus=-1)
    with pytest.raises(PrismError, match="no cores"):
        Platform("p", frozenset(), npus=0, cpus=0)


def test_op_no_core_can_run_is_rejected_before_solving():
    w = workload([(0, 1, 1)])
    with pytest.raises(PrismError, match="cannot run"):
        Problem(w, Platform("p", frozenset(), npus=4, cpus=0), 1)


@pytest.mark.parametrize("nbatch", [0, -3, 1.5, True])
def test_bad_batch_counts(nbatch):
    with pytest.raises(PrismError, match="batches"):
        Problem(workload([(0, 1, 1)]), Platform("p", frozenset()), nbatch)


def test_global_index_helpers_round_trip():
    p = Problem(workload([(0, 1, 1)]), Platform("p", frozenset()), 3)
    assert [p.split(p.join(b, i)) for b in range(3) for i in range(2)] == [(b, i) for b in range(3) for i in range(2)]
    assert p.succs[p.join(2, 0)] == [p.join(2, 1)]


def test_ops_one_core_type_alone_may_run():
    w = Workload("w", ("a", "b", "c"), ("Conv", "Pool", "Conv"), np.array([(0, 1, 1), (1, 2, 1)], dtype=np.int64), {"cpu": (1.0,) * 3, "npu": (1.0,) * 3})
    assert Problem(w, Platform("p", frozenset({"Conv"}))).only_on == {"cpu": (1,), "npu": ()}
    assert Problem(w, Platform("p", frozenset({"Conv"}), npus=0)).only_on == {"cpu": (0, 1, 2), "npu": ()}
    assert Problem(w, Platform("p", frozenset({"Conv", "Pool"}), cpus=0)).only_on == {"cpu": (), "npu": (0, 1, 2)}


def test_tick_rules():
    assert occupancy_range(0.0, 100, 10**6) == (1, 1)
    assert occupancy_range(100.0, 100, 10**6) == (1, 1)  # integers add exactly
    assert occupancy_range(100.5, 100, 10**6) == (2, 2)
    assert completion_tick(3, 250.0, 100) == 6


def test_occupancy_depends_on_the_start_tick_and_the_range_covers_it():
    """fl(10 * 100 + 300.00000000000006) == 1300.0: 4 ticks at tick 0, 3 at tick 10."""
    t = 100 * 3.0000000000000004
    assert completion_tick(0, t, 100) == 4 and completion_tick(10, t, 100) - 10 == 3
    assert occupancy_range(t, 100, 2000) == (3, 4)
    assert occupancy_range(math.nextafter(300.0, 0.0), 100, 2000) == (3, 3)  # rounds up at most onto the tick
    for time_us in (t, 0.1 + 0.2, 99.99999999999999, 1e-300, 12345.678):
        lo, hi = occupancy_range(time_us, 100, 10**5)
        seen = {completion_tick(s, time_us, 100) - s for s in range(1000)}
        assert lo <= min(seen) and max(seen) <= hi


@settings(max_examples=examples(200), deadline=None)
@given(st.data(), st.sampled_from([1, 10, 100]), st.integers(1, 10**7))
def test_occupancy_range_holds_at_every_start_tick(data, clock, horizon):
    time_us = data.draw(tricky_times(clock))
    lo, hi = occupancy_range(time_us, clock, horizon)
    ticks = data.draw(st.lists(st.integers(0, horizon // clock), min_size=1, max_size=50))
    assert all(lo <= completion_tick(s, time_us, clock) - s <= hi for s in ticks)
    assert hi - lo <= 1


def test_problem_min_and_max_ticks():
    p = Problem(workload([(0, 1, 1)], cpu=(1000.0, 100 * 3.0000000000000004)), Platform("p", frozenset(), 100, npus=0, cpus=1), 1)
    assert p.min_ticks["cpu"] == (10, 3) and p.max_ticks["cpu"] == (10, 4)
    assert p.horizon_us == (10 + 4) * 100


@pytest.mark.parametrize(
    ("cpu", "clock", "nbatch"),
    [((1e15, 1.0), 100, 1), ((1.0, 1.0), 2**43, 1), ((1e6, 1e6), 100, 10**7)],
    ids=["huge-time", "huge-clock", "huge-batches"],
)
def test_problems_too_long_to_time_exactly_are_refused(cpu, clock, nbatch):
    with pytest.raises(PrismError, match=r"2\*\*43"):
        Problem(workload([(0, 1, 1)], cpu=cpu), Platform("p", frozenset(), clock, npus=0, cpus=1), nbatch)


def test_the_largest_accepted_problem_is_just_below_the_limit():
    p = Problem(workload([(0, 1, 1)], cpu=(2.0**42 - 1000, 0.0)), Platform("p", frozenset(), 1, npus=0, cpus=1), 1)
    assert p.horizon_us <= MAX_HORIZON_US
