"""Outbound probes during the crawl: each outside URL the spider decides to probe, checked once
(the checking itself is readiness.crawl.prober; its verdicts readiness.probe.verdicts).

A Scrapy extension: when the store opens it makes the run's :class:`OutboundProber` and the
cross-run :class:`ProbeCache` (``crawl.probe.cache_path``, default
``<reports dir>/.probe-cache.sqlite``), and installs :class:`OutboundSlotSettings` as the
downloader's per-slot settings, so every host that is not the site's gets the probe
politeness; the cache closes with the crawl. The spider owns the probes' callbacks
(``probe_response``, ``probe_failed``) so their requests stay serialisable by name for disk
and Redis queues; it hands each answer here.
"""

from __future__ import annotations

from pathlib import Path

from scrapy import signals

from readiness.crawl.component import StoreComponent
from readiness.probe.cache import ProbeCache
from readiness.crawl.prober import OutboundProber, OutboundSlotSettings


class OutboundProbes(StoreComponent):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.probe_cfg = self.crawl_cfg.probe
        self.reports_dir = Path(crawler.settings.get("READINESS_REPORTS_DIR", "reports"))
        self.prober: OutboundProber | None = None
        self.cache: ProbeCache | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def store_opened(self, store, run_dir) -> None:
        super().store_opened(store, run_dir)
        probe_cfg = self.probe_cfg
        cache_path = probe_cfg.cache_path or (self.reports_dir / ".probe-cache.sqlite")
        self.cache = ProbeCache(cache_path, probe_cfg.cache_ttl_hours)
        self.prober = OutboundProber(self.spider, probe_cfg, store, self.cache,
                                     self.stats)
        downloader = self.crawler.engine.downloader
        downloader.per_slot_settings = OutboundSlotSettings(
            downloader.per_slot_settings, self.spider.site_netlocs, probe_cfg)

    def spider_closed(self, spider, reason: str) -> None:
        if self.cache is not None:
            self.cache.close()
