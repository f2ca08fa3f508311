"""The unrolled scheduling problem: a workload replicated over `nbatch`
independent batches on one platform, and the conversion of times to ticks.
A stream (`arrival_us`) releases batch b at the first tick at or after
b * arrival_us; it may carry a relative `deadline_us` per batch. A mix
(`instances`, prism_cp.mix) is one batch of a union workload whose
instances each have their own arrival and due time. Either way the
*groups* (`Problem.groups`) are what releases, latencies and deadline
misses are computed over: the batches of a stream, the instances of a mix.

Global op index `g = b * n_ops + i` (batch b, op i) everywhere a schedule is
flat. `join` and `split` name that arithmetic for callers of the API; inner
loops write it inline (`g % n_ops` is op i).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from prism_cp.errors import PrismError, check_count
from prism_cp.platform import Platform
from prism_cp.workload import CORE_TYPES, Workload


def completion_tick(start_tick: int, time_us: float, clock_us: int) -> int:
    """The tick at which an op started at `start_tick` frees its core.

    The reference computes `end = start_tick * clock + T` in floating point and
    completes the op at the first later tick `t` with `t >= end`. This is the one
    place that rule is written: the simulator, replay and the validator call it,
    and `occupancy_range` bounds it over start ticks for the bounds and the CP model.
    """
    end = start_tick * clock_us + time_us
    tick = int(end // clock_us)
    if tick * clock_us < end:
        tick += 1
    return tick if tick > start_tick else start_tick + 1


#: the most the one-op-at-a-time schedule of a problem may take (us): up to
#: it, tick times are exact floats and the CP model's objective in ns stays
#: below 2**53, where the solver's (double) bound is an exact integer
MAX_HORIZON_US = 2**43


def occupancy_range(time_us: float, clock_us: int, horizon_us: int) -> tuple[int, int]:
    """(fewest, most) ticks an op of `time_us` holds its core, over every start
    tick s with s * clock <= `horizon_us` (at most MAX_HORIZON_US).

    `completion_tick` ends the op at fl(s * clock + T). With m = max(1,
    ceil(T / clock)), s * clock + (m - 1) * clock < s * clock + T <= s * clock
    + m * clock, the outer two are exact floats, and rounding is monotone: the
    op holds m ticks (its count at tick 0, the most) or, where the add rounds
    down onto the tick below, m - 1. That needs T within half an ulp of H + T
    of (m - 1) * clock, and T not a multiple of that ulp (those sums are exact).
    This is the one conversion the bounds and the CP model use.
    """
    t = Fraction(time_us)
    most = max(1, math.ceil(t / clock_us))
    ulp = Fraction(math.ulp(horizon_us + time_us))
    rounds_down = most > 1 and t % ulp != 0 and t - (most - 1) * clock_us <= ulp / 2
    return most - rounds_down, most


@dataclass(frozen=True)
class Instance:
    """A group of ops released together and due together: one inference of
    one app. `ops` are global op indices; `arrival_us` and `due_us` are
    absolute and exact (`due_us` None: no deadline)."""

    app: str
    model: str
    index: int
    arrival_us: Fraction
    due_us: Fraction | None
    ops: Sequence[int]


def group_index(groups: Sequence[Instance], size: int) -> tuple[int, ...]:
    """Per global op of `size`: the index of its group in `groups` (0 for ops no group holds)."""
    out = [0] * size
    for k, group in enumerate(groups):
        for g in group.ops:
            out[g] = k
    return tuple(out)


@dataclass(frozen=True)
class Problem:
    """`nbatch` copies of `workload` sharing the cores of `platform`.

    `arrival_us`: batch b arrives at b * arrival_us (exact: a float is taken
    at its exact binary value, a Fraction as is) and none of its ops may start
    before; None: every batch is there at time 0 (the reference's setting).
    `deadline_us`: batch b is due at its arrival + deadline_us (None: no
    deadline); solvers that know deadlines minimise the misses.
    """

    workload: Workload
    platform: Platform
    nbatch: int = 1
    arrival_us: float | Fraction | None = None
    deadline_us: float | None = None
    instances: tuple[Instance, ...] | None = None

    def __post_init__(self) -> None:
        check_count(self.nbatch, "batches")
        for name, value, least in (("arrival period", self.arrival_us, 0), ("deadline", self.deadline_us, None)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float, Fraction)) or not math.isfinite(value)
                or value < 0 or (least is None and value == 0)
            ):
                need = ">= 0" if least == 0 else "> 0"
                raise PrismError(f"{name} must be a finite number of microseconds {need}, got {value!r}")
        for i, op_type in enumerate(self.workload.op_types):
            if not any(self.platform.cores(c) and self.platform.supports(op_type, c) for c in CORE_TYPES):
                raise PrismError(
                    f"op {i} ({self.workload.op_names[i]}, {op_type}) cannot run on platform "
                    f"{self.platform.name!r} with {self.platform.cpus} CPUs and {self.platform.npus} NPUs"
                )
        if self.instances is not None:
            self._check_instances()
        if self.horizon_us > MAX_HORIZON_US:
            raise PrismError(
                f"one op after another this problem takes up to {self.horizon_us:.4g} us, beyond the {MAX_HORIZON_US:.4g} us "
                f"(2**43) the engine can time exactly; use smaller times, a smaller clock or fewer batches"
            )

    @property
    def n_ops(self) -> int:
        """Ops per batch."""
        return self.workload.n_ops

    @property
    def size(self) -> int:
        """Ops over all batches."""
        return self.nbatch * self.workload.n_ops

    @property
    def clock(self) -> int:
        return self.platform.clock_us

    @cached_property
    def release(self) -> tuple[int, ...]:
        """Per batch: the first tick at or after its arrival (all 0 without a stream)."""
        if not self.arrival_us:
            return (0,) * self.nbatch
        step = Fraction(self.arrival_us) / self.clock
        return tuple(math.ceil(b * step) for b in range(self.nbatch))

    def arrival(self, batch: int) -> Fraction:
        """Arrival time of `batch` (us, exact)."""
        return batch * Fraction(self.arrival_us or 0)

    @property
    def timed(self) -> bool:
        """Do ops arrive over time (a stream or a mix)? Then solvers minimise
        deadline misses and latency rather than the makespan alone."""
        return self.arrival_us is not None or self.instances is not None

    def _check_instances(self) -> None:
        """Instances are a mix's one batch, or relabel a stream's batches."""
        if self.arrival_us is None:
            if self.nbatch != 1 or self.deadline_us is not None:
                raise PrismError("a mix is one batch of its instances: it takes no batches or deadline of its own")
            return
        timing = [(g.arrival_us, g.due_us, tuple(g.ops)) for g in self.instances or ()]
        if timing != [(g.arrival_us, g.due_us, tuple(g.ops)) for g in self._batch_groups()]:
            raise PrismError("the instances of a stream must be its batches, with their arrivals and due times")

    @cached_property
    def groups(self) -> tuple[Instance, ...]:
        """The groups latency and misses are computed over: a mix's instances,
        or one per batch (arrival b * arrival_us, due arrival + deadline_us)."""
        return self._batch_groups() if self.instances is None else self.instances

    def _batch_groups(self) -> tuple[Instance, ...]:
        n, name = self.n_ops, self.workload.name
        due = None if self.deadline_us is None else Fraction(self.deadline_us)
        return tuple(
            Instance(name, name, b, self.arrival(b), None if due is None else self.arrival(b) + due, range(b * n, (b + 1) * n))
            for b in range(self.nbatch)
        )

    @cached_property
    def group_index(self) -> tuple[int, ...]:
        """Per global op: the index of its group in `groups`."""
        return group_index(self.groups, self.size)

    @property
    def has_deadline(self) -> bool:
        return any(g.due_us is not None for g in self.groups)

    def group_release(self, group: Instance) -> int:
        """The first tick at or after the group's arrival."""
        return math.ceil(group.arrival_us / self.clock)

    @cached_property
    def op_release(self) -> tuple[int, ...]:
        """Per op of one batch: its release tick relative to its batch's
        (its instance's release in a mix; all 0 otherwise)."""
        out = [0] * self.n_ops
        for group in self.instances if self.arrival_us is None and self.instances else ():
            for g in group.ops:
                out[g] = self.group_release(group)
        return tuple(out)

    def release_of(self, g: int) -> int:
        """The first tick global op g may start at."""
        n = self.n_ops
        return self.release[g // n] + self.op_release[g % n]

    @cached_property
    def last_release(self) -> int:
        """The latest release tick of any op."""
        return self.release[-1] + max(self.op_release)

    def join(self, batch: int, op: int) -> int:
        """Global index of op `op` of batch `batch`."""
        return batch * self.workload.n_ops + op

    def split(self, g: int) -> tuple[int, int]:
        """(batch, op) of global index `g`."""
        return divmod(g, self.workload.n_ops)

    def allowed(self, op: int) -> tuple[str, ...]:
        """Core types op `op` may be mapped to on this platform."""
        t = self.workload.op_types[op]
        return tuple(c for c in CORE_TYPES if self.platform.cores(c) and self.platform.supports(t, c))

    @cached_property
    def only_on(self) -> dict[str, tuple[int, ...]]:
        """Per core type c: the ops of one batch that may run on c alone (the
        work every schedule puts on c's cores, where the load bounds start)."""
        return {c: tuple(i for i in range(self.n_ops) if self.allowed(i) == (c,)) for c in CORE_TYPES}

    @cached_property
    def npu_ok(self) -> tuple[bool, ...]:
        """Per op of one batch: can the NPU execute it."""
        return tuple(self.platform.supports(t, "npu") for t in self.workload.op_types)

    @cached_property
    def horizon_us(self) -> int:
        """An upper bound on the makespan of an optimal schedule (us): every op
        run alone in turn on its slowest allowed type, each holding its core
        for at most max(1, ceil(T / clock)) ticks (see `occupancy_range`),
        after the last arrival; with a link, every transfer too, alone."""
        times = self.workload.times
        slowest = [max(max(1, math.ceil(Fraction(times[c][i]) / self.clock)) for c in self.allowed(i)) for i in range(self.n_ops)]
        # each transfer in turn after its producer, at its slower producer type
        moves = [max(max(1, math.ceil(Fraction(ts[e]) / self.clock)) for ts in self._transfer_times.values()) for e in self.edge_tokens] if self._transfer_times else []
        return (self.last_release + self.nbatch * (sum(slowest) + sum(moves))) * self.clock

    @cached_property
    def occupancy(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Per core type, per op of one batch: (fewest, most) ticks it holds a
        core at any start tick an optimal schedule can use (`occupancy_range`)."""
        return {c: tuple(occupancy_range(t, self.clock, self.horizon_us) for t in ts) for c, ts in self.workload.times.items()}

    @cached_property
    def min_ticks(self) -> dict[str, tuple[int, ...]]:
        """Per core type, per op of one batch: the fewest ticks it holds a core,
        a true lower bound at every start tick (what bounds and the CP model use)."""
        return {c: tuple(lo for lo, _ in occ) for c, occ in self.occupancy.items()}

    @cached_property
    def max_ticks(self) -> dict[str, tuple[int, ...]]:
        """Per core type, per op of one batch: the most ticks it holds a core."""
        return {c: tuple(hi for _, hi in occ) for c, occ in self.occupancy.items()}

    @cached_property
    def edge_tokens(self) -> dict[tuple[int, int], int]:
        """Per edge (u, v) of one batch, in (u, v) order: the tokens it carries
        (parallel edges summed: one tensor moves once)."""
        tokens: dict[tuple[int, int], int] = {}
        for u, v, k in self.workload.edges.tolist():
            tokens[u, v] = tokens.get((u, v), 0) + k
        return dict(sorted(tokens.items()))

    def transfer_bytes(self, u: int, v: int, core_type: str) -> int:
        """Bytes edge u -> v of one batch moves when u runs on `core_type`."""
        return self.edge_tokens[u, v] * self.platform.bytes_per_element(core_type)

    @cached_property
    def _transfer_times(self) -> dict[str, dict[tuple[int, int], float]]:
        """Per core type of the producer, per edge of one batch: how long its
        transfer takes (us); empty without a link (no edge ever moves)."""
        link = self.platform.link
        if link is None:
            return {}
        return {c: {e: link.transfer_us(self.transfer_bytes(*e, c)) for e in self.edge_tokens} for c in CORE_TYPES}

    def transfer_time(self, u: int, v: int, core_type: str) -> float:
        """How long the transfer u -> v takes when u runs on `core_type` (us; needs a link)."""
        return self._transfer_times[core_type][u, v]

    @cached_property
    def transfer_ticks(self) -> dict[str, dict[tuple[int, int], tuple[int, int]]]:
        """Per core type of the producer, per edge of one batch: (fewest, most)
        ticks its transfer holds a channel (`occupancy_range`, as for ops);
        empty without a link."""
        return {c: {e: occupancy_range(t, self.clock, self.horizon_us) for e, t in ts.items()} for c, ts in self._transfer_times.items()}

    @cached_property
    def preds(self) -> list[list[int]]:
        """Global predecessor lists (batches share no edges)."""
        return _replicate(self.workload.predecessors(), self.nbatch, self.n_ops)

    @cached_property
    def succs(self) -> list[list[int]]:
        """Global successor lists, each in increasing index."""
        return _replicate(self.workload.successors(), self.nbatch, self.n_ops)

    @cached_property
    def global_times(self) -> dict[str, list[float]]:
        """Per core type: execution time of every global op (us)."""
        return {c: self.replicate(list(ts)) for c, ts in self.workload.times.items()}

    @cached_property
    def indegree(self) -> list[int]:
        """Number of distinct predecessors of every global op."""
        return [len(p) for p in self.preds]

    def replicate(self, per_op: list) -> list:
        """A per-op list of one batch repeated for every batch (global order)."""
        return list(per_op) * self.nbatch


def _replicate(adj: list[list[int]], nbatch: int, n: int) -> list[list[int]]:
    return [[b * n + j for j in row] for b in range(nbatch) for row in adj]
