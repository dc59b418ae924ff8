"""The crawl's components (docs/architecture.md): each switched by its EXTENSIONS entry, and
the distributed coordination a swap of the local one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

from readiness import settings as project_settings
from readiness.demo.server import SiteServer
from readiness.crawl.coordination import LocalCoordination, RedisCoordination


# Every page the crawl fetched is "slow" (over 0.001 ms): each is measured again.
REMEASURE_ALL = "  remeasure_download_ms: 0.001\n  remeasure_times: 1\n"
TEAM = "  include: ['/team/*']\n"

# Run in a subprocess instead of `scrapy`: the engine's heartbeat (the 5 s periodic look
# at an idle crawl) made longer than the test's timeout, so the crawl can only close if
# the idle-time work wakes the engine itself (readiness.crawl.component.recheck_idle).
WITHOUT_HEARTBEAT = ("import sys; from scrapy.core.engine import ExecutionEngine; "
                     "ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 3600.0; "
                     "from scrapy.cmdline import execute; sys.argv[0] = 'scrapy'; execute()")


def scrapy_crawl(url: str, tmp_path, *options: str, crawl: str = TEAM,
                 heartbeat: bool = True) -> subprocess.CompletedProcess:
    config = tmp_path / "c.yaml"
    config.write_text("crawl:\n  probe: {enabled: false}\n" + crawl)
    command = ["-m", "scrapy"] if heartbeat else ["-c", WITHOUT_HEARTBEAT]
    return subprocess.run(
        [sys.executable, *command, "crawl", "site", "-a", f"url={url}",
         "-a", f"config={config}", "-a", f"out={tmp_path / 'run'}", "-s", "LOG_LEVEL=WARNING",
         "-s", "READINESS_ANALYZE_ON_CLOSE=False", *options],
        capture_output=True, text=True, timeout=180, cwd=REPO)


def variant_kinds(tmp_path) -> list[str]:
    from readiness.store import open_store

    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        assert store.meta()["complete"] is True
        return sorted(row[0] for row in store.query("SELECT kind FROM variants"))


def remeasured_urls(tmp_path) -> list[str]:
    from readiness.store import open_store

    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        assert store.meta()["complete"] is True
        return sorted(row[0] for row in store.query(
            "SELECT u.url FROM fetches f JOIN urls u ON u.id = f.url_id "
            "WHERE f.timings IS NOT NULL"))


@pytest.fixture(scope="module")
def every_component_on(fixture_server, tmp_path_factory):
    """/team/ crawled with every component on, every page measured again: the twin of each
    crawl below with one switched off."""
    on = tmp_path_factory.mktemp("on")
    result = scrapy_crawl(fixture_server.url("site", "/team/"), on, crawl=TEAM + REMEASURE_ALL)
    assert result.returncode == 0, result.stderr
    return on


def test_variant_probes_are_switched_off_by_their_extensions_entry(
        fixture_server, every_component_on, tmp_path):
    url = fixture_server.url("site", "/team/")
    off = tmp_path / "off"
    off.mkdir()
    assert "index" in variant_kinds(every_component_on)  # /team/index.html (PLANTED.md)
    without = {**project_settings.EXTENSIONS, "readiness.crawl.variants.VariantProbes": None}
    result = scrapy_crawl(url, off, "-s", f"EXTENSIONS={json.dumps(without)}")
    assert result.returncode == 0, result.stderr
    assert variant_kinds(off) == []


def test_idle_time_work_wakes_the_engine_when_it_ends(tmp_path):
    """Quiet re-measurements and variant probes end without Scrapy's heartbeat: with it an
    hour long, the crawl still closes, both done (the timeout is the test's only bound).

    A one-page site: its one variant, /index.html, is the last download, and its answer
    (a page) is parsed by a worker after the engine's own look at the end of that download,
    so only the wake-up when the answer is recorded can close the crawl."""
    site = tmp_path / "site"
    (site / "site").mkdir(parents=True)
    (site / "site.yaml").write_text("hosts:\n  site: 127.0.0.1\n", encoding="utf-8")
    (site / "site" / "index.html").write_text(
        "<!doctype html><html><head><title>One page</title></head><body>one</body></html>",
        encoding="utf-8")
    with SiteServer(site) as server:
        result = scrapy_crawl(server.url("site", "/"), tmp_path, crawl=REMEASURE_ALL,
                              heartbeat=False)
        requested = [(r.method, r.path) for r in server.requests]
    assert result.returncode == 0, result.stderr
    assert remeasured_urls(tmp_path) == [server.url("site", "/")]
    assert variant_kinds(tmp_path) == ["index"]
    assert requested[-1] == ("GET", "/index.html")


def test_optional_components_are_switched_off_by_their_setting(
        fixture_server, every_component_on, tmp_path):
    url = fixture_server.url("site", "/team/")
    off = tmp_path / "off"
    off.mkdir()
    assert url in remeasured_urls(every_component_on)
    assert "index" in variant_kinds(every_component_on)
    result = scrapy_crawl(url, off, "-s", "READINESS_VARIANT_PROBES_ENABLED=False",
                          "-s", "READINESS_QUIET_REMEASUREMENT_ENABLED=False",
                          crawl=TEAM + REMEASURE_ALL)
    assert result.returncode == 0, result.stderr
    assert remeasured_urls(off) == []
    assert variant_kinds(off) == []


def test_a_missing_needed_component_stops_the_crawl_before_its_first_request(
        fixture_server, tmp_path):
    from readiness.store import open_store

    fixture_server.reset_log()
    without = {**project_settings.EXTENSIONS, "readiness.crawl.sitemaps.Sitemaps": None}
    result = scrapy_crawl(fixture_server.url("site", "/team/"), tmp_path,
                          "-s", f"EXTENSIONS={json.dumps(without)}")
    assert ("the crawl needs these components, missing from EXTENSIONS or switched off: "
            "Sitemaps") in result.stderr
    assert fixture_server.requests == []
    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        meta = store.meta()
        assert (meta["complete"], meta["finish_reason"]) == (False, "missing_components")
        assert store.count("fetches") == 0


def test_a_store_stopped_for_a_missing_component_is_a_configuration_error(
        fixture_server, tmp_path):
    """report_crawl (after readiness crawl/check/demo) reads how the crawl ended from the
    store: a component switched off is a configuration error (2), not an interrupt (130)."""
    without = {**project_settings.EXTENSIONS, "readiness.crawl.robots.RobotsTxt": None}
    result = scrapy_crawl(fixture_server.url("site", "/team/"), tmp_path,
                          "-s", f"EXTENSIONS={json.dumps(without)}")
    assert "switched off: RobotsTxt" in result.stderr
    script = (
        "import sys; from pathlib import Path; from readiness.check import report_crawl\n"
        "from readiness.crawl.runner import CrawlResult; from readiness.store import open_store\n"
        f"store = Path({str(tmp_path / 'run' / 'crawl.sqlite')!r})\n"
        "with open_store(store) as reader:\n"
        "    meta = reader.meta()\n"
        "sys.exit(report_crawl(CrawlResult(store.parent, store, meta)))\n")
    reported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=180, cwd=REPO, check=False)
    assert reported.returncode == 2, reported.stderr
    assert "configuration error" in reported.stderr and "EXTENSIONS" in reported.stderr
    assert "interrupted" not in reported.stderr


def test_the_cli_says_which_needed_component_is_missing(fixture_server, tmp_path):
    """run_crawl (readiness crawl/check) turns the stop into a configuration error."""
    script = (
        "import sys; from readiness import settings; from readiness.config import read_config, "
        "ConfigError; from readiness.crawl.runner import run_crawl\n"
        "extensions = {**settings.EXTENSIONS, 'readiness.crawl.workers.ParseWorkers': None}\n"
        "try:\n"
        f"    run_crawl({fixture_server.url('site', '/team/')!r}, read_config(None), "
        f"out={str(tmp_path / 'run')!r}, progress=False, settings={{'EXTENSIONS': extensions}})\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(2)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=180, cwd=REPO)
    assert result.returncode == 2, result.stderr
    assert result.stdout.strip() == ("the crawl needs these components, missing from "
                                     "EXTENSIONS or switched off: ParseWorkers")


def test_redis_coordination_has_the_local_interface_only():
    """The spider and the components call the same methods whichever coordination they
    have: a public method only the Redis one had would be a distributed branch in disguise."""
    def public(cls):
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(RedisCoordination) == public(LocalCoordination)
