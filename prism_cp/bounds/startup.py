"""A lower bound from the start-up phase: how little CPU-only work any
schedule can get done early.

The analytic load bound (`bounds.load_bounds`) lets the CPUs run CPU-only
work without a break from the earliest head of a CPU-only op. In reality
the entry layers of every batch compete for the cores first, so the CPUs
idle. This module proves part of that idle time:

For a window end t (ticks), let U(t) be an upper bound on the CPU-only work
(occupancy ticks) that any feasible schedule does within [0, t). When W > U(t)
(W: all CPU-only work), the rest runs at or after t on the `cpus` CPUs, so the
last CPU-only op completes at tick L >= t + ceil((W - U(t)) / cpus), and the
makespan is at least L * clock + min over CPU-only ops of `after`
(`bounds.op_timing`). With t the earliest CPU-only head, U = 0 and this is
the load bound.

U(t) is the smaller of two proven bounds (each selected by its name,
"startup-columns" and "startup-cpsat"), each given a share of the time
(`budget.COLUMNS_SHARE`): column generation (`startup_columns`: strong where the
batches are identical and the CPU-only ops lie on one path, as in xception)
and the proven bound of a CP-SAT relaxation over the global ops whose head is
below t, each either early (starts in [head, t - 1] on an allowed core type and
holds a core of that type for its fewest-tick occupancy `Problem.min_ticks`,
within the type's core count) or late (ignored). An early op's predecessors
are early and complete before it starts, within the window. The objective is
the sum over early CPU-only ops of min(occupancy, t - start). The ops
starting before t in any feasible schedule are a solution worth exactly its
CPU-only work in [0, t), so the solver's best objective bound, valid even
when the search is cut short, is a valid U(t). Two redundant cuts make the
linear relaxation (which is where the bound comes from) see the competition
for cores: the ops completing within the window fit in each type's capacity,
cores * t. Releases are left out (a stream's schedules are among those of
the same batches all at 0), so the batches are identical and relabelling them
puts the first op's early flags and starts in batch order without changing
the maximum. Work is counted in fewest-tick occupancies throughout (W too):
an op that really holds its core longer only leaves more of it after t, so
every feasible schedule still fits.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Collection

from ortools.sat.python import cp_model

from prism_cp.bounds import check_bounds, lower_bound
from prism_cp.bounds.timing import op_timing
from prism_cp import interruptible
from prism_cp.bounds.startup_columns import ROUNDING, early_work_columns
from prism_cp.budget import COLUMNS_SHARE
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule

#: default window ends, past the earliest positive CPU-only head, as fractions of that head
#: (on xception/grai the bound peaks there; each window needs about a second)
WINDOWS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
#: the ways to bound U(t), by their names in `bounds.BOUNDS`: column generation and the CP-SAT relaxation
STARTUP = frozenset({"startup-columns", "startup-cpsat"})


def startup_bound(
    problem: Problem,
    *,
    deadline: float,
    windows: tuple[int, ...] | None = None,
    bounds: Collection[str] = STARTUP,
    above: float | None = None,
    columns_share: float = COLUMNS_SHARE,
) -> float:
    """The best start-up bound (us) found before `deadline` (a
    `time.perf_counter()` value): at least the CPU load bound, or -inf where
    no op is CPU-only. `windows`: window ends in ticks (default:
    `default_windows`, where the CPUs wait for the entry layers). `bounds`:
    the ways to bound U(t) (of `STARTUP`; other bound names are ignored),
    the least of them counts; each alone must keep the bound sound, so the
    tests run them one by one. `columns_share`: of the time left, the most
    one window's columns get when the CP-SAT relaxation follows.
    `above`: a bound the caller has proven (default: the analytic one); a
    window that could not beat it even with no CPU-only work before it is
    skipped, so the time goes to windows that can."""
    check_bounds(bounds)
    only = problem.only_on["cpu"]
    if not only:
        return -math.inf
    head = op_timing(problem).head
    first = min(head[i] for i in only)
    work = cpu_only_work(problem)
    best = window_bound(problem, first, 0)
    known = lower_bound(problem) if above is None else above
    # the latest first: where the CPUs have waited longest there is the most to prove
    todo = sorted({w for w in (windows or default_windows(problem)) if w > first and window_bound(problem, w, 0) > known}, reverse=True)
    for k, window in enumerate(todo):
        now = time.perf_counter()
        if now >= deadline:
            break
        left = len(todo) - k  # windows still to do, this one included
        early = problem.platform.cpus * window
        if "startup-columns" in bounds:
            share = columns_share if "startup-cpsat" in bounds else 1.0
            early = early_work_columns(problem, window, now + share * (deadline - now))
        if "startup-cpsat" in bounds:
            early = min(early, early_work_bound(problem, window, deadline, left))
        if early < work:
            best = max(best, window_bound(problem, window, early))
    return best


def cpu_only_work(problem: Problem) -> int:
    """W: the CPU-only work of all batches, in fewest-tick occupancies."""
    return problem.nbatch * sum(problem.min_ticks["cpu"][i] for i in problem.only_on["cpu"])


def window_bound(problem: Problem, window: int, early: int) -> float:
    """The makespan bound (us) from U(window) <= `early`: the rest of the
    CPU-only work runs at or after `window` on the CPUs, then the least tail
    of a CPU-only op (module docstring); for a problem with CPU-only ops."""
    tail = min(op_timing(problem).after[i] for i in problem.only_on["cpu"])
    return float((window + -(-(cpu_only_work(problem) - early) // problem.platform.cpus)) * problem.clock + tail)


def raised_bound(
    problem: Problem, lower: float, *, deadline: float, bounds: Collection[str], columns_share: float, say: Progress, t0: float
) -> float:
    """`lower` (a proven bound, us), or the start-up bound (by the selected
    `bounds`, see `startup_bound`) where higher, proven before `deadline`; a
    progress line gives the start-up bound, or says it is no higher. The
    batch and stream engines both use it; Ctrl-C reaches the caller, which
    keeps `lower`."""
    startup = startup_bound(problem, deadline=deadline, bounds=bounds, above=lower, columns_share=columns_share)
    if startup > lower:
        say(f"[cpsat] {time.perf_counter() - t0:7.2f}s start-up bound: {startup:.2f} us")
    elif startup > -math.inf:
        say(f"[cpsat] {time.perf_counter() - t0:7.2f}s start-up bound: none above {lower:.2f} us")
    return max(lower, startup)


def default_windows(problem: Problem) -> tuple[int, ...]:
    """The window ends (ticks) `startup_bound` tries unless told: `WINDOWS` past
    the earliest positive head of a CPU-only op (a CPU-only op with head 0
    keeps the CPUs busy only until the first one that waits for other ops);
    none without such an op."""
    head = op_timing(problem).head
    waits = [head[i] for i in problem.only_on["cpu"] if head[i] > 0]
    return tuple(min(waits) + int(min(waits) * f) for f in WINDOWS) if waits else ()


@dataclass(frozen=True)
class EarlyWork:
    """The CP-SAT relaxation of U(window) (module docstring), with the
    variables a caller reads or hints: per global op, its start tick, whether
    it is early, and whether it is early on core type c."""

    model: cp_model.CpModel
    start: dict[int, cp_model.IntVar]
    early: dict[int, cp_model.IntVar]
    on: dict[tuple[int, str], cp_model.IntVar]


def early_work_bound(problem: Problem, window: int, deadline: float, share: int) -> int:
    """U(window): at least the CPU-only work any schedule does in [0, window)
    ticks, proven within 1/`share` of the time left before `deadline`."""
    built = early_work_model(problem, window)
    # the bound comes from the root linear relaxation with cumulative cuts; one
    # worker runs it (a multi-worker portfolio proved less in tests)
    solver = interruptible.new_solver((deadline - time.perf_counter()) / share, 1)
    solver.parameters.linearization_level = 2
    status = interruptible.solve(solver, built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return problem.platform.cpus * window  # nothing proven beyond the CPUs' capacity
    return math.floor(solver.best_objective_bound + ROUNDING)


def early_work_model(problem: Problem, window: int) -> EarlyWork:
    """The relaxation of U(window) over the global ops whose head is below
    `window`, maximising their CPU-only work in the window."""
    n, nb = problem.n_ops, problem.nbatch
    timing = op_timing(problem)
    order, head = timing.order, timing.head
    inside = [i for i in order if head[i] < window]
    m = cp_model.CpModel()
    start: dict[int, cp_model.IntVar] = {}
    early: dict[int, cp_model.IntVar] = {}
    on: dict[tuple[int, str], cp_model.IntVar] = {}
    intervals: dict[str, list[cp_model.IntervalVar]] = {"cpu": [], "npu": []}
    gain = []
    for b in range(nb):
        for i in inside:
            g = b * n + i
            start[g] = m.new_int_var(head[i], window - 1, f"s{g}")
            early[g] = m.new_bool_var(f"e{g}")
            types = problem.allowed(i)
            for c in types:
                on[g, c] = early[g] if len(types) == 1 else m.new_bool_var(f"{c}{g}")
                intervals[c].append(m.new_optional_fixed_size_interval_var(start[g], problem.min_ticks[c][i], on[g, c], f"i{c}{g}"))
            if len(types) > 1:
                m.add(sum(on[g, c] for c in types) == early[g])
            if types == ("cpu",):
                done = m.new_int_var(0, problem.min_ticks["cpu"][i], f"w{g}")
                m.add(done <= window - start[g])
                m.add(done == 0).only_enforce_if(~early[g])
                gain.append(done)
    # inner: completes within the window (an early successor starts after it)
    inner = {g: m.new_bool_var(f"n{g}") for g in start}
    energy: dict[str, list] = {"cpu": list(gain), "npu": []}
    for g in start:
        m.add_implication(inner[g], early[g])
        types = problem.allowed(g % n)
        if types == ("npu",):
            energy["npu"].append(problem.min_ticks["npu"][g % n] * inner[g])
        elif len(types) > 1:
            used = {c: m.new_bool_var(f"u{c}{g}") for c in types}
            m.add(sum(used.values()) == inner[g])
            for c in types:
                m.add_implication(used[c], on[g, c])
                energy[c].append(problem.min_ticks[c][g % n] * used[c])
        for p in problem.preds[g]:
            m.add_implication(early[g], inner[p])
            for c in problem.allowed(p % n):
                m.add(start[g] >= start[p] + problem.min_ticks[c][p % n]).only_enforce_if([early[g], on[p, c]])
    for c in ("cpu", "npu"):
        if intervals[c]:
            m.add_cumulative(intervals[c], [1] * len(intervals[c]), problem.platform.cores(c))
            m.add(sum(energy[c]) <= problem.platform.cores(c) * window)
    f = inside[0]  # a source: the first op in topological order
    for b in range(nb - 1):
        lo, hi = b * n + f, (b + 1) * n + f
        m.add_implication(early[hi], early[lo])
        m.add(start[lo] <= start[hi]).only_enforce_if(early[hi])
    m.maximize(sum(gain))
    return EarlyWork(m, start, early, on)


def early_cpu_work(problem: Problem, schedule: Schedule, window: int) -> int:
    """The CPU-only work (fewest-tick occupancies) `schedule` does before tick
    `window`: what U(window) bounds, to check it and to see where a schedule
    loses against it."""
    ticks, n, clock, only = problem.min_ticks["cpu"], problem.n_ops, problem.clock, set(problem.only_on["cpu"])
    return sum(min(ticks[g % n], window - s // clock) for g, s in enumerate(schedule.start) if g % n in only and s // clock < window)
