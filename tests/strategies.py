"""Hypothesis strategies for small random problems and mappings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from prism_cp import Platform, Problem, Workload

TYPES = ("A", "B", "C")
TIMES = st.one_of(
    st.sampled_from([0.0, 1.0, 10.0, 100.0, 250.0, 99.99999, 100.00001]),
    st.floats(min_value=0.0, max_value=1000.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def problems(draw, max_ops: int = 10, max_batches: int = 3) -> Problem:
    """A random DAG (op indices deliberately not topological) on a random platform."""
    n = draw(st.integers(1, max_ops))
    order = draw(st.permutations(range(n)))
    edges = [
        (order[i], order[j], 1)
        for i in range(n)
        for j in range(i + 1, n)
        if draw(st.booleans()) and draw(st.booleans())
    ]
    types = tuple(draw(st.sampled_from(TYPES)) for _ in range(n))
    w = Workload(
        "rand",
        tuple(f"op{i}" for i in range(n)),
        types,
        np.array(edges, dtype=np.int64).reshape(-1, 3),
        {"cpu": tuple(draw(TIMES) for _ in range(n)), "npu": tuple(draw(TIMES) for _ in range(n))},
    )
    npu_ops = frozenset(draw(st.sets(st.sampled_from(TYPES))))
    cpus = draw(st.integers(0, 3))
    npus = draw(st.integers(0 if cpus else 1, 3))
    if cpus == 0:
        npu_ops = frozenset(TYPES)
    clock = draw(st.sampled_from([1, 10, 100]))
    return Problem(w, Platform("rand", npu_ops, clock, npus, cpus), draw(st.integers(1, max_batches)))


@st.composite
def problems_and_mappings(draw, allow_any: bool = True) -> tuple[Problem, list[str]]:
    """A problem and an executable global mapping (per batch, possibly 'any')."""
    p = draw(problems())
    choices = []
    for g in range(p.size):
        options = list(p.allowed(g % p.n_ops)) + (["any"] if allow_any else [])
        choices.append(draw(st.sampled_from(options)))
    return p, choices


ARRIVALS = st.one_of(st.sampled_from([0.0, 1.0, 150.0, 1e-9]), st.floats(min_value=0.0, max_value=2000.0, allow_nan=False))


@st.composite
def streams(draw) -> Problem:
    """`problems` with the batches arriving as a stream."""
    return replace(draw(problems()), arrival_us=draw(ARRIVALS))


@st.composite
def streams_and_mappings(draw) -> tuple[Problem, list[str]]:
    """`problems_and_mappings` with the batches arriving as a stream."""
    p, mapping = draw(problems_and_mappings())
    return replace(p, arrival_us=draw(ARRIVALS)), mapping
