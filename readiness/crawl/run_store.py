"""The run's crawl store, from the crawl's start to its end (always on: the spider needs it).

RunStore opens the store (``READINESS_STORE_CLASS``) at spider_opened, in the folder the
coordination names (``<reports>/<run-id>/crawl.sqlite``, or a worker's shard), with the run's
metadata, and sends :data:`~readiness.crawl.signals.store_opened`. While the crawl runs it commits
what is queued every ``flush_seconds`` even when no new row arrives (a crawl waiting on one slow
page would otherwise keep its last pages uncommitted until that page answers, and lose them to
a forced stop or a kill). At spider_closed it sends
:data:`~readiness.crawl.signals.store_closing` (last writes), closes the store with how the
crawl ended, and, once the run's store is complete on disk, sends
:data:`~readiness.crawl.signals.run_stored`.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from twisted.internet import task
from scrapy.utils.misc import load_object

from readiness import __version__
from readiness.crawl.resume import FRONTIER_META_KEY
from readiness.crawl.signals import run_stored, store_closing, store_opened

logger = logging.getLogger(__name__)


def run_id_for(url: str) -> str:
    host = (urlsplit(url).hostname or "site").replace(":", "_")
    return f"{host}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}"


def new_run_dir(reports_dir: str | Path, url: str) -> Path:
    """A fresh ``<reports_dir>/<run-id>`` folder, created here. Run ids name the second a
    run starts, so two runs of a site in the same second (scheduled jobs) get ``-2``, ``-3``:
    mkdir is the claim, so concurrent runs never share a folder."""
    base = Path(reports_dir) / run_id_for(url)
    base.parent.mkdir(parents=True, exist_ok=True)
    candidate, suffix = base, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            suffix += 1
            candidate = base.with_name(f"{base.name}-{suffix}")


class RunStore:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.reports_dir = Path(settings.get("READINESS_REPORTS_DIR", "reports"))
        self.store_cls = load_object(settings.get("READINESS_STORE_CLASS"))
        self.store = None
        self.periodic_flush: task.LoopingCall | None = None
        self.run_dir: Path | None = None
        self.store_path: Path | None = None

    @classmethod
    def from_crawler(cls, crawler) -> "RunStore":
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        """Open the store once the crawl starts (stats exist only from then on)."""
        coordination = spider.coordination
        self.run_dir, self.store_path, store_args = coordination.store_location(
            self.reports_dir, spider.out, spider.start_url)
        self.store = self.store_cls(self.store_path, **store_args)
        running = {"complete": False, "finish_reason": "running"}
        resumed = spider.resumed_meta
        if resumed is not None:
            # The same run, in place (readiness.crawl.resume): its id, ids and facts kept.
            self.store.open({**running, "resumed": [*resumed.get("resumed", []), time.time()],
                             "resumed_by_version": __version__}, fresh=False)
        else:
            self.store.open({
                "run_id": self.run_dir.name,
                "start_url": spider.start_url,
                "seed_urls": spider.seed_urls,
                # Only the listed URLs were fetched: rules that need the whole site do not run.
                "list_mode": spider.seeds.list_mode,
                "site_hosts": sorted(spider.site_netlocs),
                "config": spider.cfg.model_dump(mode="json"),
                "config_file": spider.config_path,
                "readiness_version": __version__,
                "started_at": time.time(),
                # The queue table is the run's frontier: --resume can continue it.
                FRONTIER_META_KEY: True,
                **running,
            }, fresh=True)
        coordination.opened(self.store)
        self.periodic_flush = task.LoopingCall(self.store.flush)
        self.periodic_flush.start(self.store.flush_seconds, now=False)
        self.crawler.signals.send_catch_log(store_opened, store=self.store,
                                            run_dir=self.run_dir)

    def spider_closed(self, spider, reason: str) -> None:
        if self.periodic_flush is not None and self.periodic_flush.running:
            self.periodic_flush.stop()
        self.crawler.signals.send_catch_log(store_closing, store=self.store, reason=reason)
        limits_hit = spider.limits.hit
        complete = reason == "finished" and not limits_hit
        stats = self.crawler.stats
        self.store.close({
            "finished_at": time.time(),
            "finish_reason": reason,
            "complete": complete,
            "limits_hit": limits_hit,
            "stats": {k: v for k, v in stats.get_stats().items()
                      if isinstance(v, (int, float, str))},
        })
        logger.info("crawl store written: %s (%s)", self.store_path,
                    "complete" if complete else f"incomplete: {reason}, limits {limits_hit}")
        run_store_path = spider.coordination.finish(self.store_path, self.run_dir)
        if run_store_path is not None:
            self.crawler.signals.send_catch_log(run_stored, store_path=run_store_path,
                                                run_dir=self.run_dir)
