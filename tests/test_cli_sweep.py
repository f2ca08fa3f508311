"""`prism-cp sweep`: runs every combination (of models, or of workload files:
verdicts) into the database, resumes, exports CSV and plots; bad options are
one-line errors; Ctrl-C loses no finished run."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prism_cp.cli import app
from prism_cp.sweep import Store
from schedule_files import grai_with, light_mix

runner = CliRunner()
SWEEP = ["sweep", "--models", "xception", "--npus", "1-2", "--cpus", "1,2", "--batches", "2", "--algorithms", "npufirst,staggered"]


def run(*args: str):
    return runner.invoke(app, list(args))


def assert_user_error(result, mentions: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and mentions in lines[0], result.stderr


def test_sweep_runs_every_combination_once_then_resumes_exports_and_plots(tmp_path: Path) -> None:
    db = tmp_path / "r" / "sweep.db"
    first = run(*SWEEP, "--jobs", "2", "--db", str(db))
    assert first.exit_code == 0, first.output
    assert "8 runs, 0 already in" in first.stderr and f"8 of the sweep's 8 runs stored in {db}, 8 new; 0 of them FAILED or ERROR" in first.stderr
    again = run(*SWEEP, "--db", str(db), "--export", str(tmp_path / "out.csv"), "--plot", str(tmp_path / "p.png"))
    assert again.exit_code == 0, again.output
    assert "8 runs, 8 already in" in again.stderr and f"8 of the sweep's 8 runs stored in {db}, 0 new" in again.stderr  # not "0 runs stored"
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert len(rows) == 8 and {(r["npus"], r["cpus"], r["algorithm"]) for r in rows} == {
        (n, c, a) for n in "12" for c in "12" for a in ("npufirst", "staggered")
    }
    assert all(Path(r["schedule_path"]).is_file() and r["schedule_path"].startswith(str(tmp_path / "r" / "schedules")) for r in rows)
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert run("sweep", "--db", str(db), "--export", str(tmp_path / "again.csv")).exit_code == 0  # export alone


def test_the_export_carries_each_runs_energy_and_the_plot_can_draw_it(tmp_path: Path) -> None:
    db, out, png = tmp_path / "s.db", tmp_path / "out.csv", tmp_path / "e.png"
    result = run(*SWEEP, "--platforms", "grai", "--db", str(db), "--export", str(out), "--plot", str(png), "--metric", "energy", "--quiet")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 8 and all(float(r["energy_uj"]) == json.loads(Path(r["schedule_path"]).read_text())["energy_uj"] for r in rows)
    assert png.read_bytes()[:4] == b"\x89PNG"
    bare = grai_with(tmp_path, power=False)
    assert run(*SWEEP, "--platforms", str(bare), "--db", str(tmp_path / "bare.db"), "--quiet").exit_code == 0
    assert_user_error(run("sweep", "--db", str(tmp_path / "bare.db"), "--plot", str(png), "--metric", "energy"), f"--metric energy needs the energy of every run, unknown on {bare}")


def test_failed_and_error_runs_are_listed(tmp_path: Path) -> None:
    result = run("sweep", "--models", "xception", "--npus", "4", "--cpus", "0-1", "--batches", "1", "--db", str(tmp_path / "s.db"), "--quiet")
    assert result.exit_code == 0, result.output
    assert "2 of the sweep's 2 runs stored in" in result.stderr and "2 new; 1 of them FAILED or ERROR" in result.stderr
    assert "ERROR: xception grai NPU_4.CPU_0 b1 npufirst: op" in result.stderr


@pytest.mark.parametrize(
    "args, mentions",
    [
        (["--npus", "5-1"], "--npus: the range 5-1 is empty"),
        (["--batches", "0"], "--batches: values must be >= 1"),
        (["--cpus", ""], "--cpus: expected whole numbers"),
        (["--models", "xception,"], "--models: expected comma-separated names"),
        (["--algorithms", "npufirst,fast"], "unknown name 'fast'"),
        (["--jobs", "2", "--dask", "tcp://127.0.0.1:8786"], "--jobs and --dask contradict"),
        (["--export", "same.x", "--plot", "same.x"], "--export and --plot both name"),
        (["--metric", "speed"], "--metric must be one of"),
        (["--time-limit", "0"], "time limit must be > 0"),
        (["--models", "nosuchmodel"], "no bundled model named 'nosuchmodel'"),
        (["--platforms", "grai,nosuch"], "nosuch"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], mentions: str) -> None:
    base = ["sweep", "--models", "xception", "--batches", "1", "--db", str(tmp_path / "s.db")]
    assert_user_error(run(*base, *args), mentions)


def test_a_workload_sweep_records_verdicts_resumes_and_names_and_plots_the_least_core_counts(tmp_path: Path) -> None:
    db, workload = tmp_path / "r" / "sweep.db", light_mix(tmp_path)
    args = ["sweep", "--workloads", str(workload), "--npus", "1-2", "--cpus", "0-1", "--time-limit", "5", "--db", str(db), "--quiet"]
    least = f"[sweep] {workload} on grai: smallest schedulable core counts 1N+1C, 2N+0C (N: NPUs, C: CPUs)"
    first = run(*args, "--jobs", "2", "--plot", str(tmp_path / "v.svg"), "--export", str(tmp_path / "o.csv"))
    assert first.exit_code == 0, first.output
    assert "4 runs, 0 already in" in first.stderr and f"4 of the sweep's 4 runs stored in {db}, 4 new; 0 of them FAILED or ERROR\n{least}\n" in first.stderr
    assert (tmp_path / "v.svg").read_text().count("<!-- least -->") == 2
    rows = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert {(r["npus"], r["cpus"]): r["verdict"] for r in rows} == {("1", "0"): "not schedulable", ("1", "1"): "schedulable", ("2", "0"): "schedulable", ("2", "1"): "schedulable"}
    assert all(r["workload"] == str(workload) and r["status"] == "DONE" and r["model"] == "" for r in rows)
    assert all(Path(r["schedule_path"]).is_file() == (r["verdict"] == "schedulable") for r in rows)
    again = run(*args)
    assert again.exit_code == 0 and "4 runs, 4 already in" in again.stderr and f"4 of the sweep's 4 runs stored in {db}, 0 new" in again.stderr and least in again.stderr
    models = run("sweep", "--models", "xception", "--npus", "1", "--cpus", "1", "--batches", "2", "--db", str(db), "--quiet")
    assert models.exit_code == 0, models.output  # both kinds in one database
    assert run("sweep", "--db", str(db), "--plot", str(tmp_path / "p.svg")).exit_code == 0  # both kinds: the throughput, as before
    assert "<!-- npufirst: Pareto front -->" in (tmp_path / "p.svg").read_text()
    assert run("sweep", "--db", str(db), "--plot", str(tmp_path / "g.svg"), "--metric", "verdict").exit_code == 0
    assert (tmp_path / "g.svg").read_text().count("<!-- least -->") == 2


@pytest.mark.parametrize(
    "args, mentions",
    [
        (["--models", "xception"], "--models and --workloads are two kinds of sweep"),
        (["--batches", "2"], "--batches and --algorithms do not apply to --workloads"),
        (["--algorithms", "npufirst"], "--batches and --algorithms do not apply to --workloads"),
        (["--metric", "throughput"], "--metric throughput draws model runs"),
        (["--npus", "3-1"], "--npus: the range 3-1 is empty"),
        (["--workloads", "none.toml"], "cannot read workload file none.toml"),
        (["--workloads", "mix.toml,"], "--workloads: expected comma-separated names"),
        (["--time-limit", "0"], "time limit must be > 0"),
    ],
)
def test_bad_workload_sweeps_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], mentions: str) -> None:
    monkeypatch.chdir(tmp_path)
    light_mix(tmp_path, "mix.toml")
    assert_user_error(run("sweep", "--workloads", "mix.toml", *args, "--db", "s.db"), mentions)
    assert not (tmp_path / "s.db").exists()


def test_a_malformed_workload_file_fails_before_the_sweep(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[[app]]\nmodel = "mobilenetv2"\n')
    assert_user_error(run("sweep", "--workloads", str(tmp_path / "bad.toml"), "--db", str(tmp_path / "s.db")), "no period_us")
    assert not (tmp_path / "s.db").exists()


def test_nothing_to_do_and_no_database(tmp_path: Path) -> None:
    assert_user_error(run("sweep", "--db", str(tmp_path / "s.db")), "nothing to do")
    assert_user_error(run("sweep", "--db", str(tmp_path / "s.db"), "--export", str(tmp_path / "o.csv")), "no sweep database at")
    assert not (tmp_path / "s.db").exists()


def test_a_corrupted_or_foreign_database_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\x00garbage" * 512)
    assert_user_error(run(*SWEEP, "--db", str(bad)), "is not a readable prism-cp sweep database")
    other = tmp_path / "other.db"
    Store(other).close()
    with sqlite3.connect(other) as con:
        con.execute("PRAGMA user_version = 7")
    assert_user_error(run("sweep", "--db", str(other), "--export", str(tmp_path / "o.csv")), "schema version 7")


def stored_runs(db: Path) -> int:
    """Rows in the sweep database another process is writing (0 until it exists)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_ctrl_c_keeps_the_finished_runs_and_the_next_sweep_does_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "sweep.db"
    args = ["sweep", "--models", "xception", "--npus", "1-4", "--batches", "8", "--algorithms", "prism", "--db", str(db), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "prism_cp", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not stored_runs(db) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    with Store(db) as store:
        kept = [r["key"] for r in store.rows()]
    assert 1 <= len(kept) <= 4
    if len(kept) < 4:  # the signal landed mid-sweep (it nearly always does)
        assert proc.returncode == 130 and err.splitlines()[-1] == "interrupted", err
        assert f"{len(kept)} new runs stored in {db}; run the same command again to resume" in err
    resumed = run(*args)
    assert resumed.exit_code == 0 and f"4 runs, {len(kept)} already in" in resumed.stderr
    with Store(db) as store:
        rows = store.rows()
    assert [r["key"] for r in rows][: len(kept)] == kept and len({r["key"] for r in rows}) == len(rows) == 4
