"""The facts readiness keeps about one HTML page, as PageExtractor (extract.py) reads them.

Kept apart from the extractor so that code which only carries facts (the crawl process,
receiving them from a parse worker) does not import the parsing libraries. ``page_record``
turns them into the page's record of the store (readiness.store.records.Page).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from readiness.store.records import Page

if TYPE_CHECKING:  # decided in the crawl process, which imports it anyway
    from readiness.crawl.charset import PageCharset


class LinkFact(NamedTuple):
    """One link element. A tuple rather than a dataclass: a page has dozens, and a parse
    worker's answer crosses a pipe (PageFacts.__reduce__)."""

    raw: str              # attribute value as written (href/src), stripped
    element: str          # "a" | "area" | "link" | "img" | "script" | "iframe"
    region: str           # "nav" | "header" | "footer" | "aside" | "main" (main: none of those)
    anchor: str | None    # a: text, else alt of images inside; area: alt; img: alt; else None
    rel: str | None       # rel of a/area/link, lower-cased, whitespace-collapsed


@dataclass(slots=True)
class PageFacts:
    title: str | None                # whitespace-collapsed; None without a <title>, "" if empty
    meta_description: str | None     # whitespace-collapsed; "" when the meta has no content
    h1: list[str]
    meta_robots: str | None          # <meta name=robots|googlebot> contents joined by ", "
    viewport: str | None
    lang: str | None                 # <html lang>
    meta_refresh: str | None         # raw content of <meta http-equiv=refresh>
    base_href: str | None            # <base href>: the spider resolves links against it
    canonicals: list[str]            # raw href of every <link rel=canonical> in <head>
    body_canonicals: list[str]       # ... outside <head>, which search engines ignore
    hreflang: list[tuple[str, str]]  # (hreflang, raw href) of <link rel=alternate hreflang>
    links: list[LinkFact]            # every link element but canonical and hreflang <link>s
    word_count: int
    content_hash: str | None         # None when main content is empty
    minhash: bytes | None            # None when fewer words than one shingle
    structured_data: dict            # see readiness/crawl/structured.py
    addresses: list[str]             # whitespace-collapsed text of each <address> (NAP checks)
    # The nesting level past which the page's elements were dropped (set by parse_html,
    # readiness.page.tree's bounds); None when the tree is whole.
    nesting_cut: int | None = None

    def page_record(self, url_id: int, x_robots_tag: str | None, charset: PageCharset,
                    encoding_valid: bool, meta_refresh_url_id: int | None = None) -> Page:
        """The page's row of the store: these facts, and what its response says (the
        X-Robots-Tag header, the declared charsets and the encoding the body was decoded
        with, and whether it decoded without a bad byte); the id of its meta refresh's
        target, resolved by the crawl."""
        return Page(
            url_id=url_id, title=self.title, meta_description=self.meta_description,
            h1=self.h1, meta_robots=self.meta_robots, x_robots_tag=x_robots_tag,
            viewport=self.viewport, lang=self.lang, meta_refresh=self.meta_refresh,
            meta_refresh_url_id=meta_refresh_url_id,
            encoding=charset.used, charset_header=charset.header, charset_meta=charset.meta,
            encoding_valid=encoding_valid, nesting_cut=self.nesting_cut,
            word_count=self.word_count, content_hash=self.content_hash,
            minhash=self.minhash, contact=self.contact(),
            structured_data=self.structured_data or None)

    def __reduce__(self):
        # Pickled by a parse worker for every page: links as plain tuples unpickle ~6x
        # faster than as classes (pickle calls a Python-level constructor per object), and
        # become LinkFacts again in C (_restore_page_facts).
        values = [getattr(self, name) for name in PageFacts.__slots__]
        values[_LINKS_FIELD] = [tuple(link) for link in self.links]
        return _restore_page_facts, tuple(values)

    def contact(self) -> dict[str, list[str]] | None:
        """Visible phone links and address blocks: what a visitor sees of the practice's NAP."""
        tel = [link.raw for link in self.links if link.raw[:4].lower() == "tel:"]
        if not tel and not self.addresses:
            return None
        return {"tel": tel, "addresses": self.addresses}


_LINKS_FIELD = PageFacts.__slots__.index("links")
_link_fact = partial(tuple.__new__, LinkFact)


def _restore_page_facts(*values) -> PageFacts:
    facts = PageFacts(*values)
    facts.links = list(map(_link_fact, facts.links))
    return facts
