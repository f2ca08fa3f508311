"""Atomic writes and the JSON schedule export."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import golden_problem, load_golden
from prism_cp import solve
from prism_cp.io import atomic_write, write_schedule_json

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
