"""Resume that works, or is refused (issue 11 §2): ``readiness crawl --resume DIR``.

A generated site of 80 pages (robots.txt with a Disallow, an excluded section, canonicals,
outbound links) is served on 127.0.0.1 by SiteServer, each page answering after a short
delay so a crawl at concurrency 2 is still under way when the test interrupts it. The crawl
runs as a real subprocess; the signal is sent when the server has answered about half the
pages (an event, not a sleep). The resumed crawl's facts are compared, keyed by URL, with an
uninterrupted crawl of the same site, and the server's request log shows what was fetched
twice.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import REPO, TEST_PROBE, facts_by_url, run_cli
from test_gate_incomplete import wait_for

from readiness.demo.server import SiteServer
from readiness.store import open_store

PAGES = 80
CONCURRENCY = 2
WAIT = 180  # generous bound for a busy machine
PAGE = ("<html lang='en'><head><title>{title}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>{head}</head>"
        "<body><h1>{title}</h1>{links}</body></html>")


def page(title: str, links: list[str], head: str = "") -> dict:
    return {"delay": 0.15, "body": PAGE.format(title=title, head=head, links="".join(
        f'<p><a href="{href}">{href}</a></p>' for href in links))}


def site_routes() -> dict:
    routes = {
        "/robots.txt": {"body": "User-agent: *\nDisallow: /private/\n",
                        "content_type": "text/plain"},
        "/": page("Home", ["/p/0", "/p/1", "/private/secret", "/excluded/x"]),
    }
    for n in range(PAGES):
        # A chain with side branches: the frontier keeps pages of several depths.
        links = [f"/p/{m}" for m in (n + 1, n + 2, 2 * n + 3) if m < PAGES] + ["/"]
        if n % 10 == 0:
            links.append(f"http://${{ext}}/out/{n}")
        if n % 7 == 0:
            links.append(f"/private/p{n}")  # robots-blocked: a skip row, never fetched
        head = f"<link rel='canonical' href='/p/{n}'>" if n % 2 else ""
        routes[f"/p/{n}"] = page(f"Page {n}", links, head)
    return routes


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("resume-site")
    ext_routes = {f"/out/{n}": {"body": "ok"} for n in range(0, PAGES, 10)}
    (site_dir / "site.yaml").write_text(yaml.safe_dump(
        {"hosts": {"site": "127.0.0.1", "ext": "127.0.0.2"},
         "routes": {"site": site_routes(), "ext": ext_routes}}), encoding="utf-8")
    with SiteServer(site_dir) as server:
        yield server


def write_config(path: Path, **crawl) -> Path:
    path.write_text(yaml.safe_dump({"crawl": {
        "probe": dict(TEST_PROBE), "concurrency": CONCURRENCY, "parse_workers": 1,
        "sitemaps": [], "exclude": ["/excluded/*"],
        # No quiet re-measurement: its second GETs of slow pages would hide a page fetched
        # twice by the crawl itself.
        "remeasure_slow_ms": 0, "remeasure_download_ms": 0, **crawl}}), encoding="utf-8")
    return path


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "readiness.cli", *args, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            start_new_session=True)


PAGE_PATHS = frozenset(p for p in site_routes() if p == "/" or p.startswith("/p/"))


def page_paths(server: SiteServer) -> list[str]:
    """GETs of the site's pages (variants such as /p/0/ are the end-of-crawl probes)."""
    return [r.path for r in server.requests_for("site", method="GET") if r.path in PAGE_PATHS]


def run_facts(store_path: Path) -> dict:
    """The crawl's facts keyed by URL (never by id)."""
    with open_store(store_path) as store:
        facts = facts_by_url(store)
        facts["fetches"] = sorted(tuple(row) for row in store.query(
            "SELECT u.url, f.status, f.error, f.fetched, f.robots_blocked, l.url "
            "FROM fetches f JOIN urls u ON u.id = f.url_id "
            "LEFT JOIN urls l ON l.id = f.location_url_id"))
        facts["robots"] = sorted(tuple(row) for row in store.query(
            "SELECT host, status, body, sitemaps FROM robots"))
        facts["probes"] = sorted(tuple(row) for row in store.query(
            "SELECT u.url, p.verdict, p.status FROM probes p JOIN urls u ON u.id = p.url_id"))
        facts["urls"] = sorted(tuple(row) for row in store.query(
            "SELECT url, internal FROM urls"))
    return facts


def url_ids(store_path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT url, id FROM urls"))


@pytest.fixture(scope="module")
def uninterrupted(site, tmp_path_factory):
    """Facts of one crawl of the site run to its end."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    config = write_config(tmp / "config.yaml")
    site.reset_log()
    result = run_cli("crawl", site.url("site"), "--config", str(config), "--out",
                     str(tmp / "run"), "--reports-dir", str(tmp), "--quiet")
    assert result.returncode == 0, result.stderr
    return run_facts(tmp / "run" / "crawl.sqlite")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_resumed_crawl_equals_an_uninterrupted_one(site, tmp_path, uninterrupted, stop):
    config = write_config(tmp_path / "config.yaml")
    out = tmp_path / "run"
    site.reset_log()
    process = start("crawl", site.url("site"), "--config", str(config), "--out", str(out),
                    "--reports-dir", str(tmp_path))
    wait_for(lambda: len(set(page_paths(site))) >= PAGES // 2, process, "half the pages")
    os.killpg(process.pid, stop)
    process.communicate(timeout=WAIT)
    assert process.returncode == (130 if stop == signal.SIGINT else -signal.SIGKILL)
    store_path = out / "crawl.sqlite"
    with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        stored_pages = db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        answered = {urlsplit(url).path for (url,) in db.execute(
            "SELECT u.url FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.fetched = 1")}
    assert meta["complete"] == "false"
    assert meta["finish_reason"] == ('"shutdown"' if stop == signal.SIGINT else '"running"')
    assert 0 < stored_pages < PAGES + 1, stored_pages
    # The interrupted store is not a pass: analyze calls it unfinished (exit 3).
    assert run_cli("analyze", str(out), "--format", "json").returncode == 3
    ids_before = url_ids(store_path)
    fetched_before = Counter(page_paths(site))

    resumed = run_cli("crawl", "--resume", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    with open_store(store_path) as store:
        meta = store.meta()
    assert meta["complete"] is True and meta["finish_reason"] == "finished"
    assert len(meta["resumed"]) == 1
    assert meta["run_id"] == "run"
    assert run_facts(store_path) == uninterrupted
    ids_after = url_ids(store_path)
    assert {url: ids_after[url] for url in ids_before} == ids_before

    # No page fetched twice but those in flight at the interrupt; robots.txt fetched once.
    fetched = Counter(page_paths(site))
    assert set(fetched) == PAGE_PATHS
    twice = sorted(path for path, count in fetched.items() if count > 1)
    assert all(fetched_before[path] == 1 for path in twice), twice
    # Exactly the pages requested before the interrupt whose answer was not yet recorded (in
    # the downloader, or downloaded and waiting for the parse worker) are requested again; no
    # page with a fetch row is. Their number is not bounded by the concurrency: Scrapy keeps
    # downloading while earlier responses wait for their parse (a kill at load 20 left 4).
    assert set(twice) == set(fetched_before) - answered, (twice, sorted(answered))
    print(f"{stop.name}: {len(twice)} page(s) fetched twice (in flight at the interrupt)")
    assert len(site.requests_for("site", "/robots.txt")) == 1
    assert not site.requests_for("site", "/private/secret")
    # Each outbound URL decided once: probed before the interrupt or after, not both.
    probes = Counter((r.path, r.method) for r in site.requests_for("ext"))
    assert len([request for request, count in probes.items() if count > 1]) <= CONCURRENCY, \
        probes


def test_resume_of_a_finished_run_is_refused(site, tmp_path):
    config = write_config(tmp_path / "config.yaml", max_pages=5)
    out = tmp_path / "run"
    done = run_cli("crawl", site.url("site"), "--config", str(config), "--out", str(out),
                   "--reports-dir", str(tmp_path), "--quiet")
    assert done.returncode == 0, done.stderr
    before = (out / "crawl.sqlite").read_bytes()
    site.reset_log()
    refused = run_cli("crawl", "--resume", str(out), "--quiet")
    assert refused.returncode == 2
    assert "finished" in refused.stderr and "nothing to resume" in refused.stderr
    assert not site.requests
    assert (out / "crawl.sqlite").read_bytes() == before


def interrupted_run(site, tmp_path: Path) -> Path:
    """A run stopped by SIGINT once a few pages are in."""
    config = write_config(tmp_path / "config.yaml")
    out = tmp_path / "run"
    site.reset_log()
    process = start("crawl", site.url("site"), "--config", str(config), "--out", str(out),
                    "--reports-dir", str(tmp_path))
    wait_for(lambda: len(set(page_paths(site))) >= 5, process, "five pages")
    os.killpg(process.pid, signal.SIGINT)
    process.communicate(timeout=WAIT)
    assert process.returncode == 130
    return out


def test_resume_with_another_config_or_start_url_is_refused(site, tmp_path):
    out = interrupted_run(site, tmp_path)
    other = write_config(tmp_path / "other.yaml", concurrency=4)
    site.reset_log()
    refused = run_cli("crawl", "--resume", str(out), "--config", str(other), "--quiet")
    assert refused.returncode == 2
    assert "crawl.concurrency (2 stored, 4 given)" in refused.stderr, refused.stderr
    refused = run_cli("check", site.url("site", "/p/3"), "--resume", str(out), "--quiet")
    assert refused.returncode == 2
    assert "not " + site.url("site", "/p/3") in refused.stderr, refused.stderr
    # A distributed run's store (its frontier was the workers' Redis queue): refused.
    distributed = tmp_path / "distributed"
    distributed.mkdir()
    shutil.copy(out / "crawl.sqlite", distributed / "crawl.sqlite")
    with sqlite3.connect(distributed / "crawl.sqlite") as db:
        config = json.loads(db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()[0])
        config["crawl"]["distributed"]["redis_url"] = "redis://127.0.0.1:1/0"
        db.execute("UPDATE meta SET value = ? WHERE key = 'config'", (json.dumps(config),))
    refused = run_cli("crawl", "--resume", str(distributed), "--quiet")
    assert refused.returncode == 2
    assert "distributed run" in refused.stderr, refused.stderr
    # A store of another schema (1 had no sitemap_namings): its tables would not take the
    # resumed crawl's rows.
    older = tmp_path / "older"
    older.mkdir()
    shutil.copy(out / "crawl.sqlite", older / "crawl.sqlite")
    with sqlite3.connect(older / "crawl.sqlite") as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    refused = run_cli("crawl", "--resume", str(older), "--quiet")
    assert refused.returncode == 2
    assert "store schema 1" in refused.stderr, refused.stderr
    assert not site.requests
    # The same configuration, given again, is accepted: the run goes on to its end, here
    # as a scrapy crawl (scrapyd) resumes it.
    same = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"resume={out / 'crawl.sqlite'}",
         "-a", f"config={tmp_path / 'config.yaml'}", "-s", "READINESS_PROGRESS=0"],
        capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert same.returncode == 0, same.stderr
    with open_store(out / "crawl.sqlite") as store:
        meta = store.meta()
        assert meta["complete"] is True and len(meta["resumed"]) == 1
        assert store.count("pages") == PAGES + 1


def test_scrapy_jobdir_is_refused(site, tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url('site')}",
         "-a", f"out={out}", "-s", f"JOBDIR={tmp_path / 'job'}"],
        capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert result.returncode != 0
    assert "JOBDIR" in result.stderr and "readiness crawl --resume" in result.stderr
    assert not (out / "crawl.sqlite").exists()
    assert not (tmp_path / "job").exists()
