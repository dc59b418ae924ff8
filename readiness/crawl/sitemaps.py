"""Read XML sitemaps, sitemap indexes (plain or gzip) and plain-text sitemaps.

Parsing is lxml's, through Scrapy's ``Sitemap`` iterator (recovering parser, entities
off). A body that is no sitemap at all is reported as such rather than guessed at.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from lxml import etree

from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from readiness.urls import is_http

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
