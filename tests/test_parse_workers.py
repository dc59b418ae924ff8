"""Parse workers (readiness/crawl/workers.py): same facts as parsing in the crawl process,
and a worker that dies costs no facts."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from conftest import crawl_site, facts_by_url

from readiness.crawl.parse_worker import EXIT_ON_ENV, encode_frame, read_frame
from readiness.urls import UrlNormalizer

# Probes are not what these tests compare.
CRAWL = {"probe": {"enabled": False}, "max_page_bytes": 1_000_000}


@pytest.fixture(scope="module")
def in_process(fixture_server, tmp_path_factory):
    fixture_server.reset_sequences()
    crawl = crawl_site(fixture_server.url("site"), tmp_path_factory.mktemp("w0") / "run",
                       {**CRAWL, "parse_workers": 0})
    assert crawl.result.returncode == 0, crawl.result.stderr
    with crawl.store() as store:
        return facts_by_url(store), store.meta()


def test_a_worker_stores_exactly_what_the_crawl_process_does(fixture_server, tmp_path,
                                                             in_process):
    expected, expected_meta = in_process
    assert "readiness/parse_worker_lost" not in expected_meta["stats"]
    fixture_server.reset_sequences()
    crawl = crawl_site(fixture_server.url("site"), tmp_path / "run",
                       {**CRAWL, "parse_workers": 1})
    assert crawl.result.returncode == 0, crawl.result.stderr
    log = (crawl.out / "crawl.log").read_text()
    assert "started 1 parse worker(s)" in log
    with crawl.store() as store:
        got = facts_by_url(store)
        stats = store.meta()["stats"]
    assert "readiness/parse_worker_lost" not in stats
    # The planted pages that stress parsing are among those compared.
    site = fixture_server.url("site").rstrip("/")
    for path in ("/html/malformed", "/html/latin1", "/html/regions", "/clean/about"):
        assert any(url.startswith(site + path) for url in got["pages"]), path
    assert len(got["pages"]) == len(expected["pages"]) > 30
    for table in ("pages", "bodies", "links", "canonicals", "hreflang"):
        assert got[table] == expected[table], table


def test_a_worker_that_dies_costs_no_facts(fixture_server, tmp_path, in_process, monkeypatch):
    expected, _ = in_process
    monkeypatch.setenv(EXIT_ON_ENV, "/clean/about")
    fixture_server.reset_sequences()
    crawl = crawl_site(fixture_server.url("site"), tmp_path / "run",
                       {**CRAWL, "parse_workers": 1})
    assert crawl.result.returncode == 0, crawl.result.stderr
    log = (crawl.out / "crawl.log").read_text()
    assert "parse worker 1 ended with" in log and "the crawl parses them itself" in log
    with crawl.store() as store:
        got = facts_by_url(store)
        stats = store.meta()["stats"]
    assert stats["readiness/parse_worker_lost"] >= 1
    about = fixture_server.url("site").rstrip("/") + "/clean/about"
    assert got["pages"][about] == expected["pages"][about]
    for table in ("pages", "bodies", "links", "canonicals", "hreflang"):
        assert got[table] == expected[table], table


def test_frames_round_trip_and_a_cut_stream_ends_cleanly():
    message = (7, "http://127.0.0.1/x", b"<html>\x00\xff</html>", "utf-8")
    stream = io.BytesIO(encode_frame(message) + encode_frame(("ready", None, None)))
    assert read_frame(stream) == message
    assert read_frame(stream) == ("ready", None, None)
    assert read_frame(stream) is None  # end of stream
    cut = io.BytesIO(encode_frame(message)[:-3])
    assert read_frame(cut) is None


def test_a_worker_resolves_links_with_the_crawls_host_map_and_base():
    """The crawl process takes link targets as the worker resolved them: the worker must use
    the crawl's host map and stripped parameters, and the page's <base href>."""
    staging = "http://127.0.0.1:8099"
    normalizer = UrlNormalizer({"https://www.clinic.example": staging}, ["utm_*"])
    page = (b'<html><head><base href="/docs/"><title>T</title></head><body>'
            b'<a href="https://www.clinic.example/team?utm_source=x&id=2">team</a>'
            b'<a href="guide">relative to the base</a>'
            b'<a href="https://other.example/a">another site</a>'
            b'<a href="mailto:office@clinic.example">mail</a></body></html>')
    worker = subprocess.Popen([sys.executable, "-m", "readiness.crawl.parse_worker"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        worker.stdin.write(encode_frame({"extractor": {}, "keep_html": False,
                                         "normalizer": normalizer}))
        worker.stdin.write(encode_frame((1, f"{staging}/index", page, "utf-8")))
        worker.stdin.close()
        assert read_frame(worker.stdout) == ("ready", None, None)
        kind, seq, parsed = read_frame(worker.stdout)
    finally:
        worker.stdout.close()
        assert worker.wait(timeout=60) == 0
    assert (kind, seq) == ("ok", 1)
    assert parsed.base == f"{staging}/docs/"
    assert parsed.link_targets == [normalizer.normalize(link.raw, parsed.base)
                                   for link in parsed.facts.links]
    assert parsed.link_targets == [f"{staging}/team?id=2", f"{staging}/docs/guide",
                                   "https://other.example/a", "mailto:office@clinic.example"]
