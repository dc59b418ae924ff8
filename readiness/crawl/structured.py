"""Structured data of a page (JSON-LD, microdata, RDFa, OpenGraph) through extruct.

The result is the ``pages.structured_data`` JSON::

    {"json-ld": [...], "microdata": [...], "rdfa": [...],
     "opengraph": [{"properties": [[property, content], ...], "twitter": [[name, content], ...]}],
     "errors": [{"syntax": "json-ld", "error": "JSONDecodeError: ...", "snippet": "...",
                 "line": 4, "column": 27, "data_kept": false}]}

with each key present only when it has something. Extraction never raises: a syntax extruct
fails on is an entry in "errors" (that is a finding about the page, not a crawl failure).
Each JSON-LD block is parsed on its own, so one broken block does not hide the others.

JSON-LD is JSON (RFC 8259), so each block is read with ``json.loads`` first, as search
engines read it. A block only extruct's lenient fallback (jstyleson: trailing commas,
comments, control characters in strings) accepts keeps its data in "json-ld" *and* has an
error with ``data_kept: true``: the site's other rules still see what it says, and SD001
reports that search engines reject it. ``line`` and ``column`` (1-based) are the strict
parser's position of the error inside the block's text.

Cost decides the order of work: JSON-LD and OpenGraph are cheap and read on every page;
microdata only runs when an element has ``itemscope``; RDFa (extruct re-parses the whole
page for it: ~20 ms, twenty times the rest) only when an element has ``vocab`` or ``typeof``,
or a ``property`` that is not one of the social metas below.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import extruct
from extruct.jsonld import JsonLdExtractor
from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree

SNIPPET_CHARS = 300
# The ogp.me namespaces extruct's OpenGraph extractor knows without a prefix declaration.
OPENGRAPH_PREFIXES = ("og:", "article:", "book:", "profile:", "music:", "video:", "product:")
# <meta property=...> a page carries for social previews; RDFa in name only, not worth the
# RDFa parser. fb:app_id is the common non-OpenGraph one.
SOCIAL_META_PREFIXES = OPENGRAPH_PREFIXES + ("twitter:", "fb:")

_SOCIAL_PROPERTY_TESTS = " or ".join(
    f"starts-with(normalize-space(.), '{prefix}')" for prefix in SOCIAL_META_PREFIXES)
# Attribute-axis scans (descendant-or-self::*/@x): libxml2 walks attribute nodes many times
# faster than it tests a predicate on every element. RDFa leaves out social <meta property>s.
_HAS_MICRODATA = etree.XPath("boolean(descendant-or-self::*/@itemscope)")
_FIRST_MICRODATA = etree.XPath("(descendant-or-self::*/@itemscope/..)[1]")
_RDFA_ELEMENTS = (
    "descendant-or-self::*/@vocab/.. | descendant-or-self::*/@typeof/.. | "
    f"descendant-or-self::*/@property[not(parent::meta) or not({_SOCIAL_PROPERTY_TESTS})]/.."
)
_HAS_RDFA = etree.XPath(f"boolean({_RDFA_ELEMENTS})")
_FIRST_RDFA = etree.XPath(f"({_RDFA_ELEMENTS})[1]")
JSON_LD_TYPE = "application/ld+json"  # an exact match, as extruct's JsonLdExtractor selects


class StructuredDataExtractor:
    """Build once; ``extract`` per page."""

    def __init__(self) -> None:
        self._json_ld = JsonLdExtractor()
        self._microdata = MicrodataExtractor()

    def extract(self, root: etree._Element, html_text: str, url: str,
                metas: Sequence[etree._Element] | None = None) -> dict[str, Any]:
        """Structured data of the page; ``metas``: its <meta> elements, if already at hand."""
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []

        json_ld = []
        for script in root.iter("script"):
            if script.get("type") != JSON_LD_TYPE:
                continue
            text = script.xpath("string()")  # the text extruct reads
            try:
                json_ld.extend(_json_ld_items(json.loads(text)))
                continue
            except (ValueError, RecursionError) as exc:  # JSONDecodeError; absurd nesting
                syntax_error = _error("json-ld", exc, text)
                if isinstance(exc, json.JSONDecodeError):
                    syntax_error.update(line=exc.lineno, column=exc.colno)
            try:
                # One block at a time (extruct selects the script itself), so a broken
                # block is reported and the others still read.
                lenient = self._json_ld.extract_items(script, base_url=url)
            except Exception:  # whatever jstyleson raises: the strict error above says why
                syntax_error["data_kept"] = False
            else:
                json_ld.extend(lenient)
                syntax_error["data_kept"] = True
            errors.append(syntax_error)
        if json_ld:
            data["json-ld"] = json_ld

        if _HAS_MICRODATA(root):
            try:
                items = self._microdata.extract_items(root, base_url=url)
            except Exception as exc:
                errors.append(_error("microdata", exc, _markup(_FIRST_MICRODATA(root))))
            else:
                if items:
                    data["microdata"] = items
        if html_text and _HAS_RDFA(root):
            try:
                items = extruct.extract(html_text, base_url=url, syntaxes=["rdfa"],
                                        uniform=False).get("rdfa")
            except Exception as exc:
                errors.append(_error("rdfa", exc, _markup(_FIRST_RDFA(root))))
            else:
                if items:
                    data["rdfa"] = items

        opengraph = _opengraph(root.iter("meta") if metas is None else metas)
        if opengraph:
            data["opengraph"] = opengraph
        if errors:
            data["errors"] = errors
        return data


def _opengraph(metas: Iterable[etree._Element]) -> list[dict[str, list[list[str]]]]:
    """[{"properties": [[og property, content]...], "twitter": [[name, content]...]}] or []."""
    properties, twitter = [], []
    for meta in metas:
        content = meta.get("content")
        if content is None:
            continue
        prop = meta.get("property")
        if prop is not None:
            prop = prop.strip()
            if prop.startswith(OPENGRAPH_PREFIXES):
                properties.append([prop, content])
                continue
            if prop.startswith("twitter:"):  # a common mistake, read by Twitter/X all the same
                twitter.append([prop, content])
                continue
        name = meta.get("name")
        if name is not None:
            name = name.strip()
            if name.lower().startswith("twitter:"):
                twitter.append([name, content])
    if not properties and not twitter:
        return []
    card: dict[str, list[list[str]]] = {"properties": properties}
    if twitter:
        card["twitter"] = twitter
    return [card]


def _json_ld_items(data: Any) -> list[Any]:
    """The items of one parsed block, as extruct's JsonLdExtractor yields them."""
    if isinstance(data, list):
        return [item for item in data if item]
    return [data] if isinstance(data, dict) and data else []


def _error(syntax: str, exc: Exception, snippet: str) -> dict[str, Any]:
    return {"syntax": syntax, "error": f"{type(exc).__name__}: {exc}",
            "snippet": snippet.strip()[:SNIPPET_CHARS]}


def _markup(found: list[etree._Element]) -> str:
    """The start of the first element's markup, for an error's snippet."""
    if not found:
        return ""
    return etree.tostring(found[0], encoding="unicode", with_tail=False)[:SNIPPET_CHARS]
