"""The event-driven simulator against a literal tick-by-tick reading of the
reference rules, plus replay and validate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings

from prism_cp import Platform, PrismError, Problem, Schedule, Workload, replay, simulate, validate
from prism_cp.bounds import critical_path_bound, load_bounds, lower_bound, total_work_bound
from prism_cp.simulate import _narrowest, check_mapping, record_checkpoints, resume_makespan
from strategies import problems_and_mappings, streams_and_mappings


def tick_by_tick(problem: Problem, mapping: list[str]) -> Schedule:
    """docs/semantics.md read literally: step every tick, rescan every op."""
    size, clock, n = problem.size, problem.clock, problem.n_ops
    preds = problem.preds
    cores = {"cpu": [None] * problem.platform.cpus, "npu": [None] * problem.platform.npus}
    start, end, ctype, cid = [None] * size, [None] * size, [None] * size, [None] * size
    done: set[int] = set()
    running: dict[int, float] = {}
    ready: list[int] = []
    seen: set[int] = set()
    t = 0
    while len(done) < size:
        finished = [g for g, e in running.items() if t >= e]
        for g in finished:
            cores[ctype[g]][cid[g]] = None
            done.add(g)
            del running[g]
        # a batch's ops exist from its release tick on (all at tick 0 without a stream)
        new = [g for g in range(size) if g not in seen and all(p in done for p in preds[g]) and t >= problem.release[g // n] * clock]
        ready += new
        seen.update(new)
        still = []
        for g in ready:
            c = mapping[g]
            if c == "any":
                c = "npu" if problem.npu_ok[g % n] and None in cores["npu"] else "cpu"
            if None in cores[c]:
                k = cores[c].index(None)
                cores[c][k] = g
                dur = problem.workload.times[c][g % n]
                start[g], end[g], ctype[g], cid[g] = t, t + dur, c, k
                running[g] = t + dur
            else:
                still.append(g)
        ready = still
        t += clock
    return Schedule(tuple(start), tuple(end), tuple(ctype), tuple(cid))


@settings(max_examples=300, deadline=None)
@given(problems_and_mappings())
def test_event_driven_equals_tick_by_tick(pm):
    problem, mapping = pm
    assert simulate(problem, mapping) == tick_by_tick(problem, mapping)


@settings(max_examples=300, deadline=None)
@given(problems_and_mappings())
def test_dynamic_schedule_validates_replays_and_respects_bounds(pm):
    check_dynamic_schedule(*pm)


@settings(max_examples=200, deadline=None)
@given(streams_and_mappings())
def test_stream_event_driven_equals_tick_by_tick_and_validates(pm):
    problem, mapping = pm
    s = simulate(problem, mapping)
    assert s == tick_by_tick(problem, mapping)
    assert all(s.start[g] >= problem.release[g // problem.n_ops] * problem.clock for g in range(problem.size))
    check_dynamic_schedule(problem, mapping)


def check_dynamic_schedule(problem: Problem, mapping: list[str]) -> None:
    s = simulate(problem, mapping)
    assert validate(problem, s, makespan=s.makespan) == []
    assert replay(problem, s.sequences()) == s
    assert s.makespan >= critical_path_bound(problem)
    assert s.makespan >= total_work_bound(problem)
    assert all(s.makespan >= b for b in load_bounds(problem).values())
    assert s.makespan >= lower_bound(problem)


def chain(times_cpu, times_npu, types=None, npu_ops=frozenset({"A"}), npus=1, cpus=1, clock=100, nbatch=1) -> Problem:
    n = len(times_cpu)
    edges = np.array([(i, i + 1, 1) for i in range(n - 1)], dtype=np.int64).reshape(-1, 3)
    w = Workload("chain", tuple(f"op{i}" for i in range(n)), tuple(types or ["A"] * n), edges, {"cpu": tuple(times_cpu), "npu": tuple(times_npu)})
    return Problem(w, Platform("p", npu_ops, clock, npus, cpus), nbatch)


def test_unsupported_op_on_npu_is_an_error_not_a_hang():
    p = chain([1.0, 1.0], [1.0, 1.0], types=["A", "B"])
    with pytest.raises(PrismError, match="op 1 .*mapped to 'npu'"):
        simulate(p, ["npu", "npu"])


def test_mapping_to_a_core_type_the_platform_lacks_is_an_error():
    p = chain([1.0], [1.0], npus=0)
    with pytest.raises(PrismError, match="0 NPUs"):
        simulate(p, ["npu"])


@pytest.mark.parametrize("mapping", [["cpu"], ["cpu", "cpu", "cpu"], ["gpu", "cpu"]])
def test_malformed_mapping_is_an_error(mapping):
    with pytest.raises(PrismError):
        simulate(chain([1.0, 1.0], [1.0, 1.0], nbatch=2), mapping)


def test_occupancy_is_at_least_one_tick_and_end_is_float_exact():
    p = chain([0.0, 150.5], [1.0, 1.0])
    s = simulate(p, ["cpu", "cpu"])
    assert s.start == (0, 100) and s.end == (0.0, 250.5)


def test_validate_reports_every_violation():
    p = chain([150.0, 50.0], [1.0, 1.0], cpus=1, npus=1)
    good = simulate(p, ["cpu", "cpu"])
    assert validate(p, good) == []
    bad = Schedule((0, 100), (150.0, 151.0), ("cpu", "cpu"), (0, 0))
    problems = validate(p, bad, makespan=999.0)
    assert len(problems) == 4
    assert any("before its predecessor" in m for m in problems)
    assert any("overlap" in m for m in problems)
    assert any("end 151.0" in m for m in problems)
    assert any("stated makespan" in m for m in problems)
    off_tick = Schedule((50, 200), (200.0, 250.0), ("npu", "cpu"), (3, 0))
    problems = validate(p, off_tick)
    assert any("no core 'npu' #3" in m for m in problems)


def test_validate_rejects_unsupported_core_and_off_tick_start():
    p = chain([100.0, 100.0], [50.0, 50.0], types=["A", "B"])
    s = Schedule((0, 150), (50.0, 200.0), ("npu", "npu"), (0, 0))
    problems = validate(p, s)
    assert any("not supported on npu" in m for m in problems)
    assert any("not a tick boundary" in m for m in problems)


def test_replay_rejects_bad_sequences():
    p = chain([100.0, 100.0], [50.0, 50.0], cpus=2)
    with pytest.raises(PrismError, match="deadlock"):
        replay(p, {("cpu", 0): [1, 0]})
    with pytest.raises(PrismError, match="twice"):
        replay(p, {("cpu", 0): [0, 1], ("cpu", 1): [1]})
    with pytest.raises(PrismError, match="not sequenced"):
        replay(p, {("cpu", 0): [0]})
    with pytest.raises(PrismError, match="no core"):
        replay(p, {("cpu", 5): [0, 1]})


def test_replay_compacts_a_delayed_schedule():
    p = chain([100.0, 100.0], [50.0, 50.0], cpus=2)
    s = replay(p, {("cpu", 0): [0], ("cpu", 1): [1]})
    assert s.start == (0, 100) and s.makespan == 200.0


@settings(max_examples=30, deadline=None)
@given(problems_and_mappings())
def test_resuming_from_compact_checkpoints_equals_a_full_run(pm):
    """The hill climber's checkpoints keep the waiting counts in the narrowest
    C array (memory: one snapshot per op, each as long as the whole problem);
    a run resumed from any of them must still end exactly as a full run."""
    problem, mapping = pm
    mapping = check_mapping(problem, mapping)
    span, checkpoints = record_checkpoints(problem, mapping, set(range(problem.n_ops)))
    assert span == simulate(problem, mapping).makespan
    for checkpoint in checkpoints.values():
        assert checkpoint.waiting.itemsize == 1  # in-degrees of these graphs are < 256
        assert resume_makespan(problem, mapping, checkpoint, float("inf")) == span


def test_checkpoint_arrays_widen_only_when_needed():
    assert [_narrowest(c).typecode for c in ([0, 255], [256], [70_000], [2**40])] == ["B", "H", "I", "Q"]


def test_stream_releases_batches_at_the_first_tick_after_arrival():
    # batch b arrives at 150 b us: release ticks 0, 2, 3; a 50 us op on one CPU
    problem = replace(chain([50.0], [50.0], npus=0), nbatch=3, arrival_us=150.0)
    assert problem.release == (0, 2, 3)
    s = simulate(problem, ["cpu"])
    assert s.start == (0, 200, 300)
    assert replay(problem, {("cpu", 0): [2, 1, 0]}).start == (500, 400, 300)
    early = Schedule((0, 100, 300), (50.0, 150.0, 350.0), ("cpu",) * 3, (0, 0, 0))
    assert any("before its batch arrives" in v for v in validate(problem, early))


def test_replay_waits_for_the_release():
    problem = replace(chain([50.0], [50.0], npus=0), nbatch=2, arrival_us=1000.0)
    assert replay(problem, {("cpu", 0): [0, 1]}).start == (0, 1000)


@pytest.mark.parametrize("bad", [-1.0, float("inf"), float("nan"), True, "5"])
def test_stream_rejects_bad_arrival_and_deadline(bad):
    with pytest.raises(PrismError, match="arrival period"):
        replace(chain([1.0], [1.0]), arrival_us=bad)
    with pytest.raises(PrismError, match="deadline"):
        replace(chain([1.0], [1.0]), deadline_us=bad)
    with pytest.raises(PrismError, match="deadline"):
        replace(chain([1.0], [1.0]), deadline_us=0.0)
