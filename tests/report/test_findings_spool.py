"""The findings spool: findings.json streamed from disk is the document the rules make, and
the analysis keeps no finding's evidence in memory."""

from __future__ import annotations

import gc
from collections import Counter
import json

import pytest

from readiness.report.compare import add_run_comparisons
from readiness.report.times import iso_time, unix_time
from readiness.report.findings import (findings_document, read_findings, read_findings_header,
                                       write_document)
from readiness.rules.base import Finding
from readiness.rules.context import AnalysisContext
from readiness.rules.engine import analyze, build_rules
from readiness.rules.registry import default_registry
from readiness.rules.settings import load_config
from readiness.rules.spool import FindingRecord
from readiness.rules.templates import Candidate, group_key, qualifies, section_pages
from readiness.store import open_store


def findings_in_memory(store_path) -> list[dict]:
    """The findings the shipped rules yield over the store, held and sorted in memory the
    way docs/findings.md orders them: what findings.json must list."""
    config = load_config()
    with open_store(store_path) as store:
        ctx = AnalysisContext(store)
        yielded = [finding for rule, _common in build_rules(config, default_registry())
                   for finding in rule.check(ctx)]
        pages = section_pages(ctx.urls[url_id] for url_id, _fetch, _page in ctx.html_pages())
    yielded.sort(key=lambda f: (-f.severity.rank, f.rule, -f.weight, f.url))
    # Each member of a template group names it (readiness.rules.templates), found here as
    # the engine finds it: a rule, a section and a cause shared by enough findings and pages.
    keys = [group_key(f.rule, f.url, f.message) for f in yielded]
    members = Counter(keys)
    for finding, key in zip(yielded, keys):
        if key is not None and qualifies(Candidate(key[0], finding.rule, key[1], members[key]),
                                         pages, config.groups):
            finding.group = key[0]
    # The JSON form of each, as findings.json writes it (tuples become lists).
    return [json.loads(json.dumps(f.to_dict(), ensure_ascii=False, default=str))
            for f in yielded]


def test_findings_json_streamed_from_the_spool_lists_every_finding_the_rules_yield(
        site_crawl, analysis, tmp_path, u):
    path = write_document(findings_document(analysis), tmp_path / "findings.json")
    lines = path.read_text(encoding="utf-8").splitlines()
    document = json.loads("\n".join(lines))
    expected = findings_in_memory(site_crawl.store_path)
    assert document["findings"] == expected
    # A planted defect and its clean twin, by URL, so an empty list cannot pass.
    flagged = {(f["rule"], f["url"]) for f in document["findings"]}
    assert ("RDR003", u("/redirects/to-404")) in flagged
    assert not [url for _rule, url in flagged if url == u("/clean/about")]
    # One finding a line, between the header lines and the closing line.
    start = lines.index('"findings":[') + 1
    assert [json.loads(line.rstrip(",")) for line in lines[start:-1]] == expected
    # Every open error, each URL's together in the verdict's URL order, within a URL the
    # most harmful first.
    ranked = [f["id"] for f in sorted(
        (f for f in expected if f["severity"] == "error" and f["accepted"] is None),
        key=lambda f: FindingRecord.of(f).blocker_order)]
    by_url = [entry["findings"] for entry in document["summary"]["blocking_urls"]]
    assert document["summary"]["blocking"] == [i for ids in by_url for i in ids]
    assert sorted(document["summary"]["blocking"]) == sorted(ranked)
    assert all(ids == sorted(ids, key=ranked.index) for ids in by_url)
    # Read back a few by id, in part and by rule: the same dicts as the stream.
    spool = analysis.spool
    assert len(spool) == len(expected)
    assert spool[0] == expected[0] and spool[-1] == expected[-1] and spool[1:3] == expected[1:3]
    some = [expected[0]["id"], expected[-1]["id"]]
    assert spool.by_id(some) == {f["id"]: f for f in expected if f["id"] in some}
    assert list(spool.of_rule("RDR003")) == [f for f in expected if f["rule"] == "RDR003"]


def test_a_rule_s_findings_are_read_without_evidence_but_those_asked_for_whole(analysis):
    """JUnit lists every finding but shows the evidence of failures only: the others are
    read from their heads, the same finding less its evidence."""
    spool = analysis.spool
    code = max({r.rule for r in spool.records},
               key=lambda rule: sum(1 for r in spool.records if r.rule == rule))
    expected = list(spool.of_rule(code))
    assert len(expected) >= 2
    wanted = {expected[0]["id"]}
    read = list(spool.of_rule(code, wanted.__contains__))
    assert read[0] == expected[0] and "evidence" in read[0]
    assert read[1:] == [{k: v for k, v in f.items() if k != "evidence"} for f in expected[1:]]


def live_findings() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, Finding))


def test_the_analysis_holds_records_without_evidence_not_findings(site_crawl):
    before = live_findings()
    analysis = analyze(site_crawl.store_path, load_config())
    # Every finding is spooled; what stays in memory is a record per finding, and no
    # Finding (with its message and evidence) outlives the rule that yielded it.
    assert len(analysis.records) > 20
    assert all(type(record) is FindingRecord for record in analysis.records)
    assert not {"evidence", "message"} & set(FindingRecord._fields)
    assert live_findings() - before == 0
    # The records are the findings, in document order.
    assert [r.id for r in analysis.records] == [f.id for f in analysis.findings]


def test_an_earlier_run_is_known_by_its_header_and_read_whole_only_to_compare(
        analysis, tmp_path):
    """The trend chart needs each earlier run's header; only the run compared with is read
    whole. A findings.json whose findings are cut short still gives its header."""
    path = write_document(findings_document(analysis), tmp_path / "earlier" / "findings.json")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index('\n"findings":[\n') + 40], encoding="utf-8")  # cut short
    header = read_findings_header(path)
    assert header["summary"]["pages"] == analysis.pages and header["findings"] == []
    with pytest.raises(ValueError):
        read_findings(path)
    # As the earlier run of a new one, it is neither in the history nor compared with.
    document = findings_document(analysis)
    document["run"]["started_at"] = iso_time(unix_time(document["run"]["started_at"]) + 1)
    add_run_comparisons(document, tmp_path / "later", None)
    assert document["history"] == [] and document["previous"] is None
