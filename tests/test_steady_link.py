"""Steady state on a platform with a link: the least period of the packing
against an exhaustive search over modulo schedules with transfers, every
witness validated with its transfers when unrolled, a hand-checkable chain,
xception, and the CLI."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prism_cp import Problem, Status
from prism_cp.io import load_platform
from prism_cp.platform import Link
from prism_cp.simulate import validate
from prism_cp.solve import steady_state
from prism_cp.steady import period_bound
from prism_cp.steady.modulo import pack
from prism_cp.steady.unroll import stream_problem, unrolled
from test_cli import json_line, run
from test_steady import least_period_exhaustive, steady_state_checked, ticks, tiny, tiny_problems, transfer_ticks


def linked(problem: Problem, latency_us: float, channels: int) -> Problem:
    """`problem` on its platform plus a link moving each edge's 4 bytes at 4 bytes/us."""
    return Problem(problem.workload, replace(problem.platform, link=Link(latency_us, 4.0, 1.0, channels)), 1)


@st.composite
def tiny_linked(draw) -> Problem:
    return linked(draw(tiny_problems()), draw(st.sampled_from([0.5, 1.5, 2.5])), draw(st.integers(0, 2)))


@settings(max_examples=25, deadline=None)
@given(tiny_linked(), st.integers(1, 2))
def test_packing_finds_the_least_period_of_exhaustive_search_with_transfers(problem, unroll):
    bound = period_bound(problem)
    horizon = sum(max(ticks(problem, c, i) for c in problem.allowed(i)) for i in range(problem.n_ops))
    most = unroll * (horizon + sum(transfer_ticks(problem, *e) for e in problem.edge_tokens))
    least = least_period_exhaustive(problem, unroll, most)
    assert least is not None and Fraction(least, unroll) >= bound.ticks  # the bound ignores the link and stays valid
    first = math.ceil(unroll * bound.ticks)
    by_packing = next(p for p in range(first, most + 1) if pack(problem, p, unroll, time_limit=5, workers=1)[0] == "feasible")
    assert by_packing == least


@settings(max_examples=15, deadline=None)
@given(tiny_linked(), st.integers(1, 2))
def test_every_linked_witness_validates_with_its_transfers_above_the_bound(problem, unroll):
    state = steady_state_checked(problem, unroll)
    stream = stream_problem(problem, state.schedule, 6 * unroll)
    concrete = unrolled(stream, state.schedule)
    assert validate(stream, concrete) == []
    n = problem.n_ops
    crossing = sum(concrete.core_type[b * n + u] != concrete.core_type[b * n + v] for b in range(stream.nbatch) for u, v in problem.edge_tokens)
    assert len(concrete.transfers) == crossing


@pytest.mark.parametrize(("channels", "period", "latency_ticks"), [(1, 2, 2), (2, 1, 4), (0, 1, 4)])
def test_chain_across_the_link_is_hand_checkable(channels, period, latency_ticks):
    # a (CPU only, 1 tick) -> b (1 tick on either type) on 1 CPU + 1 NPU, clock
    # 1 us; the transfer takes 1 + 4 / 4 = 2 us: 2 ticks
    problem = linked(tiny([(1, 1), (1, 1)], [(0, 1)], 1, 1, "A"), 1.0, channels)
    assert transfer_ticks(problem, 0, 1) == 2 and period_bound(problem).ticks == 1
    state = steady_state(problem, time_limit=5, workers=1)
    # one channel holds a 2-tick transfer every period only if P >= 2: b stays on the CPU
    # (period 2, latency 2); two channels, or unlimited ones, hold it every tick (latency 1 + 2 + 1)
    assert state.least and state.schedule.period == period
    assert state.measured.period_us == period and state.measured.max_latency_us == latency_ticks
    assert state.status == (Status.OPTIMAL if period == 1 else Status.FEASIBLE)


def test_xception_with_a_link_replays_at_its_period(xception):
    platform = replace(load_platform("grai", npus=4, cpus=2), link=Link(10.0, 2000.0, 1.0, 2))
    problem = Problem(xception, platform, 1)
    state = steady_state(problem, time_limit=4, workers=1)
    assert state.status in (Status.OPTIMAL, Status.FEASIBLE) and state.period_us >= state.bound_period_us
    assert state.measured.period_us == state.period_us
    concrete = unrolled(stream_problem(problem, state.schedule, 3), state.schedule)
    assert concrete.transfers and validate(stream_problem(problem, state.schedule, 3), concrete) == []


def test_throughput_steady_state_on_a_linked_platform(tmp_path: Path) -> None:
    grai = Path(__file__).resolve().parents[1] / "platforms" / "grai.toml"
    platform = tmp_path / "linked.toml"
    platform.write_text(grai.read_text() + "\n[link]\nlatency_us = 10.0\nbytes_per_us = 2000.0\npj_per_byte = 1.0\nchannels = 2\n")
    args = ("throughput", "--algorithm", "npufirst", "--batch-sizes", "2", "--platform", str(platform), "--steady-state", "--time-limit", "4", "--workers", "1")
    data = json_line(run(*args, "--json"))
    assert data["status"] in ("OPTIMAL", "FEASIBLE") and data["period_us"] >= data["bound_period_us"]
    assert data["measured_period_us"] == data["period_us"] and data["least_period"] is True
