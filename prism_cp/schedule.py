"""What every solver returns: a flat schedule over the global ops, and a
result that says how good it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Transfer:
    """A tensor moved over the platform's link, from op `src` to op `dst` of
    one batch (op indices within the batch): it starts at `start` (int us, a
    tick multiple), ends at `end` (float us), carries `bytes` and holds link
    channel `channel`."""

    batch: int
    src: int
    dst: int
    start: int
    end: float
    bytes: int
    channel: int


@dataclass(frozen=True)
class Schedule:
    """Start (int us, a tick multiple), end (float us), core type and core id
    of every global op `b * n_ops + i`, exactly as the reference records them;
    and the tensors moved over the platform's link (none without a link)."""

    start: tuple[int, ...]
    end: tuple[float, ...]
    core_type: tuple[str, ...]
    core_id: tuple[int, ...]
    transfers: tuple[Transfer, ...] = ()

    @property
    def makespan(self) -> float:
        """max(end), 0 for an empty schedule (the reference's completion time)."""
        return max(self.end, default=0)

    def sequences(self) -> dict[tuple[str, int], list[int]]:
        """Ops of each core (type, id) in start order: the static order to replay."""
        seqs: dict[tuple[str, int], list[int]] = {}
        for g in sorted(range(len(self.start)), key=self.start.__getitem__):
            seqs.setdefault((self.core_type[g], self.core_id[g]), []).append(g)
        return seqs


def gap(value: float, bound: float) -> float:
    """(value - bound) / value, 0 where value is 0: how far a validated value
    (makespan, period) may be above optimal, the one definition every table,
    chart and JSON uses."""
    return (value - bound) / value if value else 0.0


class Status(StrEnum):
    """What a solver proved about its outcome. A StrEnum, so it prints and
    serialises as its name."""

    OPTIMAL = "OPTIMAL"  # a validated schedule meeting the proven bound
    FEASIBLE = "FEASIBLE"  # a validated schedule, no proof of optimality
    INFEASIBLE = "INFEASIBLE"  # proven: no schedule meets the request
    UNKNOWN = "UNKNOWN"  # no schedule found within the time limit, nothing proven

    @classmethod
    def judge(cls, value: float, bound: float) -> "Status":
        """OPTIMAL where a validated value (makespan, period) meets a proven
        lower bound (nothing can be better), else FEASIBLE."""
        return cls.OPTIMAL if value <= bound else cls.FEASIBLE


@dataclass(frozen=True)
class Result:
    """A schedule with its provenance and the proof of how far it may be from optimal.

    `lower_bound` is a proven lower bound on the makespan of any schedule of the
    same problem; `status` is OPTIMAL only when the makespan meets that bound
    (and so is optimal), else FEASIBLE. `energy_uj`: the schedule's energy
    (None without power figures). With `makespan_cap_us` set, the objective
    was the least energy within that makespan: `energy_bound_uj` is then a
    proven lower bound on the energy of any schedule within the cap, and
    OPTIMAL means the energy meets it; INFEASIBLE means `lower_bound` proves
    the cap unreachable, UNKNOWN that no schedule within it was found (the
    schedule is then the least-makespan one found, above the cap).
    """

    algorithm: str
    schedule: Schedule
    mapping: tuple[str, ...]
    lower_bound: float
    status: Status
    wall_s: float  # the algorithm's own time (s): a heuristic's excludes the bound, the validation and the energy
    log: tuple[str, ...] = field(default=())
    interrupted: bool = False  # Ctrl-C ended the run early: the schedule is the best found until then
    energy_uj: float | None = None
    makespan_cap_us: float | None = None
    energy_bound_uj: float | None = None

    def __post_init__(self) -> None:
        """A bound above the value it bounds, or OPTIMAL without meeting the
        bound, is a bug in the engine: fail loudly rather than hand out a false proof."""
        if self.lower_bound > self.makespan:
            raise AssertionError(f"{self.algorithm}: bound {self.lower_bound!r} us exceeds the validated makespan {self.makespan!r} us")
        if self.energy_bound_uj is not None and self.makespan <= (self.makespan_cap_us or 0) and self.energy_bound_uj > (self.energy_uj or 0):
            raise AssertionError(f"{self.algorithm}: energy bound {self.energy_bound_uj!r} uJ exceeds the validated energy {self.energy_uj!r} uJ")
        value, bound, unit = self.judged()
        if self.status == Status.OPTIMAL and value > bound:
            raise AssertionError(f"{self.algorithm}: OPTIMAL at {value!r} {unit} above the proven bound {bound!r} {unit}")

    def judged(self) -> tuple[float, float, str]:
        """(value, proven bound, unit) of the objective: the energy under a
        makespan cap, else the makespan; what status and gap judge."""
        if self.makespan_cap_us is not None:
            return (self.energy_uj or 0.0, self.energy_bound_uj or 0.0, "uJ")
        return (self.makespan, self.lower_bound, "us")

    @property
    def makespan(self) -> float:
        return self.schedule.makespan

    @property
    def gap(self) -> float:
        """`gap` of the makespan to the proven bound."""
        return gap(self.makespan, self.lower_bound)

    @property
    def energy_gap(self) -> float | None:
        """`gap` of the energy to its proven bound (None without one)."""
        if self.energy_uj is None or self.energy_bound_uj is None:
            return None
        return gap(self.energy_uj, self.energy_bound_uj)
