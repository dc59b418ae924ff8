"""Crawl depth is each URL's smallest depth from a seed, whatever order responses arrive in.

tests/depth_site: /slow/ answers 2 s late, so /target and /mid are met first through longer
paths (depth 4 and 3; /hop, a redirect, and /refresh, a meta refresh, at 3) and only later at their true depth 2. With crawl.max_depth 3 the crawl
must fetch /target after all, store depth 2 for it, and fetch what lies beneath both at true
depth 3; URLs truly at depth 4 stay max-depth skips. Every seed shuffles the other answers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TEST_PROBE, crawl_site, run_cli
from test_gate_incomplete import WAIT, fetched, wait_for

from readiness.demo.server import SiteServer
from readiness.store import open_store

DEPTH_SITE = REPO / "tests" / "depth_site"

# URL path -> (fetched, stored depth, skip reason) with crawl.max_depth 3.
EXPECTED = {
    "/": (1, 0, None),
    "/slow/": (1, 1, None),
    "/f1": (1, 1, None), "/f2": (1, 2, None), "/f3": (1, 3, None),
    "/g1": (1, 1, None), "/g2": (1, 2, None),
    "/target": (1, 2, None),        # met first at 4 (a max-depth skip before the fix)
    "/target-below": (1, 3, None),  # beneath it: lost with it before the fix
    "/mid": (1, 2, None),           # met first at 3: fetched either way, stored depth 2
    "/mid-below": (1, 3, None),     # beneath it: met first at 4 before the fix
    "/hop": (1, 2, None),           # a redirect met first at 3: fetched, its target too
    "/hop-target": (1, 2, None),    # the redirect's depth (decided again from the store)
    "/hop-below": (1, 3, None),     # beneath it: met first at 4 before the fix
    "/refresh": (1, 2, None),       # a meta refresh met first at 3
    "/refresh-target": (1, 2, None),  # the refresh's depth (decided again from the store)
    "/refresh-below": (1, 3, None),   # beneath it: a max-depth skip before the fix
    # The clean twins: truly past the limit.
    "/deep4": (0, 4, "max-depth"),
    "/beyond": (0, 4, "max-depth"),
}


@pytest.fixture(params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def depth_server(request):
    with SiteServer(DEPTH_SITE, jitter=0.05, seed=request.param) as server:
        yield server


def test_each_url_keeps_its_smallest_depth_whatever_the_response_order(depth_server, tmp_path):
    crawl = crawl_site(depth_server.url("site"), tmp_path / "run",
                       {"max_depth": 3, "concurrency": 8, "probe": {"enabled": False}})
    assert crawl.result.returncode in (0, 1), crawl.result.stderr
    assert_smallest_depths(crawl.store_path, depth_server.url("site").rstrip("/"))


def assert_smallest_depths(store_path, prefix: str) -> None:
    with open_store(store_path) as store:
        rows = {url[len(prefix):]: (fetched, depth, error) for url, fetched, depth, error in
                store.query("SELECT u.url, f.fetched, f.depth, f.error FROM fetches f "
                            "JOIN urls u ON u.id = f.url_id")}
        queued = {url[len(prefix):]: depth for url, depth in store.query(
            "SELECT u.url, q.depth FROM queue q JOIN urls u ON u.id = q.url_id")}
        meta = store.meta()
    assert {path: rows.get(path) for path in EXPECTED} == EXPECTED
    # The frontier agrees (what --resume would request at which depth).
    assert {path: queued[path] for path in EXPECTED if EXPECTED[path][0]} == {
        path: depth for path, (fetched, depth, _) in EXPECTED.items() if fetched}
    assert meta["limits_hit"] == ["max_depth"]


def test_a_resumed_crawl_lowers_the_depths_the_interrupted_one_stored(tmp_path):
    """Killed while /slow/ is still on its way (the longer paths' pages stored at depth 3,
    /target a max-depth skip): the resumed crawl requests /slow/ again and lowers them."""
    with SiteServer(DEPTH_SITE) as server:
        out = killed_and_resumed(server, {"max_depth": 3}, "/hop-target", tmp_path)
        assert_smallest_depths(out / "crawl.sqlite", server.url("site").rstrip("/"))


def killed_and_resumed(server: SiteServer, crawl: dict, stored_path: str, tmp_path) -> Path:
    """The run folder of a crawl of ``server`` (its ``crawl:`` section, 8 requests at a time,
    no probes) killed once ``stored_path`` answered 200 in its store, then resumed to its end."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {
        **crawl, "concurrency": 8, "probe": {**TEST_PROBE, "enabled": False}}}))
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "readiness.cli", "crawl", server.url("site"), "--config",
         str(config), "--out", str(out), "--reports-dir", str(tmp_path), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True)
    wait_for(lambda: fetched(out / "crawl.sqlite", server.url("site", stored_path)),
             process, f"{stored_path} stored")
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT)
    resumed = run_cli("crawl", "--resume", str(out), "--quiet")
    assert resumed.returncode in (0, 1), resumed.stderr
    return out
