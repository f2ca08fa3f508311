"""Gantt charts of schedules: one row per core, one rectangle per op, one
row per link channel with a rectangle per transfer, the makespan and the
proven lower bound marked; a mix of several apps coloured by app unless
asked otherwise. Needs matplotlib (the optional
extra `plot`), imported only when a chart is drawn."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from prism_cp.errors import PrismError
from prism_cp.io.files import atomic_write, output_path
from prism_cp.schedule import Transfer, gap
from prism_cp.views.timeline import Timeline, Window, core_label, link_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = (".png", ".svg", ".pdf")
COLORINGS = ("batch", "type", "op", "app")
INSTALL_HINT = "pip install 'prism_cp[plot]'"
DPI = 120
ROW_INCHES = 0.42
#: Up to 20 batches, layer types or apps get these colours, in order: tab10's ten
#: hues, then their light variants reordered so that no two neighbours share a
#: hue family (matplotlib's tab20 pairs each hue with its light variant, so
#: batches 0 and 1 were both blue). Batches close in number run at the same
#: time, so neighbours are the ones that must stand apart.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#9edae5", "#c7c7c7", "#dbdb8d", "#aec7e8",
)
#: Transfers not coloured by batch or app: a charcoal no palette or colour scale uses.
LINK_COLOUR = "#333333"
LINK_LEGEND = "transfer over the link"
#: Transfers last tens of us while a chart spans tens of ms: an edge of this
#: width (points) keeps each one visible, at least a hairline wide.
LINK_EDGE = 0.6
LEGEND_MAX = len(PALETTE)  # more categories than this get a colour bar instead of a legend
#: A chart asked for without a window shows at most this many ops per core row
#: (the first to start): xception at 16 batches on 4 NPUs + 2 CPUs, 2144 ops,
#: draws as a barcode of ~3 px rectangles, while its first ~300 ops (120 ms)
#: are ~25 px each and readable.
AUTO_ZOOM_OPS_PER_ROW = 50


def require_matplotlib() -> Any:
    """The matplotlib modules a chart needs, or a one-line error saying what to install."""
    try:
        from matplotlib import cm, colors, figure, patches
    except ImportError:
        raise PrismError(f"drawing charts needs matplotlib, which is not installed: {INSTALL_HINT}") from None
    return figure, colors, cm, patches


@dataclass(frozen=True)
class _Colouring:
    """A colour per category, and how to explain it: a legend of (label, colour)
    for a few categories, else a colour bar over `span` category numbers."""

    by: str
    title: str
    of: dict[Any, Any]
    legend: list[tuple[str, Any]]
    span: tuple[int, int] | None

    def colour(self, timeline: Timeline, g: int) -> Any:
        return self.of[category(timeline, g, self.by)]

    def transfer_colour(self, timeline: Timeline, transfer: Transfer) -> Any:
        """Its batch's colour, or its app's (that of the op producing it: the
        link is shared, and which app holds it is what a mix's chart is
        read for; link rows hold transfers alone, so they cannot be taken
        for ops), else the one link colour."""
        if self.by == "batch":
            return self.of[transfer.batch]
        if self.by == "app":
            return self.of[category(timeline, transfer.batch * timeline.n_ops + transfer.src, "app")]
        return LINK_COLOUR


def category(timeline: Timeline, g: int, by: str) -> int | str:
    """What op `g` is coloured by: its batch, its op index, its app, or its
    layer type (its core type, 'CPU' or 'NPU', when the timeline carries no
    layer types)."""
    if by == "batch":
        return timeline.split(g)[0]
    if by == "op":
        return timeline.split(g)[1]
    if by == "app":
        group = timeline.group(g)
        assert group is not None  # _colouring refuses timelines without groups
        return group.app
    kind = timeline.op_type(g)
    return kind if kind is not None else timeline.schedule.core_type[g].upper()


def default_colouring(timelines: Sequence[Timeline]) -> str:
    """'app' for a mix of several apps (what a chart of one is read for:
    which app holds the cores), else 'batch'."""
    return "app" if any(t.mix for t in timelines) else "batch"


def _colouring(timelines: Sequence[Timeline], shown: Sequence[tuple[Sequence[int], Sequence[int]]], by: str) -> _Colouring:
    """Distinct colours (PALETTE) and a legend for up to LEGEND_MAX categories
    (and for layer types and apps, which have no order) of the (ops, transfers)
    shown of each timeline; beyond that, batch and op numbers map onto a colour
    scale explained by a colour bar. Apps are every app of the timelines, in
    the workload file's order, shown or not: an app keeps its colour in every
    zoom. Transfers not coloured by batch or app get LINK_COLOUR, in the
    legend when any is shown."""
    if by not in COLORINGS:
        raise PrismError(f"unknown colouring {by!r}; choose one of {', '.join(COLORINGS)}")
    if by == "app" and any(t.groups is None for t in timelines):
        raise PrismError("colouring by app needs the schedule's instances, which this file lacks (a pickle alone, "
                         "or a JSON written before mixes): colour by batch, type or op")
    _, _, cm, _ = require_matplotlib()
    if by == "app":
        categories = list(dict.fromkeys(app for t in timelines for app in t.apps))
    else:
        found = {category(t, g, by) for t, (ops, _) in zip(timelines, shown) for g in ops}
        if by == "batch":
            found |= {t.transfers[k].batch for t, (_, transfers) in zip(timelines, shown) for k in transfers}
        categories = sorted(found)
    link = [(LINK_LEGEND, LINK_COLOUR)] if by not in ("batch", "app") and any(transfers for _, transfers in shown) else []
    k = len(categories)
    if k <= LEGEND_MAX or by in ("type", "app"):
        palette = PALETTE if k <= LEGEND_MAX else [cm.turbo(i / (k - 1)) for i in range(k)]
        of = dict(zip(categories, palette))
        layer_types = all(t.op_types is not None for t in timelines)
        title = by if by != "type" else "layer type" if layer_types else "core type (no layer types known)"
        legend = [(str(c) if by in ("type", "app") else f"{by} {c}", of[c]) for c in categories]
        return _Colouring(by, title, of, legend + link, None)
    lo, hi = categories[0], categories[-1]
    return _Colouring(by, f"{by} index", {c: cm.turbo((c - lo) / (hi - lo)) for c in categories}, link, (lo, hi))


def auto_window(timelines: Sequence[Timeline]) -> Window | None:
    """The window a chart asked for without one shows: None (everything) when
    no core row holds more than AUTO_ZOOM_OPS_PER_ROW ops on average, else
    0 ms up to the start of the first op beyond that many per row (the
    earliest of these times over `timelines`)."""
    ends = []
    for t in timelines:
        limit = AUTO_ZOOM_OPS_PER_ROW * len(t.cores)
        if t.size > limit:
            ends.append(sorted(t.schedule.start)[limit] / 1000)
    return Window(None, 0, min(ends)) if ends else None


def _zoom_note(timelines: Sequence[Timeline], window: Window, shown: Sequence[tuple[Sequence[int], Sequence[int]]], how: str) -> str:
    """What an automatic zoom shows (`shown`: the (ops, transfers) of each
    timeline in `window`), and how to see the rest (`how`: the command)."""
    ops = sum(len(o) for o, _ in shown)
    total = sum(t.size for t in timelines)
    moved = sum(len(t.transfers) for t in timelines)
    transfers = f", {sum(len(k) for _, k in shown)} of {moved} transfers" if moved else ""
    end = max(t.makespan for t in timelines) / 1000
    rest = f"{how} --from-ms/--to-ms/--batches shows the rest, --from-ms 0 everything"
    return f"showing the first {window.to_ms:g} ms of {end:.1f} ms ({ops} of {total} ops{transfers}):{chr(10) if moved else ' '}{rest}"  # two lines fit the width


def _draw_rows(ax: Axes, timeline: Timeline, shown: tuple[Sequence[int], Sequence[int]], colouring: _Colouring, label: str = "") -> None:
    """The (ops, transfers) `shown`: one `broken_barh` per core (fast for
    thousands of ops), each rectangle its own path in vector output, grouped
    under the id `ops[-<label>]-<core>`; below the cores, one per link channel
    under `transfers[-<label>]-link<channel>`."""
    s = timeline.schedule
    rows = {core: r for r, core in enumerate(timeline.cores)}
    per_row: dict[tuple[str, int], list[int]] = {}
    for g in shown[0]:
        per_row.setdefault((s.core_type[g], s.core_id[g]), []).append(g)
    suffix = f"-{label}" if label else ""
    for core, members in per_row.items():
        bars = [(s.start[g] / 1000, (s.end[g] - s.start[g]) / 1000) for g in members]
        ax.broken_barh(bars, (rows[core] - 0.4, 0.8), facecolors=[colouring.colour(timeline, g) for g in members], linewidth=0, gid=f"ops{suffix}-{core_label(*core)}")
    per_channel: dict[int, list[Transfer]] = {}
    for k in shown[1]:
        per_channel.setdefault(timeline.transfers[k].channel, []).append(timeline.transfers[k])
    for channel, members in per_channel.items():
        colours = [colouring.transfer_colour(timeline, t) for t in members]
        ax.broken_barh([(t.start / 1000, (t.end - t.start) / 1000) for t in members], (len(rows) + timeline.links.index(channel) - 0.4, 0.8),
                       facecolors=colours, edgecolors=colours, linewidth=LINK_EDGE, gid=f"transfers{suffix}-link{channel}")
    if timeline.links:
        ax.axhline(len(rows) - 0.5, color="grey", linewidth=0.6)
    labels = [core_label(*c) for c in timeline.cores] + [link_label(c) for c in timeline.links]
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)


def _rows(timeline: Timeline) -> int:
    """Rows of its chart: its cores and link channels."""
    return len(timeline.cores) + len(timeline.links)


def _marks(ax: Axes, timeline: Timeline) -> None:
    ax.axvline(timeline.makespan / 1000, color="black", linestyle="--", linewidth=1, label=f"makespan {timeline.makespan / 1000:.3f} ms")
    if timeline.lower_bound is not None:
        ax.axvline(timeline.lower_bound / 1000, color="crimson", linestyle=":", linewidth=1.5, label=f"proven lower bound {timeline.lower_bound / 1000:.3f} ms")


def _explain(fig: Figure, axes: list[Axes], colouring: _Colouring) -> None:
    """The colour legend and the marks' legend, or a colour bar, outside the plots."""
    _, colors, cm, patches = require_matplotlib()
    handles = [patches.Patch(color=c, label=label) for label, c in colouring.legend]
    handles += axes[0].get_legend_handles_labels()[0]
    title = colouring.title if colouring.by in ("type", "app") else None  # 'batch 3', 'op 7' explain themselves
    fig.legend(handles=handles, title=title, loc="outside right upper", fontsize="small", title_fontsize="small", ncols=1 + len(handles) // 24, frameon=False)
    if colouring.span is not None:
        lo, hi = colouring.span
        bar = cm.ScalarMappable(norm=colors.Normalize(lo, hi), cmap="turbo")
        fig.colorbar(bar, ax=axes, label=colouring.title, location="right", fraction=0.03)


def _xlim(ax: Axes, timelines: Sequence[Timeline], window: Window) -> None:
    right = max(max(t.makespan, t.lower_bound or 0) for t in timelines) / 1000 * 1.01
    ax.set_xlim(window.from_ms if window.from_ms is not None else 0, window.to_ms if window.to_ms is not None else right)


def save_figure(fig: Figure, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix[1:].lower(), dpi=DPI, metadata={"Software": None} if path.suffix.lower() == ".png" else None)
    return atomic_write(path, buf.getvalue())


def plot_gantt(timeline: Timeline, path: str | Path, window: Window | None = None, color: str | None = None) -> Path:
    """Draw `timeline` as a Gantt chart into `path` (.png, .svg or .pdf, chosen by the suffix).

    Shows the ops and transfers `window` selects (None: all of them, or when
    there are more than AUTO_ZOOM_OPS_PER_ROW ops per core row, the first
    ones, which the title says), coloured by `color` ('batch', 'type', 'op'
    or 'app'; transfers by batch or app, else in one link colour; None: by
    app for a mix of several apps, else by batch), on a time axis in ms.
    Raises PrismError for an unsupported suffix, a missing directory, an
    empty selection, or missing matplotlib.
    """
    path = output_path(path, FORMATS, "chart")
    zoom = auto_window([timeline]) if window is None else None
    window = zoom or window or Window()
    shown = (window.ops(timeline), window.transfers(timeline))
    colouring = _colouring([timeline], [shown], color or default_colouring([timeline]))
    figure, *_ = require_matplotlib()
    fig = figure.Figure(figsize=(12, 1.6 + ROW_INCHES * _rows(timeline)), layout="constrained")
    ax = fig.add_subplot()
    _draw_rows(ax, timeline, shown, colouring)
    _marks(ax, timeline)
    _xlim(ax, [timeline], window)
    ax.set_xlabel("time (ms)")
    if zoom is None:
        ax.set_title(timeline.title, fontsize="medium")
    else:
        fig.suptitle(timeline.title, fontsize="medium")
        ax.set_title(_zoom_note([timeline], zoom, [shown], "prism-cp plot"), fontsize="small")
    _explain(fig, [ax], colouring)
    return save_figure(fig, path)


def plot_comparison(timelines: Sequence[Timeline], labels: Sequence[str], path: str | Path, bound: float | None, color: str | None = None) -> Path:
    """One Gantt panel per schedule on a shared time axis (zoomed to the first
    ops as `plot_gantt` does when they are many, coloured as it does), and a
    bar chart of their makespans and gaps to the proven lower bound `bound`
    (us; None: none known)."""
    path = output_path(path, FORMATS, "chart")
    if not timelines or len(labels) != len(timelines) or len({(t.n_ops, t.nbatch) for t in timelines}) != 1:
        raise PrismError("a comparison needs one label per schedule, and schedules of the same problem")
    figure, *_ = require_matplotlib()
    zoom = auto_window(timelines)
    window = zoom or Window()
    shown = [(window.ops(t), window.transfers(t)) for t in timelines]
    rows = sum(map(_rows, timelines))
    fig = figure.Figure(figsize=(12, 2.8 + 0.8 * len(timelines) + 0.3 * rows), layout="constrained")
    if zoom is not None:
        fig.suptitle(_zoom_note(timelines, zoom, shown, "prism-cp plot FILE"), fontsize="small")
    grid = fig.add_gridspec(len(timelines) + 1, 1, height_ratios=[_rows(t) + 1 for t in timelines] + [max(4, len(timelines) + 1)])
    axes: list[Axes] = []
    colouring = _colouring(timelines, shown, color or default_colouring(timelines))
    for timeline, what, label in zip(timelines, shown, labels):
        ax = fig.add_subplot(grid[len(axes)], sharex=axes[0] if axes else None)
        _draw_rows(ax, timeline, what, colouring, label)
        ax.axvline(timeline.makespan / 1000, color="black", linestyle="--", linewidth=1, label="makespan")
        if bound is not None:
            ax.axvline(bound / 1000, color="crimson", linestyle=":", linewidth=1.5, label="proven lower bound")
        ax.set_title(f"{label}: {timeline.makespan / 1000:.3f} ms", fontsize="small", loc="left")
        axes.append(ax)
    _xlim(axes[0], timelines, window)
    axes[-1].set_xlabel("time (ms)")
    _explain(fig, axes, colouring)
    bars = fig.add_subplot(grid[-1])
    makespans = [t.makespan / 1000 for t in timelines]
    bars.barh(range(len(labels)), makespans, color="steelblue")
    bars.set_yticks(range(len(labels)), labels)
    bars.invert_yaxis()
    bars.set_xlabel("makespan (ms)")
    bars.set_title("makespans" + ("" if bound is None else f" and the proven lower bound {bound / 1000:.3f} ms (dotted); gap = (makespan - bound) / makespan"),
                   fontsize="small", loc="left")
    if bound is not None:
        bars.axvline(bound / 1000, color="crimson", linestyle=":", linewidth=1.5)
        for y, t in enumerate(timelines):
            bars.annotate(f"{t.makespan / 1000:.1f} ms, gap {100 * gap(t.makespan, bound):.2f}%", (t.makespan / 1000, y), xytext=(4, 0),
                          textcoords="offset points", va="center", fontsize="small")
        bars.set_xlim(0, max(makespans) * 1.35)
    return save_figure(fig, path)
