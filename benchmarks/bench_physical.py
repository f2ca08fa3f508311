"""Targets of the physical SoC model. Each target is a function that prints
its figures and returns whether it is met; the script prints "met" or
"NOT MET" for each and exits 1 if any is missed. Not a timed test.

    python benchmarks/bench_physical.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from prism_cp.cost.agreement import spearman
from prism_cp.cost.roofline import estimate_times
from prism_cp.io import load_platform, read_network

MIN_RHO = 0.9  # Spearman's rho of estimated NPU time against MACs, Conv2D and Dense ops
MIN_CONV_SPAN = 10.0  # slowest conv / fastest conv


def size_aware_times() -> bool:
    """resnet50 estimated on imx93: NPU times of Conv2D/Dense ops rank like
    their MACs, and the convs' times span a factor of 10."""
    net = read_network("resnet50")
    npu = estimate_times(net, load_platform("imx93"))["npu"]
    ops = [i for i, layer in enumerate(net.layers) if layer.type in ("Conv2D", "Dense")]
    convs = [npu[i] for i, layer in enumerate(net.layers) if layer.type == "Conv2D"]
    macs = [net.layers[i].macs for i in ops]
    rho = spearman([npu[i] for i in ops], macs)
    span = max(convs) / min(convs)
    print(f"resnet50 on imx93 (NPU, {len(ops)} Conv2D/Dense ops): Spearman(time, MACs) {rho:.3f} (target >= {MIN_RHO}); "
          f"slowest / fastest conv {max(convs):.1f} / {min(convs):.1f} us = {span:.2f}x (target >= {MIN_CONV_SPAN:g}x); "
          f"their MACs span {max(macs) / min(m for m in macs if m):.2f}x")
    return rho >= MIN_RHO and span >= MIN_CONV_SPAN


TARGETS: tuple[Callable[[], bool], ...] = (size_aware_times,)


def main() -> int:
    missed = 0
    for target in TARGETS:
        met = target()
        print(f"{target.__name__}: {'met' if met else 'NOT MET'}")
        missed += not met
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
