"""The schedulability verdict of a mix over its hyperperiod: its proofs
against brute force on finite runs long enough to expose them, its
witnesses recomputed from their own fields, and the command line."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import strategies as st

from prism_cp import Platform, PrismError, validate
from prism_cp.io import load_platform, load_workload
from prism_cp.io.schedule_json import read_schedule_json
from prism_cp.mix import App, Mix, load_mix, union_problem
from prism_cp.solve import mix_verdict
from prism_cp.steady.hyper import hyper_problem, hyperperiod_us, repeated
from prism_cp.steady.verdict import NOT_SCHEDULABLE, SCHEDULABLE
from oracle import compacted
from strategies import LINKS, checked, examples, tricky_times
from test_mix import chain, judged, write

LIGHT = """
[[app]]
model = "mobilenetv2"
period_us = 50000
deadline_us = 100000
[[app]]
name = "second"
model = "mobilenetv2"
period_us = 100000
"""


def test_the_hyperperiod_is_the_least_common_multiple_of_the_periods_and_the_clock() -> None:
    one = chain("m", (1.0,), ("A",))
    mix = Mix((App("a", one, 0.5, 1.0, 1), App("b", one, 0.75, 1.0, 1)))
    assert hyperperiod_us(mix, 1) == 3  # lcm(1/2, 3/4) = 3/2, and the clock: 3
    assert hyperperiod_us(mix, 10) == 30
    assert hyperperiod_us(Mix((App("a", one, 40.0, 1.0, 1), App("b", one, 60.0, 1.0, 1))), 10) == 120


def test_a_hyperperiod_too_large_to_model_is_a_one_line_error() -> None:
    one = chain("m", (1.0,), ("A",))
    mix = Mix((App("a", one, 100003.0, 1.0, 1), App("b", one, 99991.0, 1.0, 1)))
    with pytest.raises(PrismError, match=r"hyperperiod .* is 9\.9994e\+09 us, with 199,994 inferences") as error:
        hyper_problem(mix, Platform("one", frozenset({"A"}), 1, 0, 1))
    assert "\n" not in str(error.value) and "multiples of one another" in str(error.value)


@st.composite
def tiny_periodic_mixes(draw) -> tuple[Mix, Platform]:
    """Two apps of tiny chains with periods whose hyperperiod holds at most
    4 ops, deadlines from tight to loose, offsets; one or two cores, the
    two with or without a link between them."""
    clock = draw(st.sampled_from([1, 10]))
    apps = []
    for name, period in zip("xy", draw(st.sampled_from([(20, 20), (20, 40), (30, 60), (40, 20)]))):
        n = draw(st.integers(1, 2 if period > 20 or name == "y" else 1))
        times = tuple(draw(tricky_times(clock)) + draw(st.sampled_from([0.0, 5.0, 15.0])) for _ in range(n))
        apps.append(App(name, chain(f"m{name}", times, ("A",) * n), float(period), float(draw(st.integers(5, 90))), 1, float(draw(st.sampled_from([0, 3, 10])))))
    npus = draw(st.integers(0, 1))
    link = draw(st.none() | LINKS) if npus else None
    return Mix(tuple(apps)), Platform("tiny", frozenset({"A"}), clock, npus, 1, link=link)


def test_verdicts_agree_with_brute_force_on_tiny_mixes() -> None:
    """A schedulable verdict's unrolled witness is valid and on time, recomputed
    here; a not-schedulable one is confirmed by brute force over a finite run
    long enough that the proof forces a miss: one hyperperiod for an app too
    slow even alone, N hyperperiods for an overload, with N * load > N *
    hyperperiod + the latest due time past the last hyperperiod."""
    seen = {SCHEDULABLE: 0, NOT_SCHEDULABLE: 0}

    def check(example: tuple[Mix, Platform]) -> bool:
        mix, platform = example
        try:
            verdict = mix_verdict(mix, platform, time_limit=2, workers=1)
        except PrismError:
            return False
        if verdict.verdict == SCHEDULABLE:
            assert validate(verdict.problem, verdict.schedule) == []
            assert judged(verdict.problem, verdict.schedule)[0] == 0
        elif verdict.verdict == NOT_SCHEDULABLE:
            hyper = verdict.found.hyperperiod_us
            per_core = max(verdict.found.load.values()) * hyper
            late = max(Fraction(a.offset_us) + Fraction(a.deadline_us) for a in mix.apps)
            copies = 1 if per_core <= hyper else math.floor(late / (per_core - hyper)) + 1
            problem = union_problem(repeated(mix, hyper, copies), platform)
            if problem.size > 7:
                return False
            assert min(judged(problem, s)[0] for s in compacted(problem)) >= 1, verdict.found.reason
        else:
            return False
        seen[verdict.verdict] += 1
        return True

    assert checked(tiny_periodic_mixes(), examples(40), check) >= examples(40) // 4
    assert min(seen.values()) >= 1, seen


def test_an_app_that_alone_overloads_the_cores_is_proven_not_schedulable(tmp_path: Path) -> None:
    from test_cli import run

    path = write(tmp_path, '[[app]]\nmodel = "mobilenetv2"\nperiod_us = 400\ndeadline_us = 100000\n')
    result = run("throughput", "--steady-state", "--workload", str(path), "--results-dir", str(tmp_path), "--json")
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "not schedulable" and "work-split" in data["reason"] and max(data["load"].values()) > 1
    assert data["witness"] is None


def test_a_deadline_below_what_one_inference_needs_alone_is_proven_not_schedulable(tmp_path: Path) -> None:
    mix = load_mix(write(tmp_path, LIGHT.replace("deadline_us = 100000", "deadline_us = 1000")))
    verdict = mix_verdict(mix, load_platform("grai", npus=4, cpus=2), time_limit=5)
    assert verdict.verdict == NOT_SCHEDULABLE and "'mobilenetv2'" in verdict.found.reason and "even alone" in verdict.found.reason


def test_a_lightly_loaded_mix_is_schedulable_with_a_witness_checked_from_its_file(tmp_path: Path) -> None:
    from test_cli import run

    result = run("throughput", "--steady-state", "--workload", str(write(tmp_path, LIGHT)), "--results-dir", str(tmp_path), "--json", "--time-limit", "10")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "schedulable" and data["hyperperiod_us"] == 100000 and data["misses"] == 0
    assert data["checked_hyperperiods"] >= 20
    doc = json.loads(Path(data["witness"]).read_text())
    assert len(doc["instances"]) == 3 * data["checked_hyperperiods"]
    for instance in doc["instances"]:
        end = max(doc["end_times"][g] for g in instance["ops"])
        assert end <= instance["due_us"] and min(doc["start_times"][g] for g in instance["ops"]) >= instance["arrival_us"]
    assert read_schedule_json(data["witness"]).schedule.start == tuple(doc["start_times"])


def test_the_verdict_lines_name_the_verdict_every_app_and_the_witness(tmp_path: Path) -> None:
    from test_cli import run

    result = run("throughput", "--steady-state", "--workload", str(write(tmp_path, LIGHT)), "--results-dir", str(tmp_path), "--quiet", "--time-limit", "10")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "SCHEDULABLE: a periodic schedule meets every deadline" in out and "hyperperiod = 100000 us (3 inferences)" in out
    assert "second : " in out and "mobilenetv2 : " in out and "schedule written to" in out


@pytest.mark.parametrize("extra", [(), ("--unroll", "2"), ("--deadline-us", "5"), ("--batch-sizes", "2"), ("--model", "xception")])
def test_throughput_workload_options_that_mean_nothing_are_user_errors(tmp_path: Path, extra: tuple[str, ...]) -> None:
    from test_cli import assert_user_error, run

    steady = () if extra == () else ("--steady-state",)
    result = run("throughput", *steady, "--workload", str(write(tmp_path, LIGHT)), "--results-dir", str(tmp_path), *extra)
    assert_user_error(result)
    assert (extra[0] if extra else "--steady-state") in result.stderr


def test_a_hyperperiod_too_large_is_a_user_error_on_the_command_line(tmp_path: Path) -> None:
    from test_cli import assert_user_error, run

    path = write(tmp_path, LIGHT.replace("period_us = 100000", "period_us = 99991"))
    result = run("throughput", "--steady-state", "--workload", str(path), "--results-dir", str(tmp_path))
    assert_user_error(result)
    assert "hyperperiod" in result.stderr


def test_validate_checks_a_mix_schedule_against_its_workload_file(tmp_path: Path) -> None:
    from test_cli import assert_user_error, run

    path = write(tmp_path, LIGHT)
    data = json.loads(run("throughput", "--steady-state", "--workload", str(path), "--results-dir", str(tmp_path), "--json", "--time-limit", "10").stdout)
    witness = data["witness"]
    result = run("validate", witness, "--workload", str(path))
    assert result.exit_code == 0, result.output
    assert f"deadline misses = 0 of {3 * data['checked_hyperperiods']} inferences" in result.stdout and result.stdout.endswith("valid\n")
    assert_user_error(run("validate", witness))  # a mix needs its workload file
    other = tmp_path / "other.toml"
    other.write_text(LIGHT.replace('name = "second"', 'name = "third"'))
    assert_user_error(run("validate", witness, "--workload", str(other)))
    doc = json.loads(Path(witness).read_text())
    doc["start_times"][0] = doc["start_times"][1]  # the first op of an inference now starts with its successor
    Path(witness).write_text(json.dumps(doc))
    assert run("validate", witness, "--workload", str(path)).exit_code == 1


def test_a_mix_on_a_linked_platform_gets_a_witness_whose_transfers_hold() -> None:
    """imx93's link (one channel): the witness moves tensors between the NPU
    and the CPUs, and its unrolled run is validated with them (mix_verdict
    raises otherwise) and on time, recomputed here."""
    mix = Mix(tuple(App(m, load_workload(m), p, 2 * p, 1) for m, p in (("resnet50", 100000.0), ("mobilenetv2", 50000.0))))
    verdict = mix_verdict(mix, load_platform("imx93", npus=1, cpus=2), time_limit=20, workers=1)
    assert verdict.verdict == SCHEDULABLE
    assert len(verdict.schedule.transfers) >= verdict.hyperperiods
    assert validate(verdict.problem, verdict.schedule) == [] and judged(verdict.problem, verdict.schedule)[0] == 0
