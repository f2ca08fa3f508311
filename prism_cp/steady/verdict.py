"""Is a mix schedulable forever? The verdict over its hyperperiod.

not schedulable: a proof that holds for every schedule, of two kinds.
  - An app's deadline is shorter than one inference of it needs alone
    (`alone_us`): every inference of it misses, whatever else runs.
  - The work-split LP (`steady.bound.period_bound`) over one hyperperiod's
    inferences needs more than a hyperperiod per core of some type: over N
    hyperperiods the cores owe N times that work, due within N hyperperiods
    plus the longest deadline, which fails for N large enough.
schedulable: a modulo schedule with the hyperperiod as its period in which
  every inference is on time, counted in whole us with op times rounded up
  (`laxity.late_groups`), so on time in every repetition; found by list
  scheduling on the cores' circles in a few priority orders (`laxity`), or
  from a packing of the cores (`modulo.pack`: placed by `placement.place`
  and list scheduled on its core types) improved by CP-SAT (`deadlines`). The
  caller checks it in the simulator (`prism_cp.solve.mix_verdict`).
unknown: neither within the time limit; the best schedule found is kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

from prism_cp.bounds.alone import alone_us
from prism_cp.errors import check_time_limit
from prism_cp.mix import AppReport, Mix
from prism_cp.platform import Platform
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.schedule import Schedule
from prism_cp.steady.bound import period_bound
from prism_cp.steady.deadlines import fewest_late
from prism_cp.steady.hyper import hyper_problem
from prism_cp.steady.laxity import circle_list_schedule, late_groups, priorities
from prism_cp.steady.modulo import ModuloSchedule, pack
from prism_cp.steady.placement import place

PACK_SHARE = 0.25  # of the time limit, for packing the cores when list scheduling finds no room
SCHEDULABLE, NOT_SCHEDULABLE, UNKNOWN = "schedulable", "not schedulable", "unknown"


@dataclass(frozen=True)
class Found:
    """What `search_verdict` found, before the simulator checks it.

    problem: one hyperperiod's inferences (`hyper.hyper_problem`);
    hyperperiod_us: its length; load: per core type, the least work per
    core one hyperperiod needs (work-split LP) over the hyperperiod;
    schedule: the best modulo schedule found (None: none, or proven not
    schedulable); late: per inference of `problem`, its lateness in it."""

    verdict: str
    reason: str
    problem: Problem
    hyperperiod_us: Fraction
    load: dict[str, float]
    schedule: ModuloSchedule | None = None
    late: tuple[int, ...] = ()


def proof(mix: Mix, problem: Problem, hyperperiod_us: Fraction) -> tuple[str | None, dict[str, float]]:
    """Why no schedule of `mix` meets every deadline forever (None: no proof
    found), and the load per core type over a hyperperiod; `problem`: its
    hyperperiod's inferences (`hyper.hyper_problem`), on its platform."""
    bound = period_bound(problem)
    load = {c: float(per_core * problem.clock / hyperperiod_us) for c, per_core in bound.load.items()}
    for app in mix.apps:
        alone = alone_us(Problem(app.workload, problem.platform))
        if app.deadline_us < alone:
            return (f"app {app.name!r}: one inference needs at least {alone:.2f} us on these cores even alone (analytic lower bound), "
                    f"more than its deadline {app.deadline_us:g} us"), load
    need = bound.ticks * problem.clock
    if need > hyperperiod_us:
        return (f"one hyperperiod ({float(hyperperiod_us):g} us) of inferences needs at least {float(need):.2f} us per {bound.bottleneck} core "
                f"(work-split LP): more work arrives than the cores can serve"), load
    return None, load


def _late_count(late: tuple[int, ...] | list[int]) -> int:
    """How many inferences a lateness per inference (`laxity.late_groups`) has late."""
    return sum(x > 0 for x in late)


def _least_late(problem: Problem, schedules: list[ModuloSchedule | None]) -> tuple[ModuloSchedule | None, tuple[int, ...] | None]:
    """The schedule with the fewest late inferences, then the least largest
    lateness, and its lateness per inference (None, None: no schedule)."""
    scored = [(_late_count(late), max(late), k, s, late) for k, s in enumerate(schedules) if s is not None for late in [tuple(late_groups(problem, s))]]
    return (None, None) if not scored else min(scored)[3:]


def search_verdict(
    mix: Mix, platform: Platform, *, name: str = "the workload", time_limit: float = 30.0, workers: int = 2, seed: int = 42, progress: Progress | None = None
) -> Found:
    """The verdict on `mix` sharing `platform` forever, within `time_limit` seconds."""
    check_time_limit(time_limit)
    say = progress or (lambda _line: None)
    end = time.perf_counter() + time_limit
    problem, hyper = hyper_problem(mix, platform, name)
    why, load = proof(mix, problem, hyper)
    loads = ", ".join(f"{c} {100 * x:.1f}%" for c, x in load.items())
    say(f"[verdict] hyperperiod {float(hyper):g} us, {len(problem.groups)} inferences, {problem.n_ops} ops; least load per core {loads}")
    if why is not None:
        return Found(NOT_SCHEDULABLE, why, problem, hyper, load)
    period = int(hyper / problem.clock)
    best, late, orders = None, None, priorities(problem)
    for rule, order in orders.items():
        best, late = _least_late(problem, [best, circle_list_schedule(problem, period, order)])
        say(f"[verdict] list scheduling, {rule} first: " + ("no room on the circles" if late is None else f"{_late_count(late)} late of {len(late)}"))
        if late is not None and not any(late):
            break
    if late is None or any(late):
        status, cores = pack(problem, period, 1, time_limit=PACK_SHARE * (end - time.perf_counter()), workers=workers, seed=seed)
        if cores is not None:
            types = [core[0] for core in cores[0]]
            placed = [place(problem, period, 1, cores)] + [circle_list_schedule(problem, period, order, types) for order in orders.values()]
            best, late = _least_late(problem, [best, *placed])
            say(f"[verdict] packed, then placed and list scheduled on the packing's core types: {_late_count(late)} late of {len(late)}")
        else:
            say(f"[verdict] packing: {status}")
    if best is not None and any(late) and time.perf_counter() < end:
        status, found = fewest_late(problem, best, time_limit=end - time.perf_counter(), workers=workers, seed=seed)
        say(f"[verdict] CP-SAT: {status}")
        best, late = _least_late(problem, [best, found])
    if late is not None and not any(late):
        return Found(SCHEDULABLE, "a periodic schedule meets every deadline", problem, hyper, load, best, late)
    reason = "no periodic schedule found" if late is None else f"the best periodic schedule found is late for {_late_count(late)} of {len(late)} inferences per hyperperiod"
    return Found(UNKNOWN, reason + " within the time limit", problem, hyper, load, best, late or ())


@dataclass(frozen=True)
class Verdict:
    """The outcome of `prism_cp.solve.mix_verdict`: `found`, and the check of
    its schedule unrolled over `hyperperiods` hyperperiods (the drain, the
    ones an inference spans past the last, included) and replayed in the
    simulator: the unrolled `problem` and `schedule` (validated, as is the
    replay), its `misses` and per-app `apps` (`mix.AppReport`), and the
    seconds the verdict took."""

    found: Found
    wall_s: float
    hyperperiods: int = 0
    problem: Problem | None = None
    schedule: Schedule | None = None
    misses: int | None = None
    apps: tuple[AppReport, ...] = ()

    @property
    def verdict(self) -> str:
        return self.found.verdict

    def summary(self) -> dict[str, object]:
        """The JSON fields of the verdict."""
        f = self.found
        return {
            "workload_name": f.problem.workload.name,
            "verdict": f.verdict,
            "reason": f.reason,
            "proof": f.reason if f.verdict == NOT_SCHEDULABLE else None,
            "hyperperiod_us": float(f.hyperperiod_us),
            "inferences_per_hyperperiod": len(f.problem.groups),
            "load": f.load,
            "late_per_hyperperiod": None if f.schedule is None else _late_count(f.late),
            "checked_hyperperiods": self.hyperperiods or None,
            "misses": self.misses,
            "apps": [a.as_json() for a in self.apps],
            "wall_s": self.wall_s,
        }
