"""Importer for the reference tool's three input pickles (cgraph, operations,
extime; docs/semantics.md), checked shape by shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.io.safe_pickle import load_pickle
from prism_cp.workload import CORE_TYPES, Workload


def import_reference(cgraph: Any, operations: Any, extime: Any, name: str = "xception") -> Workload:
    """A Workload from the reference's cgraph array, operations list and extime dict.

    Each argument is either the unpickled object or a path to its pickle (read
    with the restricted unpickler). Op i is named `<type>_<i>` since the
    reference files carry no layer names. Raises PrismError on a wrong type or
    shape, and (through Workload) on a bad graph or bad times.
    """
    edges = reference_edges(_loaded(cgraph, "cgraph"))
    op_types = reference_operations(_loaded(operations, "operations"))
    times = reference_times(_loaded(extime, "extime"), len(op_types))
    names = tuple(f"{t}_{i}" for i, t in enumerate(op_types))
    return Workload(name, names, op_types, edges, times)


def _loaded(obj: Any, what: str) -> Any:
    return load_pickle(obj, f"reference {what}") if isinstance(obj, (str, Path)) else obj


def reference_edges(cgraph: Any, what: str = "reference cgraph") -> np.ndarray:
    """The cgraph (or a schedule's `graph`) as an int64 (E, 3) array of [src, dst, tokens] rows."""
    if not isinstance(cgraph, np.ndarray) or cgraph.ndim != 2 or cgraph.shape[1] != 3 or not np.issubdtype(cgraph.dtype, np.integer):
        shape = getattr(cgraph, "shape", None)
        raise PrismError(f"{what} must be an integer numpy array of shape (E, 3), got {type(cgraph).__name__} {shape or ''}".rstrip())
    return cgraph.astype(np.int64)


def reference_operations(operations: Any) -> tuple[str, ...]:
    """The operations list as a tuple of layer type names."""
    if not isinstance(operations, (list, tuple)) or not all(isinstance(t, str) and t for t in operations):
        raise PrismError("reference operations must be a list of layer type names (non-empty strings)")
    return tuple(operations)


def reference_times(extime: Any, n_ops: int) -> dict[str, tuple[float, ...]]:
    """The extime dict {i: {'npu': us, 'cpu': us}} as per-core-type time tuples.

    Keys must be exactly 0..n_ops-1; values are converted with float() only if
    they are real numbers (ints or floats), so the microseconds stay exact.
    """
    if not isinstance(extime, Mapping) or set(extime) != set(range(n_ops)):
        raise PrismError(f"reference extime must be a dict with keys 0..{n_ops - 1} (one per op)")
    times: dict[str, list[float]] = {c: [] for c in CORE_TYPES}
    for i in range(n_ops):
        entry = extime[i]
        if not isinstance(entry, Mapping) or set(entry) != set(CORE_TYPES):
            raise PrismError(f"reference extime[{i}] must be a dict with keys {sorted(CORE_TYPES)}")
        for c in CORE_TYPES:
            t = entry[c]
            if isinstance(t, bool) or not isinstance(t, (int, float)):
                raise PrismError(f"reference extime[{i}][{c!r}] is {t!r}; need a number of microseconds")
            times[c].append(float(t))
    return {c: tuple(ts) for c, ts in times.items()}
