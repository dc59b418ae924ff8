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


def test_inbound_total_counts_every_reference_beyond_the_evidence_limit(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/target")
    for n in range(30):
        store.page(f"/copy-{n}", canonical="/target")
        store.redirect(f"/old-{n}", "/target")
    ctx = store.context()
    try:
        inbound = ctx.inbound(ctx.ids[store.url("/target")])
    finally:
        ctx.store.close()
    assert inbound.total == 60
    assert len(inbound.evidence()["canonicalised_from"]) == 25
