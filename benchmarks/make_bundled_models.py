"""Regenerate the bundled resnet50 and mobilenetv2 models (keras.applications,
weights=None, input 96x96x3, saved by Keras 3; the sources are
tests/data/keras/*.k3.json[.gz]): exactly what `prism-cp import keras SOURCE
--name NAME --extime estimate` writes, i.e. models/NAME.json and the estimated
table extime/NAME.csv on grai's rooflines.

    python benchmarks/make_bundled_models.py
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {"resnet50": "resnet50.k3.json.gz", "mobilenetv2": "mobilenetv2.k3.json"}


def main() -> None:
    for name, source in SOURCES.items():
        path = ROOT / "tests" / "data" / "keras" / source
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / path.name.removesuffix(".gz")
            plain.write_bytes(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())
            cmd = [sys.executable, "-m", "prism_cp", "import", "keras", str(plain), "--name", name, "--extime", "estimate", "--force"]
            subprocess.run(cmd, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
