"""The crawl's own signals (beside Scrapy's): how its components learn about the run's store.

Sent by :class:`readiness.crawl.run_store.RunStore`, connected to with
``crawler.signals.connect(handler, signal=...)`` like Scrapy's signals.
"""

# The crawl store is open (at spider_opened); handlers get ``store`` and ``run_dir``.
# Components that write to or read the store take it here, before any request is scheduled.
store_opened = object()
# The crawl is closing and the store is still open: last writes (``store``, ``reason``).
store_closing = object()
# The run's store is complete on disk (``store_path``, ``run_dir``): after one process's
# crawl, or after the last worker of a distributed run merged the shards.
run_stored = object()
