"""Same site, same findings, for sitemaps named more than once: a sitemap that robots.txt and
two sitemap indexes name is reported with every naming, sorted, whichever index answered
first (tests/sitemap_namings_site/site.yaml), in one process and with two workers; and
the shards of workers that each read some of the namings merge into their union."""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO, TEST_PROBE, comparable, crawl_site, finding_differences
from test_distributed import RUN, start_worker

from readiness.demo.server import SiteServer
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config
from readiness.store import SQLiteCrawlStore, open_store
from readiness.store.merge import merge_shards
from readiness.store.records import Sitemap, SitemapNaming

NAMINGS_SITE = REPO / "tests" / "sitemap_namings_site"
# Every answer waits 0-300 ms more: index-a and index-b, requested together, answer in
# either order (seeds 1-4 give both orders on main, where the first answer's naming won).
JITTER = 0.3
SEEDS = (1, 2, 3, 4)
CRAWL = {"probe": dict(TEST_PROBE), "concurrency": 4}
SITEMAP_RULES = ("IDX007", "IDX009")


def sitemap_findings(store_path) -> dict[str, tuple]:
    return {finding_id: finding for finding_id, finding
            in comparable(analyze(store_path, load_config()).findings).items()
            if finding[0] in SITEMAP_RULES}


@pytest.fixture(scope="module")
def server():
    with SiteServer(NAMINGS_SITE, jitter=JITTER) as server:
        yield server


@pytest.fixture(scope="module")
def seeded_runs(server, tmp_path_factory):
    """seed -> the IDX007/IDX009 findings of a one-process crawl with that jitter seed."""
    runs = {}
    for seed in SEEDS:
        server.reseed(seed)
        server.reset_log()
        out = tmp_path_factory.mktemp(f"seed{seed}") / "run"
        crawl = crawl_site(server.url("site"), out, CRAWL)
        assert crawl.result.returncode == 0, crawl.result.stderr
        assert not server.requests_for("ext_a"), "an off-host sitemap was fetched"
        runs[seed] = sitemap_findings(crawl.store_path)
    return runs


def expected_evidence(site: str, ext: str) -> dict[str, dict]:
    """url -> the evidence that matters, with the URLs of one server's run."""
    site, ext = site.rstrip("/"), ext.rstrip("/")
    return {
        f"{ext}/named-by-indexes.xml": {
            "found_in": ["index"], "named_in": [f"{site}/index-a.xml", f"{site}/index-b.xml"]},
        f"{ext}/named-by-robots-too.xml": {
            "found_in": ["robots", "index"],
            "named_in": [f"{site}/robots.txt", f"{site}/index-a.xml", f"{site}/index-b.xml"]},
    }


def check_namings(findings: dict[str, tuple], site: str, ext: str) -> None:
    by_rule_url = {(rule, url): evidence for rule, url, _sev, _msg, evidence in findings.values()}
    for url, evidence in expected_evidence(site, ext).items():
        got = by_rule_url[("IDX009", url)]
        assert {key: got[key] for key in evidence} == evidence, url
    # The clean twins: the site's own sitemaps are never "on another host".
    assert sorted(url for rule, url in by_rule_url if rule == "IDX009") == sorted(
        expected_evidence(site, ext))
    # No sitemap listing URLs was read: IDX007 lists each sitemap tried with all its namings.
    [tried] = [evidence["sitemaps_tried"] for (rule, _url), evidence in by_rule_url.items()
               if rule == "IDX007"]
    found_in = {t["url"]: t["found_in"] for t in tried}
    site = site.rstrip("/")
    assert found_in[f"{site}/gone.xml"] == ["robots", "index"]
    assert found_in[f"{site}/index-a.xml"] == ["robots"]


def test_every_naming_is_reported_sorted(seeded_runs, server):
    for findings in seeded_runs.values():
        check_namings(findings, server.url("site"), server.url("ext_a"))


@pytest.mark.parametrize("seed", SEEDS[1:])
def test_the_order_of_answers_changes_no_finding(seeded_runs, seed):
    first = seeded_runs[SEEDS[0]]
    assert len(first) == 3
    assert finding_differences(first, seeded_runs[seed]) == {}


def test_two_workers_record_the_namings_each_read(server, seeded_runs, redis_url, tmp_path):
    config = tmp_path / "worker.yaml"
    config.write_text(yaml.safe_dump({"crawl": {
        **CRAWL, "concurrency": 1,
        "distributed": {"redis_url": redis_url, "idle_close_seconds": 2}}}))
    out = tmp_path / RUN
    server.reseed(SEEDS[0])
    server.reset_log()
    workers = [start_worker(server.url("site"), config, out, f"worker-{n}") for n in (1, 2)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=240)
        assert worker.returncode == 0, stderr
    assert not server.requests_for("ext_a")
    with open_store(out / "crawl.sqlite") as store:
        assert len(store.meta()["workers"]) == 2
        # Each naming once, however many workers read it: robots.txt's 4 and 3 per index.
        namings = [tuple(row) for row in store.query(
            "SELECT s.url, p.url, n.found_in FROM sitemap_namings n "
            "JOIN urls s ON s.id = n.sitemap_id LEFT JOIN urls p ON p.id = n.parent_id")]
    assert len(namings) == len(set(namings)) == 10
    findings = sitemap_findings(out / "crawl.sqlite")
    check_namings(findings, server.url("site"), server.url("ext_a"))
    assert finding_differences(seeded_runs[SEEDS[0]], findings) == {}


def test_the_merge_keeps_each_naming_of_every_shard_once(tmp_path):
    """Worker 1 read robots.txt and index-a, worker 2 index-b and robots.txt again (both
    name the off-host sitemap; worker 1 recorded it off-site). Shards share URL ids."""
    ids = {"http://s.test/robots.txt": 1, "http://s.test/index-a.xml": 2,
           "http://s.test/index-b.xml": 3, "http://cdn.test/map.xml": 4}
    reads = {"one": [(4, None, "robots"), (4, 2, "index"), (4, 2, "index")],
             "two": [(4, 3, "index"), (4, None, "robots")]}
    shards = []
    for worker, namings in reads.items():
        shard = SQLiteCrawlStore(tmp_path / f"{worker}.sqlite", assign_id=ids.__getitem__)
        shard.open()
        for url in ids:
            shard.intern(url, "s.test" in url)
        for sitemap_id, parent_id, found_in in namings:
            shard.add(SitemapNaming(sitemap_id=sitemap_id, parent_id=parent_id,
                                    found_in=found_in))
        if worker == "one":
            shard.add(Sitemap(url_id=4, error="off-site"))
        shard.close({"finish_reason": "finished"})
        shards.append(shard.path)
    merged = tmp_path / "crawl.sqlite"
    merge_shards(shards, merged, {"finish_reason": "finished"})
    with open_store(merged) as store:
        rows = sorted(tuple(row) for row in store.query(
            "SELECT sitemap_id, IFNULL(parent_id, 0), found_in FROM sitemap_namings"))
    assert rows == [(4, 0, "robots"), (4, 2, "index"), (4, 3, "index")]
