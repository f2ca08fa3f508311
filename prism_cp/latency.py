"""Per-group latency and deadline misses of a timed schedule (the batches
of a stream, the instances of a mix: `Problem.groups`): what the CP-SAT
stream engine optimises, the stream and mix reports measure and `compare`
ranks timed runs by (`stream_key`)."""

from __future__ import annotations

from prism_cp.problem import Instance, Problem
from prism_cp.schedule import Schedule


def group_latency(group: Instance, schedule: Schedule) -> float:
    """The group's last end minus its arrival (us)."""
    return float(max(schedule.end[g] for g in group.ops) - group.arrival_us)


def group_missed(group: Instance, schedule: Schedule) -> bool:
    """Does the group's last op end after its due time (never without one)?"""
    return group.due_us is not None and max(schedule.end[g] for g in group.ops) > group.due_us


def batch_latencies(problem: Problem, schedule: Schedule) -> list[float]:
    """Per group (per batch of a stream): its last end minus its arrival (us)."""
    return [group_latency(group, schedule) for group in problem.groups]


def misses(problem: Problem, schedule: Schedule) -> int:
    """Groups completing after their due time (0 without deadlines)."""
    return sum(group_missed(group, schedule) for group in problem.groups)


def stream_key(problem: Problem, schedule: Schedule) -> tuple[int, float, float]:
    """What a timed schedule (a stream or a mix) is judged by, in order:
    deadline misses, maximum latency (us), makespan (us). Smaller is better."""
    return misses(problem, schedule), max(batch_latencies(problem, schedule)), schedule.makespan
