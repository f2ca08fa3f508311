"""Ways to look at a schedule: Gantt charts (matplotlib, optional) and Chrome
trace-event JSON, both drawn from one `Timeline`."""

from prism_cp.views.gantt import plot_comparison, plot_gantt
from prism_cp.views.outputs import check_view_paths, write_views
from prism_cp.views.timeline import Timeline, Window, batch_range, read_timeline, timeline_of
from prism_cp.views.trace import trace_events, write_trace

__all__ = [
    "Timeline",
    "Window",
    "batch_range",
    "check_view_paths",
    "plot_comparison",
    "plot_gantt",
    "read_timeline",
    "timeline_of",
    "trace_events",
    "write_trace",
    "write_views",
]
