"""A page the extractor raises on (a bug in readiness) is a fact, not only a log line: its
fetch records parse = failed with the exception, STS006 reports it as an error, and the run
is not ready; the other pages are parsed as usual. Real crawls of a loopback site, parsed in
the crawl process (parse_workers 0) and in a worker (1); the raise is planted by
tests/extractor_raises_hook (why a hook: its module docs)."""

from __future__ import annotations

import os

import pytest
import yaml
from conftest import REPO, crawl_site

from readiness.demo.server import SiteServer
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

HOOK = REPO / "tests" / "extractor_raises_hook"
PAGE = ("<html lang=en><head><title>{0}</title><meta name=viewport content='width=device-width, "
        "initial-scale=1'></head><body><main><p>{0}</p>{1}</main></body></html>")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("parse-failed") / "site"
    site_dir.mkdir()
    links = '<a href="/raises">raises</a><a href="/twin">twin</a>'
    routes = {"/": {"body": PAGE.format("Home", links)},
              "/raises": {"body": PAGE.format("Raises", '<a href="/">home</a>')},
              "/twin": {"body": PAGE.format("Twin", '<a href="/">home</a>')}}
    (site_dir / "site.yaml").write_text(yaml.safe_dump(
        {"hosts": {"site": "127.0.0.1"}, "routes": {"site": routes}}), encoding="utf-8")
    with SiteServer(site_dir) as server:
        yield server


@pytest.fixture(scope="module", params=[0, 1], ids=["in-process", "worker"])
def crawled(site, tmp_path_factory, request):
    out = tmp_path_factory.mktemp(f"workers{request.param}") / "run"
    path = os.pathsep.join(p for p in (str(HOOK), os.environ.get("PYTHONPATH")) if p)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", path)
        patch.setenv("READINESS_TEST_EXTRACTOR_RAISES_ON", "/raises")
        crawl = crawl_site(site.url("site"), out, {
            "probe": {"enabled": False}, "parse_workers": request.param}, command="check")
    return crawl


def test_a_page_the_extractor_raises_on_is_recorded_and_reported(site, crawled):
    url, twin = site.url("site", "/raises"), site.url("site", "/twin")
    with crawled.store() as store:
        fetch, twin_fetch = store.fetch(url), store.fetch(twin)
        parsed = {row[0] for row in store.query(
            "SELECT u.url FROM pages p JOIN urls u ON u.id = p.url_id")}
    assert (fetch["status"], fetch["parse"]) == (200, "failed")
    assert fetch["parse_detail"] == f"ZeroDivisionError: planted by the test on {url}"
    assert url not in parsed
    assert twin_fetch["parse"] is None and twin in parsed and site.url("site", "/") in parsed
    every = list(analyze(crawled.store_path, load_config()).findings)
    findings = [f for f in every if f.rule == "STS006"]
    assert [f.url for f in findings] == [url]  # the twin is not named
    assert "ZeroDivisionError" in findings[0].message
    # The gate: not ready (exit 1) because of that page alone; the crawl itself complete.
    assert [(f.rule, f.url) for f in every if f.severity.value == "error"] == [("STS006", url)]
    assert crawled.result.returncode == 1, crawled.result.stderr
    assert "parsing " + url + " failed" in (crawled.out / "crawl.log").read_text()
