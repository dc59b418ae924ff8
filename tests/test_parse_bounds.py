"""Bounded parse per page (issue 11 §4): a page too complex to parse is recorded as such
(STS005) and the crawl goes on; a page nested deeper than the parser keeps is reported
(ONP015) with the links before the cut recorded. Real crawls of a loopback site, with pages
parsed in the crawl process (parse_workers 0) and in a worker (1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import crawl_site

from readiness.crawl.parse_worker import STALL_ON_ENV
from readiness.demo.server import SiteServer
from readiness.page.tree import PARSER_MAX_DEPTH
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

HUGE = 100_000
# One element with 100,000 attributes: minutes in lexbor before the pre-check.
ATTRIBUTES_PAGE = ("<html><head><title>Attributes</title></head><body><div "
                   + " ".join(f'a{i}="x"' for i in range(HUGE))
                   + '></div><a href="/after-attributes">after</a></body></html>')
# Its clean twin: as big, but 100,000 short elements.
ELEMENTS_PAGE = ("<html><head><title>Elements</title></head><body>"
                 + '<i class="x">x</i>' * HUGE
                 + '<a href="/after-elements">after</a></body></html>')


def nested_page(depth: int, deep_link: str) -> str:
    return ('<html><head><title>Nested</title></head><body><a href="/before-cut">before</a>'
            + "<div>" * depth + f'<p>deep text</p><a href="{deep_link}">deep</a>'
            + "</div>" * depth + "</body></html>")


PAGES = {
    "/attributes": ATTRIBUTES_PAGE,
    "/elements": ELEMENTS_PAGE,
    "/deep": nested_page(HUGE, "/past-cut"),
    "/shallow": nested_page(200, "/inside-shallow"),
    "/stall": "<html><head><title>Stall</title></head><body>stall</body></html>",
}
TARGETS = ("/after-elements", "/before-cut", "/inside-shallow")
PLAIN = [f"/plain-{n}" for n in range(8)]


def page_with_links(*paths: str) -> str:
    return "<html><head><title>Home</title></head><body>" + "".join(
        f'<a href="{path}">{path}</a>' for path in paths) + "</body></html>"


def site_manifest() -> dict:
    routes = {"/": {"body": page_with_links(*PAGES, *PLAIN)}}
    routes.update({path: {"body": body} for path, body in PAGES.items()})
    routes.update({path: {"body": page_with_links("/")} for path in (*TARGETS, *PLAIN)})
    return {"hosts": {"site": "127.0.0.1"}, "routes": {"site": routes}}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("parse-bounds") / "site"
    site_dir.mkdir()
    (site_dir / "site.yaml").write_text(yaml.safe_dump(site_manifest()), encoding="utf-8")
    with SiteServer(site_dir) as server:
        yield server


def crawl(server: SiteServer, out: Path, **settings):
    crawl = crawl_site(server.url("site"), out, {
        "probe": {"enabled": False}, "max_page_bytes": 4_000_000, **settings})
    # It ends (run_cli's own bound), and as a crawl that ran to completion.
    assert crawl.result.returncode in (0, 1), crawl.result.stderr
    return crawl


@pytest.fixture(scope="module", params=[0, 1], ids=["in-process", "worker"])
def crawled(site, tmp_path_factory, request):
    out = tmp_path_factory.mktemp(f"workers{request.param}") / "run"
    return site, crawl(site, out, parse_workers=request.param)


def findings(crawl, url: str, rule: str) -> list:
    analysis = analyze(crawl.store_path, load_config())
    return [f for f in analysis.findings if f.url == url and f.rule == rule]


def test_a_page_with_100k_attributes_is_too_complex_and_the_crawl_goes_on(crawled):
    server, run = crawled
    url = server.url("site", "/attributes")
    with run.store() as store:
        fetch = store.fetch(url)
        parsed = {row["url"] for row in store.query(
            "SELECT u.url FROM pages p JOIN urls u ON u.id = p.url_id")}
    assert (fetch["status"], fetch["error"], fetch["parse"]) == (200, None, "too-complex")
    assert "100,000 attributes" in fetch["parse_detail"]
    assert fetch["headers"]  # the fetch's headers stand
    assert url not in parsed
    # Every other page is stored, the big clean twin among them.
    for path in ("/", "/elements", "/shallow", "/stall", *TARGETS, *PLAIN):
        assert server.url("site", path) in parsed, path
    [finding] = findings(run, url, "STS005")
    assert "100,000 attributes" in finding.message
    assert finding.severity.value == "warning"


def test_a_big_page_of_short_elements_is_not_too_complex(crawled):
    server, run = crawled
    url = server.url("site", "/elements")
    with run.store() as store:
        assert store.fetch(url)["parse"] is None
    assert not findings(run, url, "STS005")
    assert not findings(run, url, "ONP015")


def test_100k_nested_divs_are_reported_with_the_links_before_the_cut(crawled):
    server, run = crawled
    deep, shallow = server.url("site", "/deep"), server.url("site", "/shallow")
    with run.store() as store:
        cuts = {row["url"]: row["nesting_cut"] for row in store.query(
            "SELECT u.url, p.nesting_cut FROM pages p JOIN urls u ON u.id = p.url_id")}
        targets = {row["url"] for row in store.query(
            "SELECT t.url FROM links l JOIN urls s ON s.id = l.source_id "
            "JOIN urls t ON t.id = l.target_id WHERE s.url = ?", (deep,))}
    assert cuts[deep] == PARSER_MAX_DEPTH
    assert cuts[shallow] is None
    assert server.url("site", "/before-cut") in targets
    assert server.url("site", "/past-cut") not in targets  # lost, and now reported
    [finding] = findings(run, deep, "ONP015")
    assert finding.evidence["nesting_cut"] == PARSER_MAX_DEPTH
    assert f"depth {PARSER_MAX_DEPTH}" in finding.message
    assert not findings(run, shallow, "ONP015")


def test_a_page_past_the_deadline_restarts_the_worker_and_loses_no_other_page(
        site, tmp_path, monkeypatch):
    """The worker never answers for /stall: at crawl.parse_timeout it is killed, /stall is
    too complex (not parsed in the crawl process instead) and the pages queued behind it
    are parsed by its replacement."""
    monkeypatch.setenv(STALL_ON_ENV, "/stall")
    # The deadline must stay above what a real page costs on a loaded machine: /elements
    # (100,000 short elements) took over 2 s under four test processes and two busy cores.
    run = crawl(site, tmp_path / "run", parse_workers=1, parse_timeout=15)
    url = site.url("site", "/stall")
    with run.store() as store:
        fetch = store.fetch(url)
        parsed = {row["url"] for row in store.query(
            "SELECT u.url FROM pages p JOIN urls u ON u.id = p.url_id")}
        stats = store.meta()["stats"]
    assert (fetch["status"], fetch["parse"]) == (200, "too-complex")
    assert "crawl.parse_timeout" in fetch["parse_detail"]
    assert url not in parsed
    assert "readiness/parse_worker_lost" not in stats
    for path in ("/", "/elements", "/shallow", *TARGETS, *PLAIN):
        assert site.url("site", path) in parsed, path
    [finding] = findings(run, url, "STS005")
    assert "parse_timeout" in finding.message
    log = (run.out / "crawl.log").read_text()
    assert "parse worker 1 spent over 15 s on" in log
