"""An exhaustive oracle: tiny problems solved by brute force over every
per-batch mapping and every order of ops on each core, each re-timed by
replay. Every algorithm's bound, and each bound on its own, must be at most
that optimum; cpsat's OPTIMAL must be it."""

from __future__ import annotations

import math
import time

import networkx as nx
from hypothesis import HealthCheck, example, given, settings

from prism_cp import PrismError, Problem, Status, algorithms, replay, solve
from prism_cp.bounds import critical_path_bound, load_bounds, split_bound, total_work_bound
from prism_cp.cpsat.only_type_bound import only_type_bound
from prism_cp.cpsat.startup_bound import startup_bound

from strategies import examples, late_shorter_chain, near_tie, tiny_problems


def optimum(problem: Problem) -> float:
    """The least makespan of any schedule of `problem`.

    Replay starts each op as early as its core order and predecessors allow,
    and an op started earlier never completes or ends later (float rounding
    is monotone), so the replay of an optimal schedule's core sequences is
    optimal too: the minimum over all core sequences is the optimum. Cores of
    a type are interchangeable, so each type's ops are split into at most k
    unlabelled sequences: ops are inserted one by one at every position of
    every sequence, or open the next one (each split is made exactly once).
    An op is never put on a core after an op it must precede.
    """
    graph = nx.DiGraph([(p, g) for g in range(problem.size) for p in problem.preds[g]])
    graph.add_nodes_from(range(problem.size))
    later = [nx.descendants(graph, g) for g in range(problem.size)]
    seqs: dict[str, list[list[int]]] = {"cpu": [], "npu": []}
    best = math.inf

    def place(g: int) -> None:
        nonlocal best
        if g == problem.size:
            try:
                schedule = replay(problem, {(c, k): seq for c, ss in seqs.items() for k, seq in enumerate(ss)})
            except PrismError:  # the core orders and the edges form a cycle
                return
            best = min(best, schedule.makespan)
            return
        for c in problem.allowed(g % problem.n_ops):
            for seq in seqs[c]:
                for pos in range(len(seq) + 1):
                    if any(a in later[g] for a in seq[:pos]) or any(g in later[b] for b in seq[pos:]):
                        continue
                    seq.insert(pos, g)
                    place(g + 1)
                    seq.pop(pos)
            if len(seqs[c]) < problem.platform.cores(c):
                seqs[c].append([g])
                place(g + 1)
                seqs[c].pop()

    place(0)
    return best


def options(algorithm: str) -> dict:
    return {"time_limit": 1.0} if algorithm == "cpsat" else {}


def test_oracle_on_hand_checked_cases():
    assert optimum(late_shorter_chain()) == 1400.0
    assert optimum(near_tie()) == 100.0001


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
@example(late_shorter_chain())
@example(near_tie())
def test_every_bound_is_at_most_the_optimum_and_optimal_is_the_optimum(problem):
    best = optimum(problem)
    for algorithm in algorithms():
        result = solve(problem, algorithm, **options(algorithm))
        assert result.lower_bound <= best <= result.makespan, algorithm
        if result.status == Status.OPTIMAL:
            assert result.makespan == best, algorithm
    for bound in (critical_path_bound(problem), total_work_bound(problem), split_bound(problem), *load_bounds(problem).values()):
        assert bound <= best
    windows = tuple(range(1, int(best // problem.clock) + 2))  # every window up to the optimum
    assert startup_bound(problem, deadline=time.perf_counter() + 1, windows=windows) <= best
    assert only_type_bound(problem, 0.0, 2 * best + problem.clock, deadline=time.perf_counter() + 1) <= best
