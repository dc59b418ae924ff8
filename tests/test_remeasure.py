"""Which slow pages are measured again (readiness.crawl.remeasure.remeasure_candidates): chosen
from the crawl store after the crawl, so the choice depends on the site, not on arrival order."""

from __future__ import annotations

import random

from readiness.crawl.remeasure import remeasure_candidates
from readiness.store.sqlite import SQLiteCrawlStore


def written_store(path, pages, order_seed):
    """A crawl store holding ``pages`` ({path: (ttfb, elapsed, status, html)}) written in a
    shuffled order, as responses arrive."""
    store = SQLiteCrawlStore(path)
    store.open({"run_id": "t"}, fresh=True)
    items = list(pages.items())
    random.Random(order_seed).shuffle(items)
    for path, (ttfb, elapsed, status, html) in items:
        url_id = store.intern(f"http://site.test{path}", True)
        store.add("fetches", {"url_id": url_id, "status": status, "fetched": 1,
                              "ttfb_ms": ttfb, "elapsed_ms": elapsed})
        if html:
            store.add("pages", {"url_id": url_id, "title": path})
    return store


PAGES = {
    "/a-slow-start": (900.0, 950.0, 200, True),
    "/b-slow-download": (100.0, 2500.0, 200, True),
    "/c-fast": (100.0, 200.0, 200, True),
    "/d-slow-error-page": (900.0, 950.0, 500, True),
    "/e-slow-image.png": (900.0, 950.0, 200, False),  # a resource, not a page
    "/f-slow-start": (700.0, 750.0, 200, True),
}


def test_slow_pages_by_either_timing_smallest_urls_first_within_the_cap(tmp_path):
    chosen = []
    for seed in range(3):
        store = written_store(tmp_path / f"{seed}.sqlite", PAGES, seed)
        chosen.append([url for _, url in remeasure_candidates(store, 600, 1500, limit=2)])
        everything = [url for _, url in remeasure_candidates(store, 600, 1500, limit=200)]
        store.close()
    assert chosen == 3 * [["http://site.test/a-slow-start", "http://site.test/b-slow-download"]]
    assert everything == ["http://site.test/a-slow-start", "http://site.test/b-slow-download",
                          "http://site.test/f-slow-start"]


def test_a_measure_set_to_zero_is_not_re_checked_and_measured_pages_are_done(tmp_path):
    store = written_store(tmp_path / "s.sqlite", PAGES, 0)
    assert [u for _, u in remeasure_candidates(store, 0, 1500, 200)] == [
        "http://site.test/b-slow-download"]
    assert remeasure_candidates(store, 0, 0, 200) == []
    url_id = store.url_id("http://site.test/a-slow-start")
    store.add("fetches", {"url_id": url_id, "status": 200, "fetched": 1, "ttfb_ms": 900.0,
                          "timings": [{"ttfb_ms": 900.0}, {"ttfb_ms": 80.0}]})
    assert "http://site.test/a-slow-start" not in [
        u for _, u in remeasure_candidates(store, 600, 1500, 200)]
    store.close()
