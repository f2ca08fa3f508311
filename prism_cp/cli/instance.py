"""The options shared by `schedule`, `throughput`, `compare` and `pareto`: which
instance to build and how to run an engine on it. Declared once, as the
fields of `RunOptions`; `run_options` splices them into each command's
signature, so that a command declares only its own options and receives the
shared ones as one object."""

from __future__ import annotations

import functools
import inspect
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, get_type_hints

from prism_cp import IMPORT_STARTED
from prism_cp.budget import engine_time_limit
from prism_cp.cli.options import (
    BoundsOpt, Batches, Console, CpuRatio, Cpus, Extime, JsonOut, Mapping, MappingMode, Model, Npus, PlatformOpt, Quiet, ResultsDir, Seed, StaggerUs,
    Stg, StgClock, TimeLimit, Verbose, Workers, WorkloadFile, split_names,
)
from prism_cp.errors import PrismError
from prism_cp.io import load_platform, load_workload
from prism_cp.io.stg import load_stg, stg_platform
from prism_cp.problem import Problem

if TYPE_CHECKING:
    from prism_cp.mix import Mix
    from prism_cp.platform import Platform


DEFAULT_MODEL = "xception"


@dataclass(frozen=True)
class RunOptions:
    """The instance (model, STG or workload file, platform, cores, batches, clock), the
    engines' options, and how much to print."""

    model: Model = None
    extime: Extime = None
    workload: WorkloadFile = None
    stg: Stg = None
    platform: PlatformOpt = "grai"
    npus: Npus = 4
    cpus: Cpus = 2
    batches: Batches = None
    clock: StgClock = None
    seed: Seed = 42
    results_dir: ResultsDir = Path("results")
    time_limit: TimeLimit = 60.0
    workers: Workers = None
    mapping: Mapping = MappingMode.per_batch
    stagger_us: StaggerUs = None
    cpu_ratio: CpuRatio = None
    bounds: BoundsOpt = None
    json_out: JsonOut = False
    quiet: Quiet = False
    verbose: Verbose = False

    @property
    def console(self) -> Console:
        return Console(self.json_out, self.quiet, self.verbose)

    def problem(self, batches: int | None = None) -> Problem:
        """The unrolled instance, with `batches` (default: --batches). An STG
        file is one task graph: one batch unless asked otherwise; a model runs
        the reference's 16."""
        batches = self.batches if batches is None else batches
        if self.workload is not None:
            return self._mix_problem(batches)
        if self.stg is not None:
            return Problem(load_stg(self.stg), stg_platform(self.cpus).with_cores(clock_us=self.clock), 1 if batches is None else batches)
        plat = load_platform(self.platform, npus=self.npus, cpus=self.cpus, clock_us=self.clock)
        return Problem(load_workload(self.model or DEFAULT_MODEL, self.extime), plat, 16 if batches is None else batches)

    def _mix_problem(self, batches: int | None) -> Problem:
        """The problem of --workload; a one-line error if --batches was given too (the file names the counts)."""
        from prism_cp.mix import mix_problem

        if batches is not None:
            raise PrismError("--workload names the models and their counts: drop --batches")
        return mix_problem(*self.mix())

    def mix(self) -> tuple[Mix, Platform]:
        """The mix of --workload and the platform it shares; a one-line error
        if --model, --extime or --stg was given too."""
        from prism_cp.mix import load_mix

        given = [f"--{name}" for name, value in (("model", self.model), ("extime", self.extime), ("stg", self.stg)) if value is not None]
        if given:
            raise PrismError(f"--workload names the models and their counts: drop {', '.join(given)}")
        return load_mix(self.workload), load_platform(self.platform, npus=self.npus, cpus=self.cpus, clock_us=self.clock)

    def solve_options(self, algorithm: str) -> dict[str, Any]:
        """The keyword options of `solve` for `algorithm`: the seed, the progress
        printer, the bounds, and of the engine's own options only those the user
        set, so that each engine keeps its own defaults for the rest."""
        given = {
            "cpsat": self.engine_options() | {"mapping": self.mapping.value},
            "staggered": {"stagger_us": self.stagger_us, "cpu_ratio": self.cpu_ratio},
        }.get(algorithm, {})
        bounds = None if self.bounds is None else split_names(self.bounds)
        return {"seed": self.seed, "progress": self.console.solver_progress, "bounds": bounds} | {k: v for k, v in given.items() if v is not None}

    def engine_options(self) -> dict[str, Any]:
        """The options of a steady-state or verdict search: the time left
        (`engine_time_limit`), the seed, the progress printer, and the workers if given."""
        return {"time_limit": self.engine_time_limit(), "seed": self.seed, "progress": self.console.solver_progress} | (
            {"workers": self.workers} if self.workers else {})

    def engine_time_limit(self) -> float:
        """What remains of the whole-run --time-limit for an engine: the process
        has already spent its start-up (imports, loading) and still has to
        export. Never less than a quarter of the limit, so a tiny limit still searches."""
        import prism_cp.cpsat  # noqa: F401  load OR-Tools now, so that its import counts as start-up

        return engine_time_limit(self.time_limit, time.perf_counter() - IMPORT_STARTED)


def run_options(*, omit: tuple[str, ...] = ()) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Make `command(options: RunOptions, **own)` a typer command taking its own
    options and every RunOptions field but those in `omit` (left at their defaults)."""
    hints = get_type_hints(RunOptions, include_extras=True)
    shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]) for f in fields(RunOptions) if f.name not in omit]
    names = {p.name for p in shared}

    def splice(command: Callable[..., None]) -> Callable[..., None]:
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in list(inspect.signature(command, eval_str=True).parameters.values())[1:]]

        @functools.wraps(command)
        def with_options(**given: Any) -> None:
            command(RunOptions(**{name: given.pop(name) for name in names}), **given)

        params = [*own, *shared]
        with_options.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        with_options.__annotations__ = {p.name: p.annotation for p in params}
        return with_options

    return splice
