"""The exhaustive oracle: the least makespan of a tiny problem by brute force,
what the soundness tests hold every bound and OPTIMAL claim against."""

from __future__ import annotations

import math
from typing import Iterator

import networkx as nx

from prism_cp import PrismError, Problem, replay
from prism_cp.schedule import Schedule


def optimum(problem: Problem) -> float:
    """The least makespan of any schedule of `problem` (see `compacted`)."""
    return min((s.makespan for s in compacted(problem)), default=math.inf)


def energy_of(problem: Problem, schedule: Schedule) -> float:
    """The issue's energy formula written out from the schedule's fields
    alone, independently of prism_cp.cost.energy (plain floats: compare with
    a relative tolerance)."""
    plat = problem.platform
    makespan = max(schedule.end)
    total = 0.0
    for c in ("cpu", "npu"):
        if not plat.cores(c):
            continue
        power = dict(plat.power)[c]
        busy = sum(e - s for s, e, t in zip(schedule.start, schedule.end, schedule.core_type) if t == c)
        total += (power.active_mw * busy + power.idle_mw * (plat.cores(c) * makespan - busy)) / 1000
    pj = plat.link.pj_per_byte if plat.link is not None else 0.0
    return total + sum(t.bytes * pj / 1e6 for t in schedule.transfers)


def least_energy(problem: Problem, cap_us: float) -> float:
    """The least energy (`energy_of`) of a compacted schedule of makespan at
    most `cap_us` (inf if none). Compacting never lengthens the makespan and
    moves an op's busy time by float rounding only, so no schedule within the
    cap costs less than this by more than that rounding."""
    return min((energy_of(problem, s) for s in compacted(problem) if s.makespan <= cap_us), default=math.inf)


def compacted(problem: Problem) -> Iterator[Schedule]:
    """The replay of every split of each type's ops into core sequences.

    Replay starts each op as early as its core order and predecessors allow,
    and an op started earlier never completes or ends later (float rounding
    is monotone), so the replay of an optimal schedule's core sequences is
    optimal too: the minimum over all core sequences is the optimum. Cores of
    a type are interchangeable, so each type's ops are split into at most k
    unlabelled sequences: ops are inserted one by one at every position of
    every sequence, or open the next one (each split is made exactly once).
    An op is never put on a core after an op it must precede.

    With a link, the transfers are timed like ops on the link's channels:
    unlimited channels send each as soon as it is ready (replay's FIFO rule
    does), else the transfers of each mapping are split into at most
    `channels` unlabelled sequences in every way, each replayed in that order.
    """
    graph = nx.DiGraph([(p, g) for g in range(problem.size) for p in problem.preds[g]])
    graph.add_nodes_from(range(problem.size))
    later = [nx.descendants(graph, g) for g in range(problem.size)]
    seqs: dict[str, list[list[int]]] = {"cpu": [], "npu": []}
    found: list[Schedule] = []

    def place(g: int) -> None:
        if g == problem.size:
            cores = {(c, k): seq for c, ss in seqs.items() for k, seq in enumerate(ss)}
            for channels in channel_orders(problem, cores):
                try:
                    found.append(replay(problem, cores, channels))
                except PrismError:  # the core and channel orders and the edges form a cycle
                    continue
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
    yield from found


def channel_orders(problem: Problem, cores: dict[tuple[str, int], list[int]]) -> Iterator[dict[int, list[tuple[int, int, int]]] | None]:
    """Every way to put the transfers of the mapping `cores` gives on the
    link's channels, each split made once (None: the FIFO rule, which is
    optimal without a link or with unlimited channels)."""
    link = problem.platform.link
    if link is None or not link.channels:
        yield None
        return
    n = problem.n_ops
    ctype = {g: c for (c, _), seq in cores.items() for g in seq}
    moves = [(b, u, v) for b in range(problem.nbatch) for u, v in problem.edge_tokens if ctype[b * n + u] != ctype[b * n + v]]
    split: list[list[tuple[int, int, int]]] = []

    def place(k: int) -> Iterator[dict[int, list[tuple[int, int, int]]]]:
        if k == len(moves):
            yield {ch: list(seq) for ch, seq in enumerate(split)}
            return
        for seq in split:
            for pos in range(len(seq) + 1):
                seq.insert(pos, moves[k])
                yield from place(k + 1)
                seq.pop(pos)
        if len(split) < link.channels:
            split.append([moves[k]])
            yield from place(k + 1)
            split.pop()

    yield from place(0)
