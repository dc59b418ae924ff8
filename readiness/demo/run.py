"""``readiness demo``: serve the built-in practice site on 127.0.0.1, crawl it, and report.

The sample site is written for its production domain (https://www.brightsmile-dental.example);
the demo crawls it through a host map to the local server, exactly as a pre-launch check
crawls a staging copy. Its "outside" websites are further loopback addresses (127.0.0.2 …).
The demo ends by printing the path of its report.html.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from pathlib import Path

import yaml

from readiness import exitcodes
from readiness.config import CrawlConfig, ProbeConfig, ReadinessConfig
from readiness.config.models import BacklinkExportConfig
from readiness.console import CONSOLE
from readiness.demo.server import SiteServer
from readiness.rules.settings import load_config

PRODUCTION_ORIGIN = "https://www.brightsmile-dental.example"
OUTSIDE_ORIGINS = {"https://dental-health-association.example": "ext_a",
                   "https://family-health-weekly.example": "ext_b",
                   "http://springfield-directory.example": "ext_c"}


def demo_site_dir() -> Path:
    return Path(str(resources.files("readiness.demo").joinpath("site")))


def demo_host_map(server: SiteServer) -> dict[str, str]:
    """The site's production origin and the "outside" websites' names -> where ``server``
    serves them (names, so findings about them keep their ids from one demo run to the next:
    the ports change)."""
    return {PRODUCTION_ORIGIN: server.url("site").rstrip("/"),
            **{origin: server.url(host).rstrip("/") for origin, host in OUTSIDE_ORIGINS.items()}}


def demo_config(server: SiteServer | dict[str, str]) -> ReadinessConfig:
    """The shipped rule set, with a crawl section for the local copy of the site (``server``
    or its host map) and the site's sample backlink export (an Ahrefs Backlinks CSV:
    docs/backlinks.md)."""
    host_map = server if isinstance(server, dict) else demo_host_map(server)
    backlinks = [BacklinkExportConfig(file=str(demo_site_dir() / "backlinks.csv"))]
    return load_config().model_copy(update={"backlinks": backlinks, "crawl": CrawlConfig(
        host_map=host_map,
        # The outside hosts are local: no need to wait between requests or cache results.
        probe=ProbeConfig(delay=0, timeout=3, retries=1, backoff=0.5, cache_ttl_hours=0),
    )})


# The demo's sample lists for ``readiness prospects`` and ``readiness placements``
# (PLANTED.md, "Prospects and placed links"), in the site's folder.
OUTSIDE_LISTS = {"prospects": "prospects.txt", "placements": "placements.csv"}


def crawl_outside_list(mode: str, site: str, host_map: dict[str, str], out: str | None,
                       reports_dir: str):
    """Crawl one of the demo's link-building lists as ``readiness prospects`` / ``placements``
    does, in a process of its own (a Twisted reactor runs once per process; the configuration
    is rebuilt here, its rule models do not pickle)."""
    from readiness.crawl.outside import prepare_outside, read_outside_list
    from readiness.crawl.runner import run_crawl

    config = demo_config(host_map)
    outside = read_outside_list(mode, demo_site_dir() / OUTSIDE_LISTS[mode])
    prepare_outside(mode, site, outside.listed, config)
    return run_crawl(site, config, out=out, reports_dir=reports_dir, progress=False,
                     outside=outside)


def run_demo(out: str | None = None, reports_dir: str = "reports") -> int:
    from readiness.check import analyze_store, report_crawl
    from readiness.crawl.runner import run_crawl

    site = f"{PRODUCTION_ORIGIN}/"
    spawn = multiprocessing.get_context("spawn")
    with SiteServer(demo_site_dir()) as server, \
            ProcessPoolExecutor(max_workers=1, mp_context=spawn, max_tasks_per_child=1) as lists:
        print(f"demo site: {site} served at {server.url('site')}")
        # The prospects and placements runs crawl the demo's "outside" sites in a child
        # process meanwhile, one after the other.
        outside = {mode: lists.submit(crawl_outside_list, mode, site, demo_host_map(server),
                                      f"{out}-{mode}" if out else None, str(reports_dir))
                   for mode in OUTSIDE_LISTS}
        config = demo_config(server)
        result = run_crawl(site, config, out=out, reports_dir=reports_dir,
                           progress=not CONSOLE.quiet, log_to_stderr=CONSOLE.verbose)
        outside = [future.result() for future in outside.values()]
    # The analysis reads the run's kind and its list from the store (meta mode, the
    # prospects/placements rows): the site's configuration serves for it.
    for outside_result in outside:
        print()
        if report_crawl(outside_result) == exitcodes.OK:
            analyze_store(outside_result.store_path, config, show_gate=False)
    print()
    status = report_crawl(result)
    if status != exitcodes.OK:
        return status
    # The sample site is broken on purpose: finding its problems is the demo succeeding, so
    # no gate line and exit 0. The last line printed is the path of report.html.
    analyze_store(result.store_path, config, show_gate=False)
    return exitcodes.OK


DEMO_CONFIG_NAME = "demo-site.yaml"


def demo_config_yaml(server: SiteServer) -> str:
    """demo_config as a rule file, for commands run against the served demo site."""
    crawl = {"host_map": demo_host_map(server),
             "probe": {"delay": 0, "timeout": 3, "retries": 1, "backoff": 0.5,
                       "cache_ttl_hours": 0}}
    document = {"extends": "default", "crawl": crawl,
                "backlinks": [{"file": str(demo_site_dir() / "backlinks.csv")}]}
    return ("# The built-in demo site as `readiness demo --serve` serves it: its production\n"
            "# names mapped to the local servers (their ports change at every start).\n"
            + yaml.safe_dump(document, sort_keys=False))


def serve_demo(reports_dir: str = "reports") -> int:
    """``readiness demo --serve``: serve the demo site and its outside websites on loopback
    until Ctrl-C (then exit 0: stopping the server is how it ends), with a rule file mapping
    the site's production names to them and the commands that crawl it."""
    site = f"{PRODUCTION_ORIGIN}/"
    with SiteServer(demo_site_dir()) as server:
        config = Path(reports_dir).resolve() / DEMO_CONFIG_NAME
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(demo_config_yaml(server), encoding="utf-8")
        print(f"demo site: {site} served at {server.url('site')}")
        for origin, host in OUTSIDE_ORIGINS.items():
            print(f"outside website: {origin} served at {server.url(host)}")
        print(f"configuration (host map to these servers): {config}")
        print("try, in another terminal:")
        print(f"  readiness check {site} --config {config}")
        print(f"  scrapy crawl site -a url={site} -a config={config}   # from the readiness "
              f"source folder")
        print(f"  curl http://127.0.0.1:6800/schedule.json -d project=readiness -d spider=site "
              f"-d url={site} -d config={config}   # scrapyd (README, Scheduled crawls)")
        stop = threading.Event()
        # Ctrl-C and SIGTERM both end it, even when started with SIGINT ignored (a background
        # job of a non-interactive shell inherits that, and would never stop on Ctrl-C); set
        # before the line that says it serves, which is when a caller may send one.
        previous = {signum: signal.signal(signum, lambda *_: stop.set())
                    for signum in (signal.SIGINT, signal.SIGTERM)}
        print("serving until Ctrl-C", flush=True)
        try:
            while not stop.wait(timeout=1.0):  # a signal handler runs between waits
                pass
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        print("demo: stopped", flush=True)
    return exitcodes.OK
