"""The facts readiness keeps about one HTML page, as PageExtractor (extract.py) reads them.

Kept apart from the extractor so that code which only carries facts (the crawl process,
receiving them from a parse worker) does not import the parsing libraries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class LinkFact:
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
