"""Build small crawl stores by hand, for rule unit tests (ours and third-party rules').

    store = StoreBuilder(tmp_path)
    store.page("/", links=["/about", "/old"])
    store.redirect("/old", "/about")
    store.page("/about")
    findings = store.run(RedirectChain)

Relative URLs are resolved against ``start_url``; URLs on its host are internal. Every fact is
a record of readiness.store.records (keyword arguments are its fields, checked by its
constructor), written with the same writer the crawl uses, so rules are tested against real
store files.
"""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urljoin, urlsplit

from readiness.rules.base import Finding, Rule
from readiness.rules.context import AnalysisContext
from readiness.store import SQLiteCrawlStore, open_store
from readiness.store.records import (
    BY_TABLE,
    Canonical,
    Fetch,
    Link,
    Page,
    Probe,
    Robots,
    Sitemap,
    SitemapEntry,
    SitemapNaming,
)

if TYPE_CHECKING:
    from readiness.page.content import MainContentReader

# A link as a test writes it: the target, or (target, {anchor, rel, element, region, raw}).
LinkSpec = str | tuple[str, dict[str, Any]]


class StoreBuilder:
    def __init__(self, directory: str | Path, start_url: str = "http://site.test/",
                 complete: bool = True, limits_hit: Iterable[str] = ()) -> None:
        self.path = Path(directory) / "crawl.sqlite"
        self.start_url = start_url
        self.host = urlsplit(start_url).netloc
        self.writer = SQLiteCrawlStore(self.path)
        self.writer.open({"run_id": "test", "start_url": start_url, "seed_urls": [start_url],
                          "site_hosts": [self.host], "started_at": time.time()})
        self._meta_on_close = {"complete": complete, "finish_reason": "finished",
                               "limits_hit": list(limits_hit), "finished_at": time.time()}
        self._closed = False

    # -- URLs ------------------------------------------------------------------------------

    def url(self, url: str) -> str:
        return urljoin(self.start_url, url)

    def id(self, url: str) -> int:
        absolute = self.url(url)
        internal = urlsplit(absolute).netloc == self.host
        return self.writer.intern(absolute, internal)

    # -- facts -----------------------------------------------------------------------------

    def fetch(self, url: str, status: int | None = 200, error: str | None = None,
              location: str | None = None, headers: dict[str, str] | None = None,
              fetched: bool = True, robots_blocked: bool = False, **fields: Any) -> int:
        """A fetch (a Fetch record: ``fields`` are its other fields)."""
        url_id = self.id(url)
        fields = {"discovered_by": "link", "depth": 1, "fetched_at": time.time(), **fields}
        if location is not None:
            fields.update(location=location, location_url_id=self.id(location))
        self.writer.add(Fetch(url_id=url_id, status=status, error=error, fetched=fetched,
                              robots_blocked=robots_blocked, headers=headers or {}, **fields))
        return url_id

    def page(self, url: str, links: Iterable[LinkSpec] = (), status: int = 200,
             title: str | None = "A page", canonical: str | list[str] | None = None,
             header_canonical: str | None = None, body_canonical: str | None = None,
             text: str | None = None,
             headers: dict[str, str] | None = None, fetch: dict[str, Any] | None = None,
             **page_fields: Any) -> int:
        """An HTML page: its fetch (``fetch``: more Fetch fields), its facts (``page_fields``:
        Page fields; ``text`` gives word_count, content_hash and minhash as the crawl would)
        and its outgoing link edges."""
        url_id = self.fetch(url, status=status, headers=headers, content_type="text/html",
                            **(fetch or {}))
        if text is not None:
            page_fields.setdefault("word_count", len(text.split()))
            page_fields.setdefault("content_hash", hashlib.blake2b(
                " ".join(text.lower().split()).encode(), digest_size=16).hexdigest())
            page_fields.setdefault("minhash", _minhash(text))
        if "x_robots_tag" not in page_fields and headers and "x-robots-tag" in headers:
            page_fields["x_robots_tag"] = headers["x-robots-tag"]
        self.writer.add(Page(url_id=url_id, title=title, **page_fields))
        canonicals = [canonical] if isinstance(canonical, str) else list(canonical or [])
        declared = [("html", raw) for raw in canonicals] + [
            (source, raw) for source, raw in (("header", header_canonical),
                                              ("body", body_canonical)) if raw]
        for source, raw in declared:
            self.writer.add(Canonical(page_id=url_id, source=source, raw=raw,
                                      target_id=self.id(raw)))
        for link in links:
            self.link(url, link)
        return url_id

    def link(self, source: str, link: LinkSpec) -> None:
        """An edge to ``target``; attrs: anchor, rel, element, region, and ``raw`` (the href
        as written, default the target itself)."""
        target, attrs = (link, {}) if isinstance(link, str) else link
        self.writer.add(Link(
            source_id=self.id(source), target_id=self.id(target), raw=attrs.get("raw", target),
            anchor=attrs.get("anchor", "link text"), rel=attrs.get("rel"),
            element=attrs.get("element", "a"), region=attrs.get("region", "main")))

    def redirect(self, url: str, location: str, status: int = 301) -> int:
        return self.fetch(url, status=status, location=location)

    def probe(self, url: str, verdict: str, status: int | None = None,
              error: str | None = None, hops: list[dict[str, Any]] | None = None,
              final_url: str | None = None) -> int:
        url_id = self.id(url)
        self.writer.add(Probe(url_id=url_id, verdict=verdict, status=status, error=error,
                              method="GET", final_url=final_url or self.url(url), hops=hops or [],
                              attempts=1, checked_at=time.time()))
        return url_id

    def sitemap(self, url: str, found_in: str = "robots", parent: str | None = None,
                **fields: Any) -> int:
        """A sitemap file (``fields``: its other Sitemap fields) and where it was named:
        ``parent``, the index naming it (``found_in`` index), else a root."""
        sitemap_id = self.id(url)
        self.writer.add(Sitemap(url_id=sitemap_id, **fields))
        self.naming(url, found_in, parent)
        return sitemap_id

    def naming(self, url: str, found_in: str, parent: str | None = None) -> None:
        """One more place the sitemap at ``url`` is named."""
        self.writer.add(SitemapNaming(sitemap_id=self.id(url), found_in=found_in,
                                      parent_id=None if parent is None else self.id(parent)))

    def sitemap_entry(self, url: str, sitemap: str = "/sitemap.xml") -> None:
        sitemap_id = self.sitemap(sitemap, status=200, kind="urlset")
        self.writer.add(SitemapEntry(sitemap_id=sitemap_id, url_id=self.id(url),
                                     raw=self.url(url)))

    def robots(self, status: int | None = 200, body: str = "", error: str | None = None) -> None:
        self.writer.add(Robots(host=self.host, url=self.url("/robots.txt"), status=status,
                               error=error, body=body, sitemaps=[], fetched_at=time.time()))

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Any other fact: a record of ``table``, ``row`` its fields."""
        self.writer.add(BY_TABLE[table](**row))

    # -- using it --------------------------------------------------------------------------

    def close(self) -> Path:
        if not self._closed:
            self.writer.close(self._meta_on_close)
            self._closed = True
        return self.path

    def context(self) -> AnalysisContext:
        return AnalysisContext(open_store(self.close()))

    def run(self, rule: type[Rule], **options: Any) -> list[Finding]:
        """Findings of one rule over this store, with the given options."""
        ctx = self.context()
        try:
            return list(rule(rule.Options(**options)).check(ctx))
        finally:
            ctx.store.close()


def _minhash(text: str) -> bytes | None:
    """The signature the crawl would store for a page whose main content is ``text``."""
    from html import escape

    from lxml import html

    root = html.fromstring(f"<html><body><main><p>{escape(text)}</p></main></body></html>")
    return _content_reader().read(root).minhash


@lru_cache(maxsize=1)
def _content_reader() -> "MainContentReader":
    from readiness.page.content import MainContentReader

    return MainContentReader()
