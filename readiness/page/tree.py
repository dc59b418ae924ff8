"""The HTML5 tree of one page: the tree the crawl's extractor reads and custom rules query.

Both stages build it with :func:`html5_document`, so a selector in a custom rule sees exactly
the tree the crawl extracted the page's facts from (docs/architecture.md, "Page facts come
from the HTML5 tree").
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from parsel.selector import create_root_node
from selectolax.lexbor import LexborHTMLParser


def html5_document(text: str, base_url: str | None = None) -> lxml.html.HtmlElement:
    """The lxml tree of ``text`` as a browser's HTML5 parser builds it.

    libxml2's HTML parser predates HTML5 tree construction: it drops the attributes of an
    ``<html>`` tag that comes after anything else (``<script>…</script><html lang="en">``
    loses its lang), and merges no later ``<html>`` tag into the root as browsers do. lexbor
    (selectolax) builds the HTML5 tree, with scripting on as in a browser that runs scripts
    (``<noscript>`` in ``<head>`` is text, so a tracking ``<img>`` inside it does not end the
    head); its serialisation is a document libxml2 reads without repairs, so every reader
    downstream (extract.py, content.py, structured.py, custom rules) keeps its lxml tree and
    sees the browser's. Measured in bench/html_parsers.py: +0.13 ms per 13 KB page.
    """
    html5 = LexborHTMLParser(text, scripting=True).html or ""
    return create_root_node(html5, lxml.html.HTMLParser, base_url=base_url)


# -- bounds: pages whose parse cost grows faster than their size -----------------------------
#
# Both parsers are quadratic somewhere: lexbor checks each attribute of an element against the
# ones before it (100,000 attributes on one <div>: minutes), and its open-element stack is
# searched at every tag (100,000 nested <div>s: ~40 s). These scans of the text are linear,
# so a hostile page is caught before either parser sees it; the parse worker's deadline
# (crawl.parse_timeout) stays the general guarantee.

# No real element carries this many attributes; lexbor parses 2,000 in ~7 ms.
MAX_ATTRIBUTES = 1000
# libxml2 (lxml's huge_tree, as parsel builds the tree) keeps elements to this nesting level
# (<html> is level 1) and silently drops what is deeper.
PARSER_MAX_DEPTH = 2048
# The text is cut where the open-tag scan reaches this level: past PARSER_MAX_DEPTH nothing
# would be kept anyway, and the slack absorbs what the scan over-counts (an unclosed <b>).
SCAN_MAX_DEPTH = 2 * PARSER_MAX_DEPTH

# An element's start tag long enough to hold MAX_ATTRIBUTES attributes (" a" each, at least).
_LONG_START_TAG = re.compile(r"<[A-Za-z][^<>]{%d,}" % (2 * MAX_ATTRIBUTES))
_TAG_NAME = re.compile(r"<([A-Za-z][^\s/>]*)")
_ATTRIBUTE = re.compile(r"""[^\s/>="']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")
# Elements that never hold others (void) or whose end tag a parser implies (the next <li>
# closes a <li>): counting them as open would over-count the depth.
_NOT_NESTING = frozenset(
    "area base br col embed hr img input link meta source track wbr param keygen "
    "p li dt dd option optgroup tr td th thead tbody tfoot caption colgroup rb rt rp "
    "html head body".split())
_AT_PARSER_MAX_DEPTH = etree.XPath("/*" * PARSER_MAX_DEPTH)


def too_complex_reason(text: str) -> str | None:
    """Why ``text`` is too complex to parse in bounded time, or None. Linear in the text."""
    for match in _LONG_START_TAG.finditer(text):
        tag = match.group()
        name = _TAG_NAME.match(tag)
        attributes = len(_ATTRIBUTE.findall(tag, name.end()))
        if attributes > MAX_ATTRIBUTES:
            name = name.group(1).lower()
            return (f"a <{name}> element with {attributes:,} attributes (over "
                    f"{MAX_ATTRIBUTES:,})")
    return None


def cut_at_nesting(text: str) -> tuple[str, int | None]:
    """``text`` up to the tag where elements open past SCAN_MAX_DEPTH levels, and that
    level; ``(text, None)`` when they never do. Linear in the text."""
    if text.count("<") <= SCAN_MAX_DEPTH:
        # Each level opens at a "<": a page with fewer cannot reach the cut (nearly every
        # page), and str.count is ~100x cheaper than the Python scan of its tags.
        return text, None
    depth = 0
    for match in _TAG.finditer(text):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if name in _NOT_NESTING or self_closing:
            continue
        if closing:
            depth = max(depth - 1, 0)
            continue
        depth += 1
        if depth > SCAN_MAX_DEPTH:
            return text[:match.start()], SCAN_MAX_DEPTH
    return text, None


def parser_cut_depth(root: lxml.html.HtmlElement) -> int | None:
    """PARSER_MAX_DEPTH when the tree reaches it (libxml2 dropped what was deeper)."""
    return PARSER_MAX_DEPTH if _AT_PARSER_MAX_DEPTH(root.getroottree()) else None
