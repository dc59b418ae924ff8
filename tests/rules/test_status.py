"""Status rules on hand-built stores: each planted defect and its clean twin."""

from rule_helpers import by_url, run_configured, urls

from readiness.rules.base import Severity
from readiness.rules.status import (
    BrokenInternalPage,
    InternalClientError,
    InternalLinkToRedirect,
    InternalServerError,
    PageNotParsed,
    PageTooComplexToParse,
)
from readiness.store.records import ParseOutcome
from readiness.testing import StoreBuilder


def test_broken_internal_page_counts_every_reference(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/gone", {"anchor": "Our team"}), "/a", "/b", "/moved"])
    store.page("/a", links=["/gone", "/gone"])
    store.page("/b", links=["/gone"])
    store.sitemap_entry("/gone")
    store.redirect("/moved", "/gone")
    store.page("/dup", canonical="/gone")
    store.fetch("/gone", status=404)
    findings = store.run(BrokenInternalPage)
    assert urls(findings) == ["http://site.test/gone"]
    finding = findings[0]
    assert finding.message == ("answers 404 and is still linked from 3 pages, listed in "
                               "1 sitemap, the target of 1 redirect, named canonical by 1 page")
    assert finding.weight == 4 + 1 + 1 + 1  # edges + sitemap + redirect + canonical
    evidence = finding.evidence
    assert evidence["inbound_links"][0] == {"source": "http://site.test/", "anchor": "Our team",
                                            "element": "a", "region": "main", "rel": None}
    assert evidence["inbound_link_count"] == 4 and evidence["linking_pages"] == 3
    assert evidence["sitemaps"] == ["http://site.test/sitemap.xml"]
    assert evidence["redirected_from"] == ["http://site.test/moved"]
    assert evidence["canonicalised_from"] == ["http://site.test/dup"]
    assert evidence["status"] == 404
    # Linked and in a sitemap: no "discovered_by", which would be whichever was read first.
    assert "discovered_by" not in evidence


def test_unlinked_404_is_not_reported_but_a_404_start_url_is(tmp_path):
    store = StoreBuilder(tmp_path)
    store.fetch("/", status=404, discovered_by="start", depth=0)
    store.fetch("/orphan", status=404, discovered_by="variant")
    findings = store.run(BrokenInternalPage)
    assert urls(findings) == ["http://site.test/"]
    assert findings[0].message == "answers 404 and is a start URL"
    assert findings[0].evidence["start_url"] is True
    assert findings[0].weight == 1


def test_gone_410_is_broken_and_ok_redirect_or_unfetched_urls_are_not(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/old", "/fine", "/moved", "/private", "/deep"])
    store.fetch("/old", status=410)
    store.page("/fine")
    store.redirect("/moved", "/fine")
    # Never fetched: blocked by robots.txt, or beyond the crawl limits.
    store.fetch("/private", status=None, error="robots-blocked", fetched=False,
                robots_blocked=True)
    store.fetch("/deep", status=None, error="max-depth", fetched=False)
    assert urls(store.run(BrokenInternalPage)) == ["http://site.test/old"]
    assert store.run(InternalServerError) == []
    assert store.run(InternalClientError) == []


def test_links_from_error_pages_do_not_count(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/missing"])
    store.page("/missing", status=404, links=["/missing/child"])  # a 404 template's links
    store.fetch("/missing/child", status=404)
    assert urls(store.run(BrokenInternalPage)) == ["http://site.test/missing"]


def test_internal_server_error_and_no_response(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/book", "/api", "/slow", "/tls", "/fine", "/nobody-links-here-twin"])
    store.fetch("/book", status=503)
    store.fetch("/api", status=500)
    store.fetch("/slow", status=None, error="timeout")
    store.fetch("/tls", status=None, error="tls")
    store.page("/fine")
    store.fetch("/unlinked", status=500)  # nothing points at it
    store.fetch("/nobody-links-here-twin", status=None, error="excluded", fetched=False)
    findings = by_url(store.run(InternalServerError))
    assert sorted(findings) == ["http://site.test/api", "http://site.test/book",
                                "http://site.test/slow", "http://site.test/tls"]
    assert findings["http://site.test/book"].message == (
        "answers 503 (service unavailable); it is still linked from 1 page")
    assert findings["http://site.test/slow"].message == (
        "it does not answer in time; it is still linked from 1 page")
    assert findings["http://site.test/slow"].evidence["error"] == "timeout"
    assert findings["http://site.test/book"].evidence["inbound_links"][0]["source"] == (
        "http://site.test/")


def test_too_large_is_at_most_a_warning(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/brochure.pdf", "/down"])
    store.fetch("/brochure.pdf", status=None, error="too-large")
    store.fetch("/down", status=502)
    findings = by_url(store.run(InternalServerError))
    assert findings["http://site.test/brochure.pdf"].severity is Severity.WARNING
    assert findings["http://site.test/down"].severity is Severity.ERROR


def test_internal_link_to_redirect_lists_links_hops_and_final_url(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/services", {"anchor": "Services", "region": "nav"}), "/about",
                           "/direct", ("/logo-redirect", {"element": "img"})])
    store.page("/about", links=[("/services", {"anchor": "Our services"})])
    store.redirect("/services", "/services/")
    store.page("/services/", links=["/services"])
    store.page("/direct")  # clean twin: linked straight to a 200
    store.redirect("/logo-redirect", "/direct")  # only an <img>: not a click
    findings = store.run(InternalLinkToRedirect)
    assert urls(findings) == ["http://site.test/services"]
    finding = findings[0]
    assert finding.message == (
        "linked from 3 pages but redirects (301) to http://site.test/services/")
    evidence = finding.evidence
    assert [h["url"] for h in evidence["hops"]] == ["http://site.test/services"]
    assert evidence["final_url"] == "http://site.test/services/"
    assert evidence["fix"] == "update the links to point at http://site.test/services/"
    assert [(link["source"], link["anchor"]) for link in evidence["inbound_links"]] == [
        ("http://site.test/", "Services"), ("http://site.test/about", "Our services"),
        ("http://site.test/services/", "link text")]


def test_internal_link_to_redirect_leaves_loops_and_errors_to_the_redirect_rules(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/loop-a", "/to-404", "/chain"])
    store.redirect("/loop-a", "/loop-b")
    store.redirect("/loop-b", "/loop-a")
    store.redirect("/to-404", "/gone")
    store.fetch("/gone", status=404)
    store.redirect("/chain", "/step")
    store.redirect("/step", "/")
    findings = store.run(InternalLinkToRedirect)
    assert urls(findings) == ["http://site.test/chain"]
    assert findings[0].message == (
        "linked from 1 page but redirects 2 times before reaching http://site.test/")


def test_internal_client_error_other_4xx_only(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/members", "/limited", "/gone", "/fine", "/bad"])
    store.sitemap_entry("/members")
    store.fetch("/members", status=403)
    store.fetch("/limited", status=429)
    store.fetch("/gone", status=404)  # STS001, not this rule
    store.fetch("/bad", status=400)
    store.page("/fine")
    store.fetch("/unlinked", status=401)  # nothing points at it
    findings = by_url(store.run(InternalClientError))
    assert sorted(findings) == ["http://site.test/bad", "http://site.test/limited",
                                "http://site.test/members"]
    members = findings["http://site.test/members"]
    assert members.message == ("answers 403 (forbidden) and is still linked from 1 page, "
                               "listed in 1 sitemap")
    assert members.weight == 2
    assert "rate-limited" in findings["http://site.test/limited"].evidence["fix"]


def test_too_large_response_stays_a_warning_whatever_the_configured_severity(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/brochure.pdf", "/down"])
    store.fetch("/brochure.pdf", status=None, error="too-large")
    store.fetch("/down", status=502)
    configured_error = by_url(run_configured(store, InternalServerError, Severity.ERROR))
    assert configured_error["http://site.test/brochure.pdf"].severity is Severity.WARNING
    assert configured_error["http://site.test/down"].severity is Severity.ERROR
    configured_notice = run_configured(store, InternalServerError, Severity.NOTICE)
    assert {f.severity for f in configured_notice} == {Severity.NOTICE}


def test_a_404_reached_only_through_redirects_is_reported_once_where_it_is_linked(tmp_path):
    from readiness.rules.redirects import RedirectToError

    store = StoreBuilder(tmp_path)
    store.page("/", links=["/old-team", "/old-offer", "/offer"])
    store.redirect("/old-team", "/team")            # linked redirect -> 404 nothing else links
    store.fetch("/team", status=404)
    store.redirect("/old-offer", "/offer")          # linked redirect -> 404 also linked itself
    store.fetch("/offer", status=404)
    store.redirect("/old-shop", "/shop")            # a redirect nothing links to -> 503
    store.fetch("/shop", status=503)
    broken = store.run(BrokenInternalPage)
    assert urls(broken) == ["http://site.test/offer"]
    assert broken[0].evidence["redirected_from"] == ["http://site.test/old-offer"]
    # /shop: only a redirect nobody links to points at it, so nobody is sent there.
    assert store.run(InternalServerError) == []
    redirect_errors = by_url(store.run(RedirectToError))
    assert sorted(redirect_errors) == ["http://site.test/old-offer", "http://site.test/old-team"]
    team = redirect_errors["http://site.test/old-team"].evidence
    assert (team["final_url"], team["final_status"]) == ("http://site.test/team", 404)
    assert team["inbound_links"][0]["source"] == "http://site.test/"


def test_page_not_parsed_names_the_pages_the_extractor_failed_on(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/gallery", "/complex", "/fine"])
    store.fetch("/gallery", content_type="text/html", parse=ParseOutcome.FAILED,
                parse_detail="KeyError: 'href'")
    store.fetch("/complex", content_type="text/html", parse=ParseOutcome.TOO_COMPLEX,
                parse_detail="an element with 100,000 attributes")
    store.page("/fine")  # parsed: the clean twin
    [finding] = store.run(PageNotParsed)
    assert finding.url == "http://site.test/gallery"
    assert finding.severity == Severity.ERROR
    assert finding.message == "not checked: readiness failed reading it (KeyError: 'href')"
    assert finding.evidence["reason"] == "KeyError: 'href'"
    assert finding.evidence["linking_pages"] == 1
    # Each outcome has its own rule: the too-complex page is STS005's alone.
    assert urls(store.run(PageTooComplexToParse)) == ["http://site.test/complex"]
