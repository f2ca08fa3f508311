"""What a user asks first about a model on a platform: its ops, what the NPU
cannot run, the critical path, the work per core type, and the lower bounds
that follow for a few batch counts. Plain data; the CLI only prints it."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from prism_cp.bounds import critical_path_bound, load_bounds, lower_bound, split_bound, total_work_bound
from prism_cp.platform import Platform
from prism_cp.problem import Problem
from prism_cp.workload import CORE_TYPES, Workload


@dataclass(frozen=True)
class CpuOnlyOp:
    """An op the platform's NPU cannot execute, and its CPU time (us)."""

    op: int
    name: str
    layer_type: str
    cpu_us: float


@dataclass(frozen=True)
class BatchBounds:
    """The analytic lower bounds (us) on the makespan of `batches` batches
    (prism_cp.bounds): the best one and each part."""

    batches: int
    lower_bound_us: float
    critical_path_us: float
    total_work_us: float
    work_split_us: float
    load_us: dict[str, float]


@dataclass(frozen=True)
class ModelSummary:
    """A model on a platform.

    `work_us[c]`: the summed time on core type c of the ops c can run;
    `fastest_work_us`: every op at its fastest allowed time; `critical_path_us`:
    one batch's longest path with every op on its fastest allowed core type,
    each op holding its core for whole clock ticks; `steady_period_us`: the
    least time per batch any endless stream of batches can sustain (the
    work-split bound over one batch), set by the `steady_bottleneck` core type.
    """

    model: str
    platform: str
    npus: int
    cpus: int
    clock_us: int
    n_ops: int
    ops_per_type: dict[str, int]
    cpu_only_ops: tuple[CpuOnlyOp, ...]
    cpu_only_work_us: float
    critical_path_us: float
    work_us: dict[str, float]
    fastest_work_us: float
    bounds: tuple[BatchBounds, ...]
    steady_period_us: float
    steady_bottleneck: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(workload: Workload, platform: Platform, batches: Sequence[int] = (1, 16)) -> ModelSummary:
    """The summary of `workload` on `platform`, with bounds for each batch count."""
    from prism_cp.steady.bound import period_bound  # the steady package loads OR-Tools: not at CLI start-up

    one = Problem(workload, platform, 1)
    times = workload.times
    cpu_only = tuple(
        CpuOnlyOp(i, workload.op_names[i], t, times["cpu"][i]) for i, t in enumerate(workload.op_types) if not platform.supports(t, "npu")
    )
    allowed = [one.allowed(i) for i in range(one.n_ops)]
    period = period_bound(one)
    return ModelSummary(
        workload.name,
        platform.name,
        platform.npus,
        platform.cpus,
        platform.clock_us,
        workload.n_ops,
        dict(sorted(Counter(workload.op_types).items(), key=lambda kv: (-kv[1], kv[0]))),
        cpu_only,
        sum(op.cpu_us for op in cpu_only),
        critical_path_bound(one),
        {c: sum(times[c][i] for i in range(one.n_ops) if c in allowed[i]) for c in CORE_TYPES if platform.cores(c)},
        sum(min(times[c][i] for c in allowed[i]) for i in range(one.n_ops)),
        tuple(_bounds(Problem(workload, platform, b)) for b in batches),
        period.us(platform.clock_us),
        period.bottleneck,
    )


def _bounds(problem: Problem) -> BatchBounds:
    return BatchBounds(
        problem.nbatch, lower_bound(problem), critical_path_bound(problem), total_work_bound(problem), split_bound(problem), load_bounds(problem)
    )
