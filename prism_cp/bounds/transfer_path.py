"""The critical path that pays for the link: a lower bound on the makespan
that sees transfers (none of the other bounds does).

The critical path puts every op on its fastest type, ignoring that an edge
between ops on different core types sends its tensor over the link. Here
each op i of a path is on some allowed type c, and the path is followed per
(op, type): head[i][c] is the fewest ticks before op i can start on c, the
largest over its predecessors p of the least, over p's allowed types d, of
head[p][d] + p's fewest ticks on d + (where d != c) the transfer's fewest
ticks at d; rest[i][c] likewise bounds, in exact us, what must follow op i's
start on c. Sound for every schedule: by induction along the topological
order, an op of the schedule on its actual type c* starts at or after
head[i][c*] (each predecessor, on its actual type, completes at least its
fewest ticks after its own start, and a transfer between types starts at or
after its producer's completion tick and completes at least its fewest
ticks, `Problem.transfer_ticks`, true at every start an optimal schedule can
use, later: the consumer starts no earlier; the channels only delay), and
the makespan's exact value is at least its start * clock + rest[i][c*]. So
the makespan is at least the least over c of (last release + op i's own release + head[i][c]) *
clock + rest[i][c], for every op i of the last batch; an exact rational X
below an exact end, so the float makespan is at least float(X) (rounding is
monotone), as in `bounds.analytic`. Without a link it is the critical path
and is not reported.
"""

from __future__ import annotations

from fractions import Fraction

from prism_cp.bounds.timing import op_timing
from prism_cp.problem import Problem


def transfer_path_bounds(problem: Problem) -> list[float]:
    """[the longest path paying the transfers its core types force, in us],
    or [] without a link."""
    if problem.platform.link is None:
        return []
    clock, n, order = problem.clock, problem.n_ops, op_timing(problem).order
    ticks, moves, times = problem.min_ticks, problem.transfer_ticks, problem.workload.times
    preds, succs = problem.workload.predecessors(), problem.workload.successors()

    def hop(u: int, v: int, c: str, d: str) -> int:
        """Fewest ticks from u's start on c to v's start on d."""
        return ticks[c][u] + (moves[c][u, v][0] if c != d else 0)

    head: list[dict[str, int]] = [{} for _ in range(n)]
    for i in order:
        for c in problem.allowed(i):
            head[i][c] = max((min(head[p][d] + hop(p, i, d, c) for d in problem.allowed(p)) for p in preds[i]), default=0)
    rest: list[dict[str, Fraction]] = [{} for _ in range(n)]
    for i in reversed(order):
        for c in problem.allowed(i):
            after = [min(hop(i, s, c, d) * clock + rest[s][d] for d in problem.allowed(s)) for s in succs[i]]
            rest[i][c] = max([Fraction(times[c][i])] + after)
    last, own = problem.release[-1], problem.op_release  # a mix's edges stay within an instance: one release
    return [float(max(min((last + own[i] + head[i][c]) * clock + rest[i][c] for c in problem.allowed(i)) for i in range(n)))]
