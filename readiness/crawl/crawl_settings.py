"""The YAML ``crawl:`` section as Scrapy settings: one mapping, applied by the spider before
the settings freeze. The defaults are the config models' (readiness/config/models.py); the
project's settings.py holds only what no YAML key sets."""

from __future__ import annotations

from typing import Any

from readiness.config import CrawlConfig
from readiness.crawl.coordination import coordination_class


def crawl_settings(crawl: CrawlConfig, run_name: str | None) -> dict[str, Any]:
    coordination = coordination_class(crawl)
    settings = {
        # Site hosts use the site's politeness; every other host gets the probe politeness
        # (OutboundSlotSettings, installed when the crawl opens). The per-domain value also
        # sizes Scrapy's HTTP connection pool per host.
        "CONCURRENT_REQUESTS": crawl.concurrency + 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency,
        "DOWNLOAD_DELAY": crawl.delay,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        # Huge or endless pages are cut off and recorded as "too-large", not buffered forever.
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "READINESS_COORDINATION": f"{coordination.__module__}.{coordination.__qualname__}",
        **coordination.scrapy_settings(crawl, run_name),
    }
    if crawl.list_urls:
        # List mode fetches the listed URLs only (readiness.crawl.seeds): no variant probes.
        settings["READINESS_VARIANT_PROBES_ENABLED"] = False
    if crawl.user_agent:
        settings["USER_AGENT"] = crawl.user_agent
    return settings
