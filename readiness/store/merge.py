"""One crawl store from the shards the workers of a distributed run wrote.

Shards share one URL id space (readiness/crawl/distributed.py), so merging is copying: a
URL row is the same in every shard that has it, every page was parsed by exactly one
worker, and a fact written by two workers (a host's robots.txt) is the same fact. The
result is an ordinary store, analysed like any other.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from readiness.store.sqlite import (
    COLUMNS,
    SCHEMA_VERSION,
    TABLE_ORDER,
    indexes_sql,
    insert_verb,
    remove_store_files,
    schema_sql,
)

logger = logging.getLogger(__name__)
# Meta keys every shard of a run has the same value for.
RUN_META_KEYS = ("start_url", "seed_urls", "site_hosts", "config", "config_file",
                 "readiness_version")


def merge_run(shard_dir: Path, workers: list[str], target: Path, run_id: str) -> int:
    """Merge the shards of ``workers`` (``<shard_dir>/<worker>.sqlite``) into ``target``,
    with the run's meta: how it ended is the least finished of its shards. Returns how many
    shards were merged."""
    shards = [shard_dir / f"{worker}.sqlite" for worker in workers]
    missing = [path.name for path in shards if not path.is_file()]
    if missing:
        logger.error("run %s: shard(s) %s not under %s (workers on other machines need a "
                     "shared run folder); the merged store lacks their facts",
                     run_id, ", ".join(missing), shard_dir)
    shards = [path for path in shards if path.is_file()]
    metas = [shard_meta(path) for path in shards]
    # A shard still "running" belongs to a worker that was killed: what it had taken from
    # the queue was never fetched.
    reasons = ["worker-lost" if m.get("finish_reason") == "running" else m.get("finish_reason")
               for m in metas]
    # A shard that is not there took its worker's facts with it, as a killed worker's did:
    # the run did not finish, whatever the shards that are there say.
    reason = next((r for r in reasons if r != "finished"),
                  "shard-missing" if missing else "finished")
    limits = sorted({limit for meta in metas for limit in meta.get("limits_hit") or []})
    first = metas[0] if metas else {}
    merge_shards(shards, target, {
        **{key: first.get(key) for key in RUN_META_KEYS},
        "run_id": run_id,
        "workers": workers,
        "started_at": min((m.get("started_at") for m in metas), default=time.time()),
        "finished_at": time.time(),
        "finish_reason": reason,
        "complete": reason == "finished" and not limits,
        "limits_hit": limits,
        "stats": combined_stats(metas),
    })
    return len(shards)


def shard_meta(path: Path) -> dict[str, Any]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM meta")}


def merge_shards(shards: list[Path], target: Path, meta: dict[str, Any]) -> None:
    """Write ``target`` (replacing it) from ``shards``, with ``meta`` as its meta table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_store_files(target)
    db = sqlite3.connect(target, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema_sql())
        db.execute("BEGIN")
        for shard in shards:
            db.execute("ATTACH DATABASE ? AS shard", (str(shard),))
            for table in TABLE_ORDER:
                columns = ", ".join(COLUMNS[table])
                db.execute(f"{insert_verb(table)} INTO main.{table} ({columns}) "
                           f"SELECT {columns} FROM shard.{table}")
            db.execute("COMMIT")  # DETACH is not allowed inside a transaction
            db.execute("DETACH DATABASE shard")
            db.execute("BEGIN")
        for key, value in {"schema_version": SCHEMA_VERSION, **meta}.items():
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                       (key, json.dumps(value)))
        db.execute("COMMIT")
        db.executescript(indexes_sql())
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
