"""Traces follow the Trace Event Format (JSON Object Format) that Perfetto and
chrome://tracing read: checked field by field, event by event, and the busy
counters against a direct count; every transfer once on its channel's track;
a mix's ops name their app, and each app's inferences have their own process."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import pytest

from prism_cp import PrismError
from prism_cp.views import Timeline, read_timeline, timeline_of, trace_events, write_trace
from prism_cp.platform import Link
from prism_cp.latency import group_latency, group_missed
from prism_cp.views.trace import APP_PID, LINK_PID, PID
from schedule_files import mix_files, schedule_files

GOLDEN = Path(__file__).parent / "golden"
METADATA = {"process_name": "name", "process_labels": "labels", "process_sort_index": "sort_index", "thread_name": "name", "thread_sort_index": "sort_index"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return schedule_files(tmp_path_factory.mktemp("trace"), batches=2, algorithm="prism")


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_trace_event_format(doc: dict) -> None:
    """The rules of the format's JSON Object Format for the phases used here:
    every event has name, ph, ts (us), pid, tid; 'X' has a duration >= 0;
    'C' has numeric args; 'M' is one of the named metadata events with its
    argument; complete events on one thread do not overlap (viewers nest them)."""
    assert set(doc) <= {"traceEvents", "displayTimeUnit", "otherData", "metadata", "stackFrames", "samples", "systemTraceEvents"}
    assert doc["displayTimeUnit"] in ("ms", "ns") and isinstance(doc["traceEvents"], list)
    spans = defaultdict(list)
    for e in doc["traceEvents"]:
        assert isinstance(e["name"], str) and e["ph"] in ("X", "C", "M"), e
        assert is_number(e["ts"]) and e["ts"] >= 0 and isinstance(e["pid"], int) and isinstance(e["tid"], int), e
        assert isinstance(e.get("args", {}), dict) and isinstance(e.get("cat", ""), str), e
        if e["ph"] == "X":
            assert is_number(e["dur"]) and e["dur"] >= 0, e
            spans[e["pid"], e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
        elif e["ph"] == "C":
            assert e["args"] and all(is_number(v) for v in e["args"].values()), e
        else:
            assert e["name"] in METADATA and METADATA[e["name"]] in e["args"], e
    for intervals in spans.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:]))


def check_trace_of(t: Timeline, doc: dict) -> None:
    """One 'X' event per op, on its core's process and thread, with its identity
    in args; a thread per core and per link channel."""
    check_trace_event_format(doc)
    s, events = t.schedule, doc["traceEvents"]
    ops = sorted((e for e in events if e["ph"] == "X" and e["pid"] in PID.values()), key=lambda e: e["args"]["global_op"])
    assert [e["args"]["global_op"] for e in ops] == list(range(t.size))
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name" and e["pid"] < APP_PID}
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    for g, e in enumerate(ops):
        assert (e["ts"], e["ts"] + e["dur"]) == (s.start[g], s.start[g] + (s.end[g] - s.start[g]))
        assert processes[e["pid"]] == f"{s.core_type[g].upper()} cores" and threads[e["pid"], e["tid"]] == f"{s.core_type[g].upper()}{s.core_id[g]}"
        assert (e["args"]["batch"], e["args"]["op"]) == divmod(g, t.n_ops)
        assert e["args"]["op_name"] == t.op_name(g) == e["name"] and e["args"]["layer_type"] == t.op_type(g)
    assert len(threads) == len(t.cores) + len(t.links)


def test_trace_of_a_result_names_every_op(files) -> None:
    problem, result, _, _ = files
    t = timeline_of(problem, result)
    doc = trace_events(t)
    check_trace_of(t, doc)
    assert {e["args"]["op_name"] for e in doc["traceEvents"] if e["ph"] == "X"} == set(problem.workload.op_names)
    assert doc["otherData"]["makespan_us"] == result.makespan and doc["otherData"]["lower_bound_us"] == result.lower_bound


@pytest.mark.parametrize("source", ["ours.pkl", "ours.json", "reference.pkl", "golden.json"])
def test_trace_files_of_every_source_follow_the_format(tmp_path: Path, files, source: str) -> None:
    path = {
        "ours.pkl": files[2], "ours.json": files[3],
        "reference.pkl": GOLDEN / "xception_grai_NPU4_CPU2_npufirst_b4.reference.pkl", "golden.json": GOLDEN / "xception_grai_NPU4_CPU2_prism_b2.json",
    }[source]
    t = read_timeline(path)
    out = write_trace(t, tmp_path / "t.json")
    doc = json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    check_trace_of(t, doc)


def test_busy_counters_count_the_cores_executing_an_op(files) -> None:
    t = read_timeline(files[3])
    s = t.schedule
    counters = [e for e in trace_events(t)["traceEvents"] if e["ph"] == "C"]
    for c in ("cpu", "npu"):
        samples = [e for e in counters if e["pid"] == PID[c]]
        assert {e["name"] for e in samples} == {"busy cores"}
        times = sorted({s.start[g] for g in range(t.size) if s.core_type[g] == c} | {s.end[g] for g in range(t.size) if s.core_type[g] == c})
        assert [e["ts"] for e in samples] == times
        for e in samples:
            direct = sum(1 for g in range(t.size) if s.core_type[g] == c and s.start[g] <= e["ts"] < s.end[g])
            assert e["args"]["busy"] == direct
        assert samples[-1]["args"]["busy"] == 0 and max(e["args"]["busy"] for e in samples) == {"cpu": 2, "npu": 4}[c]


@pytest.mark.parametrize("name", ["t.txt", "missing/t.json"])
def test_bad_outputs_are_refused(tmp_path: Path, files, name: str) -> None:
    with pytest.raises(PrismError, match="cannot write a trace"):
        write_trace(read_timeline(files[3]), tmp_path / name)


def test_every_transfer_is_one_event_on_its_channel_track(tmp_path: Path) -> None:
    problem, result, _, doc = schedule_files(tmp_path, batches=3, link=Link(10.0, 2000.0, 10.0, 2))
    t = read_timeline(doc)
    assert t.transfers == result.schedule.transfers and t.links == (0, 1)
    loaded = json.loads(write_trace(t, tmp_path / "t.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    check_trace_of(t, loaded)
    events = loaded["traceEvents"]
    threads = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name" and e["pid"] == LINK_PID}
    assert threads == {1: "link 0", 2: "link 1"}
    assert [e["args"]["name"] for e in events if e["name"] == "process_name" and e["pid"] == LINK_PID] == ["link"]
    moved = [e for e in events if e["ph"] == "X" and e["pid"] == LINK_PID]
    seen = sorted((threads[e["tid"]], e["ts"], e["ts"] + e["dur"], e["args"]["batch"], e["args"]["src"], e["args"]["dst"], e["args"]["bytes"]) for e in moved)
    assert seen == sorted((f"link {x.channel}", x.start, x.start + (x.end - x.start), x.batch, x.src, x.dst, x.bytes) for x in result.schedule.transfers)
    for e in moved:
        names = problem.workload.op_names
        assert e["name"] == f"{names[e['args']['src']]} -> {names[e['args']['dst']]}" == f"{e['args']['src_name']} -> {e['args']['dst_name']}"


def test_a_trace_without_transfers_has_no_link_process(files) -> None:
    assert all(e["pid"] != LINK_PID for e in trace_events(read_timeline(files[3]))["traceEvents"])


def test_a_mix_names_each_ops_app_and_gives_every_app_its_inferences(tmp_path: Path) -> None:
    problem, result, _, doc = mix_files(tmp_path)
    t = read_timeline(doc)
    loaded = json.loads(write_trace(t, tmp_path / "t.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    check_trace_of(t, loaded)  # the format, and every op on its core
    events = loaded["traceEvents"]
    for e in (e for e in events if e["ph"] == "X" and e["pid"] in PID.values()):
        group = problem.groups[problem.group_index[e["args"]["global_op"]]]
        assert (e["args"]["app"], e["args"]["inference"], e["cat"]) == (group.app, group.index, f"{group.app},{e['args']['layer_type']}")
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name" and e["pid"] >= APP_PID}
    assert processes == {APP_PID: "app detector", APP_PID + 1: "app mobilenetv2"} and loaded["otherData"]["apps"] == ["detector", "mobilenetv2"]
    spans = sorted((e for e in events if e["ph"] == "X" and e["pid"] >= APP_PID), key=lambda e: (e["pid"], e["args"]["inference"]))
    assert [(processes[e["pid"]], e["name"]) for e in spans] == [(f"app {g.app}", f"{g.app}#{g.index}") for g in problem.groups]
    for e, group in zip(spans, problem.groups):
        assert e["ts"] == float(group.arrival_us) and e["ts"] + e["dur"] == max(result.schedule.end[g] for g in group.ops)
        assert e["args"]["latency_us"] == group_latency(group, result.schedule) and e["args"]["missed"] == group_missed(group, result.schedule)
        assert e["cat"] == ("inference,missed" if e["args"]["missed"] else "inference")
    lanes = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name" and e["pid"] >= APP_PID}
    assert lanes == {(APP_PID, 1): "inferences", (APP_PID, 2): "inferences 2", (APP_PID + 1, 1): "inferences"}  # the detectors overlap


def test_a_trace_of_one_model_names_no_app(files) -> None:
    events = trace_events(read_timeline(files[3]))["traceEvents"]
    assert all(e["pid"] < APP_PID and "app" not in e.get("args", {}) for e in events)
    assert {e["cat"] for e in events if e["ph"] == "X"} <= set(files[0].workload.op_types)
