"""A distributed run: two `scrapy crawl` workers share one crawl of the fixture site through a
real Redis server on 127.0.0.1 (scrapy-redis queue, shared URL ids and decisions), and the
last one out merges their shards into a store with the same facts as a one-process crawl."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import (
    REPO,
    TEST_PROBE,
    comparable,
    crawl_site,
    facts_by_url,
    finding_differences,
    run_cli,
)

from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

pytest.importorskip("scrapy_redis", reason="needs the distributed extra (pip install -e '.[test]')")

CRAWL = {"probe": dict(TEST_PROBE), "max_page_bytes": 1_000_000}
RUN = "fixture-run"
# How long a test waits for a worker to reach a point of its run (it usually takes seconds; a
# loaded machine may take far longer to start Python, Scrapy and the parse worker).
WORKER_WAIT_SECONDS = 180


def wait_until(done, what: str, process: subprocess.Popen) -> None:
    """Poll ``done()`` until it is true; fail after WORKER_WAIT_SECONDS or when ``process``
    ended without getting there."""
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while not done():
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {WORKER_WAIT_SECONDS} s")
        time.sleep(0.1)


def logged(log: Path, text: str):
    return lambda: log.is_file() and text in log.read_text(errors="replace")


def start_worker(url: str, config: Path, out: Path, name: str) -> subprocess.Popen:
    log = out.parent / f"{name}.log"
    return subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={url}",
         "-a", f"config={config}", "-a", f"run={RUN}", "-a", f"out={out}",
         "-s", f"LOG_FILE={log}", "-s", "LOG_LEVEL=INFO"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)


@pytest.fixture(scope="module")
def single(fixture_server, tmp_path_factory):
    fixture_server.reset_sequences()
    crawl = crawl_site(fixture_server.url("site"), tmp_path_factory.mktemp("one") / "run", CRAWL)
    assert crawl.result.returncode == 0, crawl.result.stderr
    with crawl.store() as store:
        return facts_by_url(store), statuses(store), crawl.store_path


@pytest.fixture(scope="module")
def distributed(fixture_server, redis_url, tmp_path_factory, single):
    tmp = tmp_path_factory.mktemp("two")
    config = tmp / "worker.yaml"
    # Slow enough that the shared queue holds work for both: a worker pulls up to its
    # downloader's capacity from the queue, and the fixture site is small.
    config.write_text(yaml.safe_dump({"crawl": {
        **CRAWL, "concurrency": 2, "delay": 0.1,
        "distributed": {"redis_url": redis_url, "idle_close_seconds": 2}}}))
    out = tmp / RUN
    fixture_server.reset_log()
    fixture_server.reset_sequences()
    workers = [start_worker(fixture_server.url("site"), config, out, f"worker-{n}")
               for n in (1, 2)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=240)
        assert worker.returncode == 0, stderr
    logs = [(tmp / f"worker-{n}.log").read_text() for n in (1, 2)]
    return out, logs, list(fixture_server.requests)


def statuses(store) -> dict[str, object]:
    return {
        "fetches": {row[0]: tuple(row[1:]) for row in store.query(
            "SELECT u.url, f.status, f.error, f.fetched, f.robots_blocked FROM fetches f "
            "JOIN urls u ON u.id = f.url_id")},
        "probes": {row[0]: row[1] for row in store.query(
            "SELECT u.url, p.verdict FROM probes p JOIN urls u ON u.id = p.url_id")},
    }


def test_two_workers_store_what_one_process_does(distributed, single):
    out, logs, _requests = distributed
    expected_facts, expected_statuses, _store = single
    from readiness.store import open_store

    with open_store(out / "crawl.sqlite") as store:
        meta = store.meta()
        got_facts, got_statuses = facts_by_url(store), statuses(store)
    assert meta["complete"] is True and meta["finish_reason"] == "finished"
    assert len(meta["workers"]) == 2 and meta["run_id"] == RUN
    assert len(expected_facts["pages"]) > 30
    assert sorted(got_facts["pages"]) == sorted(expected_facts["pages"])
    for table in ("pages", "bodies", "links", "canonicals", "hreflang"):
        assert got_facts[table] == expected_facts[table], table
    assert got_statuses == expected_statuses
    # One worker seeded the run, the other joined; both did part of the work.
    assert sorted("seeds the run" in log for log in logs) == [False, True]
    shards = sorted((out / "shards").glob("*.sqlite"))
    assert len(shards) == 2
    for shard in shards:
        with open_store(shard) as part:
            assert part.count("fetches") > 0, shard.name
    assert sum("shard(s) merged into" in log for log in logs) == 1


def test_two_workers_report_what_one_process_does(distributed, single):
    out, _logs, _requests = distributed
    # Timing verdicts included: the workers crawl with a delay (so both get work), which
    # inflates crawl-time downloads, and only the quiet re-measurement is judged.
    expected = comparable(analyze(single[2], load_config()).findings)
    got = comparable(analyze(out / "crawl.sqlite", load_config()).findings)
    assert any(rule == "CAN010" for rule, *_ in expected.values())  # variants sampled too
    assert finding_differences(expected, got) == {}


def test_each_url_is_fetched_once_across_the_workers(distributed, fixture_server):
    out, _logs, requests = distributed
    from readiness.store import open_store

    with open_store(out / "crawl.sqlite") as store:
        remeasured = {row[0]: len(json.loads(row[1])) for row in store.query(
            "SELECT u.url, f.timings FROM fetches f JOIN urls u ON u.id = f.url_id "
            "WHERE f.timings IS NOT NULL")}
    gets = Counter(r.path for r in requests if r.host == "site" and r.method == "GET")
    assert gets["/robots.txt"] == 1 and gets["/"] >= 1
    # Each URL is fetched by one worker once; the only repeats are the quiet re-measurements of
    # slow pages, one GET per stored sample (on a loaded machine even "/" may be slow once).
    fetched = {fixture_server.url("site", path): n for path, n in gets.items()}
    assert {url: n for url, n in fetched.items() if n > 1} == {
        url: n for url, n in remeasured.items() if n > 1}
    assert all(fetched.get(url) == n for url, n in remeasured.items())
    probes = Counter((r.host, r.path) for r in requests if r.host in ("ext_a", "ext_b"))
    assert probes[("ext_b", "/popular")] == 1


def test_the_run_is_over_for_a_late_worker(distributed, fixture_server, redis_url, tmp_path):
    out, _logs, _requests = distributed
    config = tmp_path / "late.yaml"
    config.write_text(yaml.safe_dump({"crawl": {
        **CRAWL, "distributed": {"redis_url": redis_url, "idle_close_seconds": 1}}}))
    before = (out / "crawl.sqlite").stat().st_mtime_ns
    late = start_worker(fixture_server.url("site"), config, out, "late")
    _, stderr = late.communicate(timeout=WORKER_WAIT_SECONDS)
    assert late.returncode == 0, stderr
    assert "has already finished" in (out.parent / "late.log").read_text()
    assert (out / "crawl.sqlite").stat().st_mtime_ns == before  # the merged store is kept
    # and the late worker left no shard (nor its -wal/-shm files) beside the run's two
    assert len({path.name.split(".sqlite")[0] for path in (out / "shards").iterdir()}) == 2



def shard_reason(shard: Path) -> str | None:
    """The finish_reason a worker's shard records so far (None while there is none)."""
    if not shard.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{shard}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'finish_reason'").fetchone()
    except sqlite3.Error:  # created but without its tables yet
        return None
    return json.loads(row[0]) if row else None


def test_readiness_crawl_refuses_a_distributed_config_in_one_line(tmp_path):
    config = tmp_path / "workers.yaml"
    config.write_text("crawl:\n  distributed: {redis_url: 'redis://127.0.0.1:1/0'}\n")
    result = run_cli("crawl", "http://127.0.0.1:9/", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("readiness: error: crawl.distributed.redis_url")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_killed_worker_is_finished_without(fixture_server, redis_url, tmp_path):
    config = tmp_path / "worker.yaml"
    config.write_text(yaml.safe_dump({"crawl": {
        "probe": {"enabled": False}, "concurrency": 1, "delay": 0.2,
        "distributed": {"redis_url": redis_url, "idle_close_seconds": 1,
                        "presence_seconds": 2}}}))
    out = tmp_path / "lost-run"
    args = [sys.executable, "-m", "scrapy", "crawl", "site", "-a",
            f"url={fixture_server.url('site')}", "-a", f"config={config}", "-a", "run=lost-run",
            "-a", f"out={out}", "-s", "LOG_LEVEL=INFO"]
    survivor = subprocess.Popen([*args, "-s", f"LOG_FILE={tmp_path / 'survivor.log'}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                cwd=REPO)
    wait_until(logged(tmp_path / "survivor.log", "seeds the run"), "seeding", survivor)
    doomed = subprocess.Popen([*args, "-s", f"LOG_FILE={tmp_path / 'doomed.log'}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    # Killed once it has joined and written its shard's meta (so the merge finds it running).
    shard = out / "shards" / f"{socket.gethostname()}-{doomed.pid}.sqlite"
    wait_until(lambda: shard_reason(shard) == "running", "shard of the second worker", doomed)
    doomed.kill()  # no goodbye: it stops reporting to the run
    doomed.wait()
    _, stderr = survivor.communicate(timeout=240)
    assert survivor.returncode == 0, stderr
    assert "joins the run" in (tmp_path / "doomed.log").read_text()
    assert "2 shard(s) merged" in (tmp_path / "survivor.log").read_text()  # its shard too
    from readiness.store import open_store

    with open_store(out / "crawl.sqlite") as store:
        meta = store.meta()
        assert meta["finish_reason"] == "worker-lost" and meta["complete"] is False
        assert len(meta["workers"]) == 2
        assert store.fetch(fixture_server.url("site"))["status"] == 200


def test_the_redis_password_is_never_written(fixture_server, redis_url, tmp_path):
    """crawl.distributed.redis_url may carry Redis's password; the stores (whose meta holds
    the resolved configuration), reports and the log are shared as CI artifacts."""
    password = "s3cret-redis-password"
    # The test Redis has no password: its default user (nopass) accepts any.
    with_password = redis_url.replace("redis://", f"redis://default:{password}@", 1)
    config = tmp_path / "worker.yaml"
    config.write_text(yaml.safe_dump({"crawl": {
        "probe": {"enabled": False}, "include": ["/clean/*"],
        "distributed": {"redis_url": with_password, "idle_close_seconds": 1}}}))
    out = tmp_path / "secret-run"
    log = tmp_path / "worker.log"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a",
         f"url={fixture_server.url('site', '/clean/about')}", "-a", f"config={config}",
         "-a", "run=secret-run", "-a", f"out={out}", "-s", f"LOG_FILE={log}",
         "-s", "LOG_LEVEL=DEBUG"],
        capture_output=True, text=True, timeout=240, cwd=REPO)
    assert result.returncode == 0, result.stderr
    from readiness.store import open_store

    with open_store(out / "crawl.sqlite") as store:
        meta = store.meta()
        assert meta["finish_reason"] == "finished"
        assert store.fetch(fixture_server.url("site", "/clean/about"))["status"] == 200
    # The clean twin: the rest of the URL is kept, so the run says which Redis it used.
    assert meta["config"]["crawl"]["distributed"]["redis_url"] == (
        redis_url.replace("redis://", "redis://***@", 1))
    written = [path for path in [log, *out.rglob("*")] if path.is_file()]
    assert any(path.name == "crawl.sqlite" for path in written)
    leaked = [str(path) for path in written if password.encode() in path.read_bytes()]
    assert leaked == [] and password not in result.stdout + result.stderr
