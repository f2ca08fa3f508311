"""`prism-cp pareto`: the makespan-energy front of one instance
(`prism_cp.energy_front`), written as JSON and CSV and optionally drawn."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer

from prism_cp.cli.instance import RunOptions, run_options
from prism_cp.energy_front import FrontPoint, energy_front
from prism_cp.io.files import atomic_write, output_path
from prism_cp.views.gantt import FORMATS

FIELDS = ("objective", "makespan_cap_us", "makespan_us", "lower_bound_us", "energy_uj", "energy_bound_uj", "status", "dominated", "wall_s")


@run_options()
def pareto(
    options: RunOptions,
    points: Annotated[int, typer.Option(min=3, help="Solves on the front, at most: the least makespan, the least energy, and caps between (>= 3).")] = 6,
    out: Annotated[Path | None, typer.Option(help="Write the front to OUT.json and OUT.csv (default: <results-dir>/pareto/<model>.<platform>.NPU_<n>.CPU_<m>).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also draw the front: .png, .svg or .pdf (needs matplotlib).")] = None,
) -> None:
    """The makespan-energy front by the epsilon-constraint method (cpsat;
    the time limit covers the whole front): the least makespan, the least
    energy, then the least energy under makespan caps where the front drops
    most (docs/engine.md#energy). Every point is
    validated and carries its makespan bound and, under a cap, its energy
    bound. Dominated points are marked (and drawn faint); the others form a
    monotone front. Needs a platform with power figures."""
    if plot is not None:
        output_path(plot, FORMATS, "chart")
    console = options.console
    problem = options.problem()
    plat = problem.platform
    prefix = out or options.results_dir / "pareto" / f"{problem.workload.name}.{plat.name}.NPU_{plat.npus}.CPU_{plat.cpus}"
    engine = options.solve_options("cpsat")
    limit = engine.pop("time_limit")
    front = energy_front(problem, time_limit=limit, points=points, **engine)
    rows = [p.row() for p in front]
    doc = {"model": problem.workload.name, "platform": plat.name, "npus": plat.npus, "cpus": plat.cpus, "batches": problem.nbatch, "points": rows}
    prefix.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(prefix.with_name(prefix.name + ".json"), json.dumps(doc) + "\n")
    atomic_write(prefix.with_name(prefix.name + ".csv"), _csv(front))
    if plot is not None:
        from prism_cp.views.pareto import plot_front  # matplotlib only when drawing

        plot_front(front, plot, f"{problem.workload.name} on {plat.name} ({plat.npus} NPUs, {plat.cpus} CPUs), {problem.nbatch} batches")
    if options.json_out:
        console.data(doc)
        return
    print(f"{'makespan (us)':>16} {'bound (us)':>16} {'energy (uJ)':>16} {'bound (uJ)':>16}  status")
    for p in front:
        r = p.result
        bound = "-" if r.energy_bound_uj is None else f"{r.energy_bound_uj:.2f}"
        print(f"{r.makespan:>16.2f} {r.lower_bound:>16.2f} {r.energy_uj:>16.2f} {bound:>16}  {r.status}" + ("  dominated" if p.dominated else ""))
    print(f"[info] front written to  {prefix}.json and .csv" + (f"; drawn to {plot}" if plot else ""))


def _csv(front: list[FrontPoint]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(p.row() for p in front)
    return buf.getvalue()
