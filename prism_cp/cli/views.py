"""The `plot`, `trace` and `show` commands: look at a schedule file or a model.
Everything they compute comes from prism_cp.views and prism_cp.summary."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from prism_cp.cli.options import Clock, Cpus, JsonOut, Npus, PlatformOpt, batch_sizes
from prism_cp.io import load_platform, load_workload
from prism_cp.summary import ModelSummary, summarize
from prism_cp.views import Window, batch_range, plot_gantt, read_timeline, write_trace


class Coloring(str, Enum):
    batch = "batch"
    type = "type"
    op = "op"
    app = "app"


ScheduleFile = Annotated[Path, typer.Argument(metavar="FILE", help="Schedule file: our JSON (.json), or a schedule pickle written by prism-cp or the reference (loaded safely: no code runs).")]


def plot(
    schedule_file: ScheduleFile,
    output: Annotated[Path, typer.Option("--output", "-o", help="Chart file to write: .png, .svg or .pdf (the format follows the suffix; the directory must exist).")],
    batches: Annotated[str | None, typer.Option(help="Show only these batches: one number, or a range like 0-3.")] = None,
    from_ms: Annotated[float | None, typer.Option(help="Zoom: start of the time axis, in ms.")] = None,
    to_ms: Annotated[float | None, typer.Option(help="Zoom: end of the time axis, in ms.")] = None,
    color: Annotated[Coloring | None, typer.Option(help="Colour the ops by batch, layer type (core type when the file has no layer types), op index, "
                                                   "or app (needs the file's instances). Default: app for a mix of several apps, else batch.")] = None,
) -> None:
    """Draw a schedule file as a Gantt chart: one row per core, the makespan and
    (when the file carries it) the proven lower bound marked. Without --batches,
    --from-ms or --to-ms, a schedule of more than 50 ops per core shows its
    first ones (the title says which). Needs matplotlib."""
    asked = (batches, from_ms, to_ms) != (None, None, None)  # none asked: everything, or the first ops when they are many
    window = Window(None if batches is None else batch_range(batches), from_ms, to_ms) if asked else None
    print(f"[info] chart written to  {plot_gantt(read_timeline(schedule_file), output, window, None if color is None else color.value)}")


def trace(
    schedule_file: ScheduleFile,
    output: Annotated[Path, typer.Option("--output", "-o", help="Trace file to write (.json; the directory must exist).")],
) -> None:
    """Write a schedule file as Chrome trace-event JSON, for Perfetto (ui.perfetto.dev)
    or chrome://tracing: a process per core type, a thread per core, an event per op."""
    print(f"[info] trace written to  {write_trace(read_timeline(schedule_file), output)}")


def show(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="Bundled model name (e.g. xception) or path to a model file.")],
    platform: PlatformOpt = "grai",
    npus: Npus = 4,
    cpus: Cpus = 2,
    clock: Clock = None,
    batches: Annotated[str, typer.Option(callback=batch_sizes, help="Comma-separated batch counts to give lower bounds for.")] = "1,16",
    json_out: JsonOut = False,
) -> None:
    """What to know about a model first: ops per type, what the NPU cannot run,
    the critical path, the work per core type, and the lower bounds that follow."""
    s = summarize(load_workload(model), load_platform(platform, npus=npus, cpus=cpus, clock_us=clock), [int(b) for b in batches.split(",")])
    if json_out:
        print(json.dumps(s.to_dict()))
    else:
        print("\n".join(summary_lines(s)))


def summary_lines(s: ModelSummary) -> list[str]:
    """The summary as text, one fact per line."""
    lines = [f"{s.model} on {s.platform} ({s.npus} NPUs, {s.cpus} CPUs, clock {s.clock_us} us): {s.n_ops} ops"]
    lines += [f"  {count:>5}  {t}" for t, count in s.ops_per_type.items()]
    lines.append(f"ops the NPU cannot run: {len(s.cpu_only_ops)}, {s.cpu_only_work_us / 1000:.3f} ms of CPU work")
    types: dict[str, list[float]] = {}
    for op in s.cpu_only_ops:
        types.setdefault(op.layer_type, []).append(op.cpu_us)
    lines += [f"  {len(ts):>5}  {t}: {sum(ts) / 1000:.3f} ms" for t, ts in types.items()]
    lines.append(f"critical path (fastest core types, whole ticks): {s.critical_path_us / 1000:.3f} ms")
    lines += [f"work on {c.upper()} of the ops it can run: {w / 1000:.3f} ms" for c, w in s.work_us.items()]
    lines.append(f"work with every op at its fastest: {s.fastest_work_us / 1000:.3f} ms")
    for b in s.bounds:
        parts = [f"critical path {b.critical_path_us / 1000:.3f}", f"total work {b.total_work_us / 1000:.3f}", f"work split {b.work_split_us / 1000:.3f}"]
        parts += [f"{c.upper()}-only load {v / 1000:.3f}" for c, v in b.load_us.items()]
        lines.append(f"lower bound for {b.batches} batch{'es' if b.batches != 1 else ''}: {b.lower_bound_us / 1000:.3f} ms ({', '.join(parts)} ms)")
    lines.append(f"steady state: at least {s.steady_period_us / 1000:.3f} ms per batch ({s.steady_bottleneck.upper()} bound)")
    return lines
