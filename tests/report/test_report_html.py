"""report.html without a browser: self-contained, escaped, data intact, reasonable size."""

import json
import re
import xml.etree.ElementTree as ET

from planted import document, finding

from readiness.report import charts
from readiness.report.findings import apply_gate
from readiness.report.html import page_evidence, render_html, short_url


def embedded_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="readiness-data">(.*?)</script>',
                      html, re.S)
    return json.loads(match.group(1))


def test_report_is_self_contained_and_carries_every_finding():
    findings = [finding("RDR002", f"http://site.test/p{i}", weight=i) for i in range(3)]
    doc = document(findings + [finding("RDR001", "http://site.test/w", "warning")])
    apply_gate(doc, "error")
    html = render_html(doc)
    assert "Not ready for link building" in html
    # nothing is loaded from anywhere: no src=, no stylesheet links, a strict CSP
    assert not re.search(r"<(script|img|iframe)[^>]+src=", html)
    assert 'rel="stylesheet"' not in html
    assert "default-src 'none'" in html
    data = embedded_data(html)
    assert [f["id"] for f in data["findings"]] == [f["id"] for f in doc["findings"]]
    assert 'data-count="error">3<' in html and 'data-count="warning">1<' in html
    # rule docs: literals become <code>, examples keep their lines
    assert "Because <code>links</code> matter." in html
    assert "/a -&gt; /b<br>/b -&gt; /a" in html


def test_hostile_text_cannot_break_out():
    evil = '</script><script>alert(1)</script><!--'
    doc = document([finding(url="http://site.test/x?q=" + evil, message=evil,
                            evidence={"anchor": evil})])
    apply_gate(doc, "error")
    html = render_html(doc)
    assert "<script>alert(1)" not in html
    data = embedded_data(html)
    assert data["findings"][0]["message"] == evil


def test_ready_site_says_so():
    doc = document([finding("RDR001", severity="warning")])
    apply_gate(doc, "error")
    html = render_html(doc)
    assert 'data-ready="true"' in html and "Ready for link building" in html
    assert "Worth fixing next" in html


def test_evidence_lists_are_trimmed_with_a_note():
    evidence = {"inbound_links": [{"source": f"http://s/{i}"} for i in range(25)],
                "message": "x" * 5000, "hops": [1, 2]}
    trimmed = page_evidence(evidence, 5)
    assert len(trimmed["inbound_links"]) == 5
    assert trimmed["_more"] == {"inbound_links": 20}
    assert len(trimmed["message"]) == 400
    assert trimmed["hops"] == [1, 2]


def test_ten_thousand_findings_stay_a_reasonable_file():
    inbound = [{"source": f"http://site.test/source/{i}", "anchor": "Read more about this",
                "element": "a", "region": "footer", "rel": None} for i in range(25)]
    findings = [finding(["RDR001", "RDR002", "RDR004"][i % 3], f"http://site.test/page/{i}",
                        ["warning", "error", "notice"][i % 3], weight=i % 50,
                        message=f"something is wrong with page {i}",
                        evidence={"inbound_links": inbound, "inbound_link_count": 25,
                                  "linking_pages": 25, "fix": "fix it"}, ident=f"F-{i}")
                for i in range(10_000)]
    doc = document(findings, pages=10_000)
    apply_gate(doc, "error")
    html = render_html(doc)
    assert len(html.encode()) < 12_000_000
    assert len(embedded_data(html)["findings"]) == 10_000


def test_short_urls_only_for_the_site_itself():
    assert short_url("http://site.test/a/b", "http://site.test") == "/a/b"
    assert short_url("http://other.test/a", "http://site.test") == "http://other.test/a"
    assert short_url("http://site.test.evil/a", "http://site.test") == "http://site.test.evil/a"


def _parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def test_charts_are_well_formed_svg_with_tooltips():
    crawl = {"status_codes": {"200": 40, "301": 3, "404": 2, "none": 1},
             "depth": {str(d): 10 - d for d in range(16)},
             "response_ms": {"count": 3, "p50": 120, "p95": 900, "max": 6000, "histogram": [
                 {"from": 0, "to": 100, "count": 1}, {"from": 100, "to": 1000, "count": 1},
                 {"from": 1000, "to": 2000, "count": 0}, {"from": 5000, "to": None, "count": 1}]}}
    summary = {"by_family": {"redirects": {"error": 2, "warning": 1}, "links": {"notice": 4}}}
    svgs = [charts.findings_by_family(summary, {"redirects": "Redirects"}),
            charts.status_codes(crawl), charts.crawl_depth(crawl), charts.response_times(crawl),
            charts.trend([{"run_id": "a", "started_at": 1e9, "counts": {"error": 3}}],
                         {"run_id": "b", "started_at": 1.1e9, "counts": {"error": 1, "notice": 2}})]
    for svg in svgs:
        root = _parse(svg)
        assert root.tag.endswith("svg") and root.get("viewBox")
    status = str(svgs[1])
    assert "404 Not Found: 2 URLs" in status and "no response: 1 URL" in status
    assert "12+" in str(svgs[2])  # deep levels share the last bar
    assert "≥ 5 s" in str(svgs[3]) and "1–2 s" in str(svgs[3])
    assert charts.trend([], {"counts": {}}) is None
    assert "No open findings" in str(charts.findings_by_family({"by_family": {}}, {}))


def test_families_are_listed_in_one_order_that_covers_every_titled_family():
    from readiness.report.terminal import FAMILY_ORDER, family_key
    from readiness.rules.docs import FAMILY_TITLES

    assert set(FAMILY_ORDER) == set(FAMILY_TITLES)
    assert sorted(["custom", "zz-plugin", "links", "a-plugin"], key=family_key) == [
        "links", "custom", "a-plugin", "zz-plugin"]
    svg = str(charts.findings_by_family(
        {"by_family": {"redirects": {"error": 1}, "links": {"notice": 1}}}, FAMILY_TITLES))
    assert svg.index("Outbound links") < svg.index("Redirects")


def test_page_template_is_compiled_once_and_then_loaded_from_the_cache(tmp_path, monkeypatch):
    from jinja2 import Environment

    from readiness.report import html as html_module

    monkeypatch.setattr(html_module, "template_cache",
                        lambda: html_module.TemplateCache(str(tmp_path)))
    doc = document([finding("RDR002", "http://site.test/p")])
    apply_gate(doc, "error")
    first = render_html(doc)
    assert list(tmp_path.glob("__jinja2_*.cache")), "the compiled template was not cached"

    def no_compiling(*args, **kwargs):
        raise AssertionError("the template was compiled again")

    monkeypatch.setattr(Environment, "compile", no_compiling)
    assert render_html(doc) == first
    monkeypatch.undo()

    # Compiled with other options, the same source is other code: not the cached entry.
    cache = html_module.TemplateCache(str(tmp_path))
    key = cache.get_cache_key("report.html.j2", "/t/report.html.j2")
    monkeypatch.setitem(html_module.TEMPLATE_OPTIONS, "trim_blocks", False)
    assert cache.get_cache_key("report.html.j2", "/t/report.html.j2") != key


def test_an_unwritable_template_cache_still_renders_the_page(tmp_path, monkeypatch):
    from readiness.report import html as html_module

    cache_dir = tmp_path / "gone"  # removed under the cache: writing its entry fails
    cache_dir.mkdir()
    cache = html_module.TemplateCache(str(cache_dir))
    cache_dir.rmdir()
    monkeypatch.setattr(html_module, "template_cache", lambda: cache)
    doc = document([finding("RDR002", "http://site.test/p")])
    apply_gate(doc, "error")
    assert "Not ready for link building" in render_html(doc)


def test_rule_summaries_render_their_code_spans(tmp_path):
    """CAN012's summary quotes ``<link rel="canonical">``: the page shows it as code, in the
    list of rules that passed as in a rule's own card, never as literal double backticks."""
    from planted import build_site

    from readiness.cli import main

    store = build_site(tmp_path / "site-1", loop=True)
    main(["analyze", str(store)])
    html = (store.parent / "report.html").read_text(encoding="utf-8")
    page = html.split('<script type="application/json"')[0]
    assert "<code>&lt;link rel=&#34;canonical&#34;&gt;</code>" in page
    assert "``" not in page
