"""Blockers rank by what a link to them meets: dead ends, lost equity, indexability,
experience, on-page; then severity, then weight.

On a real crawl of the fixture site (tests/fixture_site): the redirect loop and the linked
404 (dead ends) rank above the page without a viewport (experience), whatever their inbound
counts; a rule file's ``impact:`` changes the order; a bad one is a file:line error; the
terminal's counts line says what the store holds.
"""

from __future__ import annotations

import io
import json
import re
import shutil

import pytest
from conftest import run_cli

from readiness.config.rules import ImpactName
from readiness.report.findings import findings_document
from readiness.report.terminal import MAX_BLOCKERS_SHOWN, print_summary
from readiness.rules.base import LinkImpact, Rule
from readiness.rules.registry import default_registry

LOOP, LINKED_404 = "/redirects/loop-a", "/errors/not-found"
# A page without a viewport (EXP003) linked as often as the loop: ranked by severity, weight
# and rule code (the old order) it came before the loop.
NO_VIEWPORT = "/html/malformed"


def analysed(site_crawl, tmp_path, config: str | None = None):
    """`readiness analyze` on a copy of the session crawl's store (outputs land beside it)."""
    store = tmp_path / "run" / "crawl.sqlite"
    store.parent.mkdir()
    shutil.copy(site_crawl.store_path, store)
    args = ["analyze", str(store), "--format", "json"]
    if config is not None:
        path = tmp_path / "site.yaml"
        path.write_text(config, encoding="utf-8")
        args += ["--config", str(path)]
    result = run_cli(*args)
    document = (json.loads((store.parent / "findings.json").read_text(encoding="utf-8"))
                if result.returncode in (0, 1) else None)
    return result, document


def positions(document, u):
    urls = [entry["url"] for entry in document["summary"]["blocking_urls"]]
    return {path: urls.index(u(path)) for path in (LOOP, LINKED_404, NO_VIEWPORT)}


def test_dead_ends_rank_above_a_missing_viewport(site_crawl, tmp_path, u):
    result, document = analysed(site_crawl, tmp_path)
    assert result.returncode == 1, result.stderr
    entries = {e["url"]: e for e in document["summary"]["blocking_urls"]}
    at = positions(document, u)
    assert at[LOOP] < at[NO_VIEWPORT] and at[LINKED_404] < at[NO_VIEWPORT]
    assert entries[u(LOOP)]["impact"] == entries[u(LINKED_404)]["impact"] == "dead-end"
    assert entries[u(NO_VIEWPORT)]["impact"] == "experience"
    # The viewport page is as linked as the loop: the old ranking (weight, then rule code)
    # put it above; impact comes before weight now.
    assert entries[u(NO_VIEWPORT)]["weight"] >= entries[u(LOOP)]["weight"]
    # Every entry ranks by impact, then severity, then weight, then URL.
    ranks = [(-LinkImpact(e["impact"]).rank, -e["weight"], e["url"])
             for e in document["summary"]["blocking_urls"]]
    assert ranks == sorted(ranks)
    # findings[] carry their rule's impact; a clean page is not a blocker at all.
    impacts = {(f["rule"], f["url"]): f["impact"] for f in document["findings"]}
    assert impacts[("EXP003", u(NO_VIEWPORT))] == "experience"
    assert impacts[("EXP003", u("/experience/no-viewport"))] == "experience"
    assert impacts[("RDR002", u(LOOP))] == "dead-end"
    assert u("/clean/about") not in entries
    # The terminal lists them in that order (the first 15), each with its impact.
    listed = re.findall(r"^  (\S+) \(([a-z-]+)[,)]", result.stdout, re.M)
    assert listed == [(e["url"], e["impact"])
                      for e in document["summary"]["blocking_urls"][:MAX_BLOCKERS_SHOWN]]


def test_an_impact_override_in_a_rule_file_changes_the_order(site_crawl, tmp_path, u):
    result, document = analysed(site_crawl, tmp_path, (
        "extends: default\nrules:\n  redirect-loop:\n    impact: on-page\n"
        "  missing-viewport:\n    impact: dead-end\n"))
    assert result.returncode == 1, result.stderr
    at = positions(document, u)
    assert at[NO_VIEWPORT] < at[LOOP]
    assert at[LINKED_404] < at[LOOP]  # not overridden: still a dead end
    entries = {e["url"]: e for e in document["summary"]["blocking_urls"]}
    assert entries[u(LOOP)]["impact"] == "on-page"
    assert document["config"]["rules"]["RDR002"]["impact"] == "on-page"
    assert document["config"]["rules"]["RDR001"]["impact"] == "lost-equity"


def test_a_bad_impact_is_a_file_line_error(site_crawl, tmp_path):
    result, _document = analysed(site_crawl, tmp_path, (
        "extends: default\nrules:\n  redirect-loop:\n    severity: error\n    impact: fatal\n"))
    assert result.returncode == 2
    assert re.search(r"site\.yaml:5: rules\.redirect-loop\.impact: 'fatal' is not allowed — use "
                     r"one of 'dead-end', 'lost-equity', 'indexability', 'experience' or "
                     r"'on-page'", result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_a_custom_rule_declares_its_impact(tmp_path):
    config = tmp_path / "custom.yaml"
    config.write_text("custom_rules:\n  - code: LOC001\n    name: needs-phone\n"
                      "    message: needs a phone link\n    impact: wrong\n"
                      "    require:\n      - selector: 'a[href^=\"tel:\"]'\n", encoding="utf-8")
    result = run_cli("check", "http://127.0.0.1:9/", "--config", str(config),
                     "--reports-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"{config}:5: custom_rules.0.impact: 'wrong' is not allowed" in result.stderr


def test_the_counts_line_says_what_the_store_holds(site_crawl, tmp_path):
    result, document = analysed(site_crawl, tmp_path)
    line = re.search(r"^(\d+) site URLs fetched: (\d+) HTML pages, (\d+) redirects, (\d+) "
                     r"errors, (\d+) other files; besides them (\d+) variants and (\d+) "
                     r"outbound links checked$", result.stdout, re.M)
    assert line, result.stdout
    fetched, pages, redirects, errors, other, variants, outbound = map(int, line.groups())
    with site_crawl.store() as store:
        rows = [tuple(row) for row in store.query(
            "SELECT f.status, f.content_type FROM fetches f JOIN urls u ON u.id = f.url_id "
            "WHERE u.internal = 1 AND f.fetched = 1")]
        assert variants == store.count("variants") > 0
        assert outbound == store.count("probes") > 0
    assert fetched == len(rows) == pages + redirects + errors + other
    assert pages == sum(1 for status, kind in rows
                        if status and 200 <= status < 300 and "html" in (kind or ""))
    assert redirects == sum(1 for status, _kind in rows if status and 300 <= status < 400)
    assert errors == sum(1 for status, _kind in rows if status is None or status >= 400)
    assert pages > 0 and redirects > 0 and errors > 0 and other > 0
    assert document["crawl"]["fetched"] == {"pages": pages, "redirects": redirects,
                                            "errors": errors, "other": other}
    assert document["crawl"]["variants_checked"] == variants


@pytest.mark.parametrize("rule", list(default_registry().rules()), ids=lambda r: r.code)
def test_every_built_in_rule_declares_its_impact(rule: type[Rule]):
    # Declared by the rule (or its family's base class), not inherited from Rule's default.
    assert any("impact" in cls.__dict__ for cls in rule.__mro__ if cls is not Rule)


def test_the_configs_impact_names_are_the_enums():
    assert ImpactName.__args__ == tuple(impact.value for impact in LinkImpact)


def test_backlinks_weigh_a_url_once(tmp_path):
    """With backlink exports, a finding about a backlinked URL adds its referring domains to
    its weight (and says so); the backlink rules' weight is those domains already."""
    from readiness.rules.engine import analyze
    from readiness.rules.settings import load_config
    from readiness.store.records import Backlink
    from readiness.testing import StoreBuilder

    store = StoreBuilder(tmp_path / "run", start_url="http://site.test/")
    store.page("/", links=["/gone", "/also-gone"], title="Home",
               fetch={"depth": 0, "discovered_by": "start"})
    store.fetch("/gone", status=404)
    store.fetch("/also-gone", status=404)  # linked the same, backlinked by nobody: the twin
    store.writer.add(Backlink(target_id=store.id("http://site.test/gone"),
                              target_raw="http://site.test/gone", referring_domains=7,
                              backlinks=9, export="ahrefs.csv", export_format="ahrefs", line=2))
    analysis = analyze(store.close(), load_config())
    found = {(f.rule, f.url): f for f in analysis.findings}
    gone = found[("STS001", "http://site.test/gone")]
    twin = found[("STS001", "http://site.test/also-gone")]
    assert twin.weight == 1 and "referring_domains" not in twin.evidence
    assert gone.weight == 1 + 7 and gone.evidence["referring_domains"] == 7
    assert found[("BKL001", "http://site.test/gone")].weight == 7  # not 14
    document = findings_document(analysis)
    entries = document["summary"]["blocking_urls"]
    assert [(e["url"], e["weight"]) for e in entries][:2] == [
        ("http://site.test/gone", 8), ("http://site.test/also-gone", 1)]
    # The terminal says what each weight counts.
    out = io.StringIO()
    print_summary(document, out)
    assert "  http://site.test/gone (dead-end, 1 internal reference + 7 referring domains)\n" in (
        out.getvalue())
    assert "  http://site.test/also-gone (dead-end, 1 internal reference)\n" in out.getvalue()


def test_a_rules_docs_show_its_impact():
    from conftest import REPO

    result = run_cli("rules", "RDR002")
    assert result.returncode == 0, result.stderr
    assert "(redirects, default severity error, link-building impact dead-end)" in result.stdout
    assert "Impact dead-end: a link to the URL leads nowhere" in result.stdout
    listing = run_cli("rules").stdout
    assert re.search(r"^  EXP003  missing-viewport +error +experience +Missing viewport",
                     listing, re.M), listing
    rules_md = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "| EXP003 | `missing-viewport` | experience | error | experience |" in rules_md
    assert "Link-building impact: **dead-end**" in rules_md


def test_the_gates_failing_list_ranks_by_url_as_the_verdict_does(site_crawl, tmp_path):
    """summary.md's failing table and the GitHub annotations follow gate.failing: a URL's
    findings together, at its place in the verdict (they once interleaved, a URL's second
    finding far below its first, ranked by its own weight)."""
    result, document = analysed(site_crawl, tmp_path)
    assert result.returncode == 1, result.stderr
    by_url = [i for entry in document["summary"]["blocking_urls"] for i in entry["findings"]]
    assert document["gate"]["failing"] == by_url
    # The crawl has URLs with several blocking findings: the order is not trivially so.
    assert any(len(entry["findings"]) > 1 for entry in document["summary"]["blocking_urls"])
