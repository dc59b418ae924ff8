"""What one crawl shares between everything that decides about its URLs (``READINESS_COORDINATION``).

A crawl process keeps, per run: the URL id space (the store's URL index), the decided-set
("already fetched, skipped or probed", with each URL's smallest depth from a seed met so far:
an array indexed by URL id), the page budget
(``crawl.max_pages``), which site hosts' robots.txt is still to come, which sitemaps were
read, the variant sample, and whether it may close. :class:`LocalCoordination` keeps them in
this process; :class:`RedisCoordination` shares them with the other workers of a distributed
run (docs/distributed.md) through :class:`readiness.crawl.distributed.DistributedRun`.

The one choice between them is :func:`coordination_class`, from ``crawl.distributed.redis_url``
(readiness/crawl/crawl_settings.py puts it in the ``READINESS_COORDINATION`` setting); the
spider and the components call the same methods either way.
"""

from __future__ import annotations

import logging
import time
from array import array
from pathlib import Path
from typing import Any

from twisted.internet import task

from readiness.config import CrawlConfig
from readiness.crawl.component import recheck_idle
from readiness.crawl.distributed import DistributedRun, RunFinished
from readiness.crawl.run_store import new_run_dir
from readiness.crawl.variants import VariantSample
from readiness.store.sqlite import remove_store_files

logger = logging.getLogger(__name__)

# Distributed runs: how often an idle worker looks at the shared request queue.
QUEUE_POLL_SECONDS = 0.5
# What LocalCoordination.decision returns for a URL decided for the first time.
UNDECIDED = -1


def coordination_class(crawl: CrawlConfig) -> type["LocalCoordination"]:
    """One process, or a worker of a distributed run: the only place that tells them apart."""
    return RedisCoordination if crawl.distributed.redis_url else LocalCoordination


class LocalCoordination:
    """The run is this process: ids from its store, decisions (smallest depths) in an array."""

    def __init__(self, crawler, spider) -> None:
        self.crawler = crawler
        self.crawl_cfg = spider.crawl_cfg
        self.run_name = spider.run_name
        # Indexed by URL id: 0 while the URL is undecided, then 1 + the smallest depth it was
        # met at (outbound URLs: 1, their depth decides nothing). Components read it directly
        # on the hot path (most links point at URLs decided already, at no smaller depth).
        self.depths = array("I")
        # Indexed by URL id: 1 once the URL holds no place of crawl.max_pages and never will
        # (an outbound URL, or a site URL met as a resource of a page, however it was met
        # first). The hot path asks it for a link by an <img>, <script>, <link> … to a URL
        # decided already: while 0, that link may make a page's place a resource's.
        self.exempt = bytearray()
        # False only for a worker started for a distributed run that had already ended.
        self.joined = True
        # This process seeds the crawl (robots.txt, start URLs, sitemaps).
        self.seeds = True
        self._scheduled_pages = 0
        self._robots_pending: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, spider) -> "LocalCoordination":
        """Built by the spider (its ``crawler.spider`` is not set yet), like the engine builds
        the scheduler from SCHEDULER."""
        return cls(crawler, spider)

    @classmethod
    def scrapy_settings(cls, crawl: CrawlConfig, run_name: str | None) -> dict[str, Any]:
        """Settings this coordination needs besides the crawl's own."""
        return {}

    # -- the store ------------------------------------------------------------------------

    def store_location(self, reports_dir: Path, out: str | None,
                       start_url: str) -> tuple[Path, Path, dict[str, Any]]:
        """(run folder, store file, store keyword arguments) for this process's store."""
        run_dir = Path(out) if out else new_run_dir(reports_dir, start_url)
        return run_dir, run_dir / "crawl.sqlite", {}

    def opened(self, store) -> None:
        self.store = store

    def page_fetched(self, url: str, url_id: int) -> None:
        """A page was fetched here (its id may come from another worker)."""

    def finish(self, store_path: Path, run_dir: Path) -> Path | None:
        """The run's complete store once this process's is closed; None when there is none
        here (another worker finishes the run)."""
        return store_path

    # -- seeding --------------------------------------------------------------------------

    def robots_expected(self, hosts: list[str]) -> None:
        self._robots_pending.update(hosts)

    def robots_settled(self, host: str, body: str | None) -> bool:
        """One host's robots.txt is in (``body`` None: no rules); True once every site host's
        is, which is when the start URLs are scheduled."""
        self._robots_pending.discard(host)
        return not self._robots_pending

    def shared_robots(self, host: str) -> str | None:
        """robots.txt text another process read for ``host`` (None: none known)."""
        return None

    def seeded(self) -> None:
        """The start URLs are scheduled."""

    # -- decisions ------------------------------------------------------------------------

    def _grow(self, url_id: int) -> None:
        depths = self.depths
        depths.frombytes(bytes(depths.itemsize * max(url_id + 1 - len(depths), 4096)))

    def decision(self, url_id: int, depth: int) -> int | None:
        """``url_id`` met at ``depth``: None when it was decided at that depth or a smaller
        one (nothing to do), UNDECIDED the first time, else the larger depth it was decided
        at (now lowered to ``depth``: the caller re-decides it). Whatever order the crawl
        meets a URL's paths in, the depth kept is the smallest."""
        depths = self.depths
        if url_id >= len(depths):
            self._grow(url_id)
        known = depths[url_id]
        if known and known <= depth + 1:
            return None
        depths[url_id] = depth + 1
        return known - 1  # UNDECIDED when it was 0

    def depth_of(self, url_id: int, depth: int) -> int:
        """The smallest depth ``url_id`` is known at here, ``depth`` at most (a request's
        depth may have gone down since it was made)."""
        depths = self.depths
        known = depths[url_id] if url_id < len(depths) else 0
        return known - 1 if 0 < known <= depth else depth

    def first_decision(self, url_id: int) -> bool:
        """True the first time ``url_id`` is decided in the run (at any depth)."""
        if url_id >= len(self.depths):
            self._grow(url_id)
        if self.depths[url_id]:
            return False
        self.depths[url_id] = 1
        return True

    def restore(self, decided_depths, pages_taken: int, exempt_ids) -> None:
        """A resumed run (readiness.crawl.resume): the URLs decided before the interrupt,
        (url id, smallest depth) each, the places of crawl.max_pages they took and the site
        URLs met as resources."""
        for url_id, depth in decided_depths:
            if url_id >= len(self.depths):
                self._grow(url_id)
            self.depths[url_id] = depth + 1
        self._scheduled_pages = pages_taken
        for url_id in exempt_ids:
            self.exempt_from_budget(url_id)

    def exempt_from_budget(self, url_id: int) -> bool:
        """``url_id`` holds no place of crawl.max_pages; True the first time it is said."""
        exempt = self.exempt
        if url_id >= len(exempt):
            exempt.extend(bytes(max(url_id + 1 - len(exempt), 4096)))
        if exempt[url_id]:
            return False
        exempt[url_id] = 1
        return True

    def take_page(self) -> bool:
        """One more page within crawl.max_pages (the whole run's)."""
        if self._scheduled_pages >= self.crawl_cfg.max_pages:
            return False
        self._scheduled_pages += 1
        return True

    def give_back_page(self) -> None:
        """A page's place is free again: the page is a resource after all."""
        self._scheduled_pages -= 1

    def first_sitemap(self, url: str) -> bool:
        """True for the one process that reads the sitemap at ``url``."""
        return True

    # -- variants -------------------------------------------------------------------------

    def offer_variant_page(self, key: str) -> None:
        """A page (its sample key) entered this process's variant sample."""

    def variant_pages(self, sample: VariantSample) -> list[str] | None:
        """The pages whose variants this process requests (None: another one does)."""
        return sample.pages()

    # -- closing --------------------------------------------------------------------------

    def keeps_crawl_open(self) -> bool:
        """At spider_idle: True while the run still has work for this process."""
        return False


class RedisCoordination(LocalCoordination):
    """A worker of a distributed run: ids, decisions, budget, robots.txt text, sitemaps and
    the variant sample in Redis (DistributedRun); the local bytearray caches decisions."""

    def __init__(self, crawler, spider) -> None:
        super().__init__(crawler, spider)
        if not self.run_name:
            raise ValueError("crawl.distributed.redis_url is set: start every worker of the "
                             "run with the same -a run=NAME")
        self.shared_run = None  # a DistributedRun once joined (store_location)
        self._robots_loaded: set[str] = set()
        self._idle_mark: tuple[int, float] | None = None  # (activity count, since when)
        self._opened_at = 0.0
        self._queue_poll: task.LoopingCall | None = None

    @classmethod
    def scrapy_settings(cls, crawl: CrawlConfig, run_name: str | None) -> dict[str, Any]:
        # One request queue for all the run's workers (scrapy-redis). PERSIST: a worker
        # that leaves must not empty the queue the others still work from; the last one
        # out deletes it. Requests are dont_filter (each URL is decided once already),
        # so the dupefilter only has to exist.
        prefix = f"readiness:{run_name}"
        return {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": crawl.distributed.redis_url,
        }

    def store_location(self, reports_dir: Path, out: str | None,
                       start_url: str) -> tuple[Path, Path, dict[str, Any]]:
        """Register with the run named by ``-a run=``; a shard with the run's shared URL ids
        (the last worker out merges the shards)."""
        run_dir = Path(out) if out else reports_dir / self.run_name
        dist_cfg = self.crawl_cfg.distributed
        self.shared_run = DistributedRun(dist_cfg.redis_url, self.run_name,
                                          presence_seconds=dist_cfg.presence_seconds)
        assign = self.shared_run.assign_ids
        location = (run_dir, run_dir / "shards" / f"{self.shared_run.worker}.sqlite",
                    {"assign_id": lambda url: assign([url])[0]})
        try:
            role = "seeds the run" if self.shared_run.join() else "joins the run"
        except RunFinished as exc:
            logger.error("%s: nothing to do", exc)
            self.joined = self.seeds = False
            return location
        self.seeds = self.shared_run.coordinator
        logger.info("worker %s %s %s", self.shared_run.worker, role, self.run_name)
        # An idle Scrapy engine looks at its scheduler only every 5 s (heartbeat); other
        # workers fill the shared queue any time, so look more often.
        self._opened_at = time.monotonic()
        self._queue_poll = task.LoopingCall(self._poll_shared_queue)
        self._queue_poll.start(QUEUE_POLL_SECONDS, now=False)
        return location

    def page_fetched(self, url: str, url_id: int) -> None:
        # The request may come from another worker's shard: this shard learns the URL.
        self.store.know(url, url_id, True)

    def finish(self, store_path: Path, run_dir: Path) -> Path | None:
        if self._queue_poll is not None and self._queue_poll.running:
            self._queue_poll.stop()
        if not self.joined:  # this worker's empty shard is not part of the run
            remove_store_files(store_path)
            return None
        if not self.shared_run.leave():
            logger.info("worker %s left run %s; the last worker out merges the store",
                        self.shared_run.worker, self.run_name)
            return None
        return self._merge_run(store_path, run_dir)

    def _merge_run(self, store_path: Path, run_dir: Path) -> Path:
        """The last worker of a distributed run: every shard into the run's crawl.sqlite."""
        from readiness.store.merge import merge_run

        target = run_dir / "crawl.sqlite"
        merged = merge_run(store_path.parent, self.shared_run.members(), target,
                           self.run_name)
        self.shared_run.clean_up()
        logger.info("run %s: %d shard(s) merged into %s", self.run_name, merged, target)
        return target

    # -- seeding --------------------------------------------------------------------------

    def robots_expected(self, hosts: list[str]) -> None:
        self.shared_run.robots_expected(hosts)

    def robots_settled(self, host: str, body: str | None) -> bool:
        # Any worker may have fetched this; the others read the rules from the run.
        self._robots_loaded.add(host)
        return not self.shared_run.robots_settled(host, body)

    def shared_robots(self, host: str) -> str | None:
        if host in self._robots_loaded:
            return None
        body = self.shared_run.shared_robots(host)
        if body is None:  # not settled yet (or not a site host): ask again next time
            return None
        self._robots_loaded.add(host)
        return body

    def seeded(self) -> None:
        self.shared_run.mark_seeded()

    # -- decisions ------------------------------------------------------------------------

    def decision(self, url_id: int, depth: int) -> int | None:
        # The run's decided-set is a shared bitmap: the first worker to meet a URL decides
        # it, at the depth it met it at (the local array then saves asking again), and its
        # depth is never lowered: the rows and links of a page are in the shard of whichever
        # worker fetched it. docs/distributed.md says what that leaves to response order.
        if super().decision(url_id, depth) != UNDECIDED:
            return None
        return UNDECIDED if self.shared_run.first_decision(url_id) else None

    def depth_of(self, url_id: int, depth: int) -> int:
        return depth  # as decided (the local array holds what this worker met, not the run)

    def first_decision(self, url_id: int) -> bool:
        # Another worker may have decided already (the local bit then saves asking again).
        return super().first_decision(url_id) and self.shared_run.first_decision(url_id)

    def take_page(self) -> bool:
        return self.shared_run.count_page() <= self.crawl_cfg.max_pages

    def give_back_page(self) -> None:
        self.shared_run.count_page(-1)

    def first_sitemap(self, url: str) -> bool:
        return self.shared_run.first_sitemap(url)

    # -- variants -------------------------------------------------------------------------

    def offer_variant_page(self, key: str) -> None:
        self.shared_run.offer_variant_page(key)

    def variant_pages(self, sample: VariantSample) -> list[str] | None:
        if not self.joined or not self.shared_run.claim_variant_probes():
            return None  # another worker of the run probes them
        run_sample = VariantSample(sample.templates)
        for key in self.shared_run.variant_page_keys():
            run_sample.offer(key)
        return run_sample.pages()

    # -- closing --------------------------------------------------------------------------

    def keeps_crawl_open(self) -> bool:
        """Stay until the run has nothing left for this worker."""
        return self.joined and not self._may_leave_run()

    def _poll_shared_queue(self) -> None:
        """Every QUEUE_POLL_SECONDS: wake the engine when the shared queue has work, tell
        the run whether this worker is busy, and, when it is idle, have spider_idle ask
        again whether it may leave (rather than at the engine's 5 s heartbeat)."""
        engine = self.crawler.engine
        scheduler = engine.scheduler
        if scheduler is not None and scheduler.has_pending_requests():
            request = scheduler.next_request()
            if request is not None:
                # Back through engine.crawl(): that wakes the engine, which then takes as
                # many requests as it has room for (harmless when it is busy anyway).
                engine.crawl(request)
        # Any request taken from the shared queue, or any response, is activity.
        stats = self.crawler.stats
        handled = stats.get_value("scheduler/dequeued/redis", 0) + stats.get_value(
            "response_received_count", 0)
        now = time.monotonic()
        if self._idle_mark is None or self._idle_mark[0] != handled:
            self._idle_mark = (handled, now)
        self.shared_run.report(idle=self._out_of_work(now))
        if engine.spider_is_idle():
            recheck_idle(self.crawler)

    def _out_of_work(self, now: float) -> bool:
        idle_for = now - self._idle_mark[1] if self._idle_mark is not None else 0.0
        return (self.crawler.engine.spider_is_idle()
                and idle_for >= self.crawl_cfg.distributed.idle_close_seconds)

    def _may_leave_run(self) -> bool:
        """Leave once this worker has been out of work for ``idle_close_seconds`` (the
        shared queue empty too), the run has been seeded, and no other live worker is busy
        (one that is could still add requests)."""
        now = time.monotonic()
        if not self.shared_run.seeded:
            waited = now - self._opened_at
            if waited < self.crawl_cfg.distributed.seed_wait_seconds:
                return False
            logger.error("run %s was not seeded within %.0f s: is its first worker running?",
                         self.run_name, self.crawl_cfg.distributed.seed_wait_seconds)
            return True
        return self._out_of_work(now) and not self.shared_run.others_busy()
