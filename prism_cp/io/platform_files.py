"""Platform files (`platforms/<name>.toml`): name, clock, the op types the NPU
runs and the core speeds of the time estimate. Core counts are not stored:
each run chooses them."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io.bundled import bundled_names, resolve
from prism_cp.io.files import read_text
from prism_cp.platform import CoreSpeed, Platform
from prism_cp.workload import CORE_TYPES

PLATFORM_KEYS = {"name", "description", "clock_us", "npu_ops", "npu_onnx_ops", "speed"}
SPEED_KEYS = tuple(f.name for f in fields(CoreSpeed))


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
    unknown = set(doc) - PLATFORM_KEYS
    if unknown or not {"name", "npu_ops"} <= set(doc):
        raise PrismError(f"{where}: need keys name, npu_ops (optional: clock_us, description, npu_onnx_ops, speed); unknown: {sorted(unknown)}")
    name = doc["name"]
    if not isinstance(name, str) or not name:
        raise PrismError(f"{where}: name must be a non-empty string")
    plat = Platform(
        name,
        _op_types(doc, "npu_ops", where),
        doc.get("clock_us", Platform.clock_us),
        npu_onnx_ops=_op_types(doc, "npu_onnx_ops", where),
        speeds=_speeds(doc.get("speed", {}), where),
    )
    return plat.with_cores(npus=npus, cpus=cpus, clock_us=clock_us)


def _op_types(doc: dict[str, Any], key: str, where: str) -> frozenset[str]:
    ops = doc.get(key, [])
    if not isinstance(ops, list) or not all(isinstance(t, str) and t for t in ops):
        raise PrismError(f"{where}: {key} must be a list of op type names")
    return frozenset(ops)


def _speeds(table: Any, where: str) -> tuple[tuple[str, CoreSpeed], ...]:
    """The `[speed.cpu]` / `[speed.npu]` tables, each with every key of CoreSpeed."""
    if not isinstance(table, dict) or not set(table) <= set(CORE_TYPES):
        raise PrismError(f"{where}: speed must hold the tables [speed.cpu] and/or [speed.npu]")
    speeds = []
    for core, rates in table.items():
        if not isinstance(rates, dict) or set(rates) != set(SPEED_KEYS):
            got = sorted(rates) if isinstance(rates, dict) else rates
            raise PrismError(f"{where}: [speed.{core}] needs exactly the keys {', '.join(SPEED_KEYS)}; got {got}")
        try:
            speeds.append((core, CoreSpeed(**rates)))
        except PrismError as e:
            raise PrismError(f"{where}: [speed.{core}]: {e}") from None
    return tuple(sorted(speeds))
