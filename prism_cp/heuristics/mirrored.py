"""The mirrored search: staggered schedules of the problem with every edge
reversed, read backwards in time and justified. List schedulers pipeline a
problem's wind-down well and its start-up badly, so a start-up read
backwards from a wind-down is often better than a forward one."""

from __future__ import annotations

import dataclasses
import time

from prism_cp.heuristics.justify import PASS_S_PER_OP, forward, justify, justify_search
from prism_cp.heuristics.staggered import STAGGER_US, staggered_schedule
from prism_cp.plan import Plan, done_tick
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule

MIRROR_OPS = 30_000  # above, the mirrored search is left out: one justification takes seconds (1.8 s at 17,152 ops)
MIRROR_PASSES = 3  # a mirrored candidate costs about three justification passes (list schedule, forward pass, one justification)
MIRROR_MARGIN = 20  # ticks an op must gain to leave the core type the mirrored schedule gave it
# (stagger as a multiple of staggered.STAGGER_US, tail batches) of the reversed problem's
# schedules, roughly best first on xception at 16 batches on 8 NPUs + 4 CPUs, where
# mirroring and justifying the first five gave 518,400.67, 519,600.67, 521,400.67,
# 520,300.67 and 520,700.67 us; the search tries them in turn while time is left
MIRROR_OPTIONS = ((0.5, 4), (1, 8), (0.2, 1), (0.5, 8), (0.5, 1), (0.2, 4), (1, 4), (2, 8), (0.2, 8), (1, 1), (0, 1))


def reversed_problem(problem: Problem) -> Problem:
    """The same problem with every edge reversed (no stream: releases have
    no mirror image). A schedule of it read backwards in time orders the
    original: its start-up is the original's wind-down."""
    w = problem.workload
    edges = w.edges.copy()
    edges[:, [0, 1]] = edges[:, [1, 0]]
    return dataclasses.replace(problem, workload=dataclasses.replace(w, edges=edges))


def mirrorable(problem: Problem) -> bool:
    """Whether the mirrored search is worth its time: not above MIRROR_OPS
    ops, and not for a timed problem (a stream or a mix: releases have no
    mirror image)."""
    return not problem.timed and problem.size <= MIRROR_OPS


def mirrored_search(problem: Problem, *, deadline: float, seed: int = 42) -> Schedule | None:
    """The best mirror image of staggered schedules of the reversed problem,
    justified (None if not even one fits before `deadline`). List schedulers
    pipeline a problem's wind-down well and its start-up badly, so a start-up
    read backwards from a wind-down is often better than a forward one.

    Each option of MIRROR_OPTIONS, in turn while it fits in the first half of
    the time: the staggered schedule of the reversed problem, mirrored (every
    op as early as possible in the order the reversed schedule completes
    them, latest first) and justified once; then `justify_search` from each
    of these, best first, while time is left."""
    mirror = reversed_problem(problem)
    half = time.perf_counter() + 0.5 * (deadline - time.perf_counter())
    took = MIRROR_PASSES * PASS_S_PER_OP * problem.size  # per option, until one is measured
    candidates: list[Schedule] = []
    for stagger, tail in MIRROR_OPTIONS:
        began = time.perf_counter()
        if began + took > half:
            break
        back = staggered_schedule(mirror, stagger_us=stagger * STAGGER_US, tail_batches=min(tail, problem.nbatch))
        plan = Plan.of(mirror, back)
        done = [done_tick(mirror, plan, g) for g in range(problem.size)]
        # in the reversed schedule an op completes after each of its (original) successors: occupancies are >= 1 tick
        order = sorted(range(problem.size), key=lambda g: (-done[g], g))
        candidates.append(justify(problem, forward(problem, order, back.core_type, MIRROR_MARGIN), margin=MIRROR_MARGIN))
        took = time.perf_counter() - began
    if not candidates:
        return None
    candidates.sort(key=lambda c: c.makespan)
    best = candidates[0]
    for candidate in candidates:
        found = justify_search(problem, candidate, deadline=deadline, seed=seed)
        if found.makespan < best.makespan:
            best = found
        if time.perf_counter() >= deadline:
            break
    return best
