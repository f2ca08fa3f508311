"""Write ResNet-50 as an ONNX file with random weights, built with onnx.helper
and numpy (nothing downloaded): the layout of keras.applications.ResNet50,
node for node and named as its layers (models/resnet50.json), so that
`prism-cp import onnx` reads the same ops. Inputs are NCHW with a symbolic
batch; Dense(softmax) is a Gemm named `predictions` and a Softmax
`predictions_softmax`; GlobalAveragePooling2D is a ReduceMean.

    python benchmarks/make_resnet50_onnx.py OUT.onnx [--size 224]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STAGES = (("conv2", 64, 3, 1), ("conv3", 128, 4, 2), ("conv4", 256, 6, 2), ("conv5", 512, 3, 2))  # name, filters, blocks, first stride
CLASSES = 1000
OPSET = 13  # ReduceMean takes its axes as an attribute


class Builder:
    """Nodes and initializers of the graph being built, in Keras's layer order."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.channels: dict[str, int] = {}  # tensor -> channels

    def weight(self, name: str, array: np.ndarray, dtype: type = np.float32) -> str:
        self.weights.append(numpy_helper.from_array(array.astype(dtype), name))
        return name

    def node(self, op: str, name: str, inputs: list[str], channels: int, **attrs: object) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        self.channels[name] = channels
        return name

    def conv(self, name: str, x: str, filters: int, kernel: int, stride: int = 1, same: bool = False) -> str:
        """Conv2D with bias, He-initialized so that activations keep their scale."""
        cin = self.channels[x]
        w = self.rng.standard_normal((filters, cin, kernel, kernel)) * np.sqrt(2 / (cin * kernel * kernel))
        pads = [kernel // 2] * 4 if same else [0] * 4
        inputs = [x, self.weight(f"{name}_w", w), self.weight(f"{name}_b", np.zeros(filters))]
        return self.node("Conv", name, inputs, filters, kernel_shape=[kernel, kernel], strides=[stride, stride], pads=pads)

    def bn(self, name: str, x: str) -> str:
        c = self.channels[x]
        params = [self.weight(f"{name}_{p}", v) for p, v in (("scale", np.ones(c)), ("bias", np.zeros(c)), ("mean", np.zeros(c)), ("var", np.ones(c)))]
        return self.node("BatchNormalization", name, [x, *params], c, epsilon=1.001e-5)

    def relu(self, name: str, x: str) -> str:
        return self.node("Relu", name, [x], self.channels[x])

    def pad(self, name: str, x: str, p: int) -> str:
        pads = self.weight(f"{name}_pads", np.array([0, 0, p, p, 0, 0, p, p]), np.int64)  # ZeroPadding2D: H and W
        return self.node("Pad", name, [x, pads], self.channels[x])


def block(b: Builder, x: str, name: str, filters: int, stride: int, shortcut_conv: bool) -> str:
    """Keras's resnet.block1: 1x1 (strided), 3x3, 1x1 x4, plus the shortcut."""
    y = b.relu(f"{name}_1_relu", b.bn(f"{name}_1_bn", b.conv(f"{name}_1_conv", x, filters, 1, stride)))
    y = b.relu(f"{name}_2_relu", b.bn(f"{name}_2_bn", b.conv(f"{name}_2_conv", y, filters, 3, same=True)))
    if shortcut_conv:
        shortcut = b.conv(f"{name}_0_conv", x, 4 * filters, 1, stride)
        y = b.conv(f"{name}_3_conv", y, 4 * filters, 1)
        shortcut = b.bn(f"{name}_0_bn", shortcut)
    else:
        shortcut, y = x, b.conv(f"{name}_3_conv", y, 4 * filters, 1)
    y = b.bn(f"{name}_3_bn", y)
    return b.relu(f"{name}_out", b.node("Add", f"{name}_add", [shortcut, y], 4 * filters))


def resnet50(size: int = 224, seed: int = 0) -> onnx.ModelProto:
    """The model, input (N, 3, size, size), output (N, 1000) class probabilities."""
    b = Builder(seed)
    b.channels["input_layer"] = 3
    x = b.pad("conv1_pad", "input_layer", 3)
    x = b.relu("conv1_relu", b.bn("conv1_bn", b.conv("conv1_conv", x, 64, 7, 2)))
    x = b.node("MaxPool", "pool1_pool", [b.pad("pool1_pad", x, 1)], 64, kernel_shape=[3, 3], strides=[2, 2])
    for stage, filters, blocks, stride in STAGES:
        for i in range(1, blocks + 1):
            x = block(b, x, f"{stage}_block{i}", filters, stride if i == 1 else 1, shortcut_conv=i == 1)
    x = b.node("ReduceMean", "avg_pool", [x], 2048, axes=[2, 3], keepdims=0)
    dense = [b.weight("predictions_w", b.rng.standard_normal((2048, CLASSES)) * np.sqrt(1 / 2048)), b.weight("predictions_b", np.zeros(CLASSES))]
    x = b.node("Gemm", "predictions", [x, *dense], CLASSES)
    b.node("Softmax", "predictions_softmax", [x], CLASSES, axis=1)
    graph = helper.make_graph(
        b.nodes, "resnet50",
        [helper.make_tensor_value_info("input_layer", TensorProto.FLOAT, ["N", 3, size, size])],
        [helper.make_tensor_value_info("predictions_softmax", TensorProto.FLOAT, ["N", CLASSES])],
        b.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="prism_cp benchmarks/make_resnet50_onnx.py")
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="ONNX file to write")
    parser.add_argument("--size", type=int, default=224, help="input height and width (default 224; the bundled model: 96)")
    args = parser.parse_args()
    onnx.save(resnet50(args.size), args.out)
    print(f"ResNet-50 ({args.size}x{args.size}, random weights) -> {args.out}")


if __name__ == "__main__":
    main()
