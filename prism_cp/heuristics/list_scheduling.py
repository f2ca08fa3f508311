"""Event-driven priority list scheduling on the simulator's tick semantics.

Unlike the reference FIFO policy, ready ops are served by priority and the
core type is chosen per global op at dispatch time: each op waits in the
queue of its home type (by default NPU-able ops on the NPUs), and a core of
the other type that would otherwise idle may take a ready op marked
stealable that it can run; a CPU takes any NPU-homed op until the first
CPU-homed op is ready. Because a free core is never left idle while an op it
may take is ready, and what it may take only shrinks over time,
`replay(problem, s.sequences()) == s` for every schedule returned here
(with a link, by construction: the dispatch ignores transfers and the
result is re-timed by replay).
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Sequence

from prism_cp.problem import Problem, completion_tick
from prism_cp.schedule import Schedule
from prism_cp.simulate import replay


def list_schedule(
    problem: Problem, priority: Sequence[float], steal: Sequence[bool], home_npu: Sequence[bool] | None = None
) -> Schedule:
    """Dispatch every global op by `priority` (higher first, ties to the lower
    global index) at the first tick it is ready (its batch released, its
    predecessors complete) and a core can take it.

    `home_npu[g]`: op g waits for an NPU (it must be NPU-able), else for a
    CPU; default: NPU-able ops on the NPUs. Once every type has served its
    own queue, a free CPU takes the best ready NPU-homed op with `steal[g]`
    true, or any NPU-homed op while no CPU-homed op has been ready yet (the
    CPUs have no work of their own before that, so they help the NPUs through
    the first ops); a free NPU takes the best ready NPU-able CPU-homed op with
    `steal[g]` true. On a platform without NPUs (or without CPUs) every op
    goes to the type that exists. Start = tick * clock (int), end = start +
    time (float), lowest free core id first. Dispatch does not see the link:
    on a platform with one, the result is the replay of its core sequences
    (which times the transfers).
    """
    size, clock, n = problem.size, problem.clock, problem.n_ops
    plat = problem.platform
    times, succs = problem.global_times, problem.succs
    waiting = list(problem.indegree)
    if home_npu is None:
        home_npu = problem.replicate([plat.npus > 0 and (ok or plat.cpus == 0) for ok in problem.npu_ok])
    npu_able = [plat.npus > 0 and ok for ok in problem.npu_ok]
    assert all(npu_able[g % n] or not home for g, home in enumerate(home_npu)), "an op homed on the NPUs they cannot run"
    start = [0] * size
    end = [0.0] * size
    ctype = [""] * size
    cid = [0] * size
    free = {"cpu": list(range(plat.cpus)), "npu": list(range(plat.npus))}
    ready: dict[str, list[tuple[float, int]]] = {"cpu": [], "npu": []}
    running: list[tuple[int, int]] = []
    warming_up = True

    def release(g: int) -> None:
        heappush(ready["npu" if home_npu[g] else "cpu"], (-priority[g], g))

    def fire(g: int, c: str, tick: int) -> None:
        t = tick * clock
        dur = times[c][g]
        start[g], end[g], ctype[g], cid[g] = t, t + dur, c, heappop(free[c])
        heappush(running, (completion_tick(tick, dur, clock), g))

    arrivals = [(problem.release_of(g), g) for g in range(size) if not waiting[g]]
    heapify(arrivals)
    tick = 0
    while True:
        while arrivals and arrivals[0][0] <= tick:
            release(heappop(arrivals)[1])
        warming_up = warming_up and not ready["cpu"]
        for c in ("cpu", "npu"):
            q, f = ready[c], free[c]
            while q and f:
                fire(heappop(q)[1], c, tick)
        for c, other in (("cpu", "npu"), ("npu", "cpu")):
            kept = []
            q = ready[other]
            while q and free[c]:
                item = heappop(q)
                g = item[1]
                if (warming_up and c == "cpu") or (steal[g] and (c == "cpu" or npu_able[g % n])):
                    fire(g, c, tick)
                else:
                    kept.append(item)
            for item in kept:
                heappush(q, item)
        if not running and not arrivals:
            break
        tick = min(running[0][0] if running else arrivals[0][0], arrivals[0][0] if arrivals else running[0][0])
        while running and running[0][0] == tick:
            g = heappop(running)[1]
            heappush(free[ctype[g]], cid[g])
            for s in succs[g]:
                waiting[s] -= 1
                if not waiting[s]:
                    release(s)
    schedule = Schedule(tuple(start), tuple(end), tuple(ctype), tuple(cid))
    return schedule if plat.link is None else replay(problem, schedule.sequences())
