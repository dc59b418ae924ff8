"""``readiness prospects`` and ``readiness placements``: other sites' pages checked by a
list-mode crawl (docs/prospects.md, docs/placements.md).

The listed pages are another site's, so they are fetched the way outbound probes are, never as
a site crawl: a list-mode crawl (``crawl.list_urls``: robots.txt of each host first, each page
once, redirects hop by hop, no link followed) with the outbound politeness per host
(``crawl.probe.concurrency_per_host`` capped at one request at a time, ``crawl.probe.delay``
between them, ``crawl.probe.timeout``), the same user agent, ``crawl.max_page_bytes`` and the
private-address guard for redirects to hosts nobody listed. The site (``--site``) is what
their links are matched against; its start URL (prospects) or the placements' targets are
fetched too, to know where the site's URLs lead.

After the crawl the list itself is written into the run's store (``prospects`` /
``placements`` rows, meta ``mode``), so ``readiness analyze`` re-judges the run with edited
thresholds and ``readiness diff`` compares two runs without the list at hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from readiness.inputs.placements import PlacementList
from readiness.inputs.prospects import ProspectList
from readiness.inputs.tables import InputError
from readiness.store import SQLiteCrawlStore
from readiness.store.records import Placement, Prospect
from readiness.urls import UrlNormalizer

if TYPE_CHECKING:
    from readiness.config import ReadinessConfig

PROSPECTS, PLACEMENTS = "prospects", "placements"


def report_problems(problems: Iterable[InputError]) -> None:
    """Lines of the list left out, each with its file:line and the fix; the run goes on."""
    for problem in problems:
        print(f"readiness: warning: {problem}", file=sys.stderr)


def outside_politeness(config: "ReadinessConfig") -> None:
    """Crawl the listed pages as outbound hosts are probed: one request at a time per host
    (``concurrency`` is per host: Scrapy's download slot is the netloc), the probe delay
    between them, the probe timeout. Other hosts are fetched meanwhile. Each page is fetched
    once: no quiet re-measurement of slow pages (another site's speed is not judged)."""
    crawl = config.crawl
    crawl.concurrency = 1
    crawl.delay = max(crawl.delay, crawl.probe.delay)
    crawl.timeout = crawl.probe.timeout
    crawl.remeasure_slow_ms = crawl.remeasure_download_ms = 0


def prepare_outside(mode: str, site: str, listed: ProspectList | PlacementList,
                    config: "ReadinessConfig") -> None:
    """Make ``config`` the polite list-mode crawl of ``listed`` (checked by the caller before
    ``run_outside``). A rule file's ``backlinks:`` are the site's, not these pages': their
    targets are no seeds of this crawl."""
    config.backlinks = []
    outside_politeness(config)
    config.crawl.list_urls = listed_urls(mode, site, listed)
    # Other sites' pages, from a spreadsheet: their hosts are not named by the user, so a
    # private address among them is refused as an outbound link's is.
    config.crawl.list_hosts_named = False


def run_outside(mode: str, site: str, listed: ProspectList | PlacementList,
                config: "ReadinessConfig", out: str | Path | None = None,
                reports_dir: str | Path = "reports", progress: bool = True):
    """Crawl a prepared list (``prepare_outside``) and store the list with the run; the
    crawl's result (``readiness.crawl.runner.CrawlResult``)."""
    from readiness.crawl.runner import run_crawl

    result = run_crawl(site, config, out=out, reports_dir=reports_dir, progress=progress)
    # Written whatever the crawl's end: nothing already stored is lost, and an interrupted
    # run stays re-analysable with its list.
    store_list(result.store_path, mode, listed, UrlNormalizer.from_config(config.crawl))
    return result


def listed_urls(mode: str, site: str, listed: ProspectList | PlacementList) -> list[str]:
    """What the list-mode crawl fetches: the site's start URL and the prospects, or each
    placement's source page and target, each once, in the list's order."""
    if mode == PROSPECTS:
        urls = [site, *(row.url for row in listed.rows)]
    else:
        urls = [url for row in listed.rows for url in (row.source, row.target)]
    return list(dict.fromkeys(urls))


def store_list(store_path: Path, mode: str, listed: ProspectList | PlacementList,
               normalizer: UrlNormalizer) -> None:
    """Write the list into the run's store (its URLs are the crawl's: the same ids), with
    meta ``mode``. Rows whose URL does not normalise are left out (and were reported)."""
    store = SQLiteCrawlStore(store_path)
    store.open()
    try:
        def url_id(raw: str) -> int | None:
            # The crawl interned every listed URL already; a new one was never fetched.
            url = normalizer.normalize(raw)
            return None if url is None else store.intern(url, False)
        if mode == PROSPECTS:
            for row in listed.rows:
                prospect_id = url_id(row.url)
                if prospect_id is not None:
                    store.add(Prospect(url_id=prospect_id, raw=row.url, input=row.input,
                                       line=row.line))
        else:
            stored: set[tuple[int, int]] = set()
            for row in listed.rows:
                source_id, target_id = url_id(row.source), url_id(row.target)
                # Two spellings of one placement (a default port, a tracking parameter) are one.
                if source_id is not None and target_id is not None \
                        and (source_id, target_id) not in stored:
                    stored.add((source_id, target_id))
                    store.add(Placement(source_id=source_id, target_id=target_id,
                                        source_raw=row.source, target_raw=row.target,
                                        anchor=row.anchor, rel=row.rel, input=row.input,
                                        line=row.line))
        store.set_meta("mode", mode)
    finally:
        store.close()
