"""`schedule`, `throughput` and `compare`: run algorithms on an instance
through `solve`, print the reference's console lines or one JSON line, and
export every schedule through `prism_cp.io`. Nothing here schedules."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from prism_cp.cli.instance import RunOptions, run_options
from prism_cp.cli.options import (
    AlgorithmOpt, ArrivalPeriod, ComparisonPlot, Console, Deadline, MakespanCap, Objective, ObjectiveOpt, PlotOut, TraceOut, batch_sizes, positive,
)
from prism_cp.cli.stream import app_line, check_steady_options, counted, mix_fields, mix_lines, steady_lines, stream_lines, verdict_lines, with_stream
from prism_cp.errors import PrismError
from prism_cp.io import reference_pickle_path, write_reference_pickle, write_schedule_json
from prism_cp.latency import stream_key
from prism_cp.problem import Problem
from prism_cp.schedule import Result, Status
from prism_cp.solve import algorithms, solve, under_best_bound
from prism_cp.views import check_view_paths, plot_comparison, timeline_of, write_views

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C, as a shell reports it
DEFAULT_BATCH_SIZES = "2,4,8,16,32,64,128"
VERDICT_EXIT = {"schedulable": 0, "not schedulable": 3, "unknown": 4}  # steady.verdict's verdicts, spelt out: importing it loads OR-Tools
CAP_EXIT = {Status.INFEASIBLE: 3, Status.UNKNOWN: 4}  # an energy run whose makespan cap is unreachable, or was not reached


def schedule_path(results_dir: Path, problem: Problem, algorithm: str) -> Path:
    """Where a schedule goes: the reference's layout under <dir>/performance/
    (users' scripts read it) for a batch run; the same layout under
    <dir>/stream/ for a stream or a mix, so that it never replaces a batch run's schedule."""
    plat = problem.platform
    path = reference_pickle_path(results_dir, algorithm, plat.name, plat.npus, plat.cpus, problem.workload.name)
    return path if not problem.timed else results_dir / "stream" / path.relative_to(results_dir / "performance")


def _export(out: Console, options: RunOptions, problem: Problem, result: Result) -> Path:
    """Write the reference pickle, and the same schedule as JSON beside it (same
    name, .json) for non-Python users; say so when an earlier run's file is replaced."""
    path = schedule_path(options.results_dir, problem, result.algorithm)
    if path.exists():
        out.note(f"[info] replacing the schedule an earlier run wrote to  {path}")
    write_reference_pickle(path, problem, result.schedule, result.mapping, seed=options.seed)
    write_schedule_json(path.with_suffix(".json"), problem, result, seed=options.seed)
    return path


def _summary(problem: Problem) -> dict[str, Any]:
    """The instance's JSON fields; a workload file's add its `inferences`."""
    plat = problem.platform
    estimated = {"estimated_times": True} if problem.workload.estimated_times else {}
    inferences = {} if problem.instances is None else {"inferences": len(problem.groups)}
    return {"model": problem.workload.name, "platform": plat.name, "npus": plat.npus, "cpus": plat.cpus, "batches": problem.nbatch} | inferences | estimated


def _execution_line(out: Console, problem: Problem, makespan: float) -> None:
    """The reference's line ('... execution time for  16  batches = ...'); a workload file counts its inferences."""
    count, what = counted(problem)
    out.result(problem.workload.name, ": execution time for ", count, f" {what} = ", [makespan], "us", *_estimated(problem))


def _estimated(problem: Problem) -> tuple[str, ...]:
    """What follows a figure computed from estimated times."""
    return ("(estimated times)",) if problem.workload.estimated_times else ()


def _wall_lines(out: Console, compile_s: float, schedule_s: float) -> None:
    out.result("Simulation time for graph compilation (wall clock time) = ", f"{compile_s:.2f}", " seconds")
    out.result("Simulation time for schedule generation (wall clock time) = ", f"{schedule_s:.2f}", " seconds")


def _outcome(result: Result) -> str:
    """The status as the result lines print it, saying when Ctrl-C cut the search short."""
    return f"{result.status}, interrupted" if result.interrupted else str(result.status)


@run_options()
def schedule(
    options: RunOptions,
    algorithm: AlgorithmOpt = "prism",
    plot: PlotOut = None,
    trace: TraceOut = None,
    arrival_period_us: ArrivalPeriod = None,
    deadline_us: Deadline = None,
    objective: ObjectiveOpt = Objective.makespan,
    makespan_cap_us: MakespanCap = None,
) -> None:
    """Schedule one instance, print the makespan and its proven lower bound, and
    write the schedule in the reference pickle format. With --arrival-period-us,
    the batches form a stream: also print latencies, deadline misses and
    whether the stream is sustainable. With --objective energy (cpsat), the
    least energy within --makespan-cap-us: exit status 3 if the cap is proven
    unreachable (INFEASIBLE), 4 if no schedule within it was found (UNKNOWN);
    the least-makespan schedule found is written all the same. Exit status
    130 if Ctrl-C stopped the search (the best schedule found is still written)."""
    check_view_paths(plot, trace)
    out = options.console
    t0 = time.perf_counter()
    given = [name for name, value in (("--arrival-period-us", arrival_period_us), ("--deadline-us", deadline_us)) if value is not None]
    if options.workload is not None and given:
        raise PrismError(f"--workload gives each app its period and deadline: drop {' and '.join(given)}")
    problem = with_stream(options.problem(), arrival_period_us, deadline_us)
    compile_s = time.perf_counter() - t0
    name = problem.workload.name
    out.progress(f"[info] Scheduling  {name}  ...")
    energy = {} if objective == Objective.makespan else {"objective": objective.value, "makespan_cap_us": makespan_cap_us}
    result = solve(problem, algorithm, **options.solve_options(algorithm), **energy)
    path = _export(out, options, problem, result)
    out.progress("[info] done")
    _execution_line(out, problem, result.makespan)
    _wall_lines(out, compile_s, result.wall_s)
    out.result(f"{name} : proven lower bound = ", result.lower_bound, "us ; gap = ", f"{100 * result.gap:.2f}", "%", f"({_outcome(result)})")
    _energy_line(out, name, result)
    out.result(f"[info] schedule written to  {path} (and {path.with_suffix('.json').name})")
    stream = mix_lines(out, problem, result.schedule) if problem.instances is not None else stream_lines(out, problem, result.schedule) if problem.timed else {}
    for view in write_views(timeline_of(problem, result), plot, trace):
        out.result(f"[info] written  {view}")
    if options.json_out:
        out.data(
            _summary(problem)
            | {"algorithm": algorithm, "makespan_us": result.makespan, "wall_s": result.wall_s, "output": str(path)}
            | {"lower_bound_us": result.lower_bound, "gap": result.gap, "status": result.status, "interrupted": result.interrupted}
            | _energy(result)
            | stream
        )
    if result.interrupted:
        raise typer.Exit(INTERRUPTED)
    if result.status in CAP_EXIT:
        raise typer.Exit(CAP_EXIT[result.status])


def _energy(result: Result) -> dict[str, Any]:
    """The JSON fields of a result's energy: always `energy_uj` (null when
    unknown); under an energy objective its cap, bound and gap."""
    if result.makespan_cap_us is None:
        return {"energy_uj": result.energy_uj}
    return {"energy_uj": result.energy_uj, "makespan_cap_us": result.makespan_cap_us, "energy_bound_uj": result.energy_bound_uj, "energy_gap": result.energy_gap}


def _energy_line(out: Console, name: str, result: Result) -> None:
    """The energy, where the platform states power figures; under an energy objective with its bound."""
    if result.energy_uj is None:
        return
    if result.energy_bound_uj is None:
        out.result(f"{name} : energy = ", result.energy_uj, "uJ")
    else:
        out.result(f"{name} : energy = ", result.energy_uj, "uJ ; proven lower bound = ", result.energy_bound_uj,
                   "uJ ; gap = ", f"{100 * (result.energy_gap or 0.0):.2f}", "%", f"(makespan cap {result.makespan_cap_us!r} us)")


@run_options(omit=("batches",))
def throughput(
    options: RunOptions,
    algorithm: AlgorithmOpt = "prism",
    batch_sizes: Annotated[str, typer.Option(callback=batch_sizes, help="Comma-separated batch counts to schedule, each from scratch.")] = DEFAULT_BATCH_SIZES,
    steady_state: Annotated[bool, typer.Option("--steady-state", help="Also the proven period bound and a validated periodic schedule (CP-SAT, within --time-limit).")] = False,
    unroll: Annotated[int | None, typer.Option(min=1, help="--steady-state: batches launched per period (default 1).")] = None,
    deadline_us: Annotated[float | None, typer.Option(callback=positive, help="--steady-state: the least period whose latency is at most this (us).")] = None,
) -> None:
    """Average execution time per batch: the plain mean over the batch sizes of
    makespan / batches, the algorithm re-run at every size (PRISM's throughput).
    With --steady-state, also the steady-state bound and periodic schedule.
    With --workload and --steady-state: is the mix schedulable forever? Exit
    status 0 if so (witness validated), 3 if not (proof), 4 if unknown.
    Ctrl-C stops it with exit status 130 (a mean over fewer sizes would mislead)."""
    check_steady_options(steady_state, unroll, deadline_us)
    if options.workload is not None:
        _verdict(options, steady_state, unroll, deadline_us, batch_sizes != DEFAULT_BATCH_SIZES)
        return
    sizes = [int(s) for s in batch_sizes.split(",")]
    out = options.console
    t0 = time.perf_counter()
    problems = [options.problem(n) for n in sizes]
    compile_s = time.perf_counter() - t0
    name = problems[0].workload.name
    out.progress(f"[info] Computing average throughput of  {name}  ...")
    results: list[Result] = []
    with typer.progressbar(
        problems, label=f"{algorithm} on {name}", item_show_func=lambda p: p and f"{p.nbatch} batches", file=sys.stderr, hidden=options.quiet
    ) as bar:
        for problem in bar:
            out.progress(f"[info] Scheduling  {problem.nbatch}  batches   ...")
            results.append(solve(problem, algorithm, **options.solve_options(algorithm)))
            if results[-1].interrupted:
                raise KeyboardInterrupt
            _execution_line(out, problem, results[-1].makespan)
    per_batch = [r.makespan / p.nbatch for r, p in zip(results, problems)]
    average = sum(per_batch) / len(per_batch)
    schedule_s = sum(r.wall_s for r in results)
    out.result(name, ": average model execution time per batch = ", average, "us")
    _wall_lines(out, compile_s, schedule_s)
    steady = {}
    if steady_state:
        steady = steady_lines(out, problems[0], average, unroll=unroll, deadline_us=deadline_us, **options.engine_options())
    if options.json_out:
        summary = _summary(problems[0])
        del summary["batches"]
        out.data(
            summary
            | {"algorithm": algorithm, "batch_sizes": sizes, "average_us": average, "wall_s": schedule_s}
            | {"makespans_us": [r.makespan for r in results], "per_batch_us": per_batch}
            | {"lower_bounds_us": [r.lower_bound for r in results], "statuses": [r.status for r in results]}
            | {"energies_uj": [r.energy_uj for r in results]}
            | steady
        )


def _verdict(options: RunOptions, steady_state: bool, unroll: int | None, deadline_us: float | None, sizes_given: bool) -> None:
    """`throughput --steady-state --workload`: the verdict on the mix, its
    lines or JSON, and its witness written as a schedule JSON."""
    from prism_cp.solve import mix_verdict, write_witness

    if not steady_state:
        raise PrismError("throughput --workload answers whether the mix is schedulable forever: add --steady-state")
    if unroll is not None or deadline_us is not None or sizes_given:
        raise PrismError("--workload's apps carry their own periods, deadlines and counts: drop --unroll, --deadline-us and --batch-sizes")
    out = options.console
    mix, platform = options.mix()
    verdict = mix_verdict(mix, platform, name=str(options.workload), **options.engine_options())
    # the hyperperiod's problem names the same mix and platform as the checked one, and exists without a schedule
    witness = write_witness(verdict, schedule_path(options.results_dir, verdict.found.problem, "verdict").with_suffix(".json"), options.seed)
    fields = verdict.summary() | {"witness": None if witness is None else str(witness)}
    if options.json_out:
        out.data({"workload": str(options.workload), "platform": platform.name, "npus": platform.npus, "cpus": platform.cpus} | fields)
    else:
        verdict_lines(out, fields)
    raise typer.Exit(VERDICT_EXIT[verdict.verdict])


@run_options()
def compare(options: RunOptions, plot: ComparisonPlot = None) -> None:
    """Run every algorithm on the same instance, export every schedule, and print
    a table: makespan, distance to the best, gap to the best proven lower bound.
    A stream or a mix ranks them by deadline misses, then max latency, then
    makespan (what cpsat minimises): best first, with those columns.
    If Ctrl-C stops an algorithm, its best schedule counts, the rest are not
    run, and the exit status is 130."""
    check_view_paths(plot)
    out = options.console
    problem = options.problem()
    rows = []
    for algorithm in algorithms():
        out.progress(f"[info] Scheduling  {problem.workload.name}  with  {algorithm}  ...")
        result = solve(problem, algorithm, **options.solve_options(algorithm))
        rows.append((result, _export(out, options, problem, result)))
        if result.interrupted:
            break
    judged = under_best_bound([r for r, _ in rows])
    vs_best, ranking = _ranking(problem, judged)
    bound = judged[0].lower_bound
    table = [
        {
            "algorithm": r.algorithm,
            "makespan_us": r.makespan,
            "vs_best": distance,
            "gap": r.gap,
            "status": r.status,
            "interrupted": r.interrupted,
            "wall_s": r.wall_s,
            "energy_uj": r.energy_uj,
            "output": str(path),
        } | ranked | (mix_fields(problem, r.schedule) if problem.instances is not None else {})
        for r, (_, path), distance, ranked in zip(judged, rows, vs_best, ranking)
    ]
    table.sort(key=lambda row: row.get("rank", 0))  # stable: untimed rows keep the algorithms' order
    if plot is not None:
        plot_comparison([timeline_of(problem, r) for r, _ in rows], [r.algorithm for r, _ in rows], plot, bound)
    if options.json_out:
        out.data(_summary(problem) | {"lower_bound_us": bound, "results": table})
    else:
        _print_table(problem, bound, table, options.results_dir)
    if rows[-1][0].interrupted:
        raise typer.Exit(INTERRUPTED)


def _ranking(problem: Problem, results: tuple[Result, ...]) -> tuple[list[float], list[dict[str, Any]]]:
    """Per result: how far it is from the best (`vs_best`), and the fields that
    rank it. Untimed: its makespan over the least, no fields. A stream or a
    mix: the best has the least `stream_key` (misses, max latency, makespan),
    vs_best is the max latency over the best's, and the fields are `rank` (1:
    best; equal keys share one), `deadline_misses` and `max_latency_us`."""
    if not problem.timed:
        best = min(r.makespan for r in results)
        return [(r.makespan - best) / best if best else 0.0 for r in results], [{} for _ in results]
    keys = [stream_key(problem, r.schedule) for r in results]
    latency = min(keys)[1]
    ranks = [1 + sum(other < key for other in keys) for key in keys]
    return ([(key[1] - latency) / latency if latency else 0.0 for key in keys],
            [{"rank": rank, "deadline_misses": key[0], "max_latency_us": key[1]} for rank, key in zip(ranks, keys)])


def _print_table(problem: Problem, bound: float, table: list[dict[str, Any]], results_dir: Path) -> None:
    """The table of `compare`; a stream or a mix adds its rank, misses and max latency first."""
    count, what = counted(problem)
    print(f"{problem.workload.name} on {problem.platform.name} ({problem.platform.npus} NPUs, {problem.platform.cpus} CPUs), "
          f"{count} {what}; best proven lower bound {bound!r} us", *_estimated(problem))
    energy = table[0]["energy_uj"] is not None
    timed = problem.timed
    if timed:
        print("ranked by deadline misses, then max latency, then makespan; vs best: max latency over the best's")
    ranking = f" {'rank':>4} {'misses':>6} {'max latency (us)':>18}" if timed else ""
    print(f"{'algorithm':<10}{ranking} {'makespan (us)':>18} {'vs best (%)':>12} {'gap (%)':>8}  {'status':<9} {'wall (s)':>9}" + (f" {'energy (uJ)':>14}" if energy else ""))
    for row in table:
        ranked = f" {row['rank']:>4} {row['deadline_misses']:>6} {row['max_latency_us']:>18.2f}" if timed else ""
        print(f"{row['algorithm']:<10}{ranked} {row['makespan_us']:>18.2f} {100 * row['vs_best']:>12.2f} {100 * row['gap']:>8.2f}  "
              f"{row['status']:<9} {row['wall_s']:>9.2f}" + (f" {row['energy_uj']:>14.2f}" if energy else "") + ("  interrupted" if row["interrupted"] else ""))
        for app in row.get("apps", ()):
            print(f"    {app_line(app)}")
    print(f"[info] schedules written under {results_dir / ('stream' if problem.timed else 'performance')}")
