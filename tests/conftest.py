"""Shared fixtures: the fixture site on real loopback sockets, and crawls of it.

A crawl runs in a subprocess (`python -m readiness.cli crawl …`), exactly as a user runs it:
Twisted's reactor cannot be restarted inside one test process, and the subprocess proves the
CLI end to end. The server stays in this process, so tests can read its request log.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from readiness.demo.server import SiteServer
from readiness.store import CrawlStoreReader, open_store

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SITE = REPO / "tests" / "fixture_site"

# Short timeouts and no waiting: the outside hosts are local, and the slow one must time out.
TEST_PROBE = {"timeout": 2.0, "retries": 1, "backoff": 0.2, "delay": 0, "cache_ttl_hours": 0}


@dataclass
class Crawl:
    out: Path
    store_path: Path
    result: subprocess.CompletedProcess

    def store(self) -> CrawlStoreReader:
        return open_store(self.store_path)


def run_cli(*args: str, timeout: float = 180, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "readiness.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or REPO)


def crawl_site(url: str, out: Path, crawl: dict | None = None, extra: dict | None = None,
               command: str = "crawl") -> Crawl:
    config = {"crawl": {"probe": dict(TEST_PROBE), **(crawl or {})}, **(extra or {})}
    config_path = out.parent / f"{out.name}.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = run_cli(command, url, "--config", str(config_path), "--out", str(out),
                     "--reports-dir", str(out.parent), "--quiet")
    return Crawl(out, out / "crawl.sqlite", result)


@pytest.fixture(scope="session")
def fixture_server():
    with SiteServer(FIXTURE_SITE) as server:
        yield server


@pytest.fixture(scope="session")
def site_crawl(fixture_server, tmp_path_factory) -> Crawl:
    """One crawl of the whole fixture site, shared by the tests that only read its store."""
    fixture_server.reset_log()
    fixture_server.reset_sequences()
    out = tmp_path_factory.mktemp("crawl") / "run"
    crawl = crawl_site(fixture_server.url("site"), out, {"max_page_bytes": 1_000_000})
    assert crawl.result.returncode == 0, crawl.result.stderr
    crawl.requests = list(fixture_server.requests)  # the server's log of this crawl only
    return crawl
