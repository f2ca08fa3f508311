"""The reference heuristics beyond the golden files: progress lines, deadline, platforms."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings

from prism_cp import Problem, simulate, validate
from prism_cp.bounds import lower_bound
from prism_cp.heuristics import HEURISTICS
from prism_cp.heuristics.hill_climb import hill_climb_mapping
from prism_cp.heuristics.mappings import npufirst_mapping, random_mapping
from prism_cp.io import load_platform
from strategies import streams


def test_random_mapping_matches_numpy_legacy_stream(xception):
    import numpy as np

    problem = Problem(xception, load_platform("grai"), 1)
    np.random.seed(7)
    x = np.random.randint(2, size=xception.n_ops)
    expected = ["npu" if x[i] == 1 and problem.npu_ok[i] else "cpu" for i in range(xception.n_ops)]
    assert random_mapping(problem, 7) == expected


def test_npufirst_puts_every_supported_op_on_the_npu(xception):
    problem = Problem(xception, load_platform("grai"), 1)
    m = npufirst_mapping(problem)
    assert all((c == "npu") == problem.npu_ok[i] for i, c in enumerate(m))


def test_platform_without_npus_maps_everything_to_cpu(xception):
    problem = Problem(xception, load_platform("grai", npus=0), 2)
    assert set(random_mapping(problem)) == {"cpu"} == set(npufirst_mapping(problem))


def test_hill_climb_reports_passes_and_strict_improvements(xception):
    problem = Problem(xception, load_platform("grai"), 2)
    lines: list[str] = []
    mapping = hill_climb_mapping(problem, 42, lines.append)
    assert lines[0] == "[hco] Starting the Hill Climbing Optimization"
    assert lines[-1] == "[hco] Ending the Hill Climbing Optimization"
    values = [float(line.split("=")[-1]) for line in lines if "performance" in line]
    assert values[0] == simulate(problem, random_mapping(problem)).makespan
    improvements = [float(line.split("=")[-1]) for line in lines if line.startswith("[hco] New performance")]
    assert improvements == sorted(improvements, reverse=True) and len(set(improvements)) == len(improvements)
    assert simulate(problem, mapping).makespan == values[-1]
    passes = [line for line in lines if line.startswith("[hco] Pass")]
    assert float(passes[-1].split("=")[-1]) == values[-1]  # the last pass improved nothing


def test_hill_climb_deadline_stops_early(xception):
    problem = Problem(xception, load_platform("grai"), 4)
    lines: list[str] = []
    mapping = hill_climb_mapping(problem, 42, lines.append, deadline=0.0)
    assert mapping == random_mapping(problem)
    assert any("Deadline" in line for line in lines)


@settings(max_examples=60, deadline=None)
@given(streams())
def test_every_heuristic_honours_the_arrivals(problem):
    for name, heuristic in HEURISTICS.items():
        s = heuristic(problem)
        assert validate(problem, s) == [], name  # includes: no op before its batch's release
        assert s.makespan >= lower_bound(problem), name


def test_late_arrivals_delay_the_reference_schedule(xception):
    plain = Problem(xception, load_platform("grai"), 4)
    stream = replace(plain, arrival_us=200_000.0)
    s = simulate(stream, npufirst_mapping(stream))
    n = xception.n_ops
    assert min(s.start[3 * n : 4 * n]) == 600_000  # batch 3 starts when it arrives, not before
    assert s.makespan > simulate(plain, npufirst_mapping(plain)).makespan


def test_stream_bound_rounds_like_the_simulator():
    # 1752 + 296.643629529812394 rounds above fl(2002 + 46.643629529812394):
    # the bound must add the release before rounding, as the simulator does
    import numpy as np

    from prism_cp import Platform, Workload

    w = Workload("pair", ("a", "b"), ("A", "A"), np.array([[0, 1, 1]], dtype=np.int64), {"cpu": (250.0, 46.643629529812394), "npu": (0.0, 0.0)})
    problem = Problem(w, Platform("p", frozenset(), 1, 0, 2), 3, arrival_us=876.0)
    s = HEURISTICS["npufirst"](problem)
    assert s.makespan == 2048.643629529812 and lower_bound(problem) <= s.makespan
