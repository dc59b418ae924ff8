"""What a crawl enters the site by: its seeds, and in list mode all it fetches.

A full crawl is seeded with the start URL and ``crawl.start_urls`` (``discovered_by =
"start"``) and follows links, sitemaps and variants from there. A list-mode crawl
(``crawl.list_urls``, set by ``readiness check --list FILE``; docs/list-mode.md) is seeded
with exactly the listed URLs (``discovered_by = "list"``) and fetches nothing else but their
redirects, hop by hop: the links on the listed pages are recorded as edges, never followed,
and no sitemap is read and no variant probed (readiness/crawl/sitemaps.py,
readiness/crawl/crawl_settings.py). The spider asks :meth:`Seeds.follows` before it decides
about any URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from readiness.config import CrawlConfig
from readiness.urls import UrlNormalizer

# What a list-mode crawl fetches: the listed URLs and where they redirect, nothing else.
LIST_MODE_FETCHES = frozenset({"list", "redirect"})


@dataclass(frozen=True, slots=True)
class Seeds:
    """The crawl's seeds as (URL, discovered_by), in the order given, each URL once."""

    urls: tuple[tuple[str, str], ...]
    list_mode: bool

    @classmethod
    def of(cls, start_url: str, crawl: CrawlConfig, normalizer: UrlNormalizer) -> "Seeds":
        if crawl.list_urls:
            given = [(url, "list") for url in crawl.list_urls]
        else:
            given = [(start_url, "start")] + [(url, "start") for url in crawl.start_urls]
        seen: set[str] = set()
        urls = []
        for raw, discovered_by in given:
            url = normalizer.normalize(raw)
            if url is not None and url not in seen:
                seen.add(url)
                urls.append((url, discovered_by))
        return cls(tuple(urls), bool(crawl.list_urls))

    @property
    def seed_urls(self) -> list[str]:
        return [url for url, _discovered_by in self.urls]

    def follows(self, discovered_by: str) -> bool:
        """May a URL found this way be fetched (or probed)? In list mode only the listed URLs
        and their redirects are."""
        return not self.list_mode or discovered_by in LIST_MODE_FETCHES
