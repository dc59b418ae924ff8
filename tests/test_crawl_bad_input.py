"""Bad input on a real site (tests/bad_site): robots.txt failing, broken sitemaps, invalid
URLs, a binary and an empty page, a crawler trap. Each is recorded in plain words, the crawl
goes on, and the analysis reports what matters."""

from __future__ import annotations

import pytest
from conftest import REPO, crawl_site

from readiness.demo.server import SiteServer
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

BAD_SITE = REPO / "tests" / "bad_site"


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    with SiteServer(BAD_SITE) as server:
        crawl = crawl_site(server.url("site"), tmp_path_factory.mktemp("bad") / "run", {
            "sitemaps": ["/sitemap.xml", "/sitemap-html.xml", "/sitemap-bad.gz"],
            "probe": {"enabled": False}})
        yield server, crawl


def test_the_crawl_completes_without_spider_errors(bad):
    _, crawl = bad
    assert crawl.result.returncode == 0, crawl.result.stderr
    log = (crawl.out / "crawl.log").read_text()
    assert "Spider error" not in log and "Traceback" not in log
    with crawl.store() as store:
        assert store.meta()["complete"] is True


def test_failing_robots_txt_is_recorded_and_the_site_still_crawled(bad):
    server, crawl = bad
    with crawl.store() as store:
        robots = store.query("SELECT status, error FROM robots").fetchone()
        assert tuple(robots) == (500, None)
        assert store.fetch(server.url("site", "/listed"))["status"] == 200
    assert "robots.txt of" in (crawl.out / "crawl.log").read_text()


def test_broken_sitemaps_named_in_plain_words(bad):
    server, crawl = bad
    with crawl.store() as store:
        rows = {r["url"]: (r["error"], r["entries"]) for r in store.query(
            "SELECT u.url, s.error, s.entries FROM sitemaps s JOIN urls u ON u.id = s.url_id")}
    assert rows[server.url("site", "/sitemap.xml")] == ("invalid-xml", 2)   # truncated, entries kept
    assert rows[server.url("site", "/sitemap-html.xml")] == ("not-a-sitemap", 0)
    assert rows[server.url("site", "/sitemap-bad.gz")] == ("invalid-gzip", 0)
    log = (crawl.out / "crawl.log").read_text()
    assert "looks gzipped but cannot be decompressed" in log
    assert "is not well-formed XML (entries before the error were kept)" in log


def test_invalid_and_non_http_links_are_edges_not_requests(bad):
    server, crawl = bad
    with crawl.store() as store:
        edges = {row["raw"]: row["target"] for row in store.links_from(server.url("site"))}
        stored = [row[0] for row in store.query("SELECT url FROM urls")]
        fetched = [row[0] for row in store.query(
            "SELECT u.url FROM fetches f JOIN urls u ON u.id = f.url_id")]
    assert edges["http://[::1"] is None
    assert edges["http://127.0.0.1:99999/"] is None
    assert edges["javascript:void(0)"] == "javascript:void(0)"
    assert edges["mailto:hello@clinic.example"] == "mailto:hello@clinic.example"
    # The invalid URLs are kept only as the raw text of an edge without a target: no URL row
    # and no fetches row; the non-http ones are URLs but never fetched nor requested.
    assert [url for url in stored if "99999" in url or "[::1" in url] == []
    assert server.url("site") in fetched
    assert [url for url in fetched if "99999" in url or "[::1" in url
            or url.startswith(("javascript:", "mailto:"))] == []
    assert not [r for r in server.requests if "javascript" in r.path or "mailto" in r.path]


def test_binary_and_empty_pages_are_recorded(bad):
    server, crawl = bad
    with crawl.store() as store:
        assert store.fetch(server.url("site", "/binary"))["status"] == 200
        empty = store.page(server.url("site", "/empty"))
        assert (empty["title"], empty["word_count"]) == (None, 0)


def test_calendar_trap_is_cut_off(bad):
    server, crawl = bad
    with crawl.store() as store:
        trap = store.query("SELECT u.url FROM fetches f JOIN urls u ON u.id = f.url_id "
                           "WHERE f.error = 'trap'").fetchall()
    assert [row[0] for row in trap] == [server.url("site", "/trap/next/next/next/next/")]
    deepest = max(len(r.path) for r in server.requests if r.path.startswith("/trap/"))
    assert deepest == len("/trap/next/next/next/")


def test_analysis_reports_the_unreachable_robots_and_unreadable_sitemaps(bad):
    server, crawl = bad
    analysis = analyze(crawl.store_path, load_config())
    idx007 = [f for f in analysis.findings if f.rule == "IDX007"]
    assert any("robots.txt" in f.message and f.severity.value == "error" for f in idx007)
    assert any("sitemap" in f.message for f in idx007)
