"""Fair timing, staging labels, cross-host sitemaps and stylesheet images, on real crawls of the
fixture site (PLANTED.md: "Timing", "Stylesheet images", "Second site").

Three crawls of their own: /timing/ + /css/ (neither linked from the site, so the session
crawl never meets them), /experience/ through a host map, and the second site ``site_b``.
"""

from __future__ import annotations

import json

import pytest
from conftest import crawl_site

from readiness.rules.base import Severity
from readiness.rules.engine import analyze
from readiness.rules.experience import STAGING_WORDS
from readiness.rules.settings import load_config

PRODUCTION = "https://www.fixture-clinic.example"


def timings(store, url):
    row = store.fetch(url)
    return json.loads(row["timings"]) if row["timings"] else None


@pytest.fixture(scope="module")
def timing_crawl(fixture_server, tmp_path_factory):
    fixture_server.reset_sequences()
    fixture_server.reset_log()
    out = tmp_path_factory.mktemp("timing") / "run"
    crawl = crawl_site(fixture_server.url("site", "/timing/"), out, {
        "start_urls": [fixture_server.url("site", "/css/")],
        "include": ["/timing/*", "/css/*"], "probe": {"enabled": False}})
    assert crawl.result.returncode == 0, crawl.result.stderr
    crawl.requests = list(fixture_server.requests)
    crawl.found = {(f.rule, f.url): f for f in analyze(crawl.store_path, load_config()).findings}
    return crawl


# -- re-measurement: which pages, how, and what the rules make of it -------------------------


def test_pages_slow_during_the_crawl_are_measured_again_in_the_quiet(timing_crawl, u):
    with timing_crawl.store() as store:
        trickled = timings(store, u("/timing/trickled"))
        once = timings(store, u("/timing/slow-under-load"))
        unconfirmed = timings(store, u("/timing/unconfirmed"))
    # Crawl sample first, then crawl.remeasure_times (2) quiet ones.
    assert len(trickled) == 3 and all(s["elapsed_ms"] >= 2000 for s in trickled)
    assert once[0]["ttfb_ms"] >= 2500 and len(once) == 3
    assert all(s["ttfb_ms"] < 600 for s in once[1:])  # answered at once when asked again
    assert unconfirmed[0]["ttfb_ms"] >= 1000
    assert unconfirmed[1:] == [{"error": "http-503"}, {"error": "http-503"}]


def test_quiet_measurements_go_one_request_at_a_time(timing_crawl):
    gets = sorted((r.time, r.path) for r in timing_crawl.requests
                  if r.host == "site" and r.method == "GET")
    quiet: list[tuple[float, str]] = []
    seen: set[str] = set()
    for at, path in gets:  # a path's second and later requests are the quiet ones
        # The 3 MB page is measured again only when the busy crawl read it slowly.
        if path in seen and path != "/timing/big-fast":
            quiet.append((at, path))
        seen.add(path)
    assert sorted({path for _, path in quiet}) == [
        "/timing/big-slow-once", "/timing/slow-under-load", "/timing/trickled",
        "/timing/unconfirmed"]
    assert len(quiet) == 8
    # A trickled answer takes 2.5 s: nothing else is asked for until it is in.
    for (at, path), (next_at, _) in zip(quiet, quiet[1:]):
        if path == "/timing/trickled":
            assert next_at - at >= 2.0, quiet
    # Round by round: every page once (smallest URL first), then again.
    assert [path for _, path in quiet] == 2 * [
        "/timing/big-slow-once", "/timing/slow-under-load", "/timing/trickled",
        "/timing/unconfirmed"]


def test_a_trickled_page_is_a_slow_download_with_a_fast_first_byte(timing_crawl, u):
    found = timing_crawl.found
    slow = found[("EXP002", u("/timing/trickled"))]
    assert slow.severity == Severity.WARNING
    assert slow.evidence["samples"] == 2 and min(slow.evidence["quiet_samples_ms"]) >= 2000
    assert ("EXP001", u("/timing/trickled")) not in found


def test_a_big_page_served_fast_is_heavy_not_slow(timing_crawl, u):
    found = timing_crawl.found
    with timing_crawl.store() as store:
        fetch = store.fetch(u("/timing/big-fast"))
    assert fetch["bytes"] >= 2_900_000 and fetch["status"] == 200
    assert ("EXP002", u("/timing/big-fast")) not in found
    assert ("EXP001", u("/timing/big-fast")) not in found
    assert ("EXP005", u("/timing/big-fast")) in found  # 3 MB of HTML is its real problem


def test_slow_once_is_not_slow(timing_crawl, u):
    assert ("EXP001", u("/timing/slow-under-load")) not in timing_crawl.found
    assert ("EXP002", u("/timing/slow-under-load")) not in timing_crawl.found


def test_a_big_page_read_slowly_once_is_judged_on_its_quiet_downloads(timing_crawl, u):
    with timing_crawl.store() as store:
        samples = timings(store, u("/timing/big-slow-once"))
    # Measured again because its download was slow, though its first byte was not.
    assert samples[0]["elapsed_ms"] >= 2000 and samples[0]["ttfb_ms"] < 600
    assert len(samples) == 3 and all(s["elapsed_ms"] < 1500 for s in samples[1:])
    assert ("EXP002", u("/timing/big-slow-once")) not in timing_crawl.found
    assert ("EXP005", u("/timing/big-slow-once")) in timing_crawl.found


def test_a_page_that_could_not_be_measured_again_is_a_notice_not_a_slow_page(timing_crawl, u):
    found = timing_crawl.found
    assert ("EXP001", u("/timing/unconfirmed")) not in found
    notice = found[("EXP001", u("/timing/"))]  # the start page: one notice for all of them
    assert notice.severity == Severity.NOTICE and notice.subject == "unconfirmed"
    assert notice.evidence["pages"] == [{
        "url": u("/timing/unconfirmed"), "crawl_ms": notice.evidence["pages"][0]["crawl_ms"],
        "not_confirmed": "measuring it again failed (http-503)"}]


# -- stylesheet images -------------------------------------------------------------------------


def test_stylesheet_urls_are_edges_from_the_stylesheet(timing_crawl, u):
    with timing_crawl.store() as store:
        edges = sorted((row["raw"], row["element"], row["region"]) for row in store.query(
            "SELECT l.raw, l.element, l.region FROM links l JOIN urls s ON s.id = l.source_id "
            "WHERE s.url = ?", (u("/css/theme.css"),)))
        ok = store.fetch(u("/css/img/ok-bg.png"))
        missing = store.fetch(u("/css/img/missing-bg.png"))
    # The commented-out url() and the data: URL are no references.
    assert edges == [("/css/img/missing-bg.png", "css", "stylesheet"),
                     ("img/ok-bg.png", "css", "stylesheet")]
    assert (ok["status"], ok["discovered_by"]) == (200, "resource")
    assert (missing["status"], missing["discovered_by"]) == (404, "resource")
    gets = [r.path for r in timing_crawl.requests if r.path.startswith("/css/img/")]
    assert sorted(gets) == ["/css/img/missing-bg.png", "/css/img/ok-bg.png"]  # once each


def test_a_missing_stylesheet_image_is_broken_and_the_working_one_is_not(timing_crawl, u):
    found = timing_crawl.found
    broken = found[("STS001", u("/css/img/missing-bg.png"))]
    assert [link["source"] for link in broken.evidence["inbound_links"]] == [
        u("/css/theme.css")]
    assert not [key for key in found if key[1] == u("/css/img/ok-bg.png")]


# -- server facts under a host map: labelled as the staging server's ---------------------------


@pytest.fixture(scope="module")
def staging_crawl(fixture_server, tmp_path_factory):
    out = tmp_path_factory.mktemp("staging") / "run"
    crawl = crawl_site(f"{PRODUCTION}/experience/", out, {
        "host_map": {PRODUCTION: fixture_server.url("site").rstrip("/")},
        "include": ["/experience/", "/experience/slow", "/experience/uncompressed"],
        "probe": {"enabled": False}})
    assert crawl.result.returncode == 0, crawl.result.stderr
    crawl.found = {(f.rule, f.url): f for f in analyze(crawl.store_path, load_config()).findings}
    return crawl


@pytest.mark.parametrize("code,path", [("EXP001", "/experience/slow"),
                                       ("EXP002", "/experience/slow"),
                                       ("EXP008", "/experience/uncompressed")])
def test_server_facts_of_a_staging_crawl_say_so(staging_crawl, found, u, code, path):
    staged = staging_crawl.found[(code, PRODUCTION + path)]
    assert staged.message.startswith("measured on the staging server: ")
    assert staged.evidence["measured_on"] == STAGING_WORDS
    assert staged.evidence["fix"].startswith("check production first; if it does the same: ")
    assert staged.severity != Severity.NOTICE  # labelled, not hidden
    # The clean side: the same facts of a crawl without a host map carry no label.
    direct = found[(code, u(path))]
    assert "measured_on" not in direct.evidence and not direct.message.startswith("measured on")


# -- a sitemap on another host --------------------------------------------------------------


@pytest.fixture(scope="module")
def site_b_crawl(fixture_server, tmp_path_factory):
    fixture_server.reset_log()
    out = tmp_path_factory.mktemp("site_b") / "run"
    crawl = crawl_site(fixture_server.url("site_b", "/"), out)
    assert crawl.result.returncode == 0, crawl.result.stderr
    crawl.requests = list(fixture_server.requests)
    crawl.found = {(f.rule, f.url): f for f in analyze(crawl.store_path, load_config()).findings}
    return crawl


def test_a_sitemap_on_another_host_is_recorded_not_fetched(site_b_crawl, fixture_server, u):
    elsewhere = u("/sitemaps/site-b.xml", "ext_a")
    with site_b_crawl.store() as store:
        rows = {row["url"]: (row["found_in"], row["status"], row["error"]) for row in store.query(
            "SELECT u.url, n.found_in, s.status, s.error FROM sitemaps s "
            "JOIN urls u ON u.id = s.url_id JOIN sitemap_namings n ON n.sitemap_id = s.url_id")}
        listed = store.fetch(u("/listed-only", "site_b"))
    assert rows == {elsewhere: ("robots", None, "off-site"),
                    u("/sitemap.xml", "site_b"): ("fallback", 200, None)}
    assert not [r for r in site_b_crawl.requests if r.host == "ext_a"]
    assert (listed["status"], listed["discovered_by"]) == (200, "sitemap")


def test_a_sitemap_on_another_host_is_a_warning(site_b_crawl, u):
    finding = site_b_crawl.found[("IDX009", u("/sitemaps/site-b.xml", "ext_a"))]
    assert finding.severity == Severity.WARNING
    assert finding.evidence["named_in"] == [u("/robots.txt", "site_b")]
    assert finding.evidence["sitemaps_read"] == [u("/sitemap.xml", "site_b")]
    # The fallback sitemap was read, so nothing says the site has none.
    assert ("IDX007", u("/sitemap.xml", "site_b")) not in site_b_crawl.found


def test_a_sitemap_on_the_site_itself_is_not_reported(analysis):
    # The fixture site's robots.txt names its own sitemap index: the clean twin.
    assert [f for f in analysis.findings if f.rule == "IDX009"] == []
