"""The restricted unpickler, the reference input importer and the schedule
pickle: refused payloads, malformed content, and exchange with the reference."""

from __future__ import annotations

import collections
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from prism_cp import PrismError, Problem, solve, validate
from prism_cp.io import (
    import_reference,
    load_platform,
    problem_from_reference,
    read_schedule_pickle,
    reference_pickle_path,
    write_reference_pickle,
)
from prism_cp.io.safe_pickle import load_pickle

DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden"
REFERENCE_PKL = GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b4.reference.pkl"


class RunsShell:
    """Unpickling this would run a shell command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


# --- the restricted unpickler -------------------------------------------------------


def test_refuses_code_execution_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    payload = tmp_path / "evil.pkl"
    payload.write_bytes(pickle.dumps([RunsShell(marker)]))
    for reader in (load_pickle, read_schedule_pickle):
        with pytest.raises(PrismError, match="refusing to construct .*system"):
            reader(payload)
    with pytest.raises(PrismError, match="refusing"):
        import_reference(payload, DATA / "xception.operations.pkl", DATA / "xception.extime.pkl")
    assert not marker.exists()


@pytest.mark.parametrize("obj", [collections.OrderedDict(a=1), range(3), complex(1, 2), np.float64(1.5)], ids=repr)
def test_refuses_foreign_globals(obj):
    with pytest.raises(PrismError, match="refusing to construct"):
        load_pickle(pickle.dumps(obj))


@pytest.mark.parametrize("data", [b"", b"\x80\x04", b"not a pickle at all", b"\x80\x04\x95\xff\xff\xff\x00\x00\x00\x00"], ids=repr)
def test_garbage_is_a_prism_error(data):
    with pytest.raises(PrismError, match="not a readable pickle"):
        load_pickle(data)


def test_truncated_files_are_prism_errors(tmp_path):
    for src in (REFERENCE_PKL, DATA / "xception.cgraph.pkl", DATA / "xception.extime.pkl"):
        data = src.read_bytes()
        for cut in (1, len(data) // 2, len(data) - 1):
            f = tmp_path / "cut.pkl"
            f.write_bytes(data[:cut])
            with pytest.raises(PrismError):
                read_schedule_pickle(f) if src == REFERENCE_PKL else load_pickle(f)


def test_missing_file(tmp_path):
    with pytest.raises(PrismError, match="absent.pkl does not exist"):
        read_schedule_pickle(tmp_path / "absent.pkl")


# --- reference input pickles -----------------------------------------------------------


def _reference_objects():
    return [load_pickle(DATA / f"xception.{k}.pkl") for k in ("cgraph", "operations", "extime")]


def test_import_reference_from_objects_and_paths():
    from_paths = import_reference(DATA / "xception.cgraph.pkl", str(DATA / "xception.operations.pkl"), DATA / "xception.extime.pkl")
    from_objects = import_reference(*_reference_objects(), name="x")
    assert from_objects.name == "x" and from_objects.n_ops == from_paths.n_ops == 134
    assert np.array_equal(from_objects.edges, from_paths.edges) and from_objects.times == from_paths.times
    assert sum(t == "SeparableConv2D" for t in from_paths.op_types) == 34


def _with(index: int, value):
    objs = _reference_objects()
    objs[index] = value(objs[index])
    return objs


def _set_time(extime, i, core, t):
    extime[i] = dict(extime[i], **{core: t})
    return extime


@pytest.mark.parametrize(
    "objs, match",
    [
        (_with(0, lambda g: g.tolist()), "cgraph"),
        (_with(0, lambda g: g[:, :2]), "cgraph"),
        (_with(0, lambda g: g.astype(float)), "cgraph"),
        (_with(0, lambda g: np.vstack([g, [[3, 1, 0]]])), "cycle"),
        (_with(0, lambda g: np.vstack([g, [[3, 200, 0]]])), "missing op"),
        (_with(1, lambda ops: tuple(ops) + (3,)), "operations"),
        (_with(1, lambda ops: "Conv2D"), "operations"),
        (_with(1, lambda ops: ops[:-1]), "extime"),
        (_with(2, lambda e: list(e.values())), "extime"),
        (_with(2, lambda e: {k: v for k, v in e.items() if k != 7}), "keys 0..133"),
        (_with(2, lambda e: _set_time(e, 7, "cpu", "fast")), "number"),
        (_with(2, lambda e: _set_time(e, 7, "cpu", float("nan"))), "finite"),
        (_with(2, lambda e: _set_time(e, 7, "npu", -3.0)), "finite"),
        (_with(2, lambda e: _set_time(e, 7, "npu", float("inf"))), "finite"),
        (_with(2, lambda e: {**e, 7: {"cpu": 1.0}}), "keys"),
    ],
)
def test_import_reference_rejects_bad_objects(objs, match):
    with pytest.raises(PrismError, match=match):
        import_reference(*objs)


# --- schedule pickles ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def npufirst_b4(xception):
    problem = Problem(xception, load_platform("grai"), 4)
    return problem, solve(problem, "npufirst")


def test_reference_pickle_path(tmp_path):
    assert reference_pickle_path(tmp_path, "prism", "grai", 4, 2, "xception") == tmp_path / "performance/prism/grai/NPU_4.CPU_2/schedules/xception.pkl"


def test_export_equals_the_reference_file_attribute_for_attribute(tmp_path, npufirst_b4):
    problem, result = npufirst_b4
    path = write_reference_pickle(reference_pickle_path(tmp_path, "npufirst", "grai", 4, 2, "xception"), problem, result.schedule, result.mapping)
    [ours], [theirs] = load_pickle(path), load_pickle(REFERENCE_PKL)
    assert type(ours) is type(theirs)
    assert list(vars(ours)) == list(vars(theirs))  # same attributes, same order
    for key, want in vars(theirs).items():
        got = vars(ours)[key]
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and np.array_equal(got, want), key
        else:
            assert got == want, key
            if isinstance(want, list):
                assert [type(x) for x in got] == [type(x) for x in want], key
    assert ours.get_completion_time() == result.makespan


def test_exported_pickle_loads_in_plain_python_without_prism_cp(tmp_path, npufirst_b4):
    """What a reference user does: pickle.load with only their own scheduler_class module."""
    problem, result = npufirst_b4
    path = write_reference_pickle(tmp_path / "s.pkl", problem, result.schedule, result.mapping, seed=7)
    user = tmp_path / "user"
    user.mkdir()
    (user / "scheduler_class.py").write_text(
        textwrap.dedent(
            """
            class schedule:
                def get_completion_time(self):
                    return max(self.end_times) if self.end_times else 0
            """
        )
    )
    script = textwrap.dedent(
        f"""
        import json, pickle, sys
        sys.modules["prism_cp"] = None  # nothing from prism_cp may be importable
        sys.path.insert(0, {str(user)!r})
        with open({str(path)!r}, "rb") as f:
            [s] = pickle.load(f)
        print(json.dumps({{"cls": type(s).__module__ + "." + type(s).__name__, "idx": s.idx,
                          "makespan": s.get_completion_time(), "start": s.start_times,
                          "cores": s.computing_cores, "ids": s.computing_ids,
                          "map": [s.map[g] for g in range(len(s.map))], "rows": s.graph.shape[0],
                          "loaded": sorted(m for m in sys.modules if m.startswith("prism_cp") and sys.modules[m])}}))
        """
    )
    out = subprocess.run([sys.executable, "-I", "-c", script], cwd=user, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    s = result.schedule
    assert got["cls"] == "scheduler_class.schedule" and got["idx"] == 7 and got["loaded"] == []
    assert got["makespan"] == result.makespan
    assert got["start"] == list(s.start) and got["cores"] == list(s.core_type) and got["ids"] == list(s.core_id)
    assert got["map"] == list(result.mapping) and got["rows"] == 4 * len(problem.workload.edges)


def test_write_leaves_no_scheduler_class_module_behind(tmp_path, npufirst_b4):
    problem, result = npufirst_b4
    write_reference_pickle(tmp_path / "s.pkl", problem, result.schedule, result.mapping)
    assert "scheduler_class" not in sys.modules


def test_write_rejects_a_schedule_of_another_problem(tmp_path, npufirst_b4, xception):
    _, result = npufirst_b4
    with pytest.raises(PrismError, match="ops"):
        write_reference_pickle(tmp_path / "s.pkl", Problem(xception, load_platform("grai"), 2), result.schedule, result.mapping)
    assert not (tmp_path / "s.pkl").exists()


def test_read_reference_pickle_and_validate_it_standalone(npufirst_b4):
    problem, result = npufirst_b4
    ref = read_schedule_pickle(REFERENCE_PKL)
    assert ref.idx == 42 and ref.schedule == result.schedule
    assert ref.map == tuple(result.mapping) and ref.operation == tuple(problem.replicate(list(problem.workload.op_types)))
    standalone, schedule = problem_from_reference(ref, load_platform("grai"))
    assert standalone.nbatch == 1 and standalone.size == problem.size
    assert validate(standalone, schedule) == []
    assert validate(standalone, schedule, makespan=result.makespan) == []


def test_standalone_validation_catches_a_tampered_schedule():
    ref = read_schedule_pickle(REFERENCE_PKL)
    problem, schedule = problem_from_reference(ref, load_platform("grai"))
    start = list(schedule.start)
    start[1] = 0  # op 1 now starts together with its predecessor op 0
    bad = type(schedule)(tuple(start), schedule.end, schedule.core_type, schedule.core_id)
    assert any("predecessor" in v for v in validate(problem, bad))
    with pytest.raises(PrismError, match="cannot run"):
        problem_from_reference(ref, load_platform("grai", cpus=0))


def _tampered(tmp_path: Path, edit) -> Path:
    [s] = load_pickle(REFERENCE_PKL)
    edit(vars(s))
    from prism_cp.io.schedule_pickle import _reference_module_importable

    with _reference_module_importable():
        data = pickle.dumps([s])
    f = tmp_path / "t.pkl"
    f.write_bytes(data)
    return f


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda d: d.pop("graph"), "lacks graph"),
        (lambda d: d.update(start_times=d["start_times"][:-1]), "malformed"),
        (lambda d: d.update(end_times=["x"] * len(d["end_times"])), "end_times"),
        (lambda d: d.update(computing_ids=[True] * len(d["computing_ids"])), "computing_ids"),
        (lambda d: d.update(map=dict(enumerate(d["map"].values(), start=1))), "map"),
        (lambda d: d.update(idx="42"), "idx"),
        (lambda d: d.update(graph=d["graph"].astype(float)), "graph must be an integer"),
        (lambda d: d.update(graph=d["graph"][:, :2]), "graph must be an integer"),
    ],
)
def test_malformed_schedule_records(tmp_path, edit, match):
    with pytest.raises(PrismError, match=match):
        read_schedule_pickle(_tampered(tmp_path, edit))


@pytest.mark.parametrize("obj", [[], [1], {"a": 1}, np.zeros(3)], ids=repr)
def test_pickles_that_are_not_schedules(tmp_path, obj):
    f = tmp_path / "x.pkl"
    f.write_bytes(pickle.dumps(obj))
    with pytest.raises(PrismError, match=r"must hold \[scheduler_class.schedule\]"):
        read_schedule_pickle(f)


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_devices_and_pipes_are_refused_not_read_forever(tmp_path, special):
    """Reading /dev/zero or a named pipe would never end: refuse anything but a regular file."""
    import os

    from prism_cp.io import read_schedule_pickle
    from prism_cp.io.stg import load_stg

    path = tmp_path / "pipe" if special == "fifo" else Path(special)
    if special == "fifo":
        os.mkfifo(path)
    for reader in (read_schedule_pickle, load_stg):
        with pytest.raises(PrismError, match="not a regular file"):
            reader(path)
