"""The chart and trace a run writes beside its schedule (`schedule --plot/--trace`)."""

from __future__ import annotations

from pathlib import Path

from prism_cp.io.files import output_path
from prism_cp.views.gantt import FORMATS, plot_gantt, require_matplotlib
from prism_cp.views.timeline import Timeline
from prism_cp.views.trace import write_trace


def check_view_paths(plot: Path | None = None, trace: Path | None = None) -> None:
    """Fail now (PrismError), not after a long run, if a chart or trace cannot be written there."""
    if plot is not None:
        output_path(plot, FORMATS, "chart")
        require_matplotlib()
    if trace is not None:
        output_path(trace, (".json",), "trace")


def write_views(timeline: Timeline, plot: Path | None = None, trace: Path | None = None) -> list[Path]:
    """Draw the chart and/or write the trace of `timeline`; the paths written."""
    written = [] if plot is None else [plot_gantt(timeline, plot)]
    return written + ([] if trace is None else [write_trace(timeline, trace)])
