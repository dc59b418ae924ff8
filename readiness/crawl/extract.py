"""Page facts from one parsed HTML document: head tags, headings, links and their page region.

``readiness.crawl.parsing.parse_html`` calls ``extract`` for every HTML response, in a parse
worker process or in the crawl process (readiness/crawl/workers.py); the facts feed the store's ``pages``, ``links``, ``canonicals`` and
``hreflang`` tables (readiness/store/records.py). Facts are recorded as written (URLs raw,
resolved later by the spider against ``base_href``): judging them is the rules' work.

This runs once per crawled page, so it is written for speed: a few C-level ``iter`` and
attribute-axis XPath passes over the tree, no per-link ancestor walks. Main content and its
fingerprints live in readiness/page/content.py and fingerprint.py, structured data in
structured.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import lxml.html
from lxml import etree
from w3lib.html import HTML5_WHITESPACE

from readiness.crawl.facts import LinkFact, PageFacts
from readiness.crawl.structured import StructuredDataExtractor
from readiness.page.content import REGION_ROLES, MainContentReader, first_role
from readiness.page.fingerprint import DEFAULT_NUM_PERM, DEFAULT_SEED, DEFAULT_SHINGLE_WORDS

# Link elements and the attribute holding their URL.
URL_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "img": "src", "script": "src",
                  "iframe": "src"}
LINK_ELEMENTS = tuple(URL_ATTRIBUTES)
REGION_ELEMENTS = {"nav": "nav", "header": "header", "footer": "footer", "aside": "aside"}
ROBOTS_META_NAMES = frozenset({"robots", "googlebot"})

# Region containers in document order, so an inner region comes after the one around it.
# The common case needs only the fast C-level iter() over the four elements; this XPath is
# for pages where an ARIA role alone makes a region (<div role="navigation">).
_REGION_CONTAINERS = etree.XPath("//nav | //header | //footer | //aside | //@role/..",
                                 smart_strings=False)
# //@role/.. rather than //*[@role]: libxml2 walks attribute nodes far faster than it tests
# a predicate on every element.
_ROLE_ELEMENTS = etree.XPath("//@role/..", smart_strings=False)
# Visible address blocks, for NAP consistency (the rules compare them across pages).
_ADDRESSES = etree.XPath("//address", smart_strings=False)
_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]",
                            smart_strings=False)


class PageExtractor:
    """Build once per crawl; ``extract`` per page. Not tied to Scrapy: give it an lxml root.

    ``boilerplate_selectors`` are CSS selectors stripped from main content besides the
    built-in nav/header/footer/aside (config ``crawl.boilerplate_selectors``); an invalid
    one raises ValueError naming it. ``num_perm``, ``shingle_words`` and ``seed`` shape the
    MinHash signature: signatures compare only when they were made with the same values.
    """

    def __init__(self, boilerplate_selectors: Sequence[str] = (),
                 num_perm: int = DEFAULT_NUM_PERM, shingle_words: int = DEFAULT_SHINGLE_WORDS,
                 seed: int = DEFAULT_SEED) -> None:
        self.main_content = MainContentReader(boilerplate_selectors, num_perm, shingle_words,
                                              seed)
        self.structured_data = StructuredDataExtractor()

    def extract(self, root: lxml.html.HtmlElement, html_text: str, url: str) -> PageFacts:
        document = root.getroottree().getroot()
        head = _read_head(document)
        links, canonicals, body_canonicals, hreflang = _read_links(document,
                                                                  _link_regions(document))
        content = self.main_content.read(document)
        lang = document.get("lang")
        if lang is None:
            lang = document.get("xml:lang")  # XHTML served as HTML
        return PageFacts(
            title=head.title,
            meta_description=head.meta_description,
            h1=head.h1,
            meta_robots=", ".join(head.robots) if head.robots else None,
            viewport=head.viewport,
            lang=lang.strip() if lang is not None else None,
            meta_refresh=head.meta_refresh,
            base_href=head.base_href,
            canonicals=canonicals,
            body_canonicals=body_canonicals,
            hreflang=hreflang,
            links=links,
            word_count=content.word_count,
            content_hash=content.content_hash,
            minhash=content.minhash,
            structured_data=self.structured_data.extract(document, html_text, url, head.metas),
            addresses=[text for text in (" ".join(" ".join(_VISIBLE_TEXT(el)).split())
                                         for el in _ADDRESSES(document)) if text],
        )


@dataclass(slots=True)
class _Head:
    title: str | None = None
    meta_description: str | None = None
    h1: list[str] = field(default_factory=list)
    robots: list[str] = field(default_factory=list)
    viewport: str | None = None
    meta_refresh: str | None = None
    base_href: str | None = None
    metas: list[etree._Element] = field(default_factory=list)  # for the OpenGraph reader


def _read_head(document: etree._Element) -> _Head:
    """Title, the metas the rules read, <base href> and the h1s. First one wins for singles."""
    head = _Head()
    found_title = False
    for element in document.iter("title", "meta", "base", "h1"):
        tag = element.tag
        if tag == "meta":
            head.metas.append(element)
            _read_meta(element, head)
        elif tag == "h1":
            head.h1.append(_element_text(element))
        elif tag == "title":
            # An inline <svg> may hold its own <title>; browsers don't take that as the page's.
            if not found_title and next(element.iterancestors("svg"), None) is None:
                found_title = True
                head.title = _collapse(element.text_content())
        elif head.base_href is None:  # <base>: browsers use the first one with an href
            href = element.get("href")
            if href is not None:
                head.base_href = href.strip(HTML5_WHITESPACE)
    return head


def _read_meta(meta: etree._Element, head: _Head) -> None:
    name = meta.get("name")
    if name is not None:
        name = name.strip().lower()
        if name == "description":
            if head.meta_description is None:
                head.meta_description = _collapse(meta.get("content") or "")
        elif name in ROBOTS_META_NAMES:
            content = (meta.get("content") or "").strip()
            if content:
                head.robots.append(content)
        elif name == "viewport":
            if head.viewport is None:
                head.viewport = (meta.get("content") or "").strip()
        return
    http_equiv = meta.get("http-equiv")
    if (http_equiv is not None and head.meta_refresh is None
            and http_equiv.strip().lower() == "refresh"):
        head.meta_refresh = meta.get("content") or ""


def _link_regions(document: etree._Element) -> dict[etree._Element, str]:
    """Region of every link element inside nav/header/footer/aside or an element with the
    matching ARIA landmark role; links missing from the result are in "main".

    Containers come in document order, outer before inner, so a nav inside a header
    overwrites the header's claim on its links.
    """
    containers = document.iter(*REGION_ELEMENTS)
    for element in _ROLE_ELEMENTS(document):
        if element.tag not in REGION_ELEMENTS and _landmark_role(element) is not None:
            containers = _REGION_CONTAINERS(document)
            break
    region_of: dict[etree._Element, str] = {}
    for container in containers:
        region = _landmark_role(container) or REGION_ELEMENTS.get(container.tag)
        if region is not None:
            for element in container.iter(*LINK_ELEMENTS):
                region_of[element] = region
    return region_of


def _landmark_role(element: etree._Element) -> str | None:
    """The region an element's ARIA role names."""
    return REGION_ROLES.get(first_role(element))


def _read_links(document: etree._Element, region_of: dict[etree._Element, str]
                ) -> tuple[list[LinkFact], list[str], list[str], list[tuple[str, str]]]:
    """All link elements in document order, and the canonical (in <head>, elsewhere) and
    hreflang <link>s apart."""
    links: list[LinkFact] = []
    canonicals: list[str] = []
    body_canonicals: list[str] = []
    hreflang: list[tuple[str, str]] = []
    region_get = region_of.get
    add_link = links.append
    for element in document.iter(*LINK_ELEMENTS):
        tag = element.tag
        raw = element.get(URL_ATTRIBUTES[tag])
        if raw is None:
            continue
        raw = raw.strip(HTML5_WHITESPACE)  # as browsers do with URL attributes
        if tag == "a":
            if len(element) == 0:  # the common case, inlined: text only
                text = element.text
                anchor = " ".join(text.split()) if text else ""
            else:
                anchor = _element_text(element)
            rel = element.get("rel")
            add_link(LinkFact(raw, tag, region_get(element, "main"), anchor,
                              " ".join(rel.lower().split()) if rel is not None else None))
            continue
        anchor = rel = None
        if tag == "img":
            anchor = _alt(element)
        elif tag == "link":
            rel = element.get("rel")
            if rel is not None:
                tokens = rel.lower().split()
                rel = " ".join(tokens)
                # rel is a token list: "canonical" anywhere in it counts.
                if "canonical" in tokens:
                    (canonicals if _in_head(element) else body_canonicals).append(raw)
                    continue
                if "alternate" in tokens:
                    lang = element.get("hreflang")
                    if lang is not None:
                        hreflang.append((lang.strip(), raw))
                        continue
        elif tag == "area":
            anchor = _alt(element) or ""
            rel = element.get("rel")
            rel = " ".join(rel.lower().split()) if rel is not None else None
        add_link(LinkFact(raw, tag, region_get(element, "main"), anchor, rel))
    return links, canonicals, body_canonicals, hreflang


def _in_head(element: etree._Element) -> bool:
    # Where the parser put it, as a browser's or Google's parser does: an element that
    # cannot be in <head> (an <img>, a <div>, stray text) ends the head early, and the
    # <link>s after it land in <body>.
    for ancestor in element.iterancestors():
        if ancestor.tag == "head":
            return True
        if ancestor.tag == "body":
            return False
    return False


def _element_text(element: etree._Element) -> str:
    """Visible text of a link or heading, whitespace-collapsed; alt of images inside if none.

    Text nodes are joined by a space so that block children and <br> don't glue words
    together (``<a><div>Title</div><div>Subtitle</div></a>``, a common card link).
    """
    if len(element) == 0:  # the common case: text only
        text = element.text
        return " ".join(text.split()) if text else ""
    text = " ".join(" ".join(element.itertext()).split())
    if text:
        return text
    return " ".join(alt for image in element.iter("img") if (alt := _alt(image)))


def _alt(element: etree._Element) -> str | None:
    alt = element.get("alt")
    return " ".join(alt.split()) if alt is not None else None


def _collapse(text: str) -> str:
    return " ".join(text.split())
