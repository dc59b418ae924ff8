"""Cross-run cache of successful probe results, so a weekly crawl does not hammer the same
outside hosts. Only ok/redirected results are cached; errors are always re-checked."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from readiness.probe.verdicts import CACHEABLE


class ProbeCache:
    """Opened on first use: a crawl that probes nothing leaves no cache file behind."""

    def __init__(self, path: str | Path, ttl_hours: float) -> None:
        self.ttl_seconds = ttl_hours * 3600
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._closed = False

    def _connection(self) -> sqlite3.Connection | None:
        if self._db is None and self.ttl_seconds > 0 and not self._closed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS probe_cache (url TEXT PRIMARY KEY, verdict TEXT, "
                "status INTEGER, method TEXT, final_url TEXT, hops TEXT, checked_at REAL)"
            )
        return self._db

    def get(self, url: str) -> dict[str, Any] | None:
        db = self._connection()
        if db is None:
            return None
        row = db.execute(
            "SELECT verdict, status, method, final_url, hops, checked_at FROM probe_cache "
            "WHERE url = ? AND checked_at >= ?", (url, time.time() - self.ttl_seconds),
        ).fetchone()
        if row is None:
            return None
        verdict, status, method, final_url, hops, checked_at = row
        return {"verdict": verdict, "status": status, "method": method, "final_url": final_url,
                "hops": json.loads(hops or "[]"), "checked_at": checked_at}

    def put(self, url: str, result: dict[str, Any]) -> None:
        db = self._connection()
        if db is None:
            return
        if result["verdict"] in CACHEABLE:
            db.execute(
                "INSERT OR REPLACE INTO probe_cache VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, result["verdict"], result.get("status"), result.get("method"),
                 result.get("final_url"), json.dumps(result.get("hops") or []),
                 result["checked_at"]),
            )
        else:
            db.execute("DELETE FROM probe_cache WHERE url = ?", (url,))

    def close(self) -> None:
        self._closed = True
        if self._db is not None:
            self._db.close()
            self._db = None
