"""The crawl store: everything a crawl saw, on disk, one SQLite file per run.

``SQLiteCrawlStore`` writes (batched, from the crawl); ``open_store`` reads (for rules and
reports). Each table is a typed record declared once in ``records.py``; the schema, the
writer's rows, the reader's decoding and docs/store.md's column tables come from there.
"""

from readiness.store.reader import CrawlStoreReader, open_store
from readiness.store.records import SCHEMA_VERSION, FetchOutcome
from readiness.store.sqlite import SQLiteCrawlStore

__all__ = ["SCHEMA_VERSION", "CrawlStoreReader", "FetchOutcome", "SQLiteCrawlStore", "open_store"]
