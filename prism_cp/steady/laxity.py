"""A periodic schedule of one hyperperiod's inferences without a solver:
modulo list scheduling in a few priority orders (`priorities`).

Each op reserves its most ticks (`modulo.most_ticks`) on a circle of P
ticks per core, as in every modulo schedule here (see `modulo`); with a
link of limited channels each crossing edge's transfer reserves its most
ticks on one of `channels` circles. Ops go in a priority order that is
topological within an inference (least laxity first: by latest start,
their inference's due tick less their fewest ticks to its end); each goes on the core where it
completes first, at the first tick after its release and its inputs at
which that core's circle has room for it.
"""

from __future__ import annotations

import math

from prism_cp.bounds import op_timing
from prism_cp.problem import Problem
from prism_cp.steady.circle import Circle
from prism_cp.steady.link import edges, reserved
from prism_cp.steady.modulo import Core, ModuloSchedule, most_ticks


def due_ticks(problem: Problem) -> list[int]:
    """Per op: the last tick its inference's due time allows it to end at (in
    whole ticks; with no deadline, far beyond any schedule)."""
    far = problem.horizon_us // problem.clock + 1
    due = [far] * problem.n_ops
    for group in problem.groups:
        if group.due_us is not None:
            for g in group.ops:
                due[g] = math.floor(group.due_us / problem.clock)
    return due


def priorities(problem: Problem) -> dict[str, list[int]]:
    """Orders to place the ops in, each topological within an inference: by
    latest start (least laxity first); by latest start with the inference of
    the most work first (long inferences, late in a hyperperiod, otherwise
    find the circles cut into short gaps); by the inference's arrival, then
    its longest tail first."""
    timing, due = op_timing(problem), due_ticks(problem)
    work = [0] * len(problem.groups)
    for k, group in enumerate(problem.groups):
        work[k] = sum(timing.fastest[g] for g in group.ops)
    group = problem.group_index
    ops = range(problem.n_ops)
    return {
        "least laxity": sorted(ops, key=lambda i: (due[i] - timing.tail[i], i)),
        "most work": sorted(ops, key=lambda i: (-work[group[i]], due[i] - timing.tail[i], i)),
        "arrival": sorted(ops, key=lambda i: (problem.op_release[i], group[i], timing.head[i], -timing.tail[i], i)),
    }


def circle_list_schedule(problem: Problem, period: int, order: list[int] | None = None, types: list[str] | None = None) -> ModuloSchedule | None:
    """A modulo schedule of period `period` ticks for `problem` (one batch:
    one hyperperiod's inferences), its ops placed in `order` (default: least
    laxity first, `priorities`), each on a core of its type in `types` if
    given (a packing's, which balances the load), else of any type it may
    run on; None if some op finds no room."""
    P, n = period, problem.n_ops
    ticks, timing = most_ticks(problem), op_timing(problem)
    preds = problem.workload.predecessors()
    circles = {(c, x): Circle(P) for c in ("cpu", "npu") for x in range(problem.platform.cores(c))}
    link = problem.platform.link
    channels = [Circle(P) for _ in range(link.channels)] if link is not None and link.channels else []
    start: list[int] = [0] * n
    core: list[Core] = [("cpu", 0)] * n
    sent: dict[tuple[int, int], int] = {}

    def arrives(p: int, i: int, c: str, commit: bool) -> int | None:
        """When op p's output can be at op i on core type c (its transfer
        placed on the soonest channel if `commit`)."""
        done = start[p] + ticks[core[p][0]][p]
        if link is None or core[p][0] == c:
            return done
        d = reserved(problem, (p, i), core[p][0])
        if not channels:
            at = done
        else:
            slots = [(t, h) for h, ch in enumerate(channels) if (t := ch.first(done, d)) is not None]
            if not slots:
                return None
            at, h = min(slots)
            if commit:
                channels[h].take(at, d)
        if commit:
            sent[p, i] = at
        return at + d

    for i in order or priorities(problem)["least laxity"]:
        best: tuple[int, int, Core] | None = None
        for c in problem.allowed(i) if types is None else (types[i],):
            d = ticks[c][i]
            inputs = [arrives(p, i, c, False) for p in preds[i]]
            if d > P or None in inputs:
                continue
            ready = max([problem.op_release[i] + timing.head[i], *inputs])
            for x in range(problem.platform.cores(c)):
                t = circles[c, x].first(ready, d)
                if t is not None and (best is None or (t + d, t, (c, x)) < best):
                    best = (t + d, t, (c, x))
        if best is None:
            return None
        c = best[2][0]
        inputs = [arrives(p, i, c, True) for p in preds[i]]  # placing the transfers may delay the op
        if None in inputs:
            return None
        t = circles[best[2]].first(max([best[1], *inputs]), ticks[c][i])
        if t is None:
            return None
        circles[best[2]].take(t, ticks[c][i])
        start[i], core[i] = t, best[2]
    transfer = () if link is None else (tuple(sent.get(e) for e in edges(problem)),)
    return ModuloSchedule(P, 1, (tuple(start),), (tuple(core),), transfer)


def late_groups(problem: Problem, schedule: ModuloSchedule) -> list[int]:
    """Per inference of `problem` (one hyperperiod's): how many whole us its
    last op may end after its due time, in every repetition of the modulo
    schedule (0: it meets it). Counted in whole us with each op's time
    rounded up: a float end within clock * start + ceil(T) <= floor(due)
    never exceeds the due time, whatever the hyperperiod it falls in."""
    clock, times = problem.clock, problem.workload.times
    out = []
    for group in problem.groups:
        end = max(clock * schedule.start[0][g] + math.ceil(times[schedule.core[0][g][0]][g]) for g in group.ops)
        out.append(0 if group.due_us is None else max(0, end - math.floor(group.due_us)))
    return out
