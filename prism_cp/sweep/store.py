"""The sweep results database: SQLite (stdlib), one row per run keyed by its
configuration, each result committed as soon as it arrives.

The file carries SQLite's application id and a schema version, so that a file
of another kind, another schema version or a damaged one is refused with a
message instead of being misread or overwritten. Columns added since version 1
(ADDED_COLUMNS) are added to older files when they are opened: their runs read
back with those columns null, and an older prism_cp still reads and writes the
file, naming its columns. Verdict runs (`VerdictConfig`) have a table of their
own, `verdicts`, likewise created in older files when opened (an older
prism_cp does not see it), so model runs keep their rows as they were.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import fields
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io import atomic_write
from prism_cp.sweep.plan import RunConfig, VerdictConfig
from prism_cp.sweep.state import FINISHED, VERDICT_FINISHED

APPLICATION_ID = 0x50524953  # "PRIS": marks the file as a prism_cp sweep database
SCHEMA_VERSION = 1
CONFIG_COLUMNS = tuple(f.name for f in fields(RunConfig))
RESULT_COLUMNS = ("makespan_us", "lower_bound_us", "gap", "status", "wall_s", "schedule_path", "prism_cp_version", "error", "energy_uj")
#: column -> its SQL type, for each column added to `runs` after the first release of version 1
ADDED_COLUMNS = {"energy_uj": "REAL"}
COLUMNS = ("key", *CONFIG_COLUMNS, *RESULT_COLUMNS)
VERDICT_CONFIG_COLUMNS = tuple(f.name for f in fields(VerdictConfig))
VERDICT_RESULT_COLUMNS = ("workload_name", "verdict", "reason", "hyperperiod_us", "misses", "status", "wall_s", "schedule_path", "prism_cp_version", "error")
VERDICT_COLUMNS = ("key", *VERDICT_CONFIG_COLUMNS, *VERDICT_RESULT_COLUMNS)
#: the CSV export: every column of both tables, those of model runs first
CSV_COLUMNS = (*COLUMNS, "finished_at", *(c for c in VERDICT_COLUMNS if c not in COLUMNS))

_VERDICTS = """CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY,
    workload TEXT NOT NULL, digest TEXT NOT NULL, platform TEXT NOT NULL, npus INTEGER NOT NULL, cpus INTEGER NOT NULL,
    seed INTEGER NOT NULL, time_limit REAL NOT NULL,
    workload_name TEXT, verdict TEXT, reason TEXT, hyperperiod_us REAL, misses INTEGER,
    status TEXT NOT NULL, wall_s REAL, schedule_path TEXT, prism_cp_version TEXT NOT NULL, error TEXT,
    finished_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""

#: the tables of the first release of version 1; `Store._upgrade` adds the rest, to a new file as to an old one
_SCHEMA = f"""
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL, platform TEXT NOT NULL, npus INTEGER NOT NULL, cpus INTEGER NOT NULL,
    batches INTEGER NOT NULL, algorithm TEXT NOT NULL, seed INTEGER NOT NULL, time_limit REAL,
    makespan_us REAL, lower_bound_us REAL, gap REAL, status TEXT NOT NULL, wall_s REAL,
    schedule_path TEXT, prism_cp_version TEXT NOT NULL, error TEXT,
    finished_at TEXT NOT NULL DEFAULT (datetime('now'))
);
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {SCHEMA_VERSION};
"""


class Store:
    """An open sweep database. Only the process that drives the sweep writes."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise PrismError(f"no sweep database at {self.path}")
        if self.path.exists() and not self.path.is_file():
            raise PrismError(f"sweep database {self.path} is not a regular file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)  # autocommit: each put is durable at once
            self._check_or_create(create)
        except sqlite3.DatabaseError as e:
            raise PrismError(f"{self.path} is not a readable prism-cp sweep database ({e}); move it away or choose another --db") from None

    def _check_or_create(self, create: bool) -> None:
        self.db.execute("BEGIN IMMEDIATE")  # two sweeps creating one file: the second waits, then finds it made
        try:
            app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if app_id == 0 and not tables:
                if not create:
                    raise PrismError(f"no sweep database at {self.path} (the file is empty)")
                from prism_cp import __version__

                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self.db.execute(statement)
                self.db.execute("INSERT INTO meta VALUES ('created_by', ?)", (f"prism_cp {__version__}",))
        finally:
            self.db.execute("COMMIT")
        if app_id != 0 or tables:
            self._check(app_id, version, tables)
        self._upgrade()

    def _check(self, app_id: int, version: int, tables: set[str]) -> None:
        """Refuse a file that is not a sweep database of this schema version, or is damaged."""
        if app_id != APPLICATION_ID:
            raise PrismError(f"{self.path} is an SQLite database but not a prism-cp sweep database; choose another --db")
        if version != SCHEMA_VERSION:
            created = self.db.execute("SELECT value FROM meta WHERE name = 'created_by'").fetchone()
            raise PrismError(
                f"{self.path} holds sweep results in schema version {version} (written by {created[0] if created else 'an unknown version'}); "
                f"this prism_cp reads version {SCHEMA_VERSION}: use the prism_cp that wrote it, or another --db"
            )
        problems = [r[0] for r in self.db.execute("PRAGMA quick_check")]
        if problems != ["ok"] or not {"meta", "runs"} <= tables:
            raise PrismError(f"{self.path} is damaged ({'; '.join(problems[:3]) or 'tables missing'}); move it away or choose another --db")

    def _upgrade(self) -> None:
        """Add the ADDED_COLUMNS and the verdicts table that a new file or one
        written before them lacks (in one transaction: two sweeps opening it
        at once add each once)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            have = {r[1] for r in self.db.execute("PRAGMA table_info(runs)")}
            for name, kind in ADDED_COLUMNS.items():
                if name not in have:
                    self.db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
            self.db.execute(_VERDICTS)
        finally:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finished(self) -> set[str]:
        """Keys of the runs (of both kinds) a resumed sweep skips."""
        keys: set[str] = set()
        for table, done in (("runs", FINISHED), ("verdicts", VERDICT_FINISHED)):
            keys |= {r[0] for r in self.db.execute(f"SELECT key FROM {table} WHERE status IN ({','.join('?' * len(done))})", done)}
        return keys

    def put(self, row: dict[str, Any]) -> None:
        """Record one run of either kind (replacing an earlier FAILED attempt of the same key), committed at once."""
        table, columns = ("verdicts", VERDICT_COLUMNS) if "digest" in row else ("runs", COLUMNS)
        self.db.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", [row[c] for c in columns])

    def rows(self) -> list[dict[str, Any]]:
        """Every model run, in the order they finished."""
        return self._select("runs", COLUMNS)

    def verdict_rows(self) -> list[dict[str, Any]]:
        """Every verdict run, in the order they finished."""
        return self._select("verdicts", VERDICT_COLUMNS)

    def _select(self, table: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        cur = self.db.execute(f"SELECT {', '.join(columns)}, finished_at FROM {table} ORDER BY rowid")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur]


def export_csv(store: Store, path: str | Path) -> int:
    """Write one CSV row per run (header first) atomically, the model runs
    then the verdict runs, each leaving the other kind's columns empty; the
    number of rows."""
    if Path(path).resolve() == store.path.resolve():
        raise PrismError(f"--export {path} would overwrite the sweep database itself")
    rows = store.rows() + store.verdict_rows()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, buf.getvalue())
    return len(rows)
