"""crawl.max_pages counts pages, not the images, scripts and stylesheets they load, whichever
way a URL is met first: a URL a page loads as a resource is fetched and holds no place of the
budget, also when a link reached it first (tests/budget_site/site.yaml says what is planted).
Every seed shuffles the answers."""

from __future__ import annotations

import pytest
from conftest import REPO, crawl_site
from test_crawl_depth import killed_and_resumed

from readiness.demo.server import SiteServer
from readiness.store import open_store

BUDGET_SITE = REPO / "tests" / "budget_site"

# URL path -> (fetched, skip reason) from / with crawl.max_pages 4.
EXPECTED = {
    "/": (1, None), "/p1": (1, None), "/p2": (1, None), "/p3": (1, None),
    "/pic-a": (1, None),        # a link met first, past the budget: skipped before the fix
    "/pic-b": (1, None),        # an <img> met first
    "/only-img": (1, None),
    # The clean twins: links only, past the budget.
    "/only-linked": (0, "max-pages"),
    "/p4": (0, "max-pages"),
}

# From /gb/ with crawl.max_pages 3: the logo's place goes back when /gb/p1 shows it.
EXPECTED_GIVEN_BACK = {
    "/gb/": (1, None), "/gb/logo.png": (1, None), "/gb/p1": (1, None),
    "/gb/p2": (1, None),        # within the budget once the logo is a resource: skipped before
    "/gb/p3": (0, "max-pages"),  # the clean twin: past it all the same
}


@pytest.fixture(params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def budget_server(request):
    with SiteServer(BUDGET_SITE, jitter=0.05, seed=request.param) as server:
        yield server


def outcomes(store_path, prefix: str) -> tuple[dict[str, tuple[int, str | None]], list[str]]:
    with open_store(store_path) as store:
        rows = {url[len(prefix):]: (fetched, error) for url, fetched, error in store.query(
            "SELECT u.url, f.fetched, f.error FROM fetches f JOIN urls u ON u.id = f.url_id")}
        return rows, store.meta()["limits_hit"]


def test_a_resource_is_fetched_whichever_way_it_was_met_first(budget_server, tmp_path):
    crawl = crawl_site(budget_server.url("site"), tmp_path / "run",
                       {"max_pages": 4, "concurrency": 8, "probe": {"enabled": False}})
    assert crawl.result.returncode in (0, 1), crawl.result.stderr
    rows, limits_hit = outcomes(crawl.store_path, budget_server.url("site").rstrip("/"))
    assert {path: rows.get(path) for path in EXPECTED} == EXPECTED
    assert limits_hit == ["max_pages"]


def test_a_page_met_as_a_resource_gives_its_place_back(budget_server, tmp_path):
    crawl = crawl_site(budget_server.url("site", "/gb/"), tmp_path / "run",
                       {"max_pages": 3, "concurrency": 8, "probe": {"enabled": False}})
    assert crawl.result.returncode in (0, 1), crawl.result.stderr
    rows, limits_hit = outcomes(crawl.store_path, budget_server.url("site").rstrip("/"))
    assert {path: rows.get(path) for path in EXPECTED_GIVEN_BACK} == EXPECTED_GIVEN_BACK
    assert limits_hit == ["max_pages"]


def test_a_resumed_crawl_fetches_a_skipped_page_it_meets_as_a_resource(tmp_path):
    """Killed while /p2 is on its way (/pic-a a max-pages skip, the budget spent): the resumed
    crawl takes the places and resources back from the store, requests /p2 again and fetches
    /pic-a as its image."""
    with SiteServer(BUDGET_SITE) as server:
        out = killed_and_resumed(server, {"max_pages": 4}, "/p1", tmp_path)
        rows, limits_hit = outcomes(out / "crawl.sqlite", server.url("site").rstrip("/"))
    assert {path: rows.get(path) for path in EXPECTED} == EXPECTED
    assert limits_hit == ["max_pages"]
