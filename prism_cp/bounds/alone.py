"""A lower bound on the latency of one batch (one inference) whenever it
arrives, however the cores are shared: what the deadline checks of streams,
mixes and their verdicts rest on.

Restricted to one inference's ops, any schedule is a schedule of that
inference alone, shifted to start at its release tick r (at or after its
arrival). The analytic makespan bounds (`lower_bound`) hold for it when every
op holds the same number of ticks at every start tick up to MAX_HORIZON_US as
at the ticks of one batch from 0 (`occupancy_range`: an end that rounds down
onto a tick can save one); its float ends then differ from the unshifted ones
by rounding alone, at most half an ulp of MAX_HORIZON_US each.
"""

from __future__ import annotations

import math

from prism_cp.bounds import lower_bound
from prism_cp.problem import MAX_HORIZON_US, Problem, occupancy_range


def alone_us(problem: Problem) -> float:
    """A lower bound on the latency (last end minus arrival, us) of any one
    batch of `problem`'s workload on its platform, wherever it falls in an
    endless run; 0.0 (no bound) where some op can hold fewer ticks at a later
    start than at the starts of one batch."""
    one = Problem(problem.workload, problem.platform, 1)
    for c, times in one.workload.times.items():
        for i, t in enumerate(times):
            if c in one.allowed(i) and occupancy_range(t, one.clock, MAX_HORIZON_US)[0] != one.min_ticks[c][i]:
                return 0.0
    return max(0.0, lower_bound(one) - math.ulp(MAX_HORIZON_US))
