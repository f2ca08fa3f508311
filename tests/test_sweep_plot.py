"""The sweep's Pareto plot: fronts that keep only improving points, an image
file, clear errors without data or without matplotlib."""

from __future__ import annotations

import sys

import pytest

from prism_cp import PrismError
from prism_cp.sweep import pareto_front, plot_pareto
from prism_cp.sweep.plot import DOTS_LABEL


def test_the_front_keeps_the_best_at_each_core_count_where_it_improves():
    points = [((1, 1), 5.0), ((2, 1), 4.0), ((1, 2), 6.0), ((2, 2), 5.5), ((3, 2), 7.0)]
    assert pareto_front(points, "throughput") == [((1, 1), 5.0), ((1, 2), 6.0), ((3, 2), 7.0)]
    makespans = [((1, 1), 10.0), ((2, 1), 12.0), ((3, 1), 8.0), ((2, 2), 9.0)]
    assert pareto_front(makespans, "makespan") == [((1, 1), 10.0), ((3, 1), 8.0)]
    assert pareto_front([((2, 1), 3.0), ((1, 2), 3.0)], "throughput") == [((1, 2), 3.0)]  # equals: the first column


def test_configurations_of_one_total_are_separate_labelled_columns_and_the_dots_are_explained(tmp_path):
    rows = [
        {"model": "m", "platform": "p", "batches": 1, "npus": n, "cpus": c, "algorithm": "prism", "makespan_us": 1e5 / (2 * n + c)}
        for n, c in ((2, 1), (1, 2), (1, 1), (0, 4))
    ]
    text = plot_pareto(rows, tmp_path / "p.svg").read_text()
    ticks = [label for label in ("1N+1C", "1N+2C", "2N+1C", "0N+4C") if f"<!-- {label} -->" in text]
    assert ticks == ["1N+1C", "1N+2C", "2N+1C", "0N+4C"] and text.index("<!-- 1N+2C -->") < text.index("<!-- 2N+1C -->")
    assert f"<!-- {DOTS_LABEL} -->" in text and "<!-- prism: Pareto front -->" in text


def rows():
    return [
        {"model": "xception", "platform": "grai", "batches": b, "npus": n, "cpus": 1, "algorithm": a, "makespan_us": 1e5 * b / (n + k)}
        for b in (2, 16)
        for n in (1, 2, 3)
        for k, a in enumerate(("npufirst", "prism"))
    ] + [{"model": "xception", "platform": "grai", "batches": 2, "npus": 4, "cpus": 0, "algorithm": "prism", "makespan_us": None}]


def with_energy():
    """rows() with an energy for every run that has a schedule: more NPUs cost more."""
    return [r | {"energy_uj": None if r["makespan_us"] is None else 1e3 * r["npus"] + r["makespan_us"] / 100} for r in rows()]


@pytest.mark.parametrize("metric", ["throughput", "makespan", "energy"])
def test_plot_writes_an_image(tmp_path, metric):
    out = plot_pareto(with_energy(), tmp_path / "p" / "pareto.png", metric)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_energy_plot_draws_each_runs_energy_and_the_least_energy_front(tmp_path):
    energies = {(r["batches"], r["npus"], r["algorithm"]): r["energy_uj"] for r in with_energy() if r["energy_uj"] is not None}
    assert pareto_front([((n, 1), energies[2, n, "prism"]) for n in (1, 2, 3)], "energy") == [((1, 1), energies[2, 1, "prism"])]
    text = plot_pareto(with_energy(), tmp_path / "p.svg", "energy").read_text()
    assert "<!-- energy of the run (uJ) -->" in text


def test_the_energy_plot_needs_the_energy_of_every_run(tmp_path):
    unknown = with_energy()
    unknown[0] = unknown[0] | {"platform": "bare", "energy_uj": None}
    with pytest.raises(PrismError, match="--metric energy needs the energy of every run, unknown on bare"):
        plot_pareto(unknown, tmp_path / "p.png", "energy")
    with pytest.raises(PrismError, match="unknown on grai"):
        plot_pareto(rows(), tmp_path / "p.png", "energy")  # rows of a database written before energies


def test_plot_errors(tmp_path, monkeypatch):
    with pytest.raises(PrismError, match="no run of the sweep has a schedule"):
        plot_pareto([r for r in rows() if r["makespan_us"] is None], tmp_path / "p.png")
    with pytest.raises(PrismError, match="metric must be one of throughput, makespan, energy"):
        plot_pareto(rows(), tmp_path / "p.png", "speed")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PrismError, match=r"--plot needs the optional extra 'plot': pip install 'prism_cp\[plot\]'"):
        plot_pareto(rows(), tmp_path / "p.png")
