"""Read XML sitemaps, sitemap indexes (plain or gzip) and plain-text sitemaps.

Parsing is lxml's, through Scrapy's ``Sitemap`` iterator (recovering parser, entities
off). A body that is no sitemap at all is reported as such rather than guessed at.

:class:`Sitemaps` is the Scrapy extension that reads them during the crawl: the sitemaps a
host's robots.txt names (or its ``/sitemap.xml``, or ``crawl.sitemaps``), each read once,
from the site's hosts only; every entry recorded, each internal one decided by the spider.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from typing import Iterable

import scrapy
from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from readiness.crawl.auxiliary import aux_request
from readiness.crawl.component import StoreComponent
from readiness.crawl.errors import classify_failure
from readiness.store.records import SitemapEntry
from readiness.store.records import Sitemap as SitemapRecord  # scrapy's Sitemap parses them
from readiness.urls import is_http, netloc, origin

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"


# What each error means, for log lines and reports.
ERROR_WORDS = {
    "invalid-gzip": "looks gzipped but cannot be decompressed",
    "invalid-xml": "is not well-formed XML (entries before the error were kept)",
    "not-a-sitemap": "is neither a sitemap, a sitemap index nor a list of URLs",
    "too-large": "is larger than crawl.max_page_bytes once decompressed",
}


@dataclass(slots=True)
class ParsedSitemap:
    kind: str | None                      # urlset | sitemapindex | text; None when unreadable
    entries: list[tuple[str, str | None]] = field(default_factory=list)  # (raw loc, lastmod)
    error: str | None = None              # invalid-gzip invalid-xml not-a-sitemap too-large


def parse_sitemap(body: bytes, max_size: int) -> ParsedSitemap:
    if body[:2] == GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_size)
        except ValueError:  # DecompressionMaxSizeExceeded is a ValueError
            return ParsedSitemap(None, error="too-large")
        except (OSError, EOFError, zlib.error):  # not gzip, truncated, or corrupt data
            return ParsedSitemap(None, error="invalid-gzip")
    stripped = body.lstrip()
    if not stripped.startswith(b"<"):
        return _parse_text(stripped)
    try:
        sitemap = Sitemap(body)
    except (StopIteration, ValueError, SyntaxError):
        return ParsedSitemap(None, error="invalid-xml")
    if sitemap.type not in ("urlset", "sitemapindex"):
        return ParsedSitemap(None, error="not-a-sitemap")
    parsed = ParsedSitemap(sitemap.type)
    try:
        for entry in sitemap:
            loc = entry.get("loc")
            if loc:
                parsed.entries.append((loc.strip(), entry.get("lastmod")))
    except SyntaxError:  # lxml gave up part way: keep what was read
        parsed.error = "invalid-xml"
    if parsed.error is None and not _well_formed(body):
        # The recovering parser read what it could (kept); search engines may reject the file.
        parsed.error = "invalid-xml"
    return parsed


def _well_formed(body: bytes) -> bool:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return False
    return True


def _parse_text(body: bytes) -> ParsedSitemap:
    """Google accepts a plain list of URLs, one per line."""
    lines = [line.strip() for line in body.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines or not all(is_http(line) for line in lines[:20]):
        return ParsedSitemap(None, error="not-a-sitemap")
    return ParsedSitemap("text", [(line, None) for line in lines if is_http(line)])


class Sitemaps(StoreComponent):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.site_netlocs = self.spider.site_netlocs
        self.start_url = self.spider.start_url
        self._sitemaps_seen: set[str] = set()

    def restore(self, read: list[str]) -> None:
        """A resumed run: the sitemaps read before the interrupt are not requested again."""
        self._sitemaps_seen.update(read)

    def from_robots(self, host: str, sitemaps: list[str]) -> Iterable[scrapy.Request]:
        """Requests for the sitemaps of a host whose robots.txt is in (none in list mode:
        readiness.crawl.seeds)."""
        if self.spider.seeds.list_mode:
            return
        sitemap_sources = [(u, "robots") for u in sitemaps]
        # A Sitemap: line on a host outside the crawl is recorded, never fetched (and search
        # engines ignore it unless both hosts are verified): the fallback still applies.
        on_site = [u for u in sitemaps if self._site_sitemap(u, self.start_url)]
        if host == netloc(self.start_url) and not on_site and not self.crawl_cfg.sitemaps:
            sitemap_sources.append((f"{origin(self.start_url)}/sitemap.xml", "fallback"))
        for raw in self.crawl_cfg.sitemaps:
            if host == netloc(self.start_url):
                sitemap_sources.append((raw, "config"))
        for raw, found_in in sitemap_sources:
            request = self._sitemap_request(raw, None, found_in, self.start_url)
            if request is not None:
                yield request

    def _site_sitemap(self, raw: str, base: str) -> bool:
        """Is this sitemap URL on one of the site's hosts (the only ones fetched)?"""
        url = self.normalizer.normalize(raw, base)
        return url is not None and is_http(url) and netloc(url) in self.site_netlocs

    def _sitemap_request(self, raw: str, parent_id: int | None, found_in: str,
                         base: str) -> scrapy.Request | None:
        url = self.normalizer.normalize(raw, base)
        if url is None or not is_http(url) or url in self._sitemaps_seen:
            return None
        self._sitemaps_seen.add(url)
        if not self.coordination.first_sitemap(url):
            return None
        url_id = self.store.intern(url, self.scope.is_internal(url))
        if netloc(url) not in self.site_netlocs:
            # Never fetched from a host that is not the site's: recorded for the rules.
            self.stats.inc_value("readiness/sitemaps/off-site")
            self.store.add(SitemapRecord(url_id=url_id, parent_id=parent_id, found_in=found_in,
                                         error="off-site"))
            return None
        meta = {"sitemap": (url_id, parent_id, found_in)}
        return aux_request(url, self.spider.parse_sitemap, self.spider.sitemap_failed, meta)

    def parse(self, response) -> Iterable[scrapy.Request]:
        """Record one sitemap answer; requests for its child sitemaps and the entries due."""
        url_id, parent_id, found_in = response.meta["sitemap"]
        sitemap = SitemapRecord(url_id=url_id, parent_id=parent_id, found_in=found_in,
                                status=response.status)
        if response.status != 200:
            sitemap.error = f"http-{response.status}"
            self.store.add(sitemap)
            return
        parsed = parse_sitemap(response.body, self.crawl_cfg.max_page_bytes)
        sitemap.kind, sitemap.error = parsed.kind, parsed.error
        sitemap.entries = len(parsed.entries)
        if parsed.error:
            logger.warning("sitemap %s %s; %d entries read", response.url,
                           ERROR_WORDS.get(parsed.error, parsed.error), len(parsed.entries))
        if parsed.kind == "sitemapindex":
            self.store.add(sitemap)
            for raw, _lastmod in parsed.entries:
                request = self._sitemap_request(raw, url_id, "index", response.url)
                if request is not None:
                    yield request
            return
        entries = []
        decide = self.spider.decide
        for raw, lastmod in parsed.entries:
            target = self.normalizer.normalize(raw, response.url)
            target_id = None
            if target is not None:
                internal = self.scope.is_internal(target)
                target_id = self.store.intern(target, internal)
                if internal:
                    request = decide(target, 0, "sitemap", url_id, target_id, internal)
                    if request is not None:
                        yield request
            entries.append(SitemapEntry(sitemap_id=url_id, url_id=target_id, raw=raw,
                                        lastmod=lastmod))
        self.store.add_all(entries)
        # After its entries' decisions: a sitemap with a row has its entries in the
        # frontier (readiness.crawl.resume), even after a kill.
        self.store.add(sitemap)
        self.stats.inc_value("readiness/sitemap_entries", len(entries))

    def failed(self, failure) -> None:
        url_id, parent_id, found_in = failure.request.meta["sitemap"]
        error, detail = classify_failure(failure)
        logger.warning("sitemap %s could not be fetched (%s)", failure.request.url, detail)
        self.store.add(SitemapRecord(url_id=url_id, parent_id=parent_id, found_in=found_in,
                                     error=error))
