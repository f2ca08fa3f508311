"""The closed-form lower bounds on the makespan of any schedule of a problem:
critical path, total work and per-type load.

Every bound here holds for every mapping (per-batch or shared) and every
order, so the gap of any schedule to them is an honest limit on its distance
to optimal. Times are ticks inside, microseconds at the edge.

Soundness rests on two facts. Occupancies are `Problem.min_ticks`, true at
every start tick an optimal schedule can use. Ends are exact rationals X
bounding the exact sum start * clock + T of some op; the makespan is the
largest float end fl(start * clock + T), and rounding is monotone, so it is
at least fl(X), which `float(Fraction)` computes (correctly rounded).
"""

from __future__ import annotations

from prism_cp.bounds.timing import op_timing
from prism_cp.problem import Problem


def critical_path_bound(problem: Problem) -> float:
    """Longest path with every op on its fastest allowed core type, from the
    last batch's release plus the op's own release (`Problem.op_release`: a
    mix's instance; 0 otherwise), in us. Sound with per-op releases: edges
    stay within an instance, whose ops share one release, so every
    predecessor chain of op i starts at or after i's release."""
    t, last, own = op_timing(problem), problem.release[-1], problem.op_release
    return float(max((last + own[i] + t.head[i]) * problem.clock + t.rest[i] for i in range(problem.n_ops)))


def load_bounds(problem: Problem) -> dict[str, float]:
    """Per core type c: a bound from the ops that can run only on c.

    All batches' c-only work W (ticks) needs ceil(W / cores) ticks on the c cores,
    none of it can start before the earliest head among those ops, and the op
    that completes last is followed by at least its `after` time. An op
    starts no earlier than its own release (`Problem.op_release`) plus its
    head, so the earliest of those still bounds when the work can begin.
    """
    head, after = op_timing(problem).head, op_timing(problem).after
    out: dict[str, float] = {}
    for c in ("cpu", "npu"):
        only = problem.only_on[c]
        if not only:
            continue
        work = problem.nbatch * sum(problem.min_ticks[c][i] for i in only)
        k = problem.platform.cores(c)
        span = min(problem.op_release[i] + head[i] for i in only) + -(-work // k)
        out[c] = float(span * problem.clock + min(after[i] for i in only))
    return out


def total_work_bound(problem: Problem) -> float:
    """All work at its fastest occupancy, spread over every core, in us."""
    after, fastest = op_timing(problem).after, op_timing(problem).fastest
    cores = problem.platform.cpus + problem.platform.npus
    span = -(-problem.nbatch * sum(fastest) // cores)
    return float(span * problem.clock + min(after))
