"""Importer for ONNX models: one op per graph node, typed by its `op_type`,
edges through tensor names, tokens from ONNX shape inference.

Only the graph and the tensors' shapes are read, never the weights, so a
model whose weights are graph inputs or external data files imports the same
(the external files need not even be present). Needs the optional `onnx`
package (`pip install 'prism_cp[onnx]'`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io.files import read_file
from prism_cp.network import Layer, Network, topological_order

#: op types whose MACs are counted, with how (see _macs)
MAC_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")


def read_onnx(path: str | Path, name: str | None = None) -> Network:
    """The Network of the ONNX model at `path`, named `name` (default: the
    file's stem; exporters' graph names are often generic, e.g. 'tf2onnx').

    Op i is graph node i. An edge `[src, dst, tokens]` joins the node producing
    a tensor to each node input that reads it; tokens is the number of elements
    of that tensor with the unknown and symbolic dims (the batch) left out.
    Graph inputs and initializers are not ops. Raises PrismError for a file
    that is not ONNX, a node reading a tensor nothing defines, and a tensor
    whose shape inference cannot find.
    """
    onnx = _onnx()
    path = Path(path)
    data = read_file(path, "ONNX model")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf raises its own DecodeError and friends
        raise PrismError(f"{path} is not an ONNX model: {' '.join(str(e).split()) or type(e).__name__}") from None
    if not model.graph.node:
        raise PrismError(f"{path} is not an ONNX model with a graph of nodes (found no nodes)")
    try:
        graph = onnx.shape_inference.infer_shapes(model).graph
    except Exception as e:  # InferenceError, or a checker error on a malformed graph
        raise PrismError(f"{path}: ONNX shape inference failed: {' '.join(str(e).split())}") from None
    return _network(graph, name or path.stem, path)


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise PrismError("reading ONNX models needs the onnx package: pip install 'prism_cp[onnx]'") from None
    return onnx


def _network(graph: Any, name: str, path: Path) -> Network:
    """Ops, shapes and edges of an inferred graph."""
    shapes = _shapes(graph)
    producer: dict[str, int] = {}
    for i, node in enumerate(graph.node):
        for out in filter(None, node.output):
            if out in producer:
                raise PrismError(f"{path}: tensor {out!r} is produced by two nodes ({_label(graph.node[producer[out]], producer[out])} and {_label(node, i)})")
            producer[out] = i
    outer = {t.name for t in (*graph.input, *graph.initializer)}
    uses = []  # (producer, consumer, tensor), one per node input a node produces
    for i, node in enumerate(graph.node):
        for tensor in (*filter(None, node.input), *_captured(node)):
            if tensor in producer:
                uses.append((producer[tensor], i, tensor))
            elif tensor not in outer:
                raise PrismError(f"{path}: {_label(node, i)} reads tensor {tensor!r}, which no node, graph input or initializer defines")
    _check_acyclic(graph, uses, path)
    layers = []
    for i, (node, op_name) in enumerate(zip(graph.node, _unique_names(graph.node))):
        out = _shape_of(node.output[0], shapes, graph, producer, path) if node.output else ()
        params = sum(_elements(_shape_of(t, shapes, graph, producer, path)) for t in node.input[1:] if t and t not in producer)
        known_dims = tuple(d for d in out if d is not None)
        layers.append(Layer(op_name, node.op_type, known_dims, _macs(node, i, shapes, out, path), params))
    edges = tuple((src, dst, _elements(_shape_of(t, shapes, graph, producer, path))) for src, dst, t in uses)
    return Network(name, tuple(layers), edges, source=f"ONNX {path}")


def _captured(node: Any) -> list[str]:
    """Tensors of the enclosing graph that the subgraphs of a control-flow node
    (If, Loop, Scan) read: inputs of the node as much as its listed ones."""
    captured: list[str] = []
    for attr in node.attribute:
        for sub in (*([attr.g] if attr.HasField("g") else []), *attr.graphs):
            inner = {t.name for t in (*sub.input, *sub.initializer)} | {out for n in sub.node for out in n.output}
            for n in sub.node:
                captured += [t for t in (*n.input, *_captured(n)) if t and t not in inner and t not in captured]
            captured += [t.name for t in sub.output if t.name not in inner and t.name not in captured]
    return captured


def _check_acyclic(graph: Any, uses: list[tuple[int, int, str]], path: Path) -> None:
    """Shape inference cannot see through a cycle: name it before any shape is asked for."""
    _, cycle = topological_order(len(graph.node), [(src, dst) for src, dst, _ in uses])
    if cycle:
        raise PrismError(f"{path}: the graph has a cycle through {' -> '.join(_label(graph.node[u], u) for u in cycle)}")


def _shapes(graph: Any) -> dict[str, tuple[int | None, ...]]:
    """Tensor name -> dims (None where unknown or symbolic), for every tensor
    shape inference, the graph inputs and outputs or an initializer state."""
    shapes: dict[str, tuple[int | None, ...]] = {t.name: tuple(t.dims) for t in graph.initializer}
    for info in (*graph.input, *graph.value_info, *graph.output):
        tensor = info.type.tensor_type
        if info.type.HasField("tensor_type") and tensor.HasField("shape"):
            shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
    return shapes


def _shape_of(tensor: str, shapes: dict[str, tuple[int | None, ...]], graph: Any, producer: dict[str, int], path: Path) -> tuple[int | None, ...]:
    if tensor not in shapes:
        where = _label(graph.node[producer[tensor]], producer[tensor]) if tensor in producer else "the graph inputs"
        raise PrismError(f"{path}: ONNX shape inference gives no shape for tensor {tensor!r} of {where}")
    return shapes[tensor]


def _elements(shape: tuple[int | None, ...]) -> int:
    """Elements of a tensor with its unknown dims (the batch) left out."""
    return math.prod(d for d in shape if d is not None)


def _macs(node: Any, index: int, shapes: dict[str, tuple[int | None, ...]], out: tuple[int | None, ...], path: Path) -> int:
    """Multiply-accumulates of one inference of a Conv, ConvTranspose, Gemm or
    MatMul node (0 for other op types): output elements times the reduction
    length, from the weight's or the operands' shapes. Unknown and symbolic
    dims are left out, as for tokens: the count is per unit of each of them."""
    if node.op_type not in MAC_OPS:
        return 0
    operands = [shapes.get(t) for t in node.input[:2]]
    if len(operands) < 2 or None in operands:
        raise PrismError(f"{path}: {_label(node, index)} has no known shape for its operands; cannot count its MACs")
    a, w = operands
    if node.op_type == "Conv":  # W: (M, C/group, k1, k2, ...)
        per_output, elements = w[1:], _elements(out)
    elif node.op_type == "ConvTranspose":  # W: (C, M/group, k...): each input element feeds M/group * k outputs
        per_output, elements = w[1:], _elements(a)
    elif node.op_type == "Gemm":  # A: (M, K), or (K, M) with transA
        trans_a = any(attr.name == "transA" and attr.i for attr in node.attribute)
        per_output, elements = a[:1] if trans_a else a[1:], _elements(out)
    else:  # MatMul: A (..., M, K) @ B (..., K, N); a 1-D B is (K,)
        per_output, elements = w[-2:-1] or w, _elements(out)
    return elements * _elements(per_output)


def _unique_names(nodes: Any) -> list[str]:
    """Each node's name, or `<op_type>_<index>` where it has none; a name used
    before gets `_<index>` appended (op names identify rows of the time table)."""
    names: list[str] = []
    seen: set[str] = set()
    for i, node in enumerate(nodes):
        name = node.name or f"{node.op_type}_{i}"
        while name in seen:
            name = f"{name}_{i}"
        seen.add(name)
        names.append(name)
    return names


def _label(node: Any, index: int) -> str:
    return f"node {index} ({node.name or 'unnamed'}, {node.op_type})"
