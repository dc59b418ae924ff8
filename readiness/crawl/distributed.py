"""One crawl run shared by several Scrapy processes (workers) through Redis.

Every worker of a run is started the same way (``scrapy crawl site -a url=… -a config=…
-a run=NAME``, by hand or as scrapyd jobs, on one machine or several) with
``crawl.distributed.redis_url`` set. scrapy-redis gives them one request queue; this module
gives them the rest of what a single crawl process keeps in memory, so the run still
fetches every URL once:

- URL ids: one id space for the run (a Redis hash and counter), so request metadata and
  every worker's facts speak the same ids;
- the decided-set: a Redis bitmap indexed by URL id ("already fetched, skipped or probed");
- the page budget (``crawl.max_pages``) as one counter;
- robots.txt rules, shared as text, since any worker may have fetched a host's file;
- the variant sample: each worker adds the pages that enter its own
  :class:`~readiness.crawl.variants.VariantSample`; the union holds the run's sample, which
  one worker (the first to find the run otherwise finished) takes and probes;
- seeding: the first worker to register seeds the run (robots.txt, start URLs, sitemaps);
- the end: workers report whether they are busy; once none is and the queue is empty they
  leave, and the last one out merges the store shards each wrote into the run's
  ``crawl.sqlite`` (readiness/store/merge.py). A killed worker stops reporting and stops
  counting after ``presence_seconds``.

Redis calls are synchronous on the reactor thread; each is one loopback or LAN round trip,
made once per URL per worker at most (workers cache ids and decisions locally).
"""

from __future__ import annotations

import os
import socket
from typing import Any

KEY_PREFIX = "readiness"
# Keys of a finished run are kept this long, so a worker started late learns the run is over.
FINISHED_TTL_SECONDS = 24 * 3600

# Get-or-assign ids for URLs in one round trip: returns one id per URL.
_ASSIGN_IDS = """
local ids = {}
for i, url in ipairs(ARGV) do
  local id = redis.call('HGET', KEYS[1], url)
  if not id then
    id = redis.call('INCR', KEYS[2])
    redis.call('HSET', KEYS[1], url, id)
  end
  ids[i] = tonumber(id)
end
return ids
"""


class RunFinished(Exception):
    """The run this worker was started for has already ended."""


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class DistributedRun:
    """A worker's handle on the run's shared state in Redis."""

    def __init__(self, redis_url: str, run_id: str, worker: str | None = None,
                 server: Any = None, presence_seconds: float = 30.0) -> None:
        import redis  # installed with scrapy-redis (the `distributed` extra)

        self.run_id = run_id
        self.presence_seconds = presence_seconds
        self.worker = worker or worker_name()
        self.server = server or redis.Redis.from_url(redis_url, decode_responses=True)
        self._assign = self.server.register_script(_ASSIGN_IDS)
        self.coordinator = False

    def key(self, name: str) -> str:
        return f"{KEY_PREFIX}:{self.run_id}:{name}"

    # -- joining, presence and leaving ----------------------------------------------------

    def join(self) -> bool:
        """Register this worker; True when it is the run's first (it seeds the crawl)."""
        if self.server.exists(self.key("finished")):
            raise RunFinished(f"run {self.run_id} has already finished")
        self.server.sadd(self.key("members"), self.worker)
        self.report(idle=False)
        self.coordinator = bool(self.server.set(self.key("coordinator"), self.worker, nx=True))
        return self.coordinator

    def members(self) -> list[str]:
        return sorted(self.server.smembers(self.key("members")))

    def report(self, idle: bool) -> None:
        """Say this worker is alive, and whether it has run out of work. A worker that stops
        reporting (killed) counts as gone after ``presence_seconds``."""
        self.server.set(self.key(f"alive:{self.worker}"), "idle" if idle else "busy",
                        px=int(self.presence_seconds * 1000))

    def others_busy(self) -> bool:
        """Another live worker still has work (it may yet add requests to the queue)."""
        mine = self.key(f"alive:{self.worker}")
        for key in self.server.scan_iter(self.key("alive:*")):
            if key != mine and self.server.get(key) == "busy":
                return True
        return False

    def leave(self) -> bool:
        """Unregister; True for the one worker that finishes the run (merges the shards)."""
        self.server.delete(self.key(f"alive:{self.worker}"))
        if any(True for _ in self.server.scan_iter(self.key("alive:*"))):
            return False  # a worker still alive leaves after this one
        return bool(self.server.set(self.key("finished"), self.worker, nx=True,
                                    ex=FINISHED_TTL_SECONDS))

    def clean_up(self) -> None:
        """Drop the run's working state (the finished marker stays, with its TTL)."""
        keys = [k for k in self.server.scan_iter(f"{KEY_PREFIX}:{self.run_id}:*")
                if k != self.key("finished")]
        if keys:
            self.server.delete(*keys)

    # -- seeding --------------------------------------------------------------------------

    def mark_seeded(self) -> None:
        self.server.set(self.key("seeded"), 1)

    @property
    def seeded(self) -> bool:
        return bool(self.server.exists(self.key("seeded")))

    def robots_expected(self, hosts: list[str]) -> None:
        if hosts:
            self.server.sadd(self.key("robots-pending"), *hosts)

    def robots_settled(self, host: str, body: str | None) -> int:
        """Share a host's robots.txt (None: no rules); how many hosts are still pending."""
        self.server.hset(self.key("robots"), host, body if body is not None else "")
        self.server.srem(self.key("robots-pending"), host)
        return self.server.scard(self.key("robots-pending"))

    def shared_robots(self, host: str) -> str | None:
        """The robots.txt another worker read for ``host`` ("" for none), None if unknown."""
        return self.server.hget(self.key("robots"), host)

    # -- URL ids, decisions, limits ------------------------------------------------------------

    def assign_ids(self, urls: list[str]) -> list[int]:
        return [int(i) for i in self._assign(keys=[self.key("url-ids"), self.key("url-count")],
                                             args=urls)]

    def first_decision(self, url_id: int) -> bool:
        """True for exactly one worker, the first to decide about ``url_id``."""
        return self.server.setbit(self.key("decided"), url_id, 1) == 0

    def first_sitemap(self, url: str) -> bool:
        return self.server.sadd(self.key("sitemaps"), url) == 1

    def offer_variant_page(self, key: str) -> None:
        """A page (its sample key) that entered this worker's variant sample."""
        self.server.sadd(self.key("variant-pages"), key)

    def variant_page_keys(self) -> list[str]:
        """Every page a worker's variant sample took: a superset of the run's sample (a
        page among the run's smallest is among the smallest of the worker that saw it)."""
        return sorted(self.server.smembers(self.key("variant-pages")))

    def claim_variant_probes(self) -> bool:
        """True for the one worker that requests the run's variants."""
        return bool(self.server.set(self.key("variant-probes"), self.worker, nx=True))

    def count_page(self, pages: int = 1) -> int:
        """Count one more scheduled page (-1: one less); the run's total so far."""
        return self.server.incrby(self.key("pages"), pages)
