"""`prism-cp import keras|onnx` and `prism-cp extime template|estimate|calibrate|measure`:
bring a network in as a model file, give it a time table to fill in, an
estimated one or one measured on this machine, and fit a platform's
rooflines to measured times. Commands only parse options, call the library
and print."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from prism_cp.cli.options import PlainUsage
from prism_cp.errors import PrismError
from prism_cp.cost.agreement import Z_95, agreement
from prism_cp.cost.calibrate import fit_roofline, roofline_toml
from prism_cp.cost.roofline import DEFAULT_PLATFORM, estimate_times, op_work
from prism_cp.io.model_files import (
    ESTIMATED,
    bundled_models,
    default_extime_path,
    extime_is_estimated,
    extime_path_for,
    model_file,
    read_extime_csv,
    read_model_json,
    read_network,
    write_extime_csv,
    write_extime_template,
    write_network_json,
)
from prism_cp.io.platform_files import load_platform
from prism_cp.network import Network
from prism_cp.platform import Platform
from prism_cp.workload import CORE_TYPES

import_app = typer.Typer(help="Import a Keras or ONNX model as a model file (models/NAME.json) that --model takes at once.", no_args_is_help=True)
extime_app = typer.Typer(help="Execution time tables: a template to fill with measured times, an analytic estimate, CPU times measured with ONNX Runtime, or a roofline fitted to measured times.", no_args_is_help=True)


class ExtimeMode(str, Enum):
    estimate = "estimate"


FILE_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"  # a model name that is safe as a file stem


def _file_name(name: str | None) -> str | None:
    if name is not None and not re.fullmatch(FILE_NAME, name):
        raise typer.BadParameter(f"{name!r} cannot name a model file; use letters, digits, '_', '.', '-'")
    return name


Source = Annotated[Path, typer.Argument(metavar="FILE", help="The model file to import.")]
Name = Annotated[str | None, typer.Option(callback=_file_name, help="The model's name, in results and in the default output path (default: the file's model name or stem).")]
Out = Annotated[Path | None, typer.Option(help="Model file to write (default: models/NAME.json under the current directory).")]
Extime = Annotated[ExtimeMode | None, typer.Option(help="'estimate': also write estimated times where the other commands find them (extime/NAME.csv beside a models/ folder, else NAME.csv beside the model file).")]
PlatformOpt = Annotated[str, typer.Option(help="Platform whose rooflines the estimate uses (bundled name or TOML path).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
ModelArg = Annotated[str, typer.Argument(metavar="MODEL", help="Bundled model name or path to a model file.")]
TableOut = Annotated[Path, typer.Option(help="CSV file to write.")]
TimesIn = Annotated[Path, typer.Option("--times", help="The measured time table (CSV) of MODEL to fit.")]
TomlOut = Annotated[Path | None, typer.Option(help="TOML file to write the fitted [roofline.*] tables to (default: stdout).")]
OnnxArg = Annotated[Path, typer.Argument(metavar="MODEL.onnx", help="The ONNX model to time (with its weights).")]


@import_app.command(cls=PlainUsage)
def keras(file: Source, name: Name = None, out: Out = None, extime: Extime = None, platform: PlatformOpt = DEFAULT_PLATFORM, force: Force = False) -> None:
    """Import a Keras functional model saved with model.to_json() (Keras 2 or 3), without TensorFlow."""
    from prism_cp.io.keras import read_keras

    _import(read_keras, "Keras", file, name, out, extime, platform, force)


@import_app.command(cls=PlainUsage)
def onnx(file: Source, name: Name = None, out: Out = None, extime: Extime = None, platform: PlatformOpt = DEFAULT_PLATFORM, force: Force = False) -> None:
    """Import an ONNX model (needs the onnx extra); weights are never read, so external data may be absent."""
    from prism_cp.io.onnx import read_onnx

    _import(read_onnx, "ONNX", file, name, out, extime, platform, force)


def _import(reader: Callable[[Path, str | None], Network], kind: str, file: Path, name: str | None, out: Path | None, extime: ExtimeMode | None, platform: str, force: bool) -> None:
    network = reader(file, name)
    if out is None:
        if not re.fullmatch(FILE_NAME, network.name):
            raise PrismError(f"the model's name {network.name!r} cannot name a model file; pass --name or --out")
        out = Path("models") / f"{network.name}.json"
    table = extime_path_for(out)
    _refuse_overwrite([out, table] if extime else [out], force)
    description = f"imported from the {kind} file {file.name}"
    if extime is ExtimeMode.estimate:
        plat = load_platform(platform)
        description += f"; execution times estimated on the rooflines of {_rooflines_of(plat)}, not measured"
        write_extime_csv(table, network.to_workload(_estimate(network, plat)), _estimate_note(plat))
    write_network_json(out, network, description)
    print(f"{network.name}: {len(network.layers)} ops, {len(network.edges)} edges -> {out}" + (f" (estimated times -> {table})" if extime else ""))
    _warn_if_shadowed(network.name, out)


def _warn_if_shadowed(name: str, out: Path) -> None:
    """A bare model name always means the bundled model (prism_cp.io.bundled),
    so an import under a bundled name is reachable by its path only: say so."""
    if name in bundled_models() or out.stem in bundled_models():
        bundled = name if name in bundled_models() else out.stem
        typer.echo(f"warning: {bundled} is also a bundled model, which --model {bundled} and show {bundled} keep meaning; "
                   f"pass the path {out} to use the imported one, or import it again with --name NAME to give it a name of its own", err=True)


@extime_app.command(cls=PlainUsage)
def template(model: ModelArg, out: TableOut, force: Force = False) -> None:
    """Write the model's time table with every op's index and name and empty times, to fill with measurements."""
    _refuse_overwrite([out], force)
    _, op_names, _, _ = read_model_json(model_file(model))
    write_extime_template(out, op_names)
    print(f"template for {len(op_names)} ops -> {out}")


@extime_app.command(cls=PlainUsage)
def estimate(model: ModelArg, out: TableOut, platform: PlatformOpt = DEFAULT_PLATFORM, force: Force = False) -> None:
    """Estimate every op's time from its shapes and the platform's rooflines; the table says it is estimated.
    When the model has a measured table, print how close the estimate is to it."""
    _refuse_overwrite([out], force)
    plat = load_platform(platform)
    network = read_network(model)
    times = _estimate(network, plat)
    measured = _measured_times(model, network, out)
    write_extime_csv(out, network.to_workload(times), _estimate_note(plat))
    print(f"estimated times for {len(network.layers)} ops on {plat.name} -> {out}")
    if measured is not None:
        for core, a in agreement(times, measured[1]).items():
            print(f"{core}: against the measured {measured[0]}: Spearman rank correlation {a.spearman:.3f}, "
                  f"total-time ratio (estimated / measured) {a.total_ratio:.3f}")


@extime_app.command(cls=PlainUsage)
def calibrate(model: ModelArg, times: TimesIn, platform: PlatformOpt = DEFAULT_PLATFORM, out: TomlOut = None, force: Force = False) -> None:
    """Fit each core type's roofline (peak x utilisation, bandwidth, overhead) to measured times by least squares.
    Prints R^2 and Spearman's rho of fitted vs measured per core type; a core type whose fit explains nothing
    (R^2 <= 0, or rho not significantly > 0) gets a line saying so instead of parameters."""
    if out is not None:
        _refuse_overwrite([out], force)
    plat = load_platform(platform)
    network = read_network(model)
    measured = read_extime_csv(times, tuple(layer.name for layer in network.layers))
    work = op_work(network)
    tables = []
    for core in CORE_TYPES:
        fit = fit_roofline(work, measured[core], plat.bytes_per_element(core))
        figures = f"R^2 {fit.r_squared:.3f}, Spearman {fit.spearman:+.3f} over {fit.n} ops"
        if fit.explains and fit.roofline is not None:
            tables.append(roofline_toml(core, fit.roofline))
            typer.echo(f"{core}: {figures}: fitted", err=out is None)
        else:
            typer.echo(f"{core}: the roofline explains nothing of these times ({figures}; needs R^2 > 0 and "
                       f"rho * sqrt(n - 1) > {Z_95:.3f}); no parameters written", err=out is None)
    if not tables:
        return
    text = (f"# [roofline.*] fitted by prism-cp extime calibrate to {times.name} ({network.name}, {plat.name}'s bytes per element);\n"
            "# peak_macs_per_us is the fitted peak x utilisation\n" + "\n".join(tables))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"fitted rooflines -> {out}")


@extime_app.command(cls=PlainUsage)
def measure(
    model: OnnxArg,
    out: TableOut,
    runs: Annotated[int, typer.Option(help="Profiled runs averaged (after 2 warm-up runs); as many plain runs time the whole model.")] = 10,
    threads: Annotated[int, typer.Option(help="ONNX Runtime intra-op threads.")] = 1,
    platform: Annotated[str, typer.Option(help="Platform whose core speeds estimate the NPU column (bundled name or TOML path).")] = DEFAULT_PLATFORM,
    force: Force = False,
) -> None:
    """Time every op of an ONNX model on this machine's CPU with ONNX Runtime's profiler (needs the measure extra);
    the NPU column is the platform's estimate. Rows follow prism-cp import onnx's ops."""
    from prism_cp.cost.measure import measure_onnx

    _refuse_overwrite([out], force)
    plat = load_platform(platform)
    m = measure_onnx(model, runs, threads)
    times = {"cpu": m.cpu_us, "npu": _estimate(m.network, plat)["npu"]}
    note = (f"{ESTIMATED} NPU times (us) on the rooflines of {_rooflines_of(plat)}; CPU times measured on this machine "
            f"with onnxruntime {m.version} ({m.runs} profiled runs, {m.threads} intra-op thread(s), batch 1)")
    write_extime_csv(out, m.network.to_workload(times), note)
    print(f"measured times for {len(m.network.layers)} ops ({len(m.groups)} onnxruntime nodes) -> {out}")
    print(m.summary())


def _measured_times(model: str, network: Network, out: Path) -> tuple[Path, dict[str, tuple[float, ...]]] | None:
    """The model's own time table and its times, if it has one, measured, other than `out`."""
    try:
        path = default_extime_path(model_file(model))
    except PrismError:
        return None
    if path.resolve() == out.resolve() or extime_is_estimated(path):
        return None
    return path, read_extime_csv(path, tuple(layer.name for layer in network.layers))


def _estimate(network: Network, plat: Platform) -> dict[str, tuple[float, ...]]:
    return estimate_times(network, plat, default=load_platform(DEFAULT_PLATFORM))


def _rooflines_of(plat: Platform) -> str:
    """Whose rooflines an estimate on `plat` uses."""
    stated = [core for core in CORE_TYPES if plat.roofline(core)]
    if len(stated) == len(CORE_TYPES):
        return f"platform {plat.name}"
    return f"platform {plat.name} ({DEFAULT_PLATFORM}'s for {', '.join(c for c in CORE_TYPES if c not in stated)}, which it does not state)"


def _estimate_note(plat: Platform) -> str:
    return (f"{ESTIMATED} times (us): roofline cost model prism_cp.cost on the rooflines of {_rooflines_of(plat)}; "
            "replace them with measured times (prism-cp extime template writes the table to fill)")


def _refuse_overwrite(paths: list[Path], force: bool) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise PrismError(f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; pass --force to overwrite")
