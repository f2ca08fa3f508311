"""Import speed: `read_keras` on every Keras model the tests have (file read,
JSON parse, shape inference, graph checks), against the reference PRISM
compiler's published 1.3 s to compile xception.

    PYTHONPATH=. python benchmarks/bench_import.py [--repeat 10]

Each figure is the best of `--repeat` (10) runs on a plain JSON file (the test
copies are gzipped; they are unpacked to a temporary folder first).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import tempfile
import time
from pathlib import Path

from prism_cp.io.keras import read_keras

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
#: the reference compiler's time to build xception's graph, as its authors published it
REFERENCE_XCEPTION_S = 1.3


def model_files(folder: Path) -> list[Path]:
    """Plain JSON copies of every Keras model in tests/data, in `folder`."""
    out = [shutil.copy(DATA / "xception.keras.json", folder / "xception.reference.json")]
    for path in sorted((DATA / "keras").glob("*.json*")):
        if path.name.endswith(".expected.json") or not path.name.endswith((".json", ".json.gz")):
            continue
        target = folder / path.name.removesuffix(".gz")
        target.write_bytes(gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes())
        out.append(target)
    return [Path(p) for p in out]


def best_time(path: Path, repeat: int) -> tuple[float, int, int]:
    """(best seconds, layers, edges) of importing `path`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        net = read_keras(path)
        times.append(time.perf_counter() - start)
    return min(times), len(net.layers), len(net.edges)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(f"reference PRISM compiler, xception (published figure): {REFERENCE_XCEPTION_S * 1000:.0f} ms")
    print(f"{'model file':34} {'layers':>6} {'edges':>6} {'KiB':>6} {'import ms':>9} {'vs ref':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for path in model_files(Path(tmp)):
            seconds, layers, edges = best_time(path, args.repeat)
            size = path.stat().st_size / 1024
            print(f"{path.name:34} {layers:6d} {edges:6d} {size:6.0f} {seconds * 1000:9.1f} {REFERENCE_XCEPTION_S / seconds:6.0f}x")


if __name__ == "__main__":
    main()
