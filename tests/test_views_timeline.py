"""Timelines read from every schedule source agree with the schedule; the batch
count of a pickle is recovered; windows select exactly the ops they say."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from prism_cp import PrismError
from prism_cp.io import write_reference_pickle
from prism_cp.io.safe_pickle import load_pickle
from prism_cp.io.schedule_pickle import _reference_module_importable
from prism_cp.platform import Link
from prism_cp.views import Window, batch_range, read_timeline, timeline_of
from prism_cp.views.timeline import batch_period
from schedule_files import schedule_files

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return schedule_files(tmp_path_factory.mktemp("timeline"), batches=3)


def test_a_result_our_json_and_our_pickle_give_the_same_ops(tmp_path: Path, files) -> None:
    problem, result, pkl, doc = files
    alone = tmp_path / pkl.name  # no JSON beside it
    alone.write_bytes(pkl.read_bytes())
    live, from_json, from_pickle = timeline_of(problem, result), read_timeline(doc), read_timeline(alone)
    for t in (live, from_json, from_pickle):
        assert t.schedule == result.schedule and (t.n_ops, t.nbatch) == (134, 3)
        assert t.op_types == problem.workload.op_types
    assert live.op_names == from_json.op_names == problem.workload.op_names
    assert from_pickle.op_names is None and from_pickle.op_name(134 + 5) == f"{problem.workload.op_types[5]}_5"
    assert live.lower_bound == from_json.lower_bound == result.lower_bound and from_pickle.lower_bound is None
    assert live.cores == from_json.cores == (("cpu", 0), ("cpu", 1), ("npu", 0), ("npu", 1), ("npu", 2), ("npu", 3))
    assert read_timeline(pkl) == from_json  # beside its JSON, a pickle is read with the JSON's title, names and bound


def test_a_pickle_beside_a_json_of_another_schedule_or_a_damaged_one_is_read_alone(tmp_path: Path, files) -> None:
    problem, result, pkl, _ = files
    other = schedule_files(tmp_path, batches=3, algorithm="random")[3]
    copy = tmp_path / "copy.pkl"
    copy.write_bytes(pkl.read_bytes())
    for neighbour in (other.read_text(), "{not json"):
        copy.with_suffix(".json").write_text(neighbour)
        t = read_timeline(copy)
        assert t.schedule == result.schedule and t.lower_bound is None and t.title == "copy.pkl, 3 batches"


def test_a_pickle_in_the_results_layout_keeps_algorithm_platform_and_cores_in_its_title(tmp_path: Path, files) -> None:
    where = tmp_path / "performance" / "npufirst" / "grai" / "NPU_4.CPU_2" / "schedules"
    where.mkdir(parents=True)
    (where / "xception.pkl").write_bytes(files[2].read_bytes())
    t = read_timeline(where / "xception.pkl")
    assert t.title == "xception, npufirst, 3 batches on grai (4 NPUs, 2 CPUs)" and t.lower_bound is None
    assert t.cores == (("cpu", 0), ("cpu", 1), ("npu", 0), ("npu", 1), ("npu", 2), ("npu", 3))


def test_the_reference_pickle_has_4_batches_of_134_ops() -> None:
    t = read_timeline(GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b4.reference.pkl")
    assert (t.n_ops, t.nbatch) == (134, 4)


def test_a_schedule_pickle_without_ops_is_refused(tmp_path: Path, files) -> None:
    problem, result, _, _ = files
    path = tmp_path / "empty.pkl"
    write_reference_pickle(path, problem, result.schedule, result.mapping)
    record = load_pickle(path)
    record[0].__dict__.update(start_times=[], end_times=[], computing_cores=[], computing_ids=[], map={}, operation=[], extime=[])
    with _reference_module_importable():
        path.write_bytes(pickle.dumps(record))
    with pytest.raises(PrismError, match="holds no ops"):
        read_timeline(path)


def test_a_golden_json_without_op_types_names_ops_by_index() -> None:
    t = read_timeline(GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b4.json")
    assert (t.n_ops, t.nbatch, t.op_types, t.lower_bound) == (134, 4, None, None)
    assert t.op_name(134 + 7) == "op7" and t.op_type(0) is None


@pytest.mark.parametrize("nbatch", [1, 2, 5])
def test_batch_period_finds_the_replicated_graph(nbatch: int) -> None:
    types = ("a", "b", "a", "b")  # periodic with 2 on their own, but the edges join the halves
    edges = np.array([[0, 1, 1], [1, 2, 1], [2, 3, 4]])
    copies = np.concatenate([edges + b * 4 * np.array([1, 1, 0]) for b in range(nbatch)])
    assert batch_period(types * nbatch, copies[::-1]) == 4
    assert batch_period(("a", "a"), np.zeros((0, 3), dtype=np.int64)) == 1


def test_windows_select_the_ops_of_their_batches_and_times(files) -> None:
    problem, result, _, doc = files
    t, s = read_timeline(doc), result.schedule
    assert Window().ops(t) == list(range(problem.size))
    assert Window((1, 2)).ops(t) == list(range(134, 3 * 134))
    shown = Window((0, 0), 20, 40).ops(t)
    assert shown == [g for g in range(134) if s.start[g] <= 40_000 and s.end[g] >= 20_000] and shown


def test_a_window_that_selects_nothing_is_refused(files) -> None:
    t = read_timeline(files[3])
    batch0_done_ms = max(t.schedule.end[:134]) / 1000
    for window in (Window(from_ms=1e6), Window((7, 9)), Window(from_ms=50, to_ms=50), Window((0, 0), from_ms=batch0_done_ms + 0.001)):
        with pytest.raises(PrismError):
            window.ops(t)
    assert Window((0, 0), from_ms=batch0_done_ms).ops(t)


def test_batch_ranges() -> None:
    assert batch_range("3") == (3, 3) and batch_range(" 0 - 15 ") == (0, 15)
    for bad in ("", "3-1", "a", "-2", "1-2-3"):
        with pytest.raises(PrismError):
            batch_range(bad)


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """Four channels, of which three batches use fewer."""
    return schedule_files(tmp_path_factory.mktemp("timeline_link"), batches=3, link=Link(10.0, 2000.0, 10.0, 4))


def test_transfers_come_from_a_result_and_a_json_not_from_a_pickle_alone(tmp_path: Path, linked) -> None:
    problem, result, pkl, doc = linked
    used = tuple(sorted({t.channel for t in result.schedule.transfers}))
    assert result.schedule.transfers and len(used) < 4
    live, from_json = timeline_of(problem, result), read_timeline(doc)
    assert live.transfers == from_json.transfers == result.schedule.transfers
    assert live.links == (0, 1, 2, 3) and from_json.links == used  # a JSON does not record the channel count
    alone = tmp_path / pkl.name
    alone.write_bytes(pkl.read_bytes())
    assert read_timeline(alone).transfers == () and read_timeline(alone).links == ()
    assert read_timeline(pkl) == from_json  # beside its JSON, the same ops: the JSON's transfers


def test_unlimited_channels_draw_the_channels_used_and_no_link_draws_none(tmp_path: Path, files) -> None:
    problem, result, _, _ = schedule_files(tmp_path, batches=3, link=Link(10.0, 2000.0, 10.0, 0))
    assert timeline_of(problem, result).links == tuple(sorted({t.channel for t in result.schedule.transfers})) != ()
    assert timeline_of(*files[:2]).links == () and timeline_of(*files[:2]).transfers == ()


def test_windows_select_the_transfers_of_their_batches_and_times(linked) -> None:
    problem, result, _, _ = linked
    t, moved = timeline_of(problem, result), result.schedule.transfers
    assert Window().transfers(t) == list(range(len(moved)))
    assert Window((1, 2)).transfers(t) == [k for k, x in enumerate(moved) if x.batch >= 1] != []
    shown = Window((0, 1), 40, 60).transfers(t)
    assert shown == [k for k, x in enumerate(moved) if x.batch <= 1 and x.start <= 60_000 and x.end >= 40_000] and shown
    assert Window(from_ms=0, to_ms=1).transfers(t) == []  # nothing crosses the link yet: no error, ops are shown
    with pytest.raises(PrismError, match="zoom range"):
        Window(from_ms=5, to_ms=5).transfers(t)
