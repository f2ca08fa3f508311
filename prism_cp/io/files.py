"""File access for every format: atomic writes (a reader sees the old file or
the new one, never half of one) and reads that refuse anything but a regular
file (a device or a named pipe would otherwise block or never end)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prism_cp.errors import PrismError

NEW_FILE_MODE = 0o644


def read_file(path: str | Path, what: str) -> bytes:
    """The bytes of the regular file `path`; PrismError naming `what` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise PrismError(f"{what} {path} {'is not a regular file' if path.exists() else 'does not exist'}")
    try:
        return path.read_bytes()
    except OSError as e:
        raise PrismError(f"cannot read {what} {path}: {e.strerror or e}") from None


def read_text(path: str | Path, what: str) -> str:
    """`read_file` decoded as UTF-8; PrismError naming `what` if it is not text."""
    return as_text(read_file(path, what), path, what)


def as_text(data: bytes, path: str | Path, what: str) -> str:
    """The bytes of the `what` at `path` decoded as UTF-8; PrismError if they are not text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PrismError(f"{what} {path} is not UTF-8 text: {e}") from None


def output_path(path: str | Path, suffixes: tuple[str, ...], what: str) -> Path:
    """`path` if a `what` can be written there: its suffix is one of `suffixes`
    (the format is chosen by it) and its directory exists. Checked before any
    work, so that a long run does not fail at its very end."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise PrismError(f"cannot write a {what} to {path}: the file name must end in {', '.join(suffixes)}")
    if not path.parent.is_dir():
        raise PrismError(f"cannot write a {what} to {path}: directory {path.parent} does not exist")
    return path


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write `data` (str is UTF-8 encoded) to `path` atomically and durably.

    The bytes go to a temporary file in the same directory, which is flushed,
    fsynced and then renamed over `path` with `os.replace`, so an interrupted
    run never leaves a truncated result behind. Parent directories are created.
    An existing file keeps its permission bits; a new one gets 0644.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
