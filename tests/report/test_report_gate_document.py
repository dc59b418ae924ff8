"""findings.json additions: the crawl profile behind the charts, and the gate decision."""

import pytest
from planted import build_site, document, finding

from readiness.report.findings import apply_gate, crawl_profile
from readiness.rules.context import AnalysisContext
from readiness.store import open_store


def test_crawl_profile_counts_statuses_depths_and_timings(tmp_path):
    store = build_site(tmp_path / "run", chain=True, to_404=True, extra_pages=3)
    with open_store(store) as reader:
        click_depths = AnalysisContext(reader, None).click_depth_counts()
    crawl = crawl_profile(store, click_depths)
    # home + 3 pages + /specials answer 200; 3 redirects; one 404
    assert crawl["status_codes"] == {"200": 5, "301": 3, "404": 1}
    assert crawl["urls_fetched"] == 9
    assert crawl["depth"]["0"] == 1
    # Click depths (from the links), every fetched site URL counted once.
    assert sum(crawl["depth"].values()) + crawl["depth_unreached"] == 9
    timing = crawl["response_ms"]
    assert timing["count"] == 5  # only the pages were given a time
    assert sum(b["count"] for b in timing["histogram"]) == 5
    assert timing["histogram"][-1]["to"] is None
    assert timing["max"] == 1040.0
    assert timing["p50"] == 300.0


def test_gate_fails_on_open_findings_at_or_above_the_threshold():
    doc = document([finding("RDR001", severity="warning"),
                    finding("RDR002", "http://site.test/b", severity="error", accepted="known")])
    gate = apply_gate(doc, "error")
    assert (gate["status"], gate["exit_code"], gate["failing"]) == ("pass", 0, [])
    gate = apply_gate(doc, "warning")
    assert gate["status"] == "fail" and gate["exit_code"] == 1
    assert gate["failing"] == [doc["findings"][0]["id"]]  # the accepted error never fails
    assert "1 finding at warning or above" in gate["reason"]


def test_gate_with_a_baseline_fails_only_on_new_findings():
    old, new = finding("RDR002", "http://site.test/old"), finding("RDR002", "http://site.test/new")
    doc = document([old, new])
    doc["baseline"] = {"new": [new["id"]], "unchanged": [old["id"]], "fixed": []}
    gate = apply_gate(doc, "error", baseline="base.json")
    assert gate["failing"] == [new["id"]]
    assert gate["baseline"] == "base.json"
    assert gate["reason"] == "1 new finding at error or above"
    doc["baseline"]["new"] = []
    assert apply_gate(doc, "error", baseline="base.json")["status"] == "pass"


@pytest.mark.parametrize("pages, status", [(4, "inconclusive"), (5, "fail")])
def test_min_pages_makes_a_thin_crawl_inconclusive(pages, status):
    doc = document([finding()], pages=pages)
    gate = apply_gate(doc, "error", min_pages=5)
    assert gate["status"] == status
    assert gate["exit_code"] == {"inconclusive": 3, "fail": 1}[status]


def test_links_an_offline_runner_could_not_verify_never_fail_the_gate():
    offline = finding("LNK002", "http://ext.test/", severity="notice",
                      evidence={"inconclusive": True, "probed_verdict": "broken"})
    bot_wall = finding("LNK002", "http://walled.test/", severity="notice")
    doc = document([offline, bot_wall])
    doc["summary"]["outbound"] = {"status": "inconclusive", "headline": "outbound links "
                                  "inconclusive (no internet access), not counted"}
    gate = apply_gate(doc, "notice")
    assert gate["failing"] == [bot_wall["id"]]
    assert gate["reason"] == ("1 finding at notice; outbound links inconclusive (no internet "
                              "access), not counted")


def test_the_depth_chart_counts_clicks_and_no_sitemap_only_entry_as_depth_0(tmp_path):
    from readiness.testing import StoreBuilder

    site = StoreBuilder(tmp_path)
    site.page("/", links=["/linked"], fetch={"depth": 0, "discovered_by": "start"})
    site.page("/linked", links=["/deeper"])
    site.page("/deeper", fetch={"depth": 0, "discovered_by": "sitemap"})  # also in a sitemap
    site.page("/sitemap-only", fetch={"depth": 0, "discovered_by": "sitemap"})
    site.close()
    with open_store(site.path) as reader:
        click_depths = AnalysisContext(reader, None).click_depth_counts()
    crawl = crawl_profile(site.path, click_depths)
    assert crawl["depth"] == {"0": 1, "1": 1, "2": 1}  # /, /linked, /deeper by its clicks
    assert crawl["depth_unreached"] == 1  # /sitemap-only: no click reaches it
