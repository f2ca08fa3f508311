"""Network: the time-free imported graph, its checks, its model-file round trip
and its Workload."""

from __future__ import annotations

import json

import pytest

from prism_cp import PrismError
from prism_cp.io import load_workload
from prism_cp.io.model_files import read_network, write_network_json
from prism_cp.network import Layer, Network


def small() -> Network:
    layers = (
        Layer("in", "InputLayer", (4, 4, 3)),
        Layer("conv", "Conv2D", (4, 4, 8), macs=4 * 4 * 8 * 27, params=27 * 8 + 8),
        Layer("relu", "ReLU", (4, 4, 8)),
        Layer("add", "Add", (4, 4, 8)),
    )
    return Network("small", layers, ((0, 1, 48), (1, 2, 128), (1, 3, 128), (2, 3, 128)), source="test")


def test_tokens_and_index():
    net = small()
    assert [layer.tokens for layer in net.layers] == [48, 128, 128, 128]
    assert Layer("s", "Dense", ()).tokens == 1
    assert net.index() == {"in": 0, "conv": 1, "relu": 2, "add": 3}


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda ls, es: (ls + (Layer("relu", "ReLU", (1,)),), es), "'relu' is used twice"),
        (lambda ls, es: (ls, es + ((3, 4, 1),)), "3->4 names a missing layer"),
        (lambda ls, es: (ls, es + ((3, 1, 1),)), "cycle through layers .*conv"),
        (lambda ls, es: (ls, es + ((2, 2, 1),)), "'relu' consumes its own output"),
        (lambda ls, es: (ls[:1] + (Layer("conv", "Conv2D", (4, -1)),) + ls[2:], es), "shape"),
        (lambda ls, es: (ls[:1] + (Layer("conv", "Conv2D", (4,), macs=-1),) + ls[2:], es), "macs"),
        (lambda ls, es: (ls[:1] + (Layer("conv", "", (4,)),) + ls[2:], es), "needs a type"),
        (lambda ls, es: ((), ()), "no layers"),
    ],
)
def test_bad_networks(edit, match):
    net = small()
    layers, edges = edit(net.layers, net.edges)
    with pytest.raises(PrismError, match=match):
        Network("bad", layers, edges)


def test_network_file_round_trip(tmp_path):
    net = small()
    path = write_network_json(tmp_path / "small.json", net, description="a test")
    again = read_network(path)
    assert again.layers == net.layers and again.edges == net.edges and again.name == net.name
    doc = json.loads(path.read_text())
    assert doc["description"] == "a test"
    assert doc["ops"][1] == {"index": 1, "name": "conv", "type": "Conv2D", "tokens": 128, "shape": [4, 4, 8], "macs": 3456, "params": 224}


def test_network_file_loads_as_workload(tmp_path):
    net = small()
    (tmp_path / "small.csv").write_text("index,name,cpu_us,npu_us\n0,in,1,1\n1,conv,2.5,1\n2,relu,1,1\n3,add,1,1\n")
    w = load_workload(write_network_json(tmp_path / "small.json", net))
    direct = net.to_workload({"cpu": (1.0, 2.5, 1.0, 1.0), "npu": (1.0,) * 4})
    assert w.op_names == direct.op_names and w.op_types == direct.op_types
    assert w.edges.tolist() == direct.edges.tolist() == [list(e) for e in net.edges]
    assert w.times == direct.times


def test_model_files_without_shapes_load_as_workloads_only(tmp_path):
    path = write_network_json(tmp_path / "small.json", small())
    doc = json.loads(path.read_text())
    for op in doc["ops"]:
        del op["shape"], op["macs"], op["params"]
    path.write_text(json.dumps(doc))
    (tmp_path / "small.csv").write_text("index,name,cpu_us,npu_us\n0,in,1,1\n1,conv,2.5,1\n2,relu,1,1\n3,add,1,1\n")
    assert load_workload(path).n_ops == 4
    with pytest.raises(PrismError, match="op 'in' \\(and 3 more\\) has no 'shape'"):
        read_network(path)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda op: op.update(shape=[4, "4"]), "shape must be a list"),
        (lambda op: op.update(shape=[4, 4, 9]), "tokens is 128 but its shape"),
        (lambda op: op.update(macs=1.5), "macs"),
        (lambda op: op.update(params=-3), "params"),
        (lambda op: op.update(flops=3), "optionally"),
    ],
)
def test_bad_network_fields(tmp_path, edit, match):
    path = write_network_json(tmp_path / "small.json", small())
    doc = json.loads(path.read_text())
    edit(doc["ops"][1])
    path.write_text(json.dumps(doc))
    with pytest.raises(PrismError, match=match):
        read_network(path)
