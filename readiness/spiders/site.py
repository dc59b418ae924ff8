"""SiteSpider: stage 1 (the site's own pages) and stage 2 (outbound probes) of a crawl.

The spider records facts and never judges. Its shape follows from three Scrapy behaviours it
must not inherit (see docs/architecture.md):

* redirects are followed here, one fetch per hop, so chains and loops survive deduplication;
* robots.txt is applied here, so blocked URLs are recorded rather than silently dropped;
* link edges are written when they are extracted, not when their target is fetched.

Every URL is decided once: the crawl store's URL index gives each URL an id, and a bytearray
indexed by id says whether the URL was already fetched, skipped or probed. That is the
crawl's whole per-URL memory; page facts go straight to the store.

Run it with ``readiness crawl URL`` or ``scrapy crawl site -a url=URL [-a config=FILE]
[-a out=DIR]``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import Any, AsyncIterator, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from twisted.internet import task
from twisted.python.failure import Failure

from readiness import __version__
from readiness.config import ReadinessConfig, load_config
from readiness.crawl.distributed import DistributedRun, RunFinished
from readiness.crawl.errors import classify_failure
from readiness.crawl.headers import kept_headers, parse_link_header
from readiness.crawl.parsing import PageParseError, ParsedPage, parse_html
from readiness.crawl.remeasure import QuietRemeasurer
from readiness.crawl.robots import RobotsRules
from readiness.crawl.sitemaps import ERROR_WORDS, parse_sitemap
from readiness.crawl.stylesheets import css_urls
from readiness.crawl.variants import VariantSample, sample_key, url_variants
from readiness.crawl.workers import ParseWorkers, WorkerFailed, WorkerLost, available_cores
from readiness.probe.cache import ProbeCache
from readiness.probe.outbound import OutboundProber, OutboundSlotSettings
from readiness.store.records import (
    Body,
    Canonical,
    Fetch,
    FetchOutcome,
    Hreflang,
    Robots,
    Sitemap,
    SitemapEntry,
    Variant,
)
from readiness.store.sqlite import remove_store_files
from readiness.urls import Scope, UrlNormalizer, is_http, netloc, origin

logger = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 512 * 1024
MAX_SEED_REDIRECTS = 5
# Distributed runs: how often an idle worker looks at the shared request queue.
QUEUE_POLL_SECONDS = 0.5
# Elements whose internal targets are pages worth fetching.
PAGE_ELEMENTS = frozenset({"a", "area", "iframe"})
# <link rel=...> values naming a host to warm up, not a URL anyone will load.
NON_URL_LINK_RELS = frozenset({"preconnect", "dns-prefetch"})
# <link rel=...> values that load a resource with the page (weight, broken assets).
RESOURCE_LINK_RELS = frozenset({"stylesheet", "icon", "shortcut", "preload", "apple-touch-icon",
                                "manifest", "modulepreload"})


def run_id_for(url: str) -> str:
    host = (urlsplit(url).hostname or "site").replace(":", "_")
    return f"{host}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}"


def new_run_dir(reports_dir: str | Path, url: str) -> Path:
    """A fresh ``<reports_dir>/<run-id>`` folder, created here. Run ids name the second a
    run starts, so two runs of a site in the same second (scheduled jobs) get ``-2``, ``-3``:
    mkdir is the claim, so concurrent runs never share a folder."""
    base = Path(reports_dir) / run_id_for(url)
    base.parent.mkdir(parents=True, exist_ok=True)
    candidate, suffix = base, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            suffix += 1
            candidate = base.with_name(f"{base.name}-{suffix}")


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, url: str | None = None, config: str | ReadinessConfig | None = None,
                 out: str | None = None, run: str | None = None, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not url:
            raise ValueError("a start URL is required: scrapy crawl site -a url=https://…")
        # A path (scrapy crawl -a config=…, scrapyd) or an already validated config (the CLI).
        if isinstance(config, ReadinessConfig):
            self.config_path, self.cfg = None, config
        else:
            self.config_path, self.cfg = config, load_config(config)
        self.out = out
        self.crawl_cfg = self.cfg.crawl
        # A distributed run (crawl.distributed.redis_url): every worker gets the same name.
        self.run_name = run
        if self.crawl_cfg.distributed.redis_url and not run:
            raise ValueError("crawl.distributed.redis_url is set: start every worker of the run "
                             "with the same -a run=NAME")
        self.distributed: DistributedRun | None = None
        self._run_over = False  # started for a distributed run that had already ended
        self._idle_mark: tuple[int, float] | None = None  # (activity count, since when)
        self._opened_at = 0.0
        self._queue_poll: task.LoopingCall | None = None
        self.normalizer = UrlNormalizer(self.crawl_cfg.host_map, self.crawl_cfg.strip_params)
        start = self.normalizer.normalize(url)
        if start is None or not is_http(start):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.start_url = start
        self.seed_urls = [start] + [
            u for u in (self.normalizer.normalize(s) for s in self.crawl_cfg.start_urls) if u
        ]
        self.site_netlocs = {netloc(u) for u in self.seed_urls}
        for host in self.crawl_cfg.extra_hosts:
            mapped = self.normalizer.normalize(host if "://" in host else f"http://{host}/")
            if mapped:
                self.site_netlocs.add(netloc(mapped))
        self.scope = Scope(self.site_netlocs, self.crawl_cfg.include, self.crawl_cfg.exclude)
        self._decided = bytearray()
        self._scheduled_pages = 0
        self._robots_pending: set[str] = set()
        self._robots_loaded: set[str] = set()  # distributed: hosts whose shared rules are read
        self._sitemaps_seen: set[str] = set()
        self._variant_sample = VariantSample(self.crawl_cfg.variant_samples)
        self._variant_probes: int | None = None  # under way; None until they are requested
        self.remeasurer: QuietRemeasurer | None = None  # made when the store opens
        self.limits_hit: set[str] = set()
        self.parse_workers: ParseWorkers | None = None  # started by from_crawler
        self.extractor_args = {
            "boilerplate_selectors": list(self.crawl_cfg.boilerplate_selectors)}

    # -- wiring ---------------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> "SiteSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._apply_config_to_settings(crawler.settings)
        # Started now rather than when the crawl opens: the worker's imports (~0.5 s) then
        # overlap Scrapy's own start-up instead of the first pages.
        spider._start_parse_workers()
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _apply_config_to_settings(self, settings) -> None:
        """Turn the YAML crawl section into Scrapy settings (before they are frozen)."""
        cfg = self.crawl_cfg
        # Site hosts use the site's politeness; every other host gets the probe politeness
        # (OutboundSlotSettings, installed when the crawl opens).
        settings.set("CONCURRENT_REQUESTS", cfg.concurrency + 16, "spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", cfg.concurrency, "spider")
        settings.set("DOWNLOAD_DELAY", cfg.delay, "spider")
        settings.set("DOWNLOAD_TIMEOUT", cfg.timeout, "spider")
        settings.set("DOWNLOAD_MAXSIZE", cfg.max_page_bytes, "spider")
        settings.set("DOWNLOAD_WARNSIZE", 0, "spider")
        if cfg.user_agent:
            settings.set("USER_AGENT", cfg.user_agent, "spider")
        if cfg.distributed.redis_url:
            # One request queue for all the run's workers (scrapy-redis). PERSIST: a worker
            # that leaves must not empty the queue the others still work from; the last one
            # out deletes it. Requests are dont_filter (each URL is decided once already),
            # so the dupefilter only has to exist.
            prefix = f"readiness:{self.run_name}"
            for key, value in {
                "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
                "SCHEDULER_PERSIST": True,
                "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
                "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
                "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
                "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                "REDIS_URL": cfg.distributed.redis_url,
            }.items():
                settings.set(key, value, "spider")

    def _opened(self, spider) -> None:
        """Open the store once the crawl starts (stats exist only from then on)."""
        crawler = self.crawler
        settings = crawler.settings
        reports_dir = Path(settings.get("READINESS_REPORTS_DIR", "reports"))
        store_cls = load_object(settings.get("READINESS_STORE_CLASS"))
        if self.crawl_cfg.distributed.redis_url:
            self._join_run(reports_dir)
            # A shard with the run's shared URL ids; the last worker out merges the shards.
            self.store_path = self.run_dir / "shards" / f"{self.distributed.worker}.sqlite"
            assign = self.distributed.assign_ids
            self.store = store_cls(self.store_path, assign_id=lambda url: assign([url])[0])
        else:
            self.run_dir = Path(self.out) if self.out else new_run_dir(reports_dir, self.start_url)
            self.store_path = self.run_dir / "crawl.sqlite"
            self.store = store_cls(self.store_path)
        self.store.open({
            "run_id": self.run_dir.name,
            "start_url": self.start_url,
            "seed_urls": self.seed_urls,
            "site_hosts": sorted(self.site_netlocs),
            "config": self.cfg.model_dump(mode="json"),
            "config_file": self.config_path,
            "readiness_version": __version__,
            "started_at": time.time(),
            "complete": False,
            "finish_reason": "running",
        }, fresh=True)
        probe_cfg = self.crawl_cfg.probe
        cache_path = probe_cfg.cache_path or (reports_dir / ".probe-cache.sqlite")
        self.probe_cache = ProbeCache(cache_path, probe_cfg.cache_ttl_hours)
        self.prober = OutboundProber(self, probe_cfg, self.store, self.probe_cache, crawler.stats)
        downloader = crawler.engine.downloader
        downloader.per_slot_settings = OutboundSlotSettings(
            downloader.per_slot_settings, self.site_netlocs, probe_cfg)
        if self.parse_workers is not None:
            if self._run_over:
                self.parse_workers.close()
                self.parse_workers = None
            else:  # logged here: the crawl's log file only exists from now on
                logger.info("started %d parse worker(s)", self.parse_workers.count)
        self.robots = RobotsRules(settings.get("USER_AGENT"))
        self.stats = crawler.stats
        cfg = self.crawl_cfg
        self.remeasurer = QuietRemeasurer(
            self.store, cfg.remeasure_slow_ms, cfg.remeasure_download_ms, cfg.remeasure_times,
            self._download_quietly, _timing_sample, self.stats)

    def _start_parse_workers(self) -> None:
        workers = self.crawl_cfg.parse_workers
        if workers == "auto":
            workers = 1 if available_cores() >= 2 else 0
        if workers:
            self.parse_workers = ParseWorkers(workers, self.extractor_args,
                                              self.crawl_cfg.store_html)
            self.parse_workers.start()

    def _join_run(self, reports_dir: Path) -> None:
        """Register with the distributed run named by ``-a run=``."""
        self.run_dir = Path(self.out) if self.out else reports_dir / self.run_name
        dist_cfg = self.crawl_cfg.distributed
        self.distributed = DistributedRun(dist_cfg.redis_url, self.run_name,
                                          presence_seconds=dist_cfg.presence_seconds)
        try:
            role = "seeds the run" if self.distributed.join() else "joins the run"
        except RunFinished as exc:
            logger.error("%s: nothing to do", exc)
            self._run_over = True
            return
        logger.info("worker %s %s %s", self.distributed.worker, role, self.run_name)
        # An idle Scrapy engine looks at its scheduler only every 5 s (heartbeat); other
        # workers fill the shared queue any time, so look more often.
        self._opened_at = time.monotonic()
        self._queue_poll = task.LoopingCall(self._poll_shared_queue)
        self._queue_poll.start(QUEUE_POLL_SECONDS, now=False)

    @cached_property
    def extractor(self):
        """The extractor for pages parsed in this process: every page when there are no
        parse workers, else only the pages of a worker that ended. Imported on first use,
        since a crawl with workers never needs its libraries here."""
        from readiness.crawl.extract import PageExtractor

        return PageExtractor(**self.extractor_args)

    def _idle(self, spider) -> None:
        """When everything else is done, measure the slow pages again, in the quiet; in a
        distributed run, stay until the run has nothing left for this worker."""
        if self.remeasurer is not None and self.remeasurer.due():
            raise DontCloseSpider
        if self.distributed is not None and not self._run_over and not self._may_leave_run():
            raise DontCloseSpider
        if self._probe_variants_once():
            raise DontCloseSpider

    def _download_quietly(self, url: str):
        """One request of a quiet re-measurement, straight to the downloader, not through
        the scheduler: in a distributed run the shared queue could hand it to a worker that
        never saw the first sample."""
        request = scrapy.Request(url, dont_filter=True, meta={
            "download_slot": netloc(url), "dont_retry": True})
        return deferred_from_coro(self.crawler.engine.download_async(request))

    def _poll_shared_queue(self) -> None:
        """Every QUEUE_POLL_SECONDS in a distributed run: wake the engine when the shared
        queue has work, and tell the run whether this worker is busy."""
        engine = self.crawler.engine
        scheduler = engine.scheduler
        if scheduler is not None and scheduler.has_pending_requests():
            request = scheduler.next_request()
            if request is not None:
                # Back through engine.crawl(): that wakes the engine, which then takes as
                # many requests as it has room for (harmless when it is busy anyway).
                engine.crawl(request)
        # Any request taken from the shared queue, or any response, is activity.
        handled = self.stats.get_value("scheduler/dequeued/redis", 0) + self.stats.get_value(
            "response_received_count", 0)
        now = time.monotonic()
        if self._idle_mark is None or self._idle_mark[0] != handled:
            self._idle_mark = (handled, now)
        self.distributed.report(idle=self._out_of_work(now))

    def _out_of_work(self, now: float) -> bool:
        idle_for = now - self._idle_mark[1] if self._idle_mark is not None else 0.0
        return (self.crawler.engine.spider_is_idle()
                and idle_for >= self.crawl_cfg.distributed.idle_close_seconds)

    def _may_leave_run(self) -> bool:
        """Leave once this worker has been out of work for ``idle_close_seconds`` (the
        shared queue empty too), the run has been seeded, and no other live worker is busy
        (one that is could still add requests)."""
        now = time.monotonic()
        if not self.distributed.seeded:
            waited = now - self._opened_at
            if waited < self.crawl_cfg.distributed.seed_wait_seconds:
                return False
            logger.error("run %s was not seeded within %.0f s: is its first worker running?",
                         self.run_name, self.crawl_cfg.distributed.seed_wait_seconds)
            return True
        return self._out_of_work(now) and not self.distributed.others_busy()

    def _closed(self, spider, reason: str) -> None:
        if self._queue_poll is not None and self._queue_poll.running:
            self._queue_poll.stop()
        if self.parse_workers is not None:
            self.parse_workers.close()
        if self.remeasurer is not None:  # interrupted mid-way: keep what was measured
            self.remeasurer.finish()
        complete = reason == "finished" and not self.limits_hit
        self.store.close({
            "finished_at": time.time(),
            "finish_reason": reason,
            "complete": complete,
            "limits_hit": sorted(self.limits_hit),
            "stats": {k: v for k, v in self.stats.get_stats().items()
                      if isinstance(v, (int, float, str))},
        })
        self.probe_cache.close()
        logger.info("crawl store written: %s (%s)", self.store_path,
                    "complete" if complete else f"incomplete: {reason}, limits {sorted(self.limits_hit)}")
        if self.distributed is not None:
            if self._run_over:  # this worker's empty shard is not part of the run
                remove_store_files(self.store_path)
                return
            if not self.distributed.leave():
                logger.info("worker %s left run %s; the last worker out merges the store",
                            self.distributed.worker, self.run_name)
                return
            self.store_path = self._merge_run()
        if self.crawler.settings.getbool("READINESS_ANALYZE_ON_CLOSE"):
            self._analyze()

    def _merge_run(self) -> Path:
        """The last worker of a distributed run: every shard into the run's crawl.sqlite."""
        from readiness.store.merge import merge_run

        target = self.run_dir / "crawl.sqlite"
        merged = merge_run(self.store_path.parent, self.distributed.members(), target,
                           self.run_name)
        self.distributed.clean_up()
        logger.info("run %s: %d shard(s) merged into %s", self.run_name, merged, target)
        return target

    def _analyze(self) -> None:
        """Scheduled crawls (scrapy crawl, scrapyd) end with the findings and reports too,
        compared with the previous run kept beside this one. The CLI analyses by itself."""
        from readiness.report.outputs import FORMATS, prepare_document, write_outputs
        from readiness.rules.engine import analyze

        try:
            document = prepare_document(analyze(self.store_path, self.cfg), "error", None, None)
            written = write_outputs(document, self.run_dir, FORMATS)
        except Exception:  # the store is complete and kept; say loudly that reports are not
            logger.exception("analysis of %s failed; run `readiness analyze %s` to retry",
                             self.store_path, self.run_dir)
            return
        summary = document["summary"]
        logger.info("%s: %s (%d errors, %d warnings, %d notices); report: %s",
                    document["run"]["start_url"], summary["verdict"],
                    summary["counts"]["error"], summary["counts"]["warning"],
                    summary["counts"]["notice"], written.get("html"))

    # -- seeds: robots.txt first, then start URLs and sitemaps ----------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.distributed is not None and (self._run_over or not self.distributed.coordinator):
            return  # the run's first worker seeds it; the others take from the shared queue
        origins = sorted({origin(u) for u in self.seed_urls} |
                         {f"{urlsplit(self.start_url).scheme}://{n}" for n in self.site_netlocs})
        if self.distributed is not None:
            self.distributed.robots_expected([netloc(o) for o in origins])
        for host_origin in origins:
            host = netloc(host_origin)
            if host in self._robots_pending:
                continue
            self._robots_pending.add(host)
            yield self._aux_request(f"{host_origin}/robots.txt", self.parse_robots,
                                    self.robots_failed, {"robots_host": host})

    def _aux_request(self, url: str, callback, errback, meta: dict[str, Any]) -> scrapy.Request:
        """robots.txt and sitemap fetches: not pages, so outside the page bookkeeping."""
        return scrapy.Request(url, callback=callback, errback=errback, dont_filter=True,
                              priority=100, meta={**meta, "download_slot": netloc(url)})

    def _follow_aux_redirect(self, response) -> scrapy.Request | None:
        location = response.headers.get(b"Location")
        hops = response.meta.get("aux_hops", 0)
        if not (300 <= response.status < 400 and location) or hops >= MAX_SEED_REDIRECTS:
            return None
        target = self.normalizer.normalize(location.decode("latin-1"), response.url)
        if target is None:
            return None
        if netloc(target) not in self.site_netlocs:
            # robots.txt and sitemaps are read from the site's hosts only; the redirect
            # itself is what gets recorded.
            logger.info("%s redirects to %s, outside the site: not followed", response.url,
                        target)
            return None
        request = response.request.replace(url=target)
        request.meta["aux_hops"] = hops + 1
        request.meta["download_slot"] = netloc(target)
        return request

    def parse_robots(self, response) -> Iterable[scrapy.Request]:
        redirect = self._follow_aux_redirect(response)
        if redirect is not None:
            yield redirect
            return
        host = response.meta["robots_host"]
        sitemaps: list[str] = []
        body = None
        if response.status == 200:
            body = response.body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace")
            # Read even with robots: ignore (its Sitemap: lines count); _decide is what
            # leaves the rules unapplied.
            sitemaps = self.robots.add(host, body)
        elif response.status >= 500:
            logger.warning("robots.txt of %s answered %s: search engines then stop crawling the "
                           "site; readiness goes on as if allowed", host, response.status)
        self.store.add(Robots(host=host, url=response.url, status=response.status, body=body,
                              sitemaps=sitemaps, fetched_at=time.time()))
        self.stats.inc_value(f"readiness/robots/status/{response.status}")
        yield from self._robots_done(host, sitemaps, body)

    def robots_failed(self, failure: Failure) -> Iterable[scrapy.Request]:
        request = failure.request
        host = request.meta["robots_host"]
        error, detail = classify_failure(failure)
        logger.warning("robots.txt of %s could not be fetched (%s)", host, detail)
        self.store.add(Robots(host=host, url=request.url, error=error, fetched_at=time.time()))
        yield from self._robots_done(host, [])

    def _robots_done(self, host: str, sitemaps: list[str],
                     body: str | None = None) -> Iterable[scrapy.Request]:
        self._robots_pending.discard(host)
        if self.distributed is not None:
            # Any worker may have fetched this; the others read the rules from the run.
            self._robots_loaded.add(host)
            if self.distributed.robots_settled(host, body):  # other hosts still pending
                return self._robots_sitemaps(host, sitemaps)
            return chain(self._robots_sitemaps(host, sitemaps), self._seed())
        return chain(self._robots_sitemaps(host, sitemaps),
                     () if self._robots_pending else self._seed())

    def _robots_sitemaps(self, host: str, sitemaps: list[str]) -> Iterable[scrapy.Request]:
        sitemap_sources = [(u, "robots") for u in sitemaps]
        # A Sitemap: line on a host outside the crawl is recorded, never fetched (and search
        # engines ignore it unless both hosts are verified): the fallback still applies.
        on_site = [u for u in sitemaps if self._site_sitemap(u, self.start_url)]
        if host == netloc(self.start_url) and not on_site and not self.crawl_cfg.sitemaps:
            sitemap_sources.append((f"{origin(self.start_url)}/sitemap.xml", "fallback"))
        for raw in self.crawl_cfg.sitemaps:
            if host == netloc(self.start_url):
                sitemap_sources.append((raw, "config"))
        for raw, found_in in sitemap_sources:
            request = self._sitemap_request(raw, None, found_in, self.start_url)
            if request is not None:
                yield request

    def _seed(self) -> Iterable[scrapy.Request]:
        """The start URLs, once every site host's robots.txt is known."""
        for url in self.seed_urls:
            request = self._decide(url, depth=0, discovered_by="start", source_id=None)
            if request is not None:
                yield request
        if self.distributed is not None:
            self.distributed.mark_seeded()

    # -- sitemaps -------------------------------------------------------------------------

    def _site_sitemap(self, raw: str, base: str) -> bool:
        """Is this sitemap URL on one of the site's hosts (the only ones fetched)?"""
        url = self.normalizer.normalize(raw, base)
        return url is not None and is_http(url) and netloc(url) in self.site_netlocs

    def _sitemap_request(self, raw: str, parent_id: int | None, found_in: str,
                         base: str) -> scrapy.Request | None:
        url = self.normalizer.normalize(raw, base)
        if url is None or not is_http(url) or url in self._sitemaps_seen:
            return None
        self._sitemaps_seen.add(url)
        if self.distributed is not None and not self.distributed.first_sitemap(url):
            return None
        url_id = self.store.intern(url, self.scope.is_internal(url))
        if netloc(url) not in self.site_netlocs:
            # Never fetched from a host that is not the site's: recorded for the rules.
            self.stats.inc_value("readiness/sitemaps/off-site")
            self.store.add(Sitemap(url_id=url_id, parent_id=parent_id, found_in=found_in,
                                   error="off-site"))
            return None
        meta = {"sitemap": (url_id, parent_id, found_in)}
        return self._aux_request(url, self.parse_sitemap, self.sitemap_failed, meta)

    def parse_sitemap(self, response) -> Iterable[scrapy.Request]:
        redirect = self._follow_aux_redirect(response)
        if redirect is not None:
            yield redirect
            return
        url_id, parent_id, found_in = response.meta["sitemap"]
        sitemap = Sitemap(url_id=url_id, parent_id=parent_id, found_in=found_in,
                          status=response.status)
        if response.status != 200:
            sitemap.error = f"http-{response.status}"
            self.store.add(sitemap)
            return
        parsed = parse_sitemap(response.body, self.crawl_cfg.max_page_bytes)
        sitemap.kind, sitemap.error = parsed.kind, parsed.error
        sitemap.entries = len(parsed.entries)
        self.store.add(sitemap)
        if parsed.error:
            logger.warning("sitemap %s %s; %d entries read", response.url,
                           ERROR_WORDS.get(parsed.error, parsed.error), len(parsed.entries))
        if parsed.kind == "sitemapindex":
            for raw, _lastmod in parsed.entries:
                request = self._sitemap_request(raw, url_id, "index", response.url)
                if request is not None:
                    yield request
            return
        entries = []
        for raw, lastmod in parsed.entries:
            target = self.normalizer.normalize(raw, response.url)
            target_id = None
            if target is not None:
                internal = self.scope.is_internal(target)
                target_id = self.store.intern(target, internal)
                if internal:
                    request = self._decide(target, 0, "sitemap", url_id, target_id, internal)
                    if request is not None:
                        yield request
            entries.append(SitemapEntry(sitemap_id=url_id, url_id=target_id, raw=raw,
                                        lastmod=lastmod))
        self.store.add_all(entries)
        self.stats.inc_value("readiness/sitemap_entries", len(entries))

    def sitemap_failed(self, failure: Failure) -> None:
        url_id, parent_id, found_in = failure.request.meta["sitemap"]
        error, detail = classify_failure(failure)
        logger.warning("sitemap %s could not be fetched (%s)", failure.request.url, detail)
        self.store.add(Sitemap(url_id=url_id, parent_id=parent_id, found_in=found_in,
                               error=error))

    # -- deciding about a URL, once --------------------------------------------------------

    def _first_decision(self, url_id: int) -> bool:
        """True the first time it is called for ``url_id``."""
        decided = self._decided
        if url_id >= len(decided):
            decided.extend(b"\0" * max(url_id + 1 - len(decided), 4096))
        if decided[url_id]:
            return False
        decided[url_id] = 1
        # In a distributed run another worker may have decided already (the local bit then
        # saves asking again).
        return self.distributed is None or self.distributed.first_decision(url_id)

    def _load_shared_robots(self, url: str) -> None:
        """The robots.txt rules of ``url``'s host, as the worker that fetched it read them."""
        host = netloc(url)
        if host in self._robots_loaded:
            return
        body = self.distributed.shared_robots(host)
        if body is None:  # not settled yet (or not a site host): ask again next time
            return
        self._robots_loaded.add(host)
        if body:
            self.robots.add(host, body)

    def _decide(self, url: str, depth: int, discovered_by: str, source_id: int | None,
                url_id: int | None = None, internal: bool | None = None) -> scrapy.Request | None:
        """Fetch, skip (and record why) or probe ``url``; None unless a request is due.
        ``url_id`` and ``internal``, when the caller has them already."""
        if internal is None:
            internal = self.scope.is_internal(url)
        if url_id is None:
            url_id = self.store.intern(url, internal)
        if not self._first_decision(url_id):
            return None
        if not internal:
            if not is_http(url) or not self.crawl_cfg.probe.enabled:
                return None
            return self.prober.start(url, url_id)
        skip = self._skip_reason(url, depth)
        robots_blocked = False
        if self.distributed is not None:
            self._load_shared_robots(url)
        if skip is None and self.crawl_cfg.robots != "ignore" and not self.robots.allowed(url):
            robots_blocked = True
            self.stats.inc_value("readiness/robots_blocked")
            if self.crawl_cfg.robots == "obey":
                skip = FetchOutcome.ROBOTS_BLOCKED
        # max_pages limits pages, not their images; checked last, so only a page that will be
        # fetched takes a place in the budget.
        if skip is None and discovered_by != "resource" and not self._take_page():
            self.limits_hit.add("max_pages")
            skip = FetchOutcome.MAX_PAGES
        if skip is not None:
            self.stats.inc_value(f"readiness/skipped/{skip}")
            self.store.add(Fetch(url_id=url_id, error=skip, fetched=False,
                                 robots_blocked=robots_blocked, depth=depth,
                                 discovered_by=discovered_by, discovered_from=source_id))
            return None
        return scrapy.Request(
            url, callback=self.parse_page, errback=self.page_failed, dont_filter=True,
            priority=-depth,
            meta={"page": (url_id, depth, discovered_by, source_id, robots_blocked),
                  "download_slot": netloc(url)},
        )

    def _skip_reason(self, url: str, depth: int) -> FetchOutcome | None:
        cfg = self.crawl_cfg
        if self.scope.is_excluded(url):
            return FetchOutcome.EXCLUDED
        if len(url) > cfg.max_url_length or self._repeats_segments(url):
            return FetchOutcome.TRAP
        if depth > cfg.max_depth:
            self.limits_hit.add("max_depth")
            return FetchOutcome.MAX_DEPTH
        return None

    def _take_page(self) -> bool:
        """One more page within crawl.max_pages (the whole run's, when distributed)."""
        if self.distributed is not None:
            return self.distributed.count_page() <= self.crawl_cfg.max_pages
        if self._scheduled_pages >= self.crawl_cfg.max_pages:
            return False
        self._scheduled_pages += 1
        return True

    def _repeats_segments(self, url: str) -> bool:
        """/a/b/a/b/a/b/… calendars and relative-link loops generate endless URLs."""
        segments = [s for s in urlsplit(url).path.split("/") if s]
        if len(segments) <= self.crawl_cfg.max_repeated_segments:
            return False
        counts: dict[str, int] = {}
        for segment in segments:
            counts[segment] = counts.get(segment, 0) + 1
            if counts[segment] > self.crawl_cfg.max_repeated_segments:
                return True
        return False

    # -- pages ----------------------------------------------------------------------------

    async def parse_page(self, response) -> AsyncIterator[scrapy.Request]:
        url_id, depth, discovered_by, source_id, robots_blocked = response.meta["page"]
        if self.distributed is not None:  # the request may come from another worker's shard
            self.store.know(response.url, url_id, True)
        meta = response.meta
        status = response.status
        headers = response.headers
        fetch = Fetch(
            url_id=url_id, status=status, fetched=True, robots_blocked=robots_blocked,
            **_timing_sample(response),
            bytes=meta.get("readiness_wire_bytes", len(response.body)),
            content_type=headers.get(b"Content-Type", b"").decode("latin-1") or None,
            depth=depth, discovered_by=discovered_by, discovered_from=source_id,
            headers=kept_headers(headers, meta.get("readiness_content_encoding")),
            retries=meta.get("retry_times", 0),
            fetched_at=time.time(),
        )
        self.stats.inc_value("readiness/fetched")
        self.stats.inc_value(f"readiness/status/{status}")
        location = headers.get(b"Location")
        if 300 <= status < 400 and location:
            raw = location.decode("latin-1").strip()
            fetch.location = raw
            target = self.normalizer.normalize(raw, response.url)
            if target is not None:
                target_id = self.store.intern(target, self.scope.is_internal(target))
                fetch.location_url_id = target_id
                self.store.add(fetch)
                # A redirect hop is not a click: the target keeps this URL's depth.
                request = self._decide(target, depth, "redirect", url_id, target_id)
                if request is not None:
                    yield request
                return
        self.store.add(fetch)
        if status == 200 and (isinstance(response, HtmlResponse) or (
                isinstance(response, TextResponse)
                and b"html" in (headers.get(b"Content-Type") or b""))):
            parsed = await self._parsed(response)
            if parsed is not None:
                for request in self._record_page(response, url_id, depth, parsed,
                                                 fetch.headers):
                    yield request
        elif (status == 200 and self.crawl_cfg.fetch_resources
                and isinstance(response, TextResponse)
                and b"text/css" in (headers.get(b"Content-Type") or b"").lower()):
            for request in self._record_stylesheet(response, url_id, depth):
                yield request

    async def _parsed(self, response) -> ParsedPage | None:
        """The page parsed by a worker when one is running, else here; None if unparsable."""
        url, body, encoding = response.url, response.body, response.encoding
        try:
            workers = self.parse_workers
            if workers is not None and workers.alive:
                try:
                    return await workers.parse(url, body, encoding)
                except WorkerLost:  # already logged by ParseWorkers; parse it here instead
                    self.stats.inc_value("readiness/parse_worker_lost")
                except WorkerFailed as exc:  # a bug in extraction, with the worker's traceback
                    logger.error("parsing %s failed in a parse worker:\n%s", url, exc)
                    self.stats.inc_value("readiness/parse_errors")
                    return None
            return parse_html(self.extractor, url, body, encoding, self.crawl_cfg.store_html)
        except PageParseError as exc:  # undecodable or empty body: the fetch row still stands
            logger.warning("could not parse %s: %s", url, exc)
            self.stats.inc_value("readiness/parse_errors")
            return None

    def _record_page(self, response, url_id: int, depth: int, parsed: ParsedPage,
                     headers: dict[str, str]) -> Iterable[scrapy.Request]:
        """Store the page's facts and link edges; requests for the URLs it leads to.
        ``headers``: the fetch row's kept headers (names lower-cased, values joined)."""
        page_url = response.url
        facts = parsed.facts
        if parsed.html_zlib is not None:
            self.store.add(Body(url_id=url_id, html=parsed.html_zlib))
        self.store.add(facts.page_record(url_id, headers.get("x-robots-tag"), response.encoding))
        self._sample_for_variants(page_url)
        base = page_url
        if facts.base_href:
            base = self.normalizer.normalize(facts.base_href, page_url) or page_url
        normalize = self.normalizer.normalize
        intern = self.store.intern
        is_internal = self.scope.is_internal
        child_depth = depth + 1
        fetch_resources = self.crawl_cfg.fetch_resources

        # Canonicals (HTML, then HTTP Link header) and hreflang alternates.
        canonical_rows, hreflang_rows = [], []
        header_links = parse_link_header(headers.get("link", ""))
        for source, raw, raw_base in _canonical_sources(facts, header_links, page_url, base):
            target_id, request = self._declared(raw, raw_base, url_id, depth, "canonical")
            canonical_rows.append(Canonical(page_id=url_id, source=source, raw=raw,
                                            target_id=target_id))
            if request is not None:
                yield request
        alternates = [("html", lang, raw, base) for lang, raw in facts.hreflang] + [
            ("header", params["hreflang"], raw, page_url) for raw, params in header_links
            if "hreflang" in params]
        for source, lang, raw, raw_base in alternates:
            target_id, request = self._declared(raw, raw_base, url_id, child_depth, "hreflang")
            hreflang_rows.append(Hreflang(page_id=url_id, lang=lang, raw=raw, target_id=target_id,
                                          source=source))
            if request is not None:
                yield request
        self.store.add_all(canonical_rows)
        self.store.add_all(hreflang_rows)

        if facts.meta_refresh:
            target = _meta_refresh_target(facts.meta_refresh)
            target = normalize(target, base) if target else None
            if target is not None:
                request = self._decide(target, depth, "meta-refresh", url_id)
                if request is not None:
                    yield request

        # Link edges: every one recorded; each new target fetched or probed once.
        edges = []
        known_id = self.store.url_id
        decided = self._decided
        for link in facts.links:
            target = normalize(link.raw, base)
            target_id = known_id(target) if target is not None else None
            # Most links on a page (nav, footer) point at URLs already decided: record the
            # edge and move on without the scope and decision work.
            undecided = target is not None and (
                target_id is None or target_id >= len(decided) or not decided[target_id])
            if undecided:
                internal = is_internal(target)
                if target_id is None:
                    target_id = intern(target, internal)
            edges.append((url_id, target_id, link.raw, link.anchor, link.rel, link.element,
                          link.region))
            if not undecided:
                continue
            discovered_by = "link"
            if link.element == "link":
                rels = set(link.rel.split()) if link.rel else set()
                if rels & NON_URL_LINK_RELS or (internal and not rels & RESOURCE_LINK_RELS):
                    continue
            if internal and link.element not in PAGE_ELEMENTS:
                if not fetch_resources:
                    continue
                discovered_by = "resource"
            request = self._decide(target, child_depth, discovered_by, url_id, target_id,
                                   internal)
            if request is not None:
                yield request
        self.store.add_many("links", edges)
        self.stats.inc_value("readiness/links", len(edges))
        self.stats.inc_value("readiness/pages")

    def _record_stylesheet(self, response, url_id: int,
                           depth: int) -> Iterable[scrapy.Request]:
        """The site's own stylesheet: an edge for each url() it loads (background images,
        fonts, @import), the stylesheet as source, each new target decided once like the
        resources of a page (so broken-page rules see a missing background image)."""
        edges = []
        for raw in css_urls(response.text):
            target = self.normalizer.normalize(raw, response.url)  # relative to the CSS file
            if target is None or not is_http(target):
                continue
            internal = self.scope.is_internal(target)
            target_id = self.store.intern(target, internal)
            edges.append((url_id, target_id, raw, None, None, "css", "stylesheet"))
            request = self._decide(target, depth + 1, "resource", url_id, target_id, internal)
            if request is not None:
                yield request
        self.store.add_many("links", edges)
        self.stats.inc_value("readiness/stylesheet_urls", len(edges))

    def _declared(self, raw: str, raw_base: str, page_id: int, depth: int,
                  kind: str) -> tuple[int | None, scrapy.Request | None]:
        """The id of a URL a page declares (canonical, hreflang), and its request if due."""
        target = self.normalizer.normalize(raw, raw_base)
        if target is None:
            return None, None
        internal = self.scope.is_internal(target)
        target_id = self.store.intern(target, internal)
        if target_id == page_id:
            return target_id, None
        return target_id, self._decide(target, depth, kind, page_id, target_id, internal)

    # -- host and scheme variants ----------------------------------------------------------

    def _sample_for_variants(self, page_url: str) -> None:
        """Offer a page the site led the crawl to for the variant sample (taken at the end)."""
        key = sample_key(page_url)
        if self._variant_sample.offer(key) and self.distributed is not None:
            self.distributed.offer_variant_page(key)

    def _probe_variants_once(self) -> bool:
        """Once the crawl (a distributed run: every worker) has nothing else to do, request
        the variants of the sampled pages; True while they are under way.

        Chosen after the crawl, so the sample is a function of the site (VariantSample), and
        a variant the site itself links to is known to be an ordinary page by then.
        """
        if self._variant_probes is not None:
            return self._variant_probes > 0
        self._variant_probes = 0
        if self.distributed is None:
            pages = self._variant_sample.pages()
        elif self._run_over or not self.distributed.claim_variant_probes():
            return False  # another worker of the run probes them
        else:
            run_sample = VariantSample(self.crawl_cfg.variant_samples)
            for key in self.distributed.variant_page_keys():
                run_sample.offer(key)
            pages = run_sample.pages()
        for page_url in pages:
            self._request_variants(page_url)
        return self._variant_probes > 0

    def _request_variants(self, page_url: str) -> None:
        page_id = self.store.intern(page_url, True)
        production = self.normalizer.unmap_host(page_url)
        for raw, kind in url_variants(production):
            variant = self.normalizer.normalize(raw)
            if variant is None or variant == page_url:
                continue
            # A staging check must never reach the real production hosts: with a host map,
            # only variants that map to a crawled host are requested.
            if self.normalizer.host_map and not self.normalizer.is_mapped(raw):
                continue
            internal = self.scope.is_internal(variant)
            variant_id = self.store.intern(variant, internal)
            answer = Variant(url_id=variant_id, of_url_id=page_id, kind=kind)
            if not self._first_decision(variant_id):
                # Reached by the site (a link, a sitemap, a redirect): an ordinary page whose
                # answer is in fetches. An outside URL probed already is no site variant.
                if internal:
                    answer.error = FetchOutcome.SEE_FETCH
                    self.store.add(answer)
                continue
            if internal and self.crawl_cfg.robots == "obey" and not self.robots.allowed(variant):
                continue
            self.stats.inc_value("readiness/variants/requested")
            # Straight to the downloader: the answer is the variant's status and Location only,
            # never parsed as a page of the site nor followed.
            request = scrapy.Request(variant, dont_filter=True, meta={
                "download_slot": netloc(variant), "dont_retry": True})
            self._variant_probes += 1
            deferred = deferred_from_coro(self.crawler.engine.download_async(request))
            deferred.addCallbacks(
                lambda response, answer=answer: deferred_from_coro(
                    self._variant_answered(response, answer)),
                self._variant_failed, errbackArgs=(answer,))
            deferred.addBoth(self._variant_done, variant)

    async def _variant_answered(self, response, answer: Variant) -> None:
        answer.status = response.status
        location = response.headers.get(b"Location")
        if location:
            answer.location = location.decode("latin-1").strip()
            target = self.normalizer.normalize(answer.location, response.url)
            if target is not None:
                answer.location_url_id = self.store.intern(target,
                                                           self.scope.is_internal(target))
        if 200 <= response.status < 300 and isinstance(response, HtmlResponse):
            # A served copy that declares the real page canonical is consolidated (CAN010).
            answer.canonical_url_id = await self._variant_canonical(response)
        self.store.add(answer)

    async def _variant_canonical(self, response) -> int | None:
        """The one URL a variant's head and Link header declare canonical (None: none, or
        several)."""
        parsed = await self._parsed(response)
        if parsed is None:
            return None
        facts = parsed.facts
        base = response.url
        if facts.base_href:
            base = self.normalizer.normalize(facts.base_href, response.url) or response.url
        header_links = parse_link_header(kept_headers(response.headers).get("link", ""))
        targets = {self.normalizer.normalize(raw, raw_base) for source, raw, raw_base
                   in _canonical_sources(facts, header_links, response.url, base)
                   if source != "body"}  # search engines ignore canonicals outside <head>
        targets.discard(None)
        if len(targets) != 1:
            return None
        target = targets.pop()
        return self.store.intern(target, self.scope.is_internal(target))

    def _variant_failed(self, failure: Failure, answer: Variant) -> None:
        answer.error, _detail = classify_failure(failure)
        self.store.add(answer)

    def _variant_done(self, result: Any, variant: str) -> None:
        self._variant_probes -= 1
        if isinstance(result, Failure):  # a bug in recording the answer, not a network error
            logger.error("recording the answer of variant %s failed: %s", variant,
                         result.getTraceback())

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        url_id, depth, discovered_by, source_id, robots_blocked = request.meta["page"]
        error, detail = classify_failure(failure)
        self.stats.inc_value(f"readiness/errors/{error}")
        logger.info("fetch failed: %s (%s)", request.url, detail)
        self.store.add(Fetch(
            url_id=url_id, error=error, error_detail=detail, fetched=True,
            robots_blocked=robots_blocked, depth=depth, discovered_by=discovered_by,
            discovered_from=source_id, elapsed_ms=_ms(request.meta.get("readiness_elapsed")),
            retries=request.meta.get("retry_times", 0), fetched_at=time.time()))

    # -- outbound probes (the logic lives in readiness.probe.outbound) --------------------

    async def probe_response(self, response):
        async for request in self.prober.on_response(response):
            yield request

    async def probe_failed(self, failure: Failure):
        async for request in self.prober.on_failure(failure):
            yield request


def _canonical_sources(facts, header_links: list[tuple[str, dict[str, str]]], page_url: str,
                       base: str) -> list[tuple[str, str, str]]:
    """(source, raw URL, base to resolve it against) of every canonical a page declares:
    in its head (html), outside it (body), in its Link header (header)."""
    return [("html", raw, base) for raw in facts.canonicals] + [
        ("body", raw, base) for raw in facts.body_canonicals] + [
        ("header", raw, page_url) for raw, params in header_links
        if "canonical" in params.get("rel", "").lower().split()]


def _timing_sample(response) -> dict[str, float | None]:
    meta = response.meta
    return {"ttfb_ms": _ms(meta.get("download_latency")),
            "elapsed_ms": _ms(meta.get("readiness_elapsed"))}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _meta_refresh_target(content: str) -> str | None:
    """``5; url=/next`` -> ``/next``."""
    _, _, rest = content.partition(";")
    rest = rest.strip()
    if rest[:4].lower() == "url=":
        return rest[4:].strip().strip("'\"") or None
    return None

