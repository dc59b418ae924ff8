"""HTTP header facts: which headers are kept, the Link header parser, and the canonicals a page
declares in its head, its body and its Link header."""

from __future__ import annotations

import re

from readiness.page.headers import KEPT_HEADERS

_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]+)*)")
_LINK_PARAM = re.compile(r";\s*([^=;\s]+)\s*=\s*(\"[^\"]*\"|[^;,\s]*)")


def header_values(headers, name: str) -> list[str]:
    """All values of a header (Scrapy ``Headers``), decoded leniently."""
    return [value.decode("latin-1").strip() for value in headers.getlist(name)]


def kept_headers(headers, wire_encoding: list[bytes] | None = None) -> dict[str, str]:
    """The headers rules read; ``wire_encoding`` is Content-Encoding as it was sent (Scrapy
    removes it after decompressing, which would make every page look uncompressed)."""
    kept = {}
    for name in KEPT_HEADERS:
        if name == "content-encoding" and wire_encoding:
            values = [value.decode("latin-1").strip() for value in wire_encoding]
        else:
            values = header_values(headers, name)
        if values:
            kept[name] = ", ".join(values)
    return kept


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """``<url>; rel="canonical", <url2>; rel=alternate; hreflang=de`` -> [(url, params)]."""
    links = []
    for match in _LINK_VALUE.finditer(value):
        params = {
            key.lower(): val.strip('"') for key, val in _LINK_PARAM.findall(match.group(2))
        }
        links.append((match.group(1).strip(), params))
    return links


def canonical_sources(facts, header_links: list[tuple[str, dict[str, str]]], page_url: str,
                       base: str) -> list[tuple[str, str, str]]:
    """(source, raw URL, base to resolve it against) of every canonical a page declares:
    in its head (html), outside it (body), in its Link header (header)."""
    return [("html", raw, base) for raw in facts.canonicals] + [
        ("body", raw, base) for raw in facts.body_canonicals] + [
        ("header", raw, page_url) for raw, params in header_links
        if "canonical" in params.get("rel", "").lower().split()]
