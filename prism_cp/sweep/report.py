"""What a sweep says when it ends: how many of its runs the database holds,
how many this invocation added, every run that produced no result, and for
verdict runs the smallest schedulable core counts."""

from __future__ import annotations

from typing import Any, Sequence

from prism_cp.sweep.plan import Config
from prism_cp.sweep.state import TROUBLE
from prism_cp.sweep.store import Store
from prism_cp.sweep.verdicts import minimal_lines


def run_label(row: dict[str, Any]) -> str:
    """A run's configuration in a few words: 'xception grai NPU_2.CPU_1 b1 npufirst', 'mix.toml grai NPU_2.CPU_1 verdict'."""
    cores = f"NPU_{row['npus']}.CPU_{row['cpus']}"
    if "digest" in row:
        return f"{row['workload']} {row['platform']} {cores} verdict"
    return f"{row['model']} {row['platform']} {cores} b{row['batches']} {row['algorithm']}"


def report_lines(configs: Sequence[Config], store: Store, new: int) -> list[str]:
    """The summary line (a re-run of a finished sweep stores nothing new but
    still holds every run: '8 of the sweep's 8 runs stored ..., 0 new'), one
    line per run of the sweep that FAILED or hit an ERROR, then per workload
    file and platform of its verdict runs the smallest schedulable core counts."""
    keys = {c.key for c in configs}
    verdicts = [r for r in store.verdict_rows() if r["key"] in keys]
    mine = [r for r in store.rows() if r["key"] in keys] + verdicts
    bad = [r for r in mine if r["status"] in TROUBLE]
    lines = [f"[sweep] {len(mine)} of the sweep's {len(keys)} runs stored in {store.path}, {new} new; {len(bad)} of them FAILED or ERROR"]
    return lines + [f"[sweep] {r['status']}: {run_label(r)}: {r['error']}" for r in bad] + minimal_lines(verdicts)
