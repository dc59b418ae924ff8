"""How far a crawl is, told while it runs: its pages, then the outbound phase ("checking 263
outside links on 41 hosts (polite: 1 at a time per host) — 120 done, ~40 s left"), from the
crawl's own counters (``readiness/fetched``, the scheduler's, ``readiness/probes/*``:
readiness/crawl/prober.py).

Two extensions tell it:

- ProgressLine (enabled by ``READINESS_PROGRESS``, which the CLI sets unless ``--quiet``): for
  people watching. On a terminal the line is redrawn in place every second; when stderr is not
  a terminal (CI logs, cron), a plain line is written every ``READINESS_PROGRESS_INTERVAL``
  seconds.
- ProgressLog (every ``READINESS_PROGRESS_LOG_INTERVAL`` seconds, 0 switches it off): the
  same line in the crawl's log, as Scrapy's LogStats logs its counts, for ``scrapy crawl`` and
  scrapyd jobs.
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


class CrawlProgress:
    """The progress line of one crawl, read from its stats."""

    def __init__(self, stats) -> None:
        self.stats = stats
        self.started = time.monotonic()
        self.per_host = 1

    def open(self, spider) -> None:
        self.started = time.monotonic()
        self.per_host = spider.crawl_cfg.probe.concurrency_per_host

    def line(self) -> str:
        get = self.stats.get_value
        counts = self.stats.get_stats()
        fetched = get("readiness/fetched", 0)
        queued = get("scheduler/enqueued", 0) - get("scheduler/dequeued", 0)
        errors = sum(v for k, v in counts.items() if k.startswith("readiness/errors/"))
        elapsed = max(time.monotonic() - self.started, 1e-6)
        # Site URLs (pages, redirects, errors, other files), as the summary's "86 site URLs
        # fetched: 46 HTML pages, …" counts them: calling them pages here would disagree.
        pages = (f"site URLs fetched {fetched} | queued {queued} | errors {errors} | "
                 f"{fetched / elapsed:.1f} URLs/s")
        outbound = self.outbound()
        return f"{pages} | {outbound}" if outbound else pages

    def outbound(self) -> str | None:
        """The outbound phase in words, or None before its first outside link."""
        get = self.stats.get_value
        links = get("readiness/probes/queued", 0)
        if not links:
            return None
        done = sum(v for k, v in self.stats.get_stats().items()
                   if k.startswith("readiness/probes/verdict/"))
        hosts = get("readiness/probes/hosts", 0)
        where = f"{_count(links, 'outside link')} on {_count(hosts, 'host')}"
        if done >= links:
            return f"{where} checked"
        first = get("readiness/probes/first_queued_at")
        elapsed = time.time() - first if first else 0.0
        left = (f", ~{(links - done) * elapsed / done:.0f} s left" if done and elapsed > 0
                else "")
        return (f"checking {where} (polite: {self.per_host} at a time per host) — "
                f"{done} done{left}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class PeriodicProgress:
    """Tells the crawl's progress every ``interval`` seconds from the spider's opening, and
    once more when it closes (``tell``: where to)."""

    def __init__(self, stats, interval: float) -> None:
        self.progress = CrawlProgress(stats)
        self.interval = interval
        self._task: task.LoopingCall | None = None

    @classmethod
    def connected(cls, crawler, *args):
        ext = cls(crawler.stats, *args)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        self.progress.open(spider)
        self._task = task.LoopingCall(self.tell)
        self._task.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self._task and self._task.running:
            self._task.stop()
        self.tell(final=True)

    def tell(self, final: bool = False) -> None:
        raise NotImplementedError


class ProgressLine(PeriodicProgress):
    def __init__(self, stats, interactive: bool, interval: float, stream=None) -> None:
        super().__init__(stats, 1.0 if interactive else interval)
        self.interactive = interactive
        self.stream = stream or sys.stderr

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("READINESS_PROGRESS"):
            raise NotConfigured
        return cls.connected(crawler, sys.stderr.isatty(),
                             crawler.settings.getfloat("READINESS_PROGRESS_INTERVAL", 10.0))

    def tell(self, final: bool = False) -> None:
        if self.interactive:
            end = "\n" if final else ""
            self.stream.write(f"\r\x1b[2K{self.progress.line()}{end}")
        else:
            self.stream.write(f"progress: {self.progress.line()}\n")
        self.stream.flush()


class ProgressLog(PeriodicProgress):
    """The progress line in the crawl's log every ``READINESS_PROGRESS_LOG_INTERVAL`` seconds
    (default 60, as LOGSTATS_INTERVAL; 0: off)."""

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("READINESS_PROGRESS_LOG_INTERVAL", 60.0)
        if interval <= 0:
            raise NotConfigured
        return cls.connected(crawler, interval)

    def tell(self, final: bool = False) -> None:
        logger.info("progress: %s", self.progress.line())
