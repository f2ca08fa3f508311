"""The `staggered` heuristic: priority list scheduling that keeps the CPUs
fed, and `staggered_search`, its iterated improvement (a seed for exact
engines).

On SoCs where some op types run only on CPUs (xception's SeparableConv2D on
grai), the CPUs are the bottleneck: any schedule needs the CPU-only work of
all batches divided over the CPUs. So ready ops are served by the CPU-only
work left on their longest path to the end of their batch, less the NPU time
that still separates them from the next CPU-only op (the NPUs first feed the
batches about to hand work to the CPUs). A per-batch stagger makes the
batches drift apart, so that while one batch waits for the NPUs another has
CPU work ready; the last `tail_batches` batches share one offset so that they
finish together and keep both CPUs busy to the end. A CPU with nothing of its
own to do takes an NPU-able op that is not much slower on it (CPU time at
most `cpu_ratio` times its NPU time), or any NPU-able op before the first
CPU-only op is ready (see `list_schedule`).

Both follow the configuration through the work-split LP (`bounds.type_split`):
where it gives the CPUs NPU-able work (CPU-rich platforms), the NPU-able ops whose
CPU/NPU time ratio is at most `home_ratio` (default: the largest such ratio
the LP sends to the CPUs) wait for a CPU, and an idle NPU may take them; the
CPU ratio defaults to STEAL_MARGIN times that ratio.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Any, Sequence

import networkx as nx

from prism_cp.bounds import lower_bound, type_split
from prism_cp.errors import PrismError, check_count
from prism_cp.heuristics.heft import upward_rank
from prism_cp.heuristics.list_scheduling import list_schedule
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule

# Tuned with benchmarks/tune_staggered.py on xception / grai / 4 NPUs + 2 CPUs
# at 4, 8 and 16 batches (see that script for the table).
STAGGER_US = 5000.0
CPU_RATIO = 1.5  # where the work-split LP gives the CPUs no NPU-able work
TAIL_BATCHES = 4
# an idle CPU may take ops up to this much above the LP's CPU/NPU ratio: it only
# takes them when it would otherwise wait (at 16 batches, `tune_staggered.py
# --npus N --cpus M` finds the best ratio 1.15-1.25 times the LP's on the
# configurations where the LP gives the CPUs NPU-able work, 2 on 4 NPUs + 4 CPUs)
STEAL_MARGIN = 1.2


def occupancy_ratio(problem: Problem, i: int) -> float:
    """CPU / NPU occupancy of op i (ticks), the LP's measure of where it is cheaper."""
    return problem.min_ticks["cpu"][i] / problem.min_ticks["npu"][i]


def lp_threshold(problem: Problem) -> float:
    """The largest CPU/NPU occupancy ratio of an NPU-able op that the
    work-split LP puts (partly) on the CPUs; 0 where it puts none there."""
    if not (problem.platform.cpus and problem.platform.npus):
        return 0.0
    share = type_split(problem)[0].share
    return max((occupancy_ratio(problem, i) for i in range(problem.n_ops) if problem.npu_ok[i] and share[i].get("cpu", 0) > 0), default=0.0)


def lp_cpu_ratio(problem: Problem) -> float:
    """The default CPU ratio: STEAL_MARGIN times `lp_threshold`, or CPU_RATIO
    where the LP gives the CPUs no NPU-able work."""
    threshold = lp_threshold(problem)
    return STEAL_MARGIN * threshold if threshold else CPU_RATIO


def home_on_npu(problem: Problem, home_ratio: float) -> list[bool]:
    """Per global op: does it wait for an NPU (NPU-able with a CPU/NPU
    occupancy ratio above `home_ratio`, or no CPUs at all)."""
    plat = problem.platform
    per_op = [plat.npus > 0 and ((ok and occupancy_ratio(problem, i) > home_ratio) or plat.cpus == 0) for i, ok in enumerate(problem.npu_ok)]
    return problem.replicate(per_op)


def cpu_work_ahead(problem: Problem) -> tuple[list[float], list[float]]:
    """Per op of one batch: (rank, lead).

    rank: the most CPU-only execution time (us) on any path from the op
    (itself included) to the end of its batch. lead: the least NPU time (us)
    from the op (itself included) to the next CPU-only op on a path; 0 for
    CPU-only ops and for ops with no CPU-only op after them.
    """
    w = problem.workload
    succs = w.successors()
    cpu_only = [not (ok and problem.platform.npus) for ok in problem.npu_ok]
    rank = [0.0] * w.n_ops
    lead = [0.0] * w.n_ops
    feeds = [False] * w.n_ops  # some CPU-only op at or after this op
    for i in reversed(list(nx.topological_sort(w.graph()))):
        rank[i] = (w.times["cpu"][i] if cpu_only[i] else 0.0) + max((rank[s] for s in succs[i]), default=0.0)
        feeding = [lead[s] for s in succs[i] if feeds[s]]
        feeds[i] = cpu_only[i] or bool(feeding)
        lead[i] = w.times["npu"][i] + min(feeding) if feeding and not cpu_only[i] else 0.0
    return rank, lead


def cpu_work_key(problem: Problem) -> list[float]:
    """Per op: rank - lead (see `cpu_work_ahead`), the default priority key."""
    rank, lead = cpu_work_ahead(problem)
    return [r - d for r, d in zip(rank, lead)]


def staggered_priorities(problem: Problem, stagger_us: float, tail_batches: int, key: Sequence[float] | None = None) -> list[float]:
    """Per global op: `key` of its op (default: `cpu_work_key`) minus
    `stagger_us` per batch index, the index capped so the last
    `tail_batches` batches share one offset."""
    key = cpu_work_key(problem) if key is None else key
    last = max(problem.nbatch - tail_batches, 0)
    return [k - min(b, last) * stagger_us for b in range(problem.nbatch) for k in key]


def priority_keys(problem: Problem) -> dict[str, list[float]]:
    """The per-op priority keys the search tries (us): the CPU-only work ahead
    (`cpu_work_ahead`, for CPU-bound configurations) and HEFT's upward rank
    (the whole work ahead, for configurations where both types are busy)."""
    return {"cpu-work": cpu_work_key(problem), "upward-rank": [problem.clock * r for r in upward_rank(problem)]}


def stealable(problem: Problem, cpu_ratio: float) -> list[bool]:
    """Per global op: may an idle CPU take it (NPU-able, CPU time <= ratio x NPU time)."""
    t = problem.workload.times
    per_op = [ok and t["cpu"][i] <= cpu_ratio * t["npu"][i] for i, ok in enumerate(problem.npu_ok)]
    return problem.replicate(per_op)


@dataclass(frozen=True)
class StaggerOptions:
    """The knobs of the staggered list schedule, shared by `staggered_schedule`
    and `staggered_search`. `cpu_ratio` None: `lp_cpu_ratio`; `home_ratio`
    None: `lp_threshold`."""

    stagger_us: float = STAGGER_US
    cpu_ratio: float | None = None
    tail_batches: int = TAIL_BATCHES
    home_ratio: float | None = None

    def resolved(self, problem: Problem) -> tuple[float, float, int, float]:
        """(stagger_us, cpu_ratio, tail_batches, home_ratio) with the defaults
        of `problem` filled in; PrismError for a value the heuristic cannot use."""
        cpu_ratio = lp_cpu_ratio(problem) if self.cpu_ratio is None else self.cpu_ratio
        home_ratio = lp_threshold(problem) if self.home_ratio is None else self.home_ratio
        if not isinstance(home_ratio, (int, float)) or not math.isfinite(home_ratio) or home_ratio < 0:
            raise PrismError(f"home ratio must be a finite number >= 0, got {home_ratio!r}")
        if not isinstance(self.stagger_us, (int, float)) or not math.isfinite(self.stagger_us) or self.stagger_us < 0:
            raise PrismError(f"stagger must be a finite number of microseconds >= 0, got {self.stagger_us!r}")
        if not isinstance(cpu_ratio, (int, float)) or not math.isfinite(cpu_ratio) or cpu_ratio <= 0:
            raise PrismError(f"CPU ratio must be a finite number > 0, got {cpu_ratio!r}")
        check_count(self.tail_batches, "tail batches")
        return self.stagger_us, cpu_ratio, self.tail_batches, home_ratio


def staggered_schedule(problem: Problem, *, seed: int = 42, progress: Progress | None = None, **options: Any) -> Schedule:
    """The staggered list schedule (deterministic; `seed` is unused, kept for a
    uniform signature). `options`: the fields of `StaggerOptions`. Each batch
    may map an op differently. The result is valid and equal to the
    static-order replay of its own core sequences."""
    stagger_us, cpu_ratio, tail_batches, home_ratio = StaggerOptions(**options).resolved(problem)
    prio = staggered_priorities(problem, stagger_us, tail_batches)
    sched = list_schedule(problem, prio, stealable(problem, cpu_ratio), home_on_npu(problem, home_ratio))
    if progress:
        progress(
            f"[staggered] stagger {stagger_us:g} us, CPU ratio {cpu_ratio:g}, tail {tail_batches}, "
            f"home ratio {home_ratio:g}: makespan {sched.makespan!r}"
        )
    return sched


def staggered_search(problem: Problem, *, deadline: float, seed: int = 42, progress: Progress | None = None, **options: Any) -> Schedule:
    """The best staggered-style list schedule found before `deadline` (a
    time.perf_counter() value).

    First the given options (the fields of `StaggerOptions`), then each
    option in turn over a few values around the best so far (the priority
    key, see `priority_keys`; home ratio x 0.9, 1.05; ratio x 0.3..1.4,
    stagger x 0..4, tail 1..6);
    then, from the best, random local
    moves on the per-global-op priorities, steal flags and home types (shift
    one batch, jitter one op, flip whether an idle core of the other type may
    take one op, or which type it waits for), keeping a move
    when the makespan, then the sum of batch completion times, does not get
    worse. Stops early once the makespan meets the analytic lower bound
    (proven optimal). Never worse than `staggered_schedule` with the same
    options, which it returns even if `deadline` has already passed. The
    result is valid and equal to the replay of its own core sequences; it
    depends on `seed` and on how many moves fit before the deadline.
    """
    stagger_us, cpu_ratio, tail_batches, home_ratio = StaggerOptions(**options).resolved(problem)
    say = progress or (lambda _line: None)
    rng = random.Random(seed)
    n, plat = problem.n_ops, problem.platform

    def cost(s: Schedule) -> tuple[float, float]:
        return s.makespan, sum(max(s.end[b * n:(b + 1) * n]) for b in range(problem.nbatch))

    keys = priority_keys(problem)

    def build(stagger: float, ratio: float, tail: int, key: str, home: float) -> tuple[Schedule, list[float], list[bool], list[bool]]:
        prio, steal, homes = staggered_priorities(problem, stagger, tail, keys[key]), stealable(problem, ratio), home_on_npu(problem, home)
        return list_schedule(problem, prio, steal, homes), prio, steal, homes

    floor = lower_bound(problem)
    knobs = [stagger_us, cpu_ratio, tail_batches, "cpu-work", home_ratio]
    best_sched, prio, steal, homes = build(*knobs)
    current = cost(best_sched)
    tails = range(1, min(6, problem.nbatch) + 1)
    grid = [
        (3, ["upward-rank"]),
        (4, [home_ratio * h for h in (0.9, 1.05)] if home_ratio else []),
        (1, [cpu_ratio * r for r in (0.3, 0.8, 1.2, 1.4)]),
        (0, [stagger_us * m for m in (0, 0.2, 0.5, 2, 4)]),
        (2, tails),
    ]
    for which, values in grid:
        base = list(knobs)
        for value in values:
            if time.perf_counter() >= deadline or current[0] <= floor:
                break
            trial = base[:which] + [value] + base[which + 1:]
            sched, trial_prio, trial_steal, trial_homes = build(*trial)
            if cost(sched) < current:
                best_sched, prio, steal, homes, current, knobs = sched, trial_prio, trial_steal, trial_homes, cost(sched), trial
    say(f"[staggered-search] start: makespan {best_sched.makespan!r}")
    best_cost = current
    jitter = sum(problem.workload.times["cpu"]) / n  # a typical op time
    shift = stagger_us or jitter
    npu_able = [g for g in range(problem.size) if problem.npu_ok[g % n]] if plat.npus and plat.cpus else []
    moves = 0
    while time.perf_counter() < deadline and best_cost[0] > floor:
        moves += 1
        trial_prio, trial_steal, trial_homes = prio, steal, homes
        r = rng.random()
        if r < 0.3 and problem.nbatch > 1:
            b, delta = rng.randrange(problem.nbatch), rng.uniform(-shift, shift)
            trial_prio = prio[:b * n] + [x + delta for x in prio[b * n:(b + 1) * n]] + prio[(b + 1) * n:]
        elif r < 0.8 or not npu_able:
            g = rng.randrange(problem.size)
            trial_prio = list(prio)
            trial_prio[g] += rng.gauss(0.0, jitter)
        elif r < 0.9:
            g = rng.choice(npu_able)
            trial_steal = list(steal)
            trial_steal[g] = not steal[g]
        else:
            g = rng.choice(npu_able)
            trial_homes = list(homes)
            trial_homes[g] = not homes[g]
        sched = list_schedule(problem, trial_prio, trial_steal, trial_homes)
        c = cost(sched)
        if c <= current:
            current, prio, steal, homes = c, trial_prio, trial_steal, trial_homes
            if c < best_cost:
                if c[0] < best_cost[0]:
                    say(f"[staggered-search] move {moves}: makespan {c[0]!r}")
                best_cost, best_sched = c, sched
    say(f"[staggered-search] {moves} moves, best makespan {best_sched.makespan!r}")
    return best_sched
