"""The reference's two fixed mappings: seeded random and NPU-first."""

from __future__ import annotations

import numpy as np

from prism_cp.problem import Problem


def _prefer(problem: Problem, op: int, want_npu: bool) -> str:
    """The core type for `op`: the NPU when wanted and able, else the CPU; on a
    platform lacking one type, the other (where the reference would hang)."""
    allowed = problem.allowed(op)
    if want_npu and "npu" in allowed:
        return "npu"
    return "cpu" if "cpu" in allowed else "npu"


def random_mapping(problem: Problem, seed: int = 42) -> list[str]:
    """Per-op mapping of the reference's random algorithm.

    Bit-compatible with `numpy.random.seed(seed); numpy.random.randint(2, size=n)`
    (the legacy RandomState stream), without touching numpy's global state.
    """
    x = np.random.RandomState(seed).randint(2, size=problem.n_ops)
    return [_prefer(problem, i, bool(x[i] == 1)) for i in range(problem.n_ops)]


def npufirst_mapping(problem: Problem) -> list[str]:
    """Per-op mapping: every NPU-supported op on the NPU, the rest on CPUs."""
    return [_prefer(problem, i, True) for i in range(problem.n_ops)]
