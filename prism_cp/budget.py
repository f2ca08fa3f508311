"""How a run's time limit is shared between its phases, in one place."""

from __future__ import annotations

EXPORT_SHARE = 0.01  # of a whole-run time limit, kept for writing the schedule after the engine returns


def engine_time_limit(time_limit: float, spent: float) -> float:
    """What remains of a whole-run `time_limit` (s) for the engine once the
    process has spent `spent` s starting up and keeps EXPORT_SHARE for the
    export. Never less than a quarter of the limit, so a tiny limit still searches."""
    return max(time_limit * (1 - EXPORT_SHARE) - spent, time_limit / 4)
