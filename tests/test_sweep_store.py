"""The sweep database: rows survive reopening, finished runs are known, a file
written before the energy column or the verdicts table gains it, the CSV
holds both kinds of run, and a file of another kind, version or a damaged one
is refused with a clear error."""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import replace

import pytest

from prism_cp import PrismError
from prism_cp.sweep import RunConfig, Store, VerdictConfig, export_csv
from prism_cp.sweep.run import empty_result, empty_verdict
from prism_cp.sweep.state import RunState
from prism_cp.sweep.store import APPLICATION_ID, COLUMNS, CSV_COLUMNS, VERDICT_COLUMNS


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


#: the table of version 1 as first released, before `energy_uj`
OLD_RUNS = """CREATE TABLE runs (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL, platform TEXT NOT NULL, npus INTEGER NOT NULL, cpus INTEGER NOT NULL,
    batches INTEGER NOT NULL, algorithm TEXT NOT NULL, seed INTEGER NOT NULL, time_limit REAL,
    makespan_us REAL, lower_bound_us REAL, gap REAL, status TEXT NOT NULL, wall_s REAL,
    schedule_path TEXT, prism_cp_version TEXT NOT NULL, error TEXT,
    finished_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""


def old_database(path) -> None:
    """A sweep database as the first release of version 1 wrote it, with run A in it."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.execute(OLD_RUNS)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO meta VALUES ('created_by', 'prism_cp 0.1')")
    old = [c for c in COLUMNS if c != "energy_uj"]
    con.execute(f"INSERT INTO runs ({', '.join(old)}) VALUES ({', '.join('?' * len(old))})", [row(A)[c] for c in old])
    con.commit()
    con.close()


def test_a_database_written_before_the_energy_column_gains_it_and_keeps_its_runs(tmp_path):
    db = tmp_path / "old.db"
    old_database(db)
    with Store(db, create=False) as store:
        [a] = store.rows()
        assert a["key"] == A.key and a["makespan_us"] == 0.1 + 0.2 and a["energy_uj"] is None
        store.put(row(B) | {"energy_uj": 1 / 3})
    with Store(db) as store:  # opening it again adds nothing twice
        assert [r["energy_uj"] for r in store.rows()] == [None, 1 / 3]
        assert export_csv(store, tmp_path / "out.csv") == 2
    with sqlite3.connect(db) as con:
        assert [r[1] for r in con.execute("PRAGMA table_info(runs)")].count("energy_uj") == 1
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert rows[0]["energy_uj"] == "" and float(rows[1]["energy_uj"]) == 1 / 3


def test_a_new_database_has_the_energy_column_where_a_migrated_one_does(tmp_path):
    Store(tmp_path / "new.db").close()
    old_database(tmp_path / "old.db")
    Store(tmp_path / "old.db").close()
    columns = []
    for name in ("new.db", "old.db"):
        with sqlite3.connect(tmp_path / name) as con:
            columns.append([r[1:3] for r in con.execute("PRAGMA table_info(runs)")])
    assert columns[0] == columns[1] and columns[0][-1] == ("energy_uj", "REAL")


V = VerdictConfig("mix.toml", "ab" * 32, "grai", 2, 1, 42, 10.0)


def verdict_row(config: VerdictConfig, verdict: str | None = "schedulable") -> dict:
    return {"key": config.key, **vars(config), "prism_cp_version": "x"} | empty_verdict(RunState.DONE, None, 2.5) | {
        "workload_name": "a+b", "verdict": verdict, "reason": "why", "hyperperiod_us": 1 / 3, "misses": 0, "schedule_path": "w.json"}


def test_a_database_written_before_verdicts_gains_their_table_and_keeps_its_runs_as_they_were(tmp_path):
    db = tmp_path / "old.db"
    old_database(db)
    with sqlite3.connect(db) as con:
        before = con.execute("SELECT * FROM runs").fetchall()
    with Store(db, create=False) as store:
        assert store.verdict_rows() == []
        store.put(verdict_row(V))
        store.put(verdict_row(replace(V, npus=1), None) | {"status": "FAILED"})
        assert store.finished() == {A.key, V.key}  # a FAILED verdict run is run again
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT * FROM runs").fetchall() == [(*before[0], None)]  # the old row, energy_uj added empty
        assert con.execute("SELECT workload, digest, verdict, hyperperiod_us FROM verdicts WHERE status = 'DONE'").fetchall() == [("mix.toml", "ab" * 32, "schedulable", 1 / 3)]
    with Store(db) as store:  # opening it again adds nothing twice
        assert [r["key"] for r in store.verdict_rows()] == [V.key, replace(V, npus=1).key]


def test_the_csv_holds_model_runs_then_verdict_runs_each_leaving_the_others_columns_empty(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.put(verdict_row(V))
        store.put(row(A))
        assert export_csv(store, tmp_path / "out.csv") == 2
    model, verdict = csv.DictReader((tmp_path / "out.csv").open())
    assert list(model) == list(CSV_COLUMNS) and list(CSV_COLUMNS)[: len(COLUMNS)] == list(COLUMNS)
    assert set(CSV_COLUMNS) == {*COLUMNS, *VERDICT_COLUMNS, "finished_at"}
    assert model["key"] == A.key and model["algorithm"] == "npufirst" and model["verdict"] == model["workload"] == ""
    assert verdict["key"] == V.key and verdict["model"] == verdict["batches"] == verdict["makespan_us"] == ""
    assert (verdict["workload"], verdict["npus"], verdict["verdict"], float(verdict["hyperperiod_us"]), verdict["status"]) == ("mix.toml", "2", "schedulable", 1 / 3, "DONE")
