"""The `prism-cp` command line: parse options, call the library, print.

Every command builds a Problem from files (`prism_cp.io`), runs algorithms only
through `solve`, and exports through `prism_cp.io`; nothing here schedules.
User errors (PrismError, bad options, unreadable files) become one line
`error: ...` on stderr with exit status 2, Ctrl-C one line with status 130.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from prism_cp import IMPORT_STARTED, cli_views
from prism_cp.budget import engine_time_limit
from prism_cp.cli_import import extime_app, import_app
from prism_cp.cli_options import (
    AlgorithmOpt, ArrivalPeriod, Batches, Clock, Console, CpuRatio, Cpus, Deadline, JsonOut, Mapping, MappingMode, Model, Npus,
    PlatformOpt, PlotOut, Quiet, ResultsDir, Seed, StaggerUs, Stg, TimeLimit, TraceOut, Workers, batch_sizes, positive,
)
from prism_cp.cli_stream import check_steady_options, steady_lines, stream_lines, with_stream
from prism_cp.cli_sweep import sweep
from prism_cp.errors import PrismError
from prism_cp.io import load_platform, load_workload, problem_from_reference, read_schedule_pickle, reference_pickle_path, write_reference_pickle, write_schedule_json
from prism_cp.io.stg import load_stg, stg_platform
from prism_cp.problem import Problem
from prism_cp.schedule import Result, Status
from prism_cp.simulate import validate
from prism_cp.solve import algorithms, solve
from prism_cp.views import check_view_paths, plot_comparison, timeline_of, write_views

INTERRUPTED = 130


class _OneLineErrors(TyperGroup):
    """Turns every user error into one `error: ...` line and a fixed exit status.

    Typer's default prints a multi-line usage panel for option errors and a
    traceback for exceptions raised by a command; neither is what a user of a
    scheduling tool needs to act on.
    """

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PrismError as e:
            _fail(str(e))
        except OSError as e:
            _fail(f"{e.strerror or e}: {e.filename}" if e.filename else str(e))
        except KeyboardInterrupt:
            _fail("interrupted", INTERRUPTED)

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra["standalone_mode"] = False
        try:
            status = super().main(args, prog_name, **extra)
        except typer.TyperException as e:  # option parsing: unknown option, bad value, missing command
            typer.echo(f"error: {' '.join(e.format_message().split())} (see --help)", err=True)
            sys.exit(2)
        sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str, status: int = 2) -> NoReturn:
    typer.echo(f"error: {message}" if status == 2 else message, err=True)
    raise typer.Exit(status)


app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Schedule the ops of ML models on CPU+NPU SoCs: the PRISM heuristics, bit for bit, "
    "and a CP-SAT engine that proves how far any schedule is from optimal.",
)


@dataclass(frozen=True)
class _Options:
    """Per-algorithm keyword options; only those the user set are passed, so
    each engine keeps its own defaults for the rest."""

    time_limit: float
    workers: int | None
    mapping: MappingMode
    stagger_us: float | None
    cpu_ratio: float | None

    def for_algorithm(self, algorithm: str) -> dict[str, Any]:
        given = {
            "cpsat": {"time_limit": _left_of(self.time_limit), "workers": self.workers, "mapping": self.mapping.value},
            "staggered": {"stagger_us": self.stagger_us, "cpu_ratio": self.cpu_ratio},
        }.get(algorithm, {})
        return {k: v for k, v in given.items() if v is not None}


def _left_of(time_limit: float) -> float:
    """What remains of a whole-run `time_limit` for the engine: the process has
    already spent its start-up (imports, loading) and still has to export.
    Never less than a quarter of the limit, so a tiny limit still searches."""
    import prism_cp.cpsat  # noqa: F401  load OR-Tools now, so that its import counts as start-up

    return engine_time_limit(time_limit, time.perf_counter() - IMPORT_STARTED)


def _problem(model: str, stg: Path | None, platform: str, npus: int, cpus: int, clock: int | None, batches: int | None) -> Problem:
    """The unrolled instance the options describe (an STG file is one task graph:
    one batch unless asked otherwise; a model runs the reference's 16)."""
    if stg is not None:
        return Problem(load_stg(stg), stg_platform(cpus).with_cores(clock_us=clock), 1 if batches is None else batches)
    return Problem(load_workload(model), load_platform(platform, npus=npus, cpus=cpus, clock_us=clock), 16 if batches is None else batches)


def _export(results_dir: Path, problem: Problem, result: Result, seed: int) -> Path:
    """Write the reference pickle where the reference would, and the same
    schedule as JSON beside it (same name, .json) for non-Python users."""
    plat = problem.platform
    path = reference_pickle_path(results_dir, result.algorithm, plat.name, plat.npus, plat.cpus, problem.workload.name)
    write_reference_pickle(path, problem, result.schedule, result.mapping, seed=seed)
    write_schedule_json(path.with_suffix(".json"), problem, result, seed=seed)
    return path


def _summary(problem: Problem) -> dict[str, Any]:
    plat = problem.platform
    estimated = {"estimated_times": True} if problem.workload.estimated_times else {}
    return {"model": problem.workload.name, "platform": plat.name, "npus": plat.npus, "cpus": plat.cpus, "batches": problem.nbatch} | estimated


def _execution_line(out: Console, problem: Problem, makespan: float) -> None:
    out.result(problem.workload.name, ": execution time for ", problem.nbatch, " batches = ", [makespan], "us", *_estimated(problem))


def _estimated(problem: Problem) -> tuple[str, ...]:
    """What follows a figure computed from estimated times."""
    return ("(estimated times)",) if problem.workload.estimated_times else ()


def _wall_lines(out: Console, compile_s: float, schedule_s: float) -> None:
    out.result("Simulation time for graph compilation (wall clock time) = ", f"{compile_s:.2f}", " seconds")
    out.result("Simulation time for schedule generation (wall clock time) = ", f"{schedule_s:.2f}", " seconds")


@app.command()
def schedule(
    model: Model = "xception",
    algorithm: AlgorithmOpt = "prism",
    platform: PlatformOpt = "grai",
    npus: Npus = 4,
    cpus: Cpus = 2,
    batches: Batches = None,
    seed: Seed = 42,
    results_dir: ResultsDir = Path("results"),
    json_out: JsonOut = False,
    clock: Clock = None,
    stg: Stg = None,
    time_limit: TimeLimit = 60.0,
    workers: Workers = None,
    mapping: Mapping = MappingMode.per_batch,
    stagger_us: StaggerUs = None,
    cpu_ratio: CpuRatio = None,
    quiet: Quiet = False,
    plot: PlotOut = None,
    trace: TraceOut = None,
    arrival_period_us: ArrivalPeriod = None,
    deadline_us: Deadline = None,
) -> None:
    """Schedule one instance, print the makespan and its proven lower bound, and
    write the schedule in the reference pickle format. With --arrival-period-us,
    the batches form a stream: also print latencies, deadline misses and
    whether the stream is sustainable."""
    check_view_paths(plot, trace)
    out = Console(json_out, quiet)
    t0 = time.perf_counter()
    problem = with_stream(_problem(model, stg, platform, npus, cpus, clock, batches), arrival_period_us, deadline_us)
    compile_s = time.perf_counter() - t0
    name = problem.workload.name
    out.progress(f"[info] Scheduling  {name}  ...")
    options = _Options(time_limit, workers, mapping, stagger_us, cpu_ratio).for_algorithm(algorithm)
    result = solve(problem, algorithm, seed=seed, progress=out.solver_progress, **options)
    path = _export(results_dir, problem, result, seed)
    out.progress("[info] done")
    _execution_line(out, problem, result.makespan)
    _wall_lines(out, compile_s, result.wall_s)
    out.result(f"{name} : proven lower bound = ", result.lower_bound, "us ; gap = ", f"{100 * result.gap:.2f}", "%", f"({result.status})")
    out.result(f"[info] schedule written to  {path} (and {path.with_suffix('.json').name})")
    stream = {} if problem.arrival_us is None else stream_lines(out, problem, result.schedule)
    for view in write_views(timeline_of(problem, result), plot, trace):
        out.result(f"[info] written  {view}")
    if json_out:
        out.data(
            _summary(problem)
            | {"algorithm": algorithm, "makespan_us": result.makespan, "wall_s": result.wall_s, "output": str(path)}
            | {"lower_bound_us": result.lower_bound, "gap": result.gap, "status": result.status}
            | stream
        )


@app.command()
def throughput(
    model: Model = "xception",
    algorithm: AlgorithmOpt = "prism",
    platform: PlatformOpt = "grai",
    npus: Npus = 4,
    cpus: Cpus = 2,
    batch_sizes: Annotated[str, typer.Option(callback=batch_sizes, help="Comma-separated batch counts to schedule, each from scratch.")] = "2,4,8,16,32,64,128",
    seed: Seed = 42,
    json_out: JsonOut = False,
    clock: Clock = None,
    stg: Stg = None,
    time_limit: TimeLimit = 60.0,
    workers: Workers = None,
    mapping: Mapping = MappingMode.per_batch,
    stagger_us: StaggerUs = None,
    cpu_ratio: CpuRatio = None,
    quiet: Quiet = False,
    steady_state: Annotated[bool, typer.Option("--steady-state", help="Also the proven period bound and a validated periodic schedule (CP-SAT, within --time-limit).")] = False,
    unroll: Annotated[int | None, typer.Option(min=1, help="--steady-state: batches launched per period (default 1).")] = None,
    deadline_us: Annotated[float | None, typer.Option(callback=positive, help="--steady-state: the least period whose latency is at most this (us).")] = None,
) -> None:
    """Average execution time per batch: the plain mean over the batch sizes of
    makespan / batches, the algorithm re-run at every size (PRISM's throughput).
    With --steady-state, also the steady-state bound and periodic schedule."""
    check_steady_options(steady_state, unroll, deadline_us)
    sizes = [int(s) for s in batch_sizes.split(",")]
    out = Console(json_out, quiet)
    options = _Options(time_limit, workers, mapping, stagger_us, cpu_ratio).for_algorithm(algorithm)
    t0 = time.perf_counter()
    problems = [_problem(model, stg, platform, npus, cpus, clock, n) for n in sizes]
    compile_s = time.perf_counter() - t0
    name = problems[0].workload.name
    out.progress(f"[info] Computing average throughput of  {name}  ...")
    results: list[Result] = []
    with typer.progressbar(
        problems, label=f"{algorithm} on {name}", item_show_func=lambda p: p and f"{p.nbatch} batches", file=sys.stderr, hidden=quiet
    ) as bar:
        for problem in bar:
            out.progress(f"[info] Scheduling  {problem.nbatch}  batches   ...")
            results.append(solve(problem, algorithm, seed=seed, progress=out.solver_progress, **options))
            _execution_line(out, problem, results[-1].makespan)
    per_batch = [r.makespan / p.nbatch for r, p in zip(results, problems)]
    average = sum(per_batch) / len(per_batch)
    schedule_s = sum(r.wall_s for r in results)
    out.result(name, ": average model execution time per batch = ", average, "us")
    _wall_lines(out, compile_s, schedule_s)
    steady = {}
    if steady_state:
        engine = {"time_limit": _left_of(time_limit), "seed": seed, "progress": out.solver_progress} | ({"workers": workers} if workers else {})
        steady = steady_lines(out, problems[0], average, unroll=unroll, deadline_us=deadline_us, **engine)
    if json_out:
        summary = _summary(problems[0])
        del summary["batches"]
        out.data(
            summary
            | {"algorithm": algorithm, "batch_sizes": sizes, "average_us": average, "wall_s": schedule_s}
            | {"makespans_us": [r.makespan for r in results], "per_batch_us": per_batch}
            | {"lower_bounds_us": [r.lower_bound for r in results], "statuses": [r.status for r in results]}
            | steady
        )


_REFERENCE_LAYOUT = re.compile(r"NPU_(\d+)\.CPU_(\d+)")


def _layout_of(path: Path) -> tuple[str | None, int | None, int | None]:
    """(platform, npus, cpus) from `.../<platform>/NPU_<n>.CPU_<m>/schedules/<model>.pkl`, else Nones."""
    parts = path.resolve().parts
    if len(parts) >= 4 and parts[-2] == "schedules" and (m := _REFERENCE_LAYOUT.fullmatch(parts[-3])):
        return parts[-4], int(m[1]), int(m[2])
    return None, None, None


@app.command(name="validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(help="Schedule pickle written by prism-cp or by the reference PRISM code (loaded safely: no code runs).")],
    platform: Annotated[str | None, typer.Option(help="Platform name or file (default: from the path .../<platform>/NPU_<n>.CPU_<m>/schedules/..., else grai).")] = None,
    npus: Annotated[int | None, typer.Option(min=0, help="Number of NPUs (default: from the path, else 4).")] = None,
    cpus: Annotated[int | None, typer.Option(min=0, help="Number of CPUs (default: from the path, else 2).")] = None,
    clock: Annotated[int | None, typer.Option(min=1, help="Clock period in whole microseconds (default: the platform's).")] = None,
) -> None:
    """Check a schedule pickle against precedence, core capacity, core support and
    occupancy; print its makespan and every violation. Exit status 1 if invalid."""
    layout = _layout_of(file)
    plat = load_platform(platform or layout[0] or "grai", npus=_first(npus, layout[1], 4), cpus=_first(cpus, layout[2], 2), clock_us=clock)
    problem, sched = problem_from_reference(read_schedule_pickle(file), plat)
    violations = validate(problem, sched)
    print(f"{file}: {problem.size} ops on {plat.name} ({plat.npus} NPUs, {plat.cpus} CPUs, clock {plat.clock_us} us)")
    print("makespan = ", sched.makespan, "us")
    for v in violations:
        print("violation:", v)
    if violations:
        print(f"INVALID: {len(violations)} violation(s)")
        raise typer.Exit(1)
    print("valid")


def _first(*values: int | None) -> int:
    return next(v for v in values if v is not None)


@app.command()
def compare(
    model: Model = "xception",
    platform: PlatformOpt = "grai",
    npus: Npus = 4,
    cpus: Cpus = 2,
    batches: Batches = None,
    seed: Seed = 42,
    results_dir: ResultsDir = Path("results"),
    json_out: JsonOut = False,
    clock: Clock = None,
    stg: Stg = None,
    time_limit: TimeLimit = 60.0,
    workers: Workers = None,
    mapping: Mapping = MappingMode.per_batch,
    stagger_us: StaggerUs = None,
    cpu_ratio: CpuRatio = None,
    quiet: Quiet = False,
    plot: PlotOut = None,
) -> None:
    """Run every algorithm on the same instance, export every schedule, and print
    a table: makespan, distance to the best, gap to the best proven lower bound."""
    check_view_paths(plot)
    out = Console(json_out, quiet)
    problem = _problem(model, stg, platform, npus, cpus, clock, batches)
    options = _Options(time_limit, workers, mapping, stagger_us, cpu_ratio)
    rows = []
    for algorithm in algorithms():
        out.progress(f"[info] Scheduling  {problem.workload.name}  with  {algorithm}  ...")
        result = solve(problem, algorithm, seed=seed, progress=out.solver_progress, **options.for_algorithm(algorithm))
        rows.append((result, _export(results_dir, problem, result, seed)))
    best = min(r.makespan for r, _ in rows)
    bound = max(r.lower_bound for r, _ in rows)
    table = [
        {
            "algorithm": r.algorithm,
            "makespan_us": r.makespan,
            "vs_best": (r.makespan - best) / best if best else 0.0,
            "gap": (r.makespan - bound) / r.makespan if r.makespan else 0.0,
            "status": Status.OPTIMAL if r.makespan <= bound else r.status,  # meeting a proven bound is a proof
            "wall_s": r.wall_s,
            "output": str(path),
        }
        for r, path in rows
    ]
    if plot is not None:
        plot_comparison([timeline_of(problem, r) for r, _ in rows], [r.algorithm for r, _ in rows], plot, bound)
    if json_out:
        out.data(_summary(problem) | {"lower_bound_us": bound, "results": table})
        return
    print(f"{problem.workload.name} on {problem.platform.name} ({problem.platform.npus} NPUs, {problem.platform.cpus} CPUs), "
          f"{problem.nbatch} batches; best proven lower bound {bound!r} us", *_estimated(problem))
    print(f"{'algorithm':<10} {'makespan (us)':>18} {'vs best (%)':>12} {'gap (%)':>8}  {'status':<9} {'wall (s)':>9}")
    for row in table:
        print(f"{row['algorithm']:<10} {row['makespan_us']:>18.2f} {100 * row['vs_best']:>12.2f} {100 * row['gap']:>8.2f}  "
              f"{row['status']:<9} {row['wall_s']:>9.2f}")
    print(f"[info] schedules written under {results_dir / 'performance'}")


for _command in (cli_views.plot, cli_views.trace, cli_views.show):
    app.command()(_command)

app.command()(sweep)

app.add_typer(import_app, name="import")
app.add_typer(extime_app, name="extime")
