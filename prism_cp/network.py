"""An imported network before it has execution times: layers with their output
shapes and work (what importers produce and cost models read), and the
dataflow edges between them. `Network.to_workload` adds the times."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.workload import Workload


@dataclass(frozen=True)
class Layer:
    """One op: its unique name, its type (Keras class name, ONNX op_type...),
    the shape of its first output with the batch dimension left out, and the
    work of one inference: multiply-accumulates (convolutions, dense, matmul;
    0 for other ops) and weight elements."""

    name: str
    type: str
    shape: tuple[int, ...]
    macs: int = 0
    params: int = 0

    @property
    def tokens(self) -> int:
        """Elements of the first output (1 for a scalar)."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class Network:
    """Layers in file order and `(src, dst, tokens)` edges by layer index: one
    edge per use of a producer's output by a consumer (a consumer reading the
    same output twice gets two edges), tokens = elements of what flows.

    Checked on construction: unique names, edges between listed layers, no
    cycles, shapes and counts are whole numbers >= 0. `source` says where the
    network came from (file and format), for descriptions and messages.
    """

    name: str
    layers: tuple[Layer, ...]
    edges: tuple[tuple[int, int, int], ...]
    source: str = ""

    def __post_init__(self) -> None:
        validate_network(self)

    def index(self) -> dict[str, int]:
        """Layer name -> layer index."""
        return {layer.name: i for i, layer in enumerate(self.layers)}

    def to_workload(self, times: Mapping[str, Sequence[float]], name: str | None = None) -> Workload:
        """The Workload of this network with `times[core][i]` = layer i's time
        (us) on each core type; validated like any Workload."""
        edges = np.array(self.edges, dtype=np.int64).reshape(-1, 3)
        return Workload(
            name or self.name,
            tuple(layer.name for layer in self.layers),
            tuple(layer.type for layer in self.layers),
            edges,
            {core: tuple(ts) for core, ts in times.items()},
        )


def validate_network(net: Network) -> None:
    """Raise PrismError naming the first structural problem of `net`."""
    where = f"network {net.name!r}"
    if not net.layers:
        raise PrismError(f"{where} has no layers")
    seen: set[str] = set()
    for layer in net.layers:
        if not isinstance(layer.name, str) or not layer.name:
            raise PrismError(f"{where}: layer names must be non-empty strings, got {layer.name!r}")
        if layer.name in seen:
            raise PrismError(f"{where}: layer name {layer.name!r} is used twice")
        seen.add(layer.name)
        if not isinstance(layer.type, str) or not layer.type:
            raise PrismError(f"{where}: layer {layer.name!r} needs a type")
        if not isinstance(layer.shape, tuple) or not all(is_count(d) for d in layer.shape):
            raise PrismError(f"{where}: layer {layer.name!r} has shape {layer.shape!r}; need a tuple of whole numbers >= 0")
        if not (is_count(layer.macs) and is_count(layer.params)):
            raise PrismError(f"{where}: layer {layer.name!r} has macs {layer.macs!r}, params {layer.params!r}; need whole numbers >= 0")
    n = len(net.layers)
    for edge in net.edges:
        if len(edge) != 3 or not all(is_count(x) for x in edge):
            raise PrismError(f"{where}: edge {edge!r} must be (src, dst, tokens) whole numbers >= 0")
        src, dst, _ = edge
        if src >= n or dst >= n:
            raise PrismError(f"{where}: edge {src}->{dst} names a missing layer (layers are 0..{n - 1})")
        if src == dst:
            raise PrismError(f"{where}: layer {net.layers[src].name!r} consumes its own output")
    _, cycle = topological_order(n, [(src, dst) for src, dst, _ in net.edges])
    if cycle:
        raise PrismError(f"{where}: the graph has a cycle through layers {' -> '.join(net.layers[i].name for i in cycle)}")


def topological_order(n: int, pairs: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """(order, []) with every node of 0..n-1 after its predecessors in `pairs`,
    or (the nodes ordered before the cycle, one cycle) when there is one.
    Kahn's algorithm: linear, where importing a network of hundreds of layers
    must take milliseconds."""
    succs: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for src, dst in pairs:
        succs[src].append(dst)
        indegree[dst] += 1
    order = [i for i in range(n) if indegree[i] == 0]
    for u in order:  # the list grows while it is read
        for v in succs[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                order.append(v)
    if len(order) == n:
        return order, []
    return order, _a_cycle(n, pairs, indegree)


def _a_cycle(n: int, pairs: Sequence[tuple[int, int]], indegree: list[int]) -> list[int]:
    """A cycle among the nodes Kahn's algorithm left (indegree > 0): each has a
    predecessor among them, so walking predecessors must come back to a node."""
    pred = {dst: src for src, dst in pairs if indegree[dst] > 0 and indegree[src] > 0}
    node = next(i for i in range(n) if indegree[i] > 0)
    seen: dict[int, int] = {}
    path: list[int] = []
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = pred[node]
    return path[seen[node] :][::-1]


def is_count(x: object) -> bool:
    """A whole number >= 0 (a bool is not one)."""
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0
