"""A model to schedule: ops, their layer types, the dataflow edges and the
execution time of each op on each core type."""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from prism_cp.errors import PrismError

CORE_TYPES: tuple[str, ...] = ("cpu", "npu")


@dataclass(frozen=True, eq=False)
class Workload:
    """One inference of a model as a DAG of ops.

    `edges` is an int64 array (E, 3) of `[src, dst, tokens]` rows, the reference
    cgraph layout; `times[c][i]` is op i's execution time in microseconds on core
    type c ('cpu' or 'npu'). The edges must form a DAG; op indices need not be
    a topological order. `estimated_times` says the times come from the
    analytic estimate (prism_cp.cost), not measurements, so that results
    can say so. Compared and hashed by identity (it holds arrays).
    """

    name: str
    op_names: tuple[str, ...]
    op_types: tuple[str, ...]
    edges: np.ndarray
    times: dict[str, tuple[float, ...]]
    estimated_times: bool = False

    def __post_init__(self) -> None:
        validate_workload(self)

    @property
    def n_ops(self) -> int:
        return len(self.op_types)

    def predecessors(self) -> list[list[int]]:
        """Predecessor lists, each in increasing op index, duplicates removed."""
        preds: list[set[int]] = [set() for _ in range(self.n_ops)]
        for src, dst in self.edges[:, :2].tolist():
            preds[dst].add(src)
        return [sorted(p) for p in preds]

    def successors(self) -> list[list[int]]:
        """Successor lists, each in increasing op index, duplicates removed."""
        succs: list[set[int]] = [set() for _ in range(self.n_ops)]
        for src, dst in self.edges[:, :2].tolist():
            succs[src].add(dst)
        return [sorted(s) for s in succs]

    def graph(self) -> nx.DiGraph:
        """The op graph as networkx, for analysis and plotting."""
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n_ops))
        g.add_edges_from(self.edges[:, :2].tolist())
        return g


def validate_workload(w: Workload) -> None:
    """Raise PrismError naming the first structural problem of `w`."""
    n = len(w.op_types)
    if n == 0:
        raise PrismError(f"workload {w.name!r} has no ops")
    if len(w.op_names) != n:
        raise PrismError(f"workload {w.name!r}: {len(w.op_names)} op names for {n} ops")
    edges = np.asarray(w.edges)
    if edges.ndim != 2 or edges.shape[1] != 3 or (edges.size and not np.issubdtype(edges.dtype, np.integer)):
        raise PrismError(f"workload {w.name!r}: edges must be an integer array of [src, dst, tokens] rows")
    for src, dst, _ in edges.tolist():
        if not (0 <= src < n and 0 <= dst < n):
            raise PrismError(f"workload {w.name!r}: edge {src}->{dst} names a missing op (ops are 0..{n - 1})")
        if src == dst:
            raise PrismError(f"workload {w.name!r}: self-loop on op {src}")
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges[:, :2].tolist())
    if not nx.is_directed_acyclic_graph(g):
        cycle = [u for u, _ in nx.find_cycle(g)]
        raise PrismError(f"workload {w.name!r}: the graph has a cycle through ops {cycle}")
    if set(w.times) != set(CORE_TYPES):
        raise PrismError(f"workload {w.name!r}: execution times needed for exactly {CORE_TYPES}, got {sorted(w.times)}")
    for core, ts in w.times.items():
        if len(ts) != n:
            raise PrismError(f"workload {w.name!r}: {len(ts)} {core} times for {n} ops")
        for i, t in enumerate(ts):
            if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t) or t < 0:
                raise PrismError(f"workload {w.name!r}: op {i} ({w.op_names[i]}) has {core} time {t!r}; need a finite number >= 0")
