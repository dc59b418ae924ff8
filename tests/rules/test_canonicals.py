"""Canonical rules on hand-built stores: each planted defect and its clean twin."""

import pytest
from rule_helpers import urls

from readiness.rules.base import Severity
from readiness.rules.canonicals import (
    CanonicalChain,
    CanonicalMissing,
    CanonicalOutsideHead,
    CanonicalToError,
    CanonicalToNonIndexable,
    CanonicalToOtherHost,
    CanonicalToRedirect,
    ConflictingCanonicals,
    HostVariantNotRedirected,
    IndirectVariantRedirect,
    InternalLinkWithTrackingParameters,
    ParameterisedDuplicate,
    RelativeCanonical,
)
from readiness.testing import StoreBuilder

SITE = "http://site.test"
ALL_RULES = [CanonicalMissing, CanonicalToError, CanonicalToRedirect, CanonicalToNonIndexable,
             CanonicalChain, ConflictingCanonicals, RelativeCanonical, CanonicalToOtherHost,
             ParameterisedDuplicate, HostVariantNotRedirected, IndirectVariantRedirect,
             CanonicalOutsideHead, InternalLinkWithTrackingParameters]


def variant(store, url, of, kind, status=None, location=None, error=None):
    row = {"url_id": store.id(url), "of_url_id": store.id(of), "kind": kind, "status": status,
           "error": error}
    if location is not None:
        row["location"] = location
        row["location_url_id"] = store.id(location)
    store.add("variants", row)


@pytest.fixture
def clean_store(tmp_path):
    """A small site with every canonical done right: nothing may be reported on it."""
    store = StoreBuilder(tmp_path)
    store.page("/", canonical=f"{SITE}/", links=["/about", "/team", "/team?from=footer"],
               text="welcome to the clinic")
    store.page("/about", canonical=f"{SITE}/about", text="about the clinic")
    store.page("/team", canonical=f"{SITE}/team", header_canonical=f"{SITE}/team",
               text="our team of dentists")
    store.page("/team?from=footer", canonical=f"{SITE}/team", text="our team of dentists")
    store.page("/about-old-copy", canonical=f"{SITE}/about", text="about the clinic")
    store.page("/draft", meta_robots="noindex", text="draft")  # no canonical, not indexable
    variant(store, "https://site.test/", "/", "scheme", status=404)
    variant(store, "http://www.site.test/", "/", "host", status=301, location="/")
    variant(store, "http://site.test/about/", "/about", "slash", status=308, location="/about")
    variant(store, "http://site.test/index.html", "/", "index", status=301, location="/")
    variant(store, "https://www.site.test/", "/", "scheme,host", error="dns")
    return store


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_clean_site_has_no_findings(clean_store, rule):
    assert clean_store.run(rule) == []


def test_missing_canonical_on_indexable_pages_only(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", canonical=f"{SITE}/")
    store.page("/no-canonical")
    invalid = store.page("/invalid")
    store.add("canonicals", {"page_id": invalid, "source": "html", "raw": "http://[broken",
                             "target_id": None})
    store.page("/noindex", meta_robots="noindex")
    store.page("/canonicalised", canonical="/")
    store.page("/error-page", status=404)
    findings = store.run(CanonicalMissing)
    assert urls(findings) == [f"{SITE}/invalid", f"{SITE}/no-canonical"]
    by_url = {f.url: f for f in findings}
    assert by_url[f"{SITE}/no-canonical"].message == "declares no canonical URL"
    assert "not a valid URL" in by_url[f"{SITE}/invalid"].message
    assert by_url[f"{SITE}/no-canonical"].evidence["fix"] == \
        f'add <link rel="canonical" href="{SITE}/no-canonical">'


def test_canonical_to_404_to_redirected_404_and_to_broken_outbound(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/to-404", canonical="/missing")
    store.fetch("/missing", status=404)
    store.page("/to-moved-404", canonical="/moved")
    store.redirect("/moved", "/gone")
    store.fetch("/gone", status=410)
    store.page("/to-dead-host", canonical="http://ext.test/dead")
    store.probe("http://ext.test/dead", "broken", error="dns")
    store.page("/to-timeout", canonical="/slow")
    store.fetch("/slow", status=None, error="timeout")
    # clean twins: a live target, a bot wall, a target the crawl never reached
    store.page("/ok", canonical="/ok-target")
    store.page("/ok-target", canonical="/ok-target")
    store.page("/to-bot-wall", canonical="http://ext.test/walled")
    store.probe("http://ext.test/walled", "unverifiable", status=403)
    store.page("/to-unfetched", canonical="/deep")
    store.fetch("/deep", status=None, error="max-pages", fetched=False)
    findings = store.run(CanonicalToError)
    assert urls(findings) == [f"{SITE}/to-404", f"{SITE}/to-dead-host", f"{SITE}/to-moved-404",
                              f"{SITE}/to-timeout"]
    by_url = {f.url: f for f in findings}
    assert by_url[f"{SITE}/to-404"].message == \
        f"canonical points to {SITE}/missing, which answers 404"
    moved = by_url[f"{SITE}/to-moved-404"].evidence
    assert [h["url"] for h in moved["hops"]] == [f"{SITE}/moved"]
    assert moved["final_url"] == f"{SITE}/gone" and moved["final_status"] == 410
    assert moved["declarations"] == [{"source": "html", "raw": "/moved", "target": f"{SITE}/moved"}]
    assert "fails (dns)" in by_url[f"{SITE}/to-dead-host"].message


def test_canonical_into_redirect_loop_is_an_error(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/page", canonical="/loop-a")
    store.redirect("/loop-a", "/loop-b")
    store.redirect("/loop-b", "/loop-a")
    findings = store.run(CanonicalToError)
    assert urls(findings) == [f"{SITE}/page"]
    assert "redirect loop" in findings[0].message
    assert store.run(CanonicalToRedirect) == []


def test_canonical_to_redirect_names_hops_and_final_url(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/page", canonical="/old-target", links=[("/page", {})])
    store.redirect("/old-target", "/target")
    store.page("/target", canonical="/target")
    store.page("/direct", canonical="/target")  # clean twin
    store.page("/to-redirected-404", canonical="/old-missing")  # CAN002, not CAN003
    store.redirect("/old-missing", "/missing")
    store.fetch("/missing", status=404)
    store.page("/to-ext", canonical="http://ext.test/moved")
    store.probe("http://ext.test/moved", "redirected", status=200,
                hops=[{"url": "http://ext.test/moved", "status": 301,
                       "location": "http://ext.test/new"}], final_url="http://ext.test/new")
    findings = store.run(CanonicalToRedirect)
    assert urls(findings) == [f"{SITE}/page", f"{SITE}/to-ext"]
    evidence = {f.url: f for f in findings}[f"{SITE}/page"].evidence
    assert evidence["hops"] == [{"url": f"{SITE}/old-target", "status": 301,
                                 "location": f"{SITE}/target"}]
    assert evidence["final_url"] == f"{SITE}/target"
    assert evidence["fix"] == f"canonicalise to {SITE}/target"
    ext = {f.url: f for f in findings}[f"{SITE}/to-ext"].evidence
    assert ext["final_url"] == "http://ext.test/new"


def test_canonical_to_noindex_header_noindex_and_robots_blocked(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/a", canonical="/noindex-meta")
    store.page("/noindex-meta", meta_robots="noindex, follow")
    store.page("/b", canonical="/noindex-header")
    store.page("/noindex-header", headers={"x-robots-tag": "googlebot: noindex"})
    store.page("/c", canonical="/private/page")
    store.fetch("/private/page", status=None, error="robots-blocked", fetched=False,
                robots_blocked=True)
    store.page("/d", canonical="/moved-to-noindex")
    store.redirect("/moved-to-noindex", "/noindex-meta")
    store.page("/clean", canonical="/indexable")  # clean twin
    store.page("/indexable", meta_robots="index, follow")
    findings = store.run(CanonicalToNonIndexable)
    assert urls(findings) == [f"{SITE}/{p}" for p in ("a", "b", "c", "d")]
    by_url = {f.url: f for f in findings}
    assert by_url[f"{SITE}/a"].evidence["target_not_indexable"] == ["noindex in meta robots"]
    assert by_url[f"{SITE}/b"].evidence["target_not_indexable"] == \
        ["noindex in X-Robots-Tag header"]
    assert by_url[f"{SITE}/c"].evidence["target_not_indexable"] == ["blocked by robots.txt"]
    assert by_url[f"{SITE}/d"].evidence["final_url"] == f"{SITE}/noindex-meta"
    assert store.run(CanonicalToRedirect) == []  # /d is reported once, as non-indexable


def test_canonical_chain_and_loop(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/a", canonical="/b")
    store.page("/b", canonical="/c")
    store.page("/c", canonical="/c")
    store.page("/direct", canonical="/c")  # clean twin
    store.page("/x", canonical="/y")
    store.page("/y", canonical="/x")
    findings = store.run(CanonicalChain)
    assert urls(findings) == [f"{SITE}/a", f"{SITE}/x", f"{SITE}/y"]
    by_url = {f.url: f for f in findings}
    assert by_url[f"{SITE}/a"].evidence["chain"] == [f"{SITE}/a", f"{SITE}/b", f"{SITE}/c"]
    assert by_url[f"{SITE}/a"].evidence["fix"] == f"canonicalise straight to {SITE}/c"
    assert by_url[f"{SITE}/x"].evidence["loop"] is True
    assert by_url[f"{SITE}/x"].message == f"canonical loop: {SITE}/x -> {SITE}/y -> {SITE}/x"


def test_conflicting_canonicals_html_twice_and_html_vs_header(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/two-html", canonical=["/target", "/other"])
    store.page("/html-vs-header", canonical="/html-vs-header", header_canonical="/target")
    store.page("/same-twice", canonical=["/target", f"{SITE}/target"])  # clean twin
    store.page("/agree", canonical="/target", header_canonical=f"{SITE}/target")  # clean twin
    store.page("/target", canonical="/target")
    findings = store.run(ConflictingCanonicals)
    assert urls(findings) == [f"{SITE}/html-vs-header", f"{SITE}/two-html"]
    evidence = {f.url: f for f in findings}[f"{SITE}/html-vs-header"].evidence
    assert evidence["declarations"] == [
        {"source": "html", "raw": "/html-vs-header", "target": f"{SITE}/html-vs-header"},
        {"source": "header", "raw": "/target", "target": f"{SITE}/target"},
    ]
    # Conflicting pages have no canonical for the target rules (Google ignores them all).
    assert store.run(CanonicalToOtherHost) == [] and store.run(CanonicalChain) == []


def test_relative_canonical(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/relative", canonical="/target")
    store.page("/protocol-relative", canonical="//site.test/target")
    store.page("/absolute", canonical=f"{SITE}/target")  # clean twin
    store.page("/target", canonical="HTTPS://site.test/target")  # scheme case does not matter
    findings = store.run(RelativeCanonical)
    assert urls(findings) == [f"{SITE}/protocol-relative", f"{SITE}/relative"]
    evidence = {f.url: f for f in findings}[f"{SITE}/relative"].evidence
    assert evidence["relative"] == [{"source": "html", "raw": "/target",
                                     "resolved": f"{SITE}/target"}]
    assert evidence["fix"] == f"write the absolute URL: {SITE}/target"


def test_canonical_to_other_host_names_both_hosts(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/syndicated", canonical="https://partner.test/article")
    store.page("/www", canonical="http://www.site.test/www")
    store.page("/https", canonical="https://site.test/https")  # same host, other scheme
    store.page("/self", canonical="/self")  # clean twin
    findings = store.run(CanonicalToOtherHost)
    assert urls(findings) == [f"{SITE}/syndicated", f"{SITE}/www"]
    evidence = {f.url: f for f in findings}[f"{SITE}/syndicated"].evidence
    assert evidence["page_host"] == "site.test"
    assert evidence["canonical_host"] == "partner.test"


def test_parameterised_duplicate(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/team", text="our team of dentists")
    store.page("/team?from=footer", text="our team of dentists")
    store.page("/team?ref=self", canonical="/team?ref=self", text="our team of dentists")
    store.page("/team?ref=ok", canonical="/team", text="our team of dentists")  # clean twin
    store.page("/team?sort=name", text="dentists of our team, sorted")  # different content
    store.page("/team?print=1", meta_robots="noindex", text="our team of dentists")
    store.page("/other", text="our team of dentists")  # different path: duplicates family
    store.page("/list?a=1", text="a list")
    store.page("/list?a=2", text="a list")  # no clean URL crawled: compared with the shortest
    findings = store.run(ParameterisedDuplicate)
    assert urls(findings) == [f"{SITE}/list?a=2", f"{SITE}/team?from=footer",
                              f"{SITE}/team?ref=self"]
    by_url = {f.url: f for f in findings}
    assert by_url[f"{SITE}/team?from=footer"].evidence["duplicate_of"] == f"{SITE}/team"
    assert by_url[f"{SITE}/team?from=footer"].message == \
        f"same content as {SITE}/team and no canonical"
    assert "declares itself canonical" in by_url[f"{SITE}/team?ref=self"].message
    assert by_url[f"{SITE}/list?a=2"].evidence["duplicate_of"] == f"{SITE}/list?a=1"


def test_variant_answering_200_is_not_redirected(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", canonical=f"{SITE}/")
    variant(store, "https://site.test/", "/", "scheme", status=200)
    variant(store, "http://www.site.test/", "/", "host", status=301, location="/")  # clean
    variant(store, "https://www.site.test/", "/", "scheme,host", error="tls")  # not served
    variant(store, "http://site.test/index.html", "/", "index", status=404)  # no copy served
    findings = store.run(HostVariantNotRedirected)
    assert urls(findings) == ["https://site.test/"]
    assert findings[0].message == f"scheme variant answers 200 instead of redirecting to {SITE}/"
    assert findings[0].evidence["variant_of"] == f"{SITE}/"
    assert findings[0].evidence["kind"] == ["scheme"]
    assert store.run(IndirectVariantRedirect) == []


def test_variant_answering_200_with_canonical_to_its_page_is_only_a_notice(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", canonical=f"{SITE}/")
    store.page("/index.html", canonical=f"{SITE}/")   # crawled as a page: its canonical is known
    variant(store, "/index.html", "/", "index", error="see-fetch")
    store.page("/copy.html", canonical=f"{SITE}/copy.html")
    variant(store, "/copy.html", "/", "index", error="see-fetch")
    findings = {f.url: f for f in store.run(HostVariantNotRedirected)}
    assert findings[f"{SITE}/index.html"].severity is Severity.NOTICE
    assert "its canonical points there" in findings[f"{SITE}/index.html"].message
    assert findings[f"{SITE}/copy.html"].severity is Severity.ERROR


def test_a_probed_variant_is_judged_by_the_canonical_its_answer_declares(tmp_path):
    # Variants nothing links to are no pages: their one canonical is in the variants row.
    store = StoreBuilder(tmp_path)
    store.page("/team/", canonical=f"{SITE}/team/")
    store.page("/about/")
    store.add("variants", {"url_id": store.id("/team/index.html"), "of_url_id": store.id("/team/"),
                           "kind": "index", "status": 200,
                           "canonical_url_id": store.id("/team/")})
    variant(store, "/about/index.html", "/about/", "index", status=200)
    findings = {f.url: f for f in store.run(HostVariantNotRedirected)}
    assert findings[f"{SITE}/team/index.html"].severity is Severity.NOTICE
    assert findings[f"{SITE}/about/index.html"].severity is Severity.ERROR


def test_variant_redirect_temporary_two_hops_or_elsewhere(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", canonical=f"{SITE}/")
    store.page("/about", canonical=f"{SITE}/about")
    variant(store, "https://site.test/", "/", "scheme", status=302, location="/")
    # two hops: http://www -> https://www (another variant) -> the page
    variant(store, "http://www.site.test/about", "/about", "host", status=301,
            location="https://www.site.test/about")
    variant(store, "https://www.site.test/about", "/about", "scheme,host", status=301,
            location="/about")
    # two hops through a crawled redirect
    variant(store, "http://site.test/about/", "/about", "slash", status=301,
            location="/about-us")
    store.redirect("/about-us", "/about")
    # lands on the home page instead of /about
    variant(store, "http://site.test/about/index.html", "/about", "index", status=301,
            location="/")
    variant(store, "http://site.test/index.html", "/", "index", status=308, location="/")  # clean
    findings = store.run(IndirectVariantRedirect)
    assert urls(findings) == ["http://site.test/about/", "http://site.test/about/index.html",
                              "http://www.site.test/about", "https://site.test/"]
    by_url = {f.url: f for f in findings}
    assert "temporary redirect (302)" in by_url["https://site.test/"].message
    www = by_url["http://www.site.test/about"].evidence
    assert [h["url"] for h in www["hops"]] == ["http://www.site.test/about",
                                               "https://www.site.test/about"]
    assert www["final_url"] == f"{SITE}/about"
    assert "2 hops" in by_url["http://site.test/about/"].message
    assert f"ends on {SITE}/, not on {SITE}/about" in \
        by_url["http://site.test/about/index.html"].message
    assert store.run(HostVariantNotRedirected) == []


def test_canonical_outside_head_is_reported_and_not_read_as_a_canonical(tmp_path):
    store = StoreBuilder(tmp_path)
    # Only a body canonical: CAN012, not also "missing" (CAN001).
    store.page("/pushed-out", body_canonical=f"{SITE}/pushed-out", text="pushed out")
    # A head canonical to itself plus a body one elsewhere: no conflict (CAN006), since
    # search engines read only the head one; CAN012 still reports the ignored one.
    store.page("/both", canonical=f"{SITE}/both", body_canonical=f"{SITE}/elsewhere",
               text="both places")
    store.page("/elsewhere", canonical=f"{SITE}/elsewhere", text="elsewhere")
    store.page("/fine", canonical=f"{SITE}/fine", text="fine")
    ctx = store.context()
    outside = list(CanonicalOutsideHead().check(ctx))
    assert urls(outside) == [f"{SITE}/both", f"{SITE}/pushed-out"]
    both = next(f for f in outside if f.url == f"{SITE}/both")
    assert both.evidence["ignored"] == [{"raw": f"{SITE}/elsewhere", "resolved": f"{SITE}/elsewhere"}]
    assert [d["raw"] for d in both.evidence["read_by_search_engines"]] == [f"{SITE}/both"]
    assert list(ConflictingCanonicals().check(ctx)) == []
    assert list(CanonicalMissing().check(ctx)) == []
    assert CanonicalOutsideHead.severity is Severity.WARNING


# -- CAN013: internal links with tracking parameters --------------------------------------------

def tagged(target: str, query: str, **attrs):
    return (target, {"raw": f"{target}?{query}", **attrs})


def test_tracking_parameters_on_internal_links_warn_without_a_canonical(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", canonical=f"{SITE}/", links=[
        tagged("/offers", "utm_source=home&utm_medium=banner", anchor="Offers"),
        tagged("/team", "utm_campaign=spring"), "/contact",
        ("/list?page=2", {"raw": "/list?page=2&gclid=abc"})])  # only gclid is a tracking tag
    store.page("/news", canonical=f"{SITE}/news", links=[tagged("/offers", "fbclid=1")])
    store.page("/offers")                              # no canonical: warning
    store.page("/team", canonical=f"{SITE}/team")      # consolidated: notice
    store.page("/contact")                             # linked untagged: clean twin
    store.page("/list?page=2", canonical=f"{SITE}/list?page=2")
    findings = {f.url: f for f in store.run(InternalLinkWithTrackingParameters)}
    assert sorted(findings) == [f"{SITE}/list?page=2", f"{SITE}/offers", f"{SITE}/team"]
    offers = findings[f"{SITE}/offers"]
    assert offers.severity is Severity.WARNING
    assert offers.message == (
        "linked with tracking parameters (fbclid, utm_medium, utm_source) from 2 pages, and it "
        "declares no canonical: search engines may index each tagged URL as a page of its own")
    assert [(link["source"], link["raw"]) for link in offers.evidence["inbound_links"]] == [
        (f"{SITE}/", "/offers?utm_source=home&utm_medium=banner"),
        (f"{SITE}/news", "/offers?fbclid=1")]
    assert offers.evidence["inbound_links"][0]["anchor"] == "Offers"
    assert offers.evidence["canonical"] is None and "rel=\"canonical\"" in offers.evidence["fix"]
    team = findings[f"{SITE}/team"]
    assert team.severity is Severity.NOTICE and team.evidence["canonical"] == f"{SITE}/team"
    assert team.message.endswith("; its canonical consolidates the tagged URLs")
    assert findings[f"{SITE}/list?page=2"].evidence["parameters"] == ["gclid"]


def test_tracking_parameters_outside_clickable_links_or_strip_params_are_left_alone(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[tagged("/logo.png", "utm_source=x", element="img"),
                           ("/search", {"raw": "/search?q=teeth"}),
                           ("http://other.test/", {"raw": "http://other.test/?utm_source=x"})])
    store.page("/search")
    assert store.run(InternalLinkWithTrackingParameters) == []

