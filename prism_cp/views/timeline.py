"""A schedule as pictures see it: every op's core, times, batch, op index,
layer type and name, its app and inference where the source says (a mix),
and the transfers over the link, whatever file or result it came from; and
the choice of which ops and transfers a view shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.io import read_schedule_json, read_schedule_pickle
from prism_cp.problem import Instance, Problem, group_index
from prism_cp.schedule import Result, Schedule, Transfer
from prism_cp.workload import CORE_TYPES


@dataclass(frozen=True)
class Timeline:
    """A flat schedule of `nbatch` copies of `n_ops` ops (global op `b * n_ops + i`).

    `op_types` and `op_names` are per op of one batch, None when the source
    does not carry them; `lower_bound` is the proven bound when the source
    carries one; `cores` lists every (core type, id) row to draw, CPUs first;
    `links` every link channel row to draw (none without transfers);
    `groups` the inferences of a mix (the batches otherwise) with their app,
    None when the source does not carry them (a pickle, an older JSON).
    """

    title: str
    schedule: Schedule
    n_ops: int
    cores: tuple[tuple[str, int], ...]
    op_types: tuple[str, ...] | None = None
    op_names: tuple[str, ...] | None = None
    lower_bound: float | None = None
    links: tuple[int, ...] = ()
    groups: tuple[Instance, ...] | None = None

    @property
    def transfers(self) -> tuple[Transfer, ...]:
        return self.schedule.transfers

    @property
    def size(self) -> int:
        return len(self.schedule.start)

    @property
    def nbatch(self) -> int:
        return self.size // self.n_ops

    @property
    def makespan(self) -> float:
        return self.schedule.makespan

    def split(self, g: int) -> tuple[int, int]:
        """(batch, op) of global op `g`."""
        return divmod(g, self.n_ops)

    def op_type(self, g: int) -> str | None:
        return None if self.op_types is None else self.op_types[g % self.n_ops]

    def op_name(self, g: int) -> str:
        """The op's name, else `<type>_<i>`, else `op<i>`."""
        i = g % self.n_ops
        if self.op_names is not None:
            return self.op_names[i]
        return f"op{i}" if self.op_types is None else f"{self.op_types[i]}_{i}"

    @cached_property
    def group_of(self) -> tuple[int, ...] | None:
        """Per global op: the index of its group in `groups` (None without groups)."""
        return None if self.groups is None else group_index(self.groups, self.size)

    @cached_property
    def apps(self) -> tuple[str, ...]:
        """The apps of the groups, in first-group order (the workload file's); none without groups."""
        return tuple(dict.fromkeys(group.app for group in self.groups or ()))

    @property
    def mix(self) -> bool:
        """Does the schedule run several apps (a mix)? Then views tell the apps apart."""
        return len(self.apps) > 1

    def group(self, g: int) -> Instance | None:
        """The group (inference or batch) global op `g` belongs to, None without groups."""
        return None if self.groups is None or self.group_of is None else self.groups[self.group_of[g]]


def core_label(core_type: str, core_id: int) -> str:
    """'CPU0', 'NPU3': how rows and threads are named."""
    return f"{core_type.upper()}{core_id}"


def link_label(channel: int) -> str:
    """'link 0': how link channel rows and threads are named."""
    return f"link {channel}"


def _cores(schedule: Schedule, counts: dict[str, int | None]) -> tuple[tuple[str, int], ...]:
    """Every core of the platform when its size is known, plus any core the schedule uses."""
    used = set(zip(schedule.core_type, schedule.core_id))
    known = {(c, k) for c in CORE_TYPES for k in range(counts.get(c) or 0)}
    return tuple(sorted(used | known, key=lambda ck: (CORE_TYPES.index(ck[0]), ck[1])))


def _links(schedule: Schedule, channels: int | None) -> tuple[int, ...]:
    """Every channel of a link of `channels` (0: unlimited, None: unknown) plus
    any channel the schedule's transfers use; only those used when unlimited
    or unknown."""
    return tuple(sorted({t.channel for t in schedule.transfers} | set(range(channels or 0))))


def _title(model: str, algorithm: str, batches: int, platform: str, npus: int | None, cpus: int | None, groups: tuple[Instance, ...] | None = None) -> str:
    """'<model>, <algorithm>, 16 batches on grai (4 NPUs, 2 CPUs)'; a mix,
    whose groups are not its batches, counts its inferences instead."""
    cores = "" if npus is None or cpus is None else f" ({npus} NPUs, {cpus} CPUs)"
    what = f"{batches} batches" if groups is None or len(groups) == batches else f"{len(groups)} inferences"
    return f"{model}, {algorithm}, {what} on {platform}{cores}"


def timeline_of(problem: Problem, result: Result) -> Timeline:
    """The timeline of a result just computed for `problem`."""
    w, plat = problem.workload, problem.platform
    title = _title(w.name, result.algorithm, problem.nbatch, plat.name, plat.npus, plat.cpus, problem.groups)
    cores = _cores(result.schedule, {"cpu": plat.cpus, "npu": plat.npus})
    links = _links(result.schedule, None if plat.link is None else plat.link.channels)
    return Timeline(title, result.schedule, w.n_ops, cores, w.op_types, w.op_names, result.lower_bound, links, problem.groups)


def read_timeline(path: str | Path) -> Timeline:
    """The timeline of a schedule file: our JSON (`.json`) or a schedule pickle
    (ours or the reference's, any other name), read without running code from it.

    A pickle records no batch count, algorithm, platform, bound or transfers.
    The JSON the CLI writes beside it (same name, `.json`) does: when it holds
    the same ops, the timeline is that JSON's (transfers included). A JSON
    does not record the link's channel count: its rows are the channels used. Otherwise the batch count is the
    smallest one whose copies of the first ops repeat every op type and every
    edge, and the title takes the algorithm, platform and core counts from
    the results layout `<algorithm>/<platform>/NPU_<n>.CPU_<m>/schedules/`
    when the file sits in one. PrismError if a file read as a pickle or as
    JSON is not a schedule.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return _json_timeline(path)
    ref = read_schedule_pickle(path)
    if not ref.operation:
        raise PrismError(f"schedule pickle {path} holds no ops")
    beside = _timeline_beside(path)
    if beside is not None and _same_ops(beside.schedule, ref.schedule):
        return beside
    n_ops = batch_period(ref.operation, ref.graph)
    nbatch = len(ref.operation) // n_ops
    layout = _RESULTS_LAYOUT.search(path.resolve().as_posix())
    if layout is None:
        return Timeline(f"{path.name}, {nbatch} batches", ref.schedule, n_ops, _cores(ref.schedule, {}), ref.operation[:n_ops])
    algorithm, platform, npus, cpus = layout.group(1, 2, 3, 4)
    title = _title(path.stem, algorithm, nbatch, platform, int(npus), int(cpus))
    return Timeline(title, ref.schedule, n_ops, _cores(ref.schedule, {"cpu": int(cpus), "npu": int(npus)}), ref.operation[:n_ops])


#: where the CLI writes a schedule: <results>/performance/<algorithm>/<platform>/NPU_<n>.CPU_<m>/schedules/<model>.pkl
_RESULTS_LAYOUT = re.compile(r"/([^/]+)/([^/]+)/NPU_(\d+)\.CPU_(\d+)/schedules/[^/]+$")


def _json_timeline(path: Path) -> Timeline:
    doc = read_schedule_json(path)
    title = _title(doc.model, doc.algorithm, doc.batches, doc.platform, doc.npus, doc.cpus, doc.instances)
    cores = _cores(doc.schedule, {"cpu": doc.cpus, "npu": doc.npus})
    n_ops = len(doc.schedule.start) // doc.batches
    return Timeline(title, doc.schedule, n_ops, cores, doc.op_types, doc.op_names, doc.lower_bound_us, _links(doc.schedule, None), doc.instances)


def _same_ops(a: Schedule, b: Schedule) -> bool:
    """The same ops at the same times on the same cores (a pickle holds no transfers)."""
    return (a.start, a.end, a.core_type, a.core_id) == (b.start, b.end, b.core_type, b.core_id)


def _timeline_beside(pickle_path: Path) -> Timeline | None:
    """The timeline of the schedule JSON beside a pickle, None if there is no
    readable one (a damaged neighbour must not stop the pickle being drawn)."""
    json_path = pickle_path.with_suffix(".json")
    if json_path == pickle_path or not json_path.is_file():
        return None
    try:
        return _json_timeline(json_path)
    except PrismError:
        return None


def batch_period(op_types: tuple[str, ...], edges: np.ndarray) -> int:
    """The fewest ops per batch such that the op types and the [src, dst, tokens]
    edges are those of the first batch, repeated with indices shifted per batch."""
    size = len(op_types)
    types = np.array(op_types, dtype=object)
    rows = edges[np.lexsort(edges.T[::-1])] if len(edges) else edges
    for n in (d for d in range(1, size + 1) if size % d == 0):
        nbatch = size // n
        if len(rows) % nbatch or not (types == np.tile(types[:n], nbatch)).all():
            continue
        first = rows[: len(rows) // nbatch]
        if len(first) and first[:, :2].max() >= n:
            continue
        copies = np.concatenate([first + b * n * np.array([1, 1, 0]) for b in range(nbatch)]) if len(first) else rows
        if np.array_equal(copies, rows):
            return n
    return size


@dataclass(frozen=True)
class Window:
    """Which ops and transfers a view shows: those of batches `first..last`
    (inclusive; None: all) that overlap [from_ms, to_ms] (None: unbounded)."""

    batches: tuple[int, int] | None = None
    from_ms: float | None = None
    to_ms: float | None = None

    def ops(self, timeline: Timeline) -> list[int]:
        """The global ops shown, in index order; PrismError if there are none."""
        s = timeline.schedule
        (lo, hi), (first, last) = self._span(), self._batches(timeline)
        shown = [g for g in range(timeline.size) if first <= g // timeline.n_ops <= last and s.start[g] <= hi and s.end[g] >= lo]
        if not shown:
            raise PrismError(
                f"nothing to show: no op of batches {first}-{last} runs between {self.from_ms or 0} ms and "
                f"{'the end' if self.to_ms is None else f'{self.to_ms} ms'} (the schedule has {timeline.nbatch} batches "
                f"and ends at {timeline.makespan / 1000:.3f} ms)"
            )
        return shown

    def transfers(self, timeline: Timeline) -> list[int]:
        """The indices in `timeline.transfers` of the transfers shown (maybe none)."""
        (lo, hi), (first, last) = self._span(), self._batches(timeline)
        return [k for k, t in enumerate(timeline.transfers) if first <= t.batch <= last and t.start <= hi and t.end >= lo]

    def _span(self) -> tuple[float, float]:
        """The time range in us; PrismError if it is empty."""
        lo = -np.inf if self.from_ms is None else self.from_ms * 1000
        hi = np.inf if self.to_ms is None else self.to_ms * 1000
        if lo >= hi:
            raise PrismError(f"the zoom range {self.from_ms} ms to {self.to_ms} ms is empty: --from-ms must be below --to-ms")
        return lo, hi

    def _batches(self, timeline: Timeline) -> tuple[int, int]:
        return self.batches or (0, timeline.nbatch - 1)


def batch_range(text: str) -> tuple[int, int]:
    """'3' or '0-3' as (first, last) batch; PrismError otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not m or (m[2] is not None and int(m[2]) < int(m[1])):
        raise PrismError(f"--batches must be a batch number or a range like 0-3, got {text!r}")
    return int(m[1]), int(m[2] if m[2] is not None else m[1])
