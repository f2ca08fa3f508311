"""Import of Standard Task Graph Set (STG, Kasahara lab) files as CPU-only
workloads, so that the schedulers can be checked against published optimal
makespans of homogeneous multiprocessor scheduling.

Format: the first line holds n, the number of real tasks; then one line per
task id 0..n+1: `id processing_time number_of_predecessors predecessor_ids...`.
Tasks 0 and n+1 are zero-cost dummy entry and exit nodes; lines starting with
`#` (the information part after the graph) are comments.

The dummies are dropped rather than kept as 0-time ops: every op occupies its
core for at least one tick, so a kept dummy would add time. Dropping them
loses no precedence because the entry has no predecessors and the exit has no
successors. A real task of time 0 still holds its processor for one tick,
the simulator's rule for every op.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from prism_cp.errors import PrismError
from prism_cp.io.files import read_text
from prism_cp.platform import Platform
from prism_cp.workload import Workload

STG_OP_TYPE = "task"


def stg_platform(cpus: int) -> Platform:
    """The homogeneous machine STG files are scheduled on: `cpus` identical
    processors, no NPU, a 1-unit clock so that execution time = processing time."""
    return Platform("stg", frozenset(), clock_us=1, npus=0, cpus=cpus)


def load_stg(path: str | Path) -> Workload:
    """The real tasks of the STG file at `path` as a CPU-only Workload.

    Op i is STG task i + 1 (named `t<id>`, type 'task'); cpu and npu times are
    both the processing time (the STG platform has no NPU support for 'task').
    Raises PrismError naming the file and line of the first problem: a wrong
    task count, ids out of order, non-integer fields, a predecessor count that
    does not match the listed ids, an unknown predecessor, a dummy with a cost
    or misplaced edges, a negative time, or a cycle.
    """
    path = Path(path)
    text = read_text(path, "STG file")
    rows = [
        (number, line.split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise PrismError(f"{path}: empty STG file (expected the number of tasks on the first line)")

    def fail(line: int, message: str) -> PrismError:
        return PrismError(f"{path}, line {line}: {message}")

    def integers(line: int, fields: list[str]) -> list[int]:
        try:
            return [int(f) for f in fields]
        except ValueError:
            raise fail(line, f"expected whole numbers, got {' '.join(fields)!r}") from None

    first_line, head = rows[0]
    counts = integers(first_line, head)
    if len(counts) != 1 or counts[0] < 1:
        raise fail(first_line, f"the first line must hold the number of tasks (>= 1), got {' '.join(head)!r}")
    n = counts[0]
    tasks = rows[1:]
    if len(tasks) != n + 2:
        line = tasks[n + 2][0] if len(tasks) > n + 2 else (tasks[-1][0] if tasks else first_line)
        raise fail(line, f"{len(tasks)} task lines for {n} tasks; need {n + 2} (ids 0..{n + 1}, with the two dummies)")
    exit_id = n + 1
    line_of: list[int] = []
    times: list[float] = []
    edges: list[tuple[int, int]] = []
    for expected, (line, fields) in enumerate(tasks):
        values = integers(line, fields)
        if len(values) < 3:
            raise fail(line, "a task line needs: id processing_time number_of_predecessors predecessor_ids...")
        task, cost, count, preds = values[0], values[1], values[2], values[3:]
        if task != expected:
            raise fail(line, f"task id {task} where {expected} was expected (ids must run 0..{exit_id} in order)")
        if cost < 0:
            raise fail(line, f"task {task} has negative processing time {cost}")
        if count != len(preds):
            raise fail(line, f"task {task} declares {count} predecessors but lists {len(preds)}")
        if task in (0, exit_id) and cost:
            raise fail(line, f"dummy task {task} must have processing time 0, got {cost}")
        if task == 0 and preds:
            raise fail(line, "the entry dummy task 0 cannot have predecessors")
        for p in preds:
            if not 0 <= p <= exit_id or p == task:
                raise fail(line, f"task {task} names unknown predecessor {p} (tasks are 0..{exit_id}, not itself)")
            if p == exit_id:
                raise fail(line, f"task {task} names the exit dummy {exit_id} as a predecessor")
            if p and task != exit_id:
                edges.append((p - 1, task - 1))
        if task not in (0, exit_id):
            line_of.append(line)
            times.append(float(cost))
    graph = nx.DiGraph(edges)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = [u for u, _ in nx.find_cycle(graph)]
        raise fail(line_of[min(cycle)], f"precedence cycle through tasks {sorted(u + 1 for u in cycle)}")
    rows_array = np.array([[s, d, 0] for s, d in edges], dtype=np.int64).reshape(-1, 3)
    return Workload(
        name=path.stem,
        op_names=tuple(f"t{i + 1}" for i in range(n)),
        op_types=(STG_OP_TYPE,) * n,
        edges=rows_array,
        times={"cpu": tuple(times), "npu": tuple(times)},
    )


@dataclass(frozen=True)
class PublishedMakespan:
    """What the STG set publishes for one (graph, processor count) pair: the
    optimum (lower == upper), or a best lower bound and best known schedule."""

    graph: Path
    cpus: int
    lower: int
    upper: int

    @property
    def is_open(self) -> bool:
        return self.lower < self.upper


def load_stg_optima(path: str | Path) -> list[PublishedMakespan]:
    """The rows of an STG optima file (`Case50_<p>_OPT.csv`): `graph,p,opt` or
    `graph,p,lower,upper`, the graph path relative to the file's parent folder
    (`50/rand0000.stg` next to `optimal/`). Raises PrismError naming the line
    of the first malformed row."""
    path = Path(path)
    out = []
    for number, line in enumerate(read_text(path, "STG optima file").splitlines(), start=1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        try:
            cpus, *values = (int(f) for f in fields[1:])
        except ValueError:
            values = []
        if len(values) not in (1, 2) or cpus < 1 or values[0] > values[-1]:
            raise PrismError(f"{path}, line {number}: expected graph,processors,optimum or graph,processors,lower,upper; got {line!r}")
        out.append(PublishedMakespan(path.parent.parent / fields[0], cpus, values[0], values[-1]))
    return out
