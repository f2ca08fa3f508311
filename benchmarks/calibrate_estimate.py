"""Fit rooflines to the bundled xception times, and say how much they explain.

For each core type, fits the roofline t = overhead + max(MACs / rate, bytes /
bandwidth) to the measured xception times (prism_cp.cost.calibrate, as
`prism-cp extime calibrate` does), and prints R^2 and Spearman's rho of fitted
against measured, and the rank correlation of each work measure alone with the
times. xception's times do not grow with op size, so no roofline explains
them; the bundled platforms' rooflines come from published figures instead.

    python benchmarks/calibrate_estimate.py
"""

from __future__ import annotations

from pathlib import Path

from prism_cp.cost.agreement import spearman
from prism_cp.cost.calibrate import fit_roofline
from prism_cp.cost.roofline import op_work
from prism_cp.io import load_platform, load_workload
from prism_cp.io.keras import read_keras
from prism_cp.workload import CORE_TYPES

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    network = read_keras(ROOT / "tests" / "data" / "xception.keras.json")
    measured = load_workload("xception")
    assert tuple(layer.name for layer in network.layers) == measured.op_names, "op i must be layer i"
    work = op_work(network)
    grai = load_platform("grai")
    print(f"xception: {len(work)} ops, {sum(w.macs for w in work):,} MACs")
    print("rank correlation of each work measure with the measured times:")
    for label, values in (("MACs", [w.macs for w in work]), ("elements", [w.elements for w in work])):
        print(f"  {label:<9}" + "".join(f"  {core} {spearman(values, measured.times[core]):+.3f}" for core in CORE_TYPES))
    print("roofline fitted to the measured times:")
    for core in CORE_TYPES:
        fit = fit_roofline(work, measured.times[core], grai.bytes_per_element(core))
        print(f"  {core}: R^2 {fit.r_squared:.3f}, Spearman {fit.spearman:+.3f} over {fit.n} ops: "
              + ("explains them" if fit.explains else "explains nothing"))


if __name__ == "__main__":
    main()
