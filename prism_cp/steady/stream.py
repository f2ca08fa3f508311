"""Real-time view of a schedule of a stream: per-batch latency (completion
minus arrival), deadline misses, and whether the arrival rate is sustainable
at all (its period at least the steady-state bound)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from prism_cp.bounds.alone import alone_us
from prism_cp.latency import batch_latencies, misses
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule
from prism_cp.steady.bound import period_bound


@dataclass(frozen=True)
class StreamReport:
    """max/mean_latency_us over the batches; deadline_misses (0 without a
    deadline); sustainable: the arrival period is at least the steady-state
    period bound (None without arrivals); infeasible: the deadline is
    shorter than one batch needs even alone on these cores (`bounds.alone`),
    so every batch misses whatever the schedule."""

    max_latency_us: float
    mean_latency_us: float
    deadline_misses: int
    sustainable: bool | None
    bound_period_us: float
    infeasible: bool

    def summary(self) -> dict[str, object]:
        return {
            "max_latency_us": self.max_latency_us,
            "mean_latency_us": self.mean_latency_us,
            "deadline_misses": self.deadline_misses,
            "sustainable": self.sustainable,
            "bound_period_us": self.bound_period_us,
            "deadline_infeasible": self.infeasible,
        }


def stream_report(problem: Problem, schedule: Schedule) -> StreamReport:
    """The real-time figures of `schedule` (a schedule of `problem`)."""
    latency = batch_latencies(problem, schedule)
    bound = period_bound(problem)
    return StreamReport(
        max(latency),
        sum(latency) / len(latency),
        misses(problem, schedule),
        None if problem.arrival_us is None else Fraction(problem.arrival_us) >= bound.ticks * problem.clock,
        bound.us(problem.clock),
        problem.deadline_us is not None and problem.deadline_us < alone_us(problem),
    )
