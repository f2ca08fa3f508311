"""`prism-cp sweep`: run a design-space sweep (models, or the verdicts of
workload files) into a results database, export it as CSV, plot its Pareto
fronts or verdict grids. Option parsing only; the work is in `prism_cp.sweep`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Sequence

import typer

from prism_cp.errors import PrismError
from prism_cp.solve import algorithms

if TYPE_CHECKING:  # the sweep package loads only when the command runs
    from prism_cp.sweep import Store
    from prism_cp.sweep.plan import Config
    from prism_cp.sweep.execute import Executor

DEFAULT_DB = Path("results/sweep.db")
DEFAULT_BATCHES, DEFAULT_ALGORITHMS = "16", "npufirst"
VERDICT = "verdict"  # the --metric that draws verdict runs


def sweep(
    models: Annotated[str | None, typer.Option(help="Comma-separated bundled model names or model file paths; omit (and --workloads) to only --export/--plot an existing database.")] = None,
    workloads: Annotated[str | None, typer.Option(help="Instead of --models: comma-separated workload files (TOML, [[app]] tables); each configuration records whether the mix is schedulable forever.")] = None,
    platforms: Annotated[str, typer.Option(help="Comma-separated platform names or files.")] = "grai",
    npus: Annotated[str, typer.Option(help="NPU counts: ranges a-b and lists a,b (e.g. 1-8 or 0,2,4).")] = "4",
    cpus: Annotated[str, typer.Option(help="CPU counts: ranges a-b and lists a,b.")] = "2",
    batches: Annotated[str | None, typer.Option(help=f"Batch counts: ranges a-b and lists a,b (default {DEFAULT_BATCHES}; not with --workloads).")] = None,
    algorithms_: Annotated[str | None, typer.Option("--algorithms", help=f"Comma-separated algorithms: {', '.join(algorithms())} (default {DEFAULT_ALGORITHMS}; not with --workloads).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of every run.")] = 42,
    time_limit: Annotated[float, typer.Option(help="cpsat and verdict runs: seconds per run (> 0).")] = 60.0,
    workers: Annotated[int | None, typer.Option(min=1, help="cpsat and verdict runs: search workers per run (default: the engine's).")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Runs at once in a local process pool (default 1).")] = None,
    dask: Annotated[str | None, typer.Option(help="Run on this Dask scheduler (e.g. tcp://host:8786) instead of locally; needs the extra 'dask'.")] = None,
    retries: Annotated[int, typer.Option(min=0, help="Times a run whose worker died is tried again before it is recorded as FAILED.")] = 1,
    db: Annotated[Path, typer.Option(help="SQLite results database; runs already in it are skipped.")] = DEFAULT_DB,
    schedules_dir: Annotated[Path | None, typer.Option(help="Where each run's schedule JSON goes (default: 'schedules' beside --db).")] = None,
    export: Annotated[Path | None, typer.Option(help="Write one CSV row per run of the database to this file.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Draw throughput (or --metric makespan|energy) against core count per algorithm, or the verdict of each core count, to this image; needs the extra 'plot'.")] = None,
    metric: Annotated[str | None, typer.Option(help="What --plot draws: throughput, makespan, energy (every run needs power figures) or verdict (default: verdict with --workloads or a database of verdict runs only, else throughput).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run every combination of the options (one run each) into --db, skipping
    runs already there; then optionally export the database as CSV and plot it."""
    from prism_cp.sweep import DaskCluster, LocalPool, Store, check_inputs, check_workloads, export_csv, parse_counts, parse_names, plan, plan_verdicts
    from prism_cp.sweep.plot import METRICS

    if models is None and workloads is None and export is None and plot is None:
        raise PrismError("nothing to do: give --models or --workloads to run a sweep, or --export/--plot to use an existing --db")
    if models is not None and workloads is not None:
        raise PrismError("--models and --workloads are two kinds of sweep: run one, then the other (into the same --db if you like)")
    if workloads is not None and (batches is not None or algorithms_ is not None):
        raise PrismError("--batches and --algorithms do not apply to --workloads (its apps carry their own periods; the verdict has its own search): drop them")
    if workloads is not None and metric not in (None, VERDICT):
        raise PrismError(f"--metric {metric} draws model runs; a --workloads sweep plots its verdicts: drop --metric")
    if dask is not None and jobs is not None:
        raise PrismError("--jobs and --dask contradict each other: the Dask cluster decides how many runs execute at once")
    if metric not in (None, *METRICS, VERDICT):
        raise PrismError(f"--metric must be one of {', '.join((*METRICS, VERDICT))}, got {metric!r}")
    if export is not None and plot is not None and export.resolve() == plot.resolve():
        raise PrismError(f"--export and --plot both name {export}")
    configs: Sequence[Config] | None = None
    if models is not None:
        model_names, platform_names = parse_names(models, "--models"), parse_names(platforms, "--platforms")
        check_inputs(model_names, platform_names)
        counts = [parse_counts(npus, "--npus"), parse_counts(cpus, "--cpus"), parse_counts(batches or DEFAULT_BATCHES, "--batches", minimum=1)]
        configs = plan(model_names, platform_names, *counts, parse_names(algorithms_ or DEFAULT_ALGORITHMS, "--algorithms", algorithms()), seed, time_limit)
    elif workloads is not None:
        files, platform_names = parse_names(workloads, "--workloads"), parse_names(platforms, "--platforms")
        check_workloads(files, platform_names)
        configs = plan_verdicts(files, platform_names, parse_counts(npus, "--npus"), parse_counts(cpus, "--cpus"), seed, time_limit)
    with Store(db, create=configs is not None) as store:
        if configs is not None:
            executor = DaskCluster(dask) if dask else LocalPool(jobs or 1)
            _run(configs, store, executor, dask or f"{executor.slots} local process(es)", schedules_dir or db.parent / "schedules", retries, workers, quiet)
        if export is not None:
            print(f"[sweep] {export_csv(store, export)} rows written to {export}", file=sys.stderr)
        if plot is not None:
            print(f"[sweep] plot written to {_plot(store, plot, metric, workloads is not None)}", file=sys.stderr)


def _plot(store: Store, path: Path, metric: str | None, verdicts: bool) -> Path:
    """Draw --metric, or by default the verdicts after a --workloads sweep or of a database holding only verdict runs, else the throughput."""
    from prism_cp.sweep import plot_pareto, plot_verdicts

    if metric is None:
        metric = VERDICT if verdicts or (store.verdict_rows() and not store.rows()) else "throughput"
    return plot_verdicts(store.verdict_rows(), path) if metric == VERDICT else plot_pareto(store.rows(), path, metric)


def _run(configs: Sequence[Config], store: Store, executor: Executor, where: str, schedules: Path, retries: int, workers: int | None, quiet: bool) -> None:
    """Run the sweep with a progress bar on stderr; report what was stored and what failed."""
    from prism_cp.sweep import run_all
    from prism_cp.sweep.report import report_lines

    keys = {c.key for c in configs}
    todo = len(keys - store.finished())
    print(f"[sweep] {len(configs)} runs, {len(configs) - todo} already in {store.path}, {todo} to run on {where}", file=sys.stderr)
    stored = 0

    def advance(_row: dict) -> None:
        nonlocal stored
        stored += 1
        bar.update(1)

    with typer.progressbar(length=todo, label="sweep", show_eta=True, show_pos=True, file=sys.stderr, hidden=quiet) as bar:
        try:  # absolute: Dask workers have their own working directory
            run_all(configs, store, executor, str(schedules.absolute()), retries=retries, workers=workers, on_result=advance)
        except KeyboardInterrupt:
            print(f"\n[sweep] {stored} new runs stored in {store.path}; run the same command again to resume", file=sys.stderr)
            raise
    print(*report_lines(configs, store, stored), sep="\n", file=sys.stderr)
