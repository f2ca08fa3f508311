"""Steady state: the period bound against an independent LP and exhaustive
search, the modulo schedule (least period by packing, checked by unrolling
and replaying), deadlines, and the stream report."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prism_cp import Platform, PrismError, Problem, Schedule, Status, Workload
from prism_cp.io import load_platform
from prism_cp.solve import steady_state
from prism_cp.steady import ModuloSchedule, SteadyState, period_bound
from prism_cp.steady.modulo import pack, release_ticks
from prism_cp.steady.placement import bottleneck_first, place
from prism_cp.bounds.alone import alone_us
from prism_cp.steady.stream import stream_report
from prism_cp.steady.unroll import check

from strategies import checked


def ticks(problem: Problem, c: str, i: int) -> int:
    """max(1, ceil(T / clock)): exact for the whole-number times used here."""
    return max(1, math.ceil(Fraction(problem.workload.times[c][i]) / problem.clock))


def glop_period(problem: Problem) -> float:
    """The work-split LP solved by a general LP solver, ticks from ceil(T / clock)."""
    from ortools.linear_solver import pywraplp

    lp = pywraplp.Solver.CreateSolver("GLOP")
    span = lp.NumVar(0, lp.infinity(), "C")
    load = {c: 0 for c in ("cpu", "npu")}
    for i in range(problem.n_ops):
        shares = {c: lp.NumVar(0, 1, f"{c}{i}") for c in problem.allowed(i)}
        lp.Add(sum(shares.values()) == 1)
        for c, x in shares.items():
            load[c] += math.ceil(Fraction(problem.workload.times[c][i]) / problem.clock) * x
    for c in ("cpu", "npu"):
        if problem.platform.cores(c):
            lp.Add(load[c] <= problem.platform.cores(c) * span)
    lp.Minimize(span)
    assert lp.Solve() == pywraplp.Solver.OPTIMAL
    return span.solution_value()


def test_xception_bound_is_the_cpu_only_work_and_the_lp_optimum(xception):
    problem = Problem(xception, load_platform("grai", npus=4, cpus=2), 1)
    bound = period_bound(problem)
    cpu_only = sum(math.ceil(Fraction(t) / 100) for t, ok in zip(xception.times["cpu"], problem.npu_ok) if not ok)
    assert bound.ticks == Fraction(cpu_only, 2) and bound.bottleneck == "cpu"
    assert float(bound.ticks) == pytest.approx(glop_period(problem), abs=1e-6)


def tiny(times: list[tuple[int, int]], edges: list[tuple[int, int]], cpus: int, npus: int, npu_types: str) -> Problem:
    n = len(times)
    w = Workload(
        "tiny",
        tuple(f"op{i}" for i in range(n)),
        tuple("A" if i % 2 else "B" for i in range(n)),
        np.array([(a, b, 1) for a, b in edges], dtype=np.int64).reshape(-1, 3),
        {"cpu": tuple(float(c) for c, _ in times), "npu": tuple(float(d) for _, d in times)},
    )
    return Problem(w, Platform("tiny", frozenset(npu_types), 1, npus, cpus), 1)


def transfer_ticks(problem: Problem, u: int, v: int) -> int:
    """max(1, ceil(T / clock)) of the transfer u -> v (the same from either type here)."""
    return max(1, math.ceil(Fraction(problem.transfer_time(u, v, "cpu")) / problem.clock))


def least_period_exhaustive(problem: Problem, unroll: int, most: int) -> int | None:
    """The least period P <= most of any modulo schedule with `unroll` batches
    per period: every core and start in [ready, ready + P) of every op copy
    (a later start has the same residue and only delays successors), with a
    link every start in [ready, ready + P) of every transfer its mapping
    implies; the folded occupancy of each core at most one and of the link
    at most its channels (none when unlimited), tick by tick."""
    n, wire = problem.n_ops, problem.platform.link
    channels = 0 if wire is None else wire.channels
    order = [(j, i) for j in range(unroll) for i in range(n)]  # edges go from lower to higher index
    preds = problem.workload.predecessors()
    for period in range(1, most + 1):
        rel = release_ticks(period, unroll)

        def send(j: int, i: int, ins: list[int], start: dict, core: dict, busy: dict, link: list[int], k: int) -> bool:
            """Place copy j's transfers into op i (those of `ins`), then op i, then the rest."""
            if not ins:
                return place_op(j, i, start, core, busy, link, k)
            p, rest = ins[0], ins[1:]
            ready = start[j, p] + ticks(problem, core[j, p][0], p)
            if wire is None or core[j, p][0] == core[j, i][0]:
                start[j, p, i] = ready
                return send(j, i, rest, start, core, busy, link, k)
            d = transfer_ticks(problem, p, i)
            for s in range(ready, ready + period):
                cover = [(s + t) % period for t in range(d)]
                for r in cover:
                    link[r] += 1
                if not channels or max(link) <= channels:
                    start[j, p, i] = s + d
                    if send(j, i, rest, start, core, busy, link, k):
                        return True
                for r in cover:
                    link[r] -= 1
            return False

        def place_op(j: int, i: int, start: dict, core: dict, busy: dict, link: list[int], k: int) -> bool:
            ready = max([rel[j]] + [start[j, p, i] for p in preds[i]])
            c, x = core[j, i]
            d = ticks(problem, c, i)
            for s in range(ready, ready + period):
                residues = [(s + t) % period for t in range(d)]
                if d > period or any(busy.get((c, x, r)) for r in residues):
                    continue
                for r in residues:
                    busy[c, x, r] = True
                start[j, i] = s
                if place(k + 1, start, core, busy, link):
                    return True
                for r in residues:
                    busy[c, x, r] = False
            return False

        def place(k: int, start: dict, core: dict, busy: dict, link: list[int]) -> bool:
            if k == len(order):
                return True
            j, i = order[k]
            for c in problem.allowed(i):
                for x in range(problem.platform.cores(c)):
                    core[j, i] = (c, x)
                    if send(j, i, list(preds[i]), start, core, busy, link, k):
                        return True
            return False

        if place(0, {}, {}, {}, [0] * period):
            return period
    return None


@st.composite
def tiny_problems(draw) -> Problem:
    n = draw(st.integers(1, 3))
    times = [(draw(st.integers(1, 4)), draw(st.integers(1, 4))) for _ in range(n)]
    edges = [(a, b) for a in range(n) for b in range(a + 1, n) if draw(st.booleans())]
    cpus = draw(st.integers(0, 2))
    npus = draw(st.integers(0 if cpus else 1, 2))
    return tiny(times, edges, cpus, npus, "AB" if not cpus else draw(st.sampled_from(["", "A", "AB"])))


@settings(max_examples=25, deadline=None)
@given(tiny_problems(), st.integers(1, 2))
def test_bound_holds_and_packing_finds_the_least_period_of_exhaustive_search(problem, unroll):
    bound = period_bound(problem)
    most = unroll * sum(max(ticks(problem, c, i) for c in problem.allowed(i)) for i in range(problem.n_ops))
    least = least_period_exhaustive(problem, unroll, most)
    assert least is not None and Fraction(least, unroll) >= bound.ticks
    first = math.ceil(unroll * bound.ticks)
    by_packing = next(p for p in range(first, most + 1) if pack(problem, p, unroll, time_limit=5, workers=1)[0] == "feasible")
    assert by_packing == least


def test_unrolling_two_batches_reaches_a_fractional_bound():
    # three independent 1-tick ops on 2 CPUs: bound 1.5 ticks per batch; one
    # batch per period needs 2 ticks, two batches per period fit in 3
    problem = tiny([(1, 1)] * 3, [], 2, 0, "")
    assert period_bound(problem).ticks == Fraction(3, 2)
    one = steady_state(problem, unroll=1, time_limit=5, workers=1)
    assert one.schedule.period == 2 and one.least and one.gap == pytest.approx(0.25) and one.status == Status.FEASIBLE
    two = steady_state(problem, unroll=2, time_limit=5, workers=1)
    assert two.schedule.period == 3 and two.period_us == 1.5 and two.least and two.gap == 0 and two.status == Status.OPTIMAL
    assert two.measured.period_us == two.period_us


def test_chain_on_one_cpu_is_hand_checkable():
    problem = tiny([(1, 1), (1, 1)], [(0, 1)], 1, 0, "")
    state = steady_state(problem, time_limit=5, workers=1)
    assert state.status == Status.OPTIMAL and state.schedule.period == 2 and state.least
    assert state.measured.period_us == 2 and state.measured.max_latency_us == 2
    assert state.summary()["throughput_per_s"] == pytest.approx(5e5)


def test_xception_periodic_schedule_is_within_two_percent_and_replays_at_its_period(xception):
    problem = Problem(xception, load_platform("grai", npus=4, cpus=2), 1)
    state = steady_state(problem, time_limit=4, workers=1)
    assert state.status in (Status.OPTIMAL, Status.FEASIBLE) and state.least
    assert state.schedule.period == math.ceil(period_bound(problem).ticks)  # the packing reaches the bound
    assert state.gap < 0.02
    assert state.measured.period_us == state.period_us
    assert state.measured.max_latency_us >= alone_us(problem)


def test_deadline_shorter_than_one_batch_needs_alone_is_infeasible_not_an_error():
    problem = tiny([(2, 2), (2, 2)], [(0, 1)], 1, 0, "")
    state = steady_state(problem, deadline_us=3.0, time_limit=5, workers=1)
    assert state.status == Status.INFEASIBLE and state.schedule is None and "even alone" in state.reason


def test_deadline_gives_the_least_period_meeting_it():
    # a -> b on 2 CPUs (1 tick each): period 1 tick with latency 2 ticks
    problem = tiny([(1, 1), (1, 1)], [(0, 1)], 2, 0, "")
    state = steady_state(problem, deadline_us=2.0, time_limit=5, workers=1)
    assert state.schedule.period == 1 and state.measured.max_latency_us <= 2.0


def test_check_rejects_a_modulo_schedule_that_overloads_a_core():
    problem = tiny([(2, 2), (2, 2)], [], 1, 0, "")
    overlapping = ModuloSchedule(4, 1, ((0, 1),), ((("cpu", 0), ("cpu", 0)),))
    with pytest.raises(AssertionError, match="invalid"):
        check(problem, overlapping, 4)


@pytest.mark.parametrize("options", [{"unroll": 0}, {"unroll": True}, {"time_limit": 0}, {"deadline_us": -1.0}, {"deadline_us": float("nan")}])
def test_bad_options_are_prism_errors(options):
    with pytest.raises(PrismError):
        steady_state(tiny([(1, 1)], [], 1, 0, ""), **options)


def test_stream_report_is_hand_checkable():
    # one 50 us op on one CPU (clock 100): arrivals 0, 150, 300 -> releases at ticks 0, 2, 3
    w = Workload("one", ("op",), ("A",), np.zeros((0, 3), dtype=np.int64), {"cpu": (50.0,), "npu": (50.0,)})
    problem = Problem(w, Platform("p", frozenset(), 100, 0, 1), 3, arrival_us=150.0, deadline_us=60.0)
    s = Schedule((0, 200, 300), (50.0, 250.0, 350.0), ("cpu",) * 3, (0, 0, 0))
    report = stream_report(problem, s)
    assert (report.max_latency_us, report.deadline_misses) == (100.0, 1)
    assert report.mean_latency_us == pytest.approx(200 / 3)
    assert report.sustainable and report.bound_period_us == 100.0 and not report.infeasible
    assert not stream_report(replace(problem, arrival_us=99.0), s).sustainable
    assert stream_report(replace(problem, deadline_us=49.0), s).infeasible


@settings(max_examples=15, deadline=None)
@given(tiny_problems(), st.integers(1, 3))
def test_every_steady_state_replays_at_its_period_above_the_bound(problem, unroll):
    steady_state_checked(problem, unroll)


def steady_state_checked(problem: Problem, unroll: int) -> SteadyState:
    """The steady state of `problem` (3 s), after checking what every one
    must satisfy: OPTIMAL exactly at the bound, never below it, its replay
    at its period, no latency below what one batch needs alone."""
    state = steady_state(problem, unroll=unroll, time_limit=3, workers=1)
    assert state.status == (Status.OPTIMAL if state.period_us == state.bound_period_us else Status.FEASIBLE)
    assert state.period_us >= state.bound_period_us
    assert state.measured.period_us == state.period_us
    assert state.measured.max_latency_us >= alone_us(problem)
    return state


def placements_hold(drawn: tuple[Problem, int, int]) -> bool:
    """Both placements of a packing replay at its period when unrolled;
    whether `bottleneck_first` found one (None when its solver finds nothing
    in time or its scheduling does not settle; `place` always does)."""
    problem, unroll, extra = drawn
    first = math.ceil(unroll * period_bound(problem).ticks) + extra
    period = next(p for p in range(first, first + 50) if pack(problem, p, unroll, time_limit=5, workers=1)[0] == "feasible")
    cores = pack(problem, period, unroll, time_limit=5, workers=1)[1]
    tight = bottleneck_first(problem, period, unroll, cores, time_limit=1, workers=1)
    for found in (place(problem, period, unroll, cores), tight):
        if found is not None:
            assert check(problem, found, 10).period_us == Fraction(period, unroll) * problem.clock
    return tight is not None


def test_placements_of_a_packing_hold_when_unrolled():
    found = checked(st.tuples(tiny_problems(), st.integers(1, 2), st.integers(0, 2)), 15, placements_hold)
    assert found >= 8, f"bottleneck_first placed only {found} of 15 packings"  # all 15 in a local run
