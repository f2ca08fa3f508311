"""ONNX import: the shipped MobileNetV2 graph (weights as graph inputs) equals
the expected one, external weights are never needed, MACs follow from shapes,
and every bad file is one PrismError naming what is wrong."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from prism_cp import PrismError, Problem
from prism_cp.io import load_platform
from prism_cp.io.onnx import read_onnx

DATA = Path(__file__).parent / "data"


def test_mobilenetv2_is_the_expected_graph():
    net = read_onnx(DATA / "mobilenetv2.onnx")
    expected = json.loads((DATA / "mobilenetv2.onnx.expected.json").read_text())
    model = onnx.load(DATA / "mobilenetv2.onnx", load_external_data=False)
    assert net.name == "mobilenetv2" and len(net.layers) == len(model.graph.node)  # graph inputs are no ops
    assert [layer.type for layer in net.layers] == expected["types"]
    assert sorted(map(list, net.edges)) == sorted(expected["edges"])
    conv1 = net.layers[1]  # 3x3 stride 2 convolution, 3 -> 32 channels, on 96x96
    assert (conv1.type, conv1.tokens) == ("Conv", 48 * 48 * 32)
    assert conv1.macs == 48 * 48 * 32 * 3 * 3 * 3 and conv1.params == 32 * 3 * 3 * 3 + 32
    head = net.layers[-2]
    assert (head.type, head.macs, head.params) == ("MatMul", 1280 * 1000, 1280 * 1000)


def test_mobilenetv2_macs_agree_with_the_keras_import():
    """Two formats of one network, two importers: the same multiply-accumulates."""
    from prism_cp.io import read_keras

    keras = read_keras(DATA / "keras" / "mobilenetv2.k3.json")
    assert sum(layer.macs for layer in read_onnx(DATA / "mobilenetv2.onnx").layers) == sum(layer.macs for layer in keras.layers) == 56_289_152


def _model(nodes, inputs, outputs, initializers=(), name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _tiny(batch="N"):
    """Conv (4 filters 3x3 on 3x8x8) -> Relu -> Flatten -> Gemm (256 -> 10), batch `batch`."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 10])
    w = numpy_helper.from_array(np.full((4, 3, 3, 3), 0.5, dtype=np.float32), "w")
    b = numpy_helper.from_array(np.full((256, 10), 0.1, dtype=np.float32), "fc")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),  # unnamed
        helper.make_node("Flatten", ["r"], ["f"], name="conv"),  # a name used before
        helper.make_node("Gemm", ["f", "fc"], ["y"], name="dense"),
    ]
    return _model(nodes, [x], [y], [w, b])


def test_small_model_shapes_macs_names_and_symbolic_batch(tmp_path):
    path = tmp_path / "tiny.onnx"
    onnx.save(_tiny(), path)
    net = read_onnx(path, name="mine")
    assert net.name == "mine"
    assert [layer.name for layer in net.layers] == ["conv", "Relu_1", "conv_2", "dense"]
    assert [layer.shape for layer in net.layers] == [(4, 8, 8), (4, 8, 8), (256,), (10,)]  # batch N left out
    assert [layer.macs for layer in net.layers] == [256 * 27, 0, 0, 10 * 256]
    assert [layer.params for layer in net.layers] == [108, 0, 0, 2560]
    assert net.edges == ((0, 1, 256), (1, 2, 256), (2, 3, 256))


def test_external_weights_are_not_read(tmp_path):
    path = tmp_path / "ext.onnx"
    onnx.save(_tiny(batch=1), path, save_as_external_data=True, all_tensors_to_one_file=True, location="w.bin", size_threshold=0)
    assert all(t.data_location == TensorProto.EXTERNAL for t in onnx.load(path, load_external_data=False).graph.initializer)
    (tmp_path / "w.bin").unlink()  # shapes live in the graph; the weights file is never opened
    net = read_onnx(path)
    assert [layer.macs for layer in net.layers] == [256 * 27, 0, 0, 10 * 256]
    assert [layer.tokens for layer in net.layers] == [256, 256, 256, 10]


def test_matmul_macs_leave_out_symbolic_dims_like_tokens(tmp_path):
    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, ["B", "S", 64])
    k = helper.make_tensor_value_info("k", TensorProto.FLOAT, ["B", 64, "S"])
    v = helper.make_tensor_value_info("v", TensorProto.FLOAT, ["B", "S", 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("MatMul", ["q", "k"], ["s"], name="scores"), helper.make_node("MatMul", ["s", "v"], ["y"], name="mix")]
    onnx.save(_model(nodes, [q, k, v], [y]), tmp_path / "attn.onnx")
    scores, mix = read_onnx(tmp_path / "attn.onnx").layers
    assert (scores.shape, scores.macs) == ((), 64)  # (B, S, S): per unit of B and S twice, 64 MACs each
    assert (mix.shape, mix.macs) == ((64,), 64)  # (B, S, 64), reduction over S


def test_a_tensor_used_twice_gives_two_edges(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"), helper.make_node("Mul", ["r", "r"], ["y"], name="square")]
    onnx.save(_model(nodes, [x], [y]), tmp_path / "sq.onnx")
    assert read_onnx(tmp_path / "sq.onnx").edges == ((0, 1, 10), (0, 1, 10))


@pytest.mark.parametrize(
    "content, match",
    [
        (b"\x08\x07garbage\xff\xff\xff", "is not an ONNX model"),
        (b"", "found no nodes"),
    ],
)
def test_malformed_files(tmp_path, content, match):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(PrismError, match=match):
        read_onnx(path)


def test_a_tensor_nothing_defines(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])
    nodes = [helper.make_node("Add", ["x", "ghost"], ["y"], name="add")]
    onnx.save(_model(nodes, [x], [y]), tmp_path / "m.onnx")
    with pytest.raises(PrismError, match=r"node 0 \(add, Add\) reads tensor 'ghost'"):
        read_onnx(tmp_path / "m.onnx")


def test_a_cycle_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="first"), helper.make_node("Relu", ["a"], ["b"], name="second"),
             helper.make_node("Relu", ["a"], ["y"], name="out")]
    onnx.save(_model(nodes, [x], [y]), tmp_path / "loop.onnx")
    with pytest.raises(PrismError, match=r"cycle through node \d \((first|second), (Add|Relu)\) -> node"):
        read_onnx(tmp_path / "loop.onnx")


def test_unknown_shape_is_an_error_not_a_number(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Mystery", ["x"], ["m"], name="odd", domain="custom.ops"), helper.make_node("Relu", ["m"], ["y"], name="relu")]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom.ops", 1)])
    onnx.save(model, tmp_path / "odd.onnx")
    with pytest.raises(PrismError, match=r"no shape for tensor 'm' of node 0 \(odd, Mystery\)"):
        read_onnx(tmp_path / "odd.onnx")


def test_without_the_onnx_package_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(PrismError, match=r"pip install 'prism_cp\[onnx\]'"):
        read_onnx(DATA / "mobilenetv2.onnx")


def test_platforms_state_the_onnx_op_types_their_npu_runs():
    net = read_onnx(DATA / "mobilenetv2.onnx")
    workload = net.to_workload({"cpu": [1.0] * len(net.layers), "npu": [1.0] * len(net.layers)})
    grai = load_platform("grai")
    npu_ok = Problem(workload, grai).npu_ok
    assert {t for t, ok in zip(workload.op_types, npu_ok) if ok} == {"Conv", "Clip", "Pad", "Add", "GlobalAveragePool", "MatMul", "Softmax"}
    assert {t for t, ok in zip(workload.op_types, npu_ok) if not ok} == {"Transpose", "Squeeze"}
    assert not any(Problem(workload, load_platform("mubrain")).npu_ok)


def test_tensors_read_inside_a_subgraph_are_edges(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    then_out = helper.make_tensor_value_info("t", TensorProto.FLOAT, [4])
    else_out = helper.make_tensor_value_info("e", TensorProto.FLOAT, [4])
    then_branch = helper.make_graph([helper.make_node("Relu", ["r"], ["t"])], "then", [], [then_out])
    else_branch = helper.make_graph([helper.make_node("Neg", ["r"], ["e"])], "else", [], [else_out])
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_branch, else_branch=else_branch)]
    onnx.save(_model(nodes, [x, cond], [y]), tmp_path / "if.onnx")
    net = read_onnx(tmp_path / "if.onnx")
    assert [layer.type for layer in net.layers] == ["Relu", "If"] and net.edges == ((0, 1, 4),)
