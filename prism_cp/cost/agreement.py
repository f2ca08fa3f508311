"""How close estimated op times are to measured ones: rank correlation,
total-time ratio and the share of the variance explained."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from prism_cp.workload import CORE_TYPES

Z_95 = 1.6448536269514722  # one-sided 5% point of the standard normal


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


def rank_correlation_significant(rho: float, n: int) -> bool:
    """Whether Spearman's `rho` over `n` pairs is significantly > 0 at the
    one-sided 5% level: rho * sqrt(n - 1) > 1.645, the large-sample normal
    approximation of rho under independence (variance 1 / (n - 1))."""
    return n > 1 and not math.isnan(rho) and rho * math.sqrt(n - 1) > Z_95


def r_squared(fitted: Sequence[float], measured: Sequence[float]) -> float:
    """1 - residual / total sum of squares of `measured` about its mean (nan if it is constant)."""
    y = np.asarray(measured, dtype=float)
    total = float(((y - y.mean()) ** 2).sum())
    residual = float(((np.asarray(fitted, dtype=float) - y) ** 2).sum())
    return 1 - residual / total if total > 0 else float("nan")


def _ranks(values: Sequence[float]) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    for value in np.unique(x):  # ties: the mean of their ranks
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks
