"""Bounded cost on hostile answers (issue 11 §4): each is recorded as what it is, on a real
loopback site, and its harmless twin is not flagged."""

from __future__ import annotations

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
