"""Hypothesis strategies for small random problems and mappings, how many
examples the soundness properties draw (`examples`), and how many of them a
property that passes over some actually checked (`checked`)."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from typing import Callable, TypeVar

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prism_cp import Platform, Problem, Workload
from prism_cp.platform import Link


def _soak() -> int:
    text = os.environ.get("PRISM_CP_SOAK", "1")
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"PRISM_CP_SOAK must be a whole number >= 1, got {text!r}")
    return int(text)


#: how many times more examples the soundness properties draw (bounds and
#: OPTIMAL against brute force, tick and deadline conversions) than CI's quick
#: pass; a long soak raises it: PRISM_CP_SOAK=40 python -m pytest tests/test_oracle.py
SOAK = _soak()


def examples(n: int) -> int:
    """`n` examples, times the soak factor."""
    return n * SOAK


T = TypeVar("T")


def checked(strategy: st.SearchStrategy[T], n: int, check: Callable[[T], bool]) -> int:
    """Run `check` as a property on `n` examples of `strategy`; how many it
    checked (returned True for), so that a property that must pass over some
    examples (no optimum proven in time, no placement found) can fail when it
    checked too few to mean anything."""
    count = 0

    @settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def run(example: T) -> None:
        nonlocal count
        count += check(example)

    run()
    return count


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


@st.composite
def tricky_times(draw, clock: int) -> float:
    """Times where ticks are easy to get wrong: whole clock multiples and the
    floats next to them (whose end rounds differently at different start
    ticks, like 100 * 3.0000000000000004), near-ties a few ns apart, and
    anything else."""
    k = draw(st.integers(0, 4))
    exact = float(k * clock)
    return draw(
        st.sampled_from(
            [
                exact,
                math.nextafter(exact, math.inf),
                math.nextafter(exact, 0.0),
                k * clock * 1.0000000000000002,
                clock * 3.0000000000000004,
                exact + 0.0001,
                exact + 0.0009,
            ]
        )
        | st.floats(min_value=0.0, max_value=4.0 * clock, allow_nan=False, allow_infinity=False)
    )


@st.composite
def tiny_problems(draw, max_size: int = 6) -> Problem:
    """Problems small enough to solve by brute force: at most `max_size` ops
    over all batches (1-3 batches), 1-2 CPUs, 0-2 NPUs, tricky times."""
    nbatch = draw(st.integers(1, 3))
    n = draw(st.integers(1, max(1, max_size // nbatch)))
    order = draw(st.permutations(range(n)))
    edges = [(order[i], order[j], 1) for i in range(n) for j in range(i + 1, n) if draw(st.booleans())]
    clock = draw(st.sampled_from([1, 10, 100]))
    times = {c: tuple(draw(tricky_times(clock)) for _ in range(n)) for c in ("cpu", "npu")}
    types = tuple(draw(st.sampled_from(TYPES[:2])) for _ in range(n))
    w = Workload("tiny", tuple(f"op{i}" for i in range(n)), types, np.array(edges, dtype=np.int64).reshape(-1, 3), times)
    npu_ops = frozenset(draw(st.sets(st.sampled_from(TYPES[:2]))))
    return Problem(w, Platform("tiny", npu_ops, clock, draw(st.integers(0, 2)), draw(st.integers(1, 2))), nbatch)


def late_shorter_chain() -> Problem:
    """a -> b -> c on one CPU, clock 100. b holds its core 4 ticks at tick 0
    but 3 from tick 10 on, where a leaves it: fl(1000 + 300.00000000000006) == 1300.
    Optimum 1400 us."""
    cpu = (1000.0, 100 * 3.0000000000000004, 100.0)
    w = Workload("chain", ("a", "b", "c"), ("T",) * 3, np.array([[0, 1, 1], [1, 2, 1]], dtype=np.int64), {"cpu": cpu, "npu": (0.0,) * 3})
    return Problem(w, Platform("one", frozenset(), 100, npus=0, cpus=1), 1)


def near_tie() -> Problem:
    """Two independent ops on 1 CPU + 1 NPU, each 0.8 ns faster on one type:
    optimum 100.0001 us, the other mappings 100.0009 us or worse."""
    w = Workload("tie", ("a", "b"), ("T", "T"), np.zeros((0, 3), dtype=np.int64), {"cpu": (100.0009, 100.0001), "npu": (100.0001, 100.0009)})
    return Problem(w, Platform("pair", frozenset({"T"}), 100, npus=1, cpus=1), 1)


LINKS = st.builds(
    lambda latency, rate, channels: Link(latency, rate, 1.0, channels),
    st.sampled_from([0.0, 10.0, 37.5, 100.0, 150.00000000000003]),
    st.sampled_from([0.5, 3.0, 1000.0]),
    st.integers(0, 2),
)


@st.composite
def linked(draw, problems_strategy: st.SearchStrategy[Problem]) -> Problem:
    """Problems of `problems_strategy` on their platform with a random link
    (0 channels: unlimited)."""
    p = draw(problems_strategy)
    return replace(p, platform=replace(p.platform, link=draw(LINKS)))
