"""A live progress line for people watching a crawl (enabled by READINESS_PROGRESS).

On a terminal the line is redrawn in place every second; when stderr is not a terminal
(CI logs, cron), a plain line is written every ``READINESS_PROGRESS_INTERVAL`` seconds.
"""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressLine:
    def __init__(self, stats, interactive: bool, interval: float, stream=None) -> None:
        self.stats = stats
        self.interactive = interactive
        self.interval = 1.0 if interactive else interval
        self.stream = stream or sys.stderr
        self._task: task.LoopingCall | None = None
        self._t0 = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("READINESS_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler.stats, sys.stderr.isatty(),
                  crawler.settings.getfloat("READINESS_PROGRESS_INTERVAL", 10.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        self._t0 = time.monotonic()
        self._task = task.LoopingCall(self.show)
        self._task.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self._task and self._task.running:
            self._task.stop()
        self.show(final=True)

    def line(self) -> str:
        get = self.stats.get_value
        fetched = get("readiness/fetched", 0)
        queued = get("scheduler/enqueued", 0) - get("scheduler/dequeued", 0)
        errors = sum(v for k, v in self.stats.get_stats().items()
                     if k.startswith("readiness/errors/"))
        probes = sum(v for k, v in self.stats.get_stats().items()
                     if k.startswith("readiness/probes/verdict/"))
        elapsed = max(time.monotonic() - self._t0, 1e-6)
        return (f"pages fetched {fetched} | queued {queued} | errors {errors} | "
                f"outbound checked {probes} | {fetched / elapsed:.1f} pages/s")

    def show(self, final: bool = False) -> None:
        if self.interactive:
            end = "\n" if final else ""
            self.stream.write(f"\r\x1b[2K{self.line()}{end}")
        else:
            self.stream.write(f"progress: {self.line()}\n")
        self.stream.flush()
