"""CSV, JUnit and summary.md: derived from the document, finding for finding."""

import csv
import json
import xml.etree.ElementTree as ET

import pytest
from planted import document, finding

from readiness.report.findings import apply_gate
from readiness.report.findings_csv import write_findings_csv
from readiness.report.junit import junit_xml
from readiness.report.machine import summary_markdown, write_csv
from readiness.report.outputs import FORMATS, parse_formats, write_outputs


@pytest.fixture
def doc():
    findings = [
        finding("RDR002", "http://site.test/loop", "error", weight=4,
                evidence={"hops": [{"url": "http://site.test/loop", "status": 301,
                                    "location": "http://site.test/loop2"}],
                          "fix": "break the loop", "inbound_link_count": 2, "linking_pages": 1,
                          "inbound_links": [{"source": "http://site.test/", "anchor": "Portal"}]}),
        finding("RDR002", "http://site.test/other", "error", accepted="known, fixed next week"),
        finding("RDR001", "http://site.test/chain", "warning", message="a | pipe\nand newline"),
    ]
    d = document(findings, rules=["RDR001", "RDR002", "RDR005"])
    apply_gate(d, "error")
    return d


def test_csv_one_file_per_rule_with_every_finding(tmp_path, doc):
    paths = write_csv(doc, tmp_path / "csv")
    # RDR005 ran and found nothing: no header-only file of its own.
    assert sorted(p.name for p in paths) == ["RDR001-rule-rdr001.csv", "RDR002-rule-rdr002.csv"]
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(p.name for p in paths)
    rows = {p.name[:6]: list(csv.DictReader(p.open(encoding="utf-8"))) for p in paths}
    assert [r["id"] for r in rows["RDR002"]] == [f["id"] for f in doc["findings"][:2]]
    loop = rows["RDR002"][0]
    assert loop["fix"] == "break the loop" and loop["inbound_link_count"] == "2"
    assert json.loads(loop["evidence"])["hops"][0]["status"] == 301
    assert rows["RDR002"][1]["accepted"] == "known, fixed next week"
    assert rows["RDR001"][0]["message"] == "a | pipe\nand newline"


def test_findings_csv_flattens_evidence_and_keeps_keys_other_parts_add(tmp_path, doc):
    """findings.csv: evidence in flat columns, sorted; a list of objects as one column per
    field, items joined with " | " in order; keys a finding carries besides the known ones
    (impact, group: other parts of readiness add them) are columns too."""
    plain = write_findings_csv(doc, tmp_path / "plain.csv")
    with plain.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[5:8] == ["impact", "group", "url"]  # in every run, grouped or not
    doc["findings"][0]["impact"] = "on-page"  # as a rule file's override would
    doc["findings"][0]["group"] = "G-RDR002-0123456789ab"
    doc["findings"][1]["evidence"]["fix"] = "=cmd|' /C calc'!A0"
    path = write_findings_csv(doc, tmp_path / "findings.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = list(rows[0])
    assert columns[:8] == ["id", "rule", "name", "family", "severity", "impact", "group", "url"]
    assert [c for c in columns if c.startswith("evidence.")] == [
        "evidence.fix", "evidence.hops.location", "evidence.hops.status", "evidence.hops.url",
        "evidence.inbound_link_count", "evidence.inbound_links.anchor",
        "evidence.inbound_links.source", "evidence.linking_pages"]
    loop, other, chain = rows
    assert (loop["impact"], loop["group"]) == ("on-page", "G-RDR002-0123456789ab")
    assert (other["impact"], other["group"]) == (doc["findings"][1]["impact"], "")
    assert loop["evidence.hops.status"] == "301"
    assert loop["evidence.inbound_links.source"] == "http://site.test/"
    assert other["evidence.fix"] == "'=cmd|' /C calc'!A0"  # never a formula
    assert other["accepted"] == "known, fixed next week"
    assert chain["message"] == "a | pipe\nand newline" and chain["evidence.fix"] == ""


def test_junit_one_case_per_finding_and_one_per_finding_free_rule(doc):
    root = ET.fromstring(junit_xml(doc))
    suite = root.find("testsuite")
    cases = [(c.get("classname"), c.get("name"), c) for c in suite.findall("testcase")]
    # Rule order, then document order within a rule; the finding-free rule still counted.
    assert [(classname, name) for classname, name, _ in cases] == [
        ("readiness.redirects.RDR001-rule-rdr001", "http://site.test/chain"),
        ("readiness.redirects.RDR002-rule-rdr002", "http://site.test/loop"),
        ("readiness.redirects.RDR002-rule-rdr002", "http://site.test/other"),
        ("readiness.redirects.RDR005-rule-rdr005", "no finding")]
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures"), element.get("skipped"),
                element.get("errors")) == ("4", "1", "2", "0")
    chain, loop, other, clean = (case for _, _, case in cases)
    [failure] = loop.findall("failure")
    assert failure.get("type") == "error"
    assert failure.get("message") == "http://site.test/loop: something is wrong"
    assert doc["findings"][0]["id"] in failure.text and "break the loop" in failure.text
    # below the gate and accepted findings stay visible, skipped with the reason, not failing
    assert chain.find("failure") is None and other.find("failure") is None
    assert chain.find("skipped").get("message").startswith(
        "warning, below the gate (--fail-on error): a | pipe")
    assert other.find("skipped").get("message") == (
        "error, accepted: known, fixed next week: something is wrong")
    assert doc["findings"][1]["id"] in other.find("system-out").text
    assert list(clean) == []  # passed


def test_junit_names_a_url_reported_twice_by_one_rule_apart():
    d = document([finding(url="http://site.test/a", ident="RDR002-000000000001"),
                  finding(url="http://site.test/a", ident="RDR002-000000000002"),
                  finding(url="http://site.test/b")], rules=["RDR002"])
    apply_gate(d, "error")
    names = [c.get("name") for c in ET.fromstring(junit_xml(d)).iter("testcase")]
    assert names == ["http://site.test/a (RDR002-000000000001)",
                     "http://site.test/a (RDR002-000000000002)", "http://site.test/b"]


def test_junit_survives_control_characters():
    d = document([finding(message="bad \x00\x1b byte", url="http://site.test/\x07")])
    apply_gate(d, "error")
    ET.fromstring(junit_xml(d))


def test_summary_markdown_is_short_and_names_the_gate(doc):
    text = summary_markdown(doc)
    assert text.startswith("## ❌ http://site.test/ is not ready for link building")
    assert "**1 errors**" in text or "**1 error" in text
    assert "`--fail-on error`" in text and "❌ failed" in text
    assert "| error | RDR002 rule-rdr002 | http://site.test/loop |" in text
    assert "a \\| pipe" not in text  # warnings are not listed when the gate is on errors
    assert len(text.splitlines()) < 30


def test_summary_markdown_with_a_baseline_shows_new_and_fixed(doc):
    doc["baseline"] = {"kind": "baseline", "against": {"run_id": "old", "path": "b.json"},
                       "counts": {"new": 1, "fixed": 2, "unchanged": 2},
                       "new": [doc["findings"][0]["id"]], "fixed": [], "unchanged": [],
                       "by_rule": {"RDR002": {"name": "rule-rdr002", "new": 1, "fixed": 2,
                                              "unchanged": 1}}, "pages": None}
    apply_gate(doc, "error", baseline="b.json")
    text = summary_markdown(doc)
    assert "**Against the baseline:** 1 new, 2 fixed, 2 unchanged findings" in text
    assert "| RDR002 rule-rdr002 | 1 | 2 | 1 |" in text


def test_formats_are_checked_and_unselected_outputs_removed(tmp_path, doc):
    assert parse_formats("json, HTML") == ("html", "json")
    with pytest.raises(ValueError, match="'pdf'"):
        parse_formats("json,pdf")
    with pytest.raises(ValueError):
        parse_formats(",")
    written = write_outputs(doc, tmp_path, FORMATS)
    # A document made without a crawl store has no pages.csv (tests/test_exports.py has one).
    assert set(written) == set(FORMATS) | {"findings-csv"}
    assert {p.name for p in tmp_path.iterdir()} == {
        "findings.json", "report.html", "csv", "findings.csv", "junit.xml", "summary.md",
        "redirects.csv",
        "redirects.nginx.conf", "redirects.apache.conf", "_redirects"}
    written = write_outputs(doc, tmp_path, ("json", "md"))
    assert {p.name for p in tmp_path.iterdir()} == {"findings.json", "summary.md"}
    assert "report.html" not in (tmp_path / "summary.md").read_text()


def test_outputs_point_only_to_the_files_written(tmp_path, doc):
    write_outputs(doc, tmp_path, FORMATS)
    report = (tmp_path / "report.html").read_text()
    assert "<code>findings.json</code>, <code>csv/</code> and <code>junit.xml</code>" in report
    assert "<code>summary.md</code>" in report
    summary = (tmp_path / "summary.md").read_text()
    assert "`report.html`" in summary and "`findings.json`" in summary

    write_outputs(doc, tmp_path, ("html",))  # --format html: the other files are removed
    report = (tmp_path / "report.html").read_text()
    for name in ("findings.json", "csv/", "junit.xml", "summary.md"):
        assert f"<code>{name}</code>" not in report
    assert '"json":false' in report and '"csv":false' in report  # report.js's notes

    write_outputs(doc, tmp_path, ("md",))
    summary = (tmp_path / "summary.md").read_text()
    assert "report.html" not in summary and "findings.json" not in summary
