"""Indexing rules on hand-built stores: each planted defect and its clean twin."""

import sqlite3

from rule_helpers import urls

from readiness.rules.base import Severity
from readiness.rules.indexing import (
    ConflictingIndexingDirectives,
    IndexablePageNotInSitemap,
    LinkedPageBlockedByRobots,
    MissingRobotsOrSitemap,
    NoindexWithInboundLinks,
    NonIndexablePage,
    OrphanPage,
    SitemapEntryNotIndexable,
    SitemapOnOtherHost,
)
from readiness.testing import StoreBuilder


def finding_at(findings, path):
    return next(f for f in findings if f.url == f"http://site.test{path}")


def test_noindex_with_inbound_links(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/implants", {"anchor": "Implants"}), "/brochure.pdf", "/team"])
    store.page("/implants", meta_robots="noindex, follow")
    store.fetch("/brochure.pdf", headers={"x-robots-tag": "noindex"}, content_type="application/pdf")
    store.page("/team", headers={"x-robots-tag": "googlebot: none"})
    # clean twins: noindex but nothing links to it; linked and indexable; linked only by itself
    store.page("/thanks", meta_robots="noindex")
    store.page("/landing", meta_robots="noindex", links=["/landing"])
    findings = store.run(NoindexWithInboundLinks)
    assert urls(findings) == ["http://site.test/brochure.pdf", "http://site.test/implants",
                              "http://site.test/team"]
    implants = finding_at(findings, "/implants")
    assert implants.evidence["noindex_in"] == ["meta robots"]
    assert implants.evidence["reasons"] == ["noindex in meta robots"]
    assert implants.evidence["inbound_links"][0]["anchor"] == "Implants"
    assert finding_at(findings, "/team").evidence["noindex_in"] == ["X-Robots-Tag"]


def test_linked_page_blocked_by_robots(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/book/online", "/private/report"])
    store.fetch("/book/online", status=None, error="robots-blocked", fetched=False,
                robots_blocked=True)
    store.page("/private/report", fetch={"robots_blocked": True})  # robots: report mode
    # clean twins: blocked but unlinked (found in a sitemap); linked and allowed
    store.fetch("/admin", status=None, error="robots-blocked", fetched=False, robots_blocked=True)
    store.sitemap_entry("/admin")
    store.page("/allowed", links=["/"])
    findings = store.run(LinkedPageBlockedByRobots)
    assert urls(findings) == ["http://site.test/book/online", "http://site.test/private/report"]
    assert findings[0].evidence["linking_pages"] == 1


def test_conflicting_directives(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/implants"])
    store.page("/implants")
    store.page("/implants?ref=menu", meta_robots="noindex", canonical="/implants")
    store.page("/header-says-noindex", meta_robots="index, follow",
               headers={"x-robots-tag": "noindex"})
    store.page("/two-meta-tags", meta_robots="index, follow, noindex")
    # clean twins: noindex with a self-canonical; meta noindex with a header that states no
    # indexing choice; the same noindex in both places; a canonical without noindex
    store.page("/self", meta_robots="noindex", canonical="/self")
    store.page("/nofollow-header", meta_robots="noindex", headers={"x-robots-tag": "nofollow"})
    store.page("/both-noindex", meta_robots="noindex", headers={"x-robots-tag": "none"})
    store.page("/implants?utm=1", canonical="/implants")
    findings = store.run(ConflictingIndexingDirectives)
    assert urls(findings) == ["http://site.test/header-says-noindex",
                              "http://site.test/implants?ref=menu",
                              "http://site.test/two-meta-tags"]
    assert finding_at(findings, "/implants?ref=menu").evidence["conflicts"] == [
        "noindex with a canonical to http://site.test/implants"]
    assert finding_at(findings, "/header-says-noindex").evidence["conflicts"] == [
        "meta robots says index, X-Robots-Tag says noindex"]
    assert finding_at(findings, "/two-meta-tags").evidence["conflicts"] == [
        "meta robots says both index and noindex"]


def test_sitemap_entry_not_indexable_with_the_reason(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/")
    for path in ("/", "/gone", "/broken", "/old-prices", "/thanks", "/blocked", "/print",
                 "/unreached", "/ok"):
        store.sitemap_entry(path)
    store.fetch("/gone", status=404)
    store.fetch("/broken", status=500)
    store.redirect("/old-prices", "/prices")
    store.page("/prices")
    store.page("/thanks", meta_robots="noindex")
    store.fetch("/blocked", status=None, error="robots-blocked", fetched=False, robots_blocked=True)
    store.page("/print", canonical="/ok")
    store.fetch("/unreached", status=None, error="max-pages", fetched=False)  # clean: unknown
    store.page("/ok")  # clean twin
    findings = store.run(SitemapEntryNotIndexable)
    assert urls(findings) == [f"http://site.test{p}" for p in (
        "/blocked", "/broken", "/gone", "/old-prices", "/print", "/thanks")]
    assert all(f.severity == Severity.ERROR for f in findings)
    assert finding_at(findings, "/gone").evidence["reasons"] == ["answers 404"]
    redirect = finding_at(findings, "/old-prices")
    assert redirect.evidence["final_url"] == "http://site.test/prices"
    assert "redirects (301)" in redirect.message
    assert finding_at(findings, "/blocked").evidence["reasons"] == ["blocked by robots.txt"]
    assert "canonicalised to http://site.test/ok" in finding_at(findings, "/print").message
    assert "noindex in meta robots" in finding_at(findings, "/thanks").message


def test_indexable_page_not_in_sitemap(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/invisalign", "/listed", "/hidden", "/copy"])
    store.sitemap_entry("/")
    store.sitemap_entry("/listed")
    store.page("/invisalign")
    store.page("/listed")
    # clean twins: noindex, canonicalised elsewhere, not 200
    store.page("/hidden", meta_robots="noindex")
    store.page("/copy", canonical="/listed")
    store.page("/missing", status=404)
    findings = store.run(IndexablePageNotInSitemap)
    assert urls(findings) == ["http://site.test/invisalign"]
    assert findings[0].evidence["sitemaps_read"] == ["http://site.test/sitemap.xml"]


def test_not_in_sitemap_is_silent_when_no_sitemap_was_read(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/invisalign"])
    store.page("/invisalign")
    store.sitemap("/sitemap.xml", "fallback", status=404, error="http-404")
    assert store.run(IndexablePageNotInSitemap) == []


def test_orphan_page(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/linked", "/old", "/variant", ("/logo.png", {"element": "img"})],
               fetch={"discovered_by": "start", "depth": 0})
    store.page("/linked")
    store.sitemap_entry("/spring-offer")
    store.page("/spring-offer", fetch={"discovered_by": "sitemap", "depth": 0},
               links=["/spring-offer", "/linked"])  # a self-link does not count
    store.page("/only-an-image-points-here", fetch={"discovered_by": "sitemap"})
    store.link("/", ("/only-an-image-points-here", {"element": "img"}))
    # clean twins: reached through a redirect; through a page canonicalising to it;
    # an orphan that is not indexable
    store.redirect("/old", "/moved")
    store.page("/moved", fetch={"discovered_by": "redirect"})
    store.page("/variant", canonical="/main-version")
    store.page("/main-version", fetch={"discovered_by": "canonical"})
    store.page("/orphan-noindex", meta_robots="noindex", fetch={"discovered_by": "sitemap"})
    findings = store.run(OrphanPage)
    assert urls(findings) == ["http://site.test/only-an-image-points-here",
                              "http://site.test/spring-offer"]
    orphan = finding_at(findings, "/spring-offer")
    assert orphan.severity == Severity.WARNING
    assert orphan.evidence["sitemaps"] == ["http://site.test/sitemap.xml"]
    assert "found by sitemap" in orphan.message


def test_orphan_page_names_every_way_in_not_the_one_read_first(tmp_path):
    for first in ("link", "sitemap"):  # the crawl read the <img> first, or the sitemap
        store = StoreBuilder(tmp_path / first)
        store.page("/", links=[("/offer", {"element": "img"})],
                   fetch={"discovered_by": "start", "depth": 0})
        store.sitemap_entry("/offer")
        store.page("/offer", fetch={"discovered_by": first})
        [finding] = store.run(OrphanPage)
        assert "found by sitemap, link" in finding.message
        assert finding.evidence["found_by"] == ["sitemap", "link"]


def test_an_orphan_named_by_hreflang_and_a_meta_refresh_is_found_by_hreflang_either_way(tmp_path):
    # /fr/ is named as an alternate by / and is the target of /old's meta refresh: whichever
    # the crawl met first (discovered_by), the evidence is the fact both runs share.
    for first in ("hreflang", "meta-refresh"):
        store = StoreBuilder(tmp_path / first)
        store.page("/", fetch={"discovered_by": "start", "depth": 0})
        store.add("hreflang", {"page_id": store.id("/"), "lang": "fr", "raw": "/fr/",
                               "target_id": store.id("/fr/")})
        store.page("/fr/", fetch={"discovered_by": first})
        [finding] = store.run(OrphanPage)
        assert finding.url == store.url("/fr/")
        assert finding.evidence["found_by"] == ["hreflang"]


def test_start_page_is_never_an_orphan(tmp_path):
    store = StoreBuilder(tmp_path, start_url="http://site.test/")
    store.redirect("/", "/en/")
    store.page("/en/", links=["/en/about"])
    store.page("/en/about")
    assert store.run(OrphanPage) == []


def test_orphan_on_an_incomplete_crawl_is_an_inconclusive_notice(tmp_path):
    store = StoreBuilder(tmp_path, complete=False, limits_hit=["max-pages"])
    store.page("/")
    store.sitemap_entry("/spring-offer")
    store.page("/spring-offer", fetch={"discovered_by": "sitemap"})
    findings = store.run(OrphanPage)
    assert urls(findings) == ["http://site.test/spring-offer"]
    assert findings[0].severity == Severity.NOTICE
    assert "inconclusive" in findings[0].message and "max-pages" in findings[0].message
    assert findings[0].evidence["limits_hit"] == ["max-pages"]


def robots_and_sitemap_findings(tmp_path, robots_status=200, robots_error=None, sitemap=True):
    store = StoreBuilder(tmp_path)
    store.page("/")
    store.robots(status=robots_status, error=robots_error,
                 body="User-agent: *\nAllow: /" if robots_status == 200 else "")
    if sitemap:
        store.sitemap_entry("/")
    return store.run(MissingRobotsOrSitemap)


def test_robots_and_sitemap_present_is_clean(tmp_path):
    assert robots_and_sitemap_findings(tmp_path) == []


def test_robots_unreachable_is_an_error_and_absent_a_notice(tmp_path):
    [failing] = robots_and_sitemap_findings(tmp_path / "503", robots_status=503)
    assert failing.severity == Severity.ERROR
    assert "503" in failing.message and failing.url == "http://site.test/robots.txt"
    [timeout] = robots_and_sitemap_findings(tmp_path / "timeout", robots_status=None,
                                            robots_error="timeout")
    assert timeout.severity == Severity.ERROR and "timeout" in timeout.message
    [absent] = robots_and_sitemap_findings(tmp_path / "404", robots_status=404)
    assert absent.severity == Severity.NOTICE and "no robots.txt" in absent.message


def test_no_readable_sitemap(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/")
    store.robots()
    store.sitemap("/sitemap.xml", "fallback", status=404, error="http-404")
    store.sitemap("/sitemap-pages.xml", "robots", status=200, error="invalid-xml",
                  kind="urlset", entries=3)
    [finding] = store.run(MissingRobotsOrSitemap)
    assert finding.severity == Severity.WARNING
    assert finding.subject == "sitemap"
    assert "http-404" in finding.message and "invalid-xml" in finding.message
    # By URL, not in the order the crawl happened to try them.
    assert [t["url"] for t in finding.evidence["sitemaps_tried"]] == [
        "http://site.test/sitemap-pages.xml", "http://site.test/sitemap.xml"]


def test_configured_severity_overrides_every_case(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/")
    store.robots(status=503)
    store.sitemap_entry("/")
    ctx = store.context()
    try:
        findings = list(MissingRobotsOrSitemap(severity=Severity.NOTICE).check(ctx))
    finally:
        ctx.store.close()
    assert [f.severity for f in findings] == [Severity.NOTICE]


def test_non_indexable_page_lists_the_reasons(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/team", "/copy"])
    store.page("/team", headers={"x-robots-tag": "noindex"})
    store.page("/copy", canonical="/", meta_robots="noindex")
    store.page("/report", fetch={"robots_blocked": True})
    # clean twins: indexable; self-canonical; not 200 (status rules' business)
    store.page("/about", canonical="/about")
    store.page("/gone", status=404)
    findings = store.run(NonIndexablePage)
    assert urls(findings) == ["http://site.test/copy", "http://site.test/report",
                              "http://site.test/team"]
    assert finding_at(findings, "/copy").evidence["reasons"] == [
        "noindex in meta robots", "canonicalised to http://site.test/"]
    assert finding_at(findings, "/report").message == "not indexable: blocked by robots.txt"
    assert all(f.severity == Severity.NOTICE for f in findings)


def test_sitemap_on_other_host_names_where_it_was_found(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/")
    store.add("robots", {"host": "site.test", "url": "http://site.test/robots.txt",
                         "status": 200, "body": "", "fetched_at": 0,
                         "sitemaps": ["https://cdn.agency.test/clinic.xml",
                                      "http://site.test/sitemap.xml"]})
    store.sitemap("https://cdn.agency.test/clinic.xml", "robots", error="off-site")
    store.sitemap("https://cdn.agency.test/child.xml", "index", parent="/sitemap.xml",
                  error="off-site")
    store.sitemap_entry("/", "/sitemap.xml")  # the site's own sitemap: the clean twin
    findings = {f.url: f for f in store.run(SitemapOnOtherHost)}
    assert sorted(findings) == ["https://cdn.agency.test/child.xml",
                                "https://cdn.agency.test/clinic.xml"]
    assert findings["https://cdn.agency.test/clinic.xml"].evidence["named_in"] == [
        "http://site.test/robots.txt"]
    assert findings["https://cdn.agency.test/child.xml"].evidence["named_in"] == [
        "http://site.test/sitemap.xml"]
    assert findings["https://cdn.agency.test/clinic.xml"].severity == Severity.WARNING


def test_sitemap_on_other_host_names_every_naming_sorted(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/")
    store.add("robots", {"host": "site.test", "url": "http://site.test/robots.txt",
                         "status": 200, "body": "", "fetched_at": 0,
                         "sitemaps": ["https://cdn.agency.test/clinic.xml"]})
    # Written in the order a crawl may read them: index b first, robots.txt last.
    store.sitemap("https://cdn.agency.test/clinic.xml", "index", parent="/index-b.xml",
                  error="off-site")
    store.naming("https://cdn.agency.test/clinic.xml", "index", parent="/index-a.xml")
    store.naming("https://cdn.agency.test/clinic.xml", "robots")
    store.naming("https://cdn.agency.test/clinic.xml", "index", parent="/index-a.xml")  # again
    [finding] = store.run(SitemapOnOtherHost)
    assert finding.evidence["found_in"] == ["robots", "index"]
    assert finding.evidence["named_in"] == ["http://site.test/robots.txt",
                                            "http://site.test/index-a.xml",
                                            "http://site.test/index-b.xml"]


def test_a_schema_1_store_reads_its_one_naming_per_sitemap(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/")
    store.sitemap("https://cdn.agency.test/child.xml", "index", parent="/sitemap.xml",
                  error="off-site")
    path = store.close()
    with sqlite3.connect(path) as db:  # what a store written before sitemap_namings holds
        db.execute("ALTER TABLE sitemaps ADD COLUMN parent_id INTEGER")
        db.execute("ALTER TABLE sitemaps ADD COLUMN found_in TEXT")
        db.execute("UPDATE sitemaps SET (parent_id, found_in) = (SELECT parent_id, found_in "
                   "FROM sitemap_namings n WHERE n.sitemap_id = sitemaps.url_id)")
        db.execute("DROP TABLE sitemap_namings")
    [finding] = store.run(SitemapOnOtherHost)
    assert finding.evidence["found_in"] == ["index"]
    assert finding.evidence["named_in"] == ["http://site.test/sitemap.xml"]
