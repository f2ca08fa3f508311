"""The stream options of the CLI: `schedule --arrival-period-us/--deadline-us`
and `throughput --steady-state`, their JSON fields and their bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_cp import Problem, solve
from prism_cp.io import load_platform, load_workload
from prism_cp.steady.stream import stream_report
from test_cli import assert_user_error, json_line, run

STEADY_KEYS = {"bound_period_us", "period_us", "throughput_bound_per_s", "throughput_per_s", "latency_us", "bottleneck"}


def test_schedule_stream_json_agrees_with_the_library(tmp_path: Path) -> None:
    args = ("--algorithm", "staggered", "--batches", "6", "--arrival-period-us", "70000", "--deadline-us", "330000")
    data = json_line(run("schedule", *args, "--results-dir", str(tmp_path), "--json"))
    problem = Problem(load_workload("xception"), load_platform("grai"), 6, arrival_us=70000.0, deadline_us=330000.0)
    report = stream_report(problem, solve(problem, "staggered").schedule)
    assert data["max_latency_us"] == report.max_latency_us and data["mean_latency_us"] == report.mean_latency_us
    assert data["deadline_misses"] == report.deadline_misses and data["sustainable"] is True
    text = run("schedule", *args, "--results-dir", str(tmp_path), "--quiet").stdout
    assert f"deadline misses = {report.deadline_misses} of 6" in text and "sustainable" in text


def test_schedule_deadline_below_the_critical_path_is_reported_infeasible(tmp_path: Path) -> None:
    args = ("schedule", "--algorithm", "npufirst", "--batches", "2", "--arrival-period-us", "50000", "--deadline-us", "1000", "--results-dir", str(tmp_path))
    data = json_line(run(*args, "--json"))
    assert data["deadline_infeasible"] is True and data["deadline_misses"] == 2 and data["sustainable"] is False
    result = run(*args, "--quiet")
    assert result.exit_code == 0 and "INFEASIBLE" in result.stdout and "NOT sustainable" in result.stdout


def test_throughput_steady_state_json(tmp_path: Path) -> None:
    data = json_line(run("throughput", "--algorithm", "npufirst", "--batch-sizes", "2,4", "--steady-state", "--time-limit", "4", "--workers", "1", "--json"))
    assert STEADY_KEYS <= set(data) and data["bottleneck"] == "cpu"
    assert data["period_us"] >= data["bound_period_us"] and data["measured_period_us"] == data["period_us"]
    assert data["throughput_per_s"] == pytest.approx(1e6 / data["period_us"])
    assert data["average_us"] > data["bound_period_us"]  # the reference-style average, beside it


def test_throughput_steady_deadline_below_what_one_batch_needs_is_infeasible_not_an_error() -> None:
    result = run("throughput", "--algorithm", "npufirst", "--batch-sizes", "2", "--steady-state", "--deadline-us", "1000", "--quiet")
    assert result.exit_code == 0, result.output
    assert "INFEASIBLE" in result.stdout and "even alone" in result.stdout


@pytest.mark.parametrize(
    "args, mentions",
    [
        (("throughput", "--unroll", "2"), "--steady-state"),
        (("throughput", "--deadline-us", "100000"), "--steady-state"),
        (("throughput", "--steady-state", "--unroll", "0"), "--unroll"),
        (("throughput", "--steady-state", "--deadline-us", "-5"), "--deadline-us"),
        (("schedule", "--deadline-us", "100000"), "--arrival-period-us"),
        (("schedule", "--arrival-period-us", "0"), "--arrival-period-us"),
        (("schedule", "--arrival-period-us", "nan"), "--arrival-period-us"),
    ],
)
def test_contradictory_or_bad_stream_options(args: tuple[str, ...], mentions: str) -> None:
    result = run(*args)
    assert_user_error(result)
    assert mentions in result.stderr
