"""One run of a sweep, as a plain function of plain data, so that a local
process pool and a Dask cluster can both ship it to a worker unchanged."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io import load_platform, load_workload, write_schedule_json
from prism_cp.mix import load_mix
from prism_cp.problem import Problem
from prism_cp.solve import mix_verdict, solve, write_witness
from prism_cp.sweep.plan import Config, RunConfig, VerdictConfig, file_digest
from prism_cp.sweep.state import RunState
from prism_cp.sweep.store import RESULT_COLUMNS, VERDICT_RESULT_COLUMNS


def schedule_path(schedules_dir: str | Path, config: RunConfig) -> Path:
    """Where a run's schedule JSON goes: one file per configuration."""
    limit = "" if config.time_limit is None else f".t{config.time_limit:g}"
    name = f"{Path(config.model).stem}.b{config.batches}.s{config.seed}{limit}.json"
    return Path(schedules_dir) / config.algorithm / Path(config.platform).stem / f"NPU_{config.npus}.CPU_{config.cpus}" / name


def verdict_path(schedules_dir: str | Path, config: VerdictConfig) -> Path:
    """Where a verdict run's witness goes: one file per configuration and
    content of the workload file (an edited file keeps the old witnesses)."""
    name = f"{Path(config.workload).stem}.{config.digest[:12]}.s{config.seed}.t{config.time_limit:g}.json"
    return Path(schedules_dir) / "verdict" / Path(config.platform).stem / f"NPU_{config.npus}.CPU_{config.cpus}" / name


def run_config(config: Config, schedules_dir: str, workers: int | None = None) -> dict[str, Any]:
    """Run `config` of either kind: its database row (`run_model`, `run_verdict`)."""
    return (run_verdict if isinstance(config, VerdictConfig) else run_model)(config, schedules_dir, workers)


def run_model(config: RunConfig, schedules_dir: str, workers: int | None = None) -> dict[str, Any]:
    """Solve `config`, export its schedule, and return its database row.

    A PrismError (an instance that cannot exist, e.g. CPU-only ops and no CPU)
    is a finished run with state ERROR and the message; anything else
    propagates, so the sweep records the run as FAILED or retries it. A run
    with a schedule stores the solver's status and its energy (None where the
    platform states no power figures).
    """
    row = config_row(config)
    t0 = time.perf_counter()
    try:
        platform = load_platform(config.platform, npus=config.npus, cpus=config.cpus)
        problem = Problem(load_workload(config.model), platform, config.batches)
        options = {} if config.time_limit is None else {"time_limit": config.time_limit} | ({"workers": workers} if workers else {})
        result = solve(problem, config.algorithm, seed=config.seed, **options)
    except PrismError as e:
        return row | empty_result(RunState.ERROR, str(e), time.perf_counter() - t0)
    path = write_schedule_json(schedule_path(schedules_dir, config), problem, result, seed=config.seed)
    return row | {
        "makespan_us": result.makespan,
        "lower_bound_us": result.lower_bound,
        "gap": result.gap,
        "status": result.status.value,
        "wall_s": result.wall_s,
        "schedule_path": str(path),
        "error": None,
        "energy_uj": result.energy_uj,
    }


def run_verdict(config: VerdictConfig, schedules_dir: str, workers: int | None = None) -> dict[str, Any]:
    """Judge the mix of `config`, export the schedule it checked (the witness,
    or the best found), and return its database row: state DONE with the
    verdict, or ERROR with the message of a PrismError (a workload file edited
    since the sweep was planned, a mix that cannot run on these cores)."""
    row = config_row(config)
    t0 = time.perf_counter()
    try:
        if file_digest(config.workload) != config.digest:
            raise PrismError(f"workload file {config.workload} changed since the sweep was planned: run the sweep again")
        platform = load_platform(config.platform, npus=config.npus, cpus=config.cpus)
        options = {"time_limit": config.time_limit, "seed": config.seed} | ({"workers": workers} if workers else {})
        verdict = mix_verdict(load_mix(config.workload), platform, name=config.workload, **options)
    except PrismError as e:
        return row | empty_verdict(RunState.ERROR, str(e), time.perf_counter() - t0)
    path = write_witness(verdict, verdict_path(schedules_dir, config), seed=config.seed)
    summary = verdict.summary()
    return row | {c: summary[c] for c in VERDICT_RESULT_COLUMNS if c in summary} | {
        "status": RunState.DONE.value,
        "schedule_path": None if path is None else str(path),
        "error": None,
    }


def empty_result(state: RunState, error: str, wall_s: float | None = None) -> dict[str, Any]:
    """The result columns of a run that produced no schedule."""
    return _empty(RESULT_COLUMNS) | {"status": state.value, "wall_s": wall_s, "error": error}


def empty_verdict(state: RunState, error: str, wall_s: float | None = None) -> dict[str, Any]:
    """The result columns of a verdict run that reached no verdict."""
    return _empty(VERDICT_RESULT_COLUMNS) | {"status": state.value, "wall_s": wall_s, "error": error}


def _empty(columns: tuple[str, ...]) -> dict[str, Any]:
    """`columns` all null, but the version (`config_row` gives it)."""
    return dict.fromkeys(c for c in columns if c != "prism_cp_version")


def config_row(config: Config) -> dict[str, Any]:
    """The columns of a run's row that do not depend on its result."""
    from prism_cp import __version__

    return {"key": config.key, **vars(config), "prism_cp_version": __version__}


def failed_row(config: Config, reason: str) -> dict[str, Any]:
    """The database row of a run that raised or whose worker died."""
    empty = empty_verdict if isinstance(config, VerdictConfig) else empty_result
    return config_row(config) | empty(RunState.FAILED, reason)
