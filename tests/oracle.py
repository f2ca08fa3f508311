"""The exhaustive oracle: the least makespan of a tiny problem by brute force,
what the soundness tests hold every bound and OPTIMAL claim against."""

from __future__ import annotations

import math

import networkx as nx

from prism_cp import PrismError, Problem, replay


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
