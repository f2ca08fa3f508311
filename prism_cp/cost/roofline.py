"""Analytic execution-time estimates, for models nobody has timed yet.

An op's work is read off its shapes: multiply-accumulates (convolutions,
dense, matmul), the elements it writes, and the bytes it moves (inputs,
output and weights as float32). Each core type turns work into time at the
rates its platform states (`Platform.speed`, the `[speed.cpu]` and
`[speed.npu]` tables of a platform file); a platform that states none uses
the bundled grai platform's, which `fit_speed` calibrated on the measured
xception times (benchmarks/calibrate_estimate.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.network import Network
from prism_cp.platform import CoreSpeed, Platform
from prism_cp.workload import CORE_TYPES

BYTES_PER_ELEMENT = 4  # float32 activations and weights
DEFAULT_PLATFORM = "grai"  # whose speeds stand in for a platform that states none


@dataclass(frozen=True)
class OpWork:
    """The work of one op in one inference."""

    macs: int
    elements: int  # output elements
    bytes: int  # read (inputs, weights) and written (output)

    def terms(self) -> tuple[float, float, float, float]:
        """The regressors of the cost model, in CoreSpeed's order: 1 (the
        overhead), MACs, elements, bytes."""
        return 1.0, float(self.macs), float(self.elements), float(self.bytes)


def op_work(network: Network) -> tuple[OpWork, ...]:
    """Each layer's work; its inputs are the outputs of its distinct producers."""
    inputs: list[dict[int, int]] = [{} for _ in network.layers]
    for src, dst, tokens in network.edges:
        inputs[dst][src] = tokens
    return tuple(
        OpWork(layer.macs, layer.tokens, BYTES_PER_ELEMENT * (sum(ins.values()) + layer.tokens + layer.params))
        for layer, ins in zip(network.layers, inputs)
    )


def op_time(work: OpWork, speed: CoreSpeed) -> float:
    """Microseconds `work` takes at `speed`; a rate of 0 leaves its term out."""
    rates = (speed.macs_per_us, speed.elements_per_us, speed.bytes_per_us)
    return speed.overhead_us + sum(amount / rate for amount, rate in zip(work.terms()[1:], rates) if rate)


def estimate_times(network: Network, platform: Platform, default: Platform | None = None) -> dict[str, tuple[float, ...]]:
    """Per core type, each layer's estimated time (us), at `platform`'s speeds
    or, for a core type it states none for, at `default`'s (the caller passes
    the bundled grai platform)."""
    work = op_work(network)
    times = {}
    for core in CORE_TYPES:
        speed = platform.speed(core) or (default.speed(core) if default else None)
        if speed is None:
            raise PrismError(f"platform {platform.name!r} states no [speed.{core}] table; add one to estimate times")
        times[core] = tuple(op_time(w, speed) for w in work)
    return times


def fit_speed(work: Sequence[OpWork], times: Sequence[float]) -> CoreSpeed:
    """The rates whose estimate is closest to measured `times` in least
    squares, all of them >= 0 (non-negative least squares, solved exactly over
    the 15 non-empty subsets of the four terms: the optimum is the unconstrained fit on
    its own support). A term whose best weight is 0 gets rate 0 (left out)."""
    x = np.array([w.terms() for w in work], dtype=float)
    y = np.asarray(times, dtype=float)
    scale = np.where(x.max(axis=0) > 0, x.max(axis=0), 1.0)  # columns of comparable size for lstsq
    xs = x / scale
    best: tuple[float, tuple[int, ...], np.ndarray] | None = None
    for k in range(1, 5):
        for support in combinations(range(4), k):
            coef = np.linalg.lstsq(xs[:, support], y, rcond=None)[0]
            if (coef >= 0).all():
                residual = float(((xs[:, support] @ coef - y) ** 2).sum())
                if best is None or residual < best[0]:
                    best = (residual, support, coef)
    weights = np.zeros(4)
    if best is not None:
        weights[list(best[1])] = best[2] / scale[list(best[1])]
    overhead, per_mac, per_element, per_byte = (float(w) for w in weights)
    return CoreSpeed(*(1 / w if w > 0 else 0.0 for w in (per_mac, per_element, per_byte)), overhead_us=overhead)


@dataclass(frozen=True)
class Agreement:
    """How close estimated times are to measured ones on one core type."""

    spearman: float  # rank correlation over the ops, -1..1 (nan if either side is constant)
    total_ratio: float  # estimated total / measured total


def agreement(estimated: Mapping[str, Sequence[float]], measured: Mapping[str, Sequence[float]]) -> dict[str, Agreement]:
    """Per core type, the rank correlation and total-time ratio of two time tables of the same ops."""
    return {
        core: Agreement(spearman(estimated[core], measured[core]), math.fsum(estimated[core]) / math.fsum(measured[core]))
        for core in CORE_TYPES
    }


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation: Pearson's on the ranks, ties sharing their mean rank."""
    ra, rb = _ranks(a), _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(values: Sequence[float]) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    for value in np.unique(x):  # ties: the mean of their ranks
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks
