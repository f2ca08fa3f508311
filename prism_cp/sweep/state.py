"""What the `status` column of a sweep run holds: the solver's `Status` for a
model run that produced a schedule, a `RunState` for one that did not and for
every verdict run. Both are stored as their names, the values databases have
always held."""

from __future__ import annotations

from enum import StrEnum

from prism_cp.schedule import Status


class RunState(StrEnum):
    """How a sweep run ended where no solver outcome says so."""

    DONE = "DONE"  # a verdict run reached its verdict (any of the three, `unknown` included): finished
    ERROR = "ERROR"  # the instance cannot exist (a PrismError): finished, a re-run skips it
    FAILED = "FAILED"  # the run raised or its worker died: the next sweep runs it again


#: statuses of a finished model run, which a resumed sweep skips
FINISHED: tuple[str, ...] = (Status.OPTIMAL, Status.FEASIBLE, RunState.ERROR)
#: statuses of a finished verdict run
VERDICT_FINISHED: tuple[str, ...] = (RunState.DONE, RunState.ERROR)
#: statuses of a run that produced no result, which the end of a sweep lists
TROUBLE: tuple[str, ...] = (RunState.FAILED, RunState.ERROR)
