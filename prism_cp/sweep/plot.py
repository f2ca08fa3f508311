"""The design-space picture of a sweep: throughput (or makespan) against the
number of cores, one line per algorithm, one panel per model, platform and
batch count."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError

METRICS = ("throughput", "makespan")


def metric_value(row: dict[str, Any], metric: str) -> float:
    """Throughput in inferences per second (batches / makespan), or the makespan in us."""
    return row["batches"] / row["makespan_us"] * 1e6 if metric == "throughput" else row["makespan_us"]


def pareto_front(points: list[tuple[int, float]], metric: str) -> list[tuple[int, float]]:
    """The points no other point beats with as many cores or fewer: the best
    value at each core count, kept only where it improves on every smaller
    core count (higher throughput, or lower makespan)."""
    best: dict[int, float] = {}
    better = max if metric == "throughput" else min
    for cores, value in points:
        best[cores] = better(best.get(cores, value), value)
    front: list[tuple[int, float]] = []
    for cores in sorted(best):
        if not front or better(best[cores], front[-1][1]) != front[-1][1]:
            front.append((cores, best[cores]))
    return front


def plot_pareto(rows: list[dict[str, Any]], path: str | Path, metric: str = "throughput") -> Path:
    """Draw every finished run (dots) and each algorithm's Pareto front (line)
    to the image `path` (its suffix picks the format); PrismError if no run has
    a schedule."""
    if metric not in METRICS:
        raise PrismError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise PrismError("--plot needs the optional extra 'plot': pip install 'prism_cp[plot]'") from None
    panels: dict[tuple[str, str, int], dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["makespan_us"]:
            panels[(r["model"], r["platform"], r["batches"])][r["algorithm"]].append((r["npus"] + r["cpus"], metric_value(r, metric)))
    if not panels:
        raise PrismError("no run of the sweep has a schedule to plot")
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 3.5 * len(panels)), squeeze=False)
    for ax, ((model, platform, batches), by_algorithm) in zip(axes[:, 0], sorted(panels.items())):
        for algorithm, points in sorted(by_algorithm.items()):
            dots = ax.scatter(*zip(*points), s=12, alpha=0.4)
            ax.plot(*zip(*pareto_front(points, metric)), marker="o", color=dots.get_facecolor()[0], alpha=1.0, label=algorithm)
        ax.set_title(f"{model} on {platform}, {batches} batches")
        ax.set_xlabel("cores (NPUs + CPUs)")
        ax.set_ylabel("throughput (inferences/s)" if metric == "throughput" else "makespan (us)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
