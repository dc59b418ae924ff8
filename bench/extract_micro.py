"""Micro benchmark of PageExtractor.extract, the per-page parsing on the crawl's hot path.

Times ``extract()`` over one realistic page (~13 KB of a CMS theme's markup: head with the
usual meta/link tags, a header with a nav, an article of ~550 words with inline links and
images, an aside, a footer, one JSON-LD block, 47 link elements; no RDFa) parsed once, and
prints milliseconds per page, wall clock and CPU. Target: 1 ms.

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
BLOCKS = 5

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


def _paragraph(index: int, words: int = 75) -> str:
    # Rotate the prose so paragraphs differ, like a real article's would.
    prose = _PROSE.split()
    shift = (index * 17) % len(prose)
    return " ".join((prose[shift:] + prose[:shift])[:words])


_ICON = ('<svg class="icon" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">'
         '<path d="M2 4h12v1.5H2zm0 3.25h12v1.5H2zm0 3.25h12V12H2z"/></svg>')


def realistic_page() -> str:
    """~13 KB, 47 link elements, ~500 words of main content, markup like a CMS theme's."""
    nav = "".join(
        f'<li class="menu-item menu-item-type-taxonomy menu-item-{i}"><a href="/category/'
        f'{name}" class="nav-link" data-track="nav-{name}">{name.title()}</a></li>'
        for i, name in enumerate(("running", "hiking", "climbing", "cycling", "camping",
                                  "sale", "brands", "journal"))
    )
    footer_links = "".join(
        f'<li class="footer-menu__item"><a class="footer-menu__link" href="/{slug}">'
        f'{slug.replace("-", " ").title()}</a></li>'
        for slug in ("about", "contact", "shipping", "returns", "privacy-policy", "terms")
    )
    related = "".join(
        f'<li class="related__item"><a class="related__link" href="/blog/related-{i}">'
        f'<span class="related__title">Related article number {i}</span></a></li>'
        for i in range(4)
    )
    body = []
    for i in range(6):
        link = (f' See <a href="/guides/guide-{i}" title="Guide {i}">our guide {i}</a> for '
                f'the details, or <a href="https://external{i % 2}.example.org/review-{i}" '
                f'rel="nofollow noopener" target="_blank">an outside review</a>.')
        if i % 2 == 0:
            body.append(f'<h2 class="wp-block-heading" id="section-{i}">Section {i} of the '
                        f'guide</h2>')
        body.append(f'<p class="has-text-align-left">{_paragraph(i)}{link}</p>')
        if i in (1, 4):
            body.append(
                f'<figure class="wp-block-image size-large"><img src="/img/shoe-{i}.jpg" '
                f'alt="Shoe {i} on a rocky trail" width="800" height="533" loading="lazy" '
                f'decoding="async" class="wp-image-10{i}"><figcaption class="wp-element-'
                f'caption">Shoe {i} on a rocky trail.</figcaption></figure>'
            )
    json_ld = (
        '{"@context": "https://schema.org", "@graph": [{"@type": "BlogPosting", "headline": '
        '"Choosing a trail running shoe", "datePublished": "2024-03-01T08:00:00+00:00", '
        '"dateModified": "2024-03-09T10:12:00+00:00", "author": {"@type": "Person", "name": '
        '"Sam Runner", "url": "https://shop.example.com/authors/sam"}, "image": '
        '"https://shop.example.com/img/shoe-1.jpg", "publisher": {"@id": '
        '"https://shop.example.com/#org"}}, {"@type": "Organization", "@id": '
        '"https://shop.example.com/#org", "name": "Example Shop", "logo": '
        '"https://shop.example.com/img/logo.png"}, {"@type": "BreadcrumbList", '
        '"itemListElement": [{"@type": "ListItem", "position": 1, "name": "Home", "item": '
        '"https://shop.example.com/"}, {"@type": "ListItem", "position": 2, "name": "Blog", '
        '"item": "https://shop.example.com/blog"}]}]}'
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB" class="no-js">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>Choosing a Trail Running Shoe | Example Shop Blog</title>
<meta name="description" content="How to pick a trail running shoe: grip, cushioning, drop, fit and waterproofing explained.">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="index, follow, max-image-preview:large, max-snippet:-1">
<link rel="canonical" href="{PAGE_URL}">
<link rel="alternate" hreflang="en-gb" href="{PAGE_URL}">
<link rel="alternate" hreflang="de" href="https://shop.example.com/de/blog/laufschuh">
<link rel="alternate" hreflang="x-default" href="{PAGE_URL}">
<meta property="og:locale" content="en_GB">
<meta property="og:type" content="article">
<meta property="og:title" content="Choosing a Trail Running Shoe">
<meta property="og:description" content="Grip, cushioning, drop, fit and waterproofing explained.">
<meta property="og:url" content="{PAGE_URL}">
<meta property="og:site_name" content="Example Shop">
<meta property="og:image" content="https://shop.example.com/img/shoe-1.jpg">
<meta property="article:published_time" content="2024-03-01T08:00:00+00:00">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@exampleshop">
<link rel="stylesheet" id="theme-css" href="/wp-content/themes/shop/style.min.css?ver=6.4.3" media="all">
<link rel="preload" href="/wp-content/themes/shop/fonts/inter.woff2" as="font" type="font/woff2" crossorigin>
<link rel="icon" href="/favicon-32x32.png" sizes="32x32">
<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<script type="application/ld+json" class="yoast-schema-graph">{json_ld}</script>
<script>document.documentElement.className = document.documentElement.className.replace("no-js", "js"); window.shopConfig = {{"currency": "GBP", "locale": "en_GB", "cartUrl": "/cart", "ajaxUrl": "/wp-admin/admin-ajax.php", "nonce": "a1b2c3d4e5"}};</script>
<style id="theme-inline-css">.nav-link{{color:#333;text-decoration:none}} .site-header{{display:flex;align-items:center;gap:1rem}} .hero{{margin:0 auto;max-width:60rem}} .related__item{{list-style:none}}</style>
</head>
<body class="post-template-default single single-post postid-4242 single-format-standard">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header" role="banner">
  <div class="site-branding"><a href="/" class="custom-logo-link" rel="home"><img src="/img/logo.svg" class="custom-logo" alt="Example Shop" width="160" height="40"></a></div>
  <button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false">{_ICON}<span class="screen-reader-text">Menu</span></button>
  <nav id="site-navigation" class="main-navigation" aria-label="Primary"><ul id="primary-menu" class="menu">{nav}</ul></nav>
  <form role="search" method="get" class="search-form" action="/"><label><span class="screen-reader-text">Search for:</span><input type="search" class="search-field" placeholder="Search" name="s"></label><button type="submit" class="search-submit">{_ICON}</button></form>
</header>
<div id="content" class="site-content">
<main id="primary" class="site-main">
  <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> <span class="sep">/</span> <a href="/blog">Blog</a></nav>
  <article id="post-4242" class="post-4242 post type-post status-publish format-standard has-post-thumbnail hentry category-running">
    <header class="entry-header"><h1 class="entry-title">Choosing a trail running shoe</h1>
    <div class="entry-meta"><span class="byline">By <span class="author vcard"><a class="url fn n" href="/authors/sam">Sam Runner</a></span></span> <time class="entry-date published" datetime="2024-03-01T08:00:00+00:00">1 March 2024</time></div></header>
    <div class="entry-content">
    {"".join(body)}
    </div>
    <footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/running" rel="category tag">Running</a></span></footer>
  </article>
  <div class="share-buttons"><a class="share share--x" href="https://x.com/intent/post?url={PAGE_URL}" rel="noopener" target="_blank">{_ICON}<span>Share</span></a> <a class="share share--mail" href="mailto:?subject=Trail%20shoes&amp;body={PAGE_URL}">{_ICON}<span>Email</span></a></div>
</main>
<aside id="secondary" class="widget-area"><section class="widget related"><h2 class="widget-title">Related</h2><ul class="related__list">{related}</ul></section></aside>
</div>
<footer id="colophon" class="site-footer"><div class="footer-widgets"><ul class="footer-menu">{footer_links}</ul></div><div class="site-info"><p>&copy; 2024 Example Shop Ltd. Registered in England and Wales, company number 01234567.</p></div></footer>
</div>
<div id="cookie-notice" class="cookie-notice" role="dialog" aria-live="polite"><p>We use cookies to remember your basket and to measure which pages are read.</p><button class="cookie-notice__accept">Accept</button></div>
<script src="https://analytics.example.net/tag.js?id=G-ABC123" async></script>
<script id="theme-js" src="/wp-content/themes/shop/js/theme.min.js?ver=1.9.0" defer></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}} gtag("js", new Date()); gtag("config", "G-ABC123", {{"anonymize_ip": true}});</script>
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
    # Five blocks: the fastest block is the least disturbed by other processes (timeit's
    # "best of" advice); the totals are what a crawl would see on this machine right now.
    block_cpu = []
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(BLOCKS):
        block_started = time.process_time()
        for _ in range(args.iterations // BLOCKS):
            extractor.extract(root, html_text, PAGE_URL)
        block_cpu.append(time.process_time() - block_started)
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)

    print(f"page: {len(html_text.encode()) / 1024:.1f} KiB, {len(facts.links)} link elements, "
          f"{facts.word_count} main-content words, "
          f"json-ld items: {len(facts.structured_data.get('json-ld', []))}")
    # CPU time as well as wall time: on a shared machine the wall clock also counts the time
    # other processes had the core.
    iterations = args.iterations // BLOCKS * BLOCKS
    print(f"extract: {wall / iterations * 1000:.3f} ms/page wall, "
          f"{cpu / iterations * 1000:.3f} ms/page CPU, "
          f"best block {min(block_cpu) / (iterations // BLOCKS) * 1000:.3f} ms/page CPU, "
          f"over {iterations} iterations")


if __name__ == "__main__":
    main()
