"""What every rule shares (readiness/rules/base.py, readiness/rules/context.py)."""

import pytest

from readiness.rules.base import Rule, Severity
from readiness.testing import StoreBuilder


class GradedRule(Rule):
    code = "TST001"
    name = "graded"
    family = "test"
    severity = Severity.WARNING


def test_configured_severity_beats_a_case_grade():
    finding = GradedRule(severity=Severity.NOTICE).finding(
        "http://site.test/", "bad", severity=Severity.ERROR)
    assert finding.severity is Severity.NOTICE


def test_case_grade_applies_without_a_configured_severity():
    assert GradedRule().finding("http://site.test/", "bad",
                                severity=Severity.ERROR).severity is Severity.ERROR
    assert GradedRule().finding("http://site.test/", "bad").severity is Severity.WARNING


def test_cap_holds_whatever_the_configuration():
    for rule in (GradedRule(), GradedRule(severity=Severity.ERROR)):
        finding = rule.finding("http://site.test/", "bad", severity=Severity.ERROR,
                               at_most=Severity.WARNING)
        assert finding.severity is Severity.WARNING
    capped = GradedRule(severity=Severity.NOTICE).finding(
        "http://site.test/", "bad", at_most=Severity.WARNING)
    assert capped.severity is Severity.NOTICE


def test_inbound_evidence_lists_every_reference_by_url(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/target")
    # Created (and so numbered) in an order unlike the URLs', as a crawl's arrival order is.
    numbers = [7, 29, 0, 13, 21, 3, 18, 11, 25, 1, 16, 9, 27, 5, 20, 14, 2, 23, 8, 28, 12, 4,
               19, 26, 10, 6, 22, 15, 24, 17]
    for n in numbers:
        store.page(f"/copy-{n:02}", canonical="/target", links=["/target"])
        store.redirect(f"/old-{n:02}", "/target")
        store.sitemap_entry("/target", sitemap=f"/sitemap-{n:02}.xml")
    ctx = store.context()
    try:
        inbound = ctx.inbound(ctx.ids[store.url("/target")])
    finally:
        ctx.store.close()
    assert inbound.total == 120
    evidence = inbound.evidence()
    ordered = [f"{n:02}" for n in sorted(numbers)]
    assert evidence["canonicalised_from"] == [store.url(f"/copy-{n}") for n in ordered]
    assert evidence["redirected_from"] == [store.url(f"/old-{n}") for n in ordered]
    assert evidence["sitemaps"] == [store.url(f"/sitemap-{n}.xml") for n in ordered]
    assert [link["source"] for link in evidence["inbound_links"]] == [
        store.url(f"/copy-{n}") for n in ordered]
    assert evidence["inbound_link_count"] == evidence["linking_pages"] == 30


def test_header_reads_one_header_of_the_urls_that_sent_it(tmp_path):
    store = StoreBuilder(tmp_path)
    store.fetch("/gzip", headers={"content-encoding": "gzip", "x-robots-tag": "noindex"})
    store.fetch("/plain", headers={"server": "nginx"})
    store.fetch("/none")
    ctx = store.context()
    try:
        ids = ctx.ids
        with pytest.raises(AttributeError):  # fetches leave the header dicts out
            ctx.fetches[ids[store.url("/gzip")]].headers
        assert ctx.header(ids[store.url("/gzip")], "content-encoding") == "gzip"
        assert ctx.header(ids[store.url("/gzip")], "x-robots-tag") == "noindex"
        assert ctx.header(ids[store.url("/plain")], "content-encoding") is None
        assert ctx.header(ids[store.url("/plain")], "server") == "nginx"
        assert ctx.header(ids[store.url("/none")], "server") is None
    finally:
        ctx.store.close()


def test_a_released_fact_is_read_again_and_only_cached_facts_can_be_released(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/about"])
    store.page("/about")
    ctx = store.context()
    try:
        first = ctx.url_rank
        assert ctx.url_rank is first
        ctx.release("url_rank")
        assert ctx.url_rank is not first and ctx.url_rank == first
        with pytest.raises(ValueError):
            ctx.release("header")
    finally:
        ctx.store.close()
