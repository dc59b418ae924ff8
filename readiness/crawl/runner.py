"""Run a crawl from Python (the CLI and the demo use this; Scrapy users use `scrapy crawl`)."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from readiness.config import ConfigError, ReadinessConfig
from readiness.crawl.resume import resume_store_path
from readiness.crawl.run_store import new_run_dir
from readiness.crawl.outside import OutsideRun
from readiness.crawl.spider import SiteSpider
from readiness.store import open_store


@dataclass
class CrawlResult:
    run_dir: Path
    store_path: Path
    meta: dict[str, Any]

    @property
    def complete(self) -> bool:
        return bool(self.meta.get("complete"))


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("readiness.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def echo_log(settings: Settings) -> None:
    """The crawl's log (LOG_LEVEL, Scrapy's format) on stderr too: Scrapy's own logging set-up
    writes to one place only, the run folder's crawl.log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(settings.get("LOG_LEVEL"))
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"),
                                           settings.get("LOG_DATEFORMAT")))
    logging.getLogger().addHandler(handler)


def run_crawl(url: str, config: ReadinessConfig, out: str | Path | None = None,
              reports_dir: str | Path = "reports", progress: bool = True,
              settings: dict[str, Any] | None = None,
              resume: str | Path | None = None,
              outside: OutsideRun | None = None,
              log_to_stderr: bool = False) -> CrawlResult:
    """Crawl ``url`` into ``out`` (default ``<reports_dir>/<run-id>``) and return where;
    ``resume``: the store of an interrupted run to continue in place (its folder is the run's,
    ``url`` and ``config`` the stored run's: readiness.crawl.resume); ``outside``: the list of
    a prospects or placements run, ``config`` prepared for it (readiness.crawl.outside);
    ``log_to_stderr`` (``--verbose``): the Scrapy log on stderr as well as in crawl.log."""
    if resume is not None:
        run_dir = resume_store_path(resume).parent
    else:
        run_dir = Path(out) if out else new_run_dir(reports_dir, url)
    run_dir.mkdir(parents=True, exist_ok=True)
    overrides = {
        "READINESS_REPORTS_DIR": str(reports_dir),
        "READINESS_PROGRESS": progress,
        "READINESS_ANALYZE_ON_CLOSE": False,
        # The full Scrapy log goes to the run folder; the terminal gets the progress line.
        "LOG_FILE": str(run_dir / "crawl.log"),
        "LOG_FILE_APPEND": resume is not None,  # a resumed run's log goes on
    }
    overrides.update(settings or {})
    process = CrawlerProcess(project_settings(overrides))
    if log_to_stderr:
        echo_log(process.settings)
    crawler = process.create_crawler(SiteSpider)
    failures: list = []
    where = {"resume": str(run_dir)} if resume is not None else {"out": str(run_dir)}
    process.crawl(crawler, url=url, config=config, outside=outside,
                  **where).addErrback(failures.append)
    process.start()
    if failures:
        failures[0].raiseException()
    if crawler.spider.missing_components:
        raise ConfigError("the crawl needs these components, missing from EXTENSIONS or "
                          f"switched off: {', '.join(crawler.spider.missing_components)}")
    store_path = run_dir / "crawl.sqlite"
    with open_store(store_path) as store:
        meta = store.meta()
    return CrawlResult(run_dir, store_path, meta)
