"""Bounded cost on hostile answers (issue 11 §4): each is recorded as what it is, on a real
loopback site, and its harmless twin is not flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import crawl_site

from readiness.demo.server import SiteServer
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

MAX_PAGE_BYTES = 100_000
# Compresses to a few KiB, so only decompression finds it over the limit.
COMPRESSIBLE_BIG_BODY = "<html><body><p>" + "big " * (MAX_PAGE_BYTES // 2) + "</p></body></html>"
CHAIN_HOSTS = 12   # more hosts than the prober's 10 redirects, every URL different


def links_page(*paths: str) -> str:
    return "<html><head><title>Home</title></head><body>" + "".join(
        f'<a href="{path}">{path}</a>' for path in paths) + "</body></html>"


def serve(site_dir: Path, manifest: dict) -> SiteServer:
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / "site.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return SiteServer(site_dir)


def findings_at(analysis, url: str) -> list:
    return [f for f in analysis.findings if f.url == url]


@pytest.fixture(scope="module")
def oversize(tmp_path_factory):
    root = tmp_path_factory.mktemp("oversize")
    manifest = {"hosts": {"site": "127.0.0.1"}, "routes": {"site": {
        "/": {"body": links_page("/big-gzip", "/big-plain", "/small-gzip")},
        "/big-gzip": {"body": COMPRESSIBLE_BIG_BODY, "content_encoding": "gzip"},
        "/big-plain": {"size": MAX_PAGE_BYTES * 2},
        "/small-gzip": {"body": links_page("/"), "content_encoding": "gzip"},
    }}}
    with serve(root / "site", manifest) as server:
        crawl = crawl_site(server.url("site"), root / "run", {
            "probe": {"enabled": False}, "max_page_bytes": MAX_PAGE_BYTES})
        assert crawl.result.returncode in (0, 1), crawl.result.stderr
        yield server, crawl


def test_a_compressed_overrun_is_too_large_like_an_uncompressed_one(oversize):
    server, crawl = oversize
    with crawl.store() as store:
        big_gzip = store.fetch(server.url("site", "/big-gzip"))
        big_plain = store.fetch(server.url("site", "/big-plain"))
        small_gzip = store.fetch(server.url("site", "/small-gzip"))
    assert (big_gzip["status"], big_gzip["error"]) == (None, "too-large")
    assert (big_plain["status"], big_plain["error"]) == (None, "too-large")
    assert (small_gzip["status"], small_gzip["error"]) == (200, None)
    analysis = analyze(crawl.store_path, load_config())
    gzip_findings = {(f.rule, f.severity.value)
                     for f in findings_at(analysis, server.url("site", "/big-gzip"))}
    plain_findings = {(f.rule, f.severity.value)
                      for f in findings_at(analysis, server.url("site", "/big-plain"))}
    assert ("STS002", "warning") in gzip_findings
    assert gzip_findings == plain_findings
    assert not [f for f in findings_at(analysis, server.url("site", "/small-gzip"))
                if f.rule.startswith("STS")]


@pytest.fixture(scope="module")
def redirects(tmp_path_factory):
    root = tmp_path_factory.mktemp("redirects")
    chain = [f"chain_{i}" for i in range(CHAIN_HOSTS)]
    # All on one loopback address the tests may reach, each its own port: its own netloc.
    hosts = {"site": "127.0.0.1", "loop_a": "127.0.0.2", "loop_b": "127.0.0.2",
             **{name: "127.0.0.2" for name in chain}}
    routes = {"site": {"/": {"body": links_page(
        f"http://${{{chain[0]}}}/hop", "http://${loop_a}/hop", "http://${loop_b}/short")}}}
    for here, there in zip(chain, chain[1:] + chain[:1]):   # a cycle through every host
        routes[here] = {"/hop": {"status": 301, "location": f"http://${{{there}}}/hop"}}
    routes["loop_a"] = {"/hop": {"status": 301, "location": "http://${loop_b}/hop"}}
    routes["loop_b"] = {"/hop": {"status": 301, "location": "http://${loop_a}/hop"},
                        "/short": {"status": 301, "location": "/landed"},
                        "/landed": {"body": links_page()}}
    manifest = {"hosts": hosts, "routes": routes}
    with serve(root / "site", manifest) as server:
        crawl = crawl_site(server.url("site"), root / "run")
        assert crawl.result.returncode in (0, 1), crawl.result.stderr
        yield server, crawl, chain


def test_a_long_redirect_chain_is_too_many_redirects_and_a_repeat_a_loop(redirects):
    server, crawl, chain = redirects
    with crawl.store() as store:
        long_chain = store.probe(server.url(chain[0], "/hop"))
        loop = store.probe(server.url("loop_a", "/hop"))
        short = store.probe(server.url("loop_b", "/short"))
    assert long_chain["error"] == "too-many-redirects"
    hops = [hop["url"] for hop in json.loads(long_chain["hops"])]
    assert len(set(hops)) == len(hops) == 11
    assert loop["error"] == "redirect-loop"
    assert (short["verdict"], short["error"], short["status"]) == ("redirected", None, 200)
    analysis = analyze(crawl.store_path, load_config())
    messages = {f.url: f.message for f in analysis.findings if f.rule == "LNK001"}
    assert "too many redirects" in messages[server.url(chain[0], "/hop")]
    assert "redirects in a loop" in messages[server.url("loop_a", "/hop")]
    assert server.url("loop_b", "/short") not in messages
