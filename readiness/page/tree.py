"""The HTML5 tree of one page: the tree the crawl's extractor reads and custom rules query.

Both stages build it with :func:`html5_document`, so a selector in a custom rule sees exactly
the tree the crawl extracted the page's facts from (docs/architecture.md, "Page facts come
from the HTML5 tree").
"""

from __future__ import annotations

import lxml.html
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
