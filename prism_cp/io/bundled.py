"""Where the bundled data files live: the top-level `models/`, `extime/` and
`platforms/` folders of a source checkout, which a wheel installs as
`prism_cp/_data/<kind>/` (see the package-dir mapping in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

from prism_cp.errors import PrismError

#: kind -> (file suffix, what a user calls one)
KINDS: dict[str, tuple[str, str]] = {
    "models": (".json", "model"),
    "extime": (".csv", "execution time table"),
    "platforms": (".toml", "platform"),
}
_PACKAGE = Path(__file__).resolve().parent.parent


def data_dir(kind: str) -> Path:
    """The folder holding the bundled files of `kind` ('models', 'extime', 'platforms')."""
    installed = _PACKAGE / "_data" / kind
    return installed if installed.is_dir() else _PACKAGE.parent / kind


def bundled_names(kind: str) -> tuple[str, ...]:
    """Names (file stems) of the bundled files of `kind`, sorted."""
    folder = data_dir(kind)
    return tuple(sorted(p.stem for p in folder.glob(f"*{KINDS[kind][0]}"))) if folder.is_dir() else ()


def bundled_file(kind: str, name: str) -> Path:
    """The bundled file of `kind` called `name`; PrismError listing the valid names if none."""
    suffix, label = KINDS[kind]
    path = data_dir(kind) / f"{name}{suffix}"
    if not path.is_file():
        valid = ", ".join(bundled_names(kind)) or "none"
        raise PrismError(f"no bundled {label} named {name!r}; choose one of: {valid} (or give a path to a {suffix} file)")
    return path


def resolve(kind: str, name_or_path: str | Path) -> Path:
    """A user's argument as a file: a Path, or a string with a separator or the
    kind's suffix, is a file path; anything else is a bundled name."""
    suffix, label = KINDS[kind]
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith(suffix):
        path = Path(name_or_path)
        if not path.is_file():
            raise PrismError(f"{label} file {text} does not exist")
        return path
    return bundled_file(kind, text)
