"""Quiet re-measurement of slow pages: the crawl's timings taken again, one request at a time.

A page's first timing is taken while the crawl loads the server and the crawl process itself
(``crawl.concurrency`` parallel requests, parsing, the store): a 3 MB page on a fast server
reads slowly because the busy process reads it slowly. So once the crawl is idle, every page
whose time to first byte is over ``crawl.remeasure_slow_ms`` *or* whose full download is over
``crawl.remeasure_download_ms`` is fetched ``crawl.remeasure_times`` more times, one request
at a time, and the experience rules judge the median of those quiet samples only.

Which pages: chosen after the crawl from the store, the smallest URLs first, at most
``MAX_REMEASURED_PAGES`` per crawl process, so the choice is a function of the site and not
of the order responses arrived in. Nothing is kept in memory during the crawl; during the
quiet phase only the chosen pages' samples are.

``fetches.timings`` then holds ``[crawl sample, quiet sample, …]``; a quiet request that
failed or did not answer 200 is a sample with ``error`` (no timing), so a page whose every
re-measurement failed keeps only its crawl sample and is not judged slow (EXP001/EXP002 name
it in one notice instead).

:class:`QuietRemeasurement` is the Scrapy extension that runs it: made when the store opens,
asked by the spider at spider_idle (before the variant probes, so they do not disturb the
quiet), finished when the crawl closes. Off when both thresholds are 0.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Callable

import scrapy
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from readiness.crawl.component import StoreComponent, recheck_idle
from readiness.crawl.errors import classify_failure
from readiness.crawl.middlewares import _timing_sample
from readiness.crawl.signals import store_closing
from readiness.store.records import Fetch, decoded
from readiness.urls import netloc

logger = logging.getLogger(__name__)

# Most pages measured again per crawl process: one request at a time, this bounds the
# quiet phase (200 pages x 2 samples of a 1 s page: under 7 minutes).
MAX_REMEASURED_PAGES = 200


def remeasure_candidates(store, ttfb_ms: float, elapsed_ms: float,
                         limit: int) -> list[tuple[int, str]]:
    """(url id, url) of HTML pages answered 200 whose crawl timing is over a threshold (0:
    that measure is not re-checked) and that were not measured again yet; smallest URLs
    first, at most ``limit``."""
    conditions = []
    params: list[Any] = []
    if ttfb_ms:
        conditions.append("f.ttfb_ms > ?")
        params.append(ttfb_ms)
    if elapsed_ms:
        conditions.append("f.elapsed_ms > ?")
        params.append(elapsed_ms)
    if not conditions or limit <= 0:
        return []
    return [tuple(row) for row in store.query(
        "SELECT f.url_id, u.url FROM fetches f JOIN urls u ON u.id = f.url_id "
        "JOIN pages p ON p.url_id = f.url_id "
        f"WHERE f.status = 200 AND f.timings IS NULL AND ({' OR '.join(conditions)}) "
        "ORDER BY u.url LIMIT ?", (*params, limit))]


class QuietRemeasurer:
    """Measures the slow pages again when the crawl is idle (see the module's docstring).

    ``download(url)`` sends one request straight to the downloader and returns a Deferred
    firing with the response; ``sample(response)`` gives its {"ttfb_ms", "elapsed_ms"};
    ``round_done()`` is called once a round's samples are written.
    """

    def __init__(self, store, ttfb_ms: float, elapsed_ms: float, times: int,
                 download: Callable[[str], Deferred],
                 sample: Callable[[Any], dict[str, Any]], stats=None,
                 max_pages: int = MAX_REMEASURED_PAGES,
                 round_done: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.ttfb_ms, self.elapsed_ms, self.times = ttfb_ms, elapsed_ms, times
        self.download, self.sample = download, sample
        self.round_done = round_done
        self.stats = stats
        self.max_pages = max_pages
        self.chosen = 0  # pages measured again so far (across rounds)
        self._queue: deque[tuple[int, str]] = deque()
        self._samples: dict[int, list[dict[str, Any]]] = {}

    def due(self) -> bool:
        """True while a round of re-measurements is under way: started here when the crawl
        is idle and slow pages wait (a distributed worker may go idle more than once)."""
        if self._samples:
            return True
        chosen = remeasure_candidates(self.store, self.ttfb_ms, self.elapsed_ms,
                                      self.max_pages - self.chosen)
        if not chosen:
            return False
        self.chosen += len(chosen)
        if self.stats is not None:
            self.stats.inc_value("readiness/remeasured_pages", len(chosen))
        logger.info("measuring %d slow page(s) again, one request at a time", len(chosen))
        # Round by round (every page once, then again), so a moment's hiccup of the server
        # lands on one sample of several pages rather than on every sample of one.
        self._queue.extend(page for _ in range(self.times) for page in chosen)
        self._samples = {url_id: [] for url_id, _ in chosen}
        self._next()
        return True

    def finish(self) -> None:
        """The crawl is closing (possibly interrupted): keep what was measured."""
        self._queue.clear()
        for url_id, samples in list(self._samples.items()):
            samples.extend({"error": "interrupted"} for _ in range(self.times - len(samples)))
            self._write(url_id)
        self._samples.clear()

    def _next(self) -> None:
        if not self._queue:
            for url_id in list(self._samples):
                self._write(url_id)
            self._samples.clear()
            self.round_done()
            return
        url_id, url = self._queue.popleft()
        deferred = self.download(url)
        deferred.addCallbacks(self._answered, self._failed,
                              callbackArgs=(url_id,), errbackArgs=(url_id, url))
        deferred.addErrback(self._broken, url)
        deferred.addCallback(lambda _: self._next())

    def _answered(self, response, url_id: int) -> None:
        if response.status == 200:
            self._add(url_id, self.sample(response))
        else:
            self._add(url_id, {"error": f"http-{response.status}"})

    def _failed(self, failure: Failure, url_id: int, url: str) -> None:
        error, detail = classify_failure(failure)
        logger.info("re-measuring %s failed (%s)", url, detail)
        self._add(url_id, {"error": error})

    def _broken(self, failure: Failure, url: str) -> None:
        # A bug here, not a failed download (that is _failed): say so, and go on measuring.
        logger.error("recording the re-measurement of %s failed:\n%s", url,
                     failure.getTraceback())

    def _add(self, url_id: int, sample: dict[str, Any]) -> None:
        samples = self._samples.get(url_id)
        if samples is not None:  # None: finish() already wrote the page
            samples.append(sample)

    def _write(self, url_id: int) -> None:
        """The page's fetch row again, its crawl sample first and then the quiet ones."""
        fetch = next(iter(decoded(Fetch, self.store.query(
            "SELECT * FROM fetches WHERE url_id = ?", (url_id,)))), None)
        if fetch is None:  # not possible: candidates come from this table
            raise LookupError(f"no fetch row for url id {url_id}")
        crawl_sample = {"ttfb_ms": fetch.ttfb_ms, "elapsed_ms": fetch.elapsed_ms}
        fetch.timings = [crawl_sample, *self._samples[url_id]]
        self.store.add(fetch)  # replaces the row, now with every sample



class QuietRemeasurement(StoreComponent):
    """The extension around :class:`QuietRemeasurer` (``crawl.remeasure_*``); off with
    READINESS_QUIET_REMEASUREMENT_ENABLED = False (or no EXTENSIONS entry)."""

    enabled_setting = "READINESS_QUIET_REMEASUREMENT_ENABLED"

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.remeasurer: QuietRemeasurer | None = None  # made when the store opens
        crawler.signals.connect(self.store_closing, signal=store_closing)

    def store_opened(self, store, run_dir) -> None:
        super().store_opened(store, run_dir)
        cfg = self.crawl_cfg
        self.remeasurer = QuietRemeasurer(
            store, cfg.remeasure_slow_ms, cfg.remeasure_download_ms, cfg.remeasure_times,
            self._download_quietly, _timing_sample, self.stats,
            round_done=lambda: recheck_idle(self.crawler))

    def keeps_crawl_open(self) -> bool:
        """At spider_idle: measure the slow pages again, in the quiet."""
        return self.remeasurer is not None and self.remeasurer.due()

    def store_closing(self, store, reason: str) -> None:
        if self.remeasurer is not None:  # interrupted mid-way: keep what was measured
            self.remeasurer.finish()

    def _download_quietly(self, url: str):
        """One request of a quiet re-measurement, straight to the downloader, not through
        the scheduler: in a distributed run the shared queue could hand it to a worker that
        never saw the first sample."""
        request = scrapy.Request(url, dont_filter=True, meta={
            "download_slot": netloc(url), "dont_retry": True})
        return deferred_from_coro(self.crawler.engine.download_async(request))
