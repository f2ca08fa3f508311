"""The sweep database: rows survive reopening, finished runs are known, and a
file of another kind, version or a damaged one is refused with a clear error."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from prism_cp import PrismError
from prism_cp.sweep import RunConfig, Store, export_csv
from prism_cp.sweep.run import empty_result
from prism_cp.sweep.state import RunState
from prism_cp.sweep.store import COLUMNS


def row(config: RunConfig, status: str = "FEASIBLE", makespan: float | None = 0.1 + 0.2) -> dict:
    return {"key": config.key, **vars(config), "prism_cp_version": "x"} | empty_result(RunState.FAILED, None, 1.5) | {"status": status, "makespan_us": makespan}


A = RunConfig("xception", "grai", 4, 2, 16, "npufirst")
B = RunConfig("xception", "grai", 4, 2, 16, "cpsat", 42, 30.0)


def test_rows_survive_reopening_and_failed_runs_are_not_finished(tmp_path):
    db = tmp_path / "sub" / "sweep.db"
    with Store(db) as store:
        store.put(row(A))
        store.put(row(B, "FAILED", None))
    with Store(db, create=False) as store:
        assert store.finished() == {A.key}
        assert [r["key"] for r in store.rows()] == [A.key, B.key]
        store.put(row(B))  # the retry replaces the failed attempt
        assert store.finished() == {A.key, B.key}
        assert len(store.rows()) == 2
        assert store.rows()[0]["makespan_us"] == 0.1 + 0.2


def test_export_csv_one_row_per_run_floats_exact(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.put(row(A))
        store.put(row(B, "ERROR", None))
        assert export_csv(store, tmp_path / "out.csv") == 2
        with pytest.raises(PrismError, match="would overwrite the sweep database"):
            export_csv(store, tmp_path / "s.db")
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["algorithm"] for r in rows] == ["npufirst", "cpsat"]
    assert list(rows[0])[: len(COLUMNS)] == list(COLUMNS)
    assert float(rows[0]["makespan_us"]) == 0.1 + 0.2
    assert rows[1]["status"] == "ERROR" and rows[1]["makespan_us"] == ""


def test_a_missing_or_empty_database_when_only_reading(tmp_path):
    with pytest.raises(PrismError, match="no sweep database at"):
        Store(tmp_path / "none.db", create=False)
    (tmp_path / "empty.db").touch()
    with pytest.raises(PrismError, match="no sweep database at .* \\(the file is empty\\)"):
        Store(tmp_path / "empty.db", create=False)


def test_a_corrupted_file_is_refused(tmp_path):
    db = tmp_path / "s.db"
    db.write_bytes(b"this is not SQLite at all" * 100)
    with pytest.raises(PrismError, match="is not a readable prism-cp sweep database"):
        Store(db)
    assert db.read_bytes().startswith(b"this is not SQLite")  # left untouched


def test_a_truncated_database_is_refused(tmp_path):
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.db.execute("BEGIN")  # one transaction: 300 separately committed puts take seconds
        for k in range(300):
            store.put(row(RunConfig("xception", "grai", 4, 2, k + 1, "npufirst")))
        store.db.execute("COMMIT")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with pytest.raises(PrismError, match="damaged|not a readable"):
        Store(db)


def test_another_sqlite_database_is_refused(tmp_path):
    db = tmp_path / "other.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(PrismError, match="not a prism-cp sweep database"):
        Store(db)


def test_another_schema_version_is_refused(tmp_path):
    db = tmp_path / "s.db"
    Store(db).close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.execute("UPDATE meta SET value = 'prism_cp 9.9' WHERE name = 'created_by'")
    con.commit()
    con.close()
    with pytest.raises(PrismError, match="schema version 99 \\(written by prism_cp 9.9\\); this prism_cp reads version 1"):
        Store(db)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(PrismError, match="is not a regular file"):
        Store(tmp_path)
