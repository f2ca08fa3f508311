"""`validate`: check a schedule file, a pickle (ours or the reference's) or
our schedule JSON, against the instance it was made for, with
`prism_cp.simulate.validate`; print every violation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from prism_cp.errors import PrismError
from prism_cp.io import load_platform, load_workload, problem_from_reference, read_schedule_json, read_schedule_pickle
from prism_cp.latency import misses
from prism_cp.mix import Mix, load_mix, mix_problem
from prism_cp.platform import Platform
from prism_cp.problem import Instance, Problem
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
    workload: Annotated[Path | None, typer.Option(help="JSON of a mix only: the workload file it schedules (its inferences are taken from the JSON's instances).")] = None,
) -> None:
    """Check a schedule file against precedence, core capacity, core support,
    occupancy and releases; print its makespan, a mix's or stream's deadline
    misses, and every violation. Exit status 1 if invalid."""
    if file.suffix.lower() != ".json" and (model is not None or workload is not None):
        raise PrismError(f"{'--model' if model is not None else '--workload'} applies to a schedule JSON only: a pickle carries its model's graph and times")
    if model is not None and workload is not None:
        raise PrismError("--model and --workload contradict each other: a schedule is of one model or of one mix")
    if workload is not None:
        problem, sched = _mix_from_json(file, workload, platform, npus, cpus, clock)
    elif file.suffix.lower() == ".json":
        problem, sched = _from_json(file, model, platform, npus, cpus, clock)
    else:
        layout = _layout_of(file)
        plat = _platform(platform, npus, cpus, clock, (layout[0] or "grai", layout[1], layout[2], None))
        problem, sched = problem_from_reference(read_schedule_pickle(file), plat)
    plat = problem.platform
    violations = validate(problem, sched)
    print(f"{file}: {problem.size} ops on {plat.name} ({plat.npus} NPUs, {plat.cpus} CPUs, clock {plat.clock_us} us)")
    print("makespan = ", sched.makespan, "us")
    if problem.has_deadline:
        print(f"deadline misses = {misses(problem, sched)} of {len(problem.groups)} inferences")
    for v in violations:
        print("violation:", v)
    if violations:
        print(f"INVALID: {len(violations)} violation(s)")
        raise typer.Exit(INVALID)
    print("valid")


def _from_json(file: Path, model: str | None, platform: str | None, npus: int | None, cpus: int | None, clock: int | None) -> tuple[Problem, Schedule]:
    """The instance a schedule JSON names (options override what it records), and its schedule."""
    doc = read_schedule_json(file)
    if model is None and any(g.app != doc.model for g in doc.instances or ()):
        raise PrismError(f"{file} schedules a mix of apps: pass --workload with the workload file it was made for")
    try:
        workload = load_workload(model or doc.model)
    except PrismError as e:
        raise PrismError(f"{e}; pass --model with the model file {file} schedules" if model is None else str(e)) from None
    if len(doc.schedule.start) != workload.n_ops * doc.batches or doc.op_names not in (None, workload.op_names):
        raise PrismError(f"{file} does not schedule {doc.batches} batches of model {workload.name} ({workload.n_ops} ops); "
                         "pass --model with the model file it was made for")
    plat = _platform(platform, npus, cpus, clock, (doc.platform, doc.npus, doc.cpus, doc.clock_us))
    return Problem(workload, plat, doc.batches), doc.schedule


def _mix_from_json(file: Path, workload: Path, platform: str | None, npus: int | None, cpus: int | None, clock: int | None) -> tuple[Problem, Schedule]:
    """The mix of `workload` with as many inferences of each app as the JSON's
    `instances` list, checked to be the ones the JSON schedules, and its schedule."""
    doc = read_schedule_json(file)
    if doc.instances is None:
        raise PrismError(f"{file} lists no instances: it is no schedule of a mix")
    mix = load_mix(workload)
    counts = Counter(g.app for g in doc.instances)
    if set(counts) != {a.name for a in mix.apps}:
        raise PrismError(f"{file} schedules apps {sorted(counts)}, workload {workload} names {sorted(a.name for a in mix.apps)}")
    plat = _platform(platform, npus, cpus, clock, (doc.platform, doc.npus, doc.cpus, doc.clock_us))
    problem = mix_problem(Mix(tuple(replace(a, count=counts[a.name]) for a in mix.apps)), plat)

    def timing(groups: Sequence[Instance]) -> list[tuple]:
        return [(g.app, g.index, float(g.arrival_us), None if g.due_us is None else float(g.due_us), tuple(g.ops)) for g in groups]

    if timing(problem.groups) != timing(doc.instances) or len(doc.schedule.start) != problem.size:
        raise PrismError(f"{file} does not schedule the inferences of workload {workload} (arrivals, due times or ops differ)")
    return problem, doc.schedule


def _platform(platform: str | None, npus: int | None, cpus: int | None, clock: int | None,
              recorded: tuple[str, int | None, int | None, int | None]) -> Platform:
    """The platform of the options; each one not given is the file's
    `recorded` (name, npus, cpus, clock), else 4 NPUs and 2 CPUs and the platform's clock."""
    name, recorded_npus, recorded_cpus, recorded_clock = recorded
    return load_platform(platform or name, npus=_first(npus, recorded_npus, 4), cpus=_first(cpus, recorded_cpus, 2), clock_us=clock or recorded_clock)


def _first(*values: int | None) -> int:
    return next(v for v in values if v is not None)
