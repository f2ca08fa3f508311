"""Importer for Keras functional-model JSON (`model.to_json()`, or the
config.json of a Keras 3 `.keras` file), Keras 2 and Keras 3 layouts, without
TensorFlow or Keras.

The graph is the one the reference compiler builds from the loaded model: one
op per entry of `config.layers` in order, typed by its `class_name` (Keras 3
functional ops such as `keras.src.ops.numpy.Add` included), one edge per use of
a producer's output by a consumer, tokens = elements of the producer's first
output with the batch dimension left out (a Sequential model is the chain of
its layers). Keras 3 records the shape of every tensor it passes; Keras 2
records none, so shapes come from the rules of `keras_shapes`, which also give
each layer's MACs and weights.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io.files import read_file
from prism_cp.io.keras_shapes import RULES, Call, Shape, ShapeError, Work, infer
from prism_cp.io.model_files import read_extime_csv
from prism_cp.io.reference import reference_times
from prism_cp.io.safe_pickle import load_pickle
from prism_cp.network import Layer, Network, topological_order
from prism_cp.workload import Workload

#: a .keras archive's config.json larger than this is refused (configs of big networks are a few MB)
MAX_CONFIG_BYTES = 256 * 1024 * 1024
#: keyword arguments of a Keras 2 call that are operands (TFOpLambda's `y` in `x + y`)
OPERAND_KWARGS = ("y",)


@dataclass(frozen=True)
class _Ref:
    """A use of output `tensor` of call `node` of layer `layer`; Keras 3 also records its shape."""

    layer: str
    node: int
    tensor: int
    shape: Shape | None = None


@dataclass(frozen=True)
class _Node:
    """One call of a layer: the tensors it reads in call order, its constant operands, its other kwargs."""

    refs: tuple[_Ref, ...]
    constants: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    keras3: bool = False


@dataclass(frozen=True)
class _Entry:
    name: str
    class_name: str
    config: Mapping[str, Any]
    nodes: tuple[_Node, ...]


def read_keras(path: str | Path, name: str | None = None, recorded_shapes: bool = True) -> Network:
    """The Network of the Keras model JSON at `path` (Keras 2 or 3 layout),
    named `name` (default: the model's own name). PrismError for malformed
    files, references to missing layers, duplicate names, cycles, shapes that
    do not line up and layers whose shape cannot be inferred.

    `recorded_shapes=False` ignores the shapes a Keras 3 file records and
    infers every shape as for Keras 2: a check of the rules against Keras."""
    path = Path(path)
    model_name, entries = _parse(path)
    if not recorded_shapes:
        entries = [_forget_shapes(e) for e in entries]
    index, uses, works, _ = _analyse(str(path), entries, {})
    layers = tuple(Layer(e.name, e.class_name, works[i][0].shape, sum(w.macs for w in works[i]), works[i][0].params) for i, e in enumerate(entries))
    edges = tuple(sorted((index[ref.layer], j, layers[index[ref.layer]].tokens) for ref, j in uses))
    return Network(name or model_name, layers, edges, source=f"Keras model {path}")


def import_keras_json(path: str | Path, extime: str | Path | Mapping[int, Any]) -> Workload:
    """A Workload with op i = layer i of the Keras model JSON at `path` and
    times from `extime`: a time table CSV whose names are the layer names, a
    reference extime pickle (.pkl), or an already loaded reference extime dict."""
    network = read_keras(path)
    n = len(network.layers)
    if isinstance(extime, Mapping):
        times = reference_times(extime, n)
    elif str(extime).endswith(".pkl"):
        times = reference_times(load_pickle(extime, "reference extime"), n)
    else:
        times = read_extime_csv(Path(extime), tuple(layer.name for layer in network.layers))
    return network.to_workload(times)


# --- parsing the two layouts --------------------------------------------------------


def _parse(path: Path) -> tuple[str, list[_Entry]]:
    """(model name, layer entries) of a functional-model JSON file."""
    try:
        doc = json.loads(_model_json(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PrismError(f"{path} is not valid JSON: {e}") from None
    config = doc.get("config") if isinstance(doc, dict) else None
    layers = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list) or not layers:
        raise PrismError(f"{path} is not a Keras functional-model JSON: need config.layers, a non-empty list (save the model with model.to_json())")
    entries = [_parse_layer(path, i, layer) for i, layer in enumerate(layers)]
    if doc.get("class_name") == "Sequential":
        entries = _chained(path, entries)
    return str(config.get("name") or path.stem), entries


def _chained(path: Path, entries: list[_Entry]) -> list[_Entry]:
    """A Sequential model's layers, each reading the one before it."""
    if entries[0].class_name != "InputLayer":
        raise PrismError(f"{path} is a Keras Sequential model without an InputLayer; start it with keras.Input(shape) so that its input shape is saved")
    chained = entries[:1]
    for prev, entry in zip(entries, entries[1:]):
        chained.append(replace(entry, nodes=(_Node((_Ref(prev.name, _first_node_index(prev), 0),), (), {}),)))
    return chained


def _model_json(path: Path) -> bytes:
    """The model JSON: the file itself, or the `config.json` of a Keras 3
    `.keras` archive (a zip that `model.save` writes; its weights are not read)."""
    data = read_file(path, "Keras model")
    if not data.startswith(b"PK"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise PrismError(f"{path}: config.json holds {info.file_size} bytes, more than a model config needs ({MAX_CONFIG_BYTES})")
            return archive.read(info)
    except (zipfile.BadZipFile, KeyError) as e:
        raise PrismError(f"{path} is neither a Keras model JSON nor a .keras archive with a config.json: {e}") from None


def _parse_layer(path: Path | str, i: int, layer: Any) -> _Entry:
    where = f"{path}: config.layers[{i}]"
    if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str) or not layer["class_name"]:
        raise PrismError(f"{where} is not a Keras layer: need an object with a class_name")
    config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
    name = layer.get("name", config.get("name"))
    if not isinstance(name, str) or not name:
        raise PrismError(f"{where} ({layer['class_name']}) has no name")
    inbound = layer.get("inbound_nodes", [])
    if not isinstance(inbound, list):
        raise PrismError(f"{where} ({name}): inbound_nodes must be a list")
    try:
        nodes = tuple(_keras3_node(n) if isinstance(n, dict) else _keras2_node(n) for n in inbound)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise PrismError(f"{where} ({name}): unreadable inbound node: {e}") from None
    return _Entry(name, layer["class_name"], config, nodes)


def _is_keras2_ref(x: Any) -> bool:
    """[layer name, node index, tensor index] (the first three fields of a Keras 2 inbound entry)."""
    return isinstance(x, list) and len(x) in (3, 4) and isinstance(x[0], str) and all(isinstance(v, int) and not isinstance(v, bool) for v in x[1:3])


def _is_keras2_constant(x: Any) -> bool:
    """`["_CONSTANT_VALUE", -1, value, kwargs]`: a constant first operand (TFOpLambda `1 - x`)."""
    return isinstance(x, list) and len(x) == 4 and x[0] == "_CONSTANT_VALUE" and x[1] == -1


def _keras2_node(node: Any) -> _Node:
    """A Keras 2 node: `[name, node, tensor, kwargs]` entries (one, or a list of them);
    kwargs may hold more tensors as `[name, node, tensor]`."""
    if not isinstance(node, list) or not node:
        raise ValueError(f"expected a list of [layer, node, tensor, kwargs] entries, got {node!r}")
    entries = [node] if isinstance(node[0], str) else node
    if not all(_is_keras2_ref(e) or _is_keras2_constant(e) for e in entries):
        raise ValueError(f"expected [layer, node, tensor, kwargs] entries, got {node!r}")
    kwargs = entries[0][3] if len(entries[0]) == 4 and isinstance(entries[0][3], dict) else {}
    refs = [_Ref(e[0], e[1], e[2]) for e in entries if not _is_keras2_constant(e)]
    refs += [_Ref(r[0], r[1], r[2]) for r in _walk(kwargs, lambda x: _is_keras2_ref(x) and len(x) == 3)]
    constants = tuple(e[2] for e in entries if _is_keras2_constant(e))
    constants += tuple(kwargs[k] for k in OPERAND_KWARGS if k in kwargs and not _is_keras2_ref(kwargs[k]))
    rest = {k: v for k, v in kwargs.items() if k not in OPERAND_KWARGS}
    return _Node(tuple(refs), constants, rest)


def _is_keras3_tensor(x: Any) -> bool:
    return isinstance(x, dict) and x.get("class_name") == "__keras_tensor__"


def _keras3_node(node: dict[str, Any]) -> _Node:
    """A Keras 3 node `{"args": [...], "kwargs": {...}}`; tensors are `__keras_tensor__`
    objects with `keras_history` [layer, node, tensor] and their shape."""
    args, kwargs = node.get("args", []), node.get("kwargs", {})
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ValueError("args must be a list and kwargs an object")
    refs = tuple(_keras3_ref(t) for t in _walk([args, kwargs], _is_keras3_tensor))
    constants = tuple(a for a in args if not any(True for _ in _walk(a, _is_keras3_tensor)))
    rest = {k: v for k, v in kwargs.items() if not _is_keras3_tensor(v)}
    return _Node(refs, constants, rest, keras3=True)


def _keras3_ref(tensor: dict[str, Any]) -> _Ref:
    config = tensor["config"]
    layer, node, index = config["keras_history"]
    shape = config.get("shape")
    known = isinstance(shape, list) and len(shape) >= 1 and all(isinstance(d, int) for d in shape[1:])
    return _Ref(layer, node, index, tuple(shape[1:]) if known else None)


def _walk(value: Any, match: Any) -> Iterator[Any]:
    """The items of nested lists/dicts `value` that `match`, in order (not looking inside matches)."""
    if match(value):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, match)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v, match)


# --- graph order and shapes -----------------------------------------------------------


def _analyse(where: str, entries: list[_Entry], given: Mapping[str, Shape]) -> tuple[dict[str, int], list[tuple[_Ref, int]], dict[int, list[Work]], dict[tuple[str, int], tuple[Shape, ...]]]:
    """(layer index by name, every (input ref, consumer) use, the Work of every
    call per layer, the output shapes of every (layer, call)) of a layer graph
    whose input layers named in `given` take those shapes. PrismError for
    duplicate names, missing layers, cycles and shapes that cannot be inferred."""
    index: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if entry.name in index:
            raise PrismError(f"{where}: layer name {entry.name!r} is used twice (layers {index[entry.name]} and {i})")
        index[entry.name] = i
    uses = [(ref, j) for j, entry in enumerate(entries) for node in entry.nodes for ref in node.refs]
    for ref, j in uses:
        if ref.layer not in index:
            raise PrismError(f"{where}: layer {entries[j].name!r} takes input from {ref.layer!r}, which is not a layer of the model")
    order = _topological_order(where, entries, [(index[ref.layer], j) for ref, j in uses])
    works, outputs = _infer_all(where, entries, order, given)
    return index, uses, works, outputs


def _topological_order(path: str, entries: list[_Entry], pairs: list[tuple[int, int]]) -> list[int]:
    order, cycle = topological_order(len(entries), pairs)
    if cycle:
        raise PrismError(f"{path}: the layers form a cycle: {' -> '.join(entries[i].name for i in cycle + cycle[:1])}")
    return order


def _infer_all(path: str, entries: list[_Entry], order: list[int], given: Mapping[str, Shape]) -> tuple[dict[int, list[Work]], dict[tuple[str, int], tuple[Shape, ...]]]:
    """Per layer, the Work of each of its calls (a layer without inbound nodes,
    an input, has one), and the output shapes of each (layer, call)."""
    index = {e.name: i for i, e in enumerate(entries)}
    carried = {(r.layer, r.node): r.shape for e in entries for n in e.nodes for r in n.refs if r.tensor == 0 and r.shape is not None}
    outputs: dict[tuple[str, int], tuple[Shape, ...]] = {}

    def shape_of(ref: _Ref, consumer: _Entry) -> Shape:
        known = outputs.get((ref.layer, ref.node), ())
        if ref.shape is not None or ref.tensor < len(known):
            return ref.shape if ref.shape is not None else known[ref.tensor]
        producer = entries[index[ref.layer]]
        raise PrismError(f"{path}: layer {consumer.name!r} ({consumer.class_name}) reads output {ref.tensor} of call {ref.node} of {producer.name!r} ({producer.class_name}), whose shape is unknown")

    works: dict[int, list[Work]] = {}
    for i in order:
        entry = entries[i]
        works[i] = []
        for k, node in enumerate(entry.nodes or (_Node((), (), {}),), start=_first_node_index(entry)):
            call = Call(tuple(shape_of(ref, entry) for ref in node.refs), node.constants, node.kwargs)
            work = Work(given[entry.name]) if entry.name in given else _infer_call(path, entry, call, carried.get((entry.name, k)))
            outputs[entry.name, k] = work.outputs
            works[i].append(work)
    return works, outputs


def _forget_shapes(entry: _Entry) -> _Entry:
    nodes = tuple(replace(n, refs=tuple(replace(r, shape=None) for r in n.refs)) for n in entry.nodes)
    return replace(entry, nodes=nodes)


def _first_node_index(entry: _Entry) -> int:
    """The saved index of a layer's first call: in Keras 2, 1 for a nested
    model (Keras keeps the model's own input->output node as node 0); Keras 3
    leaves that node out of the indices."""
    nested = isinstance(entry.config.get("layers"), list)
    return 1 if nested and not any(node.keras3 for node in entry.nodes) else 0


def _infer_call(path: str, entry: _Entry, call: Call, carried: Shape | None) -> Work:
    """The call's Work; the shape the file records (Keras 3) wins over the rules,
    which still give the MACs and weights, and the shape where none is recorded."""
    nested = "output_layers" in entry.config and isinstance(entry.config.get("layers"), list)
    if carried is not None and not nested and entry.class_name not in RULES:
        return Work(carried)
    try:
        work = _nested_model(path, entry, call) if nested else infer(entry.class_name, entry.config, call)
    except ShapeError as e:
        raise PrismError(f"{path}: cannot infer the output shape of layer {entry.name!r} ({entry.class_name}): {e}") from None
    return work if carried is None else replace(work, shape=carried)


def _nested_model(path: str, entry: _Entry, call: Call) -> Work:
    """A functional model used as a layer (a pretrained base, say): its own
    graph run on the call's input shapes; its MACs and weights add up."""
    where = f"{path}, inside layer {entry.name!r}"
    inner = [_parse_layer(where, i, layer) for i, layer in enumerate(entry.config["layers"])]
    inputs = [ref[0] for ref in _walk(entry.config.get("input_layers", []), _is_keras2_ref)]
    outputs = list(_walk(entry.config["output_layers"], _is_keras2_ref))
    if len(inputs) != len(call.inputs) or not outputs:
        raise ShapeError(f"the model has {len(inputs)} inputs and {len(outputs)} outputs, called with {len(call.inputs)} tensors")
    _, _, works, shapes = _analyse(where, inner, dict(zip(inputs, call.inputs)))
    out = outputs[0]
    if out[2] >= len(shapes.get((out[0], out[1]), ())):
        raise ShapeError(f"its output {out} is not an output of a call of its layers")
    calls = list(works.values())
    return Work(shapes[out[0], out[1]][out[2]], sum(w.macs for ws in calls for w in ws), sum(ws[0].params for ws in calls))
