"""What a sweep says when it ends: how many of its runs the database holds,
how many this invocation added, and every run that produced no schedule."""

from __future__ import annotations

from prism_cp.sweep.plan import RunConfig
from prism_cp.sweep.state import RunState
from prism_cp.sweep.store import Store


def report_lines(configs: list[RunConfig], store: Store, new: int) -> list[str]:
    """The summary line (a re-run of a finished sweep stores nothing new but
    still holds every run: '8 of the sweep's 8 runs stored ..., 0 new'), then
    one line per run of the sweep that FAILED or hit an ERROR."""
    keys = {c.key for c in configs}
    mine = [r for r in store.rows() if r["key"] in keys]
    bad = [r for r in mine if r["status"] in tuple(RunState)]
    lines = [f"[sweep] {len(mine)} of the sweep's {len(keys)} runs stored in {store.path}, {new} new; {len(bad)} of them FAILED or ERROR"]
    return lines + [
        f"[sweep] {r['status']}: {r['model']} {r['platform']} NPU_{r['npus']}.CPU_{r['cpus']} b{r['batches']} {r['algorithm']}: {r['error']}" for r in bad
    ]
