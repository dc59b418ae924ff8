"""Stage 1 and 2 on the fixture site: the stored facts, URL by URL (tests/fixture_site/PLANTED.md).

One crawl of the whole site (the session fixture ``site_crawl``) is read by most tests here;
the server's request log shows what the crawler really sent.
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import pytest

from readiness.page.fingerprint import jaccard


@pytest.fixture(scope="module")
def store(site_crawl):
    with site_crawl.store() as reader:
        yield reader


@pytest.fixture(scope="module")
def site(fixture_server):
    return lambda path="/": fixture_server.url("site", path)


@pytest.fixture(scope="module")
def ext(fixture_server):
    return lambda host, path: fixture_server.url(host, path)


def location_of(store, url):
    row = store.fetch(url)
    target = store.query("SELECT url FROM urls WHERE id = ?", (row["location_url_id"],)).fetchone()
    return row["status"], target[0] if target else None


# -- the crawl as a whole ---------------------------------------------------------------


def test_crawl_completes_and_says_so(site_crawl, store, site):
    meta = store.meta()
    assert meta["complete"] is True
    assert meta["finish_reason"] == "finished"
    assert meta["limits_hit"] == []
    assert meta["start_url"] == site("/")
    assert f"store: {site_crawl.store_path}" in site_crawl.result.stdout


def test_no_site_url_is_requested_twice(site_crawl, store):
    gets = Counter(r.path for r in site_crawl.requests if r.host == "site" and r.method == "GET")
    assert gets, "the crawl sent no request"
    # Slow pages are measured again on purpose (crawl.remeasure_slow_ms): exactly 1 + 2 times.
    remeasured = {urlsplit(url).path: len(json.loads(timings)) for url, timings in store.query(
        "SELECT u.url, f.timings FROM fetches f JOIN urls u ON u.id = f.url_id "
        "WHERE f.timings IS NOT NULL")}
    assert "/experience/slow" in remeasured  # served after 2.5 s (site.yaml): measured again
    assert all(n == 3 for n in remeasured.values())
    assert {path: n for path, n in gets.items() if n > 1} == remeasured
    # also reached by /redirects/to-home; re-measured only if it was slow (a loaded machine)
    assert gets["/"] == remeasured.get("/", 1)


def test_no_outbound_url_is_probed_twice(site_crawl, store, ext):
    rows = store.query("SELECT u.url, COUNT(*) FROM probes p JOIN urls u ON u.id = p.url_id "
                       "GROUP BY u.url HAVING COUNT(*) > 1").fetchall()
    assert rows == []
    popular = [r for r in site_crawl.requests if r.host == "ext_b" and r.path == "/popular"]
    assert [r.method for r in popular] == ["HEAD"]
    linking_pages = {row["source"] for row in store.links_to(ext("ext_b", "/popular"))}
    assert len(linking_pages) >= 5


# -- redirects, hop by hop --------------------------------------------------------------


def test_two_hop_chain_recorded_hop_by_hop(store, site):
    assert location_of(store, site("/redirects/chain-2-start")) == (301, site("/redirects/chain-2-middle"))
    assert location_of(store, site("/redirects/chain-2-middle")) == (301, site("/redirects/chain-2-end"))
    assert store.fetch(site("/redirects/chain-2-end"))["status"] == 200


def test_three_hop_chain_with_absolute_location(store, site):
    assert location_of(store, site("/redirects/chain-3-start")) == (301, site("/redirects/chain-3-hop-1"))
    assert store.fetch(site("/redirects/chain-3-start"))["location"].startswith("http://")
    assert location_of(store, site("/redirects/chain-3-hop-1")) == (301, site("/redirects/chain-3-hop-2"))
    assert location_of(store, site("/redirects/chain-3-hop-2")) == (301, site("/redirects/chain-3-end"))
    assert store.fetch(site("/redirects/chain-3-end"))["status"] == 200


def test_loop_both_hops_recorded(site_crawl, store, site):
    assert location_of(store, site("/redirects/loop-a")) == (301, site("/redirects/loop-b"))
    assert location_of(store, site("/redirects/loop-b")) == (301, site("/redirects/loop-a"))
    paths = [r.path for r in site_crawl.requests if r.host == "site"]
    assert paths.count("/redirects/loop-a") == 1 and paths.count("/redirects/loop-b") == 1


def test_redirect_to_404_and_to_already_crawled_url(store, site):
    assert location_of(store, site("/redirects/to-404")) == (301, site("/redirects/to-404-target"))
    assert store.fetch(site("/redirects/to-404-target"))["status"] == 404
    assert location_of(store, site("/redirects/to-home")) == (301, site("/"))
    assert store.fetch(site("/"))["discovered_by"] == "start"


def test_temporary_redirect_and_meta_refresh(store, site):
    assert location_of(store, site("/redirects/temporary-302")) == (302, site("/redirects/temporary-302-target"))
    assert store.page(site("/redirects/meta-refresh"))["meta_refresh"].endswith("url=/redirects/meta-refresh-target")
    assert store.fetch(site("/redirects/meta-refresh-target"))["status"] == 200


def test_a_meta_refresh_target_is_stored_with_its_page(store, site):
    refresh_id = store.page(site("/redirects/meta-refresh"))["meta_refresh_url_id"]
    assert store.query("SELECT url FROM urls WHERE id = ?", (refresh_id,)).fetchone()[0] == \
        site("/redirects/meta-refresh-target")
    # The clean twin: a page without a refresh has none.
    assert store.page(site("/redirects/meta-refresh-target"))["meta_refresh_url_id"] is None


# -- statuses and inbound links ---------------------------------------------------------


def test_error_pages_with_inbound_links(store, site):
    for path, status, sources in [("/errors/not-found", 404, {"/", "/errors/", "/content/"}),
                                  ("/errors/gone", 410, {"/errors/", "/content/"}),
                                  ("/errors/server-error", 500, {"/errors/"})]:
        assert store.fetch(site(path))["status"] == status
        linking = {row["source"] for row in store.links_to(site(path))}
        assert {site(s) for s in sources} <= linking, path


def test_clean_pages_answer_200_and_are_parsed(store, site):
    for path in ["/clean/about", "/clean/services", "/clean/contact", "/clean/privacy",
                 "/canonical/self", "/canonical/target", "/redirects/single-301-target"]:
        assert store.fetch(site(path))["status"] == 200, path
        page = store.page(site(path))
        assert page["title"] and page["word_count"] > 0, path


def test_timings_and_sizes_recorded(store, site):
    fetch = store.fetch(site("/clean/about"))
    assert fetch["ttfb_ms"] is not None and fetch["elapsed_ms"] >= fetch["ttfb_ms"]
    assert fetch["bytes"] > 500
    assert fetch["content_type"].startswith("text/html")
    # Linked from the home page footer and listed in the sitemap: whichever the crawl read
    # first is how it was discovered, but its depth is the smallest way in (sitemap entries
    # are seeds, depth 0; a URL met again shallower is lowered), whatever the order.
    assert fetch["discovered_by"] in {"link", "sitemap"}
    assert fetch["depth"] == 0


# -- robots.txt, noindex ----------------------------------------------------------------


def test_robots_stored_and_blocked_page_recorded_not_fetched(site_crawl, store, site):
    robots = store.query("SELECT * FROM robots").fetchone()
    assert robots["status"] == 200 and "Disallow: /private/" in robots["body"]
    assert json.loads(robots["sitemaps"]) == [site("/sitemap-index.xml")]
    blocked = store.fetch(site("/private/secret-page"))
    assert (blocked["error"], blocked["fetched"], blocked["robots_blocked"]) == ("robots-blocked", 0, 1)
    assert not [r for r in site_crawl.requests if r.path.startswith("/private/")]
    assert store.links_to(site("/private/secret-page")), "the edge to the blocked page is kept"


def test_noindex_by_meta_and_by_header(store, site):
    assert "noindex" in store.page(site("/indexing/noindex-meta"))["meta_robots"]
    assert store.page(site("/indexing/noindex-meta"))["x_robots_tag"] is None
    assert store.page(site("/indexing/noindex-header"))["x_robots_tag"] == "noindex"
    assert store.page(site("/indexing/noindex-header"))["meta_robots"] is None


# -- canonicals -------------------------------------------------------------------------


def canonical_rows(store, url):
    return [(r["source"], r["raw"], r["target"]) for r in store.query(
        "SELECT c.source, c.raw, t.url AS target FROM canonicals c JOIN urls p ON p.id = c.page_id "
        "LEFT JOIN urls t ON t.id = c.target_id WHERE p.url = ? ORDER BY c.source, c.raw", (url,))]


def test_canonicals_relative_conflicting_header_and_to_redirect(store, site):
    assert canonical_rows(store, site("/canonical/self")) == [("html", site("/canonical/self"), site("/canonical/self"))]
    assert canonical_rows(store, site("/canonical/relative")) == [("html", "/canonical/target", site("/canonical/target"))]
    conflicting = canonical_rows(store, site("/canonical/conflicting-html"))
    assert {row[2] for row in conflicting} == {site("/canonical/target"), site("/canonical/self")}
    header = canonical_rows(store, site("/canonical/header-mismatch"))
    assert [row[0] for row in header] == ["header", "html"]
    assert header[0][2] == site("/canonical/target")
    assert header[1][2] == site("/canonical/header-mismatch")
    assert canonical_rows(store, site("/canonical/to-redirect"))[0][2] == site("/canonical/old-target")
    # Canonical targets are crawled even when nothing links to them.
    assert store.fetch(site("/canonical/old-target"))["status"] == 301
    assert store.fetch(site("/canonical/missing-target"))["status"] == 404


def test_a_canonical_the_parser_puts_in_the_body_is_recorded_as_such(store, site):
    # An <img> in <head> ends the head; the self-canonical after it is in <body>.
    assert canonical_rows(store, site("/canonical/pushed-out")) == [
        ("body", site("/canonical/pushed-out"), site("/canonical/pushed-out"))]


# -- sitemaps ---------------------------------------------------------------------------


def test_sitemap_index_plain_and_gzip(store, site):
    rows = {r["url"]: r for r in store.query(
        "SELECT u.url, s.*, n.found_in, p.url AS parent FROM sitemaps s "
        "JOIN urls u ON u.id = s.url_id JOIN sitemap_namings n ON n.sitemap_id = s.url_id "
        "LEFT JOIN urls p ON p.id = n.parent_id")}
    index = rows[site("/sitemap-index.xml")]
    assert (index["kind"], index["found_in"], index["entries"]) == ("sitemapindex", "robots", 2)
    pages = rows[site("/sitemap-pages.xml")]
    assert (pages["kind"], pages["parent"], pages["entries"]) == ("urlset", site("/sitemap-index.xml"), 32)
    gzipped = rows[site("/sitemap-more.xml.gz")]
    assert (gzipped["kind"], gzipped["entries"], gzipped["error"]) == ("urlset", 4, None)
    assert site("/sitemap.xml") not in rows, "no /sitemap.xml fallback when robots.txt names one"


def test_orphan_listed_only_in_sitemap(store, site):
    orphan = store.fetch(site("/sitemap-only/orphan"))
    assert (orphan["status"], orphan["discovered_by"]) == (200, "sitemap")
    assert store.links_to(site("/sitemap-only/orphan")) == []
    assert store.fetch(site("/sitemap-only/missing"))["status"] == 404
    assert location_of(store, site("/sitemap-only/moved")) == (301, site("/clean/about"))


# -- outbound probes --------------------------------------------------------------------


@pytest.mark.parametrize("host,path,verdict,status,error", [
    ("ext_a", "/ok", "ok", 200, None),
    ("ext_a", "/moved", "redirected", 200, None),
    ("ext_a", "/missing", "broken", 404, None),
    ("ext_a", "/gone", "broken", 410, None),
    ("ext_a", "/server-error", "server-error", 500, None),
    ("ext_a", "/rate-limited", "ok", 200, None),
    ("ext_b", "/bot-wall", "unverifiable", 403, None),
    ("ext_b", "/slow", "timeout", None, "timeout"),
    ("ext_b", "/no-head", "ok", 200, None),
    ("ext_dead", "/x", "broken", None, "refused"),
])
def test_outbound_verdicts(store, ext, host, path, verdict, status, error):
    probe = store.probe(ext(host, path))
    assert probe is not None, f"{host}{path} was not probed"
    assert (probe["verdict"], probe["status"], probe["error"]) == (verdict, status, error)


def test_probe_details_head_fallback_retries_and_hops(site_crawl, store, ext):
    assert store.probe(ext("ext_b", "/no-head"))["method"] == "GET"
    assert store.probe(ext("ext_a", "/ok"))["method"] == "HEAD"
    rate_limited = store.probe(ext("ext_a", "/rate-limited"))
    assert rate_limited["attempts"] == 2 and rate_limited["elapsed_ms"] >= 900  # waited Retry-After: 1
    assert store.probe(ext("ext_a", "/server-error"))["attempts"] == 2
    moved = store.probe(ext("ext_a", "/moved"))
    assert json.loads(moved["hops"]) == [{"url": ext("ext_a", "/moved"), "status": 301,
                                          "location": ext("ext_a", "/ok")}]
    assert moved["final_url"] == ext("ext_a", "/ok")
    # 404 on HEAD is confirmed with GET before the link is called broken.
    methods = [r.method for r in site_crawl.requests if r.host == "ext_a" and r.path == "/missing"]
    assert methods == ["HEAD", "GET"]


# -- HTML oddities ----------------------------------------------------------------------


def test_malformed_html_still_yields_title_and_links(store, site, ext):
    assert store.page(site("/html/malformed"))["title"] == "Malformed but readable"
    targets = {row["target"] for row in store.links_from(site("/html/malformed"))}
    assert {site("/"), site("/clean/about"), site("/clean/services"), site("/html/"),
            ext("ext_b", "/popular")} <= targets


def test_non_utf8_page_decoded(store, site):
    page = store.page(site("/html/latin1"))
    assert page["title"] == "Clínica Odontológica Niño"
    assert page["encoding"] in ("cp1252", "iso-8859-1", "latin-1")
    assert page["lang"] == "es"


def test_self_links_with_tracking_parameters_normalise_to_one_url(site_crawl, store, site):
    urls = [r[0] for r in store.query("SELECT url FROM urls WHERE url LIKE ?", ("%self-links%",))]
    assert urls == [site("/html/self-links")]
    raws = {row["raw"] for row in store.links_from(site("/html/self-links"))
            if row["target"] == site("/html/self-links")}
    assert any("utm_source" in raw for raw in raws) and any("#" in raw for raw in raws)
    paths = [r.path for r in site_crawl.requests if r.host == "site"]
    assert [p for p in paths if p.startswith("/html/self-links")] == ["/html/self-links"]


def test_link_regions_elements_and_anchors(store, site):
    regions = {row["target"]: (row["region"], row["element"], row["anchor"])
               for row in store.links_from(site("/html/regions")) if row["element"] == "a"}
    assert regions[site("/")][0] == "header"
    assert regions[site("/clean/about")][0] == "nav"
    assert regions[site("/clean/services")][0] == "main"
    assert regions[site("/clean/contact")][0] == "aside"
    assert regions[site("/clean/privacy")][0] == "footer"
    assert all(anchor for _, _, anchor in regions.values())


# -- structured data, content signatures, size limits --------------------------------------


def test_structured_data_extracted_with_errors_kept(store, site):
    clinic = json.loads(store.page(site("/structured/json-ld-clinic"))["structured_data"])
    assert clinic["json-ld"][0]["@type"] == "MedicalClinic"
    assert "errors" not in clinic
    microdata = json.loads(store.page(site("/structured/microdata"))["structured_data"])
    assert microdata["microdata"]
    invalid = json.loads(store.page(site("/structured/json-ld-invalid"))["structured_data"])
    assert invalid["errors"][0]["syntax"] == "json-ld" and invalid["errors"][0]["snippet"]


def test_duplicates_share_a_hash_and_similar_pages_do_not(store, site):
    a, b = store.page(site("/content/duplicate-a")), store.page(site("/content/duplicate-b"))
    assert a["content_hash"] == b["content_hash"]
    sa, sb = store.page(site("/content/similar-a")), store.page(site("/content/similar-b"))
    assert sa["content_hash"] != sb["content_hash"]
    assert jaccard(sa["minhash"], sb["minhash"]) < 0.5
    assert jaccard(a["minhash"], b["minhash"]) == 1.0


def test_endless_and_too_big_pages_are_cut_off_and_the_crawl_goes_on(store, site):
    assert store.fetch(site("/size/endless"))["error"] in ("too-large", "timeout")
    assert store.fetch(site("/size/big"))["error"] == "too-large"
    assert store.fetch(site("/clean/privacy"))["status"] == 200


def test_visible_contact_details_recorded(store, site):
    contact = json.loads(store.page(site("/clean/contact"))["contact"])
    assert contact == {"tel": ["tel:+15550100100"],
                       "addresses": ["Readiness Fixture Clinic, 1 Test Street, Springfield"]}
    assert store.page(site("/clean/about"))["contact"] is None
