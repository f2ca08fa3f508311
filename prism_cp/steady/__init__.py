"""Steady state of an endless stream of batches: the proven bound on the
period (`period_bound`), a periodic (modulo) schedule found with CP-SAT,
and the report. `search_steady` finds the bound and the witness;
`prism_cp.solve.steady_state` (the entry point) checks the witness by
unrolling it over many periods and replaying them (`unroll.check`), and
judges it like every other result.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from prism_cp.errors import PrismError, check_count, check_time_limit
from prism_cp.heuristics import HEURISTICS
from prism_cp.problem import Problem, completion_tick
from prism_cp.progress import Progress
from prism_cp.schedule import Status, gap
from prism_cp.steady.bound import PeriodBound, period_bound
from prism_cp.steady.link import edges, reserved
from prism_cp.steady.modulo import ModuloSchedule, improve_latency, latency_units, pack
from prism_cp.steady.placement import bottleneck_first, place
from prism_cp.bounds.alone import alone_us
from prism_cp.steady.unroll import Measured

PACK_SHARE = 0.5  # of the time left, for each packing proof
BOTTLENECK_SHARE = 0.5  # of the time left after packing, for the bottleneck-first model
SCAN_STEP = 0.03  # --deadline-us: relative step of the first scan over periods


@dataclass(frozen=True)
class Witness:
    """What `search_steady` found, nothing checked yet: the period bound, a
    periodic schedule (None: none found in time, or `infeasible`: proven that
    none meets the deadline, `reason` says why), and whether its period is
    `least` (see `SteadyState`)."""

    bound: PeriodBound
    clock: int
    reason: str
    schedule: ModuloSchedule | None = None
    least: bool = False
    infeasible: bool = False


@dataclass(frozen=True)
class SteadyState:
    """The outcome of `prism_cp.solve.steady_state`.

    status: OPTIMAL (a validated periodic schedule whose period meets the
    proven bound on the period of any schedule), FEASIBLE (a validated
    periodic schedule, above the bound), INFEASIBLE (proven: no schedule
    meets the deadline) or UNKNOWN (none found in time). least: the period
    is proven the least of any modulo schedule with this unroll (meeting
    the deadline, if any) in which each op reserves the most ticks it can
    hold a core (`modulo.most_ticks`; equal to the fewest unless a time lies
    within a rounding error above a tick multiple) and, with a link, each
    transfer the most ticks it can hold a channel: a proof within that
    class only, so it is not OPTIMAL, whose proof holds for every schedule.
    measured: the replay of the unrolled schedule (its period equals the
    schedule's)."""

    bound: PeriodBound
    clock: int
    status: Status
    reason: str
    schedule: ModuloSchedule | None = None
    least: bool = False
    measured: Measured | None = None

    @property
    def bound_period_us(self) -> float:
        return self.bound.us(self.clock)

    @property
    def period_us(self) -> float | None:
        """Time between batches in the periodic schedule: period / unroll (us)."""
        return None if self.schedule is None else self.schedule.period * self.clock / self.schedule.unroll

    @property
    def gap(self) -> float | None:
        """`schedule.gap` of the period to its bound."""
        p = self.period_us
        return None if p is None else gap(p, self.bound_period_us)

    def summary(self) -> dict[str, object]:
        """The JSON fields of the report."""
        p, m = self.period_us, self.measured
        return {
            "status": self.status,
            "reason": self.reason,
            "bound_period_us": self.bound_period_us,
            "throughput_bound_per_s": 1e6 / self.bound_period_us,
            "period_us": p,
            "throughput_per_s": None if p is None else 1e6 / p,
            "gap": self.gap,
            "least_period": self.least,
            "unroll": None if self.schedule is None else self.schedule.unroll,
            "latency_us": None if m is None else m.max_latency_us,
            "mean_latency_us": None if m is None else m.mean_latency_us,
            "measured_period_us": None if m is None else m.period_us,
            "checked_batches": None if m is None else m.batches,
            "bottleneck": self.bound.bottleneck,
        }


def search_steady(
    problem: Problem, *, unroll: int = 1, deadline_us: float | None = None, time_limit: float = 30.0, workers: int = 2, seed: int = 42, progress: Progress | None = None
) -> Witness:
    """The bound on the period of `problem`'s workload on its platform, and a
    periodic schedule launching `unroll` batches every period, within
    `time_limit` seconds.

    Without a deadline: the least period any modulo schedule with this unroll
    can have (exact: a packing proof per period), then the least latency found
    for it. With `deadline_us`: the least period found whose latency (batch
    completion minus arrival) is at most the deadline (binary search); a
    deadline below what one batch needs alone (`bounds.alone`) is reported infeasible.
    """
    check_count(unroll, "unroll")
    check_time_limit(time_limit)
    if deadline_us is not None and (not isinstance(deadline_us, (int, float)) or not math.isfinite(deadline_us) or deadline_us <= 0):
        raise PrismError(f"deadline must be a finite number of microseconds > 0, got {deadline_us!r}")
    say = progress or (lambda _line: None)
    end = time.perf_counter() + time_limit
    one = Problem(problem.workload, problem.platform, 1)
    bound = period_bound(one)
    say(f"[steady] period bound {bound.us(one.clock):.2f} us per batch ({bound.bottleneck} bound)")
    if deadline_us is not None and deadline_us < (alone := alone_us(one)):
        return Witness(bound, one.clock, f"the deadline {deadline_us:g} us is shorter than one batch needs even alone ({alone:.2f} us, analytic bounds)", infeasible=True)
    first = math.ceil(unroll * bound.ticks)
    if deadline_us is None:
        found, least = _least_period(one, first, unroll, end, workers, seed, say)
    else:
        found, least = _least_period_within(one, first, unroll, deadline_us, end, workers, seed, say)
    if found is None:
        return Witness(bound, one.clock, "no periodic schedule found within the time limit")
    return Witness(bound, one.clock, "validated over the unrolled batches", found, least)


def _least_period(problem: Problem, first: int, unroll: int, end: float, workers: int, seed: int, say: Progress) -> tuple[ModuloSchedule | None, bool]:
    """The least packable period from `first` on, and whether every shorter
    one was proven infeasible; then its latency minimised with the time left.
    Out of time before any packing: the batches one after another."""
    least, period = True, first
    while time.perf_counter() < end:
        status, cores = pack(problem, period, unroll, time_limit=PACK_SHARE * (end - time.perf_counter()), workers=workers, seed=seed)
        say(f"[steady] period {period} ticks for {unroll} batch(es): {status}")
        if cores is not None:
            return _short_latency(problem, period, unroll, cores, None, end, workers, seed), least
        least = least and status == "infeasible"
        period += 1
    say("[steady] no packing found in time: batches one after another")
    return sequential(problem, unroll), False


def _least_period_within(
    problem: Problem, first: int, unroll: int, deadline_us: float, end: float, workers: int, seed: int, say: Progress
) -> tuple[ModuloSchedule | None, bool]:
    """The least period found whose schedule has a latency of at most
    `deadline_us`: periods growing by SCAN_STEP from `first`, with the
    placement heuristics alone, until one meets the deadline; then a binary
    search from `first` up to it with the whole latency search. Least only if
    it is `first`."""
    best = sequential(problem, unroll)
    if latency_units(problem, best) > unroll * deadline_us:
        best = None
    lo, hi = first, (best.period if best else _horizon(problem, unroll))
    period = first
    while period < hi and time.perf_counter() < end:
        _, cores = pack(problem, period, unroll, time_limit=PACK_SHARE * (end - time.perf_counter()) / 8, workers=workers, seed=seed)
        found = None if cores is None else place(problem, period, unroll, cores)
        if found is not None and latency_units(problem, found) <= unroll * deadline_us:
            say(f"[steady] period {period} ticks for {unroll} batch(es): the placement meets the deadline")
            best, hi = found, period
            break
        period = max(period + 1, math.floor(period * (1 + SCAN_STEP)))
    while lo < hi and time.perf_counter() < end:
        mid = (lo + hi) // 2
        probes = max(1, math.ceil(math.log2(hi - lo + 1)))
        found = _within(problem, mid, unroll, deadline_us, (end - time.perf_counter()) / probes, workers, seed)
        say(f"[steady] period {mid} ticks for {unroll} batch(es): {'latency within the deadline' if found else 'none found'}")
        if found is not None:
            best, hi = found, mid
        else:
            lo = mid + 1
    return best, best is not None and best.period == first


def _within(problem: Problem, period: int, unroll: int, deadline_us: float, limit: float, workers: int, seed: int) -> ModuloSchedule | None:
    """A schedule of this period with latency <= deadline_us, if found in `limit` seconds."""
    end = time.perf_counter() + limit
    _, cores = pack(problem, period, unroll, time_limit=PACK_SHARE * limit, workers=workers, seed=seed)
    if cores is None:
        return None
    return _short_latency(problem, period, unroll, cores, deadline_us, end, workers, seed)


def _short_latency(
    problem: Problem, period: int, unroll: int, cores, deadline_us: float | None, end: float, workers: int, seed: int
) -> ModuloSchedule | None:
    """The shortest-latency schedule found on a packing by `end`: the
    placement heuristics, then the bottleneck-first model, then CP-SAT on the
    whole from the best. With `deadline_us`, the first one meeting it (None
    if none does)."""

    def meets(found: ModuloSchedule | None) -> bool:
        return found is not None and deadline_us is not None and latency_units(problem, found) <= unroll * deadline_us

    found = place(problem, period, unroll, cores)
    if meets(found):
        return found
    other = bottleneck_first(problem, period, unroll, cores, time_limit=BOTTLENECK_SHARE * (end - time.perf_counter()), workers=workers, seed=seed)
    if other is not None and latency_units(problem, other) < latency_units(problem, found):
        found = other
    if meets(found):
        return found
    _, better = improve_latency(problem, found, time_limit=end - time.perf_counter(), deadline_us=deadline_us, workers=workers, seed=seed)
    return better or (found if deadline_us is None else None)


def _horizon(problem: Problem, unroll: int) -> int:
    """A period at which batches never overlap: every op in turn on its
    slowest type (and every transfer in turn, at its longest)."""
    times = problem.workload.times
    ops = sum(max(completion_tick(0, times[c][i], problem.clock) for c in problem.allowed(i)) for i in range(problem.n_ops))
    if problem.platform.link is not None:
        ops += sum(max(reserved(problem, e, c) for c in problem.allowed(e[0])) for e in edges(problem))
    return unroll * ops


def sequential(problem: Problem, unroll: int) -> ModuloSchedule:
    """The best heuristic one-batch schedule, batches one after another:
    period = unroll x its length in ticks, latency = its makespan (its
    transfers end before their consumers start, so within its length)."""
    one = Problem(problem.workload, problem.platform, 1)
    best = min((h(one) for h in HEURISTICS.values()), key=lambda s: s.makespan)
    clock, times = one.clock, one.workload.times
    length = max(completion_tick(s // clock, times[c][i], clock) for i, (s, c) in enumerate(zip(best.start, best.core_type)))
    start = tuple(tuple(j * length + s // clock for s in best.start) for j in range(unroll))
    core = tuple(tuple(zip(best.core_type, best.core_id)) for _ in range(unroll))
    if one.platform.link is None:
        return ModuloSchedule(unroll * length, unroll, start, core)
    sent = {(t.src, t.dst): t.start // clock for t in best.transfers}
    transfer = tuple(tuple(None if e not in sent else j * length + sent[e] for e in edges(one)) for j in range(unroll))
    return ModuloSchedule(unroll * length, unroll, start, core, transfer)


__all__ = ["Measured", "ModuloSchedule", "PeriodBound", "SteadyState", "Witness", "period_bound", "search_steady"]
