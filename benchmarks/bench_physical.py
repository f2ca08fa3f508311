"""Targets of the physical SoC model (docs/benchmarks.md). Each target is a
function that prints its figures and returns whether it is met; the script
prints "met" or "NOT MET" for each and exits 1 if any is missed. Not a
timed test.

    python benchmarks/bench_physical.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from prism_cp.cost.agreement import spearman
from prism_cp.cost.roofline import estimate_times, op_sides, op_work
from prism_cp.io import load_platform, read_network

ROOT = Path(__file__).resolve().parent.parent
PRISM = [sys.executable, "-m", "prism_cp"]
MIN_RHO = 0.9  # Spearman's rho of estimated NPU time against MACs, Conv2D and Dense ops
MIN_CONV_SPAN = 10.0  # slowest conv / fastest conv


def size_aware_times() -> bool:
    """resnet50 estimated on imx93: NPU times of Conv2D/Dense ops rank like
    their MACs, and the convs' times span a factor of 10. Also prints which
    side bounds each op, and the ranking over the compute-bound ops, since
    ops bound by the weight port rank by their weights instead."""
    net = read_network("resnet50")
    npu = estimate_times(net, load_platform("imx93"))["npu"]
    roofline = load_platform("imx93").roofline("npu")
    work = op_work(net)
    ops = [i for i, layer in enumerate(net.layers) if layer.type in ("Conv2D", "Dense")]
    convs = [npu[i] for i, layer in enumerate(net.layers) if layer.type == "Conv2D"]
    macs = [net.layers[i].macs for i in ops]
    rho = spearman([npu[i] for i in ops], macs)
    span = max(convs) / min(convs)
    print(f"resnet50 on imx93 (NPU, {len(ops)} Conv2D/Dense ops): Spearman(time, MACs) {rho:.3f} (target >= {MIN_RHO}); "
          f"slowest / fastest conv {max(convs):.1f} / {min(convs):.1f} us = {span:.2f}x (target >= {MIN_CONV_SPAN:g}x); "
          f"their MACs span {max(macs) / min(m for m in macs if m):.2f}x")
    bound: dict[str, list[int]] = {}
    for i in ops:
        sides = op_sides(work[i], roofline)
        bound.setdefault(max(sides, key=sides.__getitem__), []).append(i)
    for side, members in sorted(bound.items()):
        print(f"  {len(members)} bound by {side}: {', '.join(net.layers[i].name for i in members)}")
    compute = bound.get("compute", [])
    if len(compute) > 1:
        print(f"  over the compute-bound ops, Spearman(time, MACs) {spearman([npu[i] for i in compute], [net.layers[i].macs for i in compute]):.3f}")
    return rho >= MIN_RHO and span >= MIN_CONV_SPAN


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
            print(f"resnet50 measured, {threads} thread(s): {summary} ({low}-{high})", flush=True)
        schedule = [*PRISM, "schedule", "--model", str(imported), "--algorithm", "npufirst", "--batches", "2", "-q",
                    "--results-dir", tmp]
        print("the imported model schedules with the measured table:", subprocess.run(schedule, check=True, cwd=ROOT, capture_output=True, text=True).stdout.splitlines()[0])
    return met


TARGETS: tuple[Callable[[], bool], ...] = (size_aware_times, measured_resnet50)


def main() -> int:
    missed = 0
    for target in TARGETS:
        met = target()
        print(f"{target.__name__}: {'met' if met else 'NOT MET'}", flush=True)
        missed += not met
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
