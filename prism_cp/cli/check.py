"""`validate`: check a schedule file, a pickle (ours or the reference's) or
our schedule JSON, against the instance it was made for, with
`prism_cp.simulate.validate`; print every violation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from prism_cp.errors import PrismError
from prism_cp.io import load_platform, load_workload, problem_from_reference, read_schedule_json, read_schedule_pickle
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule
from prism_cp.simulate import validate

_REFERENCE_LAYOUT = re.compile(r"NPU_(\d+)\.CPU_(\d+)")
INVALID = 1  # the exit status of a schedule that breaks a constraint


def _layout_of(path: Path) -> tuple[str | None, int | None, int | None]:
    """(platform, npus, cpus) from `.../<platform>/NPU_<n>.CPU_<m>/schedules/<model>.pkl`, else Nones."""
    parts = path.resolve().parts
    if len(parts) >= 4 and parts[-2] == "schedules" and (m := _REFERENCE_LAYOUT.fullmatch(parts[-3])):
        return parts[-4], int(m[1]), int(m[2])
    return None, None, None


def validate_schedule(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Schedule file: prism-cp's schedule JSON (.json), or a schedule pickle written by "
                                                               "prism-cp or by the reference PRISM code (loaded safely: no code runs).")],
    model: Annotated[str | None, typer.Option(help="JSON only: bundled model name or model file the schedule is of (default: the model the JSON names).")] = None,
    platform: Annotated[str | None, typer.Option(help="Platform name or file (default: the JSON's; for a pickle, from its path "
                                                      ".../<platform>/NPU_<n>.CPU_<m>/schedules/..., else grai).")] = None,
    npus: Annotated[int | None, typer.Option(min=0, help="Number of NPUs (default: the JSON's, or from the pickle's path, else 4).")] = None,
    cpus: Annotated[int | None, typer.Option(min=0, help="Number of CPUs (default: the JSON's, or from the pickle's path, else 2).")] = None,
    clock: Annotated[int | None, typer.Option(min=1, help="Clock period in whole microseconds (default: the JSON's, else the platform's).")] = None,
) -> None:
    """Check a schedule file against precedence, core capacity, core support and
    occupancy; print its makespan and every violation. Exit status 1 if invalid."""
    if file.suffix.lower() == ".json":
        problem, sched = _from_json(file, model, platform, npus, cpus, clock)
    elif model is not None:
        raise PrismError("--model applies to a schedule JSON only: a pickle carries its model's graph and times")
    else:
        layout = _layout_of(file)
        plat = load_platform(platform or layout[0] or "grai", npus=_first(npus, layout[1], 4), cpus=_first(cpus, layout[2], 2), clock_us=clock)
        problem, sched = problem_from_reference(read_schedule_pickle(file), plat)
    plat = problem.platform
    violations = validate(problem, sched)
    print(f"{file}: {problem.size} ops on {plat.name} ({plat.npus} NPUs, {plat.cpus} CPUs, clock {plat.clock_us} us)")
    print("makespan = ", sched.makespan, "us")
    for v in violations:
        print("violation:", v)
    if violations:
        print(f"INVALID: {len(violations)} violation(s)")
        raise typer.Exit(INVALID)
    print("valid")


def _from_json(file: Path, model: str | None, platform: str | None, npus: int | None, cpus: int | None, clock: int | None) -> tuple[Problem, Schedule]:
    """The instance a schedule JSON names (options override what it records), and its schedule."""
    doc = read_schedule_json(file)
    try:
        workload = load_workload(model or doc.model)
    except PrismError as e:
        raise PrismError(f"{e}; pass --model with the model file {file} schedules" if model is None else str(e)) from None
    if len(doc.schedule.start) != workload.n_ops * doc.batches or doc.op_names not in (None, workload.op_names):
        raise PrismError(f"{file} does not schedule {doc.batches} batches of model {workload.name} ({workload.n_ops} ops); "
                         "pass --model with the model file it was made for")
    plat = load_platform(platform or doc.platform, npus=_first(npus, doc.npus, 4), cpus=_first(cpus, doc.cpus, 2), clock_us=clock or doc.clock_us)
    return Problem(workload, plat, doc.batches), doc.schedule


def _first(*values: int | None) -> int:
    return next(v for v in values if v is not None)
