"""A CI runner without internet access: every outside host refuses (tests/offline_site, whose
outbound links all point at loopback ports where nothing listens). The outbound checks are
inconclusive, said once, and never fail the gate; ``--no-outbound`` does not try at all. The
fixture site (outside hosts that answer, one that refuses) still calls its dead host broken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TEST_PROBE, run_cli

from readiness.demo.server import SiteServer
from readiness.store import open_store

OFFLINE_SITE = REPO / "tests" / "offline_site"
# Every outbound link of the offline site, by host name in its site.yaml and path.
OUTBOUND = [
    ("dental_association", "/members/offline-dental"), ("dental_association", "/guides/flossing"),
    ("health_weekly", "/articles/best-practices"), ("health_weekly", "/articles/gum-care"),
    ("city_directory", "/listing/offline-dental"), ("insurer", "/claims"),
    ("maps", "/place?id=offline-dental"),
]
NOTE_START = "Outbound links are inconclusive: 5 of 5 outside hosts could not be reached"


@pytest.fixture(scope="module")
def offline_server():
    with SiteServer(OFFLINE_SITE) as server:
        yield server


def check(server: SiteServer, out: Path, *flags: str):
    """`readiness check` of the offline site, as a CI job runs it; (result, findings.json)."""
    config = out.parent / f"{out.name}.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    result = run_cli("check", server.url("site"), "--config", str(config), "--out", str(out),
                     "--reports-dir", str(out.parent), "--quiet", *flags)
    return result, json.loads((out / "findings.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def offline_check(offline_server, tmp_path_factory):
    return check(offline_server, tmp_path_factory.mktemp("offline") / "run")


def test_an_offline_runner_passes_the_gate_with_one_plain_note(offline_check):
    result, document = offline_check
    assert result.returncode == 0, result.stdout + result.stderr
    outbound = document["summary"]["outbound"]
    assert (outbound["status"], outbound["hosts_tried"], outbound["hosts_unreachable"],
            outbound["errors"], outbound["urls"], outbound["hosts"]) == (
        "inconclusive", 5, 5, ["refused"], 7, 5)
    assert outbound["note"].startswith(NOTE_START)
    assert result.stdout.count(NOTE_START) == 1  # said once, in the verdict
    assert document["summary"]["counts"]["error"] == 0 and document["summary"]["ready"]
    assert document["gate"]["status"] == "pass"
    assert "outbound links inconclusive" in document["gate"]["reason"]


def test_every_offline_link_is_unverifiable_never_broken(offline_server, offline_check):
    _result, document = offline_check
    by_rule = {}
    for f in document["findings"]:
        by_rule.setdefault(f["rule"], {})[f["url"]] = f
    assert not {"LNK001", "LNK003", "LNK004"} & set(by_rule)
    expected = {offline_server.url(host, path) for host, path in OUTBOUND}
    assert set(by_rule["LNK002"]) == expected
    for finding in by_rule["LNK002"].values():
        assert finding["severity"] == "notice"
        evidence = finding["evidence"]
        assert (evidence["inconclusive"], evidence["probed_verdict"], evidence["error"]) == (
            True, "broken", "refused")
        assert finding["message"].startswith("not verified: connection refused")


def test_the_note_is_in_the_report_and_the_job_summary(offline_check):
    _result, document = offline_check
    run_dir = Path(document["run"]["store"]).parent
    assert NOTE_START in (run_dir / "summary.md").read_text(encoding="utf-8")
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="outbound-note"' in html and NOTE_START in html


def test_no_outbound_tries_nothing_and_says_so(offline_server, tmp_path):
    result, document = check(offline_server, tmp_path / "run", "--no-outbound")
    assert result.returncode == 0, result.stdout + result.stderr
    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        assert store.count("probes") == 0
        assert store.meta()["config"]["crawl"]["probe"]["enabled"] is False
    assert "outbound links not checked" in result.stdout
    outbound = document["summary"]["outbound"]
    assert (outbound["status"], outbound["urls"], outbound["hosts"]) == ("not-checked", 7, 5)
    assert result.stdout.count("Outbound links were not checked") == 1
    # Not checked: neither broken nor fine, so no outbound link finding at all.
    assert not [f for f in document["findings"] if f["rule"] in
                ("LNK001", "LNK002", "LNK003", "LNK004", "LNK005")]


def test_a_fixture_site_with_answering_hosts_still_calls_the_dead_one_broken(analysis, found, u):
    # ext_a and ext_b answer, ext_dead refuses: one host of three is no offline runner.
    assert analysis.outbound["status"] == "checked"
    assert analysis.outbound["note"] is None
    assert analysis.outbound["hosts_unreachable"] == 1
    dead = found[("LNK001", u("/x", "ext_dead"))]
    assert dead.severity.value == "error" and "inconclusive" not in dead.evidence
