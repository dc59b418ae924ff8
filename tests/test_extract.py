"""PageExtractor (readiness/crawl/extract.py) and its parts: content.py, structured.py."""

from __future__ import annotations

import lxml.html
import pytest

from readiness.crawl import structured
from readiness.page.fingerprint import DEFAULT_NUM_PERM, jaccard, minhash_from_bytes
from readiness.crawl.extract import LinkFact, PageExtractor
from readiness.page.tree import html5_document

URL = "https://example.com/page"


def extract(html: str, extractor: PageExtractor | None = None):
    root = html5_document(html)  # the tree the crawl builds
    return (extractor or PageExtractor()).extract(root, html, URL)


def links_by_raw(facts) -> dict[str, LinkFact]:
    return {link.raw: link for link in facts.links}


def prose(seed: int, words: int = 120) -> str:
    """Deterministic varied text: word i of text `seed`."""
    return " ".join(f"w{(i * 7919 + seed * 104729) % 5003}" for i in range(words))


# --- head facts ----------------------------------------------------------------------------

def test_head_facts():
    facts = extract("""<html lang=" de-AT "><head>
        <title>
            Trail   shoes
            | Shop </title>
        <meta name="Description" content="  Grip,
            cushioning  and fit. ">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Refresh" content="5; url=/next">
        <base href=" /base/ "><base href="/second/">
        </head><body><h1>First  <em>heading</em></h1><h1><img src="/logo.png" alt="Logo">
        </h1></body></html>""")
    assert facts.title == "Trail shoes | Shop"
    assert facts.meta_description == "Grip, cushioning and fit."
    assert facts.viewport == "width=device-width, initial-scale=1"
    assert facts.meta_refresh == "5; url=/next"
    assert facts.base_href == "/base/"
    assert facts.lang == "de-AT"
    assert facts.h1 == ["First heading", "Logo"]


def test_absent_head_facts_are_none():
    facts = extract("<html><head></head><body><p>Just text.</p></body></html>")
    assert facts.title is None
    assert facts.meta_description is None
    assert facts.meta_robots is None
    assert facts.viewport is None
    assert facts.lang is None
    assert facts.meta_refresh is None
    assert facts.base_href is None
    assert facts.h1 == []
    assert facts.canonicals == []
    assert facts.hreflang == []
    assert facts.structured_data == {}


def test_empty_title_and_svg_title():
    assert extract("<html><head><title>  </title></head><body></body></html>").title == ""
    # An inline SVG's <title> labels the icon, not the page.
    facts = extract("<html><head></head><body><svg><title>Cart icon</title></svg></body></html>")
    assert facts.title is None


def test_meta_robots_joins_robots_and_googlebot_metas():
    facts = extract("""<html><head>
        <meta name="robots" content="noindex">
        <meta name="GoogleBot" content=" nofollow ">
        <meta name="ROBOTS" content="noarchive">
        <meta name="bingbot" content="nosnippet">
        <meta name="robots" content="">
        </head><body></body></html>""")
    assert facts.meta_robots == "noindex, nofollow, noarchive"


# --- links ---------------------------------------------------------------------------------

def test_every_link_element_with_anchor_and_rel():
    facts = extract("""<html><head>
        <link rel="Stylesheet" href="/site.css">
        <script src=" /app.js "></script>
        <script>inline();</script>
        </head><body>
        <a href="/plain">  Plain
            text </a>
        <a href="/logo"><img src="/logo.png" alt=" Home  page "></a>
        <a href="/icon"><svg></svg></a>
        <a href="/nofollow" rel=" NoFollow   UGC ">Sponsored</a>
        <a name="no-href">Not a link</a>
        <a href="/card"><div>Title</div><div>Subtitle</div></a>
        <img src="/no-alt.png"><img src="/empty-alt.png" alt="">
        <map><area href="/area" alt="Region" rel="nofollow"></map>
        <iframe src="https://video.example.net/embed/1"></iframe>
        </body></html>""")
    links = links_by_raw(facts)
    assert links["/site.css"] == LinkFact("/site.css", "link", "main", None, "stylesheet")
    assert links["/app.js"] == LinkFact("/app.js", "script", "main", None, None)
    assert links["/plain"] == LinkFact("/plain", "a", "main", "Plain text", None)
    assert links["/logo"].anchor == "Home page"
    assert links["/logo.png"] == LinkFact("/logo.png", "img", "main", "Home page", None)
    assert links["/icon"].anchor == ""
    assert links["/nofollow"].rel == "nofollow ugc"
    assert links["/card"].anchor == "Title Subtitle"
    assert links["/no-alt.png"].anchor is None  # missing alt and empty alt are different facts
    assert links["/empty-alt.png"].anchor == ""
    assert links["/area"] == LinkFact("/area", "area", "main", "Region", "nofollow")
    assert links["https://video.example.net/embed/1"].element == "iframe"
    assert len(facts.links) == len(links) == 12  # no <a> without href, no inline script
    assert [link.raw for link in facts.links][:3] == ["/site.css", "/app.js", "/plain"]


def test_regions_including_nested_and_aria_landmarks():
    facts = extract("""<html><head><link rel="icon" href="/favicon.ico"></head><body>
        <header><a href="/h">Logo</a>
            <nav><a href="/h-nav">Menu</a></nav>
            <a href="/h-after">After the nav</a></header>
        <div role="navigation"><a href="/role-nav">Role nav</a></div>
        <div role="banner"><a href="/role-banner">Role banner</a></div>
        <main><p><a href="/in-text">in text</a></p>
            <aside><a href="/aside">Related</a></aside></main>
        <nav><footer><a href="/footer-in-nav">x</a></footer></nav>
        <footer role="contentinfo"><img src="/badge.png" alt=""></footer>
        <div role="complementary"><a href="/role-aside">x</a></div>
        <a href="/loose">Outside all regions</a>
        </body></html>""")
    regions = {link.raw: link.region for link in facts.links}
    assert regions == {
        "/favicon.ico": "main",
        "/h": "header",
        "/h-nav": "nav",
        "/h-after": "header",
        "/role-nav": "nav",
        "/role-banner": "header",
        "/in-text": "main",
        "/aside": "aside",
        "/footer-in-nav": "footer",
        "/badge.png": "footer",
        "/role-aside": "aside",
        "/loose": "main",
    }


def test_regions_without_aria_landmarks():
    facts = extract("""<html><body><header role="banner"><nav role="navigation">
        <a href="/n">n</a></nav></header><footer><a href="/f">f</a></footer>
        <button role="button"><a href="/m">m</a></button></body></html>""")
    assert [(link.raw, link.region) for link in facts.links] == [
        ("/n", "nav"), ("/f", "footer"), ("/m", "main")]


def test_canonicals_are_rel_tokens_anywhere_and_kept_out_of_links():
    facts = extract("""<html><head>
        <link rel="canonical" href=" https://example.com/a ">
        <link rel="Canonical preload" href="/b">
        <link rel="alternate" hreflang="de" href="https://example.com/de/">
        <link rel="Alternate" hreflang=" x-default " href="/">
        <link rel="alternate" type="application/rss+xml" href="/feed">
        </head><body>
        <link rel="canonical" href="/in-body">
        <a rel="canonical" href="/anchor">not a canonical</a>
        </body></html>""")
    assert facts.canonicals == ["https://example.com/a", "/b"]
    assert facts.body_canonicals == ["/in-body"]
    assert facts.hreflang == [("de", "https://example.com/de/"), ("x-default", "/")]
    assert [(link.raw, link.rel) for link in facts.links] == [
        ("/feed", "alternate"), ("/anchor", "canonical")]


def test_a_canonical_after_what_ends_the_head_is_outside_it():
    # Parsers close <head> at the first element that cannot be in it, as Google's does.
    facts = extract("""<html><head><title>t</title>
        <noscript><link rel="stylesheet" href="/s.css"></noscript>
        <link rel="canonical" href="/kept">
        <img src="/pixel.gif">
        <link rel="canonical" href="/pushed-out">
        </head><body><p>text</p></body></html>""")
    assert facts.canonicals == ["/kept"]
    assert facts.body_canonicals == ["/pushed-out"]


# --- HTML5 tree construction (html5lib-tests cases that move head facts) -----------------
# libxml2's HTML parser, the crawl's parser before, loses or moves these; a browser does not.

def _head_facts(html: str) -> tuple:
    facts = extract(html)
    return facts.lang, facts.title, facts.canonicals, facts.body_canonicals


@pytest.mark.parametrize("before", [
    "<script>var a = 1;</script>",            # the reported case: a script first
    '<meta charset="utf-8">',                 # a head element before <html>
    "<!-- build 42 --><title>Early</title>",  # comment, then a head element
    "\n  <style>p{}</style>\n",               # whitespace and a style
])
def test_html_lang_survives_content_before_the_html_tag(before):
    # "in head"/"before html": an <html> start tag seen later adds its attributes to the
    # root element (html5lib-tests tests1.dat "<html> after content").
    lang, _title, canonicals, body_canonicals = _head_facts(
        f'{before}<html lang="en"><head><link rel="canonical" href="/c"></head>'
        '<body><p>x</p></body></html>')
    assert lang == "en"
    assert (canonicals, body_canonicals) == (["/c"], [])


def test_text_before_the_html_tag_starts_the_body():
    # Text is body content: the body starts there, so the head's <link> lands in <body>,
    # yet <html lang> still reaches the root.
    lang, _title, canonicals, body_canonicals = _head_facts(
        'Hello<html lang="en"><head><link rel="canonical" href="/c"></head><body></body></html>')
    assert (lang, canonicals, body_canonicals) == ("en", [], ["/c"])


def test_a_later_html_tag_adds_only_missing_attributes():
    facts = extract('<html lang="en"><head></head><body><p>x</p>'
                    '<html lang="fr" dir="rtl"></body></html><html class="late">')
    assert facts.lang == "en"  # the first lang stands; a later tag only fills gaps


def test_html_tag_after_the_end_of_the_document_still_sets_lang():
    assert extract("<html><body><p>x</p></body></html><html lang=de>").lang == "de"


def test_head_and_html_tags_implied():
    lang, title, canonicals, body_canonicals = _head_facts(
        '<title>Implied</title><link rel="canonical" href="/c"><p>text')
    assert (lang, title, canonicals, body_canonicals) == (None, "Implied", ["/c"], [])


@pytest.mark.parametrize("ender", ['<img src="/pixel.gif">', "<div>x</div>", "text",
                                   "<my-widget></my-widget>", "<p>p</p>"])
def test_an_element_head_cannot_hold_ends_it(ender):
    # "in head" -> anything else: pop <head>, "after head" inserts <body>. libxml2 kept a
    # custom element in the head; browsers do not.
    _lang, title, canonicals, body_canonicals = _head_facts(
        f'<html><head><title>T</title><link rel="canonical" href="/kept">{ender}'
        '<link rel="canonical" href="/late"></head><body></body></html>')
    assert (title, canonicals, body_canonicals) == ("T", ["/kept"], ["/late"])


def test_head_elements_that_keep_the_head_open():
    # <template>, <noscript> (scripting on: its content is text) and <base> belong in <head>.
    facts = extract('<html><head><base href="/b/"><template><p>t</p></template>'
                    '<noscript><img src="/pixel.gif"></noscript>'
                    '<link rel="canonical" href="/c"><link rel="alternate" hreflang="de" '
                    'href="/de/"></head><body></body></html>')
    assert (facts.base_href, facts.canonicals, facts.body_canonicals) == ("/b/", ["/c"], [])
    assert facts.hreflang == [("de", "/de/")]


def test_meta_and_link_after_body_content_stay_in_the_body_and_still_count():
    # "in body": <meta>/<link> are processed with the "in head" rules but inserted where
    # they are: the meta still describes the page, the canonical is outside <head>.
    facts = extract('<html><head><title>T</title></head><body><p>content</p>'
                    '<meta name="description" content="Late description">'
                    '<meta name="robots" content="noindex">'
                    '<link rel="canonical" href="/late"></body></html>')
    assert facts.meta_description == "Late description"
    assert facts.meta_robots == "noindex"
    assert (facts.canonicals, facts.body_canonicals) == ([], ["/late"])


def test_xhtml_xml_lang_after_an_xml_declaration():
    facts = extract('<?xml version="1.0" encoding="utf-8"?><html '
                    'xmlns="http://www.w3.org/1999/xhtml" xml:lang="en-GB"><head>'
                    '<title>X</title></head><body><svg><title>icon</title></svg></body></html>')
    assert (facts.lang, facts.title) == ("en-GB", "X")


def test_parse_html_builds_the_html5_tree():
    from readiness.crawl.parsing import parse_html

    body = '<script>dataLayer=[]</script><html lang="nl"><title>T</title>'.encode()
    parsed = parse_html(PageExtractor(), URL, body, "utf-8", keep_html=True)
    assert parsed.facts.lang == "nl"
    assert parsed.html_zlib is not None  # the stored HTML is the page as served


# --- main content --------------------------------------------------------------------------

def test_main_content_strips_boilerplate_and_keeps_tails():
    facts = extract("""<html><head><title>Not content</title></head><body>
        <header>Header words</header><nav>Nav words</nav>
        <p>one two <span>three</span><script>var x;</script> four<!-- a comment --></p>
        <style>p { color: red }</style><noscript>Enable JS</noscript>
        <template><p>Template</p></template><svg><text>Icon</text></svg>
        <div role="navigation">Menu</div><div role="contentinfo">Legal</div>
        <div role="banner">Banner</div><div role="Complementary extra">Related</div>
        <aside>Aside words</aside>five<footer>Footer words</footer>
        </body></html>""")
    assert facts.word_count == 5


def test_main_element_or_role_main_is_preferred_over_body():
    facts = extract("""<html><body><p>outside words here</p>
        <main><h1>Title</h1><p>Inside <nav>skip</nav>main.</p></main></body></html>""")
    assert facts.word_count == 3
    facts = extract("""<html><body><p>outside words here</p>
        <div role="main">only these</div></body></html>""")
    assert facts.word_count == 2


def test_custom_boilerplate_selectors():
    html = """<html><body><div class="cookie-banner">We use cookies</div>
        <main><p>Article text stays.</p><div class="promo box">Buy now</div>
        <section id="share">Share this</section>after</main></body></html>"""
    assert extract(html).word_count == 8
    extractor = PageExtractor(boilerplate_selectors=[".promo", "body #share", ".cookie-banner"])
    facts = extract(html, extractor)
    assert facts.word_count == 4  # "Article text stays." + the tail "after"
    assert facts.content_hash == extract(
        "<html><body><main>article TEXT stays. after</main></body></html>").content_hash


def test_boilerplate_selector_matching_the_main_content_empties_it():
    facts = extract("<html><body><main class='x'>words</main></body></html>",
                    PageExtractor(boilerplate_selectors=["main"]))
    assert (facts.word_count, facts.content_hash, facts.minhash) == (0, None, None)


def test_invalid_boilerplate_selector_is_named():
    with pytest.raises(ValueError, match=r"'div\['"):
        PageExtractor(boilerplate_selectors=[".fine", "div["])


def test_content_hash_ignores_case_and_whitespace():
    a = extract("<html><body><p>Hello   World</p>\n<p>again</p></body></html>")
    b = extract("<html><body><div>hello world AGAIN</div></body></html>")
    c = extract("<html><body><div>hello world, again</div></body></html>")
    assert a.content_hash == b.content_hash != c.content_hash
    assert len(a.content_hash) == 32
    empty = extract("<html><body><nav>only nav</nav></body></html>")
    assert (empty.word_count, empty.content_hash, empty.minhash) == (0, None, None)


def test_minhash_needs_one_shingle():
    assert extract("<html><body>four words only here</body></html>").minhash is None
    facts = extract("<html><body>five words make a shingle</body></html>")
    assert len(facts.minhash) == 4 * DEFAULT_NUM_PERM == 4 * 256
    assert len(extract("<html><body>a b c</body></html>",
                       PageExtractor(num_perm=64, shingle_words=3)).minhash) == 4 * 64


def test_minhash_similarity_near_identical_vs_distinct():
    base = prose(1, 300)
    edited = base.replace("w", "W", 1) + " one more sentence at the end"  # case is ignored
    one_word_changed = base.split()
    one_word_changed[150] = "changed"
    distinct = prose(2, 300)

    def signature(text: str) -> bytes:
        return extract(f"<html><body><main><p>{text}</p></main></body></html>").minhash

    assert jaccard(signature(base), signature(base)) == 1.0
    assert jaccard(signature(base), signature(edited)) > 0.9
    assert jaccard(signature(base), signature(" ".join(one_word_changed))) > 0.9
    assert jaccard(signature(base), signature(distinct)) < 0.1


def test_minhash_from_bytes_round_trip():
    blob = extract(f"<html><body>{prose(3)}</body></html>").minhash
    minhash = minhash_from_bytes(blob, DEFAULT_NUM_PERM)
    assert minhash.hashvalues.astype("<u4").tobytes() == blob
    assert minhash.jaccard(minhash_from_bytes(blob)) == 1.0
    with pytest.raises(ValueError):
        minhash_from_bytes(blob, 64)
    with pytest.raises(ValueError):
        jaccard(blob, blob[:256])


# --- structured data -----------------------------------------------------------------------

def test_invalid_json_ld_block_is_an_error_and_the_next_still_parses():
    facts = extract("""<html><head>
        <script type="application/ld+json">{"@type": "Organization" "name": "Shop"}</script>
        <script type="application/ld+json">
            {"@context": "https://schema.org", "@type": "Product", "name": "Shoe"}
        </script>
        <script type="application/ld+json">[{"@type": "Thing"}, {"@type": "Place"}]</script>
        </head><body></body></html>""")
    data = facts.structured_data
    assert [item["@type"] for item in data["json-ld"]] == ["Product", "Thing", "Place"]
    [error] = data["errors"]
    assert error["syntax"] == "json-ld"
    assert "JSONDecodeError" in error["error"]
    assert error["snippet"] == '{"@type": "Organization" "name": "Shop"}'


def test_json_ld_only_the_lenient_parser_reads_keeps_its_data_and_its_error():
    # A trailing comma: jstyleson (extruct's fallback) reads it, JSON parsers do not.
    block = '{\n  "@type": "Dentist",\n  "name": "Smile",\n}'
    facts = extract(f'<html><head><script type="application/ld+json">{block}</script>'
                    '</head><body></body></html>')
    data = facts.structured_data
    assert data["json-ld"] == [{"@type": "Dentist", "name": "Smile"}]
    [error] = data["errors"]
    assert (error["syntax"], error["line"], error["column"]) == ("json-ld", 4, 1)
    assert error["data_kept"] is True
    assert error["error"].startswith("JSONDecodeError: Expecting property name")
    assert error["snippet"] == block


@pytest.mark.parametrize("block,kept,position", [
    ('// generated\n{"@type": "Thing"}', True, (1, 1)),          # a JS comment line
    ('{"@type": "Thing", "name": "a\tb"}', True, (1, 30)),       # a raw tab in a string
    ('{"@type": "Thing",\n "name": "x"', False, (2, 13)),        # no closing brace
])
def test_json_ld_strict_errors_carry_line_and_column(block, kept, position):
    facts = extract(f'<html><head><script type="application/ld+json">{block}</script>'
                    '</head><body></body></html>')
    [error] = facts.structured_data["errors"]
    assert (error["line"], error["column"]) == position
    assert error["data_kept"] is kept
    assert ("json-ld" in facts.structured_data) is kept


def test_valid_json_ld_has_no_error():
    facts = extract('<html><head><script type="application/ld+json">\n'
                    '[{"@type": "Thing"}, {}, {"@type": "Place", "name": "tab\\there"}]'
                    '\n</script></head><body></body></html>')
    assert facts.structured_data == {"json-ld": [{"@type": "Thing"},
                                                 {"@type": "Place", "name": "tab\there"}]}


def test_json_ld_error_snippet_is_cut():
    facts = extract('<html><head><script type="application/ld+json">{"a": "'
                    + "x" * 1000 + "</script></head><body></body></html>")
    assert len(facts.structured_data["errors"][0]["snippet"]) == 300


def test_microdata():
    facts = extract("""<html><body><div itemscope itemtype="https://schema.org/Product">
        <span itemprop="name">Trail shoe</span>
        <a itemprop="url" href="/shoe">link</a></div></body></html>""")
    [item] = facts.structured_data["microdata"]
    assert item["type"] == "https://schema.org/Product"
    assert item["properties"] == {"name": "Trail shoe", "url": "https://example.com/shoe"}


def test_extruct_failure_is_recorded_not_raised(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    extractor = PageExtractor()
    monkeypatch.setattr(extractor.structured_data._microdata, "extract_items", broken)
    facts = extract("<html><body><div itemscope><span itemprop=name>x</span></div></body></html>",
                    extractor)
    [error] = facts.structured_data["errors"]
    assert error["syntax"] == "microdata"
    assert error["error"] == "KeyError: 'boom'"
    assert error["snippet"].startswith("<div itemscope")


def test_opengraph_and_twitter_without_rdfa(monkeypatch):
    calls = []
    monkeypatch.setattr(structured.extruct, "extract",
                        lambda *args, **kwargs: calls.append(kwargs) or {"rdfa": []})
    facts = extract("""<html prefix="og: https://ogp.me/ns#"><head>
        <meta property="og:title" content="Trail shoes">
        <meta property="og:image" content="https://example.com/a.jpg">
        <meta property="article:published_time" content="2024-03-01">
        <meta property="fb:app_id" content="123">
        <meta name="twitter:card" content="summary">
        <meta property="twitter:site" content="@shop">
        <meta property="og:description">
        </head><body></body></html>""")
    assert facts.structured_data == {"opengraph": [{
        "properties": [["og:title", "Trail shoes"], ["og:image", "https://example.com/a.jpg"],
                       ["article:published_time", "2024-03-01"]],
        "twitter": [["twitter:card", "summary"], ["twitter:site", "@shop"]],
    }]}
    assert calls == []  # social metas alone never start the (slow) RDFa parser


@pytest.mark.parametrize("markup", [
    '<div vocab="https://schema.org/" typeof="Person"><span property="name">Sam</span></div>',
    '<div typeof="schema:Person"><span property="schema:name">Sam</span></div>',
    '<p><span property="dc:title">Sam</span></p>',
    '<meta property="dc:creator" content="Sam">',
])
def test_rdfa_parser_runs_only_for_rdfa_markup(monkeypatch, markup):
    calls = []
    monkeypatch.setattr(structured.extruct, "extract",
                        lambda *args, **kwargs: calls.append(kwargs) or {"rdfa": []})
    extract(f"<html><head></head><body>{markup}</body></html>")
    assert [call["syntaxes"] for call in calls] == [["rdfa"]]


def test_rdfa_items():
    facts = extract("""<html><body><div vocab="https://schema.org/" typeof="Person">
        <span property="name">Sam Runner</span></div></body></html>""")
    [item] = [item for item in facts.structured_data["rdfa"] if "@type" in item]
    assert item["@type"] == ["https://schema.org/Person"]
    assert item["https://schema.org/name"] == [{"@value": "Sam Runner"}]


# --- robustness ----------------------------------------------------------------------------

def test_malformed_html():
    html = """<title>Broken <b>page</title>
        <meta name=description content=unquoted>
        <div><p>Unclosed paragraph <a href=/one>one <a href="/two">two</a>
        </span></div></div></td>
        <nav><a href='/nav'>menu
        <ul><li>item<li><a href="/x" rel=nofollow>x</a></ul>
        <img src=/pic.png alt=picture>
        <script type="application/ld+json">{"@type": "Thing"</script>
        <p>trailing words after an unclosed nav"""
    facts = extract(html)
    assert facts.title.startswith("Broken")
    assert facts.meta_description == "unquoted"
    links = links_by_raw(facts)
    assert {"/one", "/two", "/nav", "/x", "/pic.png"} <= set(links)
    assert links["/one"].anchor == "one"  # the parser closes the first <a> before the second
    assert links["/x"].rel == "nofollow"
    assert links["/nav"].region == "nav"
    assert facts.structured_data["errors"][0]["syntax"] == "json-ld"
    assert facts.word_count >= 4


def test_extract_leaves_the_tree_untouched():
    html = """<html><body><header>h</header><main><p>text <nav>n</nav>tail</p>
        <div class="promo">p</div></main></body></html>"""
    root = lxml.html.document_fromstring(html)
    before = lxml.html.tostring(root)
    PageExtractor(boilerplate_selectors=[".promo"]).extract(root, html, URL)
    assert lxml.html.tostring(root) == before


def test_html_root_from_a_scrapy_response():
    from scrapy.http import HtmlResponse

    response = HtmlResponse(URL, body=b"<html lang=en><head><title>T</title></head>"
                                      b"<body><a href='/a'>A</a></body></html>",
                            encoding="utf-8")
    facts = PageExtractor().extract(response.selector.root, response.text, response.url)
    assert (facts.title, facts.lang, [link.raw for link in facts.links]) == ("T", "en", ["/a"])


def test_address_blocks_collected_as_visible_text():
    root = lxml.html.document_fromstring(
        "<html><body><footer><address>BrightSmile <b>Dental</b><br>12 Main St"
        "<script>var x = 1;</script></address></footer><main><p>Hello there</p>"
        "<address> </address></main></body></html>")
    facts = PageExtractor().extract(root, "", "http://site.test/")
    assert facts.addresses == ["BrightSmile Dental 12 Main St"]


def test_signature_is_datasketch_affine32_minhash_of_the_shingles():
    """The crawl computes MinHash without datasketch; the rules read it with datasketch."""
    from datasketch import MinHash

    from readiness.page.content import MainContentReader
    from readiness.page.fingerprint import SHINGLE_HASH

    words = ("the practice opens early on monday and closes late on thursday for "
             "working patients who need evening appointments with the hygienist").split()
    root = lxml.html.document_fromstring(f"<html><body><main><p>{' '.join(words)}</p></main></body></html>")
    signature = MainContentReader().read(root).minhash
    reference = MinHash(DEFAULT_NUM_PERM, 1, hashfunc=SHINGLE_HASH, scheme="affine32")
    reference.update_batch([" ".join(words[i:i + 5]).encode() for i in range(len(words) - 4)])
    assert signature == reference.hashvalues.astype("<u4").tobytes()
