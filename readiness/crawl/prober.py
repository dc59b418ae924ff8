"""Check outbound URLs: HEAD first, GET when HEAD is refused or says something bad, redirects
followed hop by hop, retries with backoff that honour Retry-After, one verdict per URL.

The prober builds Scrapy requests and interprets their outcomes; the spider owns the
callbacks (so requests stay serialisable by name for disk and Redis queues) and hands each
response or failure here. Politeness comes from Scrapy's per-slot downloader: every probe
request is slotted by its host, whose concurrency and delay are the ``crawl.probe`` settings.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any, AsyncIterator
from urllib.parse import urljoin

import scrapy
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task
from twisted.python.failure import Failure

from readiness.config import ProbeConfig
from readiness.crawl.errors import classify_failure
from readiness.probe.cache import ProbeCache
from readiness.probe.verdicts import (
    HEAD_UNRELIABLE_MIN_STATUS,
    RETRY_ERRORS,
    RETRY_STATUSES,
    Verdict,
    is_bot_wall,
    verdict_for_error,
    verdict_for_status,
)
from readiness.store.records import FetchOutcome, Probe
from readiness.urls import netloc

MAX_REDIRECTS = 10


def retry_after_seconds(value: bytes | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class OutboundSlotSettings(dict):
    """Scrapy's per-slot downloader settings, where every host that is not the site's gets
    the probe politeness (``crawl.probe.concurrency_per_host`` and ``delay``).

    Installed as the downloader's ``per_slot_settings`` when the crawl opens: outbound hosts
    are only known as links are found, and in a distributed run the worker that downloads a
    probe is not the one that found its link.
    """

    def __init__(self, configured: dict, site_hosts: set[str], config: ProbeConfig) -> None:
        super().__init__(configured)
        self.site_hosts = site_hosts
        self.outbound = {"concurrency": config.concurrency_per_host, "delay": config.delay}

    def get(self, key, default=None):
        if key in self:
            return self[key]
        return default if key in self.site_hosts else self.outbound


class OutboundProber:
    def __init__(self, spider, config: ProbeConfig, store, cache: ProbeCache, stats) -> None:
        self.spider = spider
        self.config = config
        self.store = store
        self.cache = cache
        self.stats = stats
        self.hosts: set[str] = set()  # the outside hosts probed: the progress line's count

    def start(self, url: str, url_id: int) -> scrapy.Request | None:
        """The first request for an outbound URL, or None when the cache answers."""
        self._count_queued(url)
        cached = self.cache.get(url)
        if cached is not None:
            self.stats.inc_value("readiness/probes/cached")
            self._record(url_id, url, cached | {"attempts": 0, "cached": 1, "elapsed_ms": None})
            return None
        state = {"url_id": url_id, "url": url, "current": url, "method": "HEAD", "attempt": 1,
                 "hops": [], "t0": time.time()}
        return self._request(state)

    def _count_queued(self, url: str) -> None:
        """The outbound phase's counters (readiness/crawl/progress.py): links to check, on how
        many hosts, since when."""
        if not self.stats.get_value("readiness/probes/queued"):
            self.stats.set_value("readiness/probes/first_queued_at", time.time())
        self.stats.inc_value("readiness/probes/queued")
        self.hosts.add(netloc(url))
        self.stats.set_value("readiness/probes/hosts", len(self.hosts))

    def _request(self, state: dict[str, Any]) -> scrapy.Request:
        self.stats.inc_value(f"readiness/probes/requests/{state['method']}")
        return scrapy.Request(
            state["current"],
            method=state["method"],
            callback=self.spider.probe_response,
            errback=self.spider.probe_failed,
            dont_filter=True,
            priority=5,
            meta={
                "probe": state,
                "download_slot": netloc(state["current"]),
                "download_timeout": self.config.timeout,
                "dont_retry": True,
                "dont_merge_cookies": True,
                "handle_httpstatus_all": True,
            },
        )

    async def on_response(self, response) -> AsyncIterator[scrapy.Request]:
        state = response.meta["probe"]
        status = response.status
        location = response.headers.get(b"Location")
        if 300 <= status < 400 and location:
            target = urljoin(state["current"], location.decode("latin-1").strip())
            state["hops"].append({"url": state["current"], "status": status, "location": target})
            seen = {hop["url"] for hop in state["hops"]}
            if target in seen:
                self._finish(state, Verdict.BROKEN, status=status, error=FetchOutcome.REDIRECT_LOOP)
                return
            if len(state["hops"]) > MAX_REDIRECTS:
                # A long chain through distinct URLs is not a loop: name it as browsers do.
                self._finish(state, Verdict.BROKEN, status=status,
                             error=FetchOutcome.TOO_MANY_REDIRECTS)
                return
            state.update(current=target, method="HEAD")
            yield self._request(state)
            return
        # Rate limits and overload first: a 429 to HEAD must wait for Retry-After too.
        if status in RETRY_STATUSES and state["attempt"] <= self.config.retries:
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait is None or wait <= self.config.max_retry_after:
                async for request in self._retry_later(state, wait):
                    yield request
                return
        if state["method"] == "HEAD" and status >= HEAD_UNRELIABLE_MIN_STATUS:
            # HEAD is often refused (405/501) or answered wrongly: only GET is evidence.
            self.stats.inc_value("readiness/probes/head_fallback")
            state["method"] = "GET"
            yield self._request(state)
            return
        verdict = verdict_for_status(status, bool(state["hops"]), is_bot_wall(status, response.headers))
        self._finish(state, verdict, status=status)

    async def on_failure(self, failure: Failure) -> AsyncIterator[scrapy.Request]:
        state = failure.request.meta["probe"]
        error, detail = classify_failure(failure)
        if error in RETRY_ERRORS and state["attempt"] <= self.config.retries:
            async for request in self._retry_later(state, None):
                yield request
            return
        self._finish(state, verdict_for_error(error), error=error, detail=detail)

    async def _retry_later(self, state: dict[str, Any], wait: float | None):
        if wait is None:
            wait = self.config.backoff * 2 ** (state["attempt"] - 1)
        self.stats.inc_value("readiness/probes/retries")
        # A Twisted timer, so this works under any reactor Scrapy is configured with (the
        # reactor is imported here: importing it at module level would install a default one
        # before Scrapy installs TWISTED_REACTOR).
        from twisted.internet import reactor

        await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        state["attempt"] += 1
        state["method"] = "GET"
        yield self._request(state)

    def _finish(self, state: dict[str, Any], verdict: Verdict, status: int | None = None,
                error: FetchOutcome | None = None, detail: str | None = None) -> None:
        result = {
            "verdict": verdict.value, "status": status, "error": error, "method": state["method"],
            "final_url": state["current"], "hops": state["hops"], "attempts": state["attempt"],
            "elapsed_ms": round((time.time() - state["t0"]) * 1000, 1), "cached": 0,
            "checked_at": time.time(),
        }
        if detail:
            self.stats.inc_value(f"readiness/probes/errors/{error}")
        self._record(state["url_id"], state["url"], result)
        self.cache.put(state["url"], result)

    def _record(self, url_id: int, url: str, result: dict[str, Any]) -> None:
        self.stats.inc_value(f"readiness/probes/verdict/{result['verdict']}")
        self.store.add(Probe(url_id=url_id, **result))
        self.store.flush()  # committed at once: --resume probes only what has no verdict
