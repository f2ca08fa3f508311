"""Mixes of several apps on one SoC: the workload file and its errors, a
mix of one app is its stream, every algorithm against brute force on tiny
mixes, the per-app report, and the schedule file's `instances`."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from prism_cp import Platform, PrismError, Problem, Schedule, Workload, algorithms, solve, validate
from prism_cp.io import load_platform, write_schedule_json
from prism_cp.io.schedule_json import read_schedule_json
from prism_cp.latency import batch_latencies, misses
from prism_cp.mix import App, Mix, app_reports, load_mix, mix_problem
from oracle import compacted
from strategies import checked, examples, tricky_times

MODELS = Path(__file__).parent.parent / "models"


def chain(name: str, times: tuple[float, ...], types: tuple[str, ...]) -> Workload:
    """A chain of ops named `name`, the same times on both core types."""
    n = len(times)
    edges = np.array([(i, i + 1, 1) for i in range(n - 1)], dtype=np.int64).reshape(-1, 3)
    return Workload(name, tuple(f"op{i}" for i in range(n)), types, edges, {"cpu": times, "npu": times})


def judged(problem: Problem, schedule: Schedule) -> tuple[int, Fraction]:
    """(misses, largest latency) recomputed here from the instances alone, exactly."""
    ends = [max(Fraction(schedule.end[g]) for g in group.ops) for group in problem.groups]
    late = sum(group.due_us is not None and end > group.due_us for group, end in zip(problem.groups, ends))
    return late, max(end - group.arrival_us for group, end in zip(problem.groups, ends))


# -- the workload file -----------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mix.toml"
    path.write_text(text)
    return path


def test_load_mix_reads_every_field_and_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[[app]]\nname = "det"\nmodel = "mobilenetv2"\nperiod_us = 100\ndeadline_us = 250\ncount = 3\noffset_us = 7\n'
                           '[[app]]\nmodel = "mobilenetv2"\nperiod_us = 50.5\n')
    first, second = load_mix(path).apps
    assert (first.name, first.workload.name, first.period_us, first.deadline_us, first.count, first.offset_us) == ("det", "mobilenetv2", 100, 250, 3, 7)
    assert (second.name, second.period_us, second.deadline_us, second.count, second.offset_us) == ("mobilenetv2", 50.5, 50.5, 1, 0)


BAD = {
    "no model": ('[[app]]\nperiod_us = 10\n', "no model"),
    "no period": ('[[app]]\nmodel = "mobilenetv2"\n', "no period_us"),
    "zero period": ('[[app]]\nmodel = "mobilenetv2"\nperiod_us = 0\n', "period_us must be a number"),
    "text period": ('[[app]]\nmodel = "mobilenetv2"\nperiod_us = "fast"\n', "period_us must be a number"),
    "negative deadline": ('[[app]]\nmodel = "mobilenetv2"\nperiod_us = 10\ndeadline_us = -1\n', "deadline_us must be a number"),
    "zero count": ('[[app]]\nmodel = "mobilenetv2"\nperiod_us = 10\ncount = 0\n', "count must be a whole number >= 1"),
    "fractional count": ('[[app]]\nmodel = "mobilenetv2"\nperiod_us = 10\ncount = 1.5\n', "count must be a whole number >= 1"),
    "same name": ('[[app]]\nmodel = "mobilenetv2"\nperiod_us = 10\n[[app]]\nmodel = "mobilenetv2"\nperiod_us = 20\n', "two apps named 'mobilenetv2'"),
    "unknown app key": ('[[app]]\nmodel = "mobilenetv2"\nperiod_us = 10\nperiod = 3\n', "unknown keys ['period']"),
    "unknown top key": ('apps = 1\n[[app]]\nmodel = "mobilenetv2"\nperiod_us = 10\n', "unknown keys ['apps']"),
    "no app": ('', "names no app"),
    "not toml": ('[[app]\n', "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_load_mix_refuses_bad_input_in_one_line(tmp_path: Path, case: str) -> None:
    text, says = BAD[case]
    with pytest.raises(PrismError) as info:
        load_mix(write(tmp_path, text))
    assert says in str(info.value) and "\n" not in str(info.value)


def test_a_model_without_a_time_table_is_refused_naming_the_app(tmp_path: Path) -> None:
    shutil.copy(MODELS / "mobilenetv2.json", tmp_path / "untimed.json")
    path = write(tmp_path, f'[[app]]\nname = "cam"\nmodel = "{tmp_path / "untimed.json"}"\nperiod_us = 10\n')
    with pytest.raises(PrismError, match="app 'cam'") as info:
        load_mix(path)
    assert "untimed" in str(info.value) and "\n" not in str(info.value)


# -- the union problem -----------------------------------------------------------------

TINY = Platform("tiny", frozenset({"A"}), 10, 1, 1)


def two_apps(offset: float = 0.0) -> Mix:
    return Mix((App("a", chain("m1", (25.0, 15.0), ("A", "B")), 40.0, 60.0, 2, offset), App("b", chain("m2", (30.0,), ("A",)), 35.0, 45.0, 2)))


def test_mix_problem_concatenates_instances_with_their_releases() -> None:
    problem = mix_problem(two_apps(offset=5.0), TINY)
    assert problem.nbatch == 1 and problem.size == 6
    assert problem.workload.op_names == ("a#0/op0", "a#0/op1", "a#1/op0", "a#1/op1", "b#0/op0", "b#1/op0")
    assert problem.workload.edges[:, :2].tolist() == [[0, 1], [2, 3]]
    assert [(g.app, g.index, g.arrival_us, g.due_us, list(g.ops)) for g in problem.groups] == [
        ("a", 0, 5, 65, [0, 1]), ("a", 1, 45, 105, [2, 3]), ("b", 0, 0, 45, [4]), ("b", 1, 35, 80, [5])]
    assert [problem.release_of(g) for g in range(6)] == [1, 1, 5, 5, 0, 4]  # first tick (10 us) at or after each arrival


def test_every_algorithm_honours_each_instance_arrival() -> None:
    problem = mix_problem(two_apps(offset=5.0), TINY)
    for name in algorithms():
        schedule = solve(problem, name, **({"time_limit": 2, "workers": 1} if name == "cpsat" else {})).schedule
        assert validate(problem, schedule) == []
        assert all(schedule.start[g] >= group.arrival_us for group in problem.groups for g in group.ops), name


def test_a_mix_of_one_app_gives_its_stream_results_with_every_algorithm() -> None:
    w = chain("m", (25.0, 15.0, 12.0), ("A", "B", "A"))
    mix = mix_problem(Mix((App("cam", w, 30.0, 55.0, 4),)), TINY)
    stream = Problem(w, TINY, 4, arrival_us=30.0, deadline_us=55.0)
    assert [g.app for g in mix.groups] == ["cam"] * 4
    for name in algorithms():
        options = {"time_limit": 3, "workers": 1} if name == "cpsat" else {}
        got, want = solve(mix, name, **options), solve(stream, name, **options)
        assert got.makespan == want.makespan, name
        assert misses(mix, got.schedule) == misses(stream, want.schedule), name
        assert batch_latencies(mix, got.schedule) == batch_latencies(stream, want.schedule), name


@st.composite
def tiny_mixes(draw) -> Problem:
    """Two apps of tiny chains (at most 5 ops in all), with arrivals, deadlines and offsets."""
    clock = draw(st.sampled_from([1, 10]))
    apps = []
    for name in ("x", "y"):
        n = draw(st.integers(1, 2))
        times = tuple(draw(tricky_times(clock)) for _ in range(n))
        types = tuple(draw(st.sampled_from(("A", "B"))) for _ in range(n))
        count = draw(st.integers(1, 2 if name == "x" and n == 1 else 1))
        period, deadline = draw(st.floats(1.0, 300.0)), draw(st.floats(1.0, 400.0))
        apps.append(App(name, chain(f"m{name}", times, types), period, deadline, count, draw(st.sampled_from([0.0, 3.0, 25.5]))))
    platform = Platform("tiny", frozenset(draw(st.sets(st.sampled_from(("A", "B"))))), clock, draw(st.integers(0, 1)), draw(st.integers(1, 2)))
    return mix_problem(Mix(tuple(apps)), platform)


def test_no_algorithm_claims_fewer_misses_or_less_lateness_than_the_optimum() -> None:
    """Brute force over every core order (compacted schedules are optimal for
    misses and latency too: both only grow with end times): no algorithm's
    (misses, largest latency) beats the least, cpsat's bound is at most the
    least makespan, and every schedule is valid."""

    def check(problem: Problem) -> bool:
        schedules = list(compacted(problem))
        best = min(judged(problem, s) for s in schedules)
        least_makespan = min(s.makespan for s in schedules)
        reports = app_reports(problem, schedules[0])
        assert sum(r.unavoidable for r in reports) <= best[0]  # misses proven unavoidable never exceed the least
        for r in reports:  # nor does any app's latency bound exceed its least latency in any schedule
            assert all(r.latency_bound_us <= min(float(schedule.end[max(g.ops, key=schedule.end.__getitem__)] - g.arrival_us)
                                                 for schedule in schedules) for g in problem.groups if g.app == r.app)
        for name in algorithms():
            result = solve(problem, name, **({"time_limit": 1, "workers": 1} if name == "cpsat" else {}))
            assert validate(problem, result.schedule) == []
            assert judged(problem, result.schedule) >= best, name
            assert result.lower_bound <= least_makespan, name
        return True

    assert checked(tiny_mixes(), examples(12), check) >= examples(12) // 2


def test_cpsat_finds_the_least_misses_on_a_hand_checkable_mix() -> None:
    # one CPU; app a: a 30 us op arriving at 0, due at 35; app b: a 20 us op at
    # 10 due at 50. FIFO runs a then b (ends 30 and 50): no miss; the least
    # largest latency is max(30, 40) = 40
    mix = Mix((App("a", chain("ma", (30.0,), ("A",)), 100.0, 35.0, 1), App("b", chain("mb", (20.0,), ("A",)), 100.0, 40.0, 1, 10.0)))
    problem = mix_problem(mix, Platform("one", frozenset(), 10, 0, 1))
    result = solve(problem, "cpsat", time_limit=3, workers=1)
    assert judged(problem, result.schedule) == (0, 40)


# -- the report and the schedule file -----------------------------------------------------


def test_app_reports_add_up_to_the_schedule() -> None:
    problem = mix_problem(two_apps(), TINY)
    schedule = solve(problem, "heft").schedule
    reports = app_reports(problem, schedule)
    assert [r.app for r in reports] == ["a", "b"] and [r.instances for r in reports] == [2, 2]
    assert sum(r.misses for r in reports) == misses(problem, schedule) == judged(problem, schedule)[0]
    for r in reports:
        latency = [schedule.end[max(g.ops, key=lambda i: schedule.end[i])] - float(g.arrival_us) for g in problem.groups if g.app == r.app]
        assert r.max_latency_us == max(latency) and r.mean_latency_us == pytest.approx(sum(latency) / len(latency))
    for c in ("cpu", "npu"):
        busy = sum(e - s for s, e, t in zip(schedule.start, schedule.end, schedule.core_type) if t == c)
        if busy:
            assert sum(r.busy_share[c] for r in reports) == pytest.approx(1.0)


def test_the_schedule_file_recomputes_every_latency_and_miss(tmp_path: Path) -> None:
    problem = mix_problem(two_apps(offset=5.0), TINY)
    result = solve(problem, "prism")
    path = write_schedule_json(tmp_path / "mix.json", problem, result)
    doc = json.loads(path.read_text())
    latencies, missed = [], 0
    for instance in doc["instances"]:
        last = max(doc["end_times"][g] for g in instance["ops"])
        latencies.append(last - instance["arrival_us"])
        missed += instance["due_us"] is not None and last > instance["due_us"]
    assert latencies == batch_latencies(problem, result.schedule) and missed == misses(problem, result.schedule)
    assert [(i["app"], i["model"], i["index"]) for i in doc["instances"]] == [("a", "m1", 0), ("a", "m1", 1), ("b", "m2", 0), ("b", "m2", 1)]
    def timing(groups):
        return [(g.app, g.model, g.index, g.arrival_us, g.due_us, tuple(g.ops)) for g in groups]

    assert timing(read_schedule_json(path).instances) == timing(problem.groups)


def test_a_malformed_instances_list_is_refused(tmp_path: Path) -> None:
    problem = mix_problem(two_apps(), TINY)
    path = write_schedule_json(tmp_path / "mix.json", problem, solve(problem, "heft"))
    doc = json.loads(path.read_text())
    doc["instances"][0]["ops"] = [99]
    path.write_text(json.dumps(doc))
    with pytest.raises(PrismError, match="instances must list"):
        read_schedule_json(path)


def test_instances_of_a_stream_must_be_its_batches() -> None:
    w = chain("m", (25.0,), ("A",))
    stream = Problem(w, TINY, 2, arrival_us=30.0)
    with pytest.raises(PrismError, match="must be its batches"):
        Problem(w, TINY, 2, arrival_us=40.0, instances=stream.groups)
    with pytest.raises(PrismError, match="one batch"):
        Problem(w, TINY, 2, instances=stream.groups)


# -- the CLI -------------------------------------------------------------------------------

PERCEPTION = '[[app]]\nname = "detector"\nmodel = "mobilenetv2"\nperiod_us = 40000\ndeadline_us = 30000\ncount = 2\n' \
             '[[app]]\nmodel = "mobilenetv2"\nperiod_us = 15000\ndeadline_us = 20000\ncount = 3\noffset_us = 1000\n'


def test_schedule_workload_json_agrees_with_the_library(tmp_path: Path) -> None:
    from test_cli import json_line, run

    path = write(tmp_path, PERCEPTION)
    data = json_line(run("schedule", "--workload", str(path), "-a", "heft", "--results-dir", str(tmp_path), "--json"))
    problem = mix_problem(load_mix(path), load_platform("grai"))
    schedule = solve(problem, "heft").schedule
    assert data["deadline_misses"] == misses(problem, schedule)
    assert [{k: v for k, v in a.items() if k != "busy_share"} for a in data["apps"]] == [
        {k: v for k, v in r.as_json().items() if k != "busy_share"} for r in app_reports(problem, schedule)]
    assert data["deadline_misses_bound"] == sum(r.unavoidable for r in app_reports(problem, schedule)) == 0
    written = json.loads(Path(data["output"]).with_suffix(".json").read_text())
    assert [i["app"] for i in written["instances"]] == ["detector"] * 2 + ["mobilenetv2"] * 3
    text = run("schedule", "--workload", str(path), "-a", "heft", "--results-dir", str(tmp_path), "--quiet").stdout
    assert "detector : 2 inferences" in text and "mobilenetv2 : 3 inferences" in text


@pytest.mark.parametrize("extra", [("--model", "xception"), ("--batches", "2"), ("--arrival-period-us", "5"), ("--deadline-us", "5")])
def test_workload_with_an_instance_option_is_a_user_error(tmp_path: Path, extra: tuple[str, str]) -> None:
    from test_cli import assert_user_error, run

    result = run("schedule", "--workload", str(write(tmp_path, PERCEPTION)), "-a", "heft", "--results-dir", str(tmp_path), *extra)
    assert_user_error(result)
    assert extra[0] in result.stderr


def file_key(schedule_json: Path) -> tuple[int, float, float]:
    """(misses, max latency, makespan) of a schedule file, from its instances and end times alone."""
    doc = json.loads(schedule_json.read_text())
    ends = [max(doc["end_times"][g] for g in i["ops"]) for i in doc["instances"]]
    missed = sum(i["due_us"] is not None and end > i["due_us"] for i, end in zip(doc["instances"], ends))
    return missed, max(end - i["arrival_us"] for i, end in zip(doc["instances"], ends)), doc["makespan_us"]


def test_compare_workload_reports_every_app_and_ranks_by_misses_then_latency_then_makespan(tmp_path: Path) -> None:
    from test_cli import json_line, run

    path = write(tmp_path, PERCEPTION)
    data = json_line(run("compare", "--workload", str(path), "--time-limit", "4", "--workers", "1", "--results-dir", str(tmp_path), "--json"))
    rows = data["results"]
    assert sorted(r["algorithm"] for r in rows) == sorted(algorithms()) and data["inferences"] == 5
    keys = [file_key(Path(row["output"]).with_suffix(".json")) for row in rows]
    for row, key in zip(rows, keys):
        assert [a["app"] for a in row["apps"]] == ["detector", "mobilenetv2"]
        assert row["deadline_misses"] == sum(a["misses"] for a in row["apps"])
        assert (row["deadline_misses"], row["max_latency_us"], row["makespan_us"]) == key
    assert keys == sorted(keys)  # best first
    assert [r["rank"] for r in rows] == [1 + sum(other < key for other in keys) for key in keys]
    assert [r["vs_best"] for r in rows] == [(key[1] - keys[0][1]) / keys[0][1] for key in keys]
    text = run("compare", "--workload", str(path), "--time-limit", "4", "--workers", "1", "--results-dir", str(tmp_path), "--quiet").stdout.splitlines()
    assert "ranked by deadline misses, then max latency, then makespan; vs best: max latency over the best's" in text
    header = text.index(next(line for line in text if line.startswith("algorithm")))
    assert text[header].split()[:7] == ["algorithm", "rank", "misses", "max", "latency", "(us)", "makespan"]
    table = [line.split() for line in text[header + 1:] if line.split() and line.split()[0] in algorithms()]
    assert len(table) == len(algorithms()) and [int(r[1]) for r in table] == sorted(int(r[1]) for r in table)
    assert "5 inferences;" in text[header - 2]  # the title, above the ranking line


def test_a_workload_counts_its_inferences_on_the_console(tmp_path: Path) -> None:
    from test_cli import json_line, run

    path = write(tmp_path, PERCEPTION)
    args = ("schedule", "--workload", str(path), "-a", "heft", "--results-dir", str(tmp_path))
    assert json_line(run(*args, "--json"))["inferences"] == 5
    makespan = solve(mix_problem(load_mix(path), load_platform("grai")), "heft").makespan
    text = run(*args, "--quiet").stdout
    assert f"detector+mobilenetv2 : execution time for  5  inferences =  [{makespan!r}] us (estimated times)\n" in text
    assert "batches" not in text


def test_a_workload_of_one_app_prints_its_app_line(tmp_path: Path) -> None:
    from test_cli import json_line, run

    path = write(tmp_path, '[[app]]\nname = "cam"\nmodel = "mobilenetv2"\nperiod_us = 15000\ndeadline_us = 9000\ncount = 3\n')
    data = json_line(run("schedule", "--workload", str(path), "-a", "npufirst", "--results-dir", str(tmp_path), "--json"))
    problem = Problem(load_mix(path).apps[0].workload, load_platform("grai"), 3, arrival_us=15000, deadline_us=9000)
    schedule = solve(problem, "npufirst").schedule
    assert [a["app"] for a in data["apps"]] == ["cam"] and data["apps"][0]["max_latency_us"] == max(batch_latencies(problem, schedule))
    assert data["deadline_misses"] == misses(problem, schedule)


def test_inferences_whose_deadline_is_below_what_they_need_alone_are_counted_unavoidable(tmp_path: Path) -> None:
    # one CPU; app a: a 30 us op due 20 us after arrival: every inference misses whatever the schedule (its bound: 30 us
    # less half an ulp of the largest time handled, for the float end)
    mix = Mix((App("a", chain("ma", (30.0,), ("A",)), 100.0, 20.0, 3), App("b", chain("mb", (20.0,), ("A",)), 100.0, 40.0, 2, 10.0)))
    problem = mix_problem(mix, Platform("one", frozenset(), 10, 0, 1))
    reports = app_reports(problem, solve(problem, "cpsat", time_limit=3, workers=1).schedule)
    assert [(r.app, round(r.latency_bound_us, 2), r.unavoidable) for r in reports] == [("a", 30.0, 3), ("b", 20.0, 0)]
