"""Atomic writes, the JSON schedule export and its reader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import golden_problem, load_golden
from prism_cp import PrismError, solve
from prism_cp.io import atomic_write, read_schedule_json, write_schedule_json

GOLDEN = Path(__file__).parent / "golden"


def test_atomic_write_creates_replaces_and_keeps_mode(tmp_path):
    target = tmp_path / "deep" / "dir" / "f.txt"
    atomic_write(target, "héllo")
    assert target.read_bytes() == "héllo".encode()
    assert target.stat().st_mode & 0o777 == 0o644
    os.chmod(target, 0o600)
    atomic_write(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes" and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]  # no temporary left behind


def test_atomic_write_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@pytest.mark.parametrize("name", ["xception_grai_NPU4_CPU2_npufirst_b4", "xception_grai_NPU4_CPU2_random_b2"])
def test_schedule_json_has_the_golden_fields_and_values(tmp_path, xception, name):
    gold = load_golden(GOLDEN / f"{name}.json")
    problem = golden_problem(xception, gold)
    result = solve(problem, gold["algorithm"], seed=gold["seed"])
    doc = json.loads(write_schedule_json(tmp_path / "s.json", problem, result, seed=gold["seed"]).read_text())
    shared = set(gold) - {"reference_wall_s"}
    assert shared <= set(doc)
    for key in shared:
        assert doc[key] == gold[key], key
    assert doc["lower_bound_us"] == result.lower_bound and doc["status"] == result.status
    assert doc["lower_bound_us"] <= doc["makespan_us"]


def test_schedule_json_expands_a_per_op_mapping(tmp_path, xception):
    gold = load_golden(GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b4.json")
    problem = golden_problem(xception, gold)
    result = solve(problem, "npufirst")
    per_op = type(result)(result.algorithm, result.schedule, result.mapping[: problem.n_ops], result.lower_bound, result.status, result.wall_s)
    doc = json.loads(write_schedule_json(tmp_path / "s.json", problem, per_op).read_text())
    assert doc["map"] == gold["map"] and doc["seed"] is None


def test_schedule_json_reads_back_what_was_written(tmp_path, xception):
    gold = load_golden(GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b4.json")
    problem = golden_problem(xception, gold)
    result = solve(problem, "prism")
    doc = read_schedule_json(write_schedule_json(tmp_path / "s.json", problem, result))
    assert doc.schedule == result.schedule and (doc.model, doc.platform, doc.algorithm, doc.batches) == ("xception", "grai", "prism", 4)
    assert (doc.npus, doc.cpus, doc.lower_bound_us, doc.status) == (4, 2, result.lower_bound, result.status)
    assert (doc.op_names, doc.op_types) == (xception.op_names, xception.op_types)
    old = read_schedule_json(GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b4.json")  # no bound, no op names
    assert old.schedule.makespan == gold["makespan_us"] and (old.lower_bound_us, old.op_names, old.op_types) == (None, None, None)


@pytest.mark.parametrize(
    "change, mentions",
    [
        (lambda d: [d], "not an object"),
        (lambda d: {k: v for k, v in d.items() if k != "computing_ids"}, "no computing_ids"),
        (lambda d: d | {"end_times": d["end_times"][:-1]}, "malformed end_times"),
        (lambda d: d | {"start_times": [str(t) for t in d["start_times"]]}, "malformed start_times"),
        (lambda d: d | {"batches": True}, "malformed batches"),
        (lambda d: d | {"batches": 3}, "do not split into 3 batches"),
        (lambda d: d | {"computing_cores": ["gpu"] * len(d["computing_cores"])}, "computing_cores must be"),
        (lambda d: d | {"computing_ids": [-1] * len(d["computing_ids"])}, "computing_ids >= 0"),
        (lambda d: d | {"op_names": ["a"]}, "op_names must list 134 strings"),
    ],
)
def test_a_json_that_is_not_a_schedule_is_refused_in_one_line(tmp_path, change, mentions):
    doc = change(load_golden(GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b2.json"))
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(PrismError, match="is not a prism_cp schedule JSON") as info:
        read_schedule_json(tmp_path / "bad.json")
    assert mentions in str(info.value) and "\n" not in str(info.value)

