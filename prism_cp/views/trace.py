"""Schedules as Chrome trace-event JSON (the JSON Object Format that Perfetto
and chrome://tracing open): one process per core type, one thread per core,
one complete event per op, and a counter track of busy cores per type; with
transfers, a process "link" with one thread per channel and one complete
event per transfer; for a mix of several apps, one process per app whose
events are its inferences, each from its arrival to its last op's end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prism_cp.io.files import atomic_write, output_path
from prism_cp.latency import group_latency, group_missed
from prism_cp.views.timeline import Timeline, core_label, link_label
from prism_cp.workload import CORE_TYPES

#: trace pids per core type (pid 0 is avoided: viewers treat it as the idle task)
PID = {c: k + 1 for k, c in enumerate(CORE_TYPES)}
LINK_PID = len(CORE_TYPES) + 1
APP_PID = LINK_PID + 1  # the first app's; the k-th app (workload file order) has APP_PID + k
BUSY = "busy cores"


def trace_events(timeline: Timeline) -> dict[str, Any]:
    """The trace as a JSON-ready object: `traceEvents` (timestamps and
    durations in us, as the format requires), `displayTimeUnit` ms, and the
    schedule's makespan and bound under `otherData` (and a mix's `apps`).
    In a mix each op's `cat` is '<app>,<layer type>' (the format's list of
    categories) and its args name its app and inference."""
    s = timeline.schedule
    events: list[dict[str, Any]] = []
    for c in CORE_TYPES:
        if any(ct == c for ct, _ in timeline.cores):
            events.append(_meta("process_name", PID[c], 0, name=f"{c.upper()} cores"))
            events.append(_meta("process_sort_index", PID[c], 0, sort_index=PID[c]))
    for c, k in timeline.cores:
        events.append(_meta("thread_name", PID[c], k + 1, name=core_label(c, k)))
        events.append(_meta("thread_sort_index", PID[c], k + 1, sort_index=k))
    for g in range(timeline.size):
        batch, op = timeline.split(g)
        c, k = s.core_type[g], s.core_id[g]
        args = {"batch": batch, "op": op, "op_name": timeline.op_name(g), "layer_type": timeline.op_type(g), "global_op": g, "core": core_label(c, k)}
        cat = timeline.op_type(g) or "op"
        group = timeline.group(g) if timeline.mix else None
        if group is not None:
            args |= {"app": group.app, "inference": group.index}
            cat = f"{group.app},{cat}"
        events.append(
            {"name": timeline.op_name(g), "cat": cat, "ph": "X", "ts": s.start[g], "dur": s.end[g] - s.start[g], "pid": PID[c], "tid": k + 1, "args": args}
        )
    events += _busy_counters(timeline) + _link_events(timeline) + _app_events(timeline)
    other = {"title": timeline.title, "makespan_us": timeline.makespan, "lower_bound_us": timeline.lower_bound}
    other |= {"apps": list(timeline.apps)} if timeline.mix else {}
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": other}


def _meta(kind: str, pid: int, tid: int, **args: Any) -> dict[str, Any]:
    return {"name": kind, "ph": "M", "ts": 0, "pid": pid, "tid": tid, "args": args}


def _link_events(timeline: Timeline) -> list[dict[str, Any]]:
    """The link's process, a thread per channel (tid channel + 1) and an event
    per transfer, named `<src op> -> <dst op>`, its identity in args."""
    if not timeline.links:
        return []
    events = [_meta("process_name", LINK_PID, 0, name="link"), _meta("process_sort_index", LINK_PID, 0, sort_index=LINK_PID)]
    for c in timeline.links:
        events += [_meta("thread_name", LINK_PID, c + 1, name=link_label(c)), _meta("thread_sort_index", LINK_PID, c + 1, sort_index=c)]
    for t in timeline.transfers:
        src, dst = (timeline.op_name(t.batch * timeline.n_ops + i) for i in (t.src, t.dst))
        args = {"batch": t.batch, "src": t.src, "dst": t.dst, "src_name": src, "dst_name": dst, "bytes": t.bytes, "channel": t.channel}
        events.append({"name": f"{src} -> {dst}", "cat": "transfer", "ph": "X", "ts": t.start, "dur": t.end - t.start, "pid": LINK_PID, "tid": t.channel + 1, "args": args})
    return events


def _app_events(timeline: Timeline) -> list[dict[str, Any]]:
    """A mix's apps, each a process `app <name>` below the cores and the link,
    its inferences complete events (`<app>#<index>`, cat `inference`, with
    ',missed' when late) from arrival to the end of its last op: the
    latency, drawn. Inferences overlap when one arrives before the previous
    completes; one thread per lane (`inferences`, `inferences 2`, ...), each
    inference on the first lane free at its arrival, keeps them apart, which
    Perfetto and chrome://tracing both draw as plain slices (async events
    would group differently in each, and events overlapping on one thread
    are drawn nested)."""
    if not timeline.mix or timeline.groups is None:
        return []
    events: list[dict[str, Any]] = []
    for k, app in enumerate(timeline.apps):
        pid = APP_PID + k
        events += [_meta("process_name", pid, 0, name=f"app {app}"), _meta("process_sort_index", pid, 0, sort_index=pid)]
        lanes: list[float] = []  # per lane: the end of its last inference
        for group in sorted((g for g in timeline.groups if g.app == app), key=lambda g: g.arrival_us):
            arrival, end = float(group.arrival_us), max(timeline.schedule.end[g] for g in group.ops)
            lane = next((i for i, free in enumerate(lanes) if free <= arrival), len(lanes))
            if lane == len(lanes):
                lanes.append(end)
                events += [_meta("thread_name", pid, lane + 1, name="inferences" + (f" {lane + 1}" if lane else "")),
                           _meta("thread_sort_index", pid, lane + 1, sort_index=lane)]
            lanes[lane] = end
            missed = group_missed(group, timeline.schedule)
            args = {"app": app, "inference": group.index, "arrival_us": arrival, "due_us": None if group.due_us is None else float(group.due_us),
                    "latency_us": group_latency(group, timeline.schedule), "missed": missed, "ops": len(group.ops)}
            events.append({"name": f"{app}#{group.index}", "cat": "inference,missed" if missed else "inference", "ph": "X", "ts": arrival,
                           "dur": end - arrival, "pid": pid, "tid": lane + 1, "args": args})
    return events


def _busy_counters(timeline: Timeline) -> list[dict[str, Any]]:
    """Per core type, the number of its cores executing an op, sampled at every
    start and end (an op ending at t no longer counts at t)."""
    s = timeline.schedule
    out: list[dict[str, Any]] = []
    for c in CORE_TYPES:
        change: dict[float, int] = {}
        for g in range(timeline.size):
            if s.core_type[g] == c and s.end[g] > s.start[g]:
                change[s.start[g]] = change.get(s.start[g], 0) + 1
                change[s.end[g]] = change.get(s.end[g], 0) - 1
        busy = 0
        for t in sorted(change):
            busy += change[t]
            out.append({"name": BUSY, "ph": "C", "ts": t, "pid": PID[c], "tid": 0, "args": {"busy": busy}})
    return out


def write_trace(timeline: Timeline, path: str | Path) -> Path:
    """Write the trace of `timeline` to `path` (.json) atomically; PrismError
    for another suffix or a missing directory."""
    return atomic_write(output_path(path, (".json",), "trace"), json.dumps(trace_events(timeline)) + "\n")
