"""What the `status` column of a sweep run holds: the solver's `Status` for a
run that produced a schedule, a `RunState` for one that did not. Both are
stored as their names, the values databases have always held."""

from __future__ import annotations

from enum import StrEnum

from prism_cp.schedule import Status


class RunState(StrEnum):
    """How a sweep run without a schedule ended (not a solver outcome)."""

    ERROR = "ERROR"  # the instance cannot exist (a PrismError): finished, a re-run skips it
    FAILED = "FAILED"  # the run raised or its worker died: the next sweep runs it again


#: statuses of a finished run, which a resumed sweep skips
FINISHED: tuple[str, ...] = (Status.OPTIMAL, Status.FEASIBLE, RunState.ERROR)
