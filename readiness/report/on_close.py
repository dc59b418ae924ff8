"""Analyse-on-close: a scheduled crawl (``scrapy crawl``, scrapyd) ends with its findings and
every report, like ``readiness check`` (``READINESS_ANALYZE_ON_CLOSE``; the CLI turns it off:
it analyses by itself, with the gate options it was given).

A Scrapy extension on the crawl's :data:`~readiness.crawl.signals.run_stored` signal, so it
runs once per run: after a one-process crawl, or in the last worker of a distributed run,
after the merge. It lives with the reports, not in ``readiness.crawl``: the crawl stage
imports nothing from the stages after it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy.exceptions import NotConfigured

from readiness.crawl.signals import run_stored

logger = logging.getLogger(__name__)


class AnalyzeOnClose:
    def __init__(self, config) -> None:
        self.config = config

    @classmethod
    def from_crawler(cls, crawler) -> "AnalyzeOnClose":
        if not crawler.settings.getbool("READINESS_ANALYZE_ON_CLOSE"):
            raise NotConfigured
        from readiness.rules.settings import validate_rules

        # A bad rule file stops the crawl here, before any request (scrapy crawl, scrapyd).
        extension = cls(validate_rules(crawler.spider.cfg))
        crawler.signals.connect(extension.run_stored, signal=run_stored)
        return extension

    def run_stored(self, store_path: Path, run_dir: Path) -> None:
        """The findings and reports, compared with the previous run kept beside this one."""
        from readiness.report.compare import previous_run_store
        from readiness.report.outputs import FORMATS, prepare_document, write_outputs
        from readiness.rules.engine import analyze

        try:
            analysis = analyze(store_path, self.config,
                               previous_store=previous_run_store(store_path))
            document = prepare_document(analysis, "error", None, None)
            written = write_outputs(document, run_dir, FORMATS)
        except Exception:  # the store is complete and kept; say loudly that reports are not
            logger.exception("analysis of %s failed; run `readiness analyze %s` to retry",
                             store_path, run_dir)
            return
        summary = document["summary"]
        logger.info("%s: %s (%d errors, %d warnings, %d notices); report: %s",
                    document["run"]["start_url"], summary["verdict"],
                    summary["counts"]["error"], summary["counts"]["warning"],
                    summary["counts"]["notice"], written.get("html"))
