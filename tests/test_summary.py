"""A model's summary: counts and sums recomputed directly, and every bound it
reports below the makespan of real schedules and above a float longest path."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest

from prism_cp import Problem, solve
from prism_cp.bounds import lower_bound
from prism_cp.io import load_platform
from prism_cp.summary import summarize


@pytest.mark.parametrize("platform", ["grai", "mubrain"])
def test_counts_and_work_are_the_model_s(xception, platform: str) -> None:
    plat = load_platform(platform)
    s = summarize(xception, plat, (1,))
    assert s.n_ops == xception.n_ops == sum(s.ops_per_type.values()) and s.ops_per_type == Counter(xception.op_types)
    npu_cannot = [i for i, t in enumerate(xception.op_types) if t not in plat.npu_ops]
    assert [op.op for op in s.cpu_only_ops] == npu_cannot
    assert [(op.name, op.layer_type, op.cpu_us) for op in s.cpu_only_ops] == [(xception.op_names[i], xception.op_types[i], xception.times["cpu"][i]) for i in npu_cannot]
    assert s.cpu_only_work_us == sum(xception.times["cpu"][i] for i in npu_cannot)
    assert s.work_us == {"cpu": sum(xception.times["cpu"]), "npu": sum(xception.times["npu"][i] for i in range(s.n_ops) if i not in npu_cannot)}
    assert s.fastest_work_us == sum(xception.times["cpu"][i] if i in npu_cannot else min(xception.times["cpu"][i], xception.times["npu"][i]) for i in range(s.n_ops))


def test_bounds_lie_between_a_float_longest_path_and_real_schedules(xception) -> None:
    plat = load_platform("grai")
    s = summarize(xception, plat, (1, 4))
    g = xception.graph()
    fastest = {i: min(xception.times[c][i] for c in Problem(xception, plat).allowed(i)) for i in g}
    longest = _longest_path(g, fastest)
    assert longest <= s.critical_path_us
    for b in s.bounds:
        problem = Problem(xception, plat, b.batches)
        assert b.lower_bound_us == lower_bound(problem) >= max(b.critical_path_us, b.total_work_us, b.work_split_us, *b.load_us.values())
        assert all(b.lower_bound_us <= solve(problem, a).makespan for a in ("npufirst", "prism"))
    assert s.bounds[0].critical_path_us == s.critical_path_us


def _longest_path(g: nx.DiGraph, weight: dict[int, float]) -> float:
    done: dict[int, float] = {}
    for i in nx.topological_sort(g):
        done[i] = weight[i] + max((done[p] for p in g.predecessors(i)), default=0.0)
    return max(done.values())


def test_a_cpu_only_platform_has_only_cpu_work(xception) -> None:
    s = summarize(xception, load_platform("grai", npus=0), (2,))
    assert set(s.work_us) == {"cpu"} and s.fastest_work_us == sum(xception.times["cpu"])
    assert s.to_dict()["bounds"][0]["batches"] == 2


def test_steady_state_bound_is_below_every_schedule_per_batch(xception) -> None:
    """N batches carry N times one batch's work, so no schedule of N batches
    beats N periods of the steady-state bound."""
    plat = load_platform("grai")
    s = summarize(xception, plat, (1,))
    assert s.steady_bottleneck in ("cpu", "npu")
    for batches in (4, 16):
        problem = Problem(xception, plat, batches)
        assert batches * s.steady_period_us <= min(solve(problem, a).makespan for a in ("npufirst", "staggered"))
