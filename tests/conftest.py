"""Shared fixtures: the fixture site on real loopback sockets, and crawls of it.

A crawl runs in a subprocess (`python -m readiness.cli crawl …`), exactly as a user runs it:
Twisted's reactor cannot be restarted inside one test process, and the subprocess proves the
CLI end to end. The server stays in this process, so tests can read its request log.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.crawl.addresses import ALLOW_PRIVATE_ENV
from readiness.demo.server import SiteServer
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config
from readiness.store import CrawlStoreReader, open_store

REPO = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server")
FIXTURE_SITE = REPO / "tests" / "fixture_site"

# The fixture sites' own loopback addresses (their site.yaml hosts) are what the crawls may
# reach besides the hosts they name; the rest of 127.0.0.0/8 counts as private, as 10.x does
# in production (readiness.crawl.addresses; tests/test_ssrf.py serves "internal" hosts there).
FIXTURE_ADDRESSES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
os.environ[ALLOW_PRIVATE_ENV] = ",".join(f"{address}/32" for address in FIXTURE_ADDRESSES)

# Short timeouts and no waiting: the outside hosts are local, and the slow one must time out.
TEST_PROBE = {"timeout": 2.0, "retries": 1, "backoff": 0.2, "delay": 0, "cache_ttl_hours": 0}


@dataclass
class Crawl:
    out: Path
    store_path: Path
    result: subprocess.CompletedProcess

    def store(self) -> CrawlStoreReader:
        return open_store(self.store_path)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


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


# The test modules that take longest (`pytest --durations=60`: idle, test_distributed ~110 s,
# test_determinism ~40 s, test_crawl_modes ~35 s, test_parse_workers ~30 s; loaded, the same
# four and test_gate_incomplete lead). Collected first, so `make test`'s parallel processes
# (pytest-xdist, one module per process) start them first rather than end the run waiting on
# one of them.
# Only the order of modules changes: each module's tests keep theirs.
LONG_RUNNING_MODULES = ("test_distributed.py", "test_determinism.py", "test_crawl_modes.py",
                        "test_parse_workers.py", "test_gate_incomplete.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        name = item.path.name
        return LONG_RUNNING_MODULES.index(name) if name in LONG_RUNNING_MODULES else len(
            LONG_RUNNING_MODULES)

    items.sort(key=rank)  # stable: the order within a module is untouched


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A redis-server of the tests' own on a free loopback port (distributed runs)."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server (apt-get install redis-server; .ci/run installs it)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


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


@pytest.fixture(scope="session")
def analysis(site_crawl):
    """Stage 3 on the session crawl, computed once for every test module that reads it."""
    return analyze(site_crawl.store_path, load_config())


@pytest.fixture(scope="session")
def found(analysis):
    """{(rule code, url): finding}"""
    return {(f.rule, f.url): f for f in analysis.findings}


@pytest.fixture(scope="session")
def u(fixture_server):
    """URL of ``path`` on a fixture-site host (``site`` unless told)."""
    def url(path, host="site"):
        return fixture_server.url(host, path)
    return url


def facts_by_url(store) -> dict[str, object]:
    """Everything parsing put in the store, keyed by URL instead of crawl-order ids."""
    def rows(sql: str) -> list[tuple]:
        return sorted((tuple(row) for row in store.query(sql)), key=repr)

    pages = {row["url"]: {k: row[k] for k in row.keys() if k not in ("url", "url_id")}
             for row in store.query("SELECT u.url, p.* FROM pages p JOIN urls u ON u.id = p.url_id")}
    bodies = {row["url"]: zlib.decompress(row["html"]).decode("utf-8") for row in store.query(
        "SELECT u.url, b.html FROM bodies b JOIN urls u ON u.id = b.url_id")}
    return {
        "pages": pages,
        "bodies": bodies,
        "links": rows("SELECT s.url, t.url, l.raw, l.anchor, l.rel, l.element, l.region "
                      "FROM links l JOIN urls s ON s.id = l.source_id "
                      "LEFT JOIN urls t ON t.id = l.target_id"),
        "canonicals": rows("SELECT p.url, c.source, c.raw, t.url FROM canonicals c "
                           "JOIN urls p ON p.id = c.page_id LEFT JOIN urls t ON t.id = c.target_id"),
        "hreflang": rows("SELECT p.url, h.lang, h.raw, t.url, h.source FROM hreflang h "
                         "JOIN urls p ON p.id = h.page_id LEFT JOIN urls t ON t.id = h.target_id"),
    }


# Findings compared across crawls of one site (tests/test_determinism.py, test_distributed.py).
# Evidence that is a measurement of the run, not a fact of the site: response times and the
# load they were taken under (EXP001/EXP002 say how busy the crawl was when it timed a page,
# and crawl.concurrency is what compared runs vary). Every other evidence key, and every
# message once the times it quotes are masked, must be identical.
MEASURED_KEYS = frozenset({
    "ttfb_ms", "elapsed_ms", "median_ttfb_ms", "median_elapsed_ms", "overlapping_requests",
    "overlapping_median_ms", "crawl_concurrency", "crawl_delay_s", "crawl_sample_ms",
    "quiet_samples_ms", "crawl_ms"})
MEASURED_TIME = re.compile(r"[\d,.]+ ms\b")


def comparable(findings) -> dict[str, tuple]:
    """finding id -> (rule, url, severity, message, evidence) without the measurements."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in MEASURED_KEYS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return {f.id: (f.rule, f.url, f.severity.value, MEASURED_TIME.sub("… ms", f.message),
                   strip(f.evidence)) for f in findings}


def finding_differences(first: dict[str, tuple], other: dict[str, tuple]) -> dict[str, Any]:
    """What differs between two comparable() results, readable in a failed assert: findings
    only in one, and per (rule, url) the fields (evidence keys) that differ; {} if none."""
    different = {}
    for finding_id in sorted(set(first) & set(other)):
        one, two = first[finding_id], other[finding_id]
        if one != two:
            fields = [name for name, a, b in zip(("severity", "message"), one[2:4], two[2:4])
                      if a != b]
            fields += sorted(k for k in set(one[4]) | set(two[4])
                             if one[4].get(k) != two[4].get(k))
            different[one[:2]] = fields
    only_first = sorted(first[i][:2] for i in set(first) - set(other))
    only_other = sorted(other[i][:2] for i in set(other) - set(first))
    return {key: value for key, value in (("only in the first", only_first),
                                          ("only in the other", only_other),
                                          ("different", different)) if value}
