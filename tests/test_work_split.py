"""The work-split LP: its optimum is certified exactly (a feasible split and a
dual weight of the same value) and never exceeds what an integral mapping needs."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prism_cp import Platform, Problem, Workload, simulate
from prism_cp.bounds import critical_path_bound, lower_bound, split_bound, total_work_bound
from prism_cp.heuristics import HEURISTICS
from prism_cp.bounds.work_split import work_split, work_split_bound
from strategies import problems_and_mappings

TYPES = ("cpu", "npu")


@st.composite
def instances(draw, max_ops: int = 5, max_count: int = 3):
    n = draw(st.integers(1, max_ops))
    cores = {c: draw(st.integers(0, 3)) for c in TYPES}
    if not any(cores.values()):
        cores["cpu"] = 1
    occ = {c: [] for c in TYPES}
    for _ in range(n):
        where = draw(st.sampled_from([c for c in (("cpu",), ("npu",), TYPES) if any(cores[t] for t in c)]))
        for c in TYPES:
            occ[c].append(draw(st.integers(0, 20)) if c in where else None)
    count = [draw(st.integers(0, max_count)) for _ in range(n)]
    offset = {c: Fraction(draw(st.integers(0, 30)), draw(st.integers(1, 3))) for c in TYPES}
    return occ, count, cores, offset


def allowed(occ, cores, i: int) -> list[str]:
    return [c for c in TYPES if cores[c] and occ[c][i] is not None]


@settings(max_examples=300, deadline=None)
@given(instances())
def test_split_and_dual_certify_the_optimum(instance) -> None:
    occ, count, cores, offset = instance
    ws = work_split(occ, count, cores, offset)
    # primal: a split of every op over its allowed types with these loads, each within span * cores
    for i, share in enumerate(ws.share):
        assert sum(share.values()) == 1
        assert all(x >= 0 for x in share.values())
        assert all(share[c] == 0 for c in TYPES if c not in allowed(occ, cores, i))
    for c in TYPES:
        load = sum((count[i] * ws.share[i][c] * occ[c][i] for i in range(len(count)) if ws.share[i][c]), Fraction(0))
        assert load == ws.load[c]
        assert load <= (ws.span - offset[c]) * cores[c]
    assert ws.span == max(ws.load[c] / cores[c] + offset[c] for c in TYPES if cores[c])
    # dual: with weights summing to 1, every split costs at least this much, and it equals the span
    assert sum(ws.dual.values()) == 1 and all(w >= 0 for w in ws.dual.values())
    dual_value = sum(ws.dual.get(c, 0) * offset[c] for c in TYPES) + sum(
        (count[i] * min(ws.dual.get(c, Fraction(0)) * Fraction(occ[c][i], cores[c]) for c in allowed(occ, cores, i)) for i in range(len(count)) if count[i]),
        Fraction(0),
    )
    assert dual_value == ws.span


@settings(max_examples=200, deadline=None)
@given(instances(max_ops=4, max_count=2))
def test_no_integral_mapping_beats_the_bound(instance) -> None:
    occ, count, cores, offset = instance
    bound = work_split_bound(occ, count, cores, offset)
    copies = [i for i in range(len(count)) for _ in range(count[i])]
    best = None
    for choice in itertools.product(*(allowed(occ, cores, i) for i in copies)):
        load = {c: Fraction(0) for c in TYPES}
        for i, c in zip(copies, choice):
            load[c] += occ[c][i]
        span = max(load[c] / cores[c] + offset[c] for c in TYPES if cores[c])
        best = span if best is None else min(best, span)
    assert best is None or bound <= best


def test_split_balances_two_types() -> None:
    # op 0 cpu-only (10), op 1 runs on either (cpu 4, npu 2), 3 copies each; 1 cpu, 1 npu:
    # cpu 30 + 4x = npu 2 (3 - x) has no x >= 0, so op 1 stays on the npu: C* = 30
    assert work_split_bound({"cpu": [10, 4], "npu": [None, 2]}, [3, 3], {"cpu": 1, "npu": 1}) == 30
    # npu-heavy: op 0 npu-only 10 x 3; op 1 (cpu 4, npu 2) x 3 on 2 cpus + 1 npu:
    # 4x / 2 = 30 + 2 (3 - x)  ->  x = 9 > 3, all on the cpus: C* = max(6, 30) = 30
    assert work_split_bound({"cpu": [None, 4], "npu": [10, 2]}, [3, 3], {"cpu": 2, "npu": 1}) == 30
    # a split: op 0 (cpu 3, npu 1) x 4, 1 cpu + 1 npu: 3x = 4 - x -> x = 1, C* = 3
    ws = work_split({"cpu": [3], "npu": [1]}, [4], {"cpu": 1, "npu": 1})
    assert ws.span == 3 and ws.share[0] == {"cpu": Fraction(1, 4), "npu": Fraction(3, 4)}


def test_an_op_with_nowhere_to_run_is_refused() -> None:
    with pytest.raises(ValueError, match="op 0"):
        work_split({"cpu": [1], "npu": [None]}, [1], {"cpu": 0, "npu": 1})


def test_offsets_shift_the_balance() -> None:
    # op 0 (cpu 3, npu 1) x 4 on 1 cpu + 1 npu, the npu busy 2 longer: 3x = 4 - x + 2 -> x = 3/2
    ws = work_split({"cpu": [3], "npu": [1]}, [4], {"cpu": 1, "npu": 1}, {"npu": Fraction(2)})
    assert ws.span == Fraction(9, 2) and ws.load == {"cpu": Fraction(9, 2), "npu": Fraction(5, 2)}


@settings(max_examples=150, deadline=None)
@given(problems_and_mappings(allow_any=False))
def test_split_bound_is_below_every_schedule(instance) -> None:
    problem, mapping = instance
    bound = split_bound(problem)
    assert bound <= simulate(problem, mapping).makespan
    for name in ("npufirst", "staggered", "heft"):
        assert bound <= HEURISTICS[name](problem).makespan, name


def test_split_bound_counts_the_work_every_type_must_take() -> None:
    # 2 batches of one op (cpu 300 us, npu 100 us), 1 CPU + 1 NPU, clock 100:
    # 3x = 2 - x ticks -> x = 1/2: 150 us of load per type, rounded up to the tick
    # grid of the sink's after (its end falls 0 us short of its completion tick)
    w = Workload("one", ("op",), ("A",), np.zeros((0, 3), dtype=np.int64), {"cpu": (300.0,), "npu": (100.0,)})
    problem = Problem(w, Platform("p", frozenset({"A"}), 100, npus=1, cpus=1), 2)
    assert split_bound(problem) == 200.0
    assert critical_path_bound(problem) == total_work_bound(problem) == 100.0  # blind to the core types' speeds
    assert lower_bound(problem) == 200.0
    best = min(simulate(problem, m).makespan for m in (["npu", "npu"], ["cpu", "npu"], ["npu", "cpu"], ["cpu", "cpu"]))
    assert best == 200.0
