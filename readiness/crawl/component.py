"""The base of the crawl's components that work on its store (the extensions in
readiness/crawl/: robots, sitemaps, recording, variants, re-measurement, outbound probes)."""

from __future__ import annotations

from scrapy.exceptions import NotConfigured

from readiness.crawl.signals import store_opened


def recheck_idle(crawler) -> None:
    """Have the engine look again, at once, whether the crawl is idle.

    Work done at spider_idle (quiet re-measurements, variant probes) goes straight to the
    downloader and may end after the engine's last look (a variant's answer is parsed by a
    worker first); nothing then wakes the engine, and the next spider_idle would come only at
    its 5-second heartbeat. Scrapy has no public call for this: the engine's own ``nextcall``
    (a CallLaterOnce) is what it schedules after every download and every scraped response,
    so calling it again is free and does only what the engine does anyway: send scheduled
    requests, and fire spider_idle if nothing is left. The engine is not touched once it
    closes (no slot, or a closing one)."""
    slot = crawler.engine._slot
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


class StoreComponent:
    """An extension that reads what it needs of the spider once (the crawl config, the URL
    normaliser, the site's scope, the coordination) and gets the store when it opens.

    An optional component names its switch in ``enabled_setting`` (Scrapy's way, like
    ``COOKIES_ENABLED``; the default is in readiness/settings.py): set to False, the
    component is not built, as if its EXTENSIONS entry were None."""

    enabled_setting: str | None = None

    def __init__(self, crawler) -> None:
        spider = crawler.spider
        self.crawler = crawler
        self.spider = spider
        self.crawl_cfg = spider.crawl_cfg
        self.normalizer = spider.normalizer
        self.scope = spider.scope
        self.coordination = spider.coordination
        self.stats = crawler.stats
        self.store = None  # from store_opened on

    @classmethod
    def from_crawler(cls, crawler):
        if cls.enabled_setting and not crawler.settings.getbool(cls.enabled_setting):
            raise NotConfigured(f"{cls.enabled_setting} is off")
        component = cls(crawler)
        crawler.signals.connect(component.store_opened, signal=store_opened)
        return component

    def store_opened(self, store, run_dir) -> None:
        self.store = store
