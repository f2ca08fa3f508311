"""`prism-cp extime measure`: ONNX Runtime's profile attributed to the
importer's ops (fused nodes split by work), a table that loads with the
imported model, and one-line errors for bad input."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime  # noqa: F401  the test extra installs it: a broken install must fail, not skip
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

from prism_cp.cli import app
from prism_cp.cost.measure import Kernel, group_ops, kernel_times, measure_onnx, split_time
from prism_cp.errors import PrismError
from prism_cp.cost.roofline import OpWork, op_work
from prism_cp.io import load_workload, read_onnx
from prism_cp.io.model_files import read_network
from prism_cp.network import Layer, Network


DATA = Path(__file__).parent / "data"
MOBILENET = DATA / "mobilenetv2.onnx"  # weights are graph inputs: measured with random weights
runner = CliRunner()
SUMMARY = re.compile(r"sum of per-op times ([\d.]+) ms = ([\d.]+) x the measured run \(([\d.]+) ms, 3 runs, 1 thread\)")


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def assert_user_error(result, mentions: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and mentions in lines[0], result.stderr


def fused_model(path: Path) -> Path:
    """Conv -> Relu (fused into one FusedConv), Flatten, MatMul -> Add (fused
    into one Gemm), Softmax; weights as initializers, as exporters write them."""
    rng = np.random.default_rng(1)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in (("w", (8, 3, 3, 3)), ("b", (8,)), ("m", (8 * 6 * 6, 10)), ("bias", (10,)))]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "m"], ["mm"], name="dense"),
        helper.make_node("Add", ["mm", "bias"], ["a"], name="dense_bias"),
        helper.make_node("Softmax", ["a"], ["y"], name="softmax"),
    ]
    graph = helper.make_graph(nodes, "fused", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], weights)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def test_mobilenet_table_loads_with_the_imported_model_every_op_timed(tmp_path: Path) -> None:
    table = tmp_path / "extime" / "mnv2.csv"
    result = run("extime", "measure", MOBILENET, "--out", table, "--runs", 3, "--threads", 1)
    assert result.exit_code == 0, result.output
    summary = SUMMARY.search(result.stdout)
    assert summary, result.stdout
    assert run("import", "onnx", MOBILENET, "--name", "mnv2", "--out", tmp_path / "models" / "mnv2.json").exit_code == 0
    workload = load_workload(tmp_path / "models" / "mnv2.json")  # finds extime/mnv2.csv
    names = tuple(layer.name for layer in read_onnx(MOBILENET).layers)
    assert workload.op_names == names
    assert all(t > 0 for t in workload.times["cpu"]) and all(t > 0 for t in workload.times["npu"])
    assert workload.estimated_times  # the NPU column is an estimate, and the table says so
    assert float(summary[1]) == pytest.approx(math.fsum(workload.times["cpu"]) / 1000, abs=0.05)
    total, ratio, whole = map(float, summary.groups())  # printed to 0.1 ms and 0.01: the ratio of the unrounded figures
    assert (total - 0.05) / (whole + 0.05) - 0.005 <= ratio <= (total + 0.05) / (whole - 0.05) + 0.005


def test_every_op_in_one_group_and_splits_sum_to_the_fused_time() -> None:
    m = measure_onnx(MOBILENET, runs=2, threads=1)
    covered = sorted(op for g in m.groups for op in g.ops)
    assert covered == list(range(len(m.network.layers)))
    names = {layer.name for layer in m.network.layers}
    assert sum(k.name in names for g in m.groups for k in g.kernels) == len(m.groups)  # ORT keeps the importer's names
    fused = [g for g in m.groups if len(g.ops) > 1]
    assert fused and all(m.network.layers[g.ops[0]].type == "Conv" for g in fused)  # Conv+Clip, Pad+Conv+Clip
    for g in m.groups:
        assert math.fsum(m.cpu_us[op] for op in g.ops) == pytest.approx(g.us, rel=1e-12)
    assert math.isclose(m.sum_us, math.fsum(g.us for g in m.groups), rel_tol=1e-12)


def test_fusions_of_a_model_with_initializers(tmp_path: Path) -> None:
    m = measure_onnx(fused_model(tmp_path / "f.onnx"), runs=3, threads=1)
    groups = {frozenset(m.network.layers[i].name for i in g.ops): g for g in m.groups}
    assert frozenset({"conv", "relu"}) in groups and frozenset({"dense", "dense_bias"}) in groups, groups.keys()
    gemm = groups[frozenset({"dense", "dense_bias"})]
    assert [k.op_type for k in gemm.kernels] == ["Gemm"]  # ORT's MatMulAddFusion
    assert all(t > 0 for t in m.cpu_us)
    work = op_work(m.network)
    dense, bias = m.network.index()["dense"], m.network.index()["dense_bias"]
    share = (1 + work[dense].elements / (work[dense].elements + work[bias].elements)) / 2  # dense does all the MACs
    assert m.cpu_us[dense] == pytest.approx(gemm.us * share, rel=1e-12)
    assert m.cpu_us[dense] + m.cpu_us[bias] == pytest.approx(gemm.us, rel=1e-12)


def test_split_time_by_macs_and_bytes() -> None:
    assert split_time(100.0, [OpWork("Conv", 300, 40), OpWork("Conv", 100, 120), OpWork("Relu", 0, 40)]) == pytest.approx((0.75 * 50 + 0.2 * 50, 0.25 * 50 + 0.6 * 50, 0.2 * 50))
    assert split_time(10.0, [OpWork("Add", 0, 4), OpWork("Relu", 0, 12)]) == pytest.approx((2.5, 7.5))


def chain(*names: str) -> Network:
    return Network("c", tuple(Layer(n, "T", (4,)) for n in names), tuple((i, i + 1, 4) for i in range(len(names) - 1)))


def test_group_ops_anchors_by_name_output_and_prefix() -> None:
    net = chain("shape", "conv", "bn", "relu", "mm", "add", "out")
    outputs = [(f"t{i}",) for i in range(7)]
    kernels = [
        Kernel("conv", "FusedConv", ("t3",), 5.0),  # Conv+BN+Relu: named after the conv, writes relu's output
        Kernel("mm_token_2", "MatMul", ("renamed",), 2.0),  # a derived name, an output of ORT's own
        Kernel("Softmax_1", "Softmax", ("t6",), 1.0),  # a name of ORT's own, the output of op 6
    ]
    groups = group_ops(net, outputs, kernels)
    # shape (folded) joins its consumer's group, bn the group relu joined by its output, add its consumer's
    assert [g.ops for g in groups] == [(1, 0, 2, 3), (4,), (6, 5)]
    assert [[k.name for k in g.kernels] for g in groups] == [["conv"], ["mm_token_2"], ["Softmax_1"]]
    with pytest.raises(PrismError, match="ReorderInput"):
        group_ops(net, outputs, [Kernel("ReorderInput", "ReorderInput", ("x",), 1.0)])


def test_kernel_times_average_the_runs_after_the_warm_up() -> None:
    def run_event(ts: int) -> dict:
        return {"cat": "Session", "name": "model_run", "ts": ts, "dur": 50}

    def node(ts: int, dur: int) -> dict:
        return {"cat": "Node", "name": "conv_kernel_time", "ts": ts, "dur": dur, "args": {"op_name": "Conv"}}

    events = [run_event(0), node(1, 40), run_event(100), node(101, 10), {"cat": "Node", "name": "conv_fence_before", "ts": 102, "dur": 9}, run_event(200), node(201, 20)]
    assert kernel_times(events, 2) == {"conv": ("Conv", 15.0)}
    with pytest.raises(PrismError, match="3 runs"):
        kernel_times(events, 4)


def test_bad_input_one_line_errors(tmp_path: Path) -> None:
    truncated = tmp_path / "t.onnx"
    truncated.write_bytes(MOBILENET.read_bytes()[:5000])
    assert_user_error(run("extime", "measure", truncated, "--out", tmp_path / "t.csv"), "is not an ONNX model")
    custom = tmp_path / "custom.onnx"  # the importer reads it; onnxruntime has no kernel for the op
    graph = helper.make_graph([helper.make_node("Frobnicate", ["x"], ["y"], name="f", domain="example.custom")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("example.custom", 1)]), custom)
    assert_user_error(run("extime", "measure", custom, "--out", tmp_path / "c.csv"), "onnxruntime cannot load the model")
    for option in ("--runs", "--threads"):
        assert_user_error(run("extime", "measure", MOBILENET, "--out", tmp_path / "m.csv", option, 0), f"{option} must be a whole number >= 1")
    assert not list(tmp_path.glob("*.csv"))


def test_measure_without_onnxruntime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert_user_error(run("extime", "measure", MOBILENET, "--out", tmp_path / "m.csv"), "pip install 'prism_cp[measure]'")


def test_resnet50_builder_has_the_keras_layout(tmp_path: Path) -> None:
    """benchmarks/make_resnet50_onnx.py at the bundled model's 96x96: the
    importer reads Keras's ops in Keras's order with the same sizes and work."""
    spec = importlib.util.spec_from_file_location("make_resnet50_onnx", Path(__file__).parent.parent / "benchmarks" / "make_resnet50_onnx.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    onnx.save(builder.resnet50(96), tmp_path / "r.onnx")
    built, keras = read_onnx(tmp_path / "r.onnx"), read_network("resnet50")
    assert [layer.name for layer in built.layers] == [layer.name for layer in keras.layers[1:]] + ["predictions_softmax"]  # no InputLayer op in ONNX
    for ours, theirs in zip(built.layers, keras.layers[1:]):
        assert (ours.tokens, ours.macs) == (theirs.tokens, theirs.macs), ours.name
        assert ours.params == (8 if ours.type == "Pad" else theirs.params), ours.name  # ONNX Pad takes its pads as a tensor
    ours_edges = {(built.layers[s].name, built.layers[d].name, t) for s, d, t in built.edges}
    assert ours_edges == {(keras.layers[s].name, keras.layers[d].name, t) for s, d, t in keras.edges if s > 0} | {("predictions", "predictions_softmax", 1000)}
