"""Progress lines: what long-running solvers say while they work."""

from __future__ import annotations

from typing import Callable

#: receives one line at a time (the CLI prints it; a GUI could show it)
Progress = Callable[[str], None]


class ProgressLog:
    """A Progress that keeps every line (for `Result.log`) and forwards it to an
    optional listener, so a run's log survives whether or not anyone watched."""

    def __init__(self, listener: Progress | None = None) -> None:
        self.lines: list[str] = []
        self.listener = listener

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        if self.listener:
            self.listener(line)
