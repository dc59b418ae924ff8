"""The gate never passes what it did not check (issue 11, §2 and §3).

Every case runs the real CLI in a subprocess against a small site served on 127.0.0.1 by
SiteServer (its own manifest, written here): a forced stop (Ctrl-C twice), a killed crawl,
a start URL outside the crawl's own scope, a crawl with no page, and a crawl cut short by
max_pages. Signals are sent on events (the slow page requested, the crawl log saying it is
shutting down), never after a fixed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli

from readiness.demo.server import SiteServer
from readiness.store import open_store

PAGE = ("<html lang='en'><head><title>{title}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body><h1>{title}</h1>{links}</body></html>")
# Generous bound for a busy machine; waiting ends as soon as the event happens.
WAIT = 120


def page(title: str, *links: str) -> dict:
    return {"body": PAGE.format(title=title, links="".join(
        f'<p><a href="{href}">{href}</a></p>' for href in links))}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("gate-site")
    routes = {
        "/": page("Home", "/a", "/b", "/c", "/slow"),
        "/a": page("A", "/"), "/b": page("B", "/"), "/c": page("C", "/"),
        # Answers long after the test is done: keeps a gracefully stopping crawl waiting.
        "/slow": {"delay": 90, **page("Slow")},
        "/robots.txt": {"body": "User-agent: *\nAllow: /\n", "content_type": "text/plain"},
        "/only-image": {"body": "GIF89a", "content_type": "image/gif"},
    }
    (site_dir / "site.yaml").write_text(yaml.safe_dump(
        {"hosts": {"site": "127.0.0.1"}, "routes": {"site": routes}}), encoding="utf-8")
    with SiteServer(site_dir) as server:
        yield server


def write_config(tmp_path: Path, crawl: dict) -> Path:
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": {"enabled": False}, "timeout": 120,
                                                "sitemaps": [], **crawl}}), encoding="utf-8")
    return config


def wait_for(condition, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert process.poll() is None, f"exited {process.returncode} before {what}: " \
                                       f"{process.communicate()[1]}"
        assert time.monotonic() < deadline, f"no {what} within {WAIT} s"
        time.sleep(0.05)


def fetched(store_path: Path, url: str) -> bool:
    """Whether ``url`` answered 200 in what another process has committed so far (WAL)."""
    if not store_path.is_file():
        return False
    try:
        with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM fetches f JOIN urls u ON u.id = f.url_id "
                              "WHERE u.url = ? AND f.status = 200", (url,)).fetchone()[0] > 0
    except sqlite3.OperationalError:  # created but its tables not yet committed
        return False


def log_says(log: Path, text: str):
    return lambda: log.is_file() and text in log.read_text(encoding="utf-8", errors="replace")


def start(command: str, url: str, config: Path, out: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "readiness.cli", command, url, "--config", str(config),
         "--out", str(out), "--reports-dir", str(out.parent), "--quiet", *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True)


@pytest.mark.parametrize("command", ["crawl", "check"])
def test_forced_stop_exits_130_and_never_passes(site, tmp_path, command):
    config = write_config(tmp_path, {"concurrency": 1, "parse_workers": 1})
    out = tmp_path / "run"
    slow_requests = len(site.requests_for("site", "/slow"))
    process = start(command, site.url("site"), config, out)
    wait_for(lambda: len(site.requests_for("site", "/slow")) > slow_requests, process,
             "request for /slow")
    # The start page committed to the store (at least every second) before the first Ctrl-C.
    wait_for(lambda: fetched(out / "crawl.sqlite", site.url("site")), process,
             "the start page in the store")
    os.killpg(process.pid, signal.SIGINT)
    wait_for(log_says(out / "crawl.log", "shutting down gracefully"), process,
             "graceful shutdown in the crawl log")
    os.killpg(process.pid, signal.SIGINT)  # the second Ctrl-C: Scrapy's forced stop
    stdout, stderr = process.communicate(timeout=WAIT)
    assert process.returncode == 130, (stdout, stderr)
    assert "READY" not in stdout and "PASS" not in stdout
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert not (out / "findings.json").exists()  # nothing analysed, nothing gated
    # The store is still readable, and analysing it later is inconclusive, never a pass.
    with open_store(out / "crawl.sqlite") as store:
        assert store.fetch(site.url("site"))["status"] == 200
    later = run_cli("analyze", str(out), "--config", str(config))
    assert later.returncode == 3, later.stdout + later.stderr
    assert "READY" not in later.stdout
    assert "the crawl did not finish" in later.stderr


def test_killed_crawl_is_inconclusive(site, tmp_path):
    config = write_config(tmp_path, {"concurrency": 1, "parse_workers": 1})
    out = tmp_path / "run"
    slow_requests = len(site.requests_for("site", "/slow"))
    process = start("crawl", site.url("site"), config, out)
    wait_for(lambda: len(site.requests_for("site", "/slow")) > slow_requests, process,
             "request for /slow")
    # Committed within the store's flush interval while the crawl only waits on /slow (which
    # answers long after): a waiting crawl does not hold its last pages back until then.
    wait_for(lambda: fetched(out / "crawl.sqlite", site.url("site")), process,
             "the start page in the store")
    assert not fetched(out / "crawl.sqlite", site.url("site", "/slow"))
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT)
    with open_store(out / "crawl.sqlite") as store:
        assert store.meta()["finish_reason"] == "running"
        assert store.fetch(site.url("site"))["status"] == 200  # the kill lost nothing
    result = run_cli("analyze", str(out), "--config", str(config))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "READY" not in result.stdout
    assert "the crawl did not finish" in result.stderr
    gate = json.loads((out / "findings.json").read_text())["gate"]
    assert gate["status"] == "inconclusive"


def test_start_url_outside_the_crawl_scope_is_a_config_error(site, tmp_path):
    config = write_config(tmp_path, {"include": ["/blog/*"]})
    out = tmp_path / "run"
    requests_before = len(site.requests)
    result = run_cli("check", site.url("site"), "--config", str(config), "--out", str(out),
                     "--reports-dir", str(tmp_path), "--quiet")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "configuration error" in result.stderr and "crawl.include" in result.stderr
    assert "Traceback" not in result.stderr and "READY" not in result.stdout
    assert len(site.requests) == requests_before  # refused before any request
    # Its clean twin: a start URL inside the scope crawls and passes the scope check.
    inside = write_config(tmp_path, {"include": ["/a*", "/"]})
    ok = run_cli("crawl", site.url("site", "/a"), "--config", str(inside), "--out",
                 str(tmp_path / "inside"), "--reports-dir", str(tmp_path), "--quiet")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_crawl_with_no_page_is_inconclusive(site, tmp_path):
    config = write_config(tmp_path, {})
    out = tmp_path / "run"
    result = run_cli("check", site.url("site", "/only-image"), "--config", str(config),
                     "--out", str(out), "--reports-dir", str(tmp_path), "--quiet")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "READY" not in result.stdout and "PASS" not in result.stdout
    assert "no HTML page" in result.stderr


def test_limit_hit_is_ready_only_for_what_was_crawled(site, tmp_path):
    config = write_config(tmp_path, {"max_pages": 2})
    out = tmp_path / "run"
    args = ("check", site.url("site", "/a"), "--config", str(config), "--out", str(out),
            "--reports-dir", str(tmp_path), "--quiet", "--format", "json,md")
    result = run_cli(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ready for what was crawled (2 pages; the crawl stopped at max_pages)" in result.stdout
    assert "READY for link building" not in result.stdout
    summary_md = (out / "summary.md").read_text()
    assert "ready for what was crawled (2 pages; the crawl stopped at max_pages)" in summary_md
    strict = run_cli(*args[:-2], "--format", "json", "--fail-on-incomplete",
                     "--out", str(tmp_path / "strict"))
    assert strict.returncode == 3, strict.stdout + strict.stderr
    assert "the crawl stopped at max_pages" in strict.stderr
    # Its clean twin: a crawl that saw everything in scope passes --fail-on-incomplete.
    whole = write_config(tmp_path, {"include": ["/a", "/"]})
    complete = run_cli("check", site.url("site", "/a"), "--config", str(whole), "--out",
                       str(tmp_path / "whole"), "--reports-dir", str(tmp_path), "--quiet",
                       "--format", "json", "--fail-on-incomplete")
    assert complete.returncode == 0, complete.stdout + complete.stderr
    assert "verdict: READY for link building" in complete.stdout


def test_merged_run_missing_a_shard_is_inconclusive(tmp_path):
    """A distributed run whose merge lacks a worker's shard (workers on another machine, no
    shared run folder) lacks that worker's facts: it must not come out "ready"."""
    from readiness.report.findings import unchecked_reason
    from readiness.store.merge import merge_run
    from readiness.store.sqlite import SQLiteCrawlStore

    shards = tmp_path / "shards"
    shards.mkdir()
    store = SQLiteCrawlStore(shards / "w1.sqlite")
    store.open({"start_url": "http://127.0.0.1/", "finish_reason": "running"}, fresh=True)
    store.close({"finish_reason": "finished", "complete": True, "limits_hit": []})
    complete, partial = tmp_path / "complete.sqlite", tmp_path / "partial.sqlite"
    assert merge_run(shards, ["w1"], complete, "run") == 1
    assert merge_run(shards, ["w1", "w2"], partial, "run") == 1
    with open_store(complete) as reader:
        assert unchecked_reason(reader.meta(), pages=5) is None  # the clean twin
    with open_store(partial) as reader:
        meta = reader.meta()
    assert meta["complete"] is False
    assert meta["finish_reason"] == "shard-missing"
    assert unchecked_reason(meta, pages=5) is not None, meta
