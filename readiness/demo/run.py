"""``readiness demo``: serve the built-in practice site on 127.0.0.1, crawl it, and report.

The sample site is written for its production domain (https://www.brightsmile-dental.example);
the demo crawls it through a host map to the local server, exactly as a pre-launch check
crawls a staging copy. Its "outside" websites are further loopback addresses (127.0.0.2 …).
The demo ends by printing the path of its report.html.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from readiness import exitcodes
from readiness.config import CrawlConfig, ProbeConfig, ReadinessConfig
from readiness.config.models import BacklinkExportConfig
from readiness.demo.server import SiteServer
from readiness.rules.settings import load_config

PRODUCTION_ORIGIN = "https://www.brightsmile-dental.example"
OUTSIDE_ORIGINS = {"https://dental-health-association.example": "ext_a",
                   "https://family-health-weekly.example": "ext_b",
                   "http://springfield-directory.example": "ext_c"}


def demo_site_dir() -> Path:
    return Path(str(resources.files("readiness.demo").joinpath("site")))


def demo_config(server: SiteServer) -> ReadinessConfig:
    # The shipped rule set, with a crawl section for the local copy of the site and the
    # site's sample backlink export (an Ahrefs Backlinks CSV: docs/backlinks.md).
    backlinks = [BacklinkExportConfig(file=str(demo_site_dir() / "backlinks.csv"))]
    return load_config().model_copy(update={"backlinks": backlinks, "crawl": CrawlConfig(
        host_map={PRODUCTION_ORIGIN: server.url("site").rstrip("/"),
                  # Names for the local "outside" websites, so findings about them keep
                  # their ids from one demo run to the next (the ports change).
                  **{origin: server.url(host).rstrip("/")
                     for origin, host in OUTSIDE_ORIGINS.items()}},
        # The outside hosts are local: no need to wait between requests or cache results.
        probe=ProbeConfig(delay=0, timeout=3, retries=1, backoff=0.5, cache_ttl_hours=0),
    )})


def run_demo(out: str | None = None, reports_dir: str = "reports") -> int:
    from readiness.check import analyze_store, report_crawl
    from readiness.crawl.runner import run_crawl

    with SiteServer(demo_site_dir()) as server:
        print(f"demo site: {PRODUCTION_ORIGIN}/ served at {server.url('site')}")
        config = demo_config(server)
        result = run_crawl(f"{PRODUCTION_ORIGIN}/", config, out=out, reports_dir=reports_dir)
    status = report_crawl(result)
    if status != exitcodes.OK:
        return status
    # The sample site is broken on purpose: finding its problems is the demo succeeding, so
    # no gate line and exit 0. The last line printed is the path of report.html.
    analyze_store(result.store_path, config, show_gate=False)
    return exitcodes.OK
