"""The hyperperiod of a mix: the least time after which every app's
arrivals repeat, and the problem of one hyperperiod's inferences.

Inferences of app a arrive at offset_a + k * period_a, so shifting time by
any common multiple of the periods maps arrivals onto arrivals; a schedule
that shifts with them by whole ticks also needs a multiple of the clock.
The hyperperiod is the least common multiple of all of them (exact, as
Fractions: a period of 33333.5 us is taken at its exact value). A periodic
schedule of a mix repeats one hyperperiod's inferences every hyperperiod.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from prism_cp.errors import PrismError
from prism_cp.mix import Mix, union_problem
from prism_cp.platform import Platform
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule
from prism_cp.steady.link import edges
from prism_cp.steady.modulo import ModuloSchedule
from prism_cp.steady.unroll import coloured

#: The most ops one hyperperiod may hold: the periodic model has a start, a
#: residue and a literal per allowed core for each op (and each crossing
#: edge), and the witness is checked over CHECK_HYPERPERIODS copies of them.
MAX_HYPER_OPS = 5_000
#: The most ticks a hyperperiod may span: the greedy keeps a circle of that
#: many ticks per core and channel.
MAX_HYPER_TICKS = 2_000_000


def _lcm(values: list[Fraction]) -> Fraction:
    """The least positive rational that is a whole multiple of each value."""
    den = math.lcm(*(v.denominator for v in values))
    return Fraction(math.lcm(*(int(v * den) for v in values)), den)


def hyperperiod_us(mix: Mix, clock_us: int) -> Fraction:
    """The least common multiple of the apps' periods and the clock (us, exact)."""
    return _lcm([Fraction(a.period_us) for a in mix.apps] + [Fraction(clock_us)])


def per_hyperperiod(mix: Mix, hyper_us: Fraction) -> dict[str, int]:
    """Per app: its inferences arriving in one hyperperiod."""
    return {a.name: int(hyper_us / Fraction(a.period_us)) for a in mix.apps}


def repeated(mix: Mix, hyper_us: Fraction, copies: int) -> Mix:
    """`mix` with the inferences of `copies` hyperperiods (counts replaced)."""
    counts = per_hyperperiod(mix, hyper_us)
    return Mix(tuple(replace(a, count=copies * counts[a.name]) for a in mix.apps))


def hyper_problem(mix: Mix, platform: Platform, name: str = "the workload") -> tuple[Problem, Fraction]:
    """The problem of one hyperperiod's inferences (every app laid out as in
    `union_problem`) and the hyperperiod (us); a one-line PrismError when it
    is too large to model, saying how large and what to change."""
    hyper = hyperperiod_us(mix, platform.clock_us)
    counts = per_hyperperiod(mix, hyper)
    ops = sum(counts[a.name] * a.workload.n_ops for a in mix.apps)
    ticks = hyper / platform.clock_us
    if ops > MAX_HYPER_OPS or ticks > MAX_HYPER_TICKS:
        periods = ", ".join(f"{a.period_us:g}" for a in mix.apps)
        raise PrismError(
            f"{name}: the hyperperiod (least common multiple of the periods {periods} us and the {platform.clock_us} us clock) "
            f"is {float(hyper):.6g} us, with {sum(counts.values()):,} inferences and {ops:,} ops; the steady state models at most "
            f"{MAX_HYPER_OPS:,} ops and {MAX_HYPER_TICKS:,} ticks per hyperperiod: choose periods that are multiples of one another and of the clock"
        )
    return union_problem(repeated(mix, hyper, 1), platform), hyper


def unrolled_mix(mix: Mix, one: Problem, schedule: ModuloSchedule, hyperperiod_us: Fraction, copies: int) -> tuple[Problem, Schedule]:
    """`schedule` (a modulo schedule of `one`, the problem `hyper_problem(mix,
    ...)` of one hyperperiod's inferences, period = the hyperperiod) repeated
    over `copies` hyperperiods: the problem of their inferences
    (`union_problem`) and the schedule in which inference k + c * m of each
    app (m per hyperperiod) runs inference k's ops and transfers c
    hyperperiods later, on the same cores (transfers: `unroll.coloured`)."""
    platform = one.platform
    many = union_problem(repeated(mix, hyperperiod_us, copies), platform)
    counts = per_hyperperiod(mix, hyperperiod_us)
    first = {(group.app, group.index): group.ops[0] for group in many.groups}
    where = [0] * one.n_ops  # per op of one hyperperiod: (its index in copy 0, its inference's stride per copy)
    stride = [0] * one.n_ops
    for group in one.groups:
        step = first[group.app, counts[group.app]] - first[group.app, 0] if copies > 1 else 0
        for offset, g in enumerate(group.ops):
            where[g], stride[g] = first[group.app, group.index] + offset, step
    P, clock, times = schedule.period, platform.clock_us, one.workload.times
    n = many.n_ops
    start, end, ctype, cid = [0] * n, [0.0] * n, [""] * n, [0] * n
    for c in range(copies):
        for g, (s, (kind, x)) in enumerate(zip(schedule.start[0], schedule.core[0])):
            h = where[g] + c * stride[g]
            start[h] = (c * P + s) * clock
            end[h] = start[h] + times[kind][g]
            ctype[h], cid[h] = kind, x
    sent = [] if platform.link is None else [
        (c * P + t, 0, where[u] + c * stride[u], where[v] + c * stride[v], schedule.core[0][u][0])
        for c in range(copies)
        for (u, v), t in zip(edges(one), schedule.transfer[0])
        if t is not None
    ]
    return many, Schedule(tuple(start), tuple(end), tuple(ctype), tuple(cid), coloured(many, sent))
