"""The bundled data files against the reference pickles and Keras JSON, and
the model / time-table / platform loaders on good and bad input."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from prism_cp import PrismError, Workload
from prism_cp.io import (
    bundled_models,
    bundled_platforms,
    import_keras_json,
    import_reference,
    load_platform,
    load_workload,
    write_extime_csv,
    write_model_json,
)
from prism_cp.io.bundled import data_dir
from prism_cp.io.safe_pickle import load_pickle
from prism_cp.platform import Link, Power, Roofline

DATA = Path(__file__).parent / "data"
KERAS = DATA / "xception.keras.json"
GRAI_NPU_OPS = {
    "InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "BatchNormalization", "ZeroPadding2D",
    "Dropout", "Activation", "AveragePooling2D", "Concatenate", "GlobalAveragePooling2D", "ReLU",
    "DepthwiseConv2D", "Add",
}  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> Workload:
    return import_reference(DATA / "xception.cgraph.pkl", DATA / "xception.operations.pkl", DATA / "xception.extime.pkl")


@pytest.fixture(scope="module")
def keras_layers() -> list[dict]:
    return json.loads(KERAS.read_text())["config"]["layers"]


# --- the bundled xception files -------------------------------------------------


def test_bundled_xception_equals_reference_pickles(xception, reference):
    assert xception.name == "xception"
    assert xception.op_types == reference.op_types
    assert xception.edges.dtype == np.int64
    assert np.array_equal(xception.edges, reference.edges)
    assert xception.times == reference.times  # exact float equality, every op, both core types


def test_bundled_times_equal_extime_pickle_exactly(xception):
    extime = load_pickle(DATA / "xception.extime.pkl")
    for i in range(xception.n_ops):
        assert xception.times["cpu"][i] == extime[i]["cpu"]
        assert xception.times["npu"][i] == extime[i]["npu"]


def test_op_i_is_keras_layer_i(xception, keras_layers):
    assert xception.op_names == tuple(layer["name"] for layer in keras_layers)
    assert xception.op_types == tuple(layer["class_name"] for layer in keras_layers)


def test_edges_are_exactly_the_keras_inbound_pairs(xception, keras_layers):
    index = {layer["name"]: i for i, layer in enumerate(keras_layers)}
    pairs = sorted({(index[inbound[0]], i) for i, layer in enumerate(keras_layers) for node in layer["inbound_nodes"] for inbound in node})
    assert xception.edges[:, :2].tolist() == [list(p) for p in pairs]
    assert all(src < dst for src, dst in pairs)  # op indices are a topological order


def test_tokens_are_the_producer_output_size(xception, keras_layers):
    h, w, c = keras_layers[0]["config"]["batch_input_shape"][1:]
    first = xception.edges[xception.edges[:, 0] == 0]
    assert first[:, 2].tolist() == [h * w * c]
    model = json.loads((data_dir("models") / "xception.json").read_text())
    out = {src: tok for src, _, tok in model["edges"]}
    assert all(op["tokens"] == out.get(i, op["tokens"]) == math.prod(op["shape"]) for i, op in enumerate(model["ops"]))


def test_keras_importer_matches_bundled_model(xception):
    k = import_keras_json(KERAS, DATA / "xception.extime.pkl")
    assert k.op_names == xception.op_names and k.op_types == xception.op_types
    assert np.array_equal(k.edges[:, :2], xception.edges[:, :2])
    assert k.times == xception.times


def test_keras_importer_rejects_other_json(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"config": {"layers": [{"name": "a"}]}}))
    with pytest.raises(PrismError, match="Keras"):
        import_keras_json(bad, DATA / "xception.extime.pkl")


def test_writers_round_trip_exactly(tmp_path, xception):
    (tmp_path / "models").mkdir()
    write_model_json(tmp_path / "models" / "copy.json", xception)
    write_extime_csv(tmp_path / "extime" / "copy.csv", xception)
    again = load_workload(tmp_path / "models" / "copy.json")  # sibling extime/ folder found by default
    assert again.op_names == xception.op_names and again.op_types == xception.op_types
    assert np.array_equal(again.edges, xception.edges) and again.times == xception.times


# --- platforms ---------------------------------------------------------------------


def test_bundled_platforms():
    assert set(bundled_platforms()) >= {"grai", "mubrain", "speck"}
    grai = load_platform("grai")
    assert grai.npu_ops == GRAI_NPU_OPS
    assert (grai.clock_us, grai.npus, grai.cpus) == (100, 4, 2)
    for name in ("mubrain", "speck"):
        p = load_platform(name, npus=1, cpus=3)
        assert p.name == name and p.npu_ops == frozenset() and (p.npus, p.cpus) == (1, 3)


def test_platform_overrides_and_path(tmp_path):
    assert load_platform("grai", clock_us=50).clock_us == 50
    f = tmp_path / "mine.toml"
    f.write_text('name = "mine"\nnpu_ops = ["Conv2D"]\n')
    p = load_platform(f, npus=2)
    assert p.name == "mine" and p.npu_ops == {"Conv2D"} and p.clock_us == 100 and p.npus == 2


@pytest.mark.parametrize(
    "text, match",
    [
        ('name = "x"\nnpu_ops = [\n', "not valid TOML"),
        ('name = "x"\n', "need keys"),
        ('name = "x"\nnpu_ops = []\nnpus = 3\n', "unknown"),
        ('name = ""\nnpu_ops = []\n', "name"),
        ('name = "x"\nnpu_ops = "Conv2D"\n', "npu_ops"),
        ('name = "x"\nnpu_ops = [1]\n', "npu_ops"),
        ('name = "x"\nnpu_ops = []\nclock_us = 0.5\n', "clock"),
        ('name = "x"\nnpu_ops = []\nclock_us = 0\n', "clock"),
        ('name = "x"\nnpu_ops = []\nnpu_onnx_ops = ["Conv", 3]\n', "npu_onnx_ops"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = -1.0\nbytes_per_us = 1000.0\npj_per_byte = 100.0\n', r"\[link\]: link latency_us must be a finite number >= 0, got -1.0"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = 0\npj_per_byte = 100.0\n', r"link bytes_per_us must be a finite number > 0, got 0"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = "fast"\npj_per_byte = 100.0\n', r"link bytes_per_us must be a finite number > 0, got 'fast'"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = nan\npj_per_byte = 100.0\n', r"link bytes_per_us must be a finite number > 0, got nan"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = 1000.0\npj_per_byte = -0.5\n', r"link pj_per_byte must be a finite number >= 0"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = 1000.0\npj_per_byte = 100.0\nchannels = 1.5\n', r"link channels must be a whole number >= 0"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = 1000.0\npj_per_byte = 100.0\nchannels = -1\n', r"link channels must be a whole number >= 0"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = 1000.0\npj_per_byte = 100.0\nchannels = true\n', r"link channels must be a whole number >= 0"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = 1000.0\n', r"\[link\] needs the keys bytes_per_us, latency_us, pj_per_byte \(optional: channels\)"),
        ('name = "x"\nnpu_ops = []\n[link]\nlatency_us = 10.0\nbytes_per_us = 1000.0\npj_per_byte = 100.0\nwidth = 3\n', r"\[link\] needs the keys"),
        ('name = "x"\nnpu_ops = []\n[speed.npu]\nmacs_per_us = 1\n', r"the \[speed.\*\] tables were replaced by \[roofline.cpu\]"),
        ('name = "x"\nnpu_ops = []\n[power.npu]\nactive_mw = -500.0\nidle_mw = 20.0\n', r"\[power.npu\]: active_mw must be a finite number >= 0"),
        ('name = "x"\nnpu_ops = []\n[power.cpu]\nactive_mw = 1500.0\nidle_mw = "low"\n', r"\[power.cpu\]: idle_mw must be a finite number >= 0"),
        ('name = "x"\nnpu_ops = []\n[power.gpu]\nactive_mw = 1.0\nidle_mw = 1.0\n', r"\[power.cpu\] and/or \[power.npu\]"),
    ],
)
def test_bad_platform_files(tmp_path, text, match):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(PrismError, match=match):
        load_platform(f)


def test_platform_onnx_ops_and_rooflines(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('name = "p"\nnpu_ops = ["Conv2D"]\nnpu_onnx_ops = ["Conv"]\n[roofline.npu]\npeak_macs_per_us = 2\nutilisation = 1\nbytes_per_us = 3.5\noverhead_us = 1\n')
    p = load_platform(f)
    assert p.supports("Conv2D", "npu") and p.supports("Conv", "npu") and not p.supports("Relu", "npu")
    assert p.roofline("npu") == Roofline(2, 1, 3.5, 1) and p.roofline("cpu") is None
    grai = load_platform("grai")
    assert grai.roofline("cpu") is not None and grai.roofline("npu") is not None and "Conv" in grai.npu_onnx_ops


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(PrismError, match="xception"):
        load_workload("resnet9000")
    with pytest.raises(PrismError, match="grai.*mubrain.*speck"):
        load_platform("tpu")
    with pytest.raises(PrismError, match="does not exist"):
        load_platform("no/such.toml")
    with pytest.raises(PrismError, match="xception"):
        load_workload("xception", extime="nope")
    assert "xception" in bundled_models()


# --- bad model and time-table files ------------------------------------------------


def _model_copy(tmp_path: Path, edit=None) -> Path:
    """A copy of the bundled model and table in a models/ + extime/ layout, the model JSON edited by `edit`."""
    (tmp_path / "models").mkdir()
    (tmp_path / "extime").mkdir()
    doc = json.loads((data_dir("models") / "xception.json").read_text())
    if edit:
        edit(doc)
    (tmp_path / "models" / "m.json").write_text(json.dumps(doc))
    shutil.copy(data_dir("extime") / "xception.csv", tmp_path / "extime" / "m.csv")
    return tmp_path / "models" / "m.json"


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda d: d["edges"].append([5, 2, 1]), "cycle"),
        (lambda d: d["edges"].append([4, 4, 1]), "self-loop"),
        (lambda d: d["edges"].append([4, 134, 1]), "missing op"),
        (lambda d: d["edges"].append([4, 5]), "edges"),
        (lambda d: d["edges"].append([-1, 5, 0]), "edges"),
        (lambda d: d["edges"].append([1.5, 5, 0]), "edges"),
        (lambda d: d.pop("ops"), "keys"),
        (lambda d: d.update(extra=1), "keys"),
        (lambda d: d["ops"][3].update(index=4), "index"),
        (lambda d: d["ops"][3].update(name="input_1"), "used twice"),
        (lambda d: d["ops"][3].update(type=""), "type"),
        (lambda d: d["ops"][3].update(tokens=-2), "tokens"),
        (lambda d: d.update(name=7), "name"),
    ],
)
def test_bad_model_files(tmp_path, edit, match):
    with pytest.raises(PrismError, match=match):
        load_workload(_model_copy(tmp_path, edit))


def test_model_file_not_json(tmp_path):
    path = _model_copy(tmp_path)
    path.write_text('{"name": "m", "ops": [')
    with pytest.raises(PrismError, match="not valid JSON"):
        load_workload(path)
    with pytest.raises(PrismError, match="does not exist"):
        load_workload(tmp_path / "models" / "absent.json")


def _edit_table(path: Path, row: int, field: int, value: str) -> None:
    lines = path.read_text().splitlines()
    cells = lines[row].split(",")
    cells[field] = value
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "row, field, value, match",
    [
        (5, 2, "nan", "finite number"),
        (5, 3, "inf", "finite number"),
        (5, 2, "-1.0", "finite number"),
        (5, 3, "", "not a number"),
        (5, 2, "fast", "not a number"),
        (5, 1, "renamed", "expected op 4"),
        (5, 0, "7", "expected op 4"),
        (0, 2, "cpu", "header"),
    ],
)
def test_bad_time_tables(tmp_path, row, field, value, match):
    model = _model_copy(tmp_path)
    _edit_table(tmp_path / "extime" / "m.csv", row, field, value)
    with pytest.raises(PrismError, match=match):
        load_workload(model)


def test_time_table_row_count_and_missing_table(tmp_path):
    model = _model_copy(tmp_path)
    table = tmp_path / "extime" / "m.csv"
    table.write_text("\n".join(table.read_text().splitlines()[:-1]) + "\n")
    with pytest.raises(PrismError, match="133 rows"):
        load_workload(model)
    table.write_text("index,name,cpu_us\n")
    with pytest.raises(PrismError, match="header"):
        load_workload(model)
    table.unlink()
    with pytest.raises(PrismError, match="no execution time table"):
        load_workload(model)


def test_time_table_extra_missing_and_commented_rows(tmp_path):
    model = _model_copy(tmp_path)
    table = tmp_path / "extime" / "m.csv"
    lines = table.read_text().splitlines()
    table.write_text("\n".join(lines + ["134,surplus,1.0,1.0"]) + "\n")
    with pytest.raises(PrismError, match=r"row 136: extra row 134 \(surplus\); the model has 134 ops"):
        load_workload(model)
    table.write_text("\n".join(lines[:5] + lines[6:]) + "\n")  # op 4 left out
    with pytest.raises(PrismError, match=r"row 6: no row for op 4 \(block1_conv2\)"):
        load_workload(model)
    table.write_text("\n".join(["# measured on the board", "# second note"] + lines) + "\n")
    w = load_workload(model)
    assert not w.estimated_times and w.times == load_workload("xception").times
    table.write_text("\n".join(["# estimated times (us): a cost model"] + lines[:5] + ["4,block1_conv2,x,1"] + lines[6:]) + "\n")
    with pytest.raises(PrismError, match=r"row 7: cpu_us time 'x' is not a number"):
        load_workload(model)
    table.write_text("\n".join(["# estimated times (us): a cost model"] + lines) + "\n")
    assert load_workload(model).estimated_times



def test_link_and_power_are_read(tmp_path: Path) -> None:
    f = tmp_path / "soc.toml"
    f.write_text(
        'name = "soc"\nnpu_ops = ["Conv2D"]\n[link]\nlatency_us = 10.0\nbytes_per_us = 1000.0\npj_per_byte = 100.0\nchannels = 2\n'
        "[power.npu]\nactive_mw = 500.0\nidle_mw = 20.0\n[power.cpu]\nactive_mw = 1500.0\nidle_mw = 100.0\n"
    )
    plat = load_platform(f)
    assert plat.link == Link(10.0, 1000.0, 100.0, 2)
    assert plat.link.transfer_us(5000) == 15.0
    assert plat.power_of("npu") == Power(500.0, 20.0) and plat.power_of("cpu") == Power(1500.0, 100.0)


def test_grai_has_no_link_and_both_power_figures() -> None:
    plat = load_platform("grai")
    assert plat.link is None  # the reference model: no transfers
    assert plat.power_of("cpu") is not None and plat.power_of("npu") is not None  # cited in the file: energy known
