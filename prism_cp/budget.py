"""How a run's time limit is shared between its phases, in one place: every
time share of the CP-SAT engine and of the CLI's export, each with why it has
that value, and the `Budget` a run plans from them once."""

from __future__ import annotations

from dataclasses import dataclass

from prism_cp.problem import Problem

EXPORT_SHARE = 0.01  # of a whole-run time limit, kept for writing the schedule after the engine returns
MAX_OPS = 30_000  # larger unrolled problems get the best heuristic schedule only
SMALL_OPS = 700  # up to this size (5 xception batches) the single-type relaxation's proofs come in seconds
# of the time limit, at most, spent on seeding (large: the hill climber and the two
# staggered searches need seconds each, and LNS gains little there)
SEED_SHARE = {"small": 0.1, "large": 0.3}
# of the time to the search's deadline, at most, spent seeding a stream (its search
# over rolling windows needs the rest)
STREAM_SEED_SHARE = 0.2
HILL_CLIMB_SHARE = 0.5  # of the seeding time left when the hill climber starts (the rest: the staggered searches)
# of the time limit (of the time to the search's deadline for a stream), at most,
# spent proving the start-up bound (on xception/grai each window needs about a second)
STARTUP_SHARE = 0.1
# of the start-up bound's time left, at most this share goes to one window's columns, which
# stop once converged (on xception they prove the most, and on 16 batches need 1.5-2 s a
# window, more than an even split of a 60 s run's 6 s); the CP-SAT relaxation of each
# window has an even share of the rest, all of it where the columns do not apply
COLUMNS_SHARE = 0.9
# of the time limit, at most, spent proving the single-type relaxation's bound: on
# small problems it raises the bound where the search never does; on large ones its
# proofs rarely come (16 xception batches) and the LNS steps need the time
SINGLE_TYPE_SHARE = {"small": 0.4, "large": 0.1}
STEP_S = 2.0  # time limit of one LNS step
JUSTIFY_S = 5.0  # at most this long per round of justification
FINISH_SHARE = 0.03  # of the time limit kept for the final replay and validation,
FINISH_S = 0.5  # plus this, or a tenth of the limit if less, for the process to exit
VERDICT_CHECK_SHARE = 0.05  # of a verdict's time limit, kept for unrolling, replaying and writing its periodic schedule


def engine_time_limit(time_limit: float, spent: float) -> float:
    """What remains of a whole-run `time_limit` (s) for the engine once the
    process has spent `spent` s starting up and keeps EXPORT_SHARE for the
    export. Never less than a quarter of the limit, so a tiny limit still searches."""
    return max(time_limit * (1 - EXPORT_SHARE) - spent, time_limit / 4)


@dataclass(frozen=True)
class Budget:
    """The time of one CP-SAT run (seconds), phase by phase; each phase
    ends at the search's end (`search_s` from the start) at the latest.

    time_limit: the engine's whole time limit. seeds: the heuristics and
    staggered searches end this long after the start at the latest
    (hill_climb: the hill climber's share of the seeding time left when it
    starts). startup: at most this long for the start-up bound (columns:
    its column generation's share per window). single_type: at most this
    long for the single-type relaxation (0: not run). search_s: the search
    ends this long after the start, leaving `finish` for the final replay,
    validation and exit. step: one LNS step. justify: one round of
    justification."""

    time_limit: float
    seeds: float
    hill_climb: float
    startup: float
    columns: float
    single_type: float
    step: float
    justify: float
    finish: float
    search_s: float

    @classmethod
    def plan(cls, time_limit: float, problem: Problem, *, max_ops: int = MAX_OPS) -> "Budget":
        """The budget of a run of `time_limit` s on `problem`: a stream, a
        problem the engine models (`problem.size` <= `max_ops`; small ones up
        to SMALL_OPS) or one too large to model (all time to the seeds)."""
        finish = min(FINISH_S, time_limit / 10)
        search_s = time_limit * (1 - FINISH_SHARE) - finish
        common = {"hill_climb": HILL_CLIMB_SHARE, "columns": COLUMNS_SHARE, "step": STEP_S, "justify": JUSTIFY_S}
        finish += time_limit * FINISH_SHARE
        if problem.timed:
            return cls(time_limit, STREAM_SEED_SHARE * search_s, startup=STARTUP_SHARE * search_s, single_type=0.0, finish=finish, search_s=search_s, **common)
        if problem.size > max_ops:
            return cls(time_limit, time_limit, startup=0.0, single_type=0.0, finish=finish, search_s=search_s, **common)
        scope = "small" if problem.size <= SMALL_OPS else "large"
        return cls(
            time_limit,
            SEED_SHARE[scope] * time_limit,
            startup=STARTUP_SHARE * time_limit,
            single_type=SINGLE_TYPE_SHARE[scope] * time_limit,
            finish=finish,
            search_s=search_s,
            **common,
        )

    def line(self) -> str:
        """The one progress line that shows the plan."""
        return (
            f"[budget] {self.time_limit:.1f} s: seeds <= {self.seeds:.1f} s (hill climber {100 * self.hill_climb:.0f}% of what is left), "
            f"start-up bound <= {self.startup:.1f} s (columns {100 * self.columns:.0f}% a window), single-type <= {self.single_type:.1f} s, "
            f"search until {self.search_s:.1f} s (LNS steps {self.step:.1f} s, justification {self.justify:.1f} s a round), "
            f"finish {self.finish:.1f} s"
        )
