"""junit.xml: one test case per finding, so a CI server lists every failure (docs/ci.md).

Jenkins, GitLab, Azure Pipelines and action-junit-report each show the failures of a test
case, and most show one per case: a case per rule hid every failure but the first. So:

    <testcase classname="readiness.<family>.<CODE>-<name>" name="<URL>">
      <failure …/>   a finding the gate fails on (gate.failing)
      <skipped …/>   a finding that does not fail the gate: below --fail-on, accepted in the
                     YAML, already in the baseline, or an outbound check that could not be made
    a finding-free rule: one passing case named "no finding" (a rule that did not run on
    this store: one skipped case named "not run"), so every rule that ran stays counted.

Skipped, not passed, for the findings below the gate: each of those CI servers then shows
them apart from the rules that found nothing, with the reason, and none fails the build on a
skip. The counts agree with findings.json: failures == len(gate.failing), and a case per
finding. The file is written a test case at a time from the findings spool (only failures
read their evidence), so its size, not the process's memory, grows with the site.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from readiness.report.findings import finding_records, findings_of_rule
from readiness.rules.base import Severity

# XML 1.0 cannot carry most control characters, whatever the escaping.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The case of a rule with no finding, and of a rule that did not run on this store.
NO_FINDING, NOT_RUN = "no finding", "not run"
_INDENT = "  "


def _xml_text(value: Any) -> str:
    return _XML_ILLEGAL.sub("\ufffd", str(value))


def _failure_text(finding: dict[str, Any]) -> str:
    evidence = finding["evidence"]
    lines = [f"{finding['url']}", finding["message"]]
    if evidence.get("fix"):
        lines.append(f"fix: {evidence['fix']}")
    for hop in evidence.get("hops") or []:
        if isinstance(hop, dict):
            lines.append(f"  {hop.get('url')} -> {hop.get('status')} -> {hop.get('location')}")
    if evidence.get("inbound_link_count"):
        pages, links = evidence.get("linking_pages", 0), evidence["inbound_link_count"]
        lines.append(f"linked from {pages} page{'s' if pages != 1 else ''} "
                     f"({links} link{'s' if links != 1 else ''}), e.g.:")
        for link in (evidence.get("inbound_links") or [])[:5]:
            lines.append(f"  {link.get('source')} \"{link.get('anchor') or ''}\"")
    lines.append(f"finding id: {finding['id']}")
    return "\n".join(lines)


def not_failing_reason(finding: dict[str, Any], fail_on: str) -> str:
    """Why a finding of the document does not fail the gate, in words."""
    if finding["accepted"] is not None:
        return f"accepted: {finding['accepted']}"
    if Severity(finding["severity"]).rank < Severity(fail_on).rank:
        return f"below the gate (--fail-on {fail_on})"
    if finding.get("evidence", {}).get("inconclusive"):
        return "inconclusive: the outbound check could not be made"
    return "in the baseline"


def utc_timestamp(document: dict[str, Any]) -> str:
    """When the document was made, as JUnit's ``timestamp``: UTC without a zone (the schema
    Ant and Surefire write to, and the strictest readers check, has no offset)."""
    made = datetime.fromisoformat(document["generated_at"])
    if made.tzinfo is not None:
        made = made.astimezone(timezone.utc)
    return made.strftime("%Y-%m-%dT%H:%M:%S")


def rule_classname(rule: dict[str, Any]) -> str:
    """``readiness.<family>.<CODE>-<name>``: Jenkins and Azure read the part before the last
    dot as the package, so each family is a package and each rule a class of it."""
    return f"readiness.{rule['family']}.{rule['code']}-{rule['name']}"


def _case(classname: str, name: str, seconds: float = 0.0) -> ET.Element:
    return ET.Element("testcase", classname=_xml_text(classname), name=_xml_text(name),
                      time=f"{seconds:.3f}")


def _write_element(out: IO[str], element: ET.Element, level: int) -> None:
    ET.indent(element, space=_INDENT, level=level)
    out.write(_INDENT * level + ET.tostring(element, encoding="unicode").rstrip() + "\n")


def write_junit_to(document: dict[str, Any], out: IO[str]) -> None:
    """The JUnit XML of ``document`` into ``out``, a test case at a time."""
    gate, run = document["gate"], document["run"]
    failing = set(gate["failing"])
    records = finding_records(document["findings"])
    per_rule = Counter(record.rule for record in records)
    # A URL reported twice by one rule (two cases of one problem) gets its finding id in
    # the case name: a CI server merges cases that share class and name.
    repeated = {key for key, n in Counter((r.rule, r.url) for r in records).items() if n > 1}
    rules = document["rules"]
    codes = {rule["code"] for rule in rules}
    findings_total = sum(per_rule[code] for code in codes)
    failures = sum(1 for record in records if record.id in failing and record.rule in codes)
    empty_rules = [rule for rule in rules if not per_rule[rule["code"]]]
    tests = findings_total + len(empty_rules)
    skipped = findings_total - failures + sum(1 for rule in empty_rules if rule.get("not_run"))
    seconds = f"{sum(rule['seconds'] for rule in rules):.3f}"
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0",
              "skipped": str(skipped), "time": seconds}

    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(_open_tag("testsuites", {"name": "readiness", **counts}, 0))
    out.write(_open_tag("testsuite", {"name": _xml_text(f"readiness {run['start_url']}"),
                                      **counts, "timestamp": utc_timestamp(document)}, 1))
    properties = ET.Element("properties")
    for name, value in (("verdict", document["summary"]["verdict"]),
                        ("gate", gate["status"]), ("fail_on", gate["fail_on"]),
                        ("baseline", gate["baseline"] or ""),
                        ("pages", document["summary"]["pages"]),
                        ("run_id", run.get("run_id") or "")):
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    _write_element(out, properties, 2)
    for rule in rules:
        classname = rule_classname(rule)
        if not per_rule[rule["code"]]:
            case = _case(classname, NOT_RUN if rule.get("not_run") else NO_FINDING,
                         rule["seconds"])
            if rule.get("not_run"):
                ET.SubElement(case, "skipped", message=_xml_text(f"not run: {rule['not_run']}"))
            _write_element(out, case, 2)
            continue
        # Only a failure shows evidence: the others are read from their heads.
        for finding in findings_of_rule(document["findings"], rule["code"],
                                        failing.__contains__):
            name = finding["url"]
            if (finding["rule"], name) in repeated:
                name = f"{name} ({finding['id']})"
            case = _case(classname, name)
            if finding["id"] in failing:
                failure = ET.SubElement(
                    case, "failure", type=finding["severity"],
                    message=_xml_text(f"{finding['url']}: {finding['message']}"))
                failure.text = _xml_text(_failure_text(finding))
            else:
                why = not_failing_reason(finding, gate["fail_on"])
                ET.SubElement(case, "skipped", message=_xml_text(
                    f"{finding['severity']}, {why}: {finding['message']}"))
                ET.SubElement(case, "system-out").text = _xml_text(
                    f"{finding['severity']} {finding['url']}: {finding['message']}\n"
                    f"{why}\nfinding id: {finding['id']}")
            _write_element(out, case, 2)
    out.write(f"{_INDENT}</testsuite>\n</testsuites>\n")


def _open_tag(tag: str, attributes: dict[str, str], level: int) -> str:
    element = ET.Element(tag, attributes)
    text = ET.tostring(element, encoding="unicode")  # <tag a="…" />
    return _INDENT * level + text[: -len(" />")] + ">\n"


def write_junit(document: dict[str, Any], path: Path) -> Path:
    """junit.xml, written to a temporary file first (never half a file left behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xml.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        write_junit_to(document, fh)
    tmp.replace(path)
    return path


def junit_xml(document: dict[str, Any]) -> str:
    """The JUnit XML of ``document`` as one string (small documents, tests)."""
    out = io.StringIO()
    write_junit_to(document, out)
    return out.getvalue()
