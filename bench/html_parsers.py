"""Which HTML parser gives the head facts a browser sees, and at what cost per page.

Compares, on the HTML5 tree-construction cases that move head facts (content before
``<html>``/``<head>``, an implied end of the head, ``<meta>``/``<link>`` after body content,
a second ``<html>`` tag) and on bench/extract_micro.py's realistic 13 KB page:

``lxml``          libxml2's HTML parser as parsel builds it (the crawl's tree before H4)
``lexbor``        selectolax's lexbor (an HTML5 tree builder), parse only
``lexbor+lxml``   lexbor's HTML5 tree serialised and parsed by libxml2: the crawl's tree now
``html5-parser``  gumbo building an lxml tree, when the module imports (it needs an lxml
                  built against the same libxml2, so it is measured in a separate venv)

    .venv/bin/python bench/html_parsers.py            # 2,000 parses per parser
    .venv/bin/python bench/html_parsers.py -n 500

Prints, per case and parser, the <html lang> and where the canonical <link> ended up, then
milliseconds of CPU per parse of the realistic page (best of five blocks), and per page of
the whole parse (tree + PageExtractor.extract) with libxml2's tree and with the HTML5 one.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract_micro import realistic_page  # noqa: E402

BLOCKS = 5
CANONICAL = '<link rel="canonical" href="/c">'
# (name, html, lang a browser gives <html>, canonical in head?)
CASES = [
    ("script before <html>",
     f'<script>var a=1</script><html lang="en"><head><title>T</title>{CANONICAL}</head>'
     '<body><p>x</p></body></html>', "en", True),
    ("meta before <html>",
     f'<meta charset="utf-8"><html lang="en"><head>{CANONICAL}</head><body></body></html>',
     "en", True),
    ("text before <html>",
     f'hello<html lang="en"><head>{CANONICAL}</head><body></body></html>', "en", False),
    ("comment before <html>",
     f'<!-- c --><html lang="en"><head>{CANONICAL}</head><body></body></html>', "en", True),
    ("second <html> adds attributes",
     f'<html><head>{CANONICAL}</head><body><html lang="fr"></body></html>', "fr", True),
    ("<html> after </html>",
     f'<html><head>{CANONICAL}</head><body><p>x</p></body></html><html lang="de">', "de",
     True),
    ("no <html>/<head> tags",
     f'<title>T</title>{CANONICAL}<p>x', None, True),
    ("<img> ends the head",
     f'<html><head><title>T</title><img src="a.png">{CANONICAL}</head><body></body></html>',
     None, False),
    ("<div> ends the head",
     f'<html><head><div>x</div>{CANONICAL}</head><body></body></html>', None, False),
    ("<link> after body content",
     f'<html><head></head><body><p>x</p>{CANONICAL}</body></html>', None, False),
    ("<template> in head",
     f'<html><head><template><p>t</p></template>{CANONICAL}</head><body></body></html>',
     None, True),
    ("<noscript><img> in head",
     f'<html><head><noscript><img src="p.gif"></noscript>{CANONICAL}</head><body></body></html>',
     None, True),  # a browser running scripts reads <noscript> as text
    ("custom element in head",
     f'<html><head><my-widget></my-widget>{CANONICAL}</head><body></body></html>',
     None, False),
]


def lxml_tree(html: str) -> etree._Element:
    return lxml.html.document_fromstring(html)


def lexbor_tree(html: str):
    from selectolax.lexbor import LexborHTMLParser
    return LexborHTMLParser(html, scripting=True)


def lexbor_lxml_tree(html: str) -> etree._Element:
    from readiness.crawl.parsing import html5_document
    return html5_document(html)


def html5_parser_tree(html: str) -> etree._Element:
    import html5_parser
    return html5_parser.parse(html, treebuilder="lxml")


def facts_lxml(root: etree._Element) -> tuple[str | None, bool | None]:
    root = root.getroottree().getroot()
    for link in root.iter("link"):
        return root.get("lang"), next(link.iterancestors("head"), None) is not None
    return root.get("lang"), None


def facts_lexbor(tree) -> tuple[str | None, bool | None]:
    link = tree.css_first("link")
    in_head = None
    if link is not None:
        in_head = any(node.tag == "head" for node in _ancestors(link))
    return tree.root.attributes.get("lang"), in_head


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def _parsers() -> dict[str, tuple[Callable, Callable]]:
    parsers = {"lxml": (lxml_tree, facts_lxml)}
    try:
        import selectolax.lexbor  # noqa: F401
    except ImportError:
        print("selectolax not installed: lexbor skipped")
    else:
        parsers["lexbor"] = (lexbor_tree, facts_lexbor)
        parsers["lexbor+lxml"] = (lexbor_lxml_tree, facts_lxml)
    try:
        html5_parser_tree("<p>x")
    except Exception as exc:  # not installed, or built against another libxml2 than lxml
        print(f"html5-parser unavailable here ({type(exc).__name__}: {exc})")
    else:
        parsers["html5-parser"] = (html5_parser_tree, facts_lxml)
    return parsers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--iterations", type=int, default=2000)
    args = parser.parse_args()
    parsers = _parsers()

    print(f"{'case':32} {'browser':>12} " + " ".join(f"{name:>14}" for name in parsers))
    right = dict.fromkeys(parsers, 0)
    for case, html, lang, in_head in CASES:
        expected = f"{lang or '-'}/{'head' if in_head else 'body'}"
        cells = []
        for name, (build, read) in parsers.items():
            got_lang, got_head = read(build(html))
            got = f"{got_lang or '-'}/{'head' if got_head else 'body'}"
            right[name] += got == expected
            cells.append(f"{got + ('' if got == expected else ' X'):>14}")
        print(f"{case:32} {expected:>12} " + " ".join(cells))
    print(f"{'as a browser (of ' + str(len(CASES)) + ')':45} "
          + " ".join(f"{right[name]:>14}" for name in parsers))

    page = realistic_page()
    print(f"\nCPU ms per parse of a {len(page.encode()) / 1000:.1f} KB page (best of {BLOCKS} "
          f"blocks of {args.iterations // BLOCKS}):")
    for name, (build, _read) in parsers.items():
        print(f"  {name:14} {_best(lambda: build(page), args.iterations) * 1000:6.3f} ms")

    from readiness.crawl.extract import PageExtractor
    extractor = PageExtractor()
    url = "https://shop.example.com/blog/choosing-a-trail-running-shoe"
    print("\nCPU ms per page, tree + PageExtractor.extract:")
    for name, build in (("lxml", lxml_tree), ("lexbor+lxml", lexbor_lxml_tree)):
        per_page = _best(lambda: extractor.extract(build(page), page, url), args.iterations)
        print(f"  {name:14} {per_page * 1000:6.3f} ms")


def _best(work: Callable[[], object], iterations: int) -> float:
    """CPU seconds per call, best of BLOCKS blocks after a warm-up."""
    for _ in range(50):
        work()
    best = float("inf")
    for _ in range(BLOCKS):
        started = time.process_time()
        for _ in range(iterations // BLOCKS):
            work()
        best = min(best, (time.process_time() - started) / (iterations // BLOCKS))
    return best


if __name__ == "__main__":
    main()
