"""The circle of a modulo schedule's resource (a core, a link channel): its
`period` ticks, which are held, and per residue the free run starting there.

One structure for every heuristic that places arcs on circles (`laxity`'s
list scheduling, `placement`'s iterative modulo scheduling), so the free-run
bookkeeping, which wraps around the circle, is written once."""

from __future__ import annotations

import numpy as np


class Circle:
    """The held ticks of a circle of `period` ticks and, per residue, the
    free run starting there (at most `period`)."""

    def __init__(self, period: int) -> None:
        self.period = period
        self.held = np.zeros(period, dtype=bool)
        self.run = np.full(period, period, dtype=np.int64)

    def first(self, tick: int, ticks: int) -> int | None:
        """The first tick at or after `tick` from which `ticks` ticks are free (None: nowhere)."""
        fits = np.flatnonzero(np.roll(self.run, -(tick % self.period)) >= ticks)
        return None if fits.size == 0 else tick + int(fits[0])

    def take(self, tick: int, ticks: int, held: bool = True) -> None:
        """Hold the `ticks` ticks from `tick` on (free them if not `held`)."""
        P = self.period
        self.held[(tick + np.arange(ticks)) % P] = held
        twice = np.concatenate([self.held, self.held])  # twice around: runs wrap
        nxt = np.minimum.accumulate(np.where(twice, np.arange(2 * P), 2 * P)[::-1])[::-1]
        self.run = np.minimum(nxt[:P] - np.arange(P), P)
