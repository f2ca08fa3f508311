"""Small schedules written to disk in every format the views read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prism_cp import Problem, Result, solve
from prism_cp.io import load_platform, load_workload, write_reference_pickle, write_schedule_json
from prism_cp.platform import Link


def schedule_files(directory: Path, batches: int = 2, algorithm: str = "npufirst", link: Link | None = None) -> tuple[Problem, Result, Path, Path]:
    """xception on grai (4 NPUs, 2 CPUs; with `link`, if given): the problem, a
    result, and its pickle and JSON."""
    problem = Problem(load_workload("xception"), dataclasses.replace(load_platform("grai"), link=link), batches)
    result = solve(problem, algorithm)
    pkl = write_reference_pickle(directory / f"{algorithm}_b{batches}.pkl", problem, result.schedule, result.mapping)
    doc = write_schedule_json(directory / f"{algorithm}_b{batches}.json", problem, result)
    return problem, result, pkl, doc
