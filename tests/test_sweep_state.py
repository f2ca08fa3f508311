"""A sweep run's own states (FAILED, ERROR) are not solver outcomes; the
status column keeps the values databases have always held; the end-of-sweep
report counts the runs the database holds, not only the new ones."""

from __future__ import annotations

import sqlite3

from prism_cp.schedule import Status
from prism_cp.sweep import Store, plan, run_config
from prism_cp.sweep.report import report_lines
from prism_cp.sweep.run import empty_result
from prism_cp.sweep.state import FINISHED, RunState
from prism_cp.sweep.store import COLUMNS

CONFIGS = plan(["xception"], ["grai"], [1, 2], [1], [1], ["npufirst"])


def test_run_states_are_their_own_type_apart_from_solver_outcomes():
    assert not {s.value for s in RunState} & {s.value for s in Status}
    assert not isinstance(RunState.FAILED, Status) and not issubclass(RunState, Status)


def test_a_finished_run_stores_the_solver_status_as_plain_text(tmp_path):
    row = run_config(CONFIGS[0], str(tmp_path))
    assert type(row["status"]) is str and Status(row["status"]) in (Status.OPTIMAL, Status.FEASIBLE)
    failed = empty_result(RunState.FAILED, "why")
    assert type(failed["status"]) is str and failed["status"] == "FAILED"


def test_a_database_written_with_the_old_status_texts_still_reads(tmp_path):
    """Rows inserted as text, as earlier versions wrote them: finished is what it was."""
    db = tmp_path / "s.db"
    Store(db).close()
    with sqlite3.connect(db) as raw:
        for k, status in enumerate(("OPTIMAL", "FEASIBLE", "ERROR", "FAILED")):
            values = {c: None for c in COLUMNS} | {"key": f"k{k}", "model": "m", "platform": "p", "npus": 1, "cpus": 1, "batches": 1,
                                                   "algorithm": "a", "seed": 42, "status": status, "prism_cp_version": "0.1"}
            raw.execute(f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", [values[c] for c in COLUMNS])
    with Store(db, create=False) as store:
        assert store.finished() == {"k0", "k1", "k2"}
        assert [r["status"] for r in store.rows()] == ["OPTIMAL", "FEASIBLE", "ERROR", "FAILED"]
    assert set(FINISHED) == {"OPTIMAL", "FEASIBLE", "ERROR"}


def test_the_report_counts_the_runs_held_and_the_new_ones_and_lists_failures(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.put(run_config(CONFIGS[0], str(tmp_path)))
        store.put({"key": CONFIGS[1].key, **vars(CONFIGS[1]), "prism_cp_version": "x"} | empty_result(RunState.FAILED, "its worker process died"))
        first, failure = report_lines(CONFIGS, store, new=0)
    assert first == f"[sweep] 2 of the sweep's 2 runs stored in {tmp_path / 's.db'}, 0 new; 1 of them FAILED or ERROR"
    assert failure == "[sweep] FAILED: xception grai NPU_2.CPU_1 b1 npufirst: its worker process died"
