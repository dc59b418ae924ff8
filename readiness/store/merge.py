"""One crawl store from the shards the workers of a distributed run wrote.

Shards share one URL id space (readiness/crawl/distributed.py), so merging is copying: a
URL row is the same in every shard that has it, every page was parsed by exactly one
worker, and a fact written by two workers (a host's robots.txt) is the same fact. The
result is an ordinary store, analysed like any other.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from readiness.store.sqlite import COLUMNS, REPLACED_TABLES, SCHEMA_VERSION, TABLE_ORDER, schema_sql


def shard_meta(path: Path) -> dict[str, Any]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM meta")}


def merge_shards(shards: list[Path], target: Path, meta: dict[str, Any]) -> None:
    """Write ``target`` (replacing it) from ``shards``, with ``meta`` as its meta table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(target, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema_sql("schema.sql"))
        db.execute("BEGIN")
        for shard in shards:
            db.execute("ATTACH DATABASE ? AS shard", (str(shard),))
            for table in TABLE_ORDER:
                columns = ", ".join(COLUMNS[table])
                verb = ("INSERT OR IGNORE" if table == "urls"
                        else "INSERT OR REPLACE" if table in REPLACED_TABLES else "INSERT")
                db.execute(f"{verb} INTO main.{table} ({columns}) "
                           f"SELECT {columns} FROM shard.{table}")
            db.execute("COMMIT")  # DETACH is not allowed inside a transaction
            db.execute("DETACH DATABASE shard")
            db.execute("BEGIN")
        for key, value in {"schema_version": SCHEMA_VERSION, **meta}.items():
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                       (key, json.dumps(value)))
        db.execute("COMMIT")
        db.executescript(schema_sql("indexes.sql"))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def combined_stats(metas: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' counters added up (numbers); other values from the first that has one."""
    total: dict[str, Any] = {}
    for meta in metas:
        for key, value in (meta.get("stats") or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if key.startswith(("memusage/", "elapsed_time")):
                    total[key] = max(total.get(key, value), value)
                else:
                    total[key] = total.get(key, 0) + value
            else:
                total.setdefault(key, value)
    return total
