"""Read a crawl store (for rules, reports and tests).

Opening a store builds any missing indexes first, so a store left by an interrupted crawl is
as fast to analyse as a finished one.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator, TypeVar

from readiness.store.records import Record, columns, decoder
from readiness.store.sqlite import indexes_sql

R = TypeVar("R", bound=Record)


class CrawlStoreReader:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no crawl store at {self.path}")
        self.db = sqlite3.connect(self.path)
        self.db.row_factory = sqlite3.Row
        self._columns: dict[str, frozenset[str]] = {}
        try:
            self.db.executescript(indexes_sql())
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

    def records(self, cls: type[R], where: str = "", params: tuple = (),
                fields: Iterable[str] | None = None, by_url: str | None = None) -> Iterator[R]:
        """``cls`` records of its table, decoded (JSON parsed, enums as enums).

        ``where``: an SQL condition on the table, aliased ``t``; ``fields``: only these (the
        others are left unset: reading one raises AttributeError); ``by_url``: a url-id
        column to order by its URL, the same order on every crawl of the site (ids follow
        the crawl's arrival order). A column an older store lacks reads as NULL.
        """
        names = tuple(fields) if fields is not None else columns(cls)
        present = self._table_columns(cls.table)
        if not present:
            return iter(())  # a table an older store lacks: no rows
        selected = ", ".join(f"t.{name}" if name in present else f"NULL AS {name}"
                             for name in names)
        sql = f"SELECT {selected} FROM {cls.table} t"
        if by_url is not None:
            sql += f" JOIN urls u ON u.id = t.{by_url}"
        if where:
            sql += f" WHERE {where}"
        if by_url is not None:
            sql += " ORDER BY u.url"
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: the decoder builds the record
        return map(decoder(cls, names), cursor.execute(sql, params))

    def has_table(self, table: str) -> bool:
        """Whether the store has ``table`` (one an older schema lacks has no columns)."""
        return bool(self._table_columns(table))

    def _table_columns(self, table: str) -> frozenset[str]:
        known = self._columns.get(table)
        if known is None:
            known = self._columns[table] = frozenset(
                row[1] for row in self.db.execute(f"PRAGMA table_info({table})"))
        return known

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
