"""DUP002's calibration: labelled page pairs through the real extraction, and the fixture plants.

The labelled pairs come from bench/near_duplicates.py (the generator the calibration table in
docs/near-duplicates.md is printed from): practice pages from one template, with a share of
their main text rewritten, location doorways, and pages sharing only the template.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from readiness.crawl.extract import PageExtractor
from readiness.crawl.parsing import parse_html
from readiness.page.fingerprint import DEFAULT_SHINGLE_WORDS
from readiness.rules.base import Severity
from readiness.rules.duplicates import (
    DEFAULT_NEAR_THRESHOLD,
    DuplicateContent,
    NearDuplicateContent,
)
from readiness.testing import StoreBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import near_duplicates as labelled  # noqa: E402  (bench/ is not a package)

PAIRS_PER_CLASS = 12
# The estimate's standard error near the threshold is ~0.03, so a pair whose exact similarity
# is ~0.07 from it is misjudged about once in a hundred: the rule must get nearly all right,
# the exact measure all.
MIN_SHARE_RIGHT = 0.95


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """(class, url_a, url_b, exact J5) of every labelled pair, and the findings over them all.

    Every pair goes into one store, as pages of one site would: so a cluster that joined
    two pairs would show too.
    """
    extractor = PageExtractor()
    store = StoreBuilder(tmp_path_factory.mktemp("labelled"), start_url=labelled.SITE + "/")
    rows = []
    for number, (pair_class, html_a, html_b) in enumerate(
            labelled.labelled_pairs(PAIRS_PER_CLASS, seed=7)):
        urls = [f"{labelled.SITE}/pair-{number}/{side}" for side in "ab"]
        for url, html in zip(urls, (html_a, html_b)):
            facts = parse_html(extractor, url, html.encode("utf-8"), "utf-8", False).facts
            store.page(url, title=facts.title, word_count=facts.word_count,
                       content_hash=facts.content_hash, minhash=facts.minhash)
        exact = labelled.exact_jaccard(*(
            labelled.shingles(labelled.main_words(html, labelled.MAIN_TEXT_READER),
                              DEFAULT_SHINGLE_WORDS)
            for html in (html_a, html_b)))
        rows.append((pair_class, *urls, exact))
    near = store.run(NearDuplicateContent)
    exact_copies = store.run(DuplicateContent)
    return rows, near, exact_copies


def clusters(findings) -> list[set[str]]:
    return [{m["url"] for m in f.evidence["members"]} for f in findings]


def test_default_catches_a_quarter_changed_and_leaves_half_changed_alone(pairs):
    rows, near, exact_copies = pairs
    near_clusters, copy_clusters = clusters(near), clusters(exact_copies)
    # Each reported cluster is one labelled pair: pages of different pairs never join.
    assert all(len(cluster) == 2 for cluster in near_clusters + copy_clusters)
    judged: dict[str, list[bool]] = {}
    for pair_class, url_a, url_b, exact in rows:
        if pair_class.must_flag is None:
            continue
        if pair_class.name == "changed 0% block":  # the same text: DUP001's, not DUP002's
            assert {url_a, url_b} in copy_clusters and {url_a, url_b} not in near_clusters
            continue
        # the exact measure, no estimate: every pair on its side of the threshold
        assert (exact >= DEFAULT_NEAR_THRESHOLD) is pair_class.must_flag, (pair_class, exact)
        flagged = {url_a, url_b} in near_clusters
        judged.setdefault(pair_class.name, []).append(flagged is pair_class.must_flag)
    for name, right in judged.items():
        assert sum(right) / len(right) >= MIN_SHARE_RIGHT, (name, right)
    assert sum(map(sum, judged.values())) >= len(sum(judged.values(), [])) - 2


def test_cluster_evidence_gives_similarities_and_the_measure(pairs):
    _rows, near, _copies = pairs
    for finding in near:
        first, second = finding.evidence["members"]
        assert first["similarity"] == 1.0
        assert second["similarity"] == second["nearest_similarity"] >= DEFAULT_NEAR_THRESHOLD
        assert f"similarity {second['similarity']:.2f} to {first['url']}" in finding.message
        assert finding.evidence["threshold"] == DEFAULT_NEAR_THRESHOLD


# -- the fixture site's plants (PLANTED.md, "Content") --------------------------------------

def near_members(analysis) -> dict[str, set[str]]:
    """URL -> codes of the DUP001/DUP002 findings listing it as a member."""
    listed: dict[str, set[str]] = {}
    for finding in analysis.findings:
        if finding.rule in ("DUP001", "DUP002"):
            for member in finding.evidence["members"]:
                listed.setdefault(member["url"], set()).add(finding.rule)
    return listed


def test_doorway_pair_differing_by_a_paragraph_is_one_near_duplicate_finding(found, u):
    finding = found[("DUP002", u("/content/doorway-leeds"))]  # one link each: smaller URL
    assert [m["url"] for m in finding.evidence["members"]] == [
        u("/content/doorway-leeds"), u("/content/doorway-york")]
    similarity = finding.evidence["members"][1]["similarity"]
    assert DEFAULT_NEAR_THRESHOLD + 0.05 <= similarity < 0.7  # exact J5 of the pair: 0.55
    assert ("DUP002", u("/content/doorway-york")) not in found


def test_pages_sharing_boilerplate_and_under_half_their_text_are_not_near_duplicates(
        analysis, u):
    listed = near_members(analysis)
    for path in ("/content/partial-overlap-a", "/content/partial-overlap-b",
                 "/content/similar-a", "/content/similar-b"):
        assert u(path) not in listed, path
        flagged = [(f.rule, f.severity.value) for f in analysis.findings
                   if f.url == u(path) and f.severity.rank >= Severity.WARNING.rank]
        assert flagged == [], path
    # the exact duplicates stay DUP001's alone
    assert listed[u("/content/duplicate-a")] == listed[u("/content/duplicate-b")] == {"DUP001"}
    assert [f.url for f in analysis.findings if f.rule == "DUP002"] == [
        u("/content/doorway-leeds")]


def test_fixture_pairs_similarity():
    """The planted pairs' exact 5-word-shingle Jaccard, as PLANTED.md states it."""
    site = Path(__file__).resolve().parent / "fixture_site" / "site" / "content"

    def shingle_set(name: str) -> set:
        html = (site / f"{name}.html").read_text(encoding="utf-8")
        return labelled.shingles(labelled.main_words(html, labelled.MAIN_TEXT_READER),
                                 DEFAULT_SHINGLE_WORDS)

    doorway = labelled.exact_jaccard(shingle_set("doorway-leeds"), shingle_set("doorway-york"))
    partial = labelled.exact_jaccard(shingle_set("partial-overlap-a"),
                                     shingle_set("partial-overlap-b"))
    assert (round(doorway, 2), round(partial, 2)) == (0.55, 0.24)
