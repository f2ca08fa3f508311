"""Regenerate the bundled models made from Keras JSON.

* resnet50 and mobilenetv2 (keras.applications, weights=None, input 96x96x3,
  saved by Keras 3; the sources are tests/data/keras/*.k3.json[.gz]): exactly
  what `prism-cp import keras SOURCE --name NAME --extime estimate` writes,
  i.e. models/NAME.json and the estimated table extime/NAME.csv at grai's
  core speeds.
* xception: the bundled graph and measured times unchanged, each op given the
  shape, MACs and params that its Keras JSON (tests/data/xception.keras.json)
  gives, so that the cost model can read it.

    python benchmarks/make_bundled_models.py
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
from pathlib import Path

from prism_cp.io import load_workload, write_network_json
from prism_cp.io.bundled import data_dir
from prism_cp.io.keras import read_keras
from prism_cp.io.model_files import read_model_json
from prism_cp.network import Network

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {"resnet50": "resnet50.k3.json.gz", "mobilenetv2": "mobilenetv2.k3.json"}
XCEPTION_DESCRIPTION = ("Xception (Keras 2.6, input 96x96x3, 100 classes) as compiled by the PRISM reference tool; "
                        "tokens = output elements of the producer; shape, macs and params from its Keras JSON")


def main() -> None:
    for name, source in SOURCES.items():
        path = ROOT / "tests" / "data" / "keras" / source
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / path.name.removesuffix(".gz")
            plain.write_bytes(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())
            cmd = [sys.executable, "-m", "prism_cp", "import", "keras", str(plain), "--name", name, "--extime", "estimate", "--force"]
            subprocess.run(cmd, cwd=ROOT, check=True)
    _xception_with_shapes()


def _xception_with_shapes() -> None:
    """Rewrite models/xception.json with shapes, keeping its ops, edges (in their order) and description's facts."""
    model = data_dir("models") / "xception.json"
    name, op_names, op_types, edges = read_model_json(model)
    keras = read_keras(ROOT / "tests" / "data" / "xception.keras.json")
    assert tuple(layer.name for layer in keras.layers) == op_names and tuple(layer.type for layer in keras.layers) == op_types
    assert sorted(keras.edges) == sorted(map(tuple, edges.tolist())), "the Keras JSON must give the bundled graph"
    times = load_workload("xception").times
    write_network_json(model, Network(name, keras.layers, tuple(map(tuple, edges.tolist())), keras.source), XCEPTION_DESCRIPTION)
    assert load_workload("xception").times == times
    print(f"xception: shapes, MACs and params -> {model}")


if __name__ == "__main__":
    main()
