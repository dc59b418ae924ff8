"""Resuming an interrupted run in place (``readiness crawl --resume DIR``,
``scrapy crawl site -a resume=DIR``).

A run's store holds everything the crawl decided, so it is also the run's frontier: the
``queue`` table (records.Queued) names every URL decided to be requested, and a page without
a ``fetches`` row or a probe without a ``probes`` row is work not done yet. A resumed crawl
opens the same store (same run id, folder and URL ids), takes its decided-set, page budget,
limits hit, robots.txt rules, sitemaps read and variant sample back from it, and requests
exactly the work not done, in URL-id order by depth.

A page's fetch row is written after the decisions about everything it leads to
(readiness.crawl.recording), so a page with a fetch row has its children in the queue even
after a SIGKILL; what a page in flight at the interrupt left behind (facts, edges of a page
with no fetch row; entries of a sitemap with no row) is removed before it is fetched again.

Refused, with the reason: a run that finished (nothing to resume), a store written before the
frontier was kept, a distributed run's store (its frontier is the workers' shared Redis queue,
gone with the run), and a configuration or start URL other than the stored run's.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from readiness.config import ReadinessConfig
from readiness.crawl.limits import LIMIT_OUTCOMES
from readiness.crawl.recording import PAGE_ELEMENTS, followed_as
from readiness.store.records import SCHEMA_VERSION, FetchOutcome
from readiness.urls import UrlNormalizer

logger = logging.getLogger(__name__)

# Set in the meta of every store whose frontier is kept (the queue table).
FRONTIER_META_KEY = "frontier"
# A queued page not answered: no fetch row, or still the max-depth (max-pages) skip row it had
# before it was met within the limit (as a resource; the spider deletes that row right after
# queueing it).
UNANSWERED = (f"(f.url_id IS NULL OR f.error IN ('{FetchOutcome.MAX_DEPTH.value}', "
              f"'{FetchOutcome.MAX_PAGES.value}'))")


class ResumeRefused(ValueError):
    """A run that cannot be resumed, and why (printed as one line, exit status 2)."""


def resume_store_path(path: str | Path) -> Path:
    """The crawl.sqlite of ``path`` (the run folder, or the store itself)."""
    store = Path(path)
    if store.is_dir():
        store = store / "crawl.sqlite"
    if not store.is_file():
        raise ResumeRefused(f"--resume: no crawl store at {store} (give the run folder of an "
                            f"interrupted run, or its crawl.sqlite)")
    return store


def resumable_meta(store_path: Path) -> dict[str, Any]:
    """The stored run's meta, once it is known to be resumable."""
    try:
        db = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
        try:
            meta = {key: json.loads(value) for key, value in db.execute(
                "SELECT key, value FROM meta")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise ResumeRefused(f"--resume: {store_path} is not a readable crawl store ({exc})"
                            ) from None
    reason = meta.get("finish_reason")
    if reason == "finished":
        raise ResumeRefused(
            f"--resume: run {meta.get('run_id')} finished "
            f"({'complete' if meta.get('complete') else 'limits hit: ' + ', '.join(meta.get('limits_hit') or [])}"
            f"): there is nothing to resume; start a new crawl instead")
    if (meta.get("config") or {}).get("crawl", {}).get("distributed", {}).get("redis_url") \
            or (store_path.parent / "shards").is_dir():
        raise ResumeRefused(
            f"--resume: {store_path} is a distributed run's store: its frontier was the "
            f"workers' shared queue, which ended with the run; crawl it again")
    if meta.get("schema_version") != SCHEMA_VERSION:
        # Its tables are another schema's: the resumed crawl's rows would not fit them.
        raise ResumeRefused(
            f"--resume: {store_path} has store schema {meta.get('schema_version')}, this "
            f"readiness writes schema {SCHEMA_VERSION}; crawl it again")
    if not meta.get(FRONTIER_META_KEY):
        raise ResumeRefused(
            f"--resume: {store_path} was written by a readiness that did not keep the crawl's "
            f"frontier (readiness {meta.get('readiness_version')}); crawl it again")
    return meta


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def resumed_run(meta: dict[str, Any], config: ReadinessConfig | None,
                url: str | None) -> tuple[ReadinessConfig, str]:
    """(configuration, start URL) of the resumed crawl: the stored run's. A ``config`` or
    ``url`` given as well must be the same, or the resume is refused naming what differs."""
    stored = ReadinessConfig.model_validate(meta["config"])
    if config is not None:
        # The config as the run reads it; where its rule files were read from is no setting.
        # Rules not resolved yet (scrapy crawl -a config=: they are at analysis) are compared
        # once they are, by whoever analyses; the crawl section always.
        compared = ({"rules", "custom_rules"} if config.rules_validated else {"crawl"})
        given = _flat(config.model_dump(mode="json", include=compared | {"crawl"}))
        kept = _flat(stored.model_dump(mode="json", include=compared | {"crawl"}))
        differ = sorted(key for key in given.keys() | kept.keys()
                        if given.get(key) != kept.get(key))
        if differ:
            shown = ", ".join(f"{key} ({kept.get(key)!r} stored, {given.get(key)!r} given)"
                              for key in differ[:5])
            more = f" and {len(differ) - 5} more" if len(differ) > 5 else ""
            raise ResumeRefused(
                f"--resume: the configuration differs from run {meta.get('run_id')}'s: "
                f"{shown}{more}; resume without --config (the stored one is used) or crawl "
                f"anew")
    start_url = meta["start_url"]
    if url is not None and UrlNormalizer.from_config(stored.crawl).normalize(url) != start_url:
        raise ResumeRefused(f"--resume: run {meta.get('run_id')} crawled {start_url}, not "
                            f"{url}; give no URL (or that one) to resume it")
    return (config if config is not None else stored), start_url


@dataclass(frozen=True, slots=True)
class QueuedPage:
    url_id: int
    url: str
    depth: int
    discovered_by: str
    discovered_from: int | None
    robots_blocked: bool


class Frontier:
    """What a resumed crawl reads back from its store (open for writing, its rows flushed)."""

    def __init__(self, store) -> None:
        self.store = store

    def take_back(self, run_id: str, coordination, limits, sitemaps,
                  variants) -> dict[str, tuple[str | None, list[str]]]:
        """Give the crawl's components the interrupted run's decisions (decided-set and page
        budget, limits hit, sitemaps read, the variant sample: ``variants`` None when that
        component is off); its robots.txt files, as :meth:`robots`."""
        unanswered = self.discard_unfinished()
        exempt = self.budget_exempt(coordination.crawl_cfg.fetch_resources)
        coordination.restore(self.decided_depths(), self.pages_taken(exempt), exempt)
        limits.restore(self.limit_skips())
        sitemaps.restore(self.sitemaps_read())
        if variants is not None:
            for page_url in self.page_urls():
                variants.offer(page_url)
        logger.info("resuming run %s: %d page(s) decided and not answered are requested",
                    run_id, unanswered)
        return self.robots()

    def requests(self, page_request: Callable[..., Any], prober) -> Iterable[Any]:
        """The interrupted run's work not done: its pages (``page_request(url, url_id, depth,
        discovered_by, discovered_from, robots_blocked)``), then its outbound probes."""
        for page in self.queued_pages():
            yield page_request(page.url, page.url_id, page.depth, page.discovered_by,
                               page.discovered_from, page.robots_blocked)
        for url_id, url in self.queued_probes():
            request = prober.start(url, url_id)
            if request is not None:
                yield request

    def _rows(self, sql: str) -> list[tuple]:
        return self.store.query(sql).fetchall()

    def discard_unfinished(self) -> int:
        """Remove what work in flight at the interrupt left behind; how many pages are
        decided and not answered."""
        db = self.store.query("DROP TABLE IF EXISTS temp.unfinished").connection
        db.execute("CREATE TEMP TABLE unfinished AS SELECT q.url_id FROM queue q "
                   "LEFT JOIN fetches f ON f.url_id = q.url_id "
                   f"WHERE q.kind = 'page' AND {UNANSWERED}")
        db.execute("BEGIN")
        for table, column in (("pages", "url_id"), ("bodies", "url_id"), ("links", "source_id"),
                              ("canonicals", "page_id"), ("hreflang", "page_id")):
            db.execute(f"DELETE FROM {table} WHERE {column} IN "  # noqa: S608 - names above
                       f"(SELECT url_id FROM temp.unfinished)")
        db.execute("DELETE FROM sitemap_entries WHERE sitemap_id NOT IN "
                   "(SELECT url_id FROM sitemaps)")
        db.execute("COMMIT")
        return db.execute("SELECT COUNT(*) FROM temp.unfinished").fetchone()[0]

    def decided_depths(self) -> Iterator[tuple[int, int]]:
        """(url id, smallest depth) of every URL decided before: fetched or skipped, probed,
        or queued (outbound URLs: depth 0)."""
        for url_id, depth in self._rows(
                "SELECT url_id, MIN(COALESCE(depth, 0)) FROM (SELECT url_id, depth FROM fetches "
                "UNION ALL SELECT url_id, 0 FROM probes UNION ALL SELECT url_id, depth FROM queue) "
                "GROUP BY url_id"):
            yield url_id, depth

    def budget_exempt(self, fetch_resources: bool) -> set[int]:
        """Site URLs met as a resource of a page (queued as one, or the target of a stored
        page's resource link, however they were met first): they hold no place of
        crawl.max_pages."""
        exempt = {url_id for (url_id,) in self._rows(
            "SELECT url_id FROM queue WHERE kind = 'page' AND discovered_by = 'resource'")}
        placeholders = ", ".join(f"'{element}'" for element in sorted(PAGE_ELEMENTS))
        for target_id, element, rel in self._rows(
                "SELECT DISTINCT l.target_id, l.element, l.rel FROM links l "
                "JOIN urls u ON u.id = l.target_id WHERE u.internal = 1 "
                f"AND l.element NOT IN ({placeholders})"):  # noqa: S608 - names above
            if followed_as(element, rel, True, fetch_resources) == "resource":
                exempt.add(target_id)
        return exempt

    def pages_taken(self, exempt: set[int]) -> int:
        """Places of crawl.max_pages already taken (pages decided, resources not)."""
        return sum(url_id not in exempt for (url_id,) in self._rows(
            "SELECT url_id FROM queue WHERE kind = 'page'"))

    def limit_skips(self) -> list[tuple[FetchOutcome, int]]:
        """(limit's skip reason, URLs it skipped), not those queued since (a max-depth skip
        met again within the limit)."""
        values = ", ".join(repr(outcome.value) for outcome in LIMIT_OUTCOMES)
        return [(FetchOutcome(error), count) for error, count in self._rows(
            f"SELECT error, COUNT(*) FROM fetches WHERE error IN ({values}) "  # noqa: S608
            "AND url_id NOT IN (SELECT url_id FROM queue) GROUP BY error")]

    def robots(self) -> dict[str, tuple[str | None, list[str]]]:
        """host -> (robots.txt text or None, its Sitemap: URLs), as first read."""
        return {host: (body, json.loads(sitemaps) if sitemaps else [])
                for host, body, sitemaps in self._rows("SELECT host, body, sitemaps FROM robots")}

    def sitemaps_read(self) -> list[str]:
        """Sitemaps with their answer stored. An index is read again (its children are not
        in the queue): the children it lists that were read are not."""
        return [url for (url,) in self._rows(
            "SELECT u.url FROM sitemaps s JOIN urls u ON u.id = s.url_id "
            "WHERE s.kind IS NOT 'sitemapindex' ORDER BY u.id")]

    def page_urls(self) -> list[str]:
        """The pages stored (for the variant sample, taken from the whole crawl)."""
        return [url for (url,) in self._rows(
            "SELECT u.url FROM pages p JOIN urls u ON u.id = p.url_id ORDER BY u.id")]

    def queued_pages(self) -> list[QueuedPage]:
        """Pages decided and not fetched, shallowest first, then by URL id."""
        return [QueuedPage(url_id, url, depth or 0, discovered_by, source, bool(blocked))
                for url_id, url, depth, discovered_by, source, blocked in self._rows(
                    "SELECT q.url_id, u.url, q.depth, q.discovered_by, q.discovered_from, "
                    "q.robots_blocked FROM queue q JOIN urls u ON u.id = q.url_id "
                    "LEFT JOIN fetches f ON f.url_id = q.url_id "
                    f"WHERE q.kind = 'page' AND {UNANSWERED} ORDER BY q.depth, q.url_id")]

    def queued_probes(self) -> list[tuple[int, str]]:
        """(url id, URL) of outbound URLs decided and without a verdict, by URL id."""
        return self._rows("SELECT q.url_id, u.url FROM queue q JOIN urls u ON u.id = q.url_id "
                          "LEFT JOIN probes p ON p.url_id = q.url_id "
                          "WHERE q.kind = 'probe' AND p.url_id IS NULL ORDER BY q.url_id")
