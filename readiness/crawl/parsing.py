"""One HTML page from response bytes to stored facts: decode, parse, extract, pack the HTML.

This is the CPU-heavy part of every page (about half of the crawl's work per page), written
as a plain function of bytes so it runs the same in the crawl process or in a parse worker
process (readiness/crawl/workers.py). w3lib decodes the body with the response's encoding
(sniffed as browsers do, readiness.crawl.charset), as ``response.text`` does; the tree is
the one an HTML5 parser builds (:func:`html5_document`), not libxml2's own.
"""

from __future__ import annotations

import codecs
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree
from w3lib.encoding import html_to_unicode, read_bom

from readiness.crawl.facts import PageFacts
from readiness.page.tree import (cut_at_nesting, html5_document, parser_cut_depth,
                                  too_complex_reason)
from readiness.urls import UrlNormalizer

if TYPE_CHECKING:  # the crawl process imports the extractor only when it parses pages itself
    from readiness.crawl.extract import PageExtractor

# zlib level 1: the stored HTML is for re-analysis, not archiving; level 6 costs ~3x the CPU
# for ~15% less space.
HTML_COMPRESSION_LEVEL = 1
# Links resolved with no host map and the default stripped parameters, for callers that
# parse a page outside a crawl.
_PLAIN_URLS = UrlNormalizer()


class PageParseError(Exception):
    """The body could not be made into an HTML tree (the fetch row still stands)."""


class PageTooComplex(PageParseError):
    """The page would take the parser unbounded time (readiness.page.tree's linear checks,
    or a parse worker's crawl.parse_timeout deadline): recorded as
    ParseOutcome.TOO_COMPLEX on its fetch."""


class PageParseFailed(Exception):
    """The extractor raised on the page (a bug in readiness, in a parse worker or here):
    recorded as ParseOutcome.FAILED on its fetch, the message the exception."""


@dataclass(slots=True)
class ParsedPage:
    facts: PageFacts
    html_zlib: bytes | None  # the decoded page as zlib-compressed UTF-8, when kept
    # What the page's links are relative to: its URL, or its <base href> resolved.
    base: str
    # facts.links[i] resolved against ``base`` and normalised (None: not a URL). Resolved
    # where the page is parsed, so a parse worker takes this per-link work off the crawl
    # process, which only looks the targets up.
    link_targets: list[str | None]
    # The body (after any BOM) decodes in the page's encoding without a bad byte
    # (pages.encoding_valid): learnt here, from the decode the parse needs anyway.
    encoding_valid: bool


def parse_html(extractor: PageExtractor, url: str, body: bytes, encoding: str,
               keep_html: bool, normalizer: UrlNormalizer | None = None) -> ParsedPage:
    """Facts of the HTML page at ``url``; ``encoding`` is the response's (charset.py's);
    links resolved by ``normalizer`` (the crawl's: its host map and stripped parameters).

    Raises PageParseError when the body cannot be parsed at all, PageTooComplex when it
    cannot be parsed in bounded time. A page nested past what the parser keeps is parsed to
    the cut (``facts.nesting_cut``), and that prefix is the HTML kept.
    """
    text, encoding_valid = decode_html(body, encoding)
    reason = too_complex_reason(text)
    if reason is not None:
        raise PageTooComplex(reason)
    text, nesting_cut = cut_at_nesting(text)
    try:
        root = html5_document(text, base_url=url)
    except (ValueError, etree.LxmlError) as exc:
        raise PageParseError(f"{type(exc).__name__}: {exc}") from exc
    facts = extractor.extract(root, text, url)
    facts.nesting_cut = parser_cut_depth(root) or nesting_cut
    html_zlib = (zlib.compress(text.encode("utf-8"), HTML_COMPRESSION_LEVEL)
                 if keep_html else None)
    normalize = (normalizer or _PLAIN_URLS).normalize
    base = url
    if facts.base_href:
        base = normalize(facts.base_href, url) or url
    return ParsedPage(facts, html_zlib, base, [normalize(link.raw, base) for link in facts.links],
                      encoding_valid)


def decode_html(body: bytes, encoding: str) -> tuple[str, bool]:
    """The page's text, exactly TextResponse.text (the BOM wins, else ``encoding``, bad bytes
    replaced), and whether the body (after any BOM) decodes in ``encoding`` without a bad
    byte. ``encoding`` is the response's, which charset.py chose (the BOM's when there is
    one)."""
    text_codec, text = html_to_unicode(f"charset={encoding}", body)
    # No replacement character in text decoded by the same codec: no byte was bad, so the
    # strict decode would succeed (GB18030's w3lib error handler may insert a euro sign
    # instead, so it always takes the strict decode).
    codec = _same_codec(text_codec, encoding)
    if codec is not None and codec != "gb18030" and "\ufffd" not in text:
        return text, True
    bom, bom_bytes = read_bom(body)
    try:
        codecs.decode(body[len(bom_bytes):] if bom else body, encoding)
    except (UnicodeDecodeError, LookupError):  # LookupError: a name this Python cannot decode
        return text, False
    return text, True


def _same_codec(first: str, second: str) -> str | None:
    """The codec both names stand for, or None when they differ (or one is unknown)."""
    try:
        name = codecs.lookup(first).name
        return name if codecs.lookup(second).name == name else None
    except LookupError:
        return None
