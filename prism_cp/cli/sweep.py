"""`prism-cp sweep`: run a design-space sweep into a results database, export
it as CSV, plot its Pareto fronts. Option parsing only; the work is in
`prism_cp.sweep`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prism_cp.errors import PrismError
from prism_cp.solve import algorithms

if TYPE_CHECKING:  # the sweep package loads only when the command runs
    from prism_cp.sweep import RunConfig, Store
    from prism_cp.sweep.execute import Executor

DEFAULT_DB = Path("results/sweep.db")


def sweep(
    models: Annotated[str | None, typer.Option(help="Comma-separated bundled model names or model file paths; omit to only --export/--plot an existing database.")] = None,
    platforms: Annotated[str, typer.Option(help="Comma-separated platform names or files.")] = "grai",
    npus: Annotated[str, typer.Option(help="NPU counts: ranges a-b and lists a,b (e.g. 1-8 or 0,2,4).")] = "4",
    cpus: Annotated[str, typer.Option(help="CPU counts: ranges a-b and lists a,b.")] = "2",
    batches: Annotated[str, typer.Option(help="Batch counts: ranges a-b and lists a,b.")] = "16",
    algorithms_: Annotated[str, typer.Option("--algorithms", help=f"Comma-separated algorithms: {', '.join(algorithms())}.")] = "npufirst",
    seed: Annotated[int, typer.Option(help="Random seed of every run.")] = 42,
    time_limit: Annotated[float, typer.Option(help="cpsat: seconds per run (> 0).")] = 60.0,
    workers: Annotated[int | None, typer.Option(min=1, help="cpsat: search workers per run (default: the engine's).")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Runs at once in a local process pool (default 1).")] = None,
    dask: Annotated[str | None, typer.Option(help="Run on this Dask scheduler (e.g. tcp://host:8786) instead of locally; needs the extra 'dask'.")] = None,
    retries: Annotated[int, typer.Option(min=0, help="Times a run whose worker died is tried again before it is recorded as FAILED.")] = 1,
    db: Annotated[Path, typer.Option(help="SQLite results database; runs already in it are skipped.")] = DEFAULT_DB,
    schedules_dir: Annotated[Path | None, typer.Option(help="Where each run's schedule JSON goes (default: 'schedules' beside --db).")] = None,
    export: Annotated[Path | None, typer.Option(help="Write one CSV row per run of the database to this file.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Draw throughput (or --metric makespan|energy) against core count per algorithm to this image; needs the extra 'plot'.")] = None,
    metric: Annotated[str, typer.Option(help="What --plot draws: throughput, makespan or energy (every run needs power figures).")] = "throughput",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run every combination of the options (one run each) into --db, skipping
    runs already there; then optionally export the database as CSV and plot it."""
    from prism_cp.sweep import DaskCluster, LocalPool, Store, check_inputs, export_csv, parse_counts, parse_names, plan, plot_pareto
    from prism_cp.sweep.plot import METRICS

    if models is None and export is None and plot is None:
        raise PrismError("nothing to do: give --models to run a sweep, or --export/--plot to use an existing --db")
    if dask is not None and jobs is not None:
        raise PrismError("--jobs and --dask contradict each other: the Dask cluster decides how many runs execute at once")
    if metric not in METRICS:
        raise PrismError(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if export is not None and plot is not None and export.resolve() == plot.resolve():
        raise PrismError(f"--export and --plot both name {export}")
    configs = None
    if models is not None:
        model_names, platform_names = parse_names(models, "--models"), parse_names(platforms, "--platforms")
        check_inputs(model_names, platform_names)
        counts = [parse_counts(npus, "--npus"), parse_counts(cpus, "--cpus"), parse_counts(batches, "--batches", minimum=1)]
        configs = plan(model_names, platform_names, *counts, parse_names(algorithms_, "--algorithms", algorithms()), seed, time_limit)
    with Store(db, create=configs is not None) as store:
        if configs is not None:
            executor = DaskCluster(dask) if dask else LocalPool(jobs or 1)
            _run(configs, store, executor, dask or f"{executor.slots} local process(es)", schedules_dir or db.parent / "schedules", retries, workers, quiet)
        if export is not None:
            print(f"[sweep] {export_csv(store, export)} rows written to {export}", file=sys.stderr)
        if plot is not None:
            print(f"[sweep] plot written to {plot_pareto(store.rows(), plot, metric)}", file=sys.stderr)


def _run(configs: list[RunConfig], store: Store, executor: Executor, where: str, schedules: Path, retries: int, workers: int | None, quiet: bool) -> None:
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
