"""Same site, same findings: crawls of the unchanged fixture site that differ only in how
they ran (concurrency, parse workers, the order answers arrive in) report the same finding
ids with the same evidence; and URLs the crawl makes up (host, slash, index.html variants)
are judged by the variant rules alone (PLANTED.md, "Variants")."""

from __future__ import annotations

import json
import random

import pytest
from conftest import FIXTURE_SITE, comparable, crawl_site, finding_differences

from readiness.crawl.variants import VariantSample, sample_key
from readiness.demo.server import SiteServer
from readiness.rules.base import Severity
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

# (crawl.concurrency, crawl.parse_workers) of the compared crawls. Concurrency 1 is the hard
# case: a page's crawl-time download includes its wait behind the 2.5 s /experience/slow, and
# only the quiet re-measurement (EXP001/EXP002 judge nothing else) keeps those pages unflagged.
RUNS = [(1, 0), (4, 1), (16, 1)]


SITE_PAGES = ["http://s.test/", "http://s.test/?page=2", "http://s.test/blog/",
              "http://s.test/blog/2024/post", "http://s.test/team", "http://s.test/team/anna",
              "http://s.test/zz/", "http://s.test/faq", "http://s.test/a/very/deep/page",
              "http://s.test/b/", "http://s.test/about-us/", "http://s.test/blog/a"]


def test_the_variant_sample_depends_on_the_pages_not_their_order():
    # the home page, then the 4 templates whose shortest URLs are shortest (then A-Z)
    expected = ["http://s.test/", "http://s.test/b/", "http://s.test/faq", "http://s.test/zz/",
                "http://s.test/team"]
    for seed in range(200):
        pages = list(SITE_PAGES)
        random.Random(seed).shuffle(pages)
        sample = VariantSample(4)
        for page in pages:
            sample.offer(sample_key(page))
            assert len(sample.keys()) <= 5
        assert sample.pages() == expected, pages
    # A distributed run: each worker's sample, merged, is the one process's sample.
    workers = [VariantSample(4) for _ in range(3)]
    taken = set()
    for n, page in enumerate(SITE_PAGES):
        if workers[n % 3].offer(sample_key(page)):
            taken.add(sample_key(page))
    run = VariantSample(4)
    for key in sorted(taken):
        run.offer(key)
    assert run.pages() == expected
    assert VariantSample(0).pages() == [] and len(taken) < len(SITE_PAGES)


def test_a_made_up_variant_is_judged_by_the_variant_rule_only(site_crawl, analysis, found, u):
    variant = u("/team/index.html")
    finding = found[("CAN010", variant)]
    assert finding.severity is Severity.ERROR  # /team/ declares no canonical: not consolidated
    assert finding.evidence["variant_of"] == u("/team/")
    # No other finding names it: not an orphan, not missing from the sitemap or a canonical,
    # no duplicate of /team/ (content or title), in no evidence list.
    naming = [(f.rule, f.url) for f in analysis.findings
              if variant in json.dumps([f.url, f.evidence])]
    assert naming == [("CAN010", variant)]
    with site_crawl.store() as store:
        assert store.fetch(variant) is None  # its answer is in variants only
        [row] = store.query("SELECT v.status, v.kind, o.url FROM variants v "
                            "JOIN urls u ON u.id = v.url_id JOIN urls o ON o.id = v.of_url_id "
                            "WHERE u.url = ?", (variant,))
        assert tuple(row) == (200, "index", u("/team/"))
    assert [r.method for r in site_crawl.requests if r.path == "/team/index.html"] == ["GET"]
    # Twins: the page the site links to is judged as a page; a variant that redirects in
    # one permanent hop is requested and named by no finding at all.
    assert ("CAN001", u("/team/")) in found
    assert [r.path for r in site_crawl.requests if r.path == "/html"] == ["/html"]
    assert not [f for f in analysis.findings if f.url == u("/html")]


@pytest.fixture(scope="module")
def shuffled_runs(tmp_path_factory):
    """The fixture site crawled once per RUNS entry through a server that delays every
    answer by a random 0-60 ms, so pages arrive in a different order each time."""
    results = []
    with SiteServer(FIXTURE_SITE, jitter=0.06, seed=9) as server:
        for concurrency, workers in RUNS:
            server.reset_sequences()
            out = tmp_path_factory.mktemp(f"c{concurrency}") / "run"
            crawl = crawl_site(server.url("site"), out, {
                "concurrency": concurrency, "parse_workers": workers,
                "max_page_bytes": 1_000_000})
            assert crawl.result.returncode == 0, crawl.result.stderr
            results.append(comparable(analyze(crawl.store_path, load_config()).findings))
    return results


@pytest.mark.parametrize("index", range(1, len(RUNS)), ids=lambda i: "c%d-w%d" % RUNS[i])
def test_shuffled_crawls_report_the_same_findings(shuffled_runs, index):
    first, other = shuffled_runs[0], shuffled_runs[index]
    assert len(first) > 100
    assert finding_differences(first, other) == {}
