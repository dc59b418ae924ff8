"""Comparisons: new / fixed / unchanged by stable id, page changes, the previous run."""

import json
from pathlib import Path

import pytest
from planted import build_site, document, finding

from readiness.check import load_run
from readiness.report.compare import (
    add_run_comparisons,
    compare_documents,
    earlier_runs,
    page_changes,
)
from readiness.testing import StoreBuilder


def test_findings_are_matched_by_id():
    kept, gone = finding(url="http://s/kept"), finding(url="http://s/gone")
    added = finding(url="http://s/new")
    # the same finding re-graded keeps its id, so it is unchanged
    regraded = {**kept, "severity": "warning"}
    comparison = compare_documents(document([kept, gone]), document([regraded, added]), "diff")
    assert comparison["new"] == [added["id"]]
    assert comparison["unchanged"] == [kept["id"]]
    assert [f["id"] for f in comparison["fixed"]] == [gone["id"]]
    assert comparison["fixed"][0]["url"] == "http://s/gone"
    assert comparison["counts"] == {"new": 1, "fixed": 1, "config_changed": 0, "unchanged": 1}
    assert comparison["by_rule"]["RDR002"] == {"name": "rule-rdr002", "new": 1, "fixed": 1,
                                              "config_changed": 0, "unchanged": 1, "config": []}
    # a severity change the rule set does not explain (the rule grades its cases) is listed
    assert [(f["id"], f["old"], f["new"], f["reason"]) for f in comparison["regraded"]] == [
        (kept["id"], "error", "warning", None)]
    assert comparison["pages"] is None


def test_page_changes_from_two_stores(tmp_path):
    old = StoreBuilder(tmp_path / "old")
    old.page("/", links=["/a", "/b"])
    old.page("/a")
    old.page("/b")
    old_path = old.close()
    new = StoreBuilder(tmp_path / "new")
    new.page("/", links=["/a", "/c"])
    new.fetch("/a", status=404)
    new.page("/c")
    new.fetch("/skipped", status=None, error="max-pages", fetched=False)
    changes = page_changes(old_path, new.close())
    assert changes["counts"] == {"appeared": 1, "disappeared": 1, "status_changed": 1}
    assert changes["appeared"] == [{"url": "http://site.test/c", "status": 200}]
    assert changes["disappeared"] == [{"url": "http://site.test/b", "status": 200}]
    assert changes["status_changed"] == [{"url": "http://site.test/a", "old": 200, "new": 404}]


def _write_run(reports: Path, name: str, doc: dict) -> Path:
    (reports / name).mkdir(parents=True, exist_ok=True)
    path = reports / name / "findings.json"
    path.write_text(json.dumps(doc))
    return path


def test_previous_run_is_the_latest_earlier_run_of_the_same_site(tmp_path):
    reports = tmp_path / "reports"
    _write_run(reports, "a", document([finding(url="http://s/1")], run_id="a", started_at=100))
    _write_run(reports, "b", document([finding(url="http://s/2")], run_id="b", started_at=200))
    _write_run(reports, "other-site", document([], run_id="x", started_at=250,
                                               start_url="http://other.test/"))
    _write_run(reports, "later", document([], run_id="later", started_at=900))
    (reports / "junk").mkdir()
    (reports / "junk" / "findings.json").write_text("{not json")
    current = document([finding(url="http://s/2")], run_id="now", started_at=300)
    runs = earlier_runs(reports / "now", "http://site.test/", 300)
    assert [d["run"]["run_id"] for _p, d in runs] == ["a", "b"]

    add_run_comparisons(current, reports / "now", None)
    assert current["previous"]["against"]["run_id"] == "b"
    assert current["previous"]["counts"] == {"new": 0, "fixed": 0, "config_changed": 0,
                                             "unchanged": 1}
    assert [h["run_id"] for h in current["history"]] == ["a", "b"]
    assert "baseline" not in current


def test_a_schema_1_run_with_unix_times_is_still_the_previous_run(tmp_path):
    """Schema 1 wrote run.started_at as unix seconds; an earlier run of it still orders
    against ISO 8601 times, and the comparison and the history speak ISO 8601."""
    reports = tmp_path / "reports"
    old = document([finding(url="http://s/1")], run_id="old", started_at=100)
    old["schema_version"], old["run"]["started_at"] = 1, 100.0
    _write_run(reports, "old", old)
    newer = document([], run_id="newer", started_at=900)
    newer["schema_version"], newer["run"]["started_at"] = 1, 900.0
    _write_run(reports, "newer", newer)  # started after the current run: not earlier
    current = document([finding(url="http://s/1")], run_id="now", started_at=300)
    add_run_comparisons(current, reports / "now", None)
    assert current["previous"]["against"]["run_id"] == "old"
    assert current["previous"]["against"]["started_at"] == "1970-01-01T00:01:40.000000+00:00"
    assert [(h["run_id"], h["started_at"]) for h in current["history"]] == [
        ("old", "1970-01-01T00:01:40.000000+00:00")]


def test_no_previous_run_gives_empty_history(tmp_path):
    doc = document([])
    add_run_comparisons(doc, tmp_path / "reports" / "only", None)
    assert doc["history"] == [] and doc["previous"] is None


def test_previous_run_compares_pages_when_both_stores_exist(tmp_path):
    from readiness.report.outputs import prepare_document, write_outputs
    from readiness.rules.engine import analyze
    from readiness.rules.settings import load_config

    reports = tmp_path / "reports"
    first = build_site(reports / "site-1", loop=True, extra_pages=2)
    write_outputs(prepare_document(analyze(first, load_config())), first.parent, ("json",))
    second = build_site(reports / "site-2", loop=False, extra_pages=3)
    doc = prepare_document(analyze(second, load_config()))
    pages = doc["previous"]["pages"]
    assert pages["counts"]["appeared"] == 1      # /page-2
    assert pages["counts"]["disappeared"] == 2   # /portal, /portal/login
    assert any(f["rule"] == "RDR002" for f in doc["previous"]["fixed"])


def test_load_run_accepts_findings_store_or_folder(tmp_path):
    store = build_site(tmp_path / "run", loop=True)
    doc, found_store, read = load_run(store.parent)  # no findings.json yet: analysed
    assert found_store == store and read == store
    assert any(f["rule"] == "RDR002" for f in doc["findings"])
    (tmp_path / "run" / "findings.json").write_text(json.dumps(document([], run_id="saved")))
    for path in (store.parent, store, store.parent / "findings.json"):
        doc, found_store, _read = load_run(path)
        assert doc["run"]["run_id"] == "saved" and found_store == store
    with pytest.raises(ValueError, match="no run at"):
        load_run(tmp_path / "missing")


def test_the_report_stage_reads_runs_and_never_analyses(tmp_path):
    from readiness.report.compare import read_run

    store = build_site(tmp_path / "run", loop=True)
    assert read_run(store.parent) == (None, store, store)  # no findings yet: nothing made
    (tmp_path / "run" / "findings.json").write_text(json.dumps(document([], run_id="saved")))
    doc, found_store, read = read_run(store)
    assert (doc["run"]["run_id"], found_store, read) == ("saved", store, store.parent / "findings.json")
