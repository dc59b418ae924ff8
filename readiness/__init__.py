"""readiness: is this site ready for link building?

Crawl (Scrapy) -> store (SQLite per run) -> analyze (rules) -> report.
See docs/architecture.md for the flow and docs/store.md for the crawl store schema.
"""

__version__ = "0.1.0"
