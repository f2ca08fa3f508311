"""The option types, value checks and console shared by the `prism-cp`
commands, so that every command spells an option, its help and its check
the same way, and prints each kind of line to the same place."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable

import typer
from typer.core import TyperCommand

from prism_cp.bounds import BOUNDS, check_bounds
from prism_cp.errors import PrismError
from prism_cp.solve import algorithms

BUDGET_PREFIX = "[budget]"  # the engine's time-budget lines, shown with --verbose only


class Objective(str, Enum):
    makespan = "makespan"
    energy = "energy"


class MappingMode(str, Enum):
    per_batch = "per-batch"
    shared = "shared"


def known_algorithm(name: str) -> str:
    if name not in algorithms():
        raise typer.BadParameter(f"unknown algorithm {name!r}; choose one of {', '.join(algorithms())}")
    return name


def positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"must be > 0, got {value}")
    return value


def batch_sizes(text: str) -> str:
    if not re.fullmatch(r"\s*\d+\s*(,\s*\d+\s*)*", text) or any(int(s) < 1 for s in text.split(",")):
        raise typer.BadParameter(f"expected comma-separated whole numbers >= 1, got {text!r}")
    return text


def bound_names(text: str | None) -> str | None:
    """Checks a --bounds list (comma-separated names from prism_cp.bounds.BOUNDS)."""
    if text is not None:
        try:
            check_bounds(split_names(text))
        except PrismError as e:
            raise typer.BadParameter(str(e)) from None
    return text


def split_names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


class PlainUsage(TyperCommand):
    """Writes a required argument in the usage line as FILE, not typer's {FILE}:
    braces read as a set of choices to pick from."""

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in super().collect_usage_pieces(ctx)]


@dataclass(frozen=True)
class Console:
    """Where each kind of line goes: results on stdout unless --json took it;
    progress on stdout, or stderr under --json, or nowhere under --quiet; the
    engine's time-budget lines only under --verbose; notes (a file replaced)
    on stdout, or stderr under --json unless --quiet."""

    json: bool
    quiet: bool
    verbose: bool = False

    def result(self, *parts: object) -> None:
        if not self.json:
            print(*parts, flush=True)

    def progress(self, line: str) -> None:
        if not self.quiet:
            print(line, file=sys.stderr if self.json else sys.stdout, flush=True)

    def note(self, line: str) -> None:
        if not self.json:
            print(line, flush=True)
        elif not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def data(self, obj: dict[str, Any]) -> None:
        print(json.dumps(obj), flush=True)

    @property
    def solver_progress(self) -> Callable[[str], None] | None:
        return None if self.quiet else self._solver_line

    def _solver_line(self, line: str) -> None:
        if self.verbose or not line.startswith(BUDGET_PREFIX):
            self.progress(line)


Model = Annotated[str | None, typer.Option(help="Bundled model name or path to a model file (default: xception).")]
Extime = Annotated[str | None, typer.Option("--extime", help="Time table: bundled name or CSV path (default: the model's own, extime/MODEL.csv), e.g. one that prism-cp extime estimate wrote for the platform.")]
AlgorithmOpt = Annotated[str, typer.Option("--algorithm", "-a", callback=known_algorithm, help=f"Algorithm: {', '.join(algorithms())}.")]
PlatformOpt = Annotated[str, typer.Option(help="Bundled platform name (grai, mubrain, speck) or path to a platform file.")]
Npus = Annotated[int, typer.Option(min=0, help="Number of NPUs (0 makes a CPU-only platform).")]
Cpus = Annotated[int, typer.Option(min=0, help="Number of CPUs.")]
Batches = Annotated[int | None, typer.Option(min=1, help="Number of batches (copies of the model) sharing the cores (default: 16; 1 with --stg).")]
Seed = Annotated[int, typer.Option(help="Random seed (the random mapping, PRISM's start, CP-SAT's search).")]
ResultsDir = Annotated[Path, typer.Option(help="Where schedules are written: <dir>/performance/<algorithm>/<platform>/NPU_<n>.CPU_<m>/schedules/<model>.pkl "
                                             "(the reference's layout); stream runs the same under <dir>/stream/ instead of <dir>/performance/.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON line with the results on stdout and nothing else (progress goes to stderr).")]
Clock = Annotated[int | None, typer.Option(min=1, help="Clock period in whole microseconds (default: the platform's, 100 us).")]
StgClock = Annotated[int | None, typer.Option("--clock", min=1, help="Clock period in whole microseconds (default: the platform's, 100 us; 1 with --stg).")]
WorkloadFile = Annotated[Path | None, typer.Option("--workload", help="Workload file (TOML, [[app]] tables): several models sharing the SoC, each arriving periodically with a deadline; it replaces --model and names its own counts (see docs/streams.md#mixes).")]
Stg = Annotated[Path | None, typer.Option(help="Standard Task Graph file: schedule it as a CPU-only workload with clock 1 (replaces --model, --platform and --npus).")]
TimeLimit = Annotated[float, typer.Option(callback=positive, help="cpsat: seconds for the whole run, seeding included (> 0).")]
Workers = Annotated[int | None, typer.Option(min=1, help="cpsat: parallel search workers (default: the engine's).")]
Mapping = Annotated[MappingMode, typer.Option(help="cpsat: 'per-batch' lets each batch map an op differently; 'shared' uses one mapping for all batches, as PRISM does.")]
StaggerUs = Annotated[float | None, typer.Option(help="staggered: priority offset between consecutive batches, in us (default: the tuned one).")]
CpuRatio = Annotated[float | None, typer.Option(help="staggered: an idle CPU takes an NPU-able op only if its CPU time is at most this times its NPU time (default: the tuned one).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print progress lines (hill-climbing passes, CP-SAT improvements); wins over --verbose.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help=f"Also print the engine's time-budget lines (they start with {BUDGET_PREFIX}).")]
BoundsOpt = Annotated[str | None, typer.Option("--bounds", callback=bound_names, help=f"Comma-separated lower bounds to prove (default: all): {', '.join(BOUNDS)}.")]
PlotOut = Annotated[Path | None, typer.Option("--plot", help="Also draw the schedule as a Gantt chart: .png, .svg or .pdf (needs matplotlib).")]
ComparisonPlot = Annotated[Path | None, typer.Option("--plot", help="Also draw every algorithm's schedule for comparison: one Gantt panel each on a shared time axis and "
                                                              "their makespans against the best proven lower bound; .png, .svg or .pdf (needs matplotlib).")]
TraceOut = Annotated[Path | None, typer.Option("--trace", help="Also write the schedule as Chrome trace-event JSON (.json) for Perfetto.")]
ArrivalPeriod = Annotated[float | None, typer.Option(callback=positive, help="Stream: batch b arrives at b * this (us) and may not start before.")]
Deadline = Annotated[float | None, typer.Option(callback=positive, help="Stream: each batch is due this long (us) after it arrives.")]
ObjectiveOpt = Annotated[Objective, typer.Option(help="What cpsat minimises: the makespan, or the energy within --makespan-cap-us (needs the platform's power figures).")]
MakespanCap = Annotated[float | None, typer.Option(callback=positive, help="--objective energy: the longest makespan allowed (us; default: none).")]
