"""The makespan-energy front as a picture: each point with its proven bounds
as error bars down to them (a point's true optimum lies between), the
non-dominated front as a line, dominated points faint."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from prism_cp.energy_front import FrontPoint
from prism_cp.views.gantt import FORMATS, require_matplotlib, save_figure
from prism_cp.io.files import output_path


def plot_front(points: Sequence[FrontPoint], path: str | Path, title: str) -> Path:
    """Draw `points` into `path` (.png, .svg or .pdf): energy (uJ) against
    makespan (ms); bars reach each point's makespan bound (left) and energy
    bound (down, where proven)."""
    path = output_path(path, FORMATS, "chart")
    figure, *_ = require_matplotlib()
    fig = figure.Figure(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    for p in points:
        r = p.result
        energy = r.energy_uj or 0.0
        down = energy - r.energy_bound_uj if r.energy_bound_uj is not None else 0.0
        ax.errorbar([r.makespan / 1000], [energy], xerr=[[(r.makespan - r.lower_bound) / 1000], [0]], yerr=[[down], [0]],
                    fmt="o", color="tab:blue", alpha=0.25 if p.dominated else 1.0, capsize=3)
    front = [p.result for p in points if not p.dominated]
    ax.plot([r.makespan / 1000 for r in front], [r.energy_uj for r in front], color="tab:blue", label="front (non-dominated points)")
    ax.plot([], [], "o", color="tab:blue", alpha=0.25, label="dominated points")
    ax.set_xlabel("makespan (ms); bars: down to the proven makespan bound")
    ax.set_ylabel("energy (uJ); bars: down to the proven energy bound")
    ax.set_title(title, fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return save_figure(fig, path)
