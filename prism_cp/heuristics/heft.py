"""HEFT (Topcuoglu, Hariri and Wu, 2002) on the simulator's tick semantics.

Heterogeneous Earliest Finish Time: rank every op of the unrolled graph by
its upward rank (its mean occupancy over the cores that may run it, plus the
largest rank among its successors; there is no communication cost here),
then take the ops by decreasing rank and put each on the core where it
finishes earliest, inserted into the first idle gap of that core that is
long enough (insertion policy). Occupancy is the project's tick rule
(`completion_tick`), which may depend on the start tick, so a gap is checked
at the start it would really get. Each global op is placed on its own, so
batches may map an op differently.
"""

from __future__ import annotations

from bisect import bisect_right

from prism_cp.bounds import op_timing
from prism_cp.problem import Problem, completion_tick
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule


def upward_rank(problem: Problem) -> list[float]:
    """Per op of one batch (batches are identical): mean occupancy in ticks
    over the cores allowed to run it, plus the largest rank of a successor."""
    plat, ticks = problem.platform, problem.min_ticks
    succs = problem.workload.successors()
    rank = [0.0] * problem.n_ops
    for i in reversed(op_timing(problem).order):
        types = problem.allowed(i)
        mean = sum(plat.cores(c) * ticks[c][i] for c in types) / sum(plat.cores(c) for c in types)
        rank[i] = mean + max((rank[s] for s in succs[i]), default=0.0)
    return rank


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
    signature). Ops of equal rank go in topological order, then batch order;
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
    for g in sorted(range(size), key=lambda g: (-rank[g % n], position[g % n], g // n)):
        ready = max((done[p] for p in problem.preds[g]), default=0)
        best = None
        for c in problem.allowed(g % n):
            t = times[c][g]
            for k, core in enumerate(cores[c]):
                s, d = core.earliest(ready, t, clock)
                key = (d, s * clock + t, c, k, s)
                best = key if best is None or key < best else best
        d, e, c, k, s = best
        cores[c][k].take(s, d)
        start[g], end[g], ctype[g], cid[g], done[g] = s * clock, e, c, k, d
    if progress:
        progress(f"[heft] makespan {max(end, default=0)!r}")
    return Schedule(tuple(start), tuple(end), tuple(ctype), tuple(cid))
