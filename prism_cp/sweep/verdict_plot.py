"""The picture of a verdict sweep: per workload file and platform, a grid
with one cell per core configuration, coloured by its verdict, the smallest
schedulable core counts outlined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.steady.verdict import NOT_SCHEDULABLE, SCHEDULABLE, UNKNOWN
from prism_cp.sweep.plot import pyplot, save
from prism_cp.sweep.verdicts import NO_VERDICT, grids, minimal_pairs

#: per cell verdict: its colour and the word written in the cell
STYLE = {SCHEDULABLE: ("#4caf50", "yes"), NOT_SCHEDULABLE: ("#e53935", "no"), UNKNOWN: ("#ffb300", "?"), NO_VERDICT: ("#9e9e9e", "error")}
LEAST_LABEL = "smallest schedulable core counts"
LEAST_WORD = "least"  # written under "yes" in those cells
CELL_INCHES = 0.55


def plot_verdicts(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """Draw the verdict rows (`Store.verdict_rows`) to the image `path`, one
    panel per workload file (and content) and platform: CPUs across, NPUs
    up; configurations not swept stay blank. PrismError without rows."""
    panels = grids(rows)
    if not panels:
        raise PrismError("no verdict run in the sweep database to plot")
    plt = pyplot()
    from matplotlib.patches import Patch, Rectangle

    axes_of = {panel: (sorted({c for _, c in cells}), sorted({n for n, _ in cells})) for panel, cells in panels.items()}
    width = max(6.0, 2.5 + CELL_INCHES * max(len(cpus) for cpus, _ in axes_of.values()))
    heights = [1.5 + CELL_INCHES * len(npus) for _, npus in axes_of.values()]
    fig, axes = plt.subplots(len(panels), 1, figsize=(width, sum(heights)), squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, ((workload, digest, platform), cells) in zip(axes[:, 0], panels.items()):
        cpus, npus = axes_of[workload, digest, platform]
        least = set(minimal_pairs(c for c, v in cells.items() if v == SCHEDULABLE))
        for (n, c), verdict in cells.items():
            colour, word = STYLE[verdict]
            x, y = cpus.index(c), npus.index(n)
            marked = (n, c) in least
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=colour, edgecolor="black" if marked else "white",
                                   linewidth=3 if marked else 1, zorder=2 if marked else 1))  # outlines over the neighbours' edges
            ax.text(x, y, f"{word}\n{LEAST_WORD}" if marked else word, ha="center", va="center", fontsize="small")
        ax.set_xlim(-0.5, len(cpus) - 0.5)
        ax.set_ylim(-0.5, len(npus) - 0.5)
        ax.set_xticks(range(len(cpus)), [str(c) for c in cpus])
        ax.set_yticks(range(len(npus)), [str(n) for n in npus])
        ax.set_xlabel("CPUs")
        ax.set_ylabel("NPUs")
        ax.set_title(f"{Path(workload).name} (content {digest[:8]}) on {platform}")
        handles = [Patch(facecolor=colour, label=f"{v} ({word})") for v, (colour, word) in STYLE.items()] + [Patch(facecolor="none", edgecolor="black", linewidth=3, label=LEAST_LABEL)]
        ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    return save(fig, path)
