"""The base of the crawl's components that work on its store (the extensions in
readiness/crawl/: robots, sitemaps, recording, variants, re-measurement, outbound probes)."""

from __future__ import annotations

from readiness.crawl.signals import store_opened


class StoreComponent:
    """An extension that reads what it needs of the spider once (the crawl config, the URL
    normaliser, the site's scope, the coordination) and gets the store when it opens."""

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
        component = cls(crawler)
        crawler.signals.connect(component.store_opened, signal=store_opened)
        return component

    def store_opened(self, store, run_dir) -> None:
        self.store = store
