"""Transfers over the link: their timing in the simulator and replay (the
FIFO rule), what `validate` refuses, the transfer-aware bound and every
algorithm against a brute force that also orders the transfers, the hill
climber's shortcut, the schedule JSON and what is refused with a link."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest

from prism_cp import Platform, PrismError, Problem, Status, Workload, algorithms, solve
from prism_cp.bounds import lower_bound, transfer_path_bounds
from prism_cp.heuristics.hill_climb import hill_climb_mapping
from prism_cp.heuristics.mappings import random_mapping
from prism_cp.io import load_platform, load_workload
from prism_cp.io.schedule_json import read_schedule_json, write_schedule_json
from prism_cp.platform import Link
from prism_cp.problem import completion_tick
from prism_cp.schedule import Transfer
from prism_cp.simulate import check_mapping, replay, simulate, simulate_checked, validate

from oracle import optimum
from hypothesis import strategies as st

from strategies import checked, examples, linked, problems, tiny_problems


def fan_out(channels: int) -> Problem:
    """Op 0 (CPU only, 100 us) feeds ops 1 and 2 (100 us each on an NPU, 300
    on a CPU; 10 tokens each, the second over two parallel edges), clock 100,
    link 10 us + 4 bytes per us: each transfer takes 20 us (1 tick)."""
    w = Workload("fan", ("a", "b", "c"), ("C", "N", "N"), np.array([[0, 1, 10], [0, 2, 4], [0, 2, 6]], dtype=np.int64),
                 {"cpu": (100.0, 300.0, 300.0), "npu": (100.0, 100.0, 100.0)})
    return Problem(w, Platform("p", frozenset({"N"}), 100, npus=2, cpus=1, link=Link(10.0, 4.0, 1.0, channels)), 1)


def test_parallel_edges_are_one_transfer_of_their_summed_tokens():
    p = fan_out(1)
    assert p.edge_tokens == {(0, 1): 10, (0, 2): 10}
    assert p.transfer_bytes(0, 2, "cpu") == 40 and p.transfer_time(0, 2, "cpu") == 20.0
    assert p.transfer_ticks["cpu"][0, 1] == (1, 1)


def test_one_channel_queues_the_second_transfer_in_fifo_order():
    """Both transfers are ready at tick 1; (0, 1) goes first, (0, 2) waits for
    the channel until tick 2; each consumer starts at its transfer's completion."""
    s = simulate(fan_out(1), ["cpu", "npu", "npu"])
    assert s.transfers == (Transfer(0, 0, 1, 100, 120.0, 40, 0), Transfer(0, 0, 2, 200, 220.0, 40, 0))
    assert s.start == (0, 200, 300) and s.makespan == 400.0
    assert not validate(fan_out(1), s)
    two = simulate(fan_out(2), ["cpu", "npu", "npu"])
    assert [(t.start, t.channel) for t in two.transfers] == [(100, 0), (100, 1)] and two.start == (0, 200, 200)
    unlimited = simulate(fan_out(0), ["cpu", "npu", "npu"])
    assert [(t.start, t.channel) for t in unlimited.transfers] == [(100, 0), (100, 1)]


def test_without_a_link_nothing_moves_and_no_transfer_is_accepted():
    p = fan_out(1)
    free = dataclasses.replace(p, platform=dataclasses.replace(p.platform, link=None))
    s = simulate(free, ["cpu", "npu", "npu"])
    assert s.transfers == () and s.start == (0, 100, 100) and s.makespan == 200.0
    assert validate(free, dataclasses.replace(s, transfers=simulate(p, ["cpu", "npu", "npu"]).transfers))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: dataclasses.replace(s, transfers=s.transfers[:1]), "is missing"),
        (lambda s: dataclasses.replace(s, transfers=s.transfers + s.transfers[:1]), "sent 2 times"),
        (lambda s: dataclasses.replace(s, transfers=(dataclasses.replace(s.transfers[0], bytes=7),) + s.transfers[1:]), "7 bytes"),
        (lambda s: dataclasses.replace(s, transfers=(dataclasses.replace(s.transfers[0], start=0, end=20.0),) + s.transfers[1:]), "not a tick at or after"),
        (lambda s: dataclasses.replace(s, transfers=(dataclasses.replace(s.transfers[0], end=121.0),) + s.transfers[1:]), "!= start 100"),
        (lambda s: dataclasses.replace(s, transfers=s.transfers[:1] + (dataclasses.replace(s.transfers[1], start=100, end=120.0),)), "overlap on channel 0"),
        (lambda s: dataclasses.replace(s, transfers=s.transfers[:1] + (dataclasses.replace(s.transfers[1], channel=1),)), "no channel 1"),
        (lambda s: dataclasses.replace(s, start=(0, 100, 300)), "before the transfer completes"),
    ],
)
def test_validate_refuses_a_wrong_transfer(change, message):
    p = fan_out(1)
    problems = validate(p, change(simulate(p, ["cpu", "npu", "npu"])))
    assert any(message in line for line in problems), problems


def test_any_is_refused_with_a_link():
    with pytest.raises(PrismError, match="has a link: map every op"):
        check_mapping(fan_out(1), ["cpu", "any", "npu"])


def test_replay_of_a_simulation_is_that_simulation_with_its_transfers():
    def same(example) -> bool:
        p, mapping = example
        s = simulate(p, mapping)
        assert not validate(p, s)
        assert replay(p, s.sequences()) == s
        return bool(s.transfers)

    strategy = linked(problems()).flatmap(lambda p: st.tuples(st.just(p), st.lists(st.sampled_from(("cpu", "npu")), min_size=p.size, max_size=p.size)))
    assert checked(strategy.map(lambda pm: (pm[0], [m if m in pm[0].allowed(g % pm[0].n_ops) else pm[0].allowed(g % pm[0].n_ops)[0] for g, m in enumerate(pm[1])])), examples(300), same) >= examples(10)


def test_the_hill_climber_with_a_link_is_the_plain_one():
    """The checkpoint shortcut falls back to whole runs with a link: the
    mapping is the one a plain hill climber (every trial simulated whole) finds."""
    def plain(p: Problem) -> list[str]:
        mapping = random_mapping(p, 42)
        best = simulate(p, mapping).makespan
        improved = True
        while improved:
            improved = False
            for i in (i for i in range(p.n_ops) if len(p.allowed(i)) == 2):
                trial = list(mapping)
                trial[i] = "cpu" if trial[i] == "npu" else "npu"
                span = simulate_checked(p, p.replicate(trial)).makespan
                if span < best:
                    mapping, best, improved = trial, span, True
        return mapping

    def agree(p: Problem) -> bool:
        assert hill_climb_mapping(p, 42) == plain(p)
        return any(len(p.allowed(i)) == 2 for i in range(p.n_ops))

    assert checked(linked(problems()), examples(120), agree) >= examples(10)


def test_bounds_and_optimal_claims_hold_against_the_brute_force_with_transfers():
    """Every algorithm's schedule validates with its transfers (solve checks),
    its bound and the transfer-path bound are at most the brute-force optimum
    (which orders the transfers on limited channels), OPTIMAL is it."""
    def sound(p: Problem) -> bool:
        best = optimum(p)
        for algorithm in algorithms():
            result = solve(p, algorithm, **({"time_limit": 1.0} if algorithm == "cpsat" else {}))
            assert result.lower_bound <= best <= result.makespan, algorithm
            if result.status == Status.OPTIMAL:
                assert result.makespan == best, algorithm
        assert all(b <= best for b in transfer_path_bounds(p))
        return True

    assert checked(linked(tiny_problems(max_size=5)), examples(80), sound) == examples(80)


def test_the_transfer_path_bound_pays_the_cheaper_of_a_transfer_and_a_slow_type():
    """a (CPU only, 1 tick) -> b (1 tick on the NPU, 3 on the CPU), the
    transfer 1 tick: b ends at 300 us either way via the NPU, 400 via the CPU;
    the critical path (b on the NPU, no transfer) says 200."""
    w = Workload("pair", ("a", "b"), ("C", "N"), np.array([[0, 1, 10]], dtype=np.int64), {"cpu": (100.0, 300.0), "npu": (100.0, 100.0)})
    p = Problem(w, Platform("p", frozenset({"N"}), 100, npus=1, cpus=1, link=Link(10.0, 4.0, 1.0, 1)), 1)
    assert transfer_path_bounds(p) == [300.0] and lower_bound(p, ["critical-path"]) == 200.0
    assert lower_bound(p) == 300.0 == optimum(p)
    slow = dataclasses.replace(p, platform=dataclasses.replace(p.platform, link=Link(1000.0, 4.0, 1.0, 1)))
    assert transfer_path_bounds(slow) == [400.0] == [optimum(slow)]
    assert transfer_path_bounds(dataclasses.replace(p, platform=dataclasses.replace(p.platform, link=None))) == []


def test_the_cp_model_pays_for_transfers_and_stays_optimal_on_a_contended_link():
    """One channel: the second transfer waits a tick, optimum 400 us; the
    model's bound (solver and transfer-aware) must not claim less work."""
    result = solve(fan_out(1), "cpsat", time_limit=5)
    assert result.makespan == optimum(fan_out(1)) == 400.0
    s = result.schedule
    assert result.status == Status.OPTIMAL  # two optima: both consumers on NPUs (the second transfer waits), or one on the CPU
    assert {(t.src, t.dst) for t in s.transfers} == {(0, g) for g in (1, 2) if s.core_type[g] != s.core_type[0]}


def test_schedule_json_round_trips_the_transfers(tmp_path: Path):
    p = fan_out(1)
    result = solve(p, "npufirst")
    doc = read_schedule_json(write_schedule_json(tmp_path / "s.json", p, result))
    assert doc.schedule == result.schedule and len(doc.schedule.transfers) == 2
    assert not validate(p, doc.schedule)


def test_a_malformed_transfer_in_json_is_a_prism_error(tmp_path: Path):
    p = fan_out(1)
    path = write_schedule_json(tmp_path / "s.json", p, solve(p, "npufirst"))
    path.write_text(path.read_text().replace('"channel": 0', '"channel": "zero"', 1))
    with pytest.raises(PrismError, match="transfers must list objects"):
        read_schedule_json(path)


def test_xception_on_a_linked_grai_every_algorithm_validates():
    plat = dataclasses.replace(load_platform("grai"), link=Link(10.0, 2000.0, 1.0, 1))
    p = Problem(load_workload("xception"), plat, 2)
    for algorithm in algorithms():
        result = solve(p, algorithm, **({"time_limit": 4.0} if algorithm == "cpsat" else {}))
        assert result.schedule.transfers and not validate(p, result.schedule)
        assert result.lower_bound <= result.makespan


def test_a_stream_with_a_link_is_solved_with_valid_transfers():
    p = dataclasses.replace(fan_out(1), nbatch=3, arrival_us=150.0)
    result = solve(p, "cpsat", time_limit=3)
    assert not validate(p, result.schedule) and result.schedule.transfers
    assert result.lower_bound <= result.makespan
