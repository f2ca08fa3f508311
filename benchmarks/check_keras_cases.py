"""Check the Keras importer on a folder written by make_keras_cases.py (for
instance its `--more` networks, which are not kept as test data): for every
`<name>.json.gz`, the graph, every layer's shape and the weights of every layer
the importer counts must equal `<name>.expected.json`; Keras 3 files are
checked again ignoring the shapes they record.

    PYTHONPATH=. python benchmarks/check_keras_cases.py DIR
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from pathlib import Path

from prism_cp import PrismError
from prism_cp.io.keras import read_keras


def differences(path: Path, expected: dict, recorded_shapes: bool = True) -> list[str]:
    """What the import of `path` gets wrong against `expected` (empty: all equal)."""
    try:
        net = read_keras(path, recorded_shapes=recorded_shapes)
    except PrismError as e:
        return [str(e)]
    wrong = []
    if [layer.type for layer in net.layers] != expected["types"]:
        wrong.append("types")
    if [list(e) for e in net.edges] != sorted(expected["edges"]):
        wrong.append("edges")
    shapes = [layer.name for layer, s in zip(net.layers, expected["shapes"]) if list(layer.shape) != s]
    params = [layer.name for layer, p in zip(net.layers, expected["params"]) if layer.params and layer.params != p]
    return wrong + [f"shape of {n}" for n in shapes[:3]] + [f"params of {n}" for n in params[:3]]


def main(folder: Path) -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(folder.glob("*.json.gz")):
            case = path.name.removesuffix(".json.gz")
            model = Path(tmp) / f"{case}.json"
            model.write_bytes(gzip.open(path).read())
            expected = json.loads((folder / f"{case}.expected.json").read_text())
            wrong = differences(model, expected)
            if case.endswith(".k3"):
                wrong += [f"(recorded shapes ignored) {w}" for w in differences(model, expected, recorded_shapes=False)]
            failed += bool(wrong)
            print(f"{case:32} {len(expected['types']):5d} layers  {'ok' if not wrong else 'WRONG: ' + '; '.join(wrong)}")
    print(f"{failed} of {len(list(folder.glob('*.json.gz')))} networks wrong")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
