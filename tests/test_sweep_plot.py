"""The sweep's Pareto plot: fronts that keep only improving points, an image
file, clear errors without data or without matplotlib."""

from __future__ import annotations

import sys

import pytest

from prism_cp import PrismError
from prism_cp.sweep import pareto_front, plot_pareto


def test_the_front_keeps_the_best_at_each_core_count_where_it_improves():
    points = [(2, 5.0), (3, 4.0), (3, 6.0), (4, 5.5), (5, 7.0)]
    assert pareto_front(points, "throughput") == [(2, 5.0), (3, 6.0), (5, 7.0)]
    makespans = [(2, 10.0), (3, 12.0), (4, 8.0), (4, 9.0)]
    assert pareto_front(makespans, "makespan") == [(2, 10.0), (4, 8.0)]


def rows():
    return [
        {"model": "xception", "platform": "grai", "batches": b, "npus": n, "cpus": 1, "algorithm": a, "makespan_us": 1e5 * b / (n + k)}
        for b in (2, 16)
        for n in (1, 2, 3)
        for k, a in enumerate(("npufirst", "prism"))
    ] + [{"model": "xception", "platform": "grai", "batches": 2, "npus": 4, "cpus": 0, "algorithm": "prism", "makespan_us": None}]


@pytest.mark.parametrize("metric", ["throughput", "makespan"])
def test_plot_writes_an_image(tmp_path, metric):
    out = plot_pareto(rows(), tmp_path / "p" / "pareto.png", metric)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_errors(tmp_path, monkeypatch):
    with pytest.raises(PrismError, match="no run of the sweep has a schedule"):
        plot_pareto([r for r in rows() if r["makespan_us"] is None], tmp_path / "p.png")
    with pytest.raises(PrismError, match="metric must be one of throughput, makespan"):
        plot_pareto(rows(), tmp_path / "p.png", "speed")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PrismError, match=r"--plot needs the optional extra 'plot': pip install 'prism_cp\[plot\]'"):
        plot_pareto(rows(), tmp_path / "p.png")
