"""One run of a sweep, as a plain function of plain data, so that a local
process pool and a Dask cluster can both ship it to a worker unchanged."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io import load_platform, load_workload, write_schedule_json
from prism_cp.problem import Problem
from prism_cp.solve import solve
from prism_cp.sweep.plan import RunConfig
from prism_cp.sweep.state import RunState


def schedule_path(schedules_dir: str | Path, config: RunConfig) -> Path:
    """Where a run's schedule JSON goes: one file per configuration."""
    limit = "" if config.time_limit is None else f".t{config.time_limit:g}"
    name = f"{Path(config.model).stem}.b{config.batches}.s{config.seed}{limit}.json"
    return Path(schedules_dir) / config.algorithm / Path(config.platform).stem / f"NPU_{config.npus}.CPU_{config.cpus}" / name


def run_config(config: RunConfig, schedules_dir: str, workers: int | None = None) -> dict[str, Any]:
    """Solve `config`, export its schedule, and return its database row.

    A PrismError (an instance that cannot exist, e.g. CPU-only ops and no CPU)
    is a finished run with state ERROR and the message; anything else
    propagates, so the sweep records the run as FAILED or retries it. A run
    with a schedule stores the solver's status and its energy (None where the
    platform states no power figures).
    """
    from prism_cp import __version__

    row: dict[str, Any] = {"key": config.key, **vars(config), "prism_cp_version": __version__}
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


def empty_result(state: RunState, error: str, wall_s: float | None = None) -> dict[str, Any]:
    """The result columns of a run that produced no schedule."""
    return {"makespan_us": None, "lower_bound_us": None, "gap": None, "status": state.value, "wall_s": wall_s, "schedule_path": None, "error": error, "energy_uj": None}
