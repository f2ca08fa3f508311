"""The design-space picture of a sweep: throughput (or makespan, or energy)
for each core configuration, one line per algorithm, one panel per model, platform and
batch count."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError

METRICS = ("throughput", "makespan", "energy")
#: the y axis of each metric
AXIS_LABELS = {"throughput": "throughput (inferences/s)", "makespan": "makespan (us)", "energy": "energy of the run (uJ)"}
#: (NPUs, CPUs): one column of the plot
Cores = tuple[int, int]
COLUMN_INCHES = 0.6  # room for one tick label such as "12N+4C"
MAX_WIDTH_INCHES = 16
ROTATE_TICKS_ABOVE = 20  # more columns than this get vertical tick labels (the width stops growing)
DOTS_LABEL = "faint dots: every run, in its algorithm's colour"


def metric_value(row: dict[str, Any], metric: str) -> float:
    """Throughput in inferences per second (batches / makespan), the makespan
    in us, or the energy of the whole run in uJ."""
    if metric == "throughput":
        return row["batches"] / row["makespan_us"] * 1e6
    return row["makespan_us" if metric == "makespan" else "energy_uj"]


def column_order(cores: Cores) -> tuple[int, int]:
    """Columns by total cores, then NPUs: 1N+2C and 2N+1C stand side by side, apart."""
    return (sum(cores), cores[0])


def column_label(cores: Cores) -> str:
    return f"{cores[0]}N+{cores[1]}C"


def pareto_front(points: list[tuple[Cores, float]], metric: str) -> list[tuple[Cores, float]]:
    """The points no other point beats with as many cores in total or fewer:
    the best configuration at each total core count (the first column of
    equals), kept only where it improves on every smaller total (higher
    throughput, or lower makespan or energy)."""
    best: dict[int, tuple[Cores, float]] = {}
    better = max if metric == "throughput" else min
    for cores, value in sorted(points, key=lambda p: column_order(p[0])):
        total = sum(cores)
        if total not in best or better(value, best[total][1]) != best[total][1]:
            best[total] = (cores, value)
    front: list[tuple[Cores, float]] = []
    for total in sorted(best):
        value = best[total][1]
        if not front or better(value, front[-1][1]) != front[-1][1]:
            front.append(best[total])
    return front


def plot_pareto(rows: list[dict[str, Any]], path: str | Path, metric: str = "throughput") -> Path:
    """Draw every finished run (dots) and each algorithm's Pareto front (line)
    to the image `path` (its suffix picks the format); PrismError if no run has
    a schedule, or if the metric is the energy and a run with a schedule has
    none (its platform states no power figures)."""
    if metric not in METRICS:
        raise PrismError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if metric == "energy":
        unknown = sorted({r["platform"] for r in rows if r["makespan_us"] and r.get("energy_uj") is None})
        if unknown:
            raise PrismError(f"--metric energy needs the energy of every run, unknown on {', '.join(unknown)} (no power figures for a core type there, or runs stored before energies were)")
    plt = pyplot()
    from matplotlib.lines import Line2D

    panels: dict[tuple[str, str, int], dict[str, list[tuple[Cores, float]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["makespan_us"]:
            panels[(r["model"], r["platform"], r["batches"])][r["algorithm"]].append(((r["npus"], r["cpus"]), metric_value(r, metric)))
    if not panels:
        raise PrismError("no run of the sweep has a schedule to plot")
    columns_of = {panel: sorted({cores for points in by_algorithm.values() for cores, _ in points}, key=column_order) for panel, by_algorithm in panels.items()}
    width = min(MAX_WIDTH_INCHES, max(7, 1.5 + COLUMN_INCHES * max(map(len, columns_of.values()))))
    fig, axes = plt.subplots(len(panels), 1, figsize=(width, 3.5 * len(panels)), squeeze=False)
    for ax, ((model, platform, batches), by_algorithm) in zip(axes[:, 0], sorted(panels.items())):
        columns = columns_of[model, platform, batches]
        x = {cores: k for k, cores in enumerate(columns)}
        for algorithm, points in sorted(by_algorithm.items()):
            dots = ax.scatter([x[c] for c, _ in points], [v for _, v in points], s=12, alpha=0.4)
            front = pareto_front(points, metric)
            ax.plot([x[c] for c, _ in front], [v for _, v in front], marker="o", color=dots.get_facecolor()[0], alpha=1.0, label=f"{algorithm}: Pareto front")
        ax.set_title(f"{model} on {platform}, {batches} batches")
        ax.set_xlabel("cores: NPUs (N) + CPUs (C), by total cores")
        ax.set_ylabel(AXIS_LABELS[metric])
        ax.set_xticks(range(len(columns)), [column_label(c) for c in columns], rotation=90 if len(columns) > ROTATE_TICKS_ABOVE else 0)
        ax.grid(alpha=0.3)
        handles = ax.get_legend_handles_labels()[0] + [Line2D([], [], marker="o", linestyle="", color="grey", alpha=0.4, markersize=4, label=DOTS_LABEL)]
        ax.legend(handles=handles, fontsize="small")
    return save(fig, path)


def pyplot() -> Any:
    """matplotlib.pyplot drawing to files only; PrismError naming the extra without it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PrismError("--plot needs the optional extra 'plot': pip install 'prism_cp[plot]'") from None
    return plt


def save(fig: Any, path: str | Path) -> Path:
    """Write `fig` to the image `path` (its suffix picks the format), then free it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
