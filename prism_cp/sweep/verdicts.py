"""What the verdict runs of a sweep say together: per workload file and
platform, one verdict per core configuration, and the smallest core counts
that make the mix schedulable."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from prism_cp.errors import PrismError
from prism_cp.steady.verdict import NOT_SCHEDULABLE, SCHEDULABLE, UNKNOWN
from prism_cp.sweep.plot import Cores, column_label

#: a workload file, the SHA-256 of its content, a platform: one grid of configurations
Panel = tuple[str, str, str]
NO_VERDICT = "no verdict"  # every run of the configuration ended in ERROR or FAILED
#: the verdict of a configuration, from the most to the least telling
CELL_VERDICTS = (SCHEDULABLE, NOT_SCHEDULABLE, UNKNOWN, NO_VERDICT)


def minimal_pairs(schedulable: Iterable[Cores]) -> list[Cores]:
    """The Pareto-minimal configurations: those with no other one that has
    as many NPUs and as many CPUs or fewer. Sorted by NPUs."""
    cells = set(schedulable)
    return sorted(a for a in cells if not any(b != a and b[0] <= a[0] and b[1] <= a[1] for b in cells))


def cell_verdict(verdicts: list[str | None], where: str) -> str:
    """The verdict of one configuration over its runs (time limits, seeds):
    a proof either way outranks `unknown`, which outranks no verdict; proofs
    both ways contradict each other (PrismError naming `where`)."""
    found = set(verdicts) - {None}
    if {SCHEDULABLE, NOT_SCHEDULABLE} <= found:
        raise PrismError(f"{where}: the database holds both verdicts, schedulable and not schedulable (a bug in prism_cp: please report it)")
    return next((v for v in CELL_VERDICTS if v in found), NO_VERDICT)


def grids(rows: list[dict[str, Any]]) -> dict[Panel, dict[Cores, str]]:
    """Verdict rows (`Store.verdict_rows`) as one grid per panel, ordered by
    workload file and platform: each swept configuration and its verdict."""
    runs: dict[Panel, dict[Cores, list[str | None]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        runs[r["workload"], r["digest"], r["platform"]][r["npus"], r["cpus"]].append(r["verdict"])
    return {
        panel: {cores: cell_verdict(v, f"{panel[0]} on {panel[2]} with {cores[0]} NPUs and {cores[1]} CPUs") for cores, v in sorted(cells.items())}
        for panel, cells in sorted(runs.items())
    }


def minimal_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One console line per panel: its smallest schedulable core counts."""
    lines = []
    for (workload, _, platform), cells in grids(rows).items():
        least = minimal_pairs(c for c, v in cells.items() if v == SCHEDULABLE)
        pairs = ", ".join(map(column_label, least))
        lines.append(f"[sweep] {workload} on {platform}: " + (f"smallest schedulable core counts {pairs} (N: NPUs, C: CPUs)" if least else "schedulable with none of the core counts swept"))
    return lines
