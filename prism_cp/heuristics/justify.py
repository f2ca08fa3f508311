"""Double justification (forward-backward improvement) of a schedule.

A list schedule serves ready ops greedily, so on a pipelined problem its
cores run ahead on work nobody needs yet and starve on work that is late.
Justification (Valls, Ballestín and Quintanilla 2005, for project
scheduling) re-times a schedule in two passes of a serial schedule
generation scheme with insertion: backward, every op as late as possible in
the order of decreasing completion, so each one sits just before the ops
that need it; then forward, every op as early as possible in the order of
those late starts. Each op may also change core type where that completes
it earlier by more than `margin` ticks.

Ticks follow the simulator: an op started at tick k holds its core until
`completion_tick(k, T, clock)`, at least one tick. The backward pass only
produces an order and uses the fewest-tick occupancy; the forward pass uses
the exact one, so its plan keeps every precedence and core count. The
result is the static-order replay of that plan, validated
(`plan.to_schedule`).
"""

from __future__ import annotations

import random
import time
from typing import Callable, Sequence

import numpy as np

from prism_cp.plan import Plan, done_tick, to_schedule
from prism_cp.problem import Problem, completion_tick
from prism_cp.schedule import Schedule

MARGINS = (0, 5, 10, 20, 30, 40)  # ticks; justify_search tries each from the best schedule
# seconds per op of one justification (both passes, replay and validation), until
# one is measured: 1.05e-4 on xception at 17,152 ops on the 2-core machine, with room
PASS_S_PER_OP = 2e-4
Occupancy = Callable[[int, str, int], int]  # (global op, core type, start tick) -> ticks held


class Profile:
    """How many cores of one type are busy at each tick (grown on demand)."""

    def __init__(self, cores: int) -> None:
        self.cores = cores
        self.busy = np.zeros(1024, dtype=np.int32)

    def window(self, start: int, length: int) -> np.ndarray:
        """busy[start : start + length], the profile grown to hold it."""
        if start + length > len(self.busy):
            self.busy = np.concatenate((self.busy, np.zeros(max(start + length, 2 * len(self.busy)) - len(self.busy), dtype=np.int32)))
        return self.busy[start : start + length]

    def first_fit(self, earliest: int, occupancy: Callable[[int], int]) -> int:
        """The first tick s >= `earliest` with a core free over [s, s + occupancy(s))."""
        s, span = earliest, 64  # starts examined per numpy step, doubled while none fits
        while True:
            d = occupancy(s)
            full = self.window(s, span + d) >= self.cores
            if not full.any():
                return s
            seen = np.concatenate(([0], np.cumsum(full)))
            fits = np.flatnonzero(seen[d : d + span] == seen[:span])
            if not fits.size:
                s, span = s + span, 2 * span
                continue
            s += int(fits[0])
            if not (self.window(s, occupancy(s)) >= self.cores).any():
                return s
            s += 1  # here the op holds its core a tick longer than at the probe

    def take(self, start: int, done: int) -> None:
        self.window(start, done - start)[:] += 1


def serial_pass(
    problem: Problem,
    order: Sequence[int],
    before: Sequence[Sequence[int]],
    home: Sequence[str],
    margin: int | None,
    occupancy: Occupancy,
    *,
    released: bool,
) -> tuple[list[int], list[int], list[str]]:
    """Each op of `order` (which puts every op after its `before` ops) at
    its first fitting tick on the allowed core type that completes it first;
    its `home` type wins unless another completes it more than `margin`
    ticks earlier (None: always home). `released`: no op starts before its
    batch's release tick. Returns per-op (start, done, type) in ticks."""
    n = problem.n_ops
    profiles = {c: Profile(problem.platform.cores(c)) for c in ("cpu", "npu") if problem.platform.cores(c)}
    start, done, ctype = [0] * problem.size, [0] * problem.size, [""] * problem.size
    for g in order:
        earliest = max([done[q] for q in before[g]] + [problem.release_of(g) if released else 0])
        best: tuple[tuple[int, bool], str, int] | None = None
        for c in (home[g],) if margin is None else problem.allowed(g % n):
            s = profiles[c].first_fit(earliest, lambda k: occupancy(g, c, k))
            away = c != home[g]
            key = (s + occupancy(g, c, s) + (margin if away else 0), away)
            if best is None or key < best[0]:
                best = (key, c, s)
        assert best is not None
        _, c, s = best
        start[g], done[g], ctype[g] = s, s + occupancy(g, c, s), c
        profiles[c].take(s, done[g])
    return start, done, ctype


def forward(problem: Problem, order: Sequence[int], home: Sequence[str], margin: int | None) -> Schedule:
    """The forward serial pass over `order` (predecessors first) with exact
    occupancies, as a validated schedule."""

    def exact(g: int, c: str, k: int) -> int:
        return completion_tick(k, problem.global_times[c][g], problem.clock) - k

    start, _, ctype = serial_pass(problem, order, problem.preds, home, margin, exact, released=True)
    return to_schedule(problem, Plan(tuple(start), tuple(ctype)))


def justify(problem: Problem, schedule: Schedule, *, margin: int | None = 0) -> Schedule:
    """One backward and one forward pass over `schedule` (see the module
    docstring). `margin`: ticks an op must gain to change core type; None
    keeps every op on its type."""
    n = problem.n_ops
    plan = Plan.of(problem, schedule)

    def fewest(g: int, c: str, k: int) -> int:
        return problem.min_ticks[c][g % n]

    done = [done_tick(problem, plan, g) for g in range(problem.size)]
    latest_first = sorted(range(problem.size), key=lambda g: (-done[g], -g))  # successors first
    _, late_done, late_type = serial_pass(problem, latest_first, problem.succs, plan.core_type, margin, fewest, released=False)
    # an op's backward completion is above each of its successors' (occupancies are >= 1 tick)
    return forward(problem, sorted(range(problem.size), key=lambda g: (-late_done[g], g)), late_type, margin)


def justify_search(problem: Problem, schedule: Schedule, *, deadline: float, seed: int = 42, keep_types: bool = False) -> Schedule:
    """Repeated justification from the best schedule so far, each pass with
    a type-change margin from MARGINS in random order (or, with `keep_types`,
    every op on its type), until every margin has been tried from the current
    best without a gain, or until a pass would end after `deadline` (a
    time.perf_counter() value; a pass takes as long as the last one did, or
    PASS_S_PER_OP per op before the first). Never worse than `schedule`."""
    rng = random.Random(seed)
    best = schedule
    margins: tuple[int | None, ...] = (None,) if keep_types else MARGINS
    untried = set(margins)
    took = PASS_S_PER_OP * problem.size
    while untried and time.perf_counter() + took < deadline:
        margin = rng.choice([m for m in margins if m in untried])
        untried.discard(margin)
        began = time.perf_counter()
        trial = justify(problem, best, margin=margin)
        took = time.perf_counter() - began
        if trial.makespan < best.makespan:
            untried = set(margins)
        if trial.makespan <= best.makespan:
            best = trial
    return best
