"""Outbound link rules on hand-built stores: each planted defect and its clean twin."""

import pytest
from rule_helpers import by_url, run_configured, urls

from readiness.rules.links import (
    BrokenOutboundLink,
    InsecureOutboundLink,
    OutboundLinkServerError,
    OutboundLinkTimeout,
    OutboundLinkToRedirect,
    UnverifiableOutboundLink,
)
from readiness.rules.base import Severity
from readiness.testing import StoreBuilder


def test_broken_outbound_link_lists_every_linking_page_and_the_probe(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("http://ext.test/gone", {"anchor": "Guide"}), "/about"])
    store.page("/about", links=["http://ext.test/gone", "http://ext.test/fine"])
    store.probe("http://ext.test/gone", "broken", status=404)
    store.probe("http://ext.test/fine", "ok", status=200)
    findings = store.run(BrokenOutboundLink)
    assert urls(findings) == ["http://ext.test/gone"]
    finding = findings[0]
    assert finding.message == "answers 404; linked from 2 pages"
    assert finding.weight == 2
    evidence = finding.evidence
    assert [link["source"] for link in evidence["inbound_links"]] == [
        "http://site.test/", "http://site.test/about"]
    assert evidence["inbound_links"][0]["anchor"] == "Guide"
    assert (evidence["verdict"], evidence["status"], evidence["attempts"]) == ("broken", 404, 1)
    assert evidence["hops"] == [] and evidence["final_url"] == "http://ext.test/gone"


def test_broken_outbound_link_names_what_happened(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["http://nohost.test/", "http://closed.test/", "http://ext.test/old",
                           "http://ext.test/moved"])
    store.probe("http://nohost.test/", "broken", error="dns")
    store.probe("http://closed.test/", "broken", error="refused")
    store.probe("http://ext.test/old", "broken", status=410)
    store.probe("http://ext.test/moved", "broken", status=404, final_url="http://ext.test/new",
                hops=[{"url": "http://ext.test/moved", "status": 301,
                       "location": "http://ext.test/new"}])
    messages = {f.url: f.message for f in store.run(BrokenOutboundLink)}
    assert messages == {
        "http://nohost.test/": "host does not resolve; linked from 1 page",
        "http://closed.test/": "connection refused; linked from 1 page",
        "http://ext.test/old": "answers 410 (gone); linked from 1 page",
        "http://ext.test/moved": "redirects to http://ext.test/new, which answers 404; "
                                 "linked from 1 page",
    }


def test_only_broken_verdicts_are_broken(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["http://ext.test/ok", "http://ext.test/moved", "http://ext.test/private",
                           "http://ext.test/down", "http://ext.test/slow"])
    store.probe("http://ext.test/ok", "ok", status=200)
    store.probe("http://ext.test/moved", "redirected", status=200,  # 301 -> 200: not broken
                final_url="https://ext.test/moved",
                hops=[{"url": "http://ext.test/moved", "status": 301,
                       "location": "https://ext.test/moved"}])
    store.probe("http://ext.test/private", "unverifiable", status=403)  # 403: not broken
    store.probe("http://ext.test/down", "server-error", status=503)
    store.probe("http://ext.test/slow", "timeout", error="timeout")
    assert store.run(BrokenOutboundLink) == []


def test_broken_outbound_reached_only_by_redirect_is_not_a_link_finding(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/out"])
    store.redirect("/out", "http://ext.test/missing")
    store.probe("http://ext.test/missing", "broken", status=404)
    assert store.run(BrokenOutboundLink) == []  # RDR003 reports the redirect


def test_unverifiable_outbound_link_asks_for_a_person(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["https://social.test/in/dr", "https://walled.test/",
                           "https://ext.test/ok", "https://ext.test/gone"])
    store.probe("https://social.test/in/dr", "unverifiable", status=999)
    store.probe("https://walled.test/", "unverifiable", error="tls")
    store.probe("https://ext.test/ok", "ok", status=200)
    store.probe("https://ext.test/gone", "broken", status=404)
    findings = by_url(store.run(UnverifiableOutboundLink))
    assert sorted(findings) == ["https://social.test/in/dr", "https://walled.test/"]
    assert findings["https://social.test/in/dr"].message == (
        "answers 999 to automated checks; a person should check it in a browser; "
        "linked from 1 page")
    assert "TLS" in findings["https://walled.test/"].message
    assert findings["https://walled.test/"].evidence["error"] == "tls"


def test_outbound_server_error_and_timeout(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["http://ext.test/down", "http://ext.test/slow", "http://ext.test/ok"])
    store.probe("http://ext.test/down", "server-error", status=502)
    store.probe("http://ext.test/slow", "timeout", error="timeout")
    store.probe("http://ext.test/ok", "ok", status=200)
    errors = store.run(OutboundLinkServerError)
    assert urls(errors) == ["http://ext.test/down"]
    assert errors[0].message == "answers 502 after 1 attempt; linked from 1 page"
    assert errors[0].evidence["status"] == 502
    timeouts = store.run(OutboundLinkTimeout)
    assert urls(timeouts) == ["http://ext.test/slow"]
    assert timeouts[0].evidence["error"] == "timeout"
    assert timeouts[0].evidence["inbound_links"][0]["source"] == "http://site.test/"


def test_outbound_link_to_redirect_gives_hops_and_final_url(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["http://ext.test/old", "http://ext.test/page", "http://ext.test/ok",
                           "https://doi.org/10.1000/182"])
    store.probe("http://ext.test/old", "redirected", status=200,
                final_url="https://www.ext.test/new/",
                hops=[{"url": "http://ext.test/old", "status": 301,
                       "location": "https://ext.test/old"},
                      {"url": "https://ext.test/old", "status": 301,
                       "location": "https://www.ext.test/new/"}])
    store.probe("http://ext.test/page", "redirected", status=200,
                final_url="https://ext.test/page",
                hops=[{"url": "http://ext.test/page", "status": 301,
                       "location": "https://ext.test/page"}])
    store.probe("http://ext.test/ok", "ok", status=200)
    store.probe("https://doi.org/10.1000/182", "redirected", status=200,  # allowed by default
                final_url="https://publisher.test/article",
                hops=[{"url": "https://doi.org/10.1000/182", "status": 302,
                       "location": "https://publisher.test/article"}])
    findings = by_url(store.run(OutboundLinkToRedirect))
    assert sorted(findings) == ["http://ext.test/old", "http://ext.test/page"]
    chain = findings["http://ext.test/old"]
    assert chain.message == ("redirects to https://www.ext.test/new/ (2 hops); linked from 1 page;"
                             " link to the final URL")
    assert len(chain.evidence["hops"]) == 2
    assert chain.evidence["final_url"] == "https://www.ext.test/new/"
    assert chain.evidence["fix"] == "link straight to https://www.ext.test/new/"
    upgrade = findings["http://ext.test/page"]
    assert "an upgrade to https" in upgrade.message
    assert upgrade.evidence["https_upgrade"] is True
    assert "https://doi.org/10.1000/182" in urls(store.run(OutboundLinkToRedirect, allow=[]))


def test_insecure_outbound_link_from_https_pages_only(tmp_path):
    store = StoreBuilder(tmp_path, start_url="https://site.test/")
    store.page("/", links=["http://ext.test/article", ("http://maps.test/embed",
                                                       {"element": "iframe"}),
                           "https://ext.test/secure", "/contact",
                           ("http://fonts.test/", {"element": "link", "rel": "preconnect"})])
    store.page("/contact", links=["http://ext.test/article"])
    store.page("http://site.test/legacy", links=["http://ext.test/legacy-only"])  # http page
    store.probe("http://ext.test/article", "redirected", status=200,
                final_url="https://ext.test/article",
                hops=[{"url": "http://ext.test/article", "status": 301,
                       "location": "https://ext.test/article"}])
    findings = by_url(store.run(InsecureOutboundLink))
    assert sorted(findings) == ["http://ext.test/article", "http://maps.test/embed"]
    article = findings["http://ext.test/article"]
    assert article.message == "linked over plain http from 2 https pages"
    assert article.evidence["linking_pages"] == 2
    assert article.evidence["fix"] == ("use https://ext.test/article: the http address "
                                       "redirects there")
    embed = findings["http://maps.test/embed"]
    assert embed.message == "loaded over plain http by 1 https page (mixed content: iframe)"
    assert embed.evidence["elements"] == ["iframe"]
    assert embed.evidence["fix"].startswith("use https://maps.test/embed")


def test_insecure_outbound_link_judges_pages_by_their_production_address(tmp_path):
    store = StoreBuilder(tmp_path, start_url="http://127.0.0.1:8080/")
    store.writer.set_meta("config", {"crawl": {
        "host_map": {"https://clinic.example": "http://127.0.0.1:8080"}}})
    store.page("/", links=["http://ext.test/article"])
    assert urls(store.run(InsecureOutboundLink)) == ["http://ext.test/article"]


def test_insecure_outbound_link_is_quiet_on_an_http_site(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["http://ext.test/article"])
    assert store.run(InsecureOutboundLink) == []


def test_outbound_redirect_allow_path_glob_matches_urls_with_a_query(tmp_path):
    store = StoreBuilder(tmp_path, start_url="https://clinic.test/")
    store.page("/", links=["https://site.test/login?x=1"])
    store.probe("https://site.test/login?x=1", "redirected", status=200,
                final_url="https://site.test/account",
                hops=[{"url": "https://site.test/login?x=1", "status": 302,
                       "location": "https://site.test/account"}])
    assert urls(store.run(OutboundLinkToRedirect)) == ["https://site.test/login?x=1"]
    assert store.run(OutboundLinkToRedirect, allow=["/login*"]) == []


# -- an offline runner: (nearly) every outside host unreachable --------------------------------

def offline_store(tmp_path, refused_hosts: int, answering: dict[str, tuple[str, int]] = {}):
    """A page linking to ``refused_hosts`` hosts that refused, and to ``answering`` URLs
    ({url: (verdict, status)})."""
    store = StoreBuilder(tmp_path)
    refused = [f"http://host{n}.test/page" for n in range(refused_hosts)]
    store.page("/", links=refused + list(answering))
    for url in refused:
        store.probe(url, "broken", error="refused")
    for url, (verdict, status) in answering.items():
        store.probe(url, verdict, status=status)
    return store, refused


def test_offline_runner_grades_unreachable_links_unverifiable(tmp_path):
    store, refused = offline_store(tmp_path, 3)
    assert store.run(BrokenOutboundLink) == []
    store, refused = offline_store(tmp_path / "again", 3)
    findings = by_url(store.run(UnverifiableOutboundLink))
    assert sorted(findings) == refused
    finding = findings[refused[0]]
    assert finding.message == ("not verified: connection refused, like (nearly) every outside "
                               "host from this machine; linked from 1 page")
    assert finding.evidence["inconclusive"] and finding.evidence["probed_verdict"] == "broken"


def test_offline_grade_stays_a_notice_whatever_the_configured_severity(tmp_path):
    store, refused = offline_store(tmp_path, 3)
    findings = run_configured(store, UnverifiableOutboundLink, Severity.ERROR)
    assert {f.severity for f in findings} == {Severity.NOTICE}


def test_a_host_answering_among_many_unreachable_ones_keeps_its_verdict(tmp_path):
    # 9 of 10 hosts unreachable (90%): offline; the one that answered 404 is still broken,
    # and so is a refused connection to that host, which answered otherwise.
    store, refused = offline_store(tmp_path, 9, {"http://up.test/gone": ("broken", 404)})
    store.page("/more", links=["http://up.test/closed"])
    store.probe("http://up.test/closed", "broken", error="refused")
    assert urls(store.run(BrokenOutboundLink)) == ["http://up.test/closed", "http://up.test/gone"]
    ctx = store.context()
    assert (ctx.outbound.status, ctx.outbound.hosts_tried, ctx.outbound.hosts_unreachable) == (
        "inconclusive", 10, 9)
    ctx.store.close()


@pytest.mark.parametrize("refused_hosts, answering", [
    (2, {}),                                              # too few hosts to tell
    (8, {"http://up.test/": ("ok", 200), "http://up2.test/": ("ok", 200)}),  # 80% < 90%
])
def test_failures_stand_when_the_runner_is_not_offline(tmp_path, refused_hosts, answering):
    store, refused = offline_store(tmp_path, refused_hosts, answering)
    assert urls(store.run(BrokenOutboundLink)) == sorted(refused)
    assert store.context().outbound.status == "checked"


def test_cached_answers_say_nothing_about_todays_network(tmp_path):
    # Three hosts answered from the cross-run cache; only the fourth was tried, and refused:
    # one host tried is too few to call the runner offline.
    store = StoreBuilder(tmp_path)
    cached = [f"http://cached{n}.test/" for n in range(3)]
    store.page("/", links=cached + ["http://dead.test/"])
    for url in cached:
        store.add("probes", {"url_id": store.id(url), "verdict": "ok", "status": 200,
                             "final_url": url, "hops": [], "attempts": 0, "cached": 1,
                             "checked_at": 0})
    store.probe("http://dead.test/", "broken", error="dns")
    assert urls(store.run(BrokenOutboundLink)) == ["http://dead.test/"]
    outbound = store.context().outbound
    assert (outbound.hosts_tried, outbound.hosts_unreachable) == (1, 1)


def test_a_redirect_to_an_unreachable_host_is_not_an_error_offline(tmp_path):
    from readiness.rules.redirects import RedirectToError

    store, refused = offline_store(tmp_path, 3)
    store.page("/links", links=["/out"])
    store.redirect("/out", refused[0])
    assert store.run(RedirectToError) == []


# -- LNK007: links whose href is no URL -------------------------------------------------------

def null_link(store, source: str, raw: str, element: str = "a") -> None:
    """An edge as the crawl stores an href the normaliser could not turn into a URL."""
    store.add("links", {"source_id": store.id(source), "target_id": None, "raw": raw,
                        "anchor": "x", "rel": None, "element": element, "region": "main"})


def test_malformed_links_are_reported_once_per_href_on_their_first_page(tmp_path):
    from readiness.rules.links import MalformedLink

    store = StoreBuilder(tmp_path)
    store.page("/", links=["mailto:office@site.test", "tel:+15550100", "/about"])
    store.page("/about")
    store.page("/team")
    for page in ("/team", "/about"):
        null_link(store, page, "http://localhost:port/")
    null_link(store, "/team", "http://exa mple.com")
    null_link(store, "/team", "https://", element="img")
    findings = {f.evidence["raw"]: f for f in store.run(MalformedLink)}
    assert sorted(findings) == ["http://exa mple.com", "http://localhost:port/", "https://"]
    placeholder = findings["http://localhost:port/"]
    assert placeholder.url == "http://site.test/about"  # the first page by URL
    assert placeholder.evidence["pages"] == ["http://site.test/about", "http://site.test/team"]
    assert placeholder.message == ("links to 'http://localhost:port/', which is not a URL: its "
                                   "port is not a number from 0 to 65535 (and on 1 other page)")
    assert findings["http://exa mple.com"].message == (
        "links to 'http://exa mple.com', which is not a URL: its host name contains a space")
    assert findings["https://"].evidence["reason"] == "it has no host name"
    assert findings["https://"].evidence["inbound_links"][0]["element"] == "img"
    assert {f.url for f in findings.values()} == {"http://site.test/about", "http://site.test/team"}
