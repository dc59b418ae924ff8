"""The encoding an HTML page is decoded with, chosen as browsers choose it, and what it declared.

Scrapy's HtmlResponse takes the BOM, else the Content-Type charset, else the ``<meta>``
declaration as w3lib resolves it, so ``<meta charset=utf-16>`` on UTF-8 bytes (a common
copy-paste mistake) decodes the page as UTF-16 and turns it into CJK noise: no title, no
links. The WHATWG encoding-sniffing algorithm says a ``<meta>`` prescan that finds UTF-16
(LE/BE) means UTF-8 — the prescan read ASCII bytes, so the page cannot be UTF-16 — and
x-user-defined means windows-1252. :class:`HtmlCharsetMiddleware` applies that to each HTML
response once it is decompressed, so ``response.encoding`` (the parse, the stored
``pages.encoding``) is what a browser uses, and keeps the declarations for the page's row
(ONP014 reports false and conflicting ones). Whether the body decodes in that encoding
without a bad byte is learnt where the page is parsed (readiness.crawl.parsing), which
decodes it anyway, not here.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from scrapy.http import HtmlResponse, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

# WHATWG "prescan a byte stream": a <meta> naming UTF-16 means UTF-8 (as w3lib resolves
# utf-16, utf-16le and utf-16be).
_META_UTF16 = frozenset({"utf-16", "utf-16-le", "utf-16-be"})


@dataclass(frozen=True, slots=True)
class PageCharset:
    """What the page said about its encoding and what it is decoded with (codec names)."""

    header: str | None   # the Content-Type charset
    meta: str | None     # the <meta charset> / http-equiv / XML declaration in the first 4 KiB
    used: str            # what the body is decoded with


def page_charset(content_type: str | None, body: bytes, fallback: str) -> PageCharset:
    """Sniff as the HTML standard does: BOM, Content-Type charset, <meta> prescan (UTF-16
    there meaning UTF-8), then ``fallback`` (Scrapy's guess for an undeclared page)."""
    header = http_content_type_encoding(content_type)
    meta = html_body_declared_encoding(body)
    bom, _ = read_bom(body)
    if bom:
        used = bom
    elif header:
        used = header
    elif meta:
        used = "utf-8" if meta in _META_UTF16 else meta
    else:
        used = fallback
    return PageCharset(header=header, meta=meta, used=used)


def sniff_response(response) -> PageCharset:
    content_type = response.headers.get(b"Content-Type")
    return page_charset(content_type.decode("latin-1") if content_type else None,
                        response.body, response.encoding)


def is_html(response) -> bool:
    """An HTML page to parse: Scrapy made it an HtmlResponse, or a text one says html."""
    return isinstance(response, HtmlResponse) or (
        isinstance(response, TextResponse)
        and b"html" in (response.headers.get(b"Content-Type") or b""))


class HtmlCharsetMiddleware:
    """Re-decides each HTML response's encoding (:func:`page_charset`); the declarations go
    to ``request.meta["readiness_charset"]`` for the page's row (every :func:`is_html`
    response passes here, so the row says what the parse used). Ordered below
    HttpCompressionMiddleware (590) so it reads the decompressed body."""

    def process_response(self, request, response, spider=None):
        if not is_html(response):
            return response
        # Sniffed afresh: a retried request carries the meta of the answer it retries.
        charset = sniff_response(response)
        request.meta["readiness_charset"] = charset
        if codecs.lookup(charset.used).name != codecs.lookup(response.encoding).name:
            return response.replace(encoding=charset.used)
        return response
