"""`prism-cp import` and `prism-cp extime`: files that --model takes at once,
estimated tables that say so down to the schedule's output, and one-line
errors with exit status 2 for every bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import onnx  # noqa: F401  the test extra installs it: a broken install must fail, not skip
import pytest
from typer.testing import CliRunner

from prism_cp.cli import app
from prism_cp.io import load_workload

DATA = Path(__file__).parent / "data"
ONNX = DATA / "mobilenetv2.onnx"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_user_error(result, mentions: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and mentions in lines[0], result.stderr


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_import_onnx_with_estimate_schedules_at_once_and_says_estimated(cwd: Path) -> None:
    assert "models/mnv2.json" in ok(run("import", "onnx", ONNX, "--name", "mnv2", "--extime", "estimate"))
    model = json.loads((cwd / "models" / "mnv2.json").read_text())
    assert model["name"] == "mnv2" and "estimated" in model["description"] and len(model["ops"]) == 106
    assert (cwd / "extime" / "mnv2.csv").read_text().startswith("# estimated times")
    summary = json.loads(ok(run("schedule", "--model", "models/mnv2.json", "--algorithm", "npufirst", "--batches", "2", "--json", "-q")))
    assert summary["estimated_times"] is True and summary["model"] == "mnv2"
    text = ok(run("schedule", "--model", "models/mnv2.json", "--algorithm", "npufirst", "--batches", "2"))
    assert any(line.startswith("mnv2 : execution time for  2  batches = ") and line.endswith("us (estimated times)") for line in text.splitlines())


def test_measured_times_say_nothing(cwd: Path) -> None:
    text = ok(run("schedule", "--algorithm", "npufirst", "--batches", "2"))
    assert "estimated" not in text
    assert "estimated_times" not in ok(run("schedule", "--algorithm", "npufirst", "--batches", "2", "--json"))


def test_template_is_the_table_to_fill(cwd: Path) -> None:
    ok(run("import", "onnx", ONNX, "--out", "m/net.json"))  # default name: the file's stem
    assert json.loads((cwd / "m" / "net.json").read_text())["name"] == "mobilenetv2"
    assert_user_error(run("schedule", "--model", "m/net.json"), "no execution time table")
    ok(run("extime", "template", "m/net.json", "--out", "m/net.csv"))
    lines = (cwd / "m" / "net.csv").read_text().splitlines()
    assert lines[0].startswith("# template") and lines[1] == "index,name,cpu_us,npu_us" and len(lines) == 2 + 106
    assert lines[2] == "0,mobilenetv2_1.00_96/Conv1/Conv2D__314,,"
    assert_user_error(run("schedule", "--model", "m/net.json"), "fill in every time")
    filled = [f"{line}".replace(",,", f",{10.0 + i},{5.0 + i}") for i, line in enumerate(lines[2:])]
    (cwd / "m" / "net.csv").write_text("\n".join(lines[:2] + filled) + "\n")
    w = load_workload(cwd / "m" / "net.json")
    assert w.times["cpu"][3] == 13.0 and w.times["npu"][105] == 110.0 and not w.estimated_times


def test_extime_estimate_writes_a_marked_table(cwd: Path) -> None:
    ok(run("import", "onnx", ONNX, "--name", "net"))
    ok(run("import", "onnx", ONNX, "--name", "other", "--out", "elsewhere/other.json", "--extime", "estimate"))
    assert load_workload("elsewhere/other.json").estimated_times  # the table beside the model file
    text = ok(run("extime", "estimate", "models/net.json", "--out", "models/net.csv", "--platform", "mubrain"))
    assert "106 ops on mubrain" in text and "Spearman" not in text  # no measured table to compare with
    w = load_workload("models/net.json")
    assert w.estimated_times and all(t > 0 for t in w.times["cpu"])


@pytest.mark.parametrize(
    "args, mentions",
    [
        (("import", "onnx", "absent.onnx"), "does not exist"),
        (("import", "onnx", "bad.onnx"), "is not an ONNX model"),
        (("import", "onnx", ONNX, "--name", "a/b"), "cannot name a model file"),
        (("import", "onnx", ONNX, "--extime", "measured"), "measured"),
        (("import", "onnx", ONNX, "--extime", "estimate", "--platform", "bad.toml"), "unknown: ['npus']"),
        (("extime", "template", "nope"), "--out"),
        (("extime", "template", "nope", "--out", "t.csv"), "no bundled model named 'nope'"),
        (("extime", "estimate", "models/old.json", "--out", "t.csv"), "has no 'shape'"),
        (("extime", "estimate", "xception", "--out", "t.csv", "--platform", "bad.toml"), "unknown: ['npus']"),
        (("extime", "template", "xception", "--out", "exists.csv"), "already exists; pass --force"),
    ],
)
def test_bad_input_is_one_line_with_exit_status_2(cwd: Path, args: tuple, mentions: str) -> None:
    (cwd / "bad.onnx").write_bytes(b"\x08\x07garbage\xff\xff")
    (cwd / "bad.toml").write_text('name = "x"\nnpu_ops = []\nnpus = 3\n')
    (cwd / "exists.csv").write_text("keep me\n")
    (cwd / "models").mkdir()
    old = json.loads((DATA.parent.parent / "models" / "xception.json").read_text())
    old["ops"] = [{k: op[k] for k in ("index", "name", "type")} for op in old["ops"]]  # a model file without shapes
    (cwd / "models" / "old.json").write_text(json.dumps(old))
    assert_user_error(run(*args), mentions)
    assert (cwd / "exists.csv").read_text() == "keep me\n"


def test_import_refuses_to_overwrite_without_force(cwd: Path) -> None:
    ok(run("import", "onnx", ONNX, "--name", "net"))
    assert_user_error(run("import", "onnx", ONNX, "--name", "net"), "already exists; pass --force")
    ok(run("import", "onnx", ONNX, "--name", "net", "--force"))


def test_estimate_of_a_measured_model_prints_how_close_it_is(cwd: Path) -> None:
    text = ok(run("extime", "estimate", "xception", "--out", "x.csv"))
    lines = [line for line in text.splitlines() if "Spearman rank correlation" in line]
    assert [line.split(":")[0] for line in lines] == ["cpu", "npu"]
    estimated, measured = load_workload("xception", extime="x.csv").times, load_workload("xception").times
    for line, core in zip(lines, ("cpu", "npu")):  # the ratio printed is the one of the tables
        assert line.endswith(f"total-time ratio (estimated / measured) {sum(estimated[core]) / sum(measured[core]):.3f}")


@pytest.mark.parametrize("name, source", [("resnet50", "resnet50.k3.json.gz"), ("mobilenetv2", "mobilenetv2.k3.json")])
def test_bundled_models_are_what_import_writes(cwd: Path, name: str, source: str) -> None:
    """The bundled files are exactly `prism-cp import keras SOURCE --name NAME --extime estimate`."""
    path = DATA / "keras" / source
    plain = cwd / source.removesuffix(".gz")
    plain.write_bytes(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())
    ok(run("import", "keras", plain, "--name", name, "--extime", "estimate"))
    root = DATA.parent.parent
    assert (cwd / "models" / f"{name}.json").read_text() == (root / "models" / f"{name}.json").read_text()
    assert (cwd / "extime" / f"{name}.csv").read_text() == (root / "extime" / f"{name}.csv").read_text()
    w = load_workload(name)
    assert w.estimated_times and w.op_types[0] == "InputLayer"


def _keras_edit(doc: dict, case: str) -> None:
    layers = doc["config"]["layers"]
    if case == "missing layer":
        layers[1]["inbound_nodes"] = [[["no_such_layer", 0, 0, {}]]]
    elif case == "duplicate":
        layers[3]["name"] = layers[2]["name"]
    elif case == "cycle":
        layers[1]["inbound_nodes"][0].append([layers[3]["name"], 0, 0, {}])
    elif case == "unsupported":
        layers[2]["class_name"] = "MyCustomLayer"
    elif case == "merge":
        next(layer for layer in layers if layer["class_name"] == "Add")["inbound_nodes"][0][1][0] = "input_1"


@pytest.mark.parametrize(
    "case, mentions",
    [
        ("malformed", "not valid JSON"),
        ("missing layer", "'no_such_layer'"),
        ("duplicate", "'block1_conv1_bn' is used twice"),
        ("cycle", "cycle"),
        ("unsupported", "MyCustomLayer"),
        ("merge", "do not line up"),
    ],
)
def test_bad_keras_files_are_one_line_with_exit_status_2(cwd: Path, case: str, mentions: str) -> None:
    path = cwd / "bad.json"
    if case == "malformed":
        path.write_text('{"config": {"layers": [')
    else:
        doc = json.loads((DATA / "xception.keras.json").read_text())
        _keras_edit(doc, case)
        path.write_text(json.dumps(doc))
    assert_user_error(run("import", "keras", path, "--name", "bad"), mentions)
    assert not (cwd / "models").exists()


def test_import_keras_2_and_3(cwd: Path) -> None:
    for source in ("mobilenetv2.k2.json", "mobilenetv2.k3.json"):
        ok(run("import", "keras", DATA / "keras" / source, "--out", f"{source}.model.json", "--extime", "estimate"))
    k2, k3 = (load_workload(f"mobilenetv2.{v}.json.model.json") for v in ("k2", "k3"))
    assert k2.op_types == k3.op_types and sorted(k2.edges.tolist()) == sorted(k3.edges.tolist()) and k2.estimated_times


@pytest.mark.parametrize(
    "edit, mentions",
    [
        (lambda rows: rows[:-1], "no row for op 133 (predictions)"),
        (lambda rows: rows + ["134,surplus,1.0,1.0"], "extra row 134 (surplus)"),
        (lambda rows: [r.replace("block1_conv2,", "block1_convX,") for r in rows], "op 'block1_convX' is not in the model"),
        (lambda rows: [r.replace("4,block1_conv2,5441.3403822624405", "4,block1_conv2,-5.0") for r in rows], "cpu time -5.0"),
        (lambda rows: [r.replace("4,block1_conv2,5441.3403822624405", "4,block1_conv2,nan") for r in rows], "cpu time nan"),
        (lambda rows: [r.replace("4,block1_conv2,5441.3403822624405", "4,block1_conv2,slow") for r in rows], "cpu_us time 'slow' is not a number"),
    ],
)
def test_bad_time_tables_are_one_line_with_exit_status_2(cwd: Path, edit, mentions: str) -> None:
    root = DATA.parent.parent
    (cwd / "models").mkdir()
    (cwd / "extime").mkdir()
    (cwd / "models" / "x.json").write_text((root / "models" / "xception.json").read_text())
    rows = (root / "extime" / "xception.csv").read_text().splitlines()
    (cwd / "extime" / "x.csv").write_text("\n".join(edit(rows)) + "\n")
    assert_user_error(run("schedule", "--model", "models/x.json", "--algorithm", "npufirst"), mentions)


def test_bundled_estimated_models_run_every_engine(cwd: Path) -> None:
    data = json.loads(ok(run("compare", "--model", "mobilenetv2", "--batches", "1", "--time-limit", "4", "--workers", "1", "--json", "-q")))
    assert data["estimated_times"] is True and [r["algorithm"] for r in data["results"]][-1] == "cpsat"
    assert all(r["makespan_us"] >= data["lower_bound_us"] for r in data["results"])
    text = ok(run("compare", "--model", "resnet50", "--batches", "1", "--time-limit", "4", "--workers", "1", "-q"))
    assert text.splitlines()[0].endswith("(estimated times)")


def test_an_import_under_a_bundled_name_says_how_to_reach_it(cwd: Path) -> None:
    imported = run("import", "onnx", ONNX, "--name", "resnet50")
    assert "models/resnet50.json" in ok(imported)
    warning = imported.stderr.splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning: resnet50 is also a bundled model")
    assert "pass the path models/resnet50.json" in warning[0] and "--name" in warning[0]
    assert run("import", "onnx", ONNX, "--name", "net").stderr == ""


def test_a_missing_time_table_names_the_command_that_writes_one(cwd: Path) -> None:
    ok(run("import", "onnx", ONNX, "--out", "m/net.json"))
    ok(run("import", "onnx", ONNX, "--name", "other"))
    for model, table in (("m/net.json", "m/net.csv"), ("models/other.json", "extime/other.csv")):
        missing = run("schedule", "--model", model, "--algorithm", "npufirst")
        fix = f"prism-cp extime estimate {model} --out {table}"
        assert_user_error(missing, fix)
        ok(run(*fix.split()[1:]))  # the command it names is the fix
        ok(run("schedule", "--model", model, "--algorithm", "npufirst", "--batches", "1"))


@pytest.mark.parametrize(
    "file, mentions",
    [
        (str(ONNX), f"prism-cp import onnx {ONNX}"),
        ("resnet50.onnx", "prism-cp import onnx resnet50.onnx"),  # a bare file name, not a bundled name
        (str(DATA / "keras" / "zoo.keras"), "prism-cp import keras"),
        (str(DATA / "xception.keras.json"), f"prism-cp import keras {DATA / 'xception.keras.json'}"),
        ("{cwd}/saved.h5", "model.save('NAME.keras')"),
        ("{cwd}/zip_named.json", "prism-cp import keras"),
    ],
)
def test_a_keras_or_onnx_file_given_as_a_model_says_how_to_import_it(cwd: Path, file: str, mentions: str) -> None:
    (cwd / "saved.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    (cwd / "zip_named.json").write_bytes((DATA / "keras" / "zoo.keras").read_bytes())
    for command in (("schedule", "--model"), ("show",)):
        assert_user_error(run(*command, file.format(cwd=cwd)), mentions)
