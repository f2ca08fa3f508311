"""Several networks sharing one SoC: a workload file names the apps, each a
model whose inferences arrive periodically and are due a deadline later.
A mix is scheduled as ONE batch of a union workload (every instance's ops,
named "{app}#{k}/{op}"), each instance released at its arrival
(`Problem.instances`), so every algorithm runs it unchanged."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from prism_cp.bounds.alone import alone_us
from prism_cp.errors import PrismError
from prism_cp.io import load_workload
from prism_cp.latency import group_latency, group_missed
from prism_cp.platform import Platform
from prism_cp.problem import Instance, Problem
from prism_cp.schedule import Schedule
from prism_cp.workload import CORE_TYPES, Workload

APP_KEYS = ("name", "model", "period_us", "deadline_us", "offset_us", "count")


@dataclass(frozen=True)
class App:
    """One network of a mix: `count` inferences of `workload`, the k-th
    arriving at offset_us + k * period_us, each due deadline_us later."""

    name: str
    workload: Workload
    period_us: float
    deadline_us: float
    count: int
    offset_us: float = 0.0


@dataclass(frozen=True)
class Mix:
    """The apps of a workload file, in file order (names unique)."""

    apps: tuple[App, ...]


def _number(where: str, key: str, value: object, *, zero_ok: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        raise PrismError(f"{where}: {key} must be a number of microseconds {'>= 0' if zero_ok else '> 0'}, got {value!r}")
    return value


def load_mix(path: str | Path) -> Mix:
    """The Mix of a TOML workload file (`[[app]]` tables); PrismError for
    anything malformed, naming the file and the app."""
    try:
        doc = tomllib.loads(Path(path).read_text())
    except OSError as e:
        raise PrismError(f"cannot read workload file {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise PrismError(f"workload file {path} is not valid TOML: {e}") from None
    if set(doc) - {"app"}:
        raise PrismError(f"workload file {path}: unknown keys {sorted(set(doc) - {'app'})} (only [[app]] tables)")
    tables = doc.get("app")
    if not isinstance(tables, list) or not tables:
        raise PrismError(f"workload file {path} names no app ([[app]] tables)")
    apps: list[App] = []
    for k, table in enumerate(tables):
        where = f"workload file {path}, app {table.get('name', k + 1)!r}" if isinstance(table, dict) else f"workload file {path}"
        if not isinstance(table, dict):
            raise PrismError(f"{where}: app must be a table")
        if unknown := sorted(set(table) - set(APP_KEYS)):
            raise PrismError(f"{where}: unknown keys {unknown} (known: {', '.join(APP_KEYS)})")
        for key in ("model", "period_us"):
            if key not in table:
                raise PrismError(f"{where}: no {key}")
        try:
            workload = load_workload(str(table["model"]))
        except PrismError as e:
            raise PrismError(f"{where}: {e}") from None
        period = _number(where, "period_us", table["period_us"])
        deadline = _number(where, "deadline_us", table.get("deadline_us", period))
        offset = _number(where, "offset_us", table.get("offset_us", 0), zero_ok=True)
        count = table.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise PrismError(f"{where}: count must be a whole number >= 1, got {count!r}")
        name = table.get("name", workload.name)
        if not isinstance(name, str) or not name:
            raise PrismError(f"{where}: name must be a non-empty string")
        if any(a.name == name for a in apps):
            raise PrismError(f"workload file {path}: two apps named {name!r} (give each a unique name)")
        apps.append(App(name, workload, period, deadline, count, offset))
    return Mix(tuple(apps))


def mix_problem(mix: Mix, platform: Platform) -> Problem:
    """One batch of the union of every instance's ops, each instance released
    at its arrival and due its deadline later; every model keeps its own time
    table and op types. A mix of one app at offset 0 is exactly its stream
    (`count` batches arriving every period), its batches under the app's
    name: every algorithm gives that stream's results."""
    if len(mix.apps) == 1 and mix.apps[0].offset_us == 0:
        app = mix.apps[0]
        stream = Problem(app.workload, platform, app.count, arrival_us=app.period_us, deadline_us=app.deadline_us)
        named = tuple(replace(g, app=app.name) for g in stream.groups)
        return replace(stream, instances=named)
    return union_problem(mix, platform)


def union_problem(mix: Mix, platform: Platform) -> Problem:
    """`mix_problem` always in its general form, one batch of the union
    workload, whatever the apps: the steady state lays every mix out this way."""
    names: list[str] = []
    types: list[str] = []
    edges: list[np.ndarray] = []
    times: dict[str, list[float]] = {c: [] for c in CORE_TYPES}
    instances: list[Instance] = []
    for app in mix.apps:
        w = app.workload
        for k in range(app.count):
            first = len(types)
            arrival = Fraction(app.offset_us) + k * Fraction(app.period_us)
            instances.append(Instance(app.name, w.name, k, arrival, arrival + Fraction(app.deadline_us), range(first, first + w.n_ops)))
            names += [f"{app.name}#{k}/{op}" for op in w.op_names]
            types += w.op_types
            edges.append(np.asarray(w.edges, dtype=np.int64) + np.array([first, first, 0], dtype=np.int64))
            for c in CORE_TYPES:
                times[c] += w.times[c]
    union = Workload(
        "+".join(app.name for app in mix.apps), tuple(names), tuple(types), np.concatenate(edges).reshape(-1, 3),
        {c: tuple(ts) for c, ts in times.items()}, estimated_times=any(a.workload.estimated_times for a in mix.apps),
    )
    return Problem(union, platform, instances=tuple(instances))


@dataclass(frozen=True)
class AppReport:
    """How one app fared in a schedule of its mix."""

    app: str
    instances: int
    misses: int
    max_latency_us: float
    mean_latency_us: float
    busy_share: dict[str, float]  # per core type: its share of that type's busy time
    latency_bound_us: float  # no inference of it can take less (`bounds.alone`)
    unavoidable: int  # its inferences whose deadline is below that bound: they miss whatever the schedule

    def as_json(self) -> dict[str, object]:
        return {"app": self.app, "instances": self.instances, "misses": self.misses, "max_latency_us": self.max_latency_us,
                "mean_latency_us": self.mean_latency_us, "busy_share": self.busy_share, "latency_bound_us": self.latency_bound_us,
                "unavoidable_misses": self.unavoidable}


def inference_workload(problem: Problem, group: Instance) -> Workload:
    """The ops of one group of `problem` as a workload of their own: its
    model's graph and times (a stream's batch: the workload itself)."""
    w = problem.workload
    if problem.arrival_us is not None or problem.instances is None:
        return w
    lo, hi = group.ops[0], group.ops[-1] + 1  # an inference's ops are consecutive in the union
    edges = np.asarray(w.edges, dtype=np.int64).reshape(-1, 3)
    inside = edges[(edges[:, 0] >= lo) & (edges[:, 0] < hi)] - np.array([lo, lo, 0], dtype=np.int64)
    return Workload(group.model, w.op_names[lo:hi], w.op_types[lo:hi], inside, {c: tuple(ts[lo:hi]) for c, ts in w.times.items()},
                    estimated_times=w.estimated_times)


def app_reports(problem: Problem, schedule: Schedule) -> list[AppReport]:
    """Per app of a mix (in first-instance order): instances, misses, max and
    mean latency, its share of each core type's busy time, the least latency
    any inference of it can have and how many must miss their deadline."""
    busy = {c: 0.0 for c in CORE_TYPES}
    own: dict[str, dict[str, float]] = {}
    groups: dict[str, list[Instance]] = {}
    for group in problem.groups:
        groups.setdefault(group.app, []).append(group)
        mine = own.setdefault(group.app, {c: 0.0 for c in CORE_TYPES})
        for g in group.ops:
            c = schedule.core_type[g]
            mine[c] += schedule.end[g] - schedule.start[g]
    for mine in own.values():
        for c in CORE_TYPES:
            busy[c] += mine[c]
    out = []
    for app, gs in groups.items():
        latency = [group_latency(g, schedule) for g in gs]
        share = {c: own[app][c] / busy[c] for c in CORE_TYPES if busy[c]}
        bound = alone_us(Problem(inference_workload(problem, gs[0]), problem.platform))
        unavoidable = sum(g.due_us is not None and g.due_us - g.arrival_us < bound for g in gs)
        out.append(AppReport(app, len(gs), sum(group_missed(g, schedule) for g in gs), max(latency), sum(latency) / len(latency), share, bound, unavoidable))
    return out
