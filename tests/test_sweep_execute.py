"""Running sweeps: the local pool and a Dask cluster give the same rows as
`solve`; an interrupted sweep resumes without losing or repeating a run; a run
whose worker dies is retried, or recorded as FAILED, never lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import dask
import distributed
import pytest

from prism_cp import PrismError, Problem, solve
from prism_cp.io import load_platform, load_workload
from prism_cp.sweep import DaskCluster, LocalPool, Store, plan, plan_verdicts, run_all, run_config
from schedule_files import grai_with, light_mix, misses_in

CONFIGS = plan(["xception"], ["grai"], [1, 2], [1, 2], [2], ["npufirst"])  # 4 runs of a few ms


def solved(config) -> float:
    """The makespan `solve` gives for a config, in this process (the independent check)."""
    problem = Problem(load_workload(config.model), load_platform(config.platform, npus=config.npus, cpus=config.cpus), config.batches)
    return solve(problem, config.algorithm, seed=config.seed).makespan


def die_once(config, schedules_dir, workers):
    """The 1-NPU 1-CPU run kills its worker process the first time it runs."""
    marker = Path(schedules_dir) / "died"
    if (config.npus, config.cpus) == (1, 1) and not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_config(config, schedules_dir, workers)


def always_die(config, schedules_dir, workers):
    if (config.npus, config.cpus) == (1, 1):
        os.kill(os.getpid(), signal.SIGKILL)
    return run_config(config, schedules_dir, workers)


def raise_bug(config, schedules_dir, workers):
    if config.npus == 2:
        raise ZeroDivisionError("a bug")
    return run_config(config, schedules_dir, workers)


def test_local_pool_rows_match_solve_and_the_exported_schedules(tmp_path):
    with Store(tmp_path / "s.db") as store:
        assert run_all(CONFIGS, store, LocalPool(2), str(tmp_path / "sched")) == len(CONFIGS)
        rows = {r["key"]: r for r in store.rows()}
    assert set(rows) == {c.key for c in CONFIGS}
    for c in CONFIGS:
        r = rows[c.key]
        assert r["makespan_us"] == solved(c)
        assert r["status"] in ("OPTIMAL", "FEASIBLE") and r["lower_bound_us"] <= r["makespan_us"]
        assert Path(r["schedule_path"]).is_file() and r["prism_cp_version"]


def test_a_row_carries_the_energy_of_its_schedule_where_the_platform_states_power(tmp_path):
    unpowered = grai_with(tmp_path, power=False)
    config, bare = (plan(["xception"], [name], [2], [1], [2], ["npufirst"])[0] for name in ("grai", str(unpowered)))
    row = run_config(config, str(tmp_path / "sched"))
    problem = Problem(load_workload("xception"), load_platform("grai", npus=2, cpus=1), 2)
    written = json.loads(Path(row["schedule_path"]).read_text())
    assert row["energy_uj"] == solve(problem, "npufirst").energy_uj == written["energy_uj"] and row["energy_uj"] > 0
    assert run_config(bare, str(tmp_path / "sched"))["energy_uj"] is None  # without power figures


def test_an_impossible_instance_is_a_finished_error_row(tmp_path):
    (config,) = plan(["xception"], ["grai"], [4], [0], [1], ["npufirst"])  # xception has CPU-only ops
    with Store(tmp_path / "s.db") as store:
        run_all([config], store, LocalPool(1), str(tmp_path))
        (r,) = store.rows()
        assert r["status"] == "ERROR" and "cannot run on platform" in r["error"] and r["makespan_us"] is None
        assert store.finished() == {config.key}


def test_an_interrupted_sweep_resumes_without_losing_or_repeating_runs(tmp_path):
    seen: list[str] = []

    def interrupt_after_two(row):
        seen.append(row["key"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with Store(tmp_path / "s.db") as store:
        with pytest.raises(KeyboardInterrupt):
            run_all(CONFIGS, store, LocalPool(1), str(tmp_path), on_result=interrupt_after_two)
    with Store(tmp_path / "s.db") as store:
        assert [r["key"] for r in store.rows()] == seen  # both committed before the interruption
        assert run_all(CONFIGS, store, LocalPool(2), str(tmp_path), on_result=lambda r: seen.append(r["key"])) == len(CONFIGS) - 2
        assert sorted(r["key"] for r in store.rows()) == sorted(c.key for c in CONFIGS) == sorted(seen)
        assert run_all(CONFIGS, store, LocalPool(1), str(tmp_path)) == 0  # all finished: nothing runs


def test_a_worker_that_dies_once_is_retried(tmp_path):
    with Store(tmp_path / "s.db") as store:
        run_all(CONFIGS, store, LocalPool(2), str(tmp_path / "sched"), run=die_once)
        rows = store.rows()
    assert (tmp_path / "sched" / "died").exists()  # it did die
    assert len(rows) == len(CONFIGS) and {r["status"] for r in rows} <= {"OPTIMAL", "FEASIBLE"}
    assert {r["key"]: r["makespan_us"] for r in rows} == {c.key: solved(c) for c in CONFIGS}


def test_a_run_that_keeps_killing_its_worker_is_recorded_failed_and_retried_next_time(tmp_path):
    with Store(tmp_path / "s.db") as store:
        run_all(CONFIGS, store, LocalPool(2), str(tmp_path), retries=1, run=always_die)
        rows = {(r["npus"], r["cpus"]): r for r in store.rows()}
        assert len(rows) == len(CONFIGS)
        assert rows[1, 1]["status"] == "FAILED" and "died 2 times" in rows[1, 1]["error"]
        assert all(r["status"] in ("OPTIMAL", "FEASIBLE") for k, r in rows.items() if k != (1, 1))  # innocent neighbours re-ran
        assert len(store.finished()) == len(CONFIGS) - 1
        assert run_all(CONFIGS, store, LocalPool(1), str(tmp_path)) == 1  # the next sweep retries it
        assert len(store.finished()) == len(store.rows()) == len(CONFIGS)


def test_an_exception_in_a_run_is_recorded_failed(tmp_path):
    with Store(tmp_path / "s.db") as store:
        run_all(CONFIGS, store, LocalPool(1), str(tmp_path), run=raise_bug)
        failed = [r for r in store.rows() if r["status"] == "FAILED"]
    assert len(failed) == 2 and all(r["npus"] == 2 and r["error"] == "ZeroDivisionError: a bug" for r in failed)


@pytest.fixture(scope="module")
def dask_cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster:
        yield cluster


def test_dask_runs_the_same_code_path(tmp_path, dask_cluster):
    configs = CONFIGS + plan(["xception"], ["grai"], [4], [2], [1], ["cpsat"], time_limit=5)
    with Store(tmp_path / "s.db") as store:
        assert run_all(configs, store, DaskCluster(dask_cluster.scheduler_address), str(tmp_path), run=raise_bug) == len(configs)
        rows = {r["key"]: r for r in store.rows()}
    for c in configs:
        if c.npus == 2:
            assert rows[c.key]["status"] == "FAILED" and rows[c.key]["error"] == "ZeroDivisionError: a bug"
        else:
            assert rows[c.key]["makespan_us"] == solved(c) if c.algorithm != "cpsat" else rows[c.key]["status"] == "OPTIMAL"


def test_dask_runs_verdicts_as_the_local_pool_does(tmp_path, dask_cluster):
    configs = plan_verdicts([str(light_mix(tmp_path))], ["grai"], [1, 2], [1], time_limit=5)
    rows = []
    for name, executor in (("dask", DaskCluster(dask_cluster.scheduler_address)), ("local", LocalPool(2))):
        with Store(tmp_path / f"{name}.db") as store:
            assert run_all(configs, store, executor, str(tmp_path / name)) == len(configs)
            rows.append({r["key"]: (r["verdict"], r["reason"], r["misses"], misses_in(Path(r["schedule_path"]))) for r in store.verdict_rows()})
    assert rows[0] == rows[1] and set(rows[0]) == {c.key for c in configs}
    assert set(rows[0].values()) == {("schedulable", "a periodic schedule meets every deadline", 0, 0)}  # the witness on time, recounted from its file


def test_a_run_that_kills_its_dask_worker_is_recorded_failed(tmp_path):
    """Worker processes (a nanny restarts them); the scheduler gives up on a
    task at its first death here, and the sweep's own retry dies again."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            with Store(tmp_path / "s.db") as store:
                run_all(CONFIGS, store, DaskCluster(cluster.scheduler_address), str(tmp_path), retries=1, run=always_die)
                rows = {(r["npus"], r["cpus"]): r for r in store.rows()}
    assert rows[1, 1]["status"] == "FAILED" and rows[1, 1]["error"] == "its worker process died 2 times (KilledWorker)"
    assert {r["key"]: r["makespan_us"] for k, r in rows.items() if k != (1, 1)} == {c.key: solved(c) for c in CONFIGS if (c.npus, c.cpus) != (1, 1)}


def test_a_dead_dask_address_fails_within_seconds():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    with pytest.raises(PrismError, match=f"no Dask scheduler answers at tcp://127.0.0.1:{port} within 3 s"):
        DaskCluster(f"tcp://127.0.0.1:{port}")
    assert time.perf_counter() - t0 < 10


def test_dask_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    with pytest.raises(PrismError, match=r"--dask needs the optional extra 'dask': pip install 'prism_cp\[dask\]'"):
        DaskCluster("tcp://127.0.0.1:8786")


def test_jobs_must_be_positive():
    with pytest.raises(PrismError, match="--jobs must be >= 1"):
        LocalPool(0)
