"""Regenerate tests/data/keras/: keras.applications networks saved with
`model.to_json()` plus the graph the framework itself reports for them.

Not run by the tests (it needs Keras; weights=None, so nothing is downloaded):

    python3 -m venv /tmp/k3 && /tmp/k3/bin/pip install keras jax
    KERAS_BACKEND=jax /tmp/k3/bin/python benchmarks/make_keras_cases.py k3 [NAME ...]
    python3 -m venv /tmp/k2 && /tmp/k2/bin/pip install tensorflow-cpu tf-keras
    TF_USE_LEGACY_KERAS=1 /tmp/k2/bin/python benchmarks/make_keras_cases.py k2 [NAME ...]

Each network gives `<name>.<k2|k3>.json.gz` (the model JSON) and
`<name>.<k2|k3>.expected.json`: `{"types", "edges", "shapes", "params"}` with
op i = entry i of config.layers, edges sorted, one per producer->consumer use,
tokens = elements of the producer's first output (batch left out), shapes of
every op's first output and Keras's own `count_params()` per layer.

* Keras 3: edges from each op's call node (`node.arguments.keras_tensors`),
  shapes from the symbolic output tensors.
* Keras 2 (tf-keras): the reference compiler's rule, one edge per entry of
  `layer._outbound_nodes`, tokens from `layer.output_shape`.
"""

from __future__ import annotations

import gzip
import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "keras"

#: name -> (keras.applications constructor, input shape)
NETWORKS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "resnet50": ("ResNet50", (96, 96, 3)),
    "resnet50v2": ("ResNet50V2", (96, 96, 3)),
    "densenet121": ("DenseNet121", (96, 96, 3)),
    "inceptionv3": ("InceptionV3", (96, 96, 3)),
    "inceptionresnetv2": ("InceptionResNetV2", (96, 96, 3)),
    "efficientnetb0": ("EfficientNetB0", (96, 96, 3)),
    "efficientnetv2b0": ("EfficientNetV2B0", (96, 96, 3)),
    "nasnetmobile": ("NASNetMobile", (224, 224, 3)),
    "vgg16": ("VGG16", (64, 64, 3)),
    "mobilenet": ("MobileNet", (96, 96, 3)),
    "mobilenetv3small": ("MobileNetV3Small", (96, 96, 3)),
    "mobilenetv3large": ("MobileNetV3Large", (96, 96, 3)),
    "xception": ("Xception", (96, 96, 3)),
    "convnexttiny": ("ConvNeXtTiny", (64, 64, 3)),
    "regnetx002": ("RegNetX002", (64, 64, 3)),
}


def dims(shape) -> list[int]:
    return [int(d) for d in shape if d is not None]


def keras3_graph(model) -> dict:
    ops = model.operations
    index = {id(op): i for i, op in enumerate(ops)}
    own = model._nodes
    shapes, edges, params = [], [], []
    for op in ops:
        nodes = [n for k, n in enumerate(op._inbound_nodes) if f"{id(op)}_ib-{k}" in own]
        shapes.append(dims(nodes[0].output_tensors[0].shape) if nodes else dims(op.output.shape))
        params.append(op.count_params() if hasattr(op, "count_params") and op.built else 0)
    for j, op in enumerate(ops):
        for k, node in enumerate(op._inbound_nodes):
            if f"{id(op)}_ib-{k}" not in own:
                continue
            for t in node.arguments.keras_tensors:
                i = index[id(t._keras_history.operation)]
                edges.append([i, j, math.prod(shapes[i])])
    return {"types": [op.__class__.__name__ for op in ops], "edges": sorted(edges), "shapes": shapes, "params": params}


def keras2_graph(model) -> dict:
    names = [layer["config"]["name"] for layer in model.get_config()["layers"]]
    types, shapes, params = [""] * len(names), [None] * len(names), [0] * len(names)
    edges = []
    for layer in model.layers:
        i = names.index(layer.name)
        out = layer.output_shape
        out = out[0] if isinstance(out, list) else out
        types[i], shapes[i], params[i] = layer.__class__.__name__, dims(out), layer.count_params()
        for node in layer._outbound_nodes:
            edges.append([i, names.index(node.outbound_layer.name), math.prod(shapes[i])])
    return {"types": types, "edges": sorted(edges), "shapes": shapes, "params": params}


def main(layout: str, names: list[str]) -> None:
    if layout == "k3":
        import keras

        graph = keras3_graph
    else:
        import tf_keras as keras

        graph = keras2_graph
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names or list(NETWORKS):
        ctor, shape = NETWORKS[name]
        model = getattr(keras.applications, ctor)(weights=None, input_shape=shape)
        with gzip.open(OUT / f"{name}.{layout}.json.gz", "wt", encoding="utf-8") as f:
            f.write(model.to_json())
        expected = graph(model)
        (OUT / f"{name}.{layout}.expected.json").write_text(json.dumps(expected, separators=(",", ":")) + "\n")
        print(f"{name}.{layout}: {len(expected['types'])} layers, {len(expected['edges'])} edges")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
