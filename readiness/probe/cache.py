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
    def __init__(self, path: str | Path, ttl_hours: float) -> None:
        self.ttl_seconds = ttl_hours * 3600
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        if self.ttl_seconds > 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS probe_cache (url TEXT PRIMARY KEY, verdict TEXT, "
                "status INTEGER, method TEXT, final_url TEXT, hops TEXT, checked_at REAL)"
            )

    def get(self, url: str) -> dict[str, Any] | None:
        if self._db is None:
            return None
        row = self._db.execute(
            "SELECT verdict, status, method, final_url, hops, checked_at FROM probe_cache "
            "WHERE url = ? AND checked_at >= ?", (url, time.time() - self.ttl_seconds),
        ).fetchone()
        if row is None:
            return None
        verdict, status, method, final_url, hops, checked_at = row
        return {"verdict": verdict, "status": status, "method": method, "final_url": final_url,
                "hops": json.loads(hops or "[]"), "checked_at": checked_at}

    def put(self, url: str, result: dict[str, Any]) -> None:
        if self._db is None:
            return
        if result["verdict"] in CACHEABLE:
            self._db.execute(
                "INSERT OR REPLACE INTO probe_cache VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, result["verdict"], result.get("status"), result.get("method"),
                 result.get("final_url"), json.dumps(result.get("hops") or []),
                 result["checked_at"]),
            )
        else:
            self._db.execute("DELETE FROM probe_cache WHERE url = ?", (url,))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
