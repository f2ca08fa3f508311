"""The Keras importer against graphs the frameworks themselves report
(tests/data/keras/README.md says where they come from), and on bad input."""

from __future__ import annotations

import copy
import gzip
import json
import zipfile
from pathlib import Path

import pytest

from prism_cp import PrismError
from prism_cp.io import load_workload, read_network
from prism_cp.io.keras import import_keras_json, read_keras

DATA = Path(__file__).parent / "data"
KERAS = DATA / "keras"
#: the layer types whose weights the importer counts (Keras's count_params() is the oracle)
WEIGHTED = {
    "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Dense", "BatchNormalization", "LayerNormalization",
    "Sequential", "Functional",
}  # fmt: skip
CASES = sorted(p.name.removesuffix(".json.gz") for p in KERAS.glob("*.json.gz"))


def model_doc(case: str) -> dict:
    path = KERAS / f"{case}.json.gz"
    return json.loads(gzip.open(path).read() if path.exists() else (KERAS / f"{case}.json").read_text())


def write(tmp_path: Path, doc: dict, name: str = "m.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def check_against_expected(tmp_path: Path, case: str, doc: dict, recorded_shapes: bool = True) -> None:
    expected = json.loads((KERAS / f"{case}.expected.json").read_text())
    net = read_keras(write(tmp_path, doc), recorded_shapes=recorded_shapes)
    assert [layer.type for layer in net.layers] == expected["types"]
    assert [list(e) for e in net.edges] == sorted(expected["edges"])
    if "shapes" in expected:
        assert [list(layer.shape) for layer in net.layers] == expected["shapes"]
        counted = [(layer.name, layer.params, p) for layer, p in zip(net.layers, expected["params"]) if layer.type in WEIGHTED]
        assert [c[1] for c in counted] == [c[2] for c in counted]


@pytest.mark.parametrize("case", ["mobilenetv2.k2", "mobilenetv2.k3"])
def test_mobilenetv2_gives_the_expected_graph(tmp_path, case):
    check_against_expected(tmp_path, case, model_doc(case))


@pytest.mark.parametrize("case", CASES)
def test_applications_give_the_frameworks_graph(tmp_path, case):
    check_against_expected(tmp_path, case, model_doc(case))


@pytest.mark.parametrize("case", ["mobilenetv2.k3"] + [c for c in CASES if c.endswith(".k3")])
def test_keras3_shapes_are_inferred_too(tmp_path, case):
    """Without the recorded shapes, the rules alone give the same graph and shapes."""
    check_against_expected(tmp_path, case, model_doc(case), recorded_shapes=False)


def test_keras3_archive(tmp_path):
    """A `.keras` file (Keras 3's model.save) is read through its config.json; weights are ignored."""
    archived = read_keras(KERAS / "zoo.keras")
    saved = read_keras(write(tmp_path, model_doc("zoo.k3")))
    assert archived.layers == saved.layers and archived.edges == saved.edges
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as z:
        z.writestr("metadata.json", "{}")
    with pytest.raises(PrismError, match="neither a Keras model JSON nor a .keras archive"):
        read_keras(tmp_path / "empty.keras")


def test_xception_gives_the_bundled_graph():
    net = read_keras(DATA / "xception.keras.json")
    bundled = load_workload("xception")
    assert len(net.edges) == 145
    assert [list(e) for e in net.edges] == bundled.edges.tolist()  # with the reference's tokens
    assert tuple(layer.name for layer in net.layers) == bundled.op_names
    assert tuple(layer.type for layer in net.layers) == bundled.op_types
    assert read_network("xception").layers == net.layers  # the bundled file records the importer's shapes and work
    w = import_keras_json(DATA / "xception.keras.json", DATA / "xception.extime.pkl")
    assert w.edges.tolist() == bundled.edges.tolist() and w.times == bundled.times


def test_name_and_work():
    net = read_keras(DATA / "xception.keras.json", name="mine")
    assert net.name == "mine" and read_keras(DATA / "xception.keras.json").name == "xception"
    conv = net.layers[1]  # block1_conv1: 3x3, 32 filters, stride 2, valid, no bias, on 96x96x3
    assert (conv.shape, conv.macs, conv.params) == ((47, 47, 32), 47 * 47 * 32 * 27, 27 * 32)
    assert all(layer.macs == 0 for layer in net.layers if layer.type in {"BatchNormalization", "Activation", "Add"})


# --- bad input --------------------------------------------------------------------------


def _layers(doc: dict) -> list[dict]:
    return doc["config"]["layers"]


def _rename_input(doc: dict) -> None:
    _layers(doc)[1]["inbound_nodes"] = [[["no_such_layer", 0, 0, {}]]]


def _duplicate(doc: dict) -> None:
    _layers(doc)[3]["name"] = _layers(doc)[2]["name"]


def _cycle(doc: dict) -> None:
    _layers(doc)[1]["inbound_nodes"][0].append([_layers(doc)[3]["name"], 0, 0, {}])


def _unsupported(doc: dict) -> None:
    _layers(doc)[2]["class_name"] = "MyCustomLayer"


def _bad_merge(doc: dict) -> None:
    add = next(layer for layer in _layers(doc) if layer["class_name"] == "Add")
    add["inbound_nodes"][0][1][0] = "input_1"  # a 23x23x128 map plus the 96x96x3 input


def _unknown_input_dims(doc: dict) -> None:
    _layers(doc)[0]["config"]["batch_input_shape"] = [None, None, None, 3]


def _tf_function(doc: dict) -> None:
    layer = _layers(doc)[3]
    layer.update(class_name="TFOpLambda", config={"name": layer["name"], "function": "linalg.svd"})


@pytest.mark.parametrize(
    "edit, match",
    [
        (_rename_input, "layer 'block1_conv1' takes input from 'no_such_layer', which is not a layer of the model"),
        (_duplicate, "layer name 'block1_conv1_bn' is used twice"),
        (_cycle, "cycle: .*block1_conv1"),
        (_unsupported, r"layer 'block1_conv1_bn' \(MyCustomLayer\): no shape rule"),
        (_bad_merge, r"layer 'add' \(Add\): input shapes \(23, 23, 128\) and \(96, 96, 3\) do not line up"),
        (_unknown_input_dims, r"layer 'input_1' \(InputLayer\): .*unknown dimensions"),
        (_tf_function, r"\(TFOpLambda\): no shape rule for the TensorFlow function tf.linalg.svd"),
    ],
)
def test_bad_keras2_models(tmp_path, edit, match):
    doc = json.loads((DATA / "xception.keras.json").read_text())
    edit(doc)
    with pytest.raises(PrismError, match=match) as e:
        read_keras(write(tmp_path, doc))
    assert "\n" not in str(e.value)


def test_bad_keras3_merge_and_reference(tmp_path):
    doc = model_doc("mobilenetv2.k3")
    add = next(layer for layer in _layers(doc) if layer["class_name"] == "Add")
    bad = copy.deepcopy(doc)
    tensor = next(layer for layer in _layers(bad) if layer["name"] == add["name"])["inbound_nodes"][0]["args"][0][1]
    tensor["config"].update(shape=[None, 96, 96, 3], keras_history=["input_layer_1", 0, 0])
    with pytest.raises(PrismError, match=rf"layer '{add['name']}' \(Add\): input shapes .* do not line up"):
        read_keras(write(tmp_path, bad))
    tensor["config"]["keras_history"] = ["ghost", 0, 0]
    with pytest.raises(PrismError, match=f"layer '{add['name']}' takes input from 'ghost'"):
        read_keras(write(tmp_path, bad))


@pytest.mark.parametrize(
    "text, match",
    [
        ('{"config": {"layers": [', "not valid JSON"),
        ('{"config": {"layers": []}}', "need config.layers"),
        ("[1, 2]", "need config.layers"),
        ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "name": "d"}]}}', "Sequential model without an InputLayer"),
        ('{"config": {"layers": [{"class_name": "Dense", "config": {}}]}}', r"config.layers\[0\] \(Dense\) has no name"),
        ('{"config": {"layers": [{"class_name": "Dense", "name": "d", "inbound_nodes": [[7]]}]}}', r"\(d\): unreadable inbound node"),
    ],
)
def test_malformed_files(tmp_path, text, match):
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(PrismError, match=match):
        read_keras(path)
    with pytest.raises(PrismError, match="does not exist"):
        read_keras(tmp_path / "absent.json")
