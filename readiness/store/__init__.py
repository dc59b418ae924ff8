"""The crawl store: everything a crawl saw, on disk, one SQLite file per run.

``SQLiteCrawlStore`` writes (batched, from the crawl); ``open_store`` reads (for rules and
reports). The schema is ``schema.sql`` beside this file, documented in docs/store.md.
"""

from readiness.store.reader import CrawlStoreReader, open_store
from readiness.store.sqlite import SCHEMA_VERSION, SQLiteCrawlStore

__all__ = ["SCHEMA_VERSION", "CrawlStoreReader", "SQLiteCrawlStore", "open_store"]
