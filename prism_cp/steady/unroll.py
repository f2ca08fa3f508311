"""A modulo schedule made concrete: many periods of batches as one ordinary
Schedule of a stream Problem (with its transfers over the link), checked by
`validate`, replayed by the simulator, and measured (period and latency)
from the replay."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from prism_cp.outcome import checked
from prism_cp.problem import Problem, completion_tick
from prism_cp.schedule import Schedule, Transfer
from prism_cp.simulate import replay
from prism_cp.steady.link import edges
from prism_cp.steady.modulo import ModuloSchedule, span
from prism_cp.latency import batch_latencies


@dataclass(frozen=True)
class Measured:
    """What the replay of `batches` unrolled batches shows: the mean time
    between batch completion ticks (the last op frees its core) over the
    second half (us, exact), and the largest and mean batch latency there
    (last float end - arrival, us)."""

    batches: int
    period_us: float
    max_latency_us: float
    mean_latency_us: float


def stream_problem(problem: Problem, schedule: ModuloSchedule, batches: int) -> Problem:
    """`batches` batches of `problem`'s workload arriving every period / unroll."""
    return Problem(problem.workload, problem.platform, batches, arrival_us=Fraction(schedule.period * problem.clock, schedule.unroll))


def unrolled(stream: Problem, schedule: ModuloSchedule) -> Schedule:
    """Batch b = c * k + j runs copy j's ops and transfers c periods later,
    the ops on copy j's cores (the transfers' channels: `channels_of`)."""
    n, clock, k, P = stream.n_ops, stream.clock, schedule.unroll, schedule.period
    start, end, ctype, cid = [], [], [], []
    for b in range(stream.nbatch):
        c, j = divmod(b, k)
        for i in range(n):
            core = schedule.core[j][i]
            t = (c * P + schedule.start[j][i]) * clock
            start.append(t)
            end.append(t + stream.workload.times[core[0]][i])
            ctype.append(core[0])
            cid.append(core[1])
    return Schedule(tuple(start), tuple(end), tuple(ctype), tuple(cid), channels_of(stream, schedule))


def channels_of(stream: Problem, schedule: ModuloSchedule) -> tuple[Transfer, ...]:
    """The unrolled transfers of `schedule`, each on a channel (`coloured`)."""
    if stream.platform.link is None:
        return ()
    k, P = schedule.unroll, schedule.period
    return coloured(stream, [
        (c * P + t, b, u, v, schedule.core[j][u][0])
        for b, (c, j) in ((b, divmod(b, k)) for b in range(stream.nbatch))
        for (u, v), t in zip(edges(stream), schedule.transfer[j])
        if t is not None
    ])


def coloured(stream: Problem, sent: list[tuple[int, int, int, int, str]]) -> tuple[Transfer, ...]:
    """Transfers (start tick, batch, src, dst, producer's core type) in
    start order, each on the lowest channel free at its start: a greedy
    colouring of intervals on a line, which needs no more channels than
    transfers overlap at any tick (at most the link's channels in a modulo
    schedule; `validate` checks it)."""
    clock = stream.clock
    free: list[int] = []  # per channel, the tick it is free again
    out = []
    for tick, b, u, v, producer in sorted(sent):
        time_us = stream.transfer_time(u, v, producer)
        channel = next((h for h, f in enumerate(free) if f <= tick), len(free))
        done = completion_tick(tick, time_us, clock)
        free[channel:channel + 1] = [done]
        out.append(Transfer(b, u, v, tick * clock, tick * clock + time_us, stream.transfer_bytes(u, v, producer), channel))
    return tuple(out)


def replayed(stream: Problem, concrete: Schedule) -> Schedule:
    """The simulator's run of `concrete`'s core sequences (and channel
    orders), both validated."""
    checked(stream, concrete, "the unrolled periodic schedule")
    if stream.platform.link is None:
        again = replay(stream, concrete.sequences())
    else:
        order: dict[int, list[tuple[int, int, int]]] = {}
        for t in concrete.transfers:  # in start order
            order.setdefault(t.channel, []).append((t.batch, t.src, t.dst))
        again = replay(stream, concrete.sequences(), order)
    return checked(stream, again, "the replayed periodic schedule")


def check(problem: Problem, schedule: ModuloSchedule, periods: int) -> Measured:
    """Unroll `schedule` over `periods` periods plus the drain (the periods a
    batch spans), validate it, replay its core (and channel) sequences with the arrivals,
    validate the replay and measure it over the second half of the first
    `periods` periods (the drain's batches finish early: nothing follows them).
    Raises AssertionError on any violation: a modulo schedule that does not
    hold when unrolled is a bug, never a result."""
    k, P, n = schedule.unroll, schedule.period, problem.n_ops
    kept = k * periods
    stream = stream_problem(problem, schedule, kept + k * (-(-span(problem, schedule) // P) + 1))
    again = replayed(stream, unrolled(stream, schedule))
    half = kept // 2 // k * k
    times, clock = stream.global_times, stream.clock
    done = [max(completion_tick(again.start[g] // clock, times[again.core_type[g]][g], clock) for g in range(b * n, (b + 1) * n)) for b in range(kept)]
    latency = batch_latencies(stream, again)[kept - half : kept]
    return Measured(kept, (done[-1] - done[-1 - half]) * clock / half, max(latency), sum(latency) / len(latency))
