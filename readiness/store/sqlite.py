"""Write a crawl into SQLite in batches as facts stream in.

The crawl calls ``add(record)`` for every fact (the records are declared in records.py, and the
schema with them); rows wait in small per-table buffers and are written
with ``executemany`` and committed every ``batch_rows`` rows or ``flush_seconds`` seconds,
whichever comes first. So memory does not grow with the site, and an interrupted crawl
(Ctrl-C, a kill) leaves a consistent store holding everything up to the last commit: SQLite's
WAL journal makes each commit atomic.

The store also owns the URL index (URL -> integer id) that every other table refers to.
Whether a URL was already fetched, skipped or probed is the spider's decided-set, indexed by
these ids.
"""

from __future__ import annotations

import json
import sqlite3
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable

from readiness.store.records import (
    BY_TABLE,
    RECORDS,
    SCHEMA_VERSION,
    Meta,
    Record,
    columns,
    row_values,
    schema_sql,
)

# The meta table is written by set_meta (key by key), every other one in batches.
COLUMNS: dict[str, tuple[str, ...]] = {cls.table: columns(cls) for cls in RECORDS
                                       if cls is not Meta}
# urls first: every other row refers to url ids.
TABLE_ORDER = tuple(COLUMNS)
_VERBS = {"replace": "INSERT OR REPLACE", "ignore": "INSERT OR IGNORE", None: "INSERT"}


def indexes_sql() -> str:
    """The indexes, built when a crawl closes (or a store is opened for analysis)."""
    return resources.files("readiness.store").joinpath("indexes.sql").read_text(encoding="utf-8")


def insert_verb(table: str) -> str:
    """How a row is written: its record's ``conflict`` (a later fact about the same key
    replaces the earlier one; a URL row is the same wherever it comes from)."""
    return _VERBS[BY_TABLE[table].conflict]


def remove_store_files(path: str | Path) -> None:
    """A store file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _statement(table: str) -> str:
    columns = COLUMNS[table]
    return (f"{insert_verb(table)} INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


class SQLiteCrawlStore:
    """The writer side of a crawl store."""

    def __init__(self, path: str | Path, batch_rows: int = 5000, flush_seconds: float = 1.0,
                 assign_id: Callable[[str], int] | None = None) -> None:
        self.path = Path(path)
        # Where new URL ids come from: this store's own counter, or (a distributed run's
        # shard) the run's shared id space, so every shard speaks the same ids.
        self._assign_id = assign_id
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self._ids: dict[str, int] = {}
        self._buffers: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
        self._statements = {table: _statement(table) for table in COLUMNS}
        self._pending = 0
        self._last_flush = time.monotonic()
        self._db: sqlite3.Connection | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def open(self, meta: dict[str, Any] | None = None, fresh: bool = False) -> None:
        """Open (creating) the store; ``fresh`` replaces a store already at this path, so a
        new crawl into an old run folder never mixes with the old crawl's facts."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            remove_store_files(self.path)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a crashed process (not a power cut), at a
        # fraction of FULL's fsync cost.
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(schema_sql())
        self._db = db
        # Reopening an existing store: rebuild the URL index so ids stay stable.
        for url_id, url in db.execute("SELECT id, url FROM urls"):
            self._ids[url] = url_id
        self.set_meta("schema_version", SCHEMA_VERSION)
        for key, value in (meta or {}).items():
            self.set_meta(key, value)

    def close(self, meta: dict[str, Any] | None = None) -> None:
        if self._db is None:
            return
        for key, value in (meta or {}).items():
            self.set_meta(key, value)
        self.flush()
        self._db.executescript(indexes_sql())
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
        self._db = None

    # -- the URL index -----------------------------------------------------------------------

    def intern(self, url: str, internal: bool) -> int:
        """The id of ``url``, given one (and a ``urls`` row) the first time."""
        url_id = self._ids.get(url)
        if url_id is not None:
            return url_id
        url_id = self._assign_id(url) if self._assign_id is not None else len(self._ids) + 1
        self._ids[url] = url_id
        self._add("urls", (url_id, url, 1 if internal else 0))
        return url_id

    def url_id(self, url: str) -> int | None:
        return self._ids.get(url)

    def know(self, url: str, url_id: int, internal: bool) -> None:
        """Record ``url`` under the id another worker of a distributed run gave it, so this
        shard can name what it fetched (the quiet re-measurement reads URLs from the shard)."""
        if url not in self._ids:
            self._ids[url] = url_id
            self._add("urls", (url_id, url, 1 if internal else 0))

    # -- facts -------------------------------------------------------------------------------

    def add(self, record: Record | str, row: dict[str, Any] | None = None) -> None:
        """Queue one record (``add(Fetch(...))``).

        ``add(table, {column: value})`` is the same in the table's own column names (missing
        columns are NULL; dicts and lists are stored as JSON, strings as they are), for
        callers that copy rows they read back from the store.
        """
        if row is None:
            self._add(record.table, row_values(record))
            return
        unknown = set(row) - set(COLUMNS[record])
        if unknown:
            raise KeyError(f"{record} has no column {', '.join(sorted(unknown))}")
        self._add(record, tuple(_sql_value(row.get(column)) for column in COLUMNS[record]))

    def add_all(self, records: Iterable[Record]) -> None:
        """Queue records of any tables."""
        for record in records:
            self._add(record.table, row_values(record))

    def add_many(self, table: str, rows: list[tuple]) -> None:
        """Queue rows already encoded in the table's column order (its record's field order):
        the hot path for link edges, which skips building a record per edge."""
        if rows:
            self._buffers[table].extend(rows)
            self._pending += len(rows)
            self._maybe_flush()

    def query(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        """Read back what this crawl wrote (queued rows are written first)."""
        self.flush()
        return self._db.execute(sql, params)

    def set_meta(self, key: str, value: Any) -> None:
        if self._db is None:
            raise RuntimeError("store is not open")
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
        )

    def _add(self, table: str, row: tuple) -> None:
        self._buffers[table].append(row)
        self._pending += 1
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._pending >= self.batch_rows or (
            time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending or self._db is None:
            return
        db = self._db
        db.execute("BEGIN")
        try:
            for table in TABLE_ORDER:
                rows = self._buffers[table]
                if rows:
                    db.executemany(self._statements[table], rows)
                    rows.clear()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._pending = 0


def _sql_value(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value
