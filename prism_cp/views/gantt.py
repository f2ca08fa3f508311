"""Gantt charts of schedules: one row per core, one rectangle per op, the
makespan and the proven lower bound marked. Needs matplotlib (the optional
extra `plot`), imported only when a chart is drawn."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from prism_cp.errors import PrismError
from prism_cp.io.files import atomic_write, output_path
from prism_cp.views.timeline import Timeline, Window, core_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = (".png", ".svg", ".pdf")
COLORINGS = ("batch", "type", "op")
INSTALL_HINT = "pip install 'prism_cp[plot]'"
LEGEND_MAX = 20  # more categories than this get a colour bar instead of a legend
DPI = 120
ROW_INCHES = 0.42


def require_matplotlib() -> Any:
    """The matplotlib modules a chart needs, or a one-line error saying what to install."""
    try:
        from matplotlib import cm, colors, figure, patches
    except ImportError:
        raise PrismError(f"drawing charts needs matplotlib, which is not installed: {INSTALL_HINT}") from None
    return figure, colors, cm, patches


@dataclass(frozen=True)
class _Colouring:
    """A colour per op shown, and how to explain it: a legend of (label, colour)
    for a few categories, else a colour bar over `span` category numbers."""

    title: str
    colour: dict[int, Any]
    legend: list[tuple[str, Any]]
    span: tuple[int, int] | None


def _colouring(timeline: Timeline, ops: Sequence[int], by: str) -> _Colouring:
    """Distinct colours and a legend for up to LEGEND_MAX categories (and for
    layer types, which have no order); beyond that, batch and op numbers map
    onto a colour scale explained by a colour bar."""
    if by not in COLORINGS:
        raise PrismError(f"unknown colouring {by!r}; choose one of {', '.join(COLORINGS)}")
    if by == "type" and timeline.op_types is None:
        raise PrismError("this schedule file carries no layer types: colour by batch or op")
    _, _, cm, _ = require_matplotlib()
    key = {"batch": lambda g: timeline.split(g)[0], "op": lambda g: timeline.split(g)[1], "type": timeline.op_type}[by]
    categories = sorted({key(g) for g in ops})
    k = len(categories)
    if k <= LEGEND_MAX or by == "type":
        palette = cm.tab10.colors if k <= 10 else cm.tab20.colors if k <= 20 else [cm.turbo(i / (k - 1)) for i in range(k)]
        of = dict(zip(categories, palette))
        legend = [(str(c) if by == "type" else f"{by} {c}", of[c]) for c in categories]
        return _Colouring(by, {g: of[key(g)] for g in ops}, legend, None)
    lo, hi = categories[0], categories[-1]
    return _Colouring(f"{by} index", {g: cm.turbo((key(g) - lo) / (hi - lo)) for g in ops}, [], (lo, hi))


def _draw_rows(ax: Axes, timeline: Timeline, ops: Sequence[int], colouring: _Colouring, gid: str = "ops") -> None:
    """One `broken_barh` per core (fast for thousands of ops), each rectangle
    its own path in vector output, grouped under the id `<gid>-<core>`."""
    s = timeline.schedule
    rows = {core: r for r, core in enumerate(timeline.cores)}
    per_row: dict[tuple[str, int], list[int]] = {}
    for g in ops:
        per_row.setdefault((s.core_type[g], s.core_id[g]), []).append(g)
    for core, members in per_row.items():
        bars = [(s.start[g] / 1000, (s.end[g] - s.start[g]) / 1000) for g in members]
        ax.broken_barh(bars, (rows[core] - 0.4, 0.8), facecolors=[colouring.colour[g] for g in members], linewidth=0, gid=f"{gid}-{core_label(*core)}")
    ax.set_yticks(range(len(rows)), [core_label(*c) for c in timeline.cores])
    ax.set_ylim(len(rows) - 0.5, -0.5)


def _marks(ax: Axes, timeline: Timeline) -> None:
    ax.axvline(timeline.makespan / 1000, color="black", linestyle="--", linewidth=1, label=f"makespan {timeline.makespan / 1000:.3f} ms")
    if timeline.lower_bound is not None:
        ax.axvline(timeline.lower_bound / 1000, color="crimson", linestyle=":", linewidth=1.5, label=f"proven lower bound {timeline.lower_bound / 1000:.3f} ms")


def _explain(fig: Figure, axes: list[Axes], colouring: _Colouring) -> None:
    """The colour legend and the marks' legend, or a colour bar, outside the plots."""
    _, colors, cm, patches = require_matplotlib()
    handles = [patches.Patch(color=c, label=label) for label, c in colouring.legend]
    handles += axes[0].get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside right upper", fontsize="small", ncols=1 + len(handles) // 24, frameon=False)
    if colouring.span is not None:
        lo, hi = colouring.span
        bar = cm.ScalarMappable(norm=colors.Normalize(lo, hi), cmap="turbo")
        fig.colorbar(bar, ax=axes, label=colouring.title, location="right", fraction=0.03)


def _xlim(ax: Axes, timelines: Sequence[Timeline], window: Window) -> None:
    right = max(max(t.makespan, t.lower_bound or 0) for t in timelines) / 1000 * 1.01
    ax.set_xlim(window.from_ms if window.from_ms is not None else 0, window.to_ms if window.to_ms is not None else right)


def _save(fig: Figure, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix[1:].lower(), dpi=DPI, metadata={"Software": None} if path.suffix.lower() == ".png" else None)
    return atomic_write(path, buf.getvalue())


def plot_gantt(timeline: Timeline, path: str | Path, window: Window = Window(), color: str = "batch") -> Path:
    """Draw `timeline` as a Gantt chart into `path` (.png, .svg or .pdf, chosen by the suffix).

    Shows the ops `window` selects, coloured by `color` ('batch', 'type' or
    'op'), on a time axis in ms. Raises PrismError for an unsupported suffix,
    a missing directory, an empty selection, or missing matplotlib.
    """
    path = output_path(path, FORMATS, "chart")
    ops = window.ops(timeline)
    colouring = _colouring(timeline, ops, color)
    figure, *_ = require_matplotlib()
    fig = figure.Figure(figsize=(12, 1.6 + ROW_INCHES * len(timeline.cores)), layout="constrained")
    ax = fig.add_subplot()
    _draw_rows(ax, timeline, ops, colouring)
    _marks(ax, timeline)
    _xlim(ax, [timeline], window)
    ax.set_xlabel("time (ms)")
    ax.set_title(timeline.title, fontsize="medium")
    _explain(fig, [ax], colouring)
    return _save(fig, path)


def plot_comparison(timelines: Sequence[Timeline], labels: Sequence[str], path: str | Path, bound: float | None, color: str = "batch") -> Path:
    """One Gantt panel per schedule on a shared time axis, and a bar chart of
    their makespans against the proven lower bound `bound` (us; None: none known)."""
    path = output_path(path, FORMATS, "chart")
    if not timelines or len(labels) != len(timelines) or len({(t.n_ops, t.nbatch) for t in timelines}) != 1:
        raise PrismError("a comparison needs one label per schedule, and schedules of the same problem")
    figure, *_ = require_matplotlib()
    rows = sum(len(t.cores) for t in timelines)
    fig = figure.Figure(figsize=(12, 2.8 + 0.8 * len(timelines) + 0.3 * rows), layout="constrained")
    grid = fig.add_gridspec(len(timelines) + 1, 1, height_ratios=[len(t.cores) + 1 for t in timelines] + [max(4, len(timelines) + 1)])
    axes: list[Axes] = []
    colouring = _colouring(timelines[0], range(timelines[0].size), color)  # the same ops in every panel
    for k, (timeline, label) in enumerate(zip(timelines, labels)):
        ax = fig.add_subplot(grid[k], sharex=axes[0] if axes else None)
        _draw_rows(ax, timeline, range(timeline.size), colouring, gid=f"ops-{label}")
        ax.axvline(timeline.makespan / 1000, color="black", linestyle="--", linewidth=1, label="makespan")
        if bound is not None:
            ax.axvline(bound / 1000, color="crimson", linestyle=":", linewidth=1.5, label="proven lower bound")
        ax.set_title(f"{label}: {timeline.makespan / 1000:.3f} ms", fontsize="small", loc="left")
        axes.append(ax)
    _xlim(axes[0], timelines, Window())
    axes[-1].set_xlabel("time (ms)")
    _explain(fig, axes, colouring)
    bars = fig.add_subplot(grid[-1])
    makespans = [t.makespan / 1000 for t in timelines]
    bars.barh(range(len(labels)), makespans, color="steelblue")
    bars.set_yticks(range(len(labels)), labels)
    bars.invert_yaxis()
    bars.set_xlabel("makespan (ms)")
    bars.set_title("makespans" + ("" if bound is None else f" and the proven lower bound {bound / 1000:.3f} ms (dotted)"), fontsize="small", loc="left")
    if bound is not None:
        bars.axvline(bound / 1000, color="crimson", linestyle=":", linewidth=1.5)
        for y, m in enumerate(makespans):
            bars.annotate(f"{m:.1f} ms, +{100 * (m - bound / 1000) / (bound / 1000):.2f}% over the bound", (m, y), xytext=(4, 0),
                          textcoords="offset points", va="center", fontsize="small")
        bars.set_xlim(0, max(makespans) * 1.35)
    return _save(fig, path)
