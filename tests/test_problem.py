"""Workload, platform and problem validation: bad input is a PrismError naming the cause."""

from __future__ import annotations

import math

import numpy as np
import pytest

from prism_cp import Platform, PrismError, Problem, Workload
from prism_cp.problem import completion_tick, occupancy_ticks


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


def test_tick_rules():
    assert occupancy_ticks(0.0, 100) == 1
    assert occupancy_ticks(100.0, 100) == 1
    assert occupancy_ticks(100.5, 100) == 2
    assert completion_tick(3, 250.0, 100) == 6
