"""What a sweep runs: every combination of the option values, each one run
identified by its configuration so that a re-run can skip finished ones."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from prism_cp.errors import PrismError, check_time_limit
from prism_cp.solve import algorithms

_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")


def config_key(config: Config) -> str:
    """A run's identity in the results database: its configuration as canonical JSON."""
    return json.dumps(asdict(config), sort_keys=True)


@dataclass(frozen=True)
class RunConfig:
    """One run of a sweep: an instance and an algorithm with its options.

    `time_limit` is None for the heuristics (they ignore it), so changing the
    limit re-runs only the cpsat runs of a resumed sweep.
    """

    model: str
    platform: str
    npus: int
    cpus: int
    batches: int
    algorithm: str
    seed: int = 42
    time_limit: float | None = None

    key = property(config_key)


@dataclass(frozen=True)
class VerdictConfig:
    """One verdict run of a sweep: is the mix of a workload file schedulable
    forever on these cores (`prism_cp.solve.mix_verdict`)?

    `digest` is the SHA-256 of the file's bytes when the sweep was planned, so
    an edited file is a new run, and a run of a file edited since is refused.
    """

    workload: str
    digest: str
    platform: str
    npus: int
    cpus: int
    seed: int = 42
    time_limit: float = 30.0

    key = property(config_key)


#: a run of either kind
Config = RunConfig | VerdictConfig


def parse_counts(text: str, option: str, minimum: int = 0) -> list[int]:
    """Whole numbers from `a-b` ranges and `a,b` lists (mixed: `1-3,8`), in
    the order given, duplicates dropped. PrismError naming `option` for an
    empty range (`5-1`), an empty item or a number below `minimum`."""
    values: list[int] = []
    for item in text.split(","):
        item = item.strip()
        if m := _RANGE.fullmatch(item):
            lo, hi = int(m[1]), int(m[2])
            if lo > hi:
                raise PrismError(f"{option}: the range {item} is empty (write it as {hi}-{lo})")
            values.extend(range(lo, hi + 1))
        elif item.isdigit():
            values.append(int(item))
        else:
            raise PrismError(f"{option}: expected whole numbers and ranges like 1-8 separated by commas, got {text!r}")
    low = [v for v in values if v < minimum]
    if low:
        raise PrismError(f"{option}: values must be >= {minimum}, got {low[0]}")
    return list(dict.fromkeys(values))


def parse_names(text: str, option: str, known: tuple[str, ...] | None = None) -> list[str]:
    """Comma-separated names, duplicates dropped; each one of `known` if given."""
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise PrismError(f"{option}: expected comma-separated names, got {text!r}")
    if known is not None:
        for n in names:
            if n not in known:
                raise PrismError(f"{option}: unknown name {n!r}; choose from {', '.join(known)}")
    return list(dict.fromkeys(names))


def check_inputs(models: list[str], platforms: list[str]) -> None:
    """Load every model and platform once, so that a typo fails the sweep
    before it starts instead of giving a database of ERROR rows."""
    from prism_cp.io import load_platform, load_workload

    for model in models:
        load_workload(model)
    for platform in platforms:
        load_platform(platform)


def file_digest(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex); PrismError if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as e:
        raise PrismError(f"cannot read workload file {path}: {e.strerror}") from None


def check_workloads(workloads: list[str], platforms: list[str]) -> None:
    """Load every workload file (and the models it names) and platform once,
    so that a typo fails the sweep before it starts."""
    from prism_cp.mix import load_mix

    for workload in workloads:
        load_mix(workload)
    check_inputs([], platforms)


def plan_verdicts(
    workloads: list[str], platforms: list[str], npus: list[int], cpus: list[int], seed: int = 42, time_limit: float = 30.0
) -> list[VerdictConfig]:
    """Every combination, one VerdictConfig each, in a stable order
    (workloads slowest, CPU counts fastest)."""
    check_time_limit(time_limit)
    if not all((workloads, platforms, npus, cpus)):
        raise PrismError("a sweep needs at least one workload, platform, NPU count and CPU count")
    digests = {w: file_digest(w) for w in workloads}
    return [VerdictConfig(w, digests[w], p, n, c, seed, float(time_limit)) for w, p, n, c in itertools.product(workloads, platforms, npus, cpus)]


def plan(
    models: list[str],
    platforms: list[str],
    npus: list[int],
    cpus: list[int],
    batches: list[int],
    algorithm_names: list[str],
    seed: int = 42,
    time_limit: float = 60.0,
) -> list[RunConfig]:
    """Every combination, one RunConfig each, in a stable order (models
    slowest, algorithms fastest)."""
    for name in algorithm_names:
        if name not in algorithms():
            raise PrismError(f"unknown algorithm {name!r}; choose from {', '.join(algorithms())}")
    check_time_limit(time_limit)
    if not all((models, platforms, npus, cpus, batches, algorithm_names)):
        raise PrismError("a sweep needs at least one model, platform, NPU count, CPU count, batch count and algorithm")
    return [
        RunConfig(m, p, n, c, b, a, seed, time_limit if a == "cpsat" else None)
        for m, p, n, c, b, a in itertools.product(models, platforms, npus, cpus, batches, algorithm_names)
    ]
