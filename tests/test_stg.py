"""STG import: the published rand0000 instance, the 50-task set's published
optima (some reproduced and proven here; all of them by benchmarks/bench_stg.py)
and every malformed-file case."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from prism_cp.bounds import critical_path_bound, lower_bound, total_work_bound
from prism_cp.errors import PrismError
from prism_cp.heuristics import HEURISTICS
from prism_cp.io.stg import PublishedMakespan, load_stg, load_stg_optima, stg_platform
from prism_cp.problem import Problem
from prism_cp.simulate import simulate, validate
from prism_cp.solve import solve

RAND0000 = Path(__file__).parent / "data" / "rand0000.stg"
STG50 = Path(__file__).parent / "data" / "stg50"
CPUS = (2, 4, 8, 16)


def published() -> dict[tuple[str, int], PublishedMakespan]:
    """Every (graph name, processors) pair of the copied optima files."""
    return {(row.graph.stem, row.cpus): row for p in CPUS for row in load_stg_optima(STG50 / "optimal" / f"Case50_{p}_OPT.csv")}


OPTIMAL = {p: published()["rand0000", p].upper for p in (2, 4, 8)}


def _info(path: Path, key: str) -> str:
    """A value of the file's own `# key : value` information part."""
    for line in path.read_text().splitlines():
        if line.startswith("#") and ":" in line and line[1:].split(":")[0].strip() == key:
            return line.split(":", 1)[1].strip()
    raise KeyError(key)


def test_rand0000_structure_matches_its_information_part():
    w = load_stg(RAND0000)
    assert w.name == "rand0000"
    assert w.n_ops == int(_info(RAND0000, "Tasks").split()[0])
    assert len(w.edges) == int(_info(RAND0000, "Edges").split()[0])
    assert set(w.op_types) == {"task"}
    assert w.times["cpu"] == w.times["npu"]
    mean = float(_info(RAND0000, "Ave. Proc. Time").split("Real :")[1].rstrip(")"))
    assert sum(w.times["cpu"]) == round(mean * w.n_ops)


@pytest.mark.parametrize("cpus", sorted(OPTIMAL))
def test_rand0000_bounds_and_simulation(cpus):
    w = load_stg(RAND0000)
    p = Problem(w, stg_platform(cpus), 1)
    work = sum(w.times["cpu"])
    assert total_work_bound(p) == -(-work // cpus)
    assert critical_path_bound(p) == float(_info(RAND0000, "CP Length"))
    assert lower_bound(p) <= OPTIMAL[cpus]
    s = simulate(p, ["cpu"] * w.n_ops)
    assert validate(p, s) == []
    assert s.makespan >= OPTIMAL[cpus] >= lower_bound(p)
    assert set(s.core_type) == {"cpu"}


def test_critical_path_equals_longest_weighted_path():
    w = load_stg(RAND0000)
    g = w.graph()
    t = w.times["cpu"]
    longest = {}
    for i in nx.topological_sort(g):
        longest[i] = t[i] + max((longest[q] for q in g.predecessors(i)), default=0.0)
    assert critical_path_bound(Problem(w, stg_platform(2), 1)) == max(longest.values())


def test_optima_files_list_every_graph_on_every_processor_count():
    rows = published()
    assert sorted({g for g, _ in rows}) == sorted(f.stem for f in (STG50 / "50").glob("*.stg"))
    assert len(rows) == 180 * len(CPUS)
    assert sum(row.is_open for row in rows.values()) == 51  # as the set's README says
    assert all(row.graph.is_file() and row.lower <= row.upper for row in rows.values())
    assert RAND0000.read_text() == (STG50 / "50" / "rand0000.stg").read_text()


# Pairs where the solver has work to do: the analytic bound is below the
# optimum (it must prove it), or no heuristic reaches it (it must find it).
@pytest.mark.parametrize(("graph", "cpus"), [("rand0001", 4), ("rand0028", 4), ("rand0177", 2)])
def test_published_optimum_is_reproduced_and_proven(graph, cpus):
    row = published()[graph, cpus]
    assert not row.is_open
    problem = Problem(load_stg(row.graph), stg_platform(cpus), 1)
    assert lower_bound(problem) < row.upper or min(h(problem).makespan for h in HEURISTICS.values()) > row.upper
    result = solve(problem, "cpsat", time_limit=10, workers=1)
    assert validate(problem, result.schedule) == []
    assert (result.status, result.makespan, result.lower_bound) == ("OPTIMAL", row.upper, row.upper)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("50/a.stg,2\n", "expected graph,processors"),
        ("50/a.stg,2,5,4\n", "expected graph,processors"),
        ("50/a.stg,x,5\n", "expected graph,processors"),
        ("50/a.stg,0,5\n", "expected graph,processors"),
        ("50/a.stg,2,5,6,7\n", "expected graph,processors"),
    ],
)
def test_malformed_optima_file_names_the_line(tmp_path, text, words):
    f = tmp_path / "optimal" / "Case50_2_OPT.csv"
    f.parent.mkdir()
    f.write_text("50/b.stg,2,7\n\n" + text)
    with pytest.raises(PrismError, match=f"line 3: {words}"):
        load_stg_optima(f)


def test_optima_rows_name_graphs_beside_the_optimal_folder(tmp_path):
    f = tmp_path / "optimal" / "x.csv"
    f.parent.mkdir()
    f.write_text("50/b.stg,4,7\n50/c.stg,8, 5 ,9\n")
    assert load_stg_optima(f) == [
        PublishedMakespan(tmp_path / "50" / "b.stg", 4, 7, 7),
        PublishedMakespan(tmp_path / "50" / "c.stg", 8, 5, 9),
    ]
    assert [row.is_open for row in load_stg_optima(f)] == [False, True]


def _write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "bad.stg"
    f.write_text(text)
    return f


GOOD = """3
0 0 0
1 5 1 0
2 4 1 1
3 2 2 0 1
4 0 2 2 3
# comment
"""


def test_small_file_drops_dummies(tmp_path):
    w = load_stg(_write(tmp_path, GOOD))
    assert w.op_names == ("t1", "t2", "t3")
    assert w.edges[:, :2].tolist() == [[0, 1], [0, 2]]
    assert w.times["cpu"] == (5.0, 4.0, 2.0)
    p = Problem(w, stg_platform(1), 1)
    assert critical_path_bound(p) == 9.0
    assert simulate(p, ["cpu"] * 3).makespan == 11.0


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 0, "empty"),
        ("3\n0 0 0\n1 5 1 0\n2 4 1 1\n3 2 1 0\n", 5, "4 task lines"),
        ("3\n0 0 0\n1 5 1 0\n2 4 1 1\n3 2 1 0\n4 0 1 3\n5 0 0\n", 7, "6 task lines"),
        ("3\n0 0 0\n1 5 1 0\n2 4 1 9\n3 2 1 0\n4 0 1 3\n", 4, "unknown predecessor 9"),
        ("3\n0 0 0\n1 5 1 0\n2 4 2 1\n3 2 1 0\n4 0 1 3\n", 4, "declares 2 predecessors but lists 1"),
        ("3\n0 0 0\n1 5 1 0\n2 4.5 1 1\n3 2 1 0\n4 0 1 3\n", 4, "whole numbers"),
        ("three\n", 1, "whole numbers"),
        ("3\n0 0 0\n1 5 2 0 3\n2 4 1 1\n3 2 1 2\n4 0 1 3\n", 3, "cycle"),
        ("3\n0 0 0\n1 -5 1 0\n2 4 1 1\n3 2 1 0\n4 0 1 3\n", 3, "negative processing time"),
        ("3\n0 0 0\n2 5 1 0\n1 4 1 1\n3 2 1 0\n4 0 1 3\n", 3, "task id 2 where 1"),
        ("3\n0 1 0\n1 5 1 0\n2 4 1 1\n3 2 1 0\n4 0 1 3\n", 2, "dummy task 0"),
        ("3\n0 0 0\n1 5 1 4\n2 4 1 1\n3 2 1 0\n4 0 1 3\n", 3, "exit dummy"),
        ("3\n0 0 0\n1 5 1 1\n2 4 1 1\n3 2 1 0\n4 0 1 3\n", 3, "unknown predecessor 1"),
        ("3\n0 0 0\n1 5\n2 4 1 1\n3 2 1 0\n4 0 1 3\n", 3, "a task line needs"),
        ("0\n0 0 0\n1 0 1 0\n", 1, "number of tasks"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, text, line, words):
    f = _write(tmp_path, text)
    with pytest.raises(PrismError) as err:
        load_stg(f)
    msg = str(err.value)
    assert str(f) in msg
    assert words in msg
    if line:
        assert f"line {line}:" in msg


def test_missing_file_is_a_prism_error(tmp_path):
    with pytest.raises(PrismError, match="nope.stg does not exist"):
        load_stg(tmp_path / "nope.stg")
