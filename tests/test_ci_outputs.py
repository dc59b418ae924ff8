"""What a CI server reads (docs/ci.md): junit.xml with a test case per finding, and on GitHub
Actions the workflow annotations and the job summary.

The store is the session's crawl of the fixture site (conftest.site_crawl), copied into a
folder of each test's own and analysed by `readiness analyze` in a subprocess, with the
environment a GitHub Actions step has (or not).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, free_port
from lxml import etree
from report.planted import document, finding

from readiness.report.findings import apply_gate
from readiness.report.github import ANNOTATION_LIMIT, annotations, escape_data, escape_property
from readiness.report.junit import NO_FINDING, NOT_RUN, rule_classname

JUNIT_XSD = REPO / "tests" / "fixtures" / "junit" / "junit.xsd"
ANNOTATION = re.compile(r"^::(error|warning|notice) title=([^:,\r\n]*)::(.*)$")
# The properties a CI server reads from <testsuites>/<testsuite> (the common JUnit XSD).
SUITE_COUNTS = ("tests", "failures", "errors", "skipped")


class Run:
    def __init__(self, folder: Path, result: subprocess.CompletedProcess, step_summary: Path):
        self.folder, self.result, self.step_summary = folder, result, step_summary
        self.document = json.loads((folder / "findings.json").read_text(encoding="utf-8"))

    def junit(self) -> ET.Element:
        return ET.parse(self.folder / "junit.xml").getroot()

    def annotations(self) -> list[tuple[str, str, str]]:
        lines = [line for line in self.result.stdout.splitlines() if line.startswith("::")]
        parsed = [ANNOTATION.match(line) for line in lines]
        assert all(parsed), lines
        return [(m[1], unescape(m[2]), unescape(m[3])) for m in parsed]


def unescape(text: str) -> str:
    """What GitHub reads from an escaped workflow command value."""
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","),
                          ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def analyse(site_crawl, folder: Path, *options: str, github: bool = True) -> Run:
    """`readiness analyze` of a copy of the session's crawl in ``folder``."""
    folder.mkdir(parents=True)
    shutil.copy(site_crawl.store_path, folder / "crawl.sqlite")
    step_summary = folder.parent / f"{folder.name}-step-summary.md"
    step_summary.write_text("## an earlier step's summary\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    env["GITHUB_STEP_SUMMARY"] = str(step_summary)
    if github:
        env["GITHUB_ACTIONS"] = "true"
    result = subprocess.run(
        [sys.executable, "-m", "readiness.cli", "analyze", str(folder / "crawl.sqlite"),
         *options], capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert result.returncode == 1, result.stderr  # the fixture site has errors
    return Run(folder, result, step_summary)


@pytest.fixture(scope="module")
def gated_on_error(site_crawl, tmp_path_factory) -> Run:
    return analyse(site_crawl, tmp_path_factory.mktemp("ci") / "error", "--fail-on", "error")


@pytest.fixture(scope="module")
def gated_on_notice(site_crawl, tmp_path_factory) -> Run:
    return analyse(site_crawl, tmp_path_factory.mktemp("ci") / "notice", "--fail-on", "notice")


# -- junit.xml ------------------------------------------------------------------------------

def case_outcome(case: ET.Element) -> str:
    outcomes = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    assert len(outcomes) <= 1, ET.tostring(case)
    return outcomes[0] if outcomes else "passed"


def test_junit_has_the_shape_every_ci_server_reads(gated_on_error):
    root = gated_on_error.junit()
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    outcomes = Counter(case_outcome(case) for case in cases)
    actual = {"tests": len(cases), "failures": outcomes["failure"], "errors": outcomes["error"],
              "skipped": outcomes["skipped"]}
    for element in (root, suite):
        assert {key: int(element.get(key)) for key in SUITE_COUNTS} == actual
        float(element.get("time"))
    assert actual["failures"] and actual["skipped"] and outcomes["passed"]
    for case in cases:
        assert case.get("classname") and case.get("name")
        float(case.get("time"))
        for child in case:
            assert child.tag in ("failure", "skipped", "system-out"), child.tag
            if child.tag == "failure":
                assert child.get("type") and child.get("message") and child.text
            if child.tag == "skipped":
                assert child.get("message")
    # A CI server merges cases that share class and name: none do.
    assert len({(c.get("classname"), c.get("name")) for c in cases}) == len(cases)


def test_junit_validates_against_the_common_junit_schema(gated_on_error):
    schema = etree.XMLSchema(etree.parse(str(JUNIT_XSD)))
    junit = etree.parse(str(gated_on_error.folder / "junit.xml"))
    assert schema.validate(junit), schema.error_log
    assert junit.getroot().find("testsuite").get("timestamp") == (
        gated_on_error.document["generated_at"].removesuffix("+00:00"))
    # The schema can say no: a test case that both fails and is skipped.
    case = junit.getroot().find("testsuite/testcase[failure]")
    case.insert(0, etree.Element("skipped", message="both"))
    assert not schema.validate(junit)


def test_junit_counts_equal_the_findings_in_findings_json(gated_on_error):
    doc = gated_on_error.document
    cases = gated_on_error.junit().find("testsuite").findall("testcase")
    per_rule = Counter(f["rule"] for f in doc["findings"])
    # Rule by rule in the document's rule order; within a rule, its findings in their order.
    expected = []
    for rule in doc["rules"]:
        if per_rule[rule["code"]]:
            expected += [(rule_classname(rule), f["url"]) for f in doc["findings"]
                         if f["rule"] == rule["code"]]
        else:
            expected.append((rule_classname(rule), NOT_RUN if rule.get("not_run")
                             else NO_FINDING))
    assert [(c.get("classname"), c.get("name").split(" (")[0]) for c in cases] == expected

    failures = [c.find("failure") for c in cases if c.find("failure") is not None]
    failing_ids = [f.text.rsplit("finding id: ", 1)[1] for f in failures]
    assert sorted(failing_ids) == sorted(doc["gate"]["failing"])
    assert len(failing_ids) == len(set(failing_ids))
    finding_cases = [c for c in cases if c.get("name") not in (NO_FINDING, NOT_RUN)]
    assert len(finding_cases) == len(doc["findings"])


def test_junit_fails_the_gated_finding_and_skips_the_one_below_the_gate(gated_on_error, u):
    cases = {(c.get("classname").split(".")[-1][:6], c.get("name")): c
             for c in gated_on_error.junit().iter("testcase")}
    loop = cases[("RDR002", u("/redirects/loop-a"))]
    assert case_outcome(loop) == "failure" and loop.find("failure").get("type") == "error"
    assert u("/redirects/loop-b") in loop.find("failure").text  # the hops
    chain = cases[("RDR001", u("/redirects/chain-3-start"))]  # a warning: below --fail-on error
    assert case_outcome(chain) == "skipped"
    assert chain.find("skipped").get("message").startswith(
        "warning, below the gate (--fail-on error): ")
    # The clean twin: a single 301 is no loop and no chain, so no case of either rule.
    assert ("RDR001", u("/redirects/single-301")) not in cases
    assert ("RDR002", u("/redirects/single-301")) not in cases


# -- GitHub Actions ---------------------------------------------------------------------------

def test_github_annotations_are_the_failing_findings_in_gate_order(gated_on_error):
    doc = gated_on_error.document
    failing = doc["gate"]["failing"]
    assert 0 < len(failing) <= ANNOTATION_LIMIT
    by_id = {f["id"]: f for f in doc["findings"]}
    expected = []
    for finding_id in failing:
        f = by_id[finding_id]
        message = f"{f['url']}: {f['message']}"
        if f["evidence"].get("fix"):
            message += f"\nfix: {f['evidence']['fix']}"
        expected.append(("error", f"{f['rule']} {f['name']}", message))
    assert gated_on_error.annotations() == expected
    assert any("\n" in message for _, _, message in expected)  # escaped, one line each


def test_github_annotations_are_capped_with_a_line_for_the_rest(gated_on_notice):
    failing = gated_on_notice.document["gate"]["failing"]
    assert len(failing) > ANNOTATION_LIMIT
    found = gated_on_notice.annotations()
    errors = [a for a in found if a[0] == "error"]
    assert len(errors) == ANNOTATION_LIMIT
    by_id = {f["id"]: f for f in gated_on_notice.document["findings"]}
    assert [title for _, title, _ in errors] == [
        f"{by_id[i]['rule']} {by_id[i]['name']}" for i in failing[:ANNOTATION_LIMIT]]
    assert found[-1] == ("warning", "readiness",
                         f"{len(failing) - ANNOTATION_LIMIT} more failing findings not "
                         f"annotated (the first {ANNOTATION_LIMIT} are): every one is in "
                         "junit.xml, findings.json, report.html")


def test_github_step_summary_gets_summary_md_appended(gated_on_error):
    summary_md = (gated_on_error.folder / "summary.md").read_text(encoding="utf-8")
    assert gated_on_error.step_summary.read_text(encoding="utf-8") == (
        "## an earlier step's summary\n" + summary_md)
    assert "is not ready for link building" in summary_md


def test_outside_github_actions_nothing_is_annotated_or_appended(site_crawl, tmp_path):
    run = analyse(site_crawl, tmp_path / "plain", "--fail-on", "error", github=False)
    assert run.document["gate"]["failing"]
    assert run.annotations() == []
    assert run.step_summary.read_text(encoding="utf-8") == "## an earlier step's summary\n"


def test_an_unwritable_step_summary_is_a_warning_not_a_traceback(site_crawl, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(site_crawl.store_path, folder / "crawl.sqlite")
    env = {**os.environ, "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "no-such-folder" / "summary.md")}
    result = subprocess.run([sys.executable, "-m", "readiness.cli", "analyze",
                             str(folder / "crawl.sqlite"), "--format", "json"],
                            capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert result.returncode == 1
    assert "readiness: warning: cannot append the job summary to GITHUB_STEP_SUMMARY" in (
        result.stderr)
    assert "Traceback" not in result.stderr


def test_workflow_command_values_are_escaped_as_the_toolkit_does():
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("RULE: a, b%\n") == "RULE%3A a%2C b%25%0A"


def test_an_inconclusive_gate_is_one_error_annotation():
    doc = document([finding(severity="error", url="http://site.test/broken")], pages=1)
    apply_gate(doc, "error", min_pages=5)
    first, loop = annotations(doc)  # the run says it is inconclusive first
    assert first.startswith("::error title=readiness%3A inconclusive::only 1 HTML page answered")
    assert loop.startswith("::error title=RDR002 rule-rdr002::http://site.test/broken: ")
    apply_gate(doc, "error", min_pages=1)
    assert not any("inconclusive" in line for line in annotations(doc))


@pytest.mark.parametrize("github", [True, False])
def test_an_unreachable_site_is_one_error_annotation_on_github(tmp_path, github):
    port = free_port()  # free a moment ago: connections are refused
    env = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    if github:
        env["GITHUB_ACTIONS"] = "true"
    result = subprocess.run(
        [sys.executable, "-m", "readiness.cli", "check", f"http://127.0.0.1:{port}/", "--out",
         str(tmp_path / "run"), "--reports-dir", str(tmp_path), "--quiet"],
        capture_output=True, text=True, timeout=180, cwd=REPO, env=env)
    assert result.returncode == 3, result.stderr
    assert f"readiness: error: cannot reach the start URL http://127.0.0.1:{port}/" in (
        result.stderr)
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    if github:
        [line] = commands
        assert line.startswith(f"::error title=readiness%3A inconclusive::cannot reach the "
                               f"start URL http://127.0.0.1:{port}/: ")
    else:
        assert commands == []
