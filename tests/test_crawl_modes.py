"""Crawl options and failure modes, each on its own crawl of the fixture site: robots modes,
limits, the probe cache, host mapping, interruption, `scrapy crawl`, and CLI errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import yaml
from conftest import REPO, crawl_site, run_cli


def test_robots_report_fetches_blocked_page_but_records_the_block(fixture_server, tmp_path):
    fixture_server.reset_log()
    crawl = crawl_site(fixture_server.url("site", "/indexing/"), tmp_path / "run",
                       {"robots": "report", "include": ["/indexing/*", "/private/*"],
                        "probe": {"enabled": False}})
    assert crawl.result.returncode == 0, crawl.result.stderr
    with crawl.store() as store:
        blocked = store.fetch(fixture_server.url("site", "/private/secret-page"))
        assert (blocked["status"], blocked["fetched"], blocked["robots_blocked"]) == (200, 1, 1)
        # include globs: URLs outside them are recorded as excluded, not fetched.
        assert store.fetch(fixture_server.url("site", "/clean/about"))["error"] == "excluded"
    assert fixture_server.requests_for("site", "/private/secret-page", method="GET")
    assert not fixture_server.requests_for("site", "/clean/about")


def test_max_pages_makes_the_crawl_incomplete(fixture_server, tmp_path):
    crawl = crawl_site(fixture_server.url("site"), tmp_path / "run",
                       {"max_pages": 5, "probe": {"enabled": False}, "fetch_resources": False})
    assert crawl.result.returncode == 0, crawl.result.stderr
    assert "INCOMPLETE" in crawl.result.stdout
    with crawl.store() as store:
        meta = store.meta()
        assert meta["complete"] is False and meta["limits_hit"] == ["max_pages"]
        fetched = store.query("SELECT COUNT(*) FROM fetches WHERE fetched = 1").fetchone()[0]
        assert fetched == 5
        assert store.query("SELECT COUNT(*) FROM fetches WHERE error = 'max-pages'").fetchone()[0] > 0


def test_probe_cache_reuses_successes_and_rechecks_failures(fixture_server, tmp_path):
    cache = tmp_path / "probe-cache.sqlite"
    settings = {"include": ["/outbound/*"], "variant_samples": 0,
                "probe": {"cache_ttl_hours": 24, "cache_path": str(cache), "timeout": 1.0,
                          "retries": 0, "delay": 0}}
    first = crawl_site(fixture_server.url("site", "/outbound/"), tmp_path / "first", settings)
    assert first.result.returncode == 0, first.result.stderr
    fixture_server.reset_log()
    second = crawl_site(fixture_server.url("site", "/outbound/"), tmp_path / "second", settings)
    assert second.result.returncode == 0, second.result.stderr
    with second.store() as store:
        ok = store.probe(fixture_server.url("ext_a", "/ok"))
        assert (ok["verdict"], ok["cached"]) == ("ok", 1)
        missing = store.probe(fixture_server.url("ext_a", "/missing"))
        assert (missing["verdict"], missing["cached"]) == ("broken", 0)
    assert not fixture_server.requests_for("ext_a", "/ok")
    assert fixture_server.requests_for("ext_a", "/missing")


def test_host_map_crawls_staging_as_production(fixture_server, tmp_path):
    production = "https://www.fixture-clinic.example"
    crawl = crawl_site(f"{production}/clean/about", tmp_path / "run",
                       {"host_map": {production: fixture_server.url("site").rstrip("/")},
                        "include": ["/clean/*"], "probe": {"enabled": False}})
    assert crawl.result.returncode == 0, crawl.result.stderr
    with crawl.store() as store:
        assert store.meta()["start_url"] == fixture_server.url("site", "/clean/about")
        assert store.fetch(fixture_server.url("site", "/clean/about"))["status"] == 200
        hosts = {row[0] for row in store.query("SELECT url FROM urls")}
        assert not [u for u in hosts if "fixture-clinic.example" in u]
    # Probes off: the cross-run probe cache is never opened, so no file appears.
    assert not (tmp_path / ".probe-cache.sqlite").exists()


def test_ctrl_c_leaves_a_readable_store(fixture_server, tmp_path):
    config = tmp_path / "slow.yaml"
    config.write_text("crawl:\n  concurrency: 1\n  delay: 0.4\n  parse_workers: 1\n"
                      "  probe: {enabled: false}\n")
    out = tmp_path / "run"
    # A session of its own, so the signal can go to the whole process group, as Ctrl-C in a
    # terminal does: the parse worker gets it too and must leave the stopping to the crawl.
    process = subprocess.Popen(
        [sys.executable, "-m", "readiness.cli", "crawl", fixture_server.url("site"), "--config",
         str(config), "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True)
    # Interrupt once a few pages are in the store (committed at least every second), so the
    # test proves a mid-crawl stop whatever the machine's speed.
    store_path = out / "crawl.sqlite"
    deadline = time.monotonic() + 120
    while _fetched_rows(store_path) < 3:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the crawl stored no pages within 120 s"
        time.sleep(0.1)
    workers = psutil.Process(process.pid).children()
    assert len(workers) == 1 and "readiness.crawl.parse_worker" in workers[0].cmdline()
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []  # the worker ends with the crawl, not orphaned
    from readiness.store import open_store
    with open_store(out / "crawl.sqlite") as store:
        meta = store.meta()
        assert meta["finish_reason"] == "shutdown" and meta["complete"] is False
        assert store.query("SELECT COUNT(*) FROM fetches WHERE fetched = 1").fetchone()[0] >= 3
        assert store.fetch(fixture_server.url("site"))["status"] == 200


def test_scrapy_crawl_from_the_project_directory(fixture_server, tmp_path):
    out = tmp_path / "run"
    config = tmp_path / "c.yaml"
    config.write_text("crawl:\n  include: ['/clean/*']\n  probe: {enabled: false}\n")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a",
         f"url={fixture_server.url('site', '/clean/about')}", "-a", f"config={config}",
         "-a", f"out={out}", "-s", "LOG_LEVEL=WARNING"],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    from readiness.store import open_store
    with open_store(out / "crawl.sqlite") as store:
        assert store.meta()["complete"] is True
        assert store.fetch(fixture_server.url("site", "/clean/services"))["status"] == 200
    # A scheduled crawl ends with its findings and reports, like `readiness check`.
    import json
    findings = json.loads((out / "findings.json").read_text())
    assert findings["run"]["start_url"] == fixture_server.url("site", "/clean/about")
    assert (out / "report.html").is_file() and (out / "junit.xml").is_file()


def test_scrapy_crawl_with_a_bad_backlink_export_is_a_clear_usage_error(fixture_server,
                                                                         tmp_path):
    """A rule file's ``backlinks:`` export scrapy crawl cannot read: one line naming the file,
    its columns and the fix, exit 2, nothing fetched; the clean twin (a readable export)
    crawls."""
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("foo,bar\n1,2\n", encoding="utf-8")
    readable = tmp_path / "links.txt"
    readable.write_text(fixture_server.url("site", "/clean/services") + "\n", encoding="utf-8")

    def scrapy_crawl(export, name):
        config = tmp_path / f"{name}.yaml"
        config.write_text(yaml.safe_dump({"backlinks": [str(export)], "crawl": {
            "include": ["/clean/*"], "probe": {"enabled": False}}}), encoding="utf-8")
        return subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "site", "-a",
             f"url={fixture_server.url('site', '/clean/about')}", "-a", f"config={config}",
             "-a", f"out={tmp_path / name}", "-s", "LOG_LEVEL=WARNING"],
            capture_output=True, text=True, timeout=120, cwd=REPO)

    fixture_server.reset_log()
    bad = scrapy_crawl(unknown, "bad")
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith(
        f"readiness: error: {unknown}: not an export readiness recognises")
    assert "'foo', 'bar'" in bad.stderr and "target=COLUMN" in bad.stderr
    assert list(fixture_server.requests) == []
    good = scrapy_crawl(readable, "good")
    assert good.returncode == 0, good.stderr


def test_bad_url_is_a_one_line_usage_error():
    result = run_cli("crawl", "not a url")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("readiness: error: not an http(s) URL")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unreachable_start_url_exits_3_without_traceback(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("crawl", f"http://127.0.0.1:{port}/", "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 3
    assert "cannot reach the start URL" in result.stderr and "Traceback" not in result.stderr


def test_bad_config_names_file_and_line(tmp_path):
    config = tmp_path / "site.yaml"
    config.write_text("crawl:\n  max_pagez: 10\n")
    result = run_cli("crawl", "http://127.0.0.1:9/", "--config", str(config))
    assert result.returncode == 2
    assert f"{config}:2: unknown key 'max_pagez' in crawl — did you mean 'max_pages'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_outbound_hosts_get_the_probe_politeness(fixture_server, tmp_path):
    fixture_server.reset_log()
    fixture_server.reset_sequences()
    crawl = crawl_site(fixture_server.url("site", "/outbound/"), tmp_path / "run",
                       {"include": ["/outbound/*"], "variant_samples": 0,
                        "probe": {"concurrency_per_host": 1, "delay": 0.5, "timeout": 1.0,
                                  "retries": 0, "cache_ttl_hours": 0}})
    assert crawl.result.returncode == 0, crawl.result.stderr
    times = sorted(r.time for r in fixture_server.requests if r.host == "ext_a")
    assert len(times) >= 6
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # Scrapy spreads the delay over 0.5x-1.5x: never two requests to one host within 0.25 s.
    assert min(gaps) >= 0.24, gaps
    site_times = sorted(r.time for r in fixture_server.requests if r.host == "site")
    assert len(site_times) >= 2


def _fetched_rows(store_path) -> int:
    """Fetched rows committed so far to a store another process is still writing (WAL)."""
    import sqlite3

    if not store_path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM fetches WHERE fetched = 1").fetchone()[0]
    except sqlite3.OperationalError:  # created but its tables not yet committed
        return 0
