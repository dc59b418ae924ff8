"""Micro benchmark of PageExtractor.extract, the per-page parsing on the crawl's hot path.

Times ``extract()`` over one realistic page (~13 KB: head with the usual meta/link tags, a
header with a nav, an article with inline links and images, an aside, a footer, one JSON-LD
block, ~40 link elements; no RDFa) parsed once, and prints milliseconds per page.

    .venv/bin/python bench/extract_micro.py            # 2,000 iterations
    .venv/bin/python bench/extract_micro.py -n 500 --profile

Parsing the HTML is not timed: Scrapy parses each response once for the spider anyway.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

import lxml.html

# Run from a checkout without installing it: the repo root, not bench/, must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readiness.crawl.extract import PageExtractor  # noqa: E402

PAGE_URL = "https://shop.example.com/blog/choosing-a-trail-running-shoe"

# Varied prose, so the shingles (and the MinHash work) look like a real article's.
_PROSE = (
    "Choosing a trail running shoe starts with the ground you run on most weeks. Soft mud "
    "asks for deep lugs and a snug upper, while dry rocky paths reward a firm plate and a "
    "wider base. Cushioning is a trade between comfort on long descents and feel for the "
    "terrain underfoot. Drop matters less than most forums claim, but a sudden change from "
    "a high drop road shoe to a zero drop trail shoe can strain calves for a few weeks. Fit "
    "is the one thing no review can judge for you: try shoes late in the day, with the "
    "socks you race in, and leave a thumb's width at the toe for swelling on long runs. "
    "Waterproof membranes keep feet dry in shallow puddles yet trap sweat on hot days and "
    "drain slowly once water gets over the collar. Outsole rubber wears at different rates, "
    "so a sticky compound that grips wet granite may last only a few hundred kilometres. "
)


def _paragraph(index: int) -> str:
    # Rotate the prose so paragraphs differ, like a real article's would.
    words = _PROSE.split()
    shift = (index * 17) % len(words)
    return " ".join(words[shift:] + words[:shift][: len(words) // 3])


def realistic_page() -> str:
    nav = "".join(
        f'<li><a href="/category/{name}" class="nav-link">{name.title()}</a></li>'
        for name in ("running", "hiking", "climbing", "cycling", "camping", "sale", "brands")
    )
    footer_links = "".join(
        f'<li><a href="/{slug}">{slug.replace("-", " ").title()}</a></li>'
        for slug in ("about", "careers", "press", "contact", "shipping", "returns",
                     "privacy-policy", "terms", "cookie-settings", "sitemap")
    )
    related = "".join(
        f'<li><a href="/blog/related-{i}">Related article number {i}</a></li>' for i in range(4)
    )
    body_paragraphs = []
    for i in range(6):
        link = (f' See <a href="/guides/guide-{i}" title="Guide {i}">our guide {i}</a> for '
                f'the details, or <a href="https://external{i}.example.org/review" rel="nofollow '
                f'noopener" target="_blank">an outside review</a>.')
        body_paragraphs.append(f"<p>{_paragraph(i)}{link}</p>")
        if i in (1, 4):
            body_paragraphs.append(
                f'<figure><img src="/img/shoe-{i}.jpg" alt="Shoe {i} on a rocky trail" '
                f'width="800" height="533" loading="lazy"><figcaption>Shoe {i} on a rocky '
                f'trail.</figcaption></figure>'
            )
    json_ld = (
        '{"@context": "https://schema.org", "@type": "BlogPosting", "headline": "Choosing a '
        'trail running shoe", "datePublished": "2024-03-01", "author": {"@type": "Person", '
        '"name": "Sam Runner"}, "image": "https://shop.example.com/img/shoe-1.jpg", '
        '"publisher": {"@type": "Organization", "name": "Example Shop"}}'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Choosing a Trail Running Shoe | Example Shop Blog</title>
<meta name="description" content="How to pick a trail running shoe: grip, cushioning, drop, fit and waterproofing explained.">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="index, follow, max-image-preview:large">
<link rel="canonical" href="{PAGE_URL}">
<link rel="alternate" hreflang="en" href="{PAGE_URL}">
<link rel="alternate" hreflang="de" href="https://shop.example.com/de/blog/laufschuh">
<link rel="alternate" hreflang="x-default" href="{PAGE_URL}">
<meta property="og:type" content="article">
<meta property="og:title" content="Choosing a Trail Running Shoe">
<meta property="og:url" content="{PAGE_URL}">
<meta property="og:image" content="https://shop.example.com/img/shoe-1.jpg">
<meta property="article:published_time" content="2024-03-01T08:00:00+00:00">
<meta name="twitter:card" content="summary_large_image">
<link rel="stylesheet" href="/assets/site.css">
<link rel="preload" href="/assets/font.woff2" as="font" crossorigin>
<link rel="icon" href="/favicon.ico">
<script src="/assets/site.js" defer></script>
<script type="application/ld+json">{json_ld}</script>
<style>.nav-link{{color:#333}} .hero{{margin:0 auto;max-width:60rem}}</style>
</head>
<body class="post">
<header class="site-header">
  <a href="/" class="logo"><img src="/img/logo.svg" alt="Example Shop"></a>
  <nav aria-label="Main"><ul>{nav}</ul></nav>
  <form action="/search"><input name="q" placeholder="Search"></form>
</header>
<main id="content">
  <nav class="breadcrumbs"><a href="/">Home</a> / <a href="/blog">Blog</a></nav>
  <article>
    <h1>Choosing a trail running shoe</h1>
    <p class="byline">By <a href="/authors/sam">Sam Runner</a>, March 2024</p>
    {"".join(body_paragraphs)}
  </article>
  <div class="share"><a href="https://twitter.com/intent/tweet?url={PAGE_URL}">Share</a></div>
</main>
<aside><h2>Related</h2><ul>{related}</ul></aside>
<footer><ul>{footer_links}</ul><p>&copy; 2024 Example Shop</p></footer>
<script src="https://analytics.example.net/tag.js" async></script>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"page": "post"}});</script>
</body>
</html>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--iterations", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="print the top cProfile rows")
    args = parser.parse_args()

    html_text = realistic_page()
    root = lxml.html.document_fromstring(html_text)
    extractor = PageExtractor()
    facts = extractor.extract(root, html_text, PAGE_URL)
    for _ in range(50):  # warm-up: XPath compilation caches, numpy first-call costs
        extractor.extract(root, html_text, PAGE_URL)

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    for _ in range(args.iterations):
        extractor.extract(root, html_text, PAGE_URL)
    elapsed = time.perf_counter() - started
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)

    print(f"page: {len(html_text.encode()) / 1024:.1f} KiB, {len(facts.links)} links, "
          f"{facts.word_count} main-content words, "
          f"json-ld items: {len(facts.structured_data.get('json-ld', []))}")
    print(f"extract: {elapsed / args.iterations * 1000:.3f} ms/page "
          f"over {args.iterations} iterations")


if __name__ == "__main__":
    main()
