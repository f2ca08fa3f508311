"""Calibrate the time estimate's core speeds on the bundled xception times.

Fits each core type's rates (prism_cp.estimate.fit_speed: non-negative least
squares of the measured times on overhead, MACs, elements and bytes), prints
them as the `[speed.*]` tables of platforms/grai.toml, and prints how close
the estimate at grai's stated speeds is to the measured times: Spearman rank
correlation and total-time ratio per core type. Also prints the rank
correlation of each work measure alone with the times, which says how much of
the measured times any shape-based model can explain.

    python benchmarks/calibrate_estimate.py
"""

from __future__ import annotations

from pathlib import Path

from prism_cp.estimate import agreement, estimate_times, fit_speed, op_work, spearman
from prism_cp.io import load_platform, load_workload
from prism_cp.io.keras import read_keras
from prism_cp.workload import CORE_TYPES

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    network = read_keras(ROOT / "tests" / "data" / "xception.keras.json")
    measured = load_workload("xception")
    assert tuple(layer.name for layer in network.layers) == measured.op_names, "op i must be layer i"
    work = op_work(network)
    print(f"xception: {len(work)} ops, {sum(w.macs for w in work):,} MACs")
    print("rank correlation of each work measure with the measured times:")
    for label, values in (("MACs", [w.macs for w in work]), ("elements", [w.elements for w in work]), ("bytes", [w.bytes for w in work])):
        print(f"  {label:<9}" + "".join(f"  {core} {spearman(values, measured.times[core]):+.3f}" for core in CORE_TYPES))
    print("\nfitted rates (paste into platforms/grai.toml):")
    for core in CORE_TYPES:
        speed = fit_speed(work, measured.times[core])
        print(f"[speed.{core}]")
        for key, value in vars(speed).items():
            print(f"{key} = {value!r}")
    grai = load_platform("grai")
    print("\nestimate at grai's stated speeds against the measured xception times:")
    for core, a in agreement(estimate_times(network, grai), measured.times).items():
        print(f"  {core}: Spearman {a.spearman:+.3f}, total-time ratio (estimated / measured) {a.total_ratio:.4f}")


if __name__ == "__main__":
    main()
