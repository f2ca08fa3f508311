"""Platform files (`platforms/<name>.toml`): name, clock, the op types the NPU
runs, the rooflines of the time estimate, the NPU <-> CPU link and the
power per core type. Core counts are not stored: each run chooses them."""

from __future__ import annotations

import tomllib
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io.bundled import bundled_names, resolve
from prism_cp.io.files import read_text
from prism_cp.platform import Link, Platform, Power, Roofline
from prism_cp.workload import CORE_TYPES

PLATFORM_KEYS = {"name", "description", "clock_us", "npu_ops", "npu_onnx_ops", "roofline", "link", "power"}


def bundled_platforms() -> tuple[str, ...]:
    """Names accepted by `load_platform` without a path."""
    return bundled_names("platforms")


def load_platform(name_or_path: str | Path, *, npus: int | None = None, cpus: int | None = None, clock_us: int | None = None) -> Platform:
    """The Platform of a bundled name (e.g. 'grai') or a TOML file path, with the
    given core counts (default 4 NPUs, 2 CPUs) and clock (default: the file's).
    Raises PrismError for unknown names and malformed files."""
    path = resolve("platforms", name_or_path)
    text = read_text(path, "platform file")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PrismError(f"platform file {path} is not valid TOML: {e}") from None
    where = f"platform file {path}"
    if "speed" in doc:
        raise PrismError(f"{where}: the [speed.*] tables were replaced by [roofline.cpu] / [roofline.npu] "
                         "(peak_macs_per_us, utilisation, bytes_per_us, overhead_us, bytes_per_element; docs/formats.md)")
    unknown = set(doc) - PLATFORM_KEYS
    if unknown or not {"name", "npu_ops"} <= set(doc):
        raise PrismError(f"{where}: need keys name, npu_ops (optional: clock_us, description, npu_onnx_ops, roofline, link, power); unknown: {sorted(unknown)}")
    name = doc["name"]
    if not isinstance(name, str) or not name:
        raise PrismError(f"{where}: name must be a non-empty string")
    plat = Platform(
        name,
        _op_types(doc, "npu_ops", where),
        doc.get("clock_us", Platform.clock_us),
        npu_onnx_ops=_op_types(doc, "npu_onnx_ops", where),
        rooflines=_rooflines(doc.get("roofline", {}), where),
        link=None if "link" not in doc else _table(Link, doc["link"], "[link]", where),
        power=_per_core(Power, doc.get("power", {}), "power", where),
    )
    return plat.with_cores(npus=npus, cpus=cpus, clock_us=clock_us)


def _op_types(doc: dict[str, Any], key: str, where: str) -> frozenset[str]:
    ops = doc.get(key, [])
    if not isinstance(ops, list) or not all(isinstance(t, str) and t for t in ops):
        raise PrismError(f"{where}: {key} must be a list of op type names")
    return frozenset(ops)


def _table(kind: type, table: Any, name: str, where: str) -> Any:
    """`kind(**table)`: every key of the dataclass `kind` that has no default,
    any that has, none other; its own checks' errors name the file and table."""
    keys = {f.name for f in fields(kind)}
    needed = {f.name for f in fields(kind) if f.default is MISSING}
    if not isinstance(table, dict) or not needed <= set(table) <= keys:
        got = sorted(table) if isinstance(table, dict) else table
        raise PrismError(f"{where}: {name} needs the keys {', '.join(sorted(needed))} (optional: {', '.join(sorted(keys - needed)) or 'none'}); got {got}")
    try:
        return kind(**table)
    except PrismError as e:
        raise PrismError(f"{where}: {name}: {e}") from None


def _per_core(kind: type, table: Any, key: str, where: str) -> tuple[tuple[str, Any], ...]:
    """The `[key.cpu]` / `[key.npu]` tables, each a `kind`."""
    if not isinstance(table, dict) or not set(table) <= set(CORE_TYPES):
        raise PrismError(f"{where}: {key} must hold the tables [{key}.cpu] and/or [{key}.npu]")
    return tuple(sorted((core, _table(kind, figures, f"[{key}.{core}]", where)) for core, figures in table.items()))


def _rooflines(table: Any, where: str) -> tuple[tuple[str, Roofline], ...]:
    """The `[roofline.cpu]` / `[roofline.npu]` tables; each may hold a
    `[roofline.X.utilisation_by_type]` table of op type = share of the peak."""
    if isinstance(table, dict):
        table = {core: _by_type_as_pairs(figures, f"[roofline.{core}.utilisation_by_type]", where) for core, figures in table.items()}
    return _per_core(Roofline, table, "roofline", where)


def _by_type_as_pairs(figures: Any, name: str, where: str) -> Any:
    """`figures` with its utilisation_by_type table as sorted (type, share) pairs, as Roofline holds it."""
    if not isinstance(figures, dict) or "utilisation_by_type" not in figures:
        return figures
    by_type = figures["utilisation_by_type"]
    if not isinstance(by_type, dict):
        raise PrismError(f"{where}: {name} must be a table of op type = share of the peak, got {by_type!r}")
    return figures | {"utilisation_by_type": tuple(sorted(by_type.items()))}
