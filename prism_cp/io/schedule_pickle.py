"""The reference's schedule pickle (docs/semantics.md): where it goes, how
to write one the reference's users can load, and how to read and check one."""

from __future__ import annotations

import pickle
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.io.files import atomic_write
from prism_cp.io.reference import reference_edges
from prism_cp.io.safe_pickle import REFERENCE_MODULE, ReferenceScheduleRecord, load_pickle
from prism_cp.platform import Platform
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule
from prism_cp.simulate import check_mapping
from prism_cp.workload import Workload

#: the reference record's attributes, in the reference's order
REFERENCE_FIELDS = ("idx", "start_times", "end_times", "computing_cores", "computing_ids", "graph", "map", "operation", "extime")


@dataclass(frozen=True, eq=False)
class ReferenceSchedule:
    """A schedule pickle's content: the seed (`idx`), the schedule, the replicated
    edge array, mapping, op types and mapped execution times (one per global op)."""

    idx: int
    schedule: Schedule
    graph: np.ndarray
    map: tuple[str, ...]
    operation: tuple[str, ...]
    extime: tuple[float, ...]


def reference_pickle_path(results_dir: str | Path, algorithm: str, platform: str, npus: int, cpus: int, model: str) -> Path:
    """Where the reference stores a schedule: `<results_dir>/performance/<algorithm>/<platform>/NPU_<n>.CPU_<m>/schedules/<model>.pkl`."""
    return Path(results_dir) / "performance" / algorithm / platform / f"NPU_{npus}.CPU_{cpus}" / "schedules" / f"{model}.pkl"


def write_reference_pickle(path: str | Path, problem: Problem, schedule: Schedule, mapping: Sequence[str], seed: int = 42) -> Path:
    """Write `[s]` with `s` a `scheduler_class.schedule` exactly as the reference does.

    `mapping` is per op of a batch or per global op. The file loads with plain
    `pickle.load` wherever a module `scheduler_class` defines `class schedule`
    (the reference code); the write is atomic.
    """
    if len(schedule.start) != problem.size:
        raise PrismError(f"schedule has {len(schedule.start)} ops; the problem has {problem.size}")
    global_map = check_mapping(problem, mapping)
    n, edges = problem.n_ops, problem.workload.edges.astype(np.int64)
    shift = np.array([1, 1, 0], dtype=np.int64)
    record = ReferenceScheduleRecord()
    record.__dict__.update(
        idx=seed,
        start_times=[int(t) for t in schedule.start],
        end_times=[float(t) for t in schedule.end],
        computing_cores=list(schedule.core_type),
        computing_ids=[int(k) for k in schedule.core_id],
        graph=np.concatenate([edges + b * n * shift for b in range(problem.nbatch)]),
        map=dict(enumerate(global_map)),
        operation=problem.replicate(list(problem.workload.op_types)),
        extime=[problem.global_times[c][g] for g, c in enumerate(schedule.core_type)],
    )
    with _reference_module_importable():
        data = pickle.dumps([record], protocol=4)
    return atomic_write(path, data)


@contextmanager
def _reference_module_importable() -> Iterator[None]:
    """pickle stores a class by module and name and checks that the module
    imports to that very class: expose `scheduler_class` for one dump (and put
    back whatever module of that name was there; not thread-safe)."""
    module = types.ModuleType(REFERENCE_MODULE)
    module.schedule = ReferenceScheduleRecord  # type: ignore[attr-defined]
    previous = sys.modules.get(REFERENCE_MODULE)
    sys.modules[REFERENCE_MODULE] = module
    try:
        yield
    finally:
        if previous is None:
            del sys.modules[REFERENCE_MODULE]
        else:
            sys.modules[REFERENCE_MODULE] = previous


def read_schedule_pickle(path: str | Path) -> ReferenceSchedule:
    """Read a schedule pickle (ours or the reference's) without running code from it.

    Raises PrismError unless it is a one-element list holding a
    `scheduler_class.schedule` record with all the reference's attributes,
    of consistent lengths and types.
    """
    where = f"schedule pickle {path}"
    obj = load_pickle(Path(path), "schedule pickle")
    if not (isinstance(obj, list) and len(obj) == 1 and isinstance(obj[0], ReferenceScheduleRecord)):
        raise PrismError(f"{where} must hold [scheduler_class.schedule], got {type(obj).__name__}")
    attrs: dict[str, Any] = vars(obj[0])
    missing = [f for f in REFERENCE_FIELDS if f not in attrs]
    if missing:
        raise PrismError(f"{where}: the schedule record lacks {', '.join(missing)}")
    size = len(attrs["start_times"]) if isinstance(attrs["start_times"], list) else -1
    checks = {
        "idx": isinstance(attrs["idx"], int),
        "start_times": _list_of(attrs["start_times"], int, size),
        "end_times": _list_of(attrs["end_times"], (int, float), size),
        "computing_cores": _list_of(attrs["computing_cores"], str, size),
        "computing_ids": _list_of(attrs["computing_ids"], int, size),
        "map": isinstance(attrs["map"], dict) and set(attrs["map"]) == set(range(size)) and all(isinstance(v, str) for v in attrs["map"].values()),
        "operation": _list_of(attrs["operation"], str, size),
        "extime": _list_of(attrs["extime"], (int, float), size),
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise PrismError(f"{where}: malformed attributes {', '.join(bad)} (need lists of one entry per op, {max(size, 0)} ops)")
    graph = reference_edges(attrs["graph"], f"{where}: graph")
    schedule = Schedule(
        tuple(attrs["start_times"]),
        tuple(float(t) for t in attrs["end_times"]),
        tuple(attrs["computing_cores"]),
        tuple(attrs["computing_ids"]),
    )
    extime = tuple(float(t) for t in attrs["extime"])
    return ReferenceSchedule(attrs["idx"], schedule, graph, tuple(attrs["map"][g] for g in range(size)), tuple(attrs["operation"]), extime)


def _list_of(value: Any, kind: type | tuple[type, ...], size: int) -> bool:
    return isinstance(value, list) and len(value) == size and all(isinstance(v, kind) and not isinstance(v, bool) for v in value)


def problem_from_reference(ref: ReferenceSchedule, platform: Platform) -> tuple[Problem, Schedule]:
    """A one-batch problem over every op of the pickle, and its schedule, so that
    `validate` can check a pickle on its own.

    Each op's time on both core types is its recorded (mapped) time: the pickle
    holds no other, and the schedule uses only that one.
    """
    names = tuple(f"{t}_{g}" for g, t in enumerate(ref.operation))
    workload = Workload("reference", names, ref.operation, ref.graph, {"cpu": ref.extime, "npu": ref.extime})
    return Problem(workload, platform, 1), ref.schedule
