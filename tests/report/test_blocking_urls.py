"""One URL, one count: the verdict and the ranking count blocking URLs, not findings."""

from __future__ import annotations

import io

from readiness.report.findings import findings_document
from readiness.rules.base import LinkImpact, Severity
from readiness.report.html import render_html
from readiness.report.machine import summary_markdown
from readiness.report.terminal import MAX_BLOCKERS_SHOWN, RANKED, print_summary


def test_a_url_broken_in_two_ways_blocks_once_with_both_findings(analysis, u):
    document = findings_document(analysis)
    summary = document["summary"]
    by_id = {f["id"]: f for f in document["findings"]}
    errors = [f for f in document["findings"] if f["severity"] == "error" and not f["accepted"]]
    entries = {entry["url"]: entry for entry in summary["blocking_urls"]}
    # Every open error is listed under its URL, and each URL once.
    assert len(entries) == len(summary["blocking_urls"]) == len({f["url"] for f in errors})
    assert sorted(i for e in entries.values() for i in e["findings"]) == sorted(
        f["id"] for f in errors)
    # /sitemap-only/missing answers 404 and is listed in the sitemap: a broken page and a
    # sitemap entry that is not indexable, one URL to fix.
    missing = entries[u("/sitemap-only/missing")]
    assert sorted(missing["rules"]) == ["IDX004", "STS001"]
    assert sorted(by_id[i]["rule"] for i in missing["findings"]) == ["IDX004", "STS001"]
    assert missing["weight"] == max(by_id[i]["weight"] for i in missing["findings"])
    # A clean page blocks nothing; a URL with a single error counts once too.
    assert u("/clean/about") not in entries
    assert [by_id[i]["rule"] for i in entries[u("/redirects/to-404")]["findings"]] == ["RDR003"]
    # Ranked by URL: the most harmful impact first, then most referenced, then by URL.
    ranking = [(-LinkImpact(e["impact"]).rank, -Severity(e["severity"]).rank, -e["weight"],
                e["url"]) for e in summary["blocking_urls"]]
    assert ranking == sorted(ranking)
    assert len(summary["blocking"]) > len(entries)  # findings still listed one by one

    out = io.StringIO()
    print_summary(document, out)
    text = out.getvalue()
    urls, findings = len(entries), len(errors)
    assert f"{urls} URLs block link building ({findings} error findings)" in text
    shown = [line.split()[0] for line in text.splitlines() if line.startswith("  http")]
    assert shown == [e["url"] for e in summary["blocking_urls"][:MAX_BLOCKERS_SHOWN]]
    assert f"… and {urls - MAX_BLOCKERS_SHOWN} more URLs in findings.json" in text
    assert f"{urls} URLs** block link building ({findings} error findings)" in \
        summary_markdown({**document, "gate": _gate()})
    assert f"{urls} URLs block link building</span> ({findings} error findings)" in \
        render_html({**document, "gate": _gate()})


def _gate() -> dict:
    return {"fail_on": "error", "min_pages": None, "baseline": None, "status": "fail",
            "exit_code": 1, "reason": "errors", "failing": []}


GONE = "http://site.test/gone"


def broken_two_ways() -> dict:
    """A document: /gone is a broken page and a bad sitemap entry, /loop loops, /chain warns."""
    from planted import document, finding

    return document([
        finding("STS001", GONE, weight=4, message="answers 404"),
        finding("IDX004", GONE, weight=1, message="listed in the sitemap but answers 404"),
        finding("RDR002", "http://site.test/loop", weight=9, message="loops"),
        finding("RDR001", "http://site.test/chain", severity="warning", weight=50),
    ])


def test_terminal_lists_each_blocking_url_once_with_every_finding_under_it():
    gone, doc = GONE, broken_two_ways()
    assert [(e["url"], e["weight"], e["rules"]) for e in doc["summary"]["blocking_urls"]] == [
        ("http://site.test/loop", 9, ["RDR002"]), (gone, 4, ["STS001", "IDX004"])]
    out = io.StringIO()
    print_summary(doc, out)
    assert out.getvalue().split("verdict: ")[1] == (
        "NOT READY for link building — 2 URLs block link building (3 error findings):\n"
        f"{RANKED}\n"
        "  http://site.test/loop (dead-end, 9 internal references)\n"
        "      RDR002 rule-rdr002: loops\n"
        "  http://site.test/gone (dead-end, 4 internal references)\n"
        "      STS001 rule-sts001: answers 404\n"
        "      IDX004 rule-idx004: listed in the sitemap but answers 404\n")


def test_html_ranks_blocking_urls_once_each_with_every_finding():
    import re

    gone, doc = GONE, broken_two_ways()
    html = render_html({**doc, "gate": _gate()})
    blockers = html[html.index('id="blockers"'):html.index("</section>", html.index(
        'id="blockers"'))]
    assert re.findall(r'data-blocking-url="([^"]+)"', blockers) == [
        "http://site.test/loop", gone]
    # Each row says its impact: the most harmful of its findings'.
    assert re.findall(r'data-blocking-url="[^"]+" data-impact="([^"]+)"', blockers) == [
        "dead-end", "dead-end"]
    row = blockers[blockers.index(f'data-blocking-url="{gone}"'):]
    assert row.index("STS001") < row.index("IDX004")
    assert [f["id"] for f in doc["findings"][:2]] == re.findall(
        r'data-reveal="([^"]+)"', row)
