"""HEFT (Topcuoglu, Hariri and Wu, 2002) on the simulator's tick semantics.

Heterogeneous Earliest Finish Time: rank every op of the unrolled graph by
its upward rank (its mean occupancy over the cores that may run it, plus the
largest, over its successors, of the mean communication cost of the edge and
the successor's rank; the cost is 0 without a link),
then take the ops by decreasing rank and put each on the core where it
finishes earliest, inserted into the first idle gap of that core that is
long enough (insertion policy). Occupancy is the project's tick rule
(`completion_tick`), which may depend on the start tick, so a gap is checked
at the start it would really get. Each global op is placed on its own, so
batches may map an op differently; none starts before its batch's release.
With a link, an op's earliest start on a core type counts each input from
the other type as sent at its producer's completion tick on a free channel;
the link's channels are not reserved here, so the schedule returned is the
replay of the HEFT core sequences, which times the transfers by the FIFO rule.
"""

from __future__ import annotations

from bisect import bisect_right

from prism_cp.bounds import op_timing
from prism_cp.problem import Problem, completion_tick
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule
from prism_cp.simulate import replay


def upward_rank(problem: Problem) -> list[float]:
    """Per op of one batch (batches are identical): mean occupancy in ticks
    over the cores allowed to run it, plus the largest rank of a successor."""
    plat, ticks = problem.platform, problem.min_ticks
    succs = problem.workload.successors()
    rank = [0.0] * problem.n_ops
    for i in reversed(op_timing(problem).order):
        types = problem.allowed(i)
        mean = sum(plat.cores(c) * ticks[c][i] for c in types) / sum(plat.cores(c) for c in types)
        rank[i] = mean + max((mean_transfer_ticks(problem, i, s) + rank[s] for s in succs[i]), default=0.0)
    return rank


def mean_transfer_ticks(problem: Problem, u: int, v: int) -> float:
    """HEFT's mean communication cost of edge u -> v (ticks): over every pair
    (core of u, core of v) of the cores allowed to run them, the transfer's
    fewest ticks where their types differ, 0 where they agree; 0 without a
    link (nothing moves; ranks are never -0.0, so adding it changes none)."""
    plat = problem.platform
    if plat.link is None:
        return 0.0
    share = {i: {c: plat.cores(c) for c in problem.allowed(i)} for i in (u, v)}
    total = sum(share[u].values()) * sum(share[v].values())
    cost = sum(a * b * problem.transfer_ticks[c][u, v][0] for c, a in share[u].items() for d, b in share[v].items() if c != d)
    return cost / total


def input_ready(problem: Problem, g: int, c: str, done: list[int], ctype: list[str]) -> int:
    """The first tick op g could start on core type `c`: its batch released,
    inputs from `c` completed, inputs from the other type completed and sent
    at once over the link (no channel contention)."""
    n, clock = problem.n_ops, problem.clock
    ready = problem.release_of(g)
    for p in problem.preds[g]:
        at = done[p]
        if problem.platform.link is not None and ctype[p] != c:
            at = completion_tick(at, problem.transfer_time(p % n, g % n, ctype[p]), clock)
        ready = max(ready, at)
    return ready


class _Core:
    """The busy intervals [start, done) of one core, in ticks, sorted."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.dones: list[int] = []

    def earliest(self, ready: int, time_us: float, clock: int) -> tuple[int, int]:
        """(start, done) ticks of the first slot at or after `ready` that holds
        an op of `time_us` until its completion tick."""
        k = bisect_right(self.starts, ready)
        start = max(ready, self.dones[k - 1]) if k else ready
        while True:
            done = completion_tick(start, time_us, clock)
            if k == len(self.starts) or done <= self.starts[k]:
                return start, done
            start = max(ready, self.dones[k])
            k += 1

    def take(self, start: int, done: int) -> None:
        k = bisect_right(self.starts, start)
        self.starts.insert(k, start)
        self.dones.insert(k, done)


def heft_schedule(problem: Problem, *, seed: int = 42, progress: Progress | None = None) -> Schedule:
    """The HEFT schedule (deterministic; `seed` is unused, kept for a uniform
    signature). In a stream, batches released at different ticks are taken
    in release order (a later batch must not take the cores an earlier one
    is waiting for). Ops of equal rank go in topological order, then batch order;
    a core is chosen by earliest completion tick, then earliest end, then
    CPU before NPU and the lower core id."""
    n, clock, size = problem.n_ops, problem.clock, problem.size
    rank = upward_rank(problem)
    position = {i: k for k, i in enumerate(op_timing(problem).order)}
    times = problem.global_times
    cores = {c: [_Core() for _ in range(problem.platform.cores(c))] for c in ("cpu", "npu")}
    start, end = [0] * size, [0.0] * size
    ctype, cid = [""] * size, [0] * size
    done = [0] * size
    for g in sorted(range(size), key=lambda g: (problem.release_of(g), -rank[g % n], position[g % n], g // n)):
        best = None
        for c in problem.allowed(g % n):
            ready = input_ready(problem, g, c, done, ctype)
            t = times[c][g]
            for k, core in enumerate(cores[c]):
                s, d = core.earliest(ready, t, clock)
                key = (d, s * clock + t, c, k, s)
                best = key if best is None or key < best else best
        d, e, c, k, s = best
        cores[c][k].take(s, d)
        start[g], end[g], ctype[g], cid[g], done[g] = s * clock, e, c, k, d
    schedule = Schedule(tuple(start), tuple(end), tuple(ctype), tuple(cid))
    if problem.platform.link is not None:
        schedule = replay(problem, schedule.sequences())
    if progress:
        progress(f"[heft] makespan {schedule.makespan!r}")
    return schedule
