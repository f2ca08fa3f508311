"""Fit a core type's roofline to measured op times by least squares.

The model is t = c + max(a * macs, b * bytes) with c, a, b >= 0 (c the
overhead, 1/a the peak times utilisation, 1/b the bandwidth). For any
a, b the compute-bound ops are those whose MACs per byte exceed b / a, so
an assignment of ops to the two sides is a split of the ops sorted by MACs
per byte. The fit tries every split: with the assignment fixed the model is
linear, t = c + a * macs [compute-bound] + b * bytes [memory-bound], solved by
non-negative least squares; each solution is scored by the residual of the
max model itself. From the best it alternates (re-assign each op to its
slower side, refit) while the residual falls. Per-type utilisations are not
fitted: the fit gives one MAC rate per core type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from prism_cp.cost.agreement import r_squared, rank_correlation_significant, spearman
from prism_cp.cost.roofline import OpWork, op_time
from prism_cp.platform import Roofline

MAX_ROUNDS = 100  # alternations after the split search; each must lower the residual


@dataclass(frozen=True)
class Fit:
    """A fitted roofline (None if the fit is a constant time) and how well it
    explains the measured times."""

    roofline: Roofline | None
    r_squared: float
    spearman: float
    n: int

    @property
    def explains(self) -> bool:
        """Whether the fit explains anything: R^2 > 0 and Spearman's rho of
        fitted vs measured significantly > 0 (one-sided 5%)."""
        return self.roofline is not None and self.r_squared > 0 and rank_correlation_significant(self.spearman, self.n)


def fit_roofline(work: Sequence[OpWork], times: Sequence[float], bytes_per_element: int) -> Fit:
    """The roofline (utilisation 1: its peak is the fitted peak x utilisation)
    closest to `times` in least squares, for ops moving `bytes_per_element`
    bytes per element; see the module docstring for the method."""
    macs = np.array([w.macs for w in work], dtype=float)
    nbytes = np.array([w.elements * bytes_per_element for w in work], dtype=float)
    y = np.asarray(times, dtype=float)
    ratio = np.where(macs > 0, macs / np.maximum(nbytes, 1.0), -1.0)  # ops without MACs are never compute-bound
    splits = [ratio > np.inf] + [ratio >= r for r in np.unique(ratio[macs > 0])]
    best = min((_fit_split(macs, nbytes, y, compute) for compute in splits), key=lambda f: f[0])
    for _ in range(MAX_ROUNDS):
        c, a, b = best[1]
        again = _fit_split(macs, nbytes, y, a * macs > b * nbytes)
        if again[0] >= best[0]:
            break
        best = again
    roofline = _as_roofline(*best[1], macs, nbytes, bytes_per_element)
    if roofline is None:
        return Fit(None, 0.0, float("nan"), len(y))
    fitted = [op_time(w, roofline) for w in work]
    return Fit(roofline, r_squared(fitted, y), spearman(fitted, y), len(y))


def _fit_split(macs: np.ndarray, nbytes: np.ndarray, y: np.ndarray, compute: np.ndarray) -> tuple[float, tuple[float, float, float]]:
    """The max model's residual sum of squares and its (c, a, b) fitted with
    the ops in `compute` compute-bound and the others memory-bound."""
    x = np.column_stack([np.ones_like(y), np.where(compute, macs, 0.0), np.where(compute, 0.0, nbytes)])
    c, a, b = _nnls(x, y)
    residual = float(((c + np.maximum(a * macs, b * nbytes) - y) ** 2).sum())
    return residual, (c, a, b)


def _nnls(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative least squares, exactly: the optimum is the unconstrained
    fit on its own support, so try the 7 non-empty supports of the 3 columns."""
    scale = np.where(x.max(axis=0) > 0, x.max(axis=0), 1.0)  # columns of comparable size for lstsq
    xs = x / scale
    best: tuple[float, np.ndarray] | None = None
    for k in range(1, x.shape[1] + 1):
        for support in combinations(range(x.shape[1]), k):
            coef = np.zeros(x.shape[1])
            coef[list(support)] = np.linalg.lstsq(xs[:, support], y, rcond=None)[0]
            if (coef >= 0).all():
                residual = float(((xs @ coef - y) ** 2).sum())
                if best is None or residual < best[0]:
                    best = (residual, coef)
    assert best is not None  # the overhead alone is never negative for times >= 0
    return best[1] / scale


def _as_roofline(c: float, a: float, b: float, macs: np.ndarray, nbytes: np.ndarray, bytes_per_element: int) -> Roofline | None:
    """The roofline of t = c + max(a * macs, b * bytes). A side the fit left
    out (a or b = 0) gets the slowest rate that keeps every op on the other
    side, so the times stay those of the fit (bar ops without MACs when b is
    left out); None if both are."""
    if a == 0 and b == 0:
        return None
    if a == 0:
        a = float(np.min(b * nbytes[macs > 0] / macs[macs > 0])) if (macs > 0).any() else b
    if b == 0:
        b = float(np.min(a * macs[macs > 0] / nbytes[macs > 0]))
    return Roofline(float(1 / a), 1.0, float(1 / b), float(c), bytes_per_element)


def roofline_toml(core: str, roofline: Roofline) -> str:
    """The `[roofline.<core>]` table of a platform file that states `roofline`
    (without utilisation_by_type, which the fit does not give)."""
    lines = [f"[roofline.{core}]"]
    lines += [f"{key} = {getattr(roofline, key)!r}" for key in ("peak_macs_per_us", "utilisation", "bytes_per_us", "overhead_us", "bytes_per_element")]
    return "\n".join(lines) + "\n"
