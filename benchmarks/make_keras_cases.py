"""Regenerate tests/data/keras/: keras.applications networks saved with
`model.to_json()` plus the graph the framework itself reports for them.

Not run by the tests (it needs Keras; weights=None, so nothing is downloaded):

    python3 -m venv /tmp/k3 && /tmp/k3/bin/pip install keras jax
    KERAS_BACKEND=jax /tmp/k3/bin/python benchmarks/make_keras_cases.py k3 [NAME ...] [--more --out DIR]
    python3 -m venv /tmp/k2 && /tmp/k2/bin/pip install tensorflow-cpu tf-keras
    TF_USE_LEGACY_KERAS=1 /tmp/k2/bin/python benchmarks/make_keras_cases.py k2 [NAME ...] [--more --out DIR]

Each network gives `<name>.<k2|k3>.json.gz` (the model JSON) and
`<name>.<k2|k3>.expected.json`: `{"types", "edges", "shapes", "params"}` with
op i = entry i of config.layers, edges sorted, one per producer->consumer use,
tokens = elements of the producer's first output (batch left out), shapes of
every op's first output and Keras's own `count_params()` per layer. Keras 3
also saves the zoo network as `zoo.keras` (what `model.save` writes).

* Keras 3: edges from each op's call node (`node.arguments.keras_tensors`),
  shapes from the symbolic output tensors.
* Keras 2 (tf-keras): the reference compiler's rule, one edge per entry of
  `layer._outbound_nodes`, tokens from `layer.output_shape`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
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
    "regnetx002": ("RegNetX002", (64, 64, 3)),  # tf-keras only
}
#: more networks to check the importer on (`--more`), not kept as test data
MORE: dict[str, tuple[str, tuple[int, int, int]]] = {
    "resnet101": ("ResNet101", (96, 96, 3)),
    "resnet152v2": ("ResNet152V2", (96, 96, 3)),
    "densenet201": ("DenseNet201", (96, 96, 3)),
    "efficientnetb3": ("EfficientNetB3", (96, 96, 3)),
    "efficientnetb7": ("EfficientNetB7", (96, 96, 3)),
    "efficientnetv2s": ("EfficientNetV2S", (96, 96, 3)),
    "nasnetlarge": ("NASNetLarge", (331, 331, 3)),
    "vgg19": ("VGG19", (64, 64, 3)),
    "mobilenetv3large_min": ("MobileNetV3Large", (96, 96, 3)),
    "convnextsmall": ("ConvNeXtSmall", (64, 64, 3)),
    "regnety004": ("RegNetY004", (64, 64, 3)),  # tf-keras only
    "resnetrs50": ("ResNetRS50", (96, 96, 3)),  # tf-keras only
}


def zoo(keras):
    """A made-up network with one of each layer kind and option the shape rules
    cover (padding, strides, dilation, groups, depth multiplier, transposed
    convolutions, 1-D and 3-D maps, reshaping, broadcasting, `x + 3`...)."""
    L = keras.layers
    image = L.Input((33, 30, 6), name="image")
    x = L.Conv2D(8, 3, strides=2, padding="same", name="conv_same_s2")(image)
    x = L.Conv2D(8, 3, dilation_rate=2, name="conv_dilated")(x)
    g = L.Conv2D(12, (3, 1), groups=4, padding="same", name="conv_groups")(x)
    d = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, name="depthwise_s2_m2")(g)
    s = L.SeparableConv2D(16, 5, padding="same", depth_multiplier=2, name="separable_m2")(d)
    t1 = L.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1, name="deconv_same_op1")(s)
    t2 = L.Conv2DTranspose(4, 3, strides=2, padding="valid", name="deconv_valid")(s)
    t3 = L.Conv2DTranspose(4, (4, 3), strides=(3, 2), padding="same", name="deconv_same")(s)
    p1 = L.MaxPooling2D(3, strides=2, padding="same", name="maxpool_same")(t2)
    p2 = L.AveragePooling2D((2, 3), name="avgpool")(t1)
    c = L.Cropping2D(((1, 2), (0, 1)), name="crop")(t3)
    z = L.ZeroPadding2D(((1, 0), (2, 3)), name="pad")(c)
    u = L.UpSampling2D((2, 3), name="upsample")(p1)
    r = L.Resizing(20, 24, name="resize")(u)
    cat = L.Concatenate(axis=1, name="concat_axis1")([L.Resizing(7, 9, name="resize_a")(r), L.Resizing(5, 9, name="resize_b")(z)])
    se = L.GlobalMaxPooling2D(keepdims=True, name="gmp_keepdims")(cat)
    m = L.Multiply(name="broadcast_mul")([cat, se])
    plus = m + 3.0
    prod = plus * m
    ln = L.LayerNormalization(name="layernorm")(prod)
    bn = L.BatchNormalization(name="bn", center=False)(ln)
    a = L.Reshape((-1, 8), name="reshape_layer")(bn)
    a = L.Permute((2, 1), name="permute")(a)
    a = L.Conv1D(5, 3, strides=2, padding="causal", name="conv1d_causal")(a)
    a = L.MaxPooling1D(2, padding="same", name="maxpool1d")(a)
    a = L.Flatten(name="flatten")(a)
    a = L.Dense(7, name="dense")(a)
    a = L.RepeatVector(3, name="repeat")(a)
    a = L.Dense(2, use_bias=False, name="dense_3d")(a)
    volume = L.Input((9, 8, 7, 2), name="volume")
    v = L.Conv3D(3, (3, 2, 2), strides=(2, 1, 2), name="conv3d")(volume)
    v = L.AveragePooling3D(2, padding="same", name="avgpool3d")(v)
    v = L.GlobalAveragePooling3D(name="gap3d")(v)
    v = L.Multiply(name="square")([v, v])  # one tensor used twice: two edges
    if hasattr(keras, "ops"):  # Keras 3 functional ops
        o = keras.ops
        mean, concat, total = o.mean, o.concatenate, o.sum
        parts = o.split(prod, [1], axis=-1)  # split points
    else:  # TFOpLambda layers
        import tensorflow as o

        mean, concat, total = o.reduce_mean, o.concat, o.reduce_sum
        parts = o.split(prod, [1, -1], axis=-1)  # part sizes
    parts = L.Add(name="split_sum")(parts)  # (12, 9, 1) + (12, 9, 3): outputs 0 and 1 of one op
    rows = o.unstack(parts, axis=1)  # 12 outputs of (9, 3)
    rows = L.Add(name="rows")([rows[0], rows[2]])
    f = mean(prod, axis=[1, 2], keepdims=True)  # (1, 1, 4)
    f = o.expand_dims(o.reshape(f, (-1, 2, 2)), axis=1)  # (1, 2, 2)
    f = o.transpose(f, (0, 2, 3, 1))  # (2, 2, 1)
    f = 1.0 - total(concat([f, f], axis=-1), axis=-1)  # (2, 2); a constant first operand
    shared = L.Dense(3, name="shared_dense")  # one layer called twice: two calls
    pooled = L.GlobalAveragePooling2D(name="gap")(p2)
    return keras.Model([image, volume], [a, f, rows, shared(pooled), shared(L.Dense(4, name="to4")(v))], name="zoo")


def sequential(keras):
    """A Sequential model (a chain of layers)."""
    L = keras.layers
    layers = [L.Conv2D(4, 3, strides=2, name="conv"), L.BatchNormalization(name="bn"), L.ReLU(name="relu"), L.Flatten(name="flatten"), L.Dense(3, name="dense")]
    return keras.Sequential([keras.Input((17, 15, 3)), *layers], name="sequential")


def transfer(keras):
    """A pretrained-base pattern: a keras.applications model used as one layer,
    with a new head. (The base is built for the input size it gets: for a base
    built for any size, the reference counts only the known dims of its output
    shape, (None, None, None, 1280) -> 1280 tokens, where prism_cp counts the
    elements of the output it really gives.)"""
    base = keras.applications.MobileNetV2(weights=None, include_top=False, alpha=0.35, input_shape=(64, 80, 3))
    image = keras.Input((64, 80, 3), name="image")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(base(image))
    return keras.Model(image, keras.layers.Dense(5, name="head")(x), name="transfer")


def dims(shape) -> list[int]:
    return [int(d) for d in shape if d is not None]


def keras3_graph(model) -> dict:
    model = getattr(model, "_functional", None) or model  # a Sequential's graph, its InputLayer included
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
    layers = list(model.layers)
    if len(layers) != len(names):  # a Sequential: the reference adds the InputLayer model.layers leaves out
        layers.insert(0, layers[0]._inbound_nodes[0].inbound_layers)
    for layer in layers:
        i = names.index(layer.name)
        out = layer.output_shape
        out = out[0] if isinstance(out, list) else out
        types[i], shapes[i], params[i] = layer.__class__.__name__, dims(out), layer.count_params()
        for node in layer._outbound_nodes:
            edges.append([i, names.index(node.outbound_layer.name), math.prod(shapes[i])])
    return {"types": types, "edges": sorted(edges), "shapes": shapes, "params": params}


def main() -> None:
    parser = argparse.ArgumentParser(description="Save keras.applications networks and their frameworks' graphs.")
    parser.add_argument("layout", choices=["k2", "k3"])
    parser.add_argument("names", nargs="*", help="default: zoo and every network of NETWORKS")
    parser.add_argument("--more", action="store_true", help="the networks of MORE instead")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.layout == "k3":
        import keras

        graph = keras3_graph
    else:
        import tf_keras as keras

        graph = keras2_graph
    table = MORE if args.more else NETWORKS
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or ([] if args.more else list(BUILT)) + list(table):
        if name in BUILT:
            model = BUILT[name](keras)
        else:
            ctor, shape = {**NETWORKS, **MORE}[name]
            if not hasattr(keras.applications, ctor):
                print(f"{name}.{args.layout}: this Keras has no keras.applications.{ctor}; skipped")
                continue
            extra = {"minimalistic": True} if name.endswith("_min") else {}
            model = getattr(keras.applications, ctor)(weights=None, input_shape=shape, **extra)
        with gzip.open(args.out / f"{name}.{args.layout}.json.gz", "wt", encoding="utf-8") as f:
            f.write(model.to_json())
        if name == "zoo" and args.layout == "k3":
            model.save(args.out / "zoo.keras")  # the archive Keras 3's model.save writes
        expected = graph(model)
        (args.out / f"{name}.{args.layout}.expected.json").write_text(json.dumps(expected, separators=(",", ":")) + "\n")
        print(f"{name}.{args.layout}: {len(expected['types'])} layers, {len(expected['edges'])} edges")


#: networks built here rather than taken from keras.applications
BUILT = {"zoo": zoo, "sequential": sequential, "transfer": transfer}

if __name__ == "__main__":
    main()
