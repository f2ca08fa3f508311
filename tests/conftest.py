"""Shared fixtures: the bundled xception model and the golden schedules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prism_cp import Problem
from prism_cp.io import load_platform, load_workload

GOLDEN = Path(__file__).parent / "golden"


def golden_files() -> list[Path]:
    """Every golden schedule the reference produced (one per configuration)."""
    return sorted(GOLDEN.glob("*.json"))


@pytest.fixture(scope="session")
def xception():
    return load_workload("xception")


def golden_problem(xception, golden: dict) -> Problem:
    """The problem a golden file was produced for."""
    plat = load_platform(golden["platform"], npus=golden["npus"], cpus=golden["cpus"])
    assert plat.clock_us == golden["clock_us"]
    return Problem(xception, plat, golden["batches"])


def load_golden(path: Path) -> dict:
    return json.loads(path.read_text())
