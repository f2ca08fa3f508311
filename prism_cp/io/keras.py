"""Importer for Keras functional-model JSON (`model.to_json()`, Keras 2 layout):
one op per layer, edges from each layer's `inbound_nodes`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.io.files import read_text
from prism_cp.io.model_files import read_extime_csv
from prism_cp.io.reference import reference_times
from prism_cp.io.safe_pickle import load_pickle
from prism_cp.workload import Workload


def import_keras_json(path: str | Path, extime: str | Path | Mapping[int, Any]) -> Workload:
    """A Workload with op i = layer i of the Keras model JSON at `path`.

    Edges are the distinct (producer, consumer) pairs of the layers'
    `inbound_nodes`, sorted; their tokens are 0 because the JSON stores no
    tensor shapes (the scheduler never reads tokens). `extime` is a time table
    CSV whose names are the layer names, a reference extime pickle (.pkl), or
    an already loaded reference extime dict.
    """
    path = Path(path)
    name, op_names, op_types, pairs = keras_layers(path)
    edges = np.array([[s, d, 0] for s, d in pairs], dtype=np.int64).reshape(-1, 3)
    if isinstance(extime, Mapping):
        times = reference_times(extime, len(op_names))
    elif str(extime).endswith(".pkl"):
        times = reference_times(load_pickle(extime, "reference extime"), len(op_names))
    else:
        times = read_extime_csv(Path(extime), op_names)
    return Workload(name, op_names, op_types, edges, times)


def keras_layers(path: Path) -> tuple[str, tuple[str, ...], tuple[str, ...], list[tuple[int, int]]]:
    """(model name, layer names, layer classes, sorted distinct producer->consumer pairs)."""
    try:
        doc = json.loads(read_text(path, "Keras model JSON"))
        config = doc["config"]
        layers = config["layers"]
        names = tuple(layer["name"] for layer in layers)
        types = tuple(layer["class_name"] for layer in layers)
        index = {n: i for i, n in enumerate(names)}
        pairs = sorted({(index[_producer(inbound)], i) for i, layer in enumerate(layers) for node in layer["inbound_nodes"] for inbound in node})
    except OSError as e:
        raise PrismError(f"cannot read Keras model {path}: {e.strerror or e}") from None
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise PrismError(f"{path} is not a Keras 2 functional-model JSON (layers with names and inbound_nodes): {type(e).__name__} {e}") from None
    return str(config.get("name") or path.stem), names, types, pairs


def _producer(inbound: Any) -> str:
    """The producing layer's name in an inbound entry `[name, node_index, tensor_index, kwargs]`."""
    if not isinstance(inbound, list) or not inbound or not isinstance(inbound[0], str):
        raise ValueError(f"unexpected inbound entry {inbound!r}")
    return inbound[0]
