"""Energy: the formula (against `oracle.energy_of`, written independently),
cpsat's energy objective against the brute force, the front, and the
one-line errors of bad power figures and energy options."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from prism_cp import Problem, Status, solve, validate
from prism_cp.cli import app
from prism_cp.cost.energy import energy_uj
from prism_cp.energy_front import energy_front, next_cap
from prism_cp.errors import PrismError
from prism_cp.io import load_platform, load_workload
from prism_cp.platform import Link, Power
from prism_cp.schedule import Transfer

from oracle import energy_of, least_energy, optimum
from strategies import examples, tiny_problems

POWERS = st.builds(Power, st.sampled_from([0.0, 1.0, 250.0, 1000.5]), st.sampled_from([0.0, 0.5, 35.0, 300.0]))


def powered(problem: Problem, cpu: Power, npu: Power) -> Problem:
    return dataclasses.replace(problem, platform=dataclasses.replace(problem.platform, power=(("cpu", cpu), ("npu", npu))))


def unpowered(**cores: int):
    """grai without its power figures: energy unknown."""
    return dataclasses.replace(load_platform("grai", **cores), power=())


def xception(batches: int = 1, **cores: int) -> Problem:
    plat = load_platform("grai", **cores)
    return powered(Problem(load_workload("xception"), plat, batches), Power(1000.0, 100.0), Power(1600.0, 35.0))


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(), POWERS, POWERS)
def test_energy_follows_the_formula(problem, cpu, npu):
    problem = powered(problem, cpu, npu)
    result = solve(problem, "npufirst")
    assert result.energy_uj == pytest.approx(energy_of(problem, result.schedule), rel=1e-12, abs=1e-12)


def test_no_power_figures_no_energy_and_a_type_without_cores_needs_none():
    problem = Problem(load_workload("xception"), unpowered(npus=0, cpus=2), 1)
    assert solve(problem, "npufirst").energy_uj is None
    cpu_only = dataclasses.replace(problem, platform=dataclasses.replace(problem.platform, power=(("cpu", Power(10.0, 1.0)),)))
    result = solve(cpu_only, "npufirst")
    assert result.energy_uj == pytest.approx(energy_of(cpu_only, result.schedule), rel=1e-12)


def test_transfers_cost_their_bytes_over_the_link():
    problem = xception()
    schedule = solve(problem, "npufirst").schedule
    linked = dataclasses.replace(problem, platform=dataclasses.replace(problem.platform, link=Link(1.0, 100.0, 7.5)))
    moved = dataclasses.replace(schedule, transfers=(Transfer(0, 0, 1, 0, 2.0, 1000, 0), Transfer(0, 1, 2, 100, 102.0, 24, 0)))
    total = energy_uj(linked, moved)
    assert total - energy_uj(problem, schedule) == pytest.approx(1024 * 7.5 / 1e6, abs=2 * math.ulp(total))  # both rounded once
    assert energy_uj(linked, moved) == pytest.approx(energy_of(linked, moved), rel=1e-12)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(max_size=5), POWERS, POWERS, st.sampled_from([1.0, 1.2, 2.0]))
def test_energy_bound_is_at_most_the_brute_force_least_energy(problem, cpu, npu, stretch):
    problem = powered(problem, cpu, npu)
    cap = optimum(problem) * stretch or 1.0  # a cap is > 0
    best = least_energy(problem, cap)
    result = solve(problem, "cpsat", objective="energy", makespan_cap_us=cap, time_limit=1.0)
    assert result.makespan <= cap and result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.energy_bound_uj is not None and result.energy_bound_uj <= best
    assert result.energy_uj >= best * (1 - 1e-12) - 1e-9
    if result.status == Status.OPTIMAL:
        assert result.energy_uj == pytest.approx(best, rel=1e-12, abs=1e-12)


def test_cap_below_the_makespan_bound_is_infeasible_not_an_error():
    problem = xception(npus=1, cpus=1)
    result = solve(problem, "cpsat", objective="energy", makespan_cap_us=1000.0, time_limit=5.0)
    assert result.status == Status.INFEASIBLE and result.lower_bound > 1000.0 and result.energy_bound_uj is None


def test_a_looser_cap_never_costs_more_energy_and_the_front_is_monotone():
    problem = xception(2)
    tight = solve(problem, "cpsat", objective="energy", makespan_cap_us=solve(problem, "cpsat", time_limit=5.0).makespan, time_limit=5.0)
    loose = solve(problem, "cpsat", objective="energy", makespan_cap_us=tight.makespan * 1.05, time_limit=5.0, extra_seeds=(tight.schedule,))
    assert loose.energy_uj <= tight.energy_uj and loose.energy_bound_uj <= tight.energy_bound_uj
    front = [p.result for p in energy_front(problem, time_limit=12.0, points=4) if not p.dominated]
    assert len(front) >= 2
    assert all(a.makespan < b.makespan and a.energy_uj > b.energy_uj for a, b in zip(front, front[1:]))


@pytest.mark.parametrize(
    ("objective", "cap", "message"),
    [("energy", None, "states no power figures"), ("makespan", 5.0, "needs the energy objective"), ("speed", None, "objective must be")],
)
def test_energy_options_errors(objective, cap, message):
    problem = Problem(load_workload("xception"), unpowered(), 1)
    with pytest.raises(PrismError, match=message):
        solve(problem, "cpsat", objective=objective, makespan_cap_us=cap)


@pytest.mark.parametrize("cap", [0.0, -1.0, float("nan"), "x"])
def test_a_cap_must_be_a_positive_number(cap):
    with pytest.raises(PrismError, match="makespan cap must be a number > 0"):
        solve(xception(), "cpsat", objective="energy", makespan_cap_us=cap)


def test_energy_objective_needs_cpsat():
    with pytest.raises(PrismError, match="needs the cpsat algorithm"):
        solve(xception(), "npufirst", objective="energy")


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, err: str) -> bool:
    return code == 2 and err.count("\n") == 1 and err.startswith("error: ")


POWERED = 'name = "p"\nnpu_ops = ["Conv2D"]\n[power.cpu]\nactive_mw = 900.0\nidle_mw = 90.0\n[power.npu]\nactive_mw = 1600.0\nidle_mw = 35.0\n'


@pytest.mark.parametrize("figure", ["-5.0", '"lots"', "nan"])
def test_cli_rejects_bad_power_figures_in_one_line(tmp_path, figure):
    plat = tmp_path / "p.toml"
    plat.write_text(f'name = "p"\nnpu_ops = ["Conv2D"]\n[power.cpu]\nactive_mw = {figure}\nidle_mw = 1.0\n')
    code, _, err = run_cli("schedule", "--platform", str(plat), "--batches", "1", "--results-dir", str(tmp_path), "-q")
    assert one_line_error(code, err) and "active_mw" in err


def test_cli_energy_without_power_figures_or_with_a_bad_cap_is_an_error(tmp_path):
    plat = tmp_path / "p.toml"
    plat.write_text('name = "p"\nnpu_ops = ["Conv2D"]\n')
    code, _, err = run_cli("schedule", "-a", "cpsat", "--platform", str(plat), "--objective", "energy", "--batches", "1",
                           "--results-dir", str(tmp_path), "-q")
    assert one_line_error(code, err) and "power figures" in err
    for cap in ("0", "-3", "abc"):
        code, _, err = run_cli("schedule", "-a", "cpsat", "--objective", "energy", "--makespan-cap-us", cap, "--batches", "1", "-q")
        assert code == 2 and "makespan-cap-us" in err


def test_cli_unreachable_cap_exits_3_with_infeasible(tmp_path):
    plat = tmp_path / "p.toml"
    plat.write_text(POWERED)
    code, out, _ = run_cli("schedule", "-a", "cpsat", "--platform", str(plat), "--objective", "energy", "--makespan-cap-us", "1000",
                           "--batches", "1", "--time-limit", "5", "--results-dir", str(tmp_path), "--json", "-q")
    assert code == 3 and json.loads(out)["status"] == "INFEASIBLE"


def test_schedule_file_recomputes_its_energy(tmp_path):
    plat = tmp_path / "p.toml"
    plat.write_text(POWERED)
    code, out, _ = run_cli("schedule", "-a", "npufirst", "--platform", str(plat), "--batches", "2", "--results-dir", str(tmp_path), "--json", "-q")
    data = json.loads(out)
    written = json.loads(Path(data["output"]).with_suffix(".json").read_text())
    assert code == 0 and data["energy_uj"] == written["energy_uj"] is not None
    recomputed = 0.0
    for c, p in written["power"].items():
        busy = sum(e - s for s, e, t in zip(written["start_times"], written["end_times"], written["computing_cores"]) if t == c)
        recomputed += (p["active_mw"] * busy + p["idle_mw"] * (p["cores"] * written["makespan_us"] - busy)) / 1000
    assert recomputed == pytest.approx(written["energy_uj"], rel=1e-12)


def test_pareto_writes_a_monotone_front(tmp_path):
    plat = tmp_path / "p.toml"
    plat.write_text(POWERED)
    code, out, err = run_cli("pareto", "--platform", str(plat), "--batches", "2", "--time-limit", "12", "--points", "4",
                             "--out", str(tmp_path / "front"), "--plot", str(tmp_path / "front.png"), "--json", "-q")
    assert code == 0, err
    doc = json.loads(out)
    assert doc == json.loads((tmp_path / "front.json").read_text()) and (tmp_path / "front.png").stat().st_size > 0
    rows = list(csv.DictReader((tmp_path / "front.csv").open()))
    assert len(rows) == len(doc["points"]) >= 2
    front = [p for p in doc["points"] if not p["dominated"]]
    assert all(a["makespan_us"] < b["makespan_us"] and a["energy_uj"] > b["energy_uj"] for a, b in zip(front, front[1:]))
    assert all(p["lower_bound_us"] <= p["makespan_us"] and (p["energy_bound_uj"] is None or p["energy_bound_uj"] <= p["energy_uj"]) for p in doc["points"])


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(max_size=5), POWERS, POWERS)
def test_front_points_against_the_brute_force_least_energy_per_cap(problem, cpu, npu):
    problem = powered(problem, cpu, npu)
    front = energy_front(problem, time_limit=2.0, points=5)
    [fastest] = [p.result for p in front if p.result.makespan_cap_us is None]
    assert fastest.makespan >= optimum(problem) - 1e-9 and min(p.result.makespan for p in front) == fastest.makespan
    anywhere = least_energy(problem, math.inf)
    for k, p in enumerate(front):
        r = p.result
        assert validate(problem, r.schedule) == []
        assert r.energy_uj == pytest.approx(energy_of(problem, r.schedule), rel=1e-12, abs=1e-12)
        assert r.energy_uj >= anywhere * (1 - 1e-12) - 1e-9
        assert p.dominated == any(q.makespan <= r.makespan and q.energy_uj <= r.energy_uj for q in (f.result for f in front[:k]))
        if r.makespan_cap_us is not None:
            best = least_energy(problem, r.makespan_cap_us)
            assert r.makespan <= r.makespan_cap_us and r.energy_bound_uj <= best
            assert r.energy_uj >= best * (1 - 1e-12) - 1e-9
            if r.status == Status.OPTIMAL:
                assert r.energy_uj == pytest.approx(best, rel=1e-12, abs=1e-12)
    kept = [p.result for p in front if not p.dominated]
    assert all(a.makespan < b.makespan and a.energy_uj > b.energy_uj for a, b in zip(kept, kept[1:]))


def test_next_cap_bisects_the_largest_energy_drop_and_stops_on_a_flat_front():
    def point(makespan: float, energy: float) -> SimpleNamespace:
        return SimpleNamespace(makespan=makespan, energy_uj=energy)

    found = [point(100.0, 50.0), point(300.0, 10.0), point(140.0, 45.0)]
    assert next_cap(found, []) == 220.0  # 45 -> 10 between 140 and 300 beats 50 -> 45 between 100 and 140
    assert next_cap(found, [220.0]) == 260.0  # a cap that found nothing new still splits its interval
    assert next_cap([point(100.0, 5.0), point(200.0, 5.0)], []) is None
