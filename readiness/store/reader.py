"""Read a crawl store (for rules, reports and tests).

Opening a store builds any missing indexes first, so a store left by an interrupted crawl is
as fast to analyse as a finished one.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from readiness.store.sqlite import schema_sql


class CrawlStoreReader:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no crawl store at {self.path}")
        self.db = sqlite3.connect(self.path)
        self.db.row_factory = sqlite3.Row
        try:
            self.db.executescript(schema_sql("indexes.sql"))
        except sqlite3.OperationalError:  # read-only copy: queries still work, only slower
            pass

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "CrawlStoreReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self) -> dict[str, Any]:
        return {row["key"]: json.loads(row["value"]) for row in self.db.execute("SELECT * FROM meta")}

    def query(self, sql: str, params: tuple | dict = ()) -> Iterator[sqlite3.Row]:
        return self.db.execute(sql, params)

    def fetch(self, url: str) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT u.url, f.* FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ?", (url,)
        ).fetchone()

    def page(self, url: str) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT u.url, p.* FROM pages p JOIN urls u ON u.id = p.url_id WHERE u.url = ?", (url,)
        ).fetchone()

    def probe(self, url: str) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT u.url, p.* FROM probes p JOIN urls u ON u.id = p.url_id WHERE u.url = ?", (url,)
        ).fetchone()

    def links_to(self, url: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT s.url AS source, l.* FROM links l JOIN urls t ON t.id = l.target_id "
            "JOIN urls s ON s.id = l.source_id WHERE t.url = ?", (url,)
        ).fetchall()

    def links_from(self, url: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT t.url AS target, l.* FROM links l JOIN urls s ON s.id = l.source_id "
            "LEFT JOIN urls t ON t.id = l.target_id WHERE s.url = ?", (url,)
        ).fetchall()

    def count(self, table: str) -> int:
        return self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def open_store(path: str | Path) -> CrawlStoreReader:
    return CrawlStoreReader(path)
