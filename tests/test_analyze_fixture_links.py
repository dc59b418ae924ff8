"""The fixture site's link plants (PLANTED.md, "HTML oddities"): internal links with tracking
parameters (CAN013) and hrefs that are no URL (LNK007), each by URL with its clean twins.
Reads the session crawl (``site_crawl``); starts no crawl of its own."""

from __future__ import annotations

from readiness.rules.base import Severity

MALFORMED = ["http://exa mple.com", "http://localhost:port/", "https://"]
# Links on /html/malformed-links that are not web URLs or are fragments: links, not malformed.
OTHER_KINDS = ["mailto:office@fixture-clinic.example", "javascript:void(0)",
               "data:text/plain,hello", "#top"]


def by_rule(analysis, code):
    return {f.url: f for f in analysis.findings if f.rule == code}


def test_tracking_parameters_on_internal_links_by_target(analysis, u):
    found = by_rule(analysis, "CAN013")
    # The planted target without a canonical warns; the two with one are notices; nothing else
    # on the site links to itself with tracking parameters.
    assert {url: f.severity for url, f in found.items()} == {
        u("/html/tracked-no-canonical"): Severity.WARNING,
        u("/html/tracked-with-canonical"): Severity.NOTICE,
        u("/html/self-links"): Severity.NOTICE,
    }
    warning = found[u("/html/tracked-no-canonical")]
    assert warning.evidence["parameters"] == ["utm_medium", "utm_source"]
    assert [(link["source"], link["raw"]) for link in warning.evidence["inbound_links"]] == [
        (u("/html/tracking-links"),
         "/html/tracked-no-canonical?utm_source=newsletter&utm_medium=email")]
    assert warning.evidence["canonical"] is None
    notice = found[u("/html/tracked-with-canonical")]
    assert notice.evidence["canonical"] == u("/html/tracked-with-canonical")
    assert notice.evidence["parameters"] == ["utm_campaign"]
    self_link = found[u("/html/self-links")]
    assert [link["source"] for link in self_link.evidence["inbound_links"]] == [
        u("/html/self-links")]
    # Clean twin: /html/tracking-links also links /clean/about, untagged.
    assert u("/clean/about") not in found


def test_tracking_links_are_still_folded_for_the_crawl(site_crawl, u):
    with site_crawl.store() as store:
        tagged = [r[0] for r in store.query("SELECT url FROM urls WHERE url LIKE '%utm_%'")]
    assert tagged == []


def test_malformed_links_reported_on_their_page_and_no_other(analysis, u):
    found = [f for f in analysis.findings if f.rule == "LNK007"]
    assert sorted(f.evidence["raw"] for f in found) == MALFORMED
    assert {f.url for f in found} == {u("/html/malformed-links")}
    assert all(f.severity is Severity.WARNING for f in found)
    reasons = {f.evidence["raw"]: f.evidence["reason"] for f in found}
    assert reasons == {"http://exa mple.com": "its host name contains a space",
                       "http://localhost:port/": "its port is not a number from 0 to 65535",
                       "https://": "it has no host name"}


def test_malformed_hrefs_are_stored_without_a_target_and_never_requested(site_crawl, u):
    with site_crawl.store() as store:
        edges = {row["raw"]: row["target"] for row in store.links_from(u("/html/malformed-links"))}
        strays = [url for (url,) in store.query("SELECT url FROM urls")
                  if "localhost" in url or "exa mple" in url or "exa%20mple" in url]
    assert {raw: edges[raw] for raw in MALFORMED} == dict.fromkeys(MALFORMED)
    # The clean twins beside them resolve (a fragment to the page itself).
    assert all(edges[raw] is not None for raw in OTHER_KINDS)
    assert edges["#top"] == u("/html/malformed-links")
    assert strays == []
