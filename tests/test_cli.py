"""The `prism-cp` command line: reference console lines, exported pickles, JSON
summaries that agree with the library, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

import prism_cp
from prism_cp import Problem, algorithms, solve
from prism_cp.io import load_platform, load_workload, read_schedule_pickle, reference_pickle_path, write_reference_pickle
from prism_cp.cli import app

DATA = Path(__file__).parent / "data"
REFERENCE_PICKLE = Path(__file__).parent / "golden" / "xception_grai_NPU4_CPU2_npufirst_b4.reference.pkl"
FAST = ["--time-limit", "5", "--workers", "1"]  # cpsat options; ignored by the heuristics

SUMMARY_KEYS = ("model", "platform", "npus", "cpus", "batches", "algorithm", "makespan_us", "wall_s", "output", "lower_bound_us", "gap", "status", "interrupted", "energy_uj")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def json_line(result) -> dict:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def grai_problem(batches: int) -> Problem:
    return Problem(load_workload("xception"), load_platform("grai", npus=4, cpus=2), batches)


def assert_user_error(result) -> None:
    """Exit status 2, exactly one line `error: ...` on stderr, nothing on stdout."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("algorithm", algorithms())
def test_schedule_json_matches_library_and_writes_pickle(tmp_path: Path, algorithm: str) -> None:
    summary = json_line(run("schedule", "--algorithm", algorithm, "--batches", "2", "--results-dir", str(tmp_path), "--json", *FAST))
    expected_path = reference_pickle_path(tmp_path, algorithm, "grai", 4, 2, "xception")
    assert set(summary) == set(SUMMARY_KEYS)
    assert summary["output"] == str(expected_path) and expected_path.is_file()
    assert {k: summary[k] for k in ("model", "platform", "npus", "cpus", "batches", "algorithm")} == {
        "model": "xception", "platform": "grai", "npus": 4, "cpus": 2, "batches": 2, "algorithm": algorithm,
    }
    assert read_schedule_pickle(expected_path).schedule.makespan == summary["makespan_us"]
    assert summary["lower_bound_us"] <= summary["makespan_us"]
    assert summary["gap"] == (summary["makespan_us"] - summary["lower_bound_us"]) / summary["makespan_us"]
    assert summary["status"] in ("OPTIMAL", "FEASIBLE") and summary["wall_s"] >= 0 and summary["interrupted"] is False
    if algorithm != "cpsat":  # the heuristics are deterministic
        assert summary["makespan_us"] == solve(grai_problem(2), algorithm).makespan


def test_schedule_without_options_is_the_reference_main_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    summary = json_line(run("schedule", "--json"))
    assert {k: summary[k] for k in ("model", "algorithm", "platform", "npus", "cpus", "batches")} == {
        "model": "xception", "algorithm": "prism", "platform": "grai", "npus": 4, "cpus": 2, "batches": 16,
    }
    assert summary["makespan_us"] == solve(grai_problem(16), "prism").makespan
    assert (tmp_path / summary["output"]).is_file() and summary["output"].startswith("results/performance/prism/")


def test_schedule_prints_the_reference_lines(tmp_path: Path) -> None:
    result = run("schedule", "--algorithm", "npufirst", "--batches", "4", "--results-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    makespan = solve(grai_problem(4), "npufirst").makespan
    assert lines[0] == "[info] Scheduling  xception  ..."
    assert "[info] done" in lines
    assert f"xception : execution time for  4  batches =  [{makespan!r}] us" in lines
    assert any(line.startswith("Simulation time for graph compilation (wall clock time) =  ") for line in lines)
    assert any(line.startswith("Simulation time for schedule generation (wall clock time) =  ") for line in lines)
    assert any(line.startswith("xception : proven lower bound =  ") and "gap" in line for line in lines)
    assert lines[-1] == f"[info] schedule written to  {reference_pickle_path(tmp_path, 'npufirst', 'grai', 4, 2, 'xception')} (and xception.json)"


def test_progress_goes_to_stdout_to_stderr_under_json_and_nowhere_when_quiet(tmp_path: Path) -> None:
    base = ("schedule", "--algorithm", "prism", "--batches", "2", "--results-dir", str(tmp_path))
    plain, as_json, quiet = run(*base), run(*base, "--json"), run(*base, "--json", "--quiet")
    assert "[hco] Starting the Hill Climbing Optimization" in plain.stdout
    assert "[hco]" not in as_json.stdout and "[hco] Pass  0" in as_json.stderr
    assert json_line(quiet) and quiet.stderr == ""


def test_throughput_is_the_plain_mean_of_makespan_per_batch() -> None:
    sizes = (1, 2, 4)
    per_batch = [solve(grai_problem(n), "npufirst").makespan / n for n in sizes]
    data = json_line(run("throughput", "--algorithm", "npufirst", "--batch-sizes", "1,2,4", "--json"))
    assert data["batch_sizes"] == list(sizes) and data["per_batch_us"] == per_batch
    assert data["average_us"] == sum(per_batch) / len(per_batch)
    text = run("throughput", "--algorithm", "npufirst", "--batch-sizes", "1,2,4")
    assert f"xception : average model execution time per batch =  {data['average_us']!r} us" in text.stdout.splitlines()


def test_validate_accepts_the_reference_pickle_and_ours(tmp_path: Path) -> None:
    reference = run("validate", str(REFERENCE_PICKLE))
    assert reference.exit_code == 0, reference.output
    assert reference.stdout.splitlines()[-1] == "valid"
    ours = json_line(run("schedule", "--algorithm", "random", "--batches", "2", "--results-dir", str(tmp_path), "--json"))
    checked = run("validate", ours["output"])
    assert checked.exit_code == 0, checked.output
    assert f"makespan =  {ours['makespan_us']!r} us" in checked.stdout


def test_validate_reads_the_platform_from_the_reference_layout(tmp_path: Path) -> None:
    ours = json_line(run("schedule", "--algorithm", "npufirst", "--npus", "1", "--cpus", "3", "--batches", "2", "--results-dir", str(tmp_path), "--json"))
    inferred = run("validate", ours["output"])
    assert inferred.exit_code == 0 and "(1 NPUs, 3 CPUs" in inferred.stdout
    assert run("validate", ours["output"], "--cpus", "1").exit_code == 1  # the schedule uses 3 CPUs


def test_validate_reports_every_violation_of_a_tampered_pickle(tmp_path: Path) -> None:
    problem = grai_problem(2)
    result = solve(problem, "npufirst")
    late = max(range(problem.size), key=result.schedule.start.__getitem__)
    start = list(result.schedule.start)
    start[late] = 0  # before its predecessors end
    path = write_reference_pickle(tmp_path / "bad.pkl", problem, replace(result.schedule, start=tuple(start)), result.mapping)
    checked = run("validate", str(path))
    assert checked.exit_code == 1, checked.output
    assert any(line.startswith("violation:") for line in checked.stdout.splitlines())
    assert checked.stdout.splitlines()[-1].startswith("INVALID")


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_validate_refuses_bad_files_in_one_line(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(REFERENCE_PICKLE.read_bytes()[:1000])
    marker = tmp_path / "executed"
    foreign = tmp_path / "foreign.pkl"
    foreign.write_bytes(pickle.dumps(_Payload(marker)))
    garbage = tmp_path / "garbage.pkl"
    garbage.write_bytes(b"not a pickle at all")
    fifo = tmp_path / "fifo.pkl"
    os.mkfifo(fifo)
    for path in (truncated, foreign, garbage, tmp_path / "missing.pkl", tmp_path, fifo, Path("/dev/zero")):
        assert_user_error(run("validate", str(path)))
    assert not marker.exists()


@pytest.mark.parametrize(
    "args, mentions",
    [
        (("schedule", "--model", "nosuch"), "xception"),
        (("schedule", "--platform", "nosuch"), "grai"),
        (("schedule", "--algorithm", "nosuch"), ", ".join(algorithms())),
        (("schedule", "--batches", "0"), "--batches"),
        (("schedule", "--npus", "0", "--cpus", "0"), "no cores"),
        (("schedule", "--algorithm", "cpsat", "--time-limit", "0"), "--time-limit"),
        (("schedule", "--algorithm", "cpsat", "--time-limit", "-3"), "--time-limit"),
        (("schedule", "--algorithm", "cpsat", "--workers", "0"), "--workers"),
        (("schedule", "--mapping", "sometimes"), "per-batch"),
        (("schedule", "--algorithm", "staggered", "--stagger-us", "-1", "--quiet"), "stagger"),
        (("schedule", "--clock", "0"), "--clock"),
        (("schedule", "--clock", str(2**42)), "2**43"),
        (("schedule", "--stg", "missing.stg"), "missing.stg"),
        (("schedule", "--stg", "/dev/zero"), "not a regular file"),
        (("schedule", "--no-such-option"), "--no-such-option"),
        (("schedule", "--bounds", "load,nosuch"), "'nosuch'"),
        (("throughput", "--bounds", "critical path"), "--bounds"),
        (("compare", "--bounds", ""), "critical-path, total-work"),
        (("throughput", "--batch-sizes", "2,0"), "--batch-sizes"),
        (("throughput", "--batch-sizes", "two"), "--batch-sizes"),
        (("compare", "--batches", "-1"), "--batches"),
        (("no-such-command",), "no-such-command"),
        ((), "command"),
    ],
)
def test_bad_input_is_one_line_with_exit_status_2(args: tuple[str, ...], mentions: str) -> None:
    result = run(*args)
    assert_user_error(result)
    assert mentions in result.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--algorithm", "cpsat", "--time-limit", "5", "--workers", "1", "--mapping", "shared"), {"time_limit": 5.0, "workers": 1, "mapping": "shared", "bounds": None}),
        (("--algorithm", "cpsat", "--time-limit", "5", "--bounds", "load,energetic"), {"time_limit": 5.0, "mapping": "per-batch", "bounds": ("load", "energetic")}),
        (("--algorithm", "staggered", "--stagger-us", "3000", "--cpu-ratio", "1.5", "--time-limit", "5"), {"stagger_us": 3000.0, "cpu_ratio": 1.5, "bounds": None}),
        (("--algorithm", "prism", "--stagger-us", "3000", "--workers", "1"), {"bounds": None}),
        (("--algorithm", "npufirst", "--bounds", "critical-path"), {"bounds": ("critical-path",)}),
    ],
)
def test_each_engine_gets_its_own_options_and_the_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], expected: dict) -> None:
    seen: list[dict] = []

    def recording(problem, algorithm, **kwargs):
        seen.append({k: v for k, v in kwargs.items() if k not in ("seed", "progress")})
        return solve(problem, algorithm, **kwargs)

    monkeypatch.setattr("prism_cp.cli.run.solve", recording)
    assert run("schedule", "--batches", "1", "--results-dir", str(tmp_path), "--quiet", *args).exit_code == 0
    assert len(seen) == 1
    if "time_limit" in expected:  # the whole-run limit, less what start-up already spent
        limit = expected.pop("time_limit")
        assert limit / 4 <= seen[0].pop("time_limit") < limit
    assert seen == [expected]


def test_an_op_no_core_can_run_is_refused(tmp_path: Path) -> None:
    assert_user_error(run("schedule", "--platform", "mubrain", "--cpus", "0", "--results-dir", str(tmp_path)))


def test_homogeneous_instances(tmp_path: Path) -> None:
    cpu_only = json_line(run("schedule", "--algorithm", "npufirst", "--npus", "0", "--batches", "2", "--results-dir", str(tmp_path), "--json"))
    assert set(read_schedule_pickle(cpu_only["output"]).schedule.core_type) == {"cpu"}
    stg = json_line(run("schedule", "--stg", str(DATA / "rand0000.stg"), "--cpus", "2", "--algorithm", "cpsat", "--batches", "1",
                        "--results-dir", str(tmp_path), "--json", *FAST))
    assert (stg["platform"], stg["npus"], stg["cpus"]) == ("stg", 0, 2)
    assert stg["makespan_us"] >= 131 and stg["lower_bound_us"] <= 131  # published optimum on 2 CPUs
    clocked = json_line(run("schedule", "--algorithm", "npufirst", "--clock", "50", "--batches", "2", "--results-dir", str(tmp_path), "--json"))
    starts = read_schedule_pickle(clocked["output"]).schedule.start
    assert all(s % 50 == 0 for s in starts) and any(s % 100 for s in starts)


def test_compare_runs_every_algorithm_and_exports_each(tmp_path: Path) -> None:
    data = json_line(run("compare", "--batches", "2", "--results-dir", str(tmp_path), "--json", *FAST))
    rows = data["results"]
    assert [r["algorithm"] for r in rows] == list(algorithms())
    assert min(r["vs_best"] for r in rows) == 0.0
    for r in rows:
        assert Path(r["output"]).is_file() and r["makespan_us"] >= data["lower_bound_us"]
        assert r["gap"] == (r["makespan_us"] - data["lower_bound_us"]) / r["makespan_us"]
        assert (r["status"] == "OPTIMAL") == (r["makespan_us"] <= data["lower_bound_us"])
        assert r["makespan_us"] == solve(grai_problem(2), r["algorithm"]).makespan or r["algorithm"] == "cpsat"
    table = run("compare", "--batches", "2", "--results-dir", str(tmp_path), *FAST, "--quiet")
    assert table.exit_code == 0, table.output
    header = next(line for line in table.stdout.splitlines() if line.startswith("algorithm"))
    assert all(col in header for col in ("makespan (us)", "vs best (%)", "gap (%)", "status", "wall (s)"))


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("prism_cp.cli.run.solve", interrupted)
    result = run("schedule", "--batches", "1")
    assert result.exit_code == 130 and result.stderr == "interrupted\n"


def test_a_real_sigint_stops_the_command_with_one_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "prism_cp", "throughput", "--algorithm", "prism"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background shell may ignore SIGINT
    )
    assert proc.stdout.readline().startswith("[info] Computing average throughput")  # the handler is installed by now
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.splitlines()[-1] == "interrupted" and "Traceback" not in err


@pytest.mark.parametrize("command", sorted(get_command(app).commands))
def test_help_explains_every_option(command: str) -> None:
    cmd = get_command(app).commands[command]
    assert cmd.help and all(p.help for p in cmd.params), [p.name for p in cmd.params if not p.help]
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_python_dash_m_runs_the_same_app() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "prism_cp", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and "schedule" in done.stdout and "validate" in done.stdout


def test_every_export_has_a_json_twin_for_non_python_users(tmp_path: Path) -> None:
    summary = json_line(run("schedule", "--algorithm", "random", "--batches", "2", "--results-dir", str(tmp_path), "--json"))
    pickled = read_schedule_pickle(summary["output"]).schedule
    doc = json.loads(Path(summary["output"]).with_suffix(".json").read_text())
    assert doc["makespan_us"] == summary["makespan_us"] == pickled.makespan
    assert (doc["start_times"], doc["end_times"]) == (list(pickled.start), list(pickled.end))
    assert (doc["computing_cores"], doc["computing_ids"]) == (list(pickled.core_type), list(pickled.core_id))


def test_a_stream_run_keeps_apart_from_the_batch_run_and_a_rerun_says_it_replaces(tmp_path: Path) -> None:
    base = ("schedule", "--algorithm", "npufirst", "--batches", "2", "--results-dir", str(tmp_path))
    batch = json_line(run(*base, "--json"))
    assert batch["output"] == str(reference_pickle_path(tmp_path, "npufirst", "grai", 4, 2, "xception"))  # the reference's layout
    stream = run(*base, "--arrival-period-us", "50000")
    assert stream.exit_code == 0 and "replacing" not in stream.stdout
    stream_pickle = tmp_path / "stream" / "npufirst" / "grai" / "NPU_4.CPU_2" / "schedules" / "xception.pkl"
    assert f"[info] schedule written to  {stream_pickle} (and xception.json)" in stream.stdout.splitlines()
    assert read_schedule_pickle(batch["output"]).schedule.makespan == batch["makespan_us"]  # untouched by the stream
    again = run(*base)
    assert f"[info] replacing the schedule an earlier run wrote to  {batch['output']}" in again.stdout.splitlines()
    as_json = run(*base, "--json")
    assert json_line(as_json) and "replacing the schedule" in as_json.stderr
    assert run(*base, "--json", "--quiet").stderr == ""


def _stub_solve(monkeypatch: pytest.MonkeyPatch, *, interrupted: bool = False, lines: tuple[str, ...] = ()) -> None:
    """`solve` as the engine answers: progress lines first, then the result (Ctrl-C may have cut it short)."""

    def stub(problem, algorithm, **kwargs):
        for line in lines if kwargs["progress"] else ():
            kwargs["progress"](line)
        return replace(solve(problem, "npufirst"), algorithm=algorithm, interrupted=interrupted)

    monkeypatch.setattr("prism_cp.cli.run.solve", stub)


def test_an_interrupted_run_writes_everything_says_so_and_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_solve(monkeypatch, interrupted=True)
    base = ("schedule", "--algorithm", "cpsat", "--batches", "2", "--results-dir", str(tmp_path))
    text = run(*base, "--trace", str(tmp_path / "t.json"))
    assert text.exit_code == 130, text.output
    line = next(line for line in text.stdout.splitlines() if "proven lower bound" in line)
    assert line.endswith(", interrupted)")
    assert reference_pickle_path(tmp_path, "cpsat", "grai", 4, 2, "xception").is_file() and (tmp_path / "t.json").is_file()
    written = reference_pickle_path(tmp_path, "cpsat", "grai", 4, 2, "xception").with_suffix(".json")
    assert json.loads(written.read_text())["interrupted"] is True
    as_json = run(*base, "--json")
    assert as_json.exit_code == 130 and json.loads(as_json.stdout)["interrupted"] is True
    table = run("compare", "--batches", "2", "--results-dir", str(tmp_path), "--json")
    assert table.exit_code == 130 and [r["interrupted"] for r in json.loads(table.stdout)["results"]] == [True]  # stops at the first
    assert run("throughput", "--batch-sizes", "1,2").exit_code == 130


def test_budget_lines_show_with_verbose_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_solve(monkeypatch, lines=("[budget] 4.1 s of 5 s left for the search", "[cpsat] improved"))
    base = ("schedule", "--batches", "1", "--results-dir", str(tmp_path))
    plain, verbose, quiet = run(*base), run(*base, "--verbose"), run(*base, "--verbose", "--quiet")
    assert "[cpsat] improved" in plain.stdout and "[budget]" not in plain.stdout
    assert "[cpsat] improved" in verbose.stdout and "[budget] 4.1 s of 5 s left for the search" in verbose.stdout
    assert "[cpsat]" not in quiet.stdout and "[budget]" not in quiet.stdout


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"prism-cp {prism_cp.__version__}\n"


def test_validate_reads_the_schedule_json_with_its_platform(tmp_path: Path) -> None:
    ours = json_line(run("schedule", "--algorithm", "npufirst", "--npus", "1", "--cpus", "3", "--clock", "50", "--batches", "2",
                         "--results-dir", str(tmp_path), "--json"))
    doc = Path(ours["output"]).with_suffix(".json")
    moved = tmp_path / "elsewhere.json"  # no platform in the path: the JSON says it
    moved.write_bytes(doc.read_bytes())
    checked = run("validate", str(moved))
    assert checked.exit_code == 0, checked.output
    assert "(1 NPUs, 3 CPUs, clock 50 us)" in checked.stdout and f"makespan =  {ours['makespan_us']!r} us" in checked.stdout
    assert run("validate", str(moved), "--cpus", "1").exit_code == 1  # options override: the schedule uses 3 CPUs
    assert_user_error(run("validate", str(moved), "--model", "resnet50"))  # not the model it schedules
    assert_user_error(run("validate", str(REFERENCE_PICKLE), "--model", "xception"))


def _commands(group=None, path: tuple[str, ...] = ()):
    group = group or get_command(app)
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


@pytest.mark.parametrize("path, command", list(_commands()), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_help_mentions_only_options_the_command_has(path: tuple[str, ...], command) -> None:
    text = run(*path, "--help").stdout
    own = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", " ".join(text.split())))  # help text wraps inside an option's name
    assert mentioned <= own, f"{' '.join(path)} --help mentions {sorted(mentioned - own)}"
    assert "{" not in text, text.splitlines()[0]


def test_extime_picks_the_time_table_of_another_platform(tmp_path: Path) -> None:
    table = tmp_path / "resnet50_imx93.csv"
    assert run("extime", "estimate", "resnet50", "--platform", "imx93", "--out", str(table)).exit_code == 0
    args = ("schedule", "--model", "resnet50", "--platform", "imx93", "--npus", "1", "--cpus", "2", "-a", "heft", "--batches", "2",
            "--results-dir", str(tmp_path), "--json", "-q")
    own, other = (json.loads(run(*args, *extra).stdout) for extra in ((), ("--extime", str(table))))
    expected = solve(Problem(load_workload("resnet50", table), load_platform("imx93", npus=1, cpus=2), 2), "heft").makespan
    assert other["makespan_us"] == expected != own["makespan_us"]
    missing = run("schedule", "--extime", str(tmp_path / "missing.csv"))
    assert_user_error(missing)
    assert "missing.csv does not exist" in missing.stderr
