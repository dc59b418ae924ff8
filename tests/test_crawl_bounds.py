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


def robots_txt(disallowed: str, padding_bytes: int) -> str:
    # Comment lines: Google reads them as nothing, but they count towards the 500 KiB.
    lines, line = [], "# " + "x" * 1000
    while len(lines) * (len(line) + 1) < padding_bytes:
        lines.append(line)
    return f"User-agent: *\nDisallow: {disallowed}\n" + "\n".join(lines) + \
        "\nDisallow: /after-the-limit\n"


@pytest.fixture(scope="module")
def big_robots(tmp_path_factory):
    root = tmp_path_factory.mktemp("robots")
    home = {"body": links_page("/private/page", "/after-the-limit", "/open")}
    pages = {path: {"body": links_page()} for path in ("/private/page", "/after-the-limit", "/open")}
    manifest = {"hosts": {"site": "127.0.0.1", "small": "127.0.0.2"}, "routes": {
        # 9 MiB, over the crawl's 8 MiB page limit as well as Google's 500 KiB.
        "site": {"/": home, **pages, "/robots.txt": {"body": robots_txt("/private/", 9 * 2 ** 20),
                                            "content_type": "text/plain"}},
        "small": {"/": home, **pages, "/robots.txt": {"body": robots_txt("/private/", 10_000),
                                             "content_type": "text/plain"}},
    }}
    with serve(root / "site", manifest) as server:
        crawls = {host: crawl_site(server.url(host), root / host, {"probe": {"enabled": False}})
                  for host in ("site", "small")}
        for crawl in crawls.values():
            assert crawl.result.returncode in (0, 1), crawl.result.stderr
        yield server, crawls


def assert_first_500_kib_applied(server, crawls: dict, oversized: str) -> None:
    """The ``oversized`` host's robots.txt applies its first 500 KiB and is reported by
    IDX007; the other host's small one applies whole and is not."""
    for host, crawl in crawls.items():
        with crawl.store() as store:
            robots = store.query("SELECT status, error, truncated, length(body) FROM robots"
                                 ).fetchone()
            private = store.fetch(server.url(host, "/private/page"))
            after = store.fetch(server.url(host, "/after-the-limit"))
            assert store.fetch(server.url(host, "/open"))["status"] == 200
        assert private["robots_blocked"] == 1 and private["status"] is None
        status, error, truncated, length = robots
        assert (status, error, truncated) == (200, None, int(host == oversized))
        # What is stored and applied is the first 500 KiB, never more.
        assert length <= 512 * 1024 if host == oversized else length < 20_000
        # Past Google's limit the last rule is not read; in a small file it applies.
        assert after["robots_blocked"] == int(host != oversized)
        idx007 = [f for f in analyze(crawl.store_path, load_config()).findings
                  if f.rule == "IDX007" and "robots" in f.message]
        assert [(f.url, f.severity.value) for f in idx007] == (
            [(server.url(host, "/robots.txt"), "warning")] if host == oversized else [])
    assert not [r for r in server.requests if r.path == "/private/page"]


def test_an_oversized_robots_txt_applies_its_first_500_kib_and_is_reported(big_robots):
    server, crawls = big_robots
    assert_first_500_kib_applied(server, crawls, "site")


@pytest.fixture(scope="module")
def gzip_robots(tmp_path_factory):
    root = tmp_path_factory.mktemp("gzip-robots")
    home = {"body": links_page("/private/page", "/after-the-limit", "/open")}
    pages = {path: {"body": links_page()} for path in ("/private/page", "/after-the-limit", "/open")}
    robots = {"file": "robots.txt", "content_type": "text/plain", "content_encoding": "gzip"}
    manifest = {"hosts": {"big": "127.0.0.1", "small": "127.0.0.2"}, "routes": {
        host: {"/": home, **pages, "/robots.txt": robots} for host in ("big", "small")}}
    site_dir = root / "site"
    for host, size in (("big", 50 * 10 ** 6), ("small", 10_000)):
        # 50 MB is ~110 KB gzipped: far under any wire limit, far over the 8 MiB page limit
        # once decompressed.
        (site_dir / host).mkdir(parents=True)
        (site_dir / host / "robots.txt").write_text(robots_txt("/private/", size),
                                                    encoding="utf-8")
    with serve(site_dir, manifest) as server:
        crawls = {host: crawl_site(server.url(host), root / host, {"probe": {"enabled": False}})
                  for host in ("big", "small")}
        for crawl in crawls.values():
            assert crawl.result.returncode in (0, 1), crawl.result.stderr
        yield server, crawls


def test_a_gzip_robots_txt_past_the_page_limit_applies_its_first_500_kib(gzip_robots):
    server, crawls = gzip_robots
    assert_first_500_kib_applied(server, crawls, "big")
