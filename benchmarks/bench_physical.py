"""Targets of the physical SoC (docs/benchmarks.md). Each target is a
function that prints its figures and `met` or `NOT MET`; `main()` runs them all.

    python benchmarks/bench_physical.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRISM = [sys.executable, "-m", "prism_cp"]


def measured_resnet50(runs: int = 10, low: float = 0.7, high: float = 1.3) -> bool:
    """`extime measure` on ResNet-50 (224x224, random weights, built by
    make_resnet50_onnx.py): the per-op CPU times sum to `low`..`high` x the
    whole model's measured run, with 1 and with 2 threads."""
    met = True
    with tempfile.TemporaryDirectory(prefix="bench_physical_") as tmp:
        model = Path(tmp) / "resnet50.onnx"
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_resnet50_onnx.py"), str(model)], check=True, cwd=ROOT)
        imported = Path(tmp) / "models" / "resnet50_onnx.json"  # a name of its own: resnet50 is the bundled model
        subprocess.run([*PRISM, "import", "onnx", str(model), "--name", imported.stem, "--out", str(imported)], check=True, cwd=ROOT)
        for threads in (1, 2):
            table = Path(tmp) / "extime" / (f"{imported.stem}.csv" if threads == 1 else f"{imported.stem}.t{threads}.csv")  # 1 thread: the model's table
            cmd = [*PRISM, "extime", "measure", str(model), "--runs", str(runs), "--threads", str(threads), "--out", str(table)]
            out = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout
            summary = next(line for line in out.splitlines() if line.startswith("sum of per-op times"))
            ratio = float(summary.split(" = ")[1].split(" x ")[0])
            ok = low <= ratio <= high
            met &= ok
            print(f"resnet50 measured, {threads} thread(s): {summary} -> {'met' if ok else 'NOT MET'} ({low}-{high})", flush=True)
        schedule = [*PRISM, "schedule", "--model", str(imported), "--algorithm", "npufirst", "--batches", "2", "-q",
                    "--results-dir", tmp]
        print("the imported model schedules with the measured table:", subprocess.run(schedule, check=True, cwd=ROOT, capture_output=True, text=True).stdout.splitlines()[0])
    return met


TARGETS = (measured_resnet50,)


def main() -> None:
    results = [target() for target in TARGETS]
    print(f"{sum(results)} of {len(results)} targets met")


if __name__ == "__main__":
    main()
