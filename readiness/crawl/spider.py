"""SiteSpider: stage 1 (the site's own pages) and stage 2 (outbound probes) of a crawl.

The spider decides and schedules; the components named in settings.py's EXTENSIONS do the
rest (docs/architecture.md). It must not inherit three Scrapy behaviours:

* redirects are followed here, one fetch per hop, so chains and loops survive deduplication;
* robots.txt is applied here, so blocked URLs are recorded rather than silently dropped;
* link edges are written when they are extracted, not when their target is fetched.

Every URL is decided once (:meth:`SiteSpider.decide`), at its smallest depth from a seed: the
crawl store's URL index gives each URL an id, and the coordination's decided-set says whether
the URL was already fetched, skipped or probed, and at what depth. Responses arrive in any
order, so a URL can be met through a longer path first; met again at a smaller depth, its
stored depth goes down, a ``max-depth`` skip within the limit is fetched after all, and a
fetched page's links are decided again at its new depth + 1 (PageRecorder.met_shallower).
``crawl.max_pages`` counts pages, not the resources they load, whichever way a URL was met
first: a page a page shows as an image gives its place back, a max-pages skip met as a
resource is fetched after all (PageRecorder.met_again; readiness/crawl/limits.py says when a
limit is hit). That is the crawl's whole per-URL memory; page facts go to the store.

Run it with ``readiness crawl URL`` or ``scrapy crawl site -a url=URL [-a config=FILE]
[-a out=DIR] [-a run=NAME]``; resume an interrupted run with ``readiness crawl --resume DIR``
or ``scrapy crawl site -a resume=DIR`` (readiness/crawl/resume.py). Scrapy's own JOBDIR is
refused: its queued requests would carry the URL ids of a store it does not keep.
"""

from __future__ import annotations

import logging
from typing import Any, AsyncIterator, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.python.failure import Failure

from readiness.config import ConfigError, ReadinessConfig
from readiness.crawl.arguments import CrawlArguments
from readiness.crawl.auxiliary import follow_aux_redirect
from readiness.crawl.coordination import UNDECIDED
from readiness.crawl.crawl_settings import crawl_settings
from readiness.crawl.outbound import OutboundProbes
from readiness.crawl.limits import CrawlLimits
from readiness.crawl.outside import OutsideList, OutsideRun
from readiness.crawl.recording import PageRecorder
from readiness.crawl.remeasure import QuietRemeasurement
from readiness.crawl.resume import Frontier
from readiness.crawl.robots import RobotsTxt
from readiness.crawl.run_store import RunStore
from readiness.crawl.seeds import Seeds
from readiness.crawl.signals import store_opened
from readiness.crawl.sitemaps import Sitemaps
from readiness.crawl.variants import VariantProbes
from readiness.crawl.workers import ParseWorkers
from readiness.store.records import Fetch, FetchOutcome, Queued
from readiness.urls import Scope, UrlNormalizer, is_http, netloc, origin


logger = logging.getLogger(__name__)

# The components the spider hands its work to or cannot crawl without; the crawl stops with
# this reason before its first request when one is missing.
REQUIRED_COMPONENTS = (RunStore, ParseWorkers, RobotsTxt, Sitemaps, PageRecorder,
                       OutboundProbes)
MISSING_COMPONENTS = "missing_components"


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, url: str | None = None, config: str | ReadinessConfig | None = None,
                 out: str | None = None, run: str | None = None, resume: str | None = None,
                 prospects: str | None = None, placements: str | None = None,
                 outside: OutsideRun | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        given = CrawlArguments.read(url, config, out, resume, prospects, placements, outside)
        self.cfg, self.config_path, self.out = given.cfg, given.config_path, given.out
        # The stored run's meta when resuming it (readiness.crawl.resume).
        self.resumed_meta = given.resumed_meta
        # A prospects or placements run: its list (readiness.crawl.outside).
        self.outside = given.outside
        self.crawl_cfg = self.cfg.crawl
        # A distributed run (crawl.distributed.redis_url): every worker gets the same name.
        self.run_name = run
        self.normalizer = UrlNormalizer.from_config(self.crawl_cfg)
        start = self.normalizer.normalize(given.url)
        if start is None or not is_http(start):
            raise ValueError(f"not an http(s) URL: {given.url!r}")
        self.start_url = start
        # The start URLs (or the listed URLs only), backlinked pages, the site's hosts.
        self.seeds = Seeds.of(start, self.cfg, self.normalizer)
        self.seed_urls = self.seeds.seed_urls
        self.site_netlocs = set(self.seeds.site_netlocs)
        self.scope = Scope(self.site_netlocs, self.crawl_cfg.include, self.crawl_cfg.exclude)
        outside_scope = self.scope.excluded_by(start)
        if outside_scope is not None:
            # A crawl that may not fetch its own start URL sees nothing: refused, not passed.
            key = f"crawl.{outside_scope}"
            raise ConfigError(
                f"{key}: the start URL {given.url} is outside the crawl's own scope "
                f"({key}: {getattr(self.crawl_cfg, outside_scope)}) — start from a URL it "
                f"keeps, or widen {key}", self.config_path or (self.cfg.sources or [None])[-1])
        self.limits = CrawlLimits(self.crawl_cfg, self.scope)
        self.missing_components: list[str] = []  # needed components not built (start())
        self._after_crawl: list = []  # from store_opened on

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> "SiteSpider":
        if crawler.settings.get("JOBDIR"):
            raise ValueError(
                f"JOBDIR is set ({crawler.settings.get('JOBDIR')}): Scrapy's own pause/resume "
                f"would replay requests carrying the URL ids of a store it does not keep and "
                f"corrupt the run. Unset it; resume an interrupted run with `readiness crawl "
                f"--resume RUN_DIR` (or scrapy crawl site -a resume=RUN_DIR)")
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Before the settings freeze and the components read them.
        crawler.settings.update(crawl_settings(spider.crawl_cfg, spider.run_name), "spider")
        spider.coordination = build_from_crawler(
            load_object(crawler.settings["READINESS_COORDINATION"]), crawler, spider)
        crawler.signals.connect(spider._store_opened, signal=store_opened)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _store_opened(self, store, run_dir) -> None:
        """The store is open: the components the spider hands its work to."""
        get = self.crawler.get_extension
        self.store = store
        self.stats = self.crawler.stats
        handed_work = (RobotsTxt, Sitemaps, PageRecorder, OutboundProbes)
        self.robots, self.sitemaps, self.recorder, self.outbound = map(get, handed_work)
        # What keeps the crawl open once nothing else is scheduled, in this order: the quiet
        # re-measurement first (nothing else downloads meanwhile), then the rest of a
        # distributed run, then the variant probes (sampled from the whole crawl).
        self._after_crawl = [phase for phase in (get(QuietRemeasurement), self.coordination,
                                                 get(VariantProbes)) if phase is not None]

    def _idle(self, spider) -> None:
        if any(phase.keeps_crawl_open() for phase in self._after_crawl):
            raise DontCloseSpider

    # -- seeds: robots.txt first, then start URLs and sitemaps ----------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Checked here, not where the store opens: CloseSpider from start() is how Scrapy
        # lets a spider stop before its first request (an exception in a signal handler is
        # only logged).
        # A prospects or placements run without its list stored would be judged as a site.
        required = REQUIRED_COMPONENTS + ((OutsideList,) if self.outside is not None else ())
        self.missing_components = [cls.__name__ for cls in required
                                   if self.crawler.get_extension(cls) is None]
        if self.missing_components:
            logger.error("the crawl needs these components, missing from EXTENSIONS or "
                         "switched off: %s", ", ".join(self.missing_components))
            raise CloseSpider(MISSING_COMPONENTS)
        if not self.coordination.seeds:
            return  # the run's first worker seeds it; the others take from the shared queue
        origins = sorted({origin(u) for u in self.seed_urls} |
                         {f"{urlsplit(self.start_url).scheme}://{n}" for n in self.site_netlocs})
        hosts = sorted({netloc(o) for o in origins})
        self.coordination.robots_expected(hosts)
        stored_robots = {}
        if self.resumed_meta is not None:
            # Its decisions back from its store, its robots.txt files as first read.
            self.frontier = Frontier(self.store)
            stored_robots = self.frontier.take_back(
                self.resumed_meta.get("run_id"), self.coordination, self.limits, self.sitemaps,
                self.crawler.get_extension(VariantProbes))
        requested: set[str] = set(stored_robots)
        for host, (body, sitemaps) in sorted(stored_robots.items()):
            if body is not None:  # not fetched again
                self.robots.rules.add(host, body)
            for request in self._robots_done(host, sitemaps, body):
                yield request
        for host_origin in origins:
            host = netloc(host_origin)
            if host in requested:
                continue
            requested.add(host)
            yield self.robots.request(host_origin, host, self.parse_robots, self.robots_failed)
        if self.resumed_meta is not None:
            for request in self.frontier.requests(self._page_request, self.outbound.prober):
                yield request

    def parse_robots(self, response) -> Iterable[scrapy.Request]:
        redirect = follow_aux_redirect(response, self.normalizer, self.site_netlocs)
        if redirect is not None:
            yield redirect
            return
        host, sitemaps, body = self.robots.record(response)
        yield from self._robots_done(host, sitemaps, body)

    def robots_failed(self, failure: Failure) -> Iterable[scrapy.Request]:
        yield from self._robots_done(self.robots.record_failure(failure), [])

    def _robots_done(self, host: str, sitemaps: list[str],
                     body: str | None = None) -> Iterable[scrapy.Request]:
        every_host_settled = self.coordination.robots_settled(host, body)
        yield from self.sitemaps.from_robots(host, sitemaps)
        if every_host_settled:
            yield from self._seed()

    def _seed(self) -> Iterable[scrapy.Request]:
        """The start URLs, once every site host's robots.txt is known."""
        for url, discovered_by in self.seeds.urls:
            request = self.decide(url, depth=0, discovered_by=discovered_by, source_id=None)
            if request is not None:
                yield request
        self.coordination.seeded()

    def parse_sitemap(self, response) -> Iterable[scrapy.Request]:
        redirect = follow_aux_redirect(response, self.normalizer, self.site_netlocs)
        if redirect is not None:
            yield redirect
            return
        yield from self.sitemaps.parse(response)

    def sitemap_failed(self, failure: Failure) -> None:
        self.sitemaps.failed(failure)

    # -- deciding about a URL, once --------------------------------------------------------

    def decide(self, url: str, depth: int, discovered_by: str, source_id: int | None,
               url_id: int | None = None, internal: bool | None = None) -> scrapy.Request | None:
        """Fetch, skip (and record why) or probe ``url``; None unless a request is due.
        ``url_id`` and ``internal``, when the caller has them already."""
        if not self.seeds.follows(discovered_by):
            return None  # list mode: the link is an edge, its target is not fetched
        if internal is None:
            internal = self.scope.is_internal(url)
        if url_id is None:
            url_id = self.store.intern(url, internal)
        # Outbound URLs are decided at depth 0: how they were reached decides nothing.
        previous = self.coordination.decision(url_id, depth if internal else 0)
        if not internal:
            self.coordination.exempt_from_budget(url_id)  # no page of the site's budget
            if previous is None or not is_http(url) or not self.crawl_cfg.probe.enabled:
                return None
            request = self.outbound.prober.start(url, url_id)
            if request is not None:
                self.store.add(Queued(url_id=url_id, kind="probe"))
            return request
        # max_pages limits pages, not their images, whichever way a URL was met first.
        resource = discovered_by == "resource"
        first_as_resource = resource and self.coordination.exempt_from_budget(url_id)
        if previous is None and not first_as_resource:
            return None  # decided already, at no greater depth
        if previous != UNDECIDED:
            depth = self.recorder.met_again(url_id, previous, depth, first_as_resource)
            if depth is None:
                return None
        skip = self.limits.skip_reason(url, depth)
        robots_blocked = False
        if skip is None and self.crawl_cfg.robots != "ignore" and not self.robots.allowed(url):
            robots_blocked = True
            self.stats.inc_value("readiness/robots_blocked")
            if self.crawl_cfg.robots == "obey":
                skip = FetchOutcome.ROBOTS_BLOCKED
        # Checked last, so only a page that will be fetched takes a place in the budget.
        if skip is None and not resource and not self.coordination.take_page():
            skip = FetchOutcome.MAX_PAGES
        if skip is not None:
            self.limits.skipped(skip)
            self.stats.inc_value(f"readiness/skipped/{skip}")
            self.store.add(Fetch(url_id=url_id, error=skip, fetched=False,
                                 robots_blocked=robots_blocked, depth=depth,
                                 discovered_by=discovered_by, discovered_from=source_id))
            return None
        # The frontier: what --resume requests again while it has no fetch row.
        self.store.add(Queued(url_id=url_id, kind="page", depth=depth,
                              discovered_by=discovered_by, discovered_from=source_id,
                              robots_blocked=robots_blocked))
        if previous != UNDECIDED:
            # A max-depth skip now within the limit, or a max-pages one now a resource: its
            # row goes once the queue row is written (until then --resume requests it:
            # Frontier.queued_pages).
            self.store.query("DELETE FROM fetches WHERE url_id = ? AND error IN (?, ?)",
                             (url_id, FetchOutcome.MAX_DEPTH.value, FetchOutcome.MAX_PAGES.value))
        return self._page_request(url, url_id, depth, discovered_by, source_id, robots_blocked)

    def _page_request(self, url: str, url_id: int, depth: int, discovered_by: str,
                      source_id: int | None, robots_blocked: bool) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_page, errback=self.page_failed, dont_filter=True,
            priority=-depth,
            meta={"page": (url_id, depth, discovered_by, source_id, robots_blocked),
                  "download_slot": netloc(url)},
        )

    # -- callbacks: pages (readiness.crawl.recording) and probes (readiness.probe) ---------

    async def parse_page(self, response) -> AsyncIterator[scrapy.Request]:
        async for request in self.recorder.on_page(response):
            yield request

    def page_failed(self, failure: Failure) -> None:
        self.recorder.on_failure(failure)

    async def probe_response(self, response):
        async for request in self.outbound.prober.on_response(response):
            yield request

    async def probe_failed(self, failure: Failure):
        async for request in self.outbound.prober.on_failure(failure):
            yield request
