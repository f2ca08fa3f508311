"""A schedule as JSON: the configuration, the result and every op's placement,
with the field names of the golden schedule files."""

from __future__ import annotations

import json
from pathlib import Path

from prism_cp.io.files import atomic_write
from prism_cp.problem import Problem
from prism_cp.schedule import Result
from prism_cp.simulate import check_mapping


def write_schedule_json(path: str | Path, problem: Problem, result: Result, seed: int | None = None) -> Path:
    """Write `result` for `problem` atomically.

    Per global op `b * n_ops + i`: start_times, end_times, computing_cores,
    computing_ids and map (the result's mapping, expanded to every batch).
    Floats are written by `json` (shortest repr), so they reload with `==`.
    `seed` is recorded when given (null otherwise).
    """
    plat, s = problem.platform, result.schedule
    doc = {
        "model": problem.workload.name,
        "platform": plat.name,
        "npus": plat.npus,
        "cpus": plat.cpus,
        "algorithm": result.algorithm,
        "batches": problem.nbatch,
        "seed": seed,
        "clock_us": plat.clock_us,
        "makespan_us": result.makespan,
        "lower_bound_us": result.lower_bound,
        "gap": result.gap,
        "status": result.status,
        "wall_s": result.wall_s,
        "start_times": list(s.start),
        "end_times": list(s.end),
        "computing_cores": list(s.core_type),
        "computing_ids": list(s.core_id),
        "map": check_mapping(problem, result.mapping),
    }
    return atomic_write(path, json.dumps(doc) + "\n")
