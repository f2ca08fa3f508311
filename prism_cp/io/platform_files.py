"""Platform files (`platforms/<name>.toml`): name, clock and the layer types
the NPU runs. Core counts are not stored: each run chooses them."""

from __future__ import annotations

import tomllib
from pathlib import Path

from prism_cp.errors import PrismError
from prism_cp.io.bundled import bundled_names, resolve
from prism_cp.io.files import read_text
from prism_cp.platform import Platform

PLATFORM_KEYS = {"name", "description", "clock_us", "npu_ops"}


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
        raise PrismError(f"{where}: need keys name, npu_ops (optional: clock_us, description); unknown: {sorted(unknown)}")
    name, ops = doc["name"], doc["npu_ops"]
    if not isinstance(name, str) or not name:
        raise PrismError(f"{where}: name must be a non-empty string")
    if not isinstance(ops, list) or not all(isinstance(t, str) and t for t in ops):
        raise PrismError(f"{where}: npu_ops must be a list of layer type names")
    plat = Platform(name, frozenset(ops), doc.get("clock_us", Platform.clock_us))
    return plat.with_cores(npus=npus, cpus=cpus, clock_us=clock_us)
