"""The example workload files in models/mixes/: they load, build problems a
heuristic schedules, their counts are the 2 hyperperiods they promise, the
load their comments state is the one computed, and they are no bundled models."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from prism_cp import PrismError, solve
from prism_cp.io import bundled_models, load_platform, load_workload
from prism_cp.mix import Mix, app_reports, load_mix, mix_problem
from prism_cp.steady.bound import period_bound

MIXES = Path(__file__).resolve().parent.parent / "models" / "mixes"
EXAMPLES = sorted(MIXES.glob("*.toml"))


def test_the_documented_examples_are_there() -> None:
    assert {"perception.toml", "classifiers.toml"} <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_example_loads_and_a_heuristic_schedules_it(path: Path) -> None:
    mix = load_mix(path)
    problem = mix_problem(mix, load_platform("grai", npus=4, cpus=2))
    assert len(problem.groups) == sum(app.count for app in mix.apps)
    assert problem.n_ops == sum(app.count * app.workload.n_ops for app in mix.apps)
    reports = app_reports(problem, solve(problem, "npufirst").schedule)  # solve validates the schedule
    assert [(r.app, r.instances) for r in reports] == [(app.name, app.count) for app in mix.apps]


def hyperperiod_us(mix: Mix) -> int:
    return math.lcm(*(int(app.period_us) for app in mix.apps))


def load(mix: Mix) -> float:
    """The work-split bound of the first of the file's 2 hyperperiods, over the hyperperiod."""
    one = mix_problem(Mix(tuple(replace(app, count=app.count // 2) for app in mix.apps)), load_platform("grai", npus=4, cpus=2))
    return float(period_bound(one).ticks * one.clock) / hyperperiod_us(mix)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_example_runs_two_hyperperiods_at_the_load_its_comment_states(path: Path) -> None:
    mix = load_mix(path)
    assert all(app.period_us == int(app.period_us) and app.offset_us == 0 for app in mix.apps)
    assert all(app.count * app.period_us == 2 * hyperperiod_us(mix) for app in mix.apps)
    assert f"{load(mix):.4f} of the hyperperiod" in path.read_text()


def test_mix_b_loads_grai_to_about_80_percent() -> None:
    assert 0.75 <= load(load_mix(MIXES / "classifiers.toml")) <= 0.85


def test_the_examples_are_no_bundled_models() -> None:
    assert not {p.stem for p in EXAMPLES} & set(bundled_models()) and "mixes" not in bundled_models()
    with pytest.raises(PrismError, match="no bundled model named 'perception'"):
        load_workload("perception")
