"""What every rule shares (readiness/rules/base.py, readiness/rules/context.py)."""

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
