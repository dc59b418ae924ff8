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

When the run's store opens, the list itself is written into it (:class:`OutsideList`:
``prospects`` / ``placements`` rows, meta ``mode``), before any page is fetched, so even a
run killed outright keeps its list; ``readiness analyze`` re-judges the run with edited
thresholds and ``readiness diff`` compares two runs without the list at hand. The CLI
(``readiness prospects FILE`` / ``placements FILE``) and a scheduled run (``scrapy crawl site
-a placements=FILE -a url=SITE``, scrapyd) are the same crawl (readiness/crawl/spider.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from readiness.crawl.component import StoreComponent
from readiness.inputs.placements import PlacementList, read_placements
from readiness.inputs.prospects import ProspectList, read_prospects
from readiness.inputs.tables import InputError
from readiness.store.records import Placement, Prospect

if TYPE_CHECKING:
    from readiness.config import ReadinessConfig

PROSPECTS, PLACEMENTS = "prospects", "placements"


@dataclass(frozen=True, slots=True)
class OutsideRun:
    """A prospects or placements run: its mode and the list read (the spider's ``outside``)."""

    mode: str
    listed: ProspectList | PlacementList


def read_outside_list(mode: str, file: str | Path) -> OutsideRun:
    """The list of ``mode`` read from ``file`` (an InputError names the file, the line, the
    fix); the lines left out are reported as warnings."""
    listed = (read_prospects if mode == PROSPECTS else read_placements)(file)
    report_problems(listed.problems)
    return OutsideRun(mode, listed)


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
    """Make ``config`` the polite list-mode crawl of ``listed`` (the crawl is given the list
    too: ``run_crawl(outside=…)``, or the spider's ``-a prospects=``/``placements=``). A rule
    file's ``backlinks:`` are the site's, not these pages': their targets are no seeds of
    this crawl."""
    config.backlinks = []
    outside_politeness(config)
    config.crawl.list_urls = listed_urls(mode, site, listed)
    # Other sites' pages, from a spreadsheet: their hosts are not named by the user, so a
    # private address among them is refused as an outbound link's is.
    config.crawl.list_hosts_named = False


def listed_urls(mode: str, site: str, listed: ProspectList | PlacementList) -> list[str]:
    """What the list-mode crawl fetches: the site's start URL and the prospects, or each
    placement's source page and target, each once, in the list's order."""
    if mode == PROSPECTS:
        urls = [site, *(row.url for row in listed.rows)]
    else:
        urls = [url for row in listed.rows for url in (row.source, row.target)]
    return list(dict.fromkeys(urls))


class OutsideList(StoreComponent):
    """Writes the list of a prospects or placements run (the spider's ``outside``) into a
    fresh run's store when it opens, with meta ``mode``: its URLs are the crawl's (the same
    ids). Rows whose URL does not normalise are left out (and were reported)."""

    def store_opened(self, store, run_dir) -> None:
        super().store_opened(store, run_dir)
        outside = self.spider.outside
        if outside is None or self.spider.resumed_meta is not None:
            return
        if not self.coordination.seeds:
            return
        is_internal = self.scope.is_internal

        def url_id(raw: str) -> int | None:
            url = self.normalizer.normalize(raw)
            return None if url is None else store.intern(url, is_internal(url))
        if outside.mode == PROSPECTS:
            for row in outside.listed.rows:
                prospect_id = url_id(row.url)
                if prospect_id is not None:
                    store.add(Prospect(url_id=prospect_id, raw=row.url, input=row.input,
                                       line=row.line))
        else:
            stored: set[tuple[int, int]] = set()
            for row in outside.listed.rows:
                source_id, target_id = url_id(row.source), url_id(row.target)
                # Two spellings of one placement (a default port, a tracking parameter) are one.
                if source_id is not None and target_id is not None \
                        and (source_id, target_id) not in stored:
                    stored.add((source_id, target_id))
                    store.add(Placement(source_id=source_id, target_id=target_id,
                                        source_raw=row.source, target_raw=row.target,
                                        anchor=row.anchor, rel=row.rel, input=row.input,
                                        line=row.line))
        store.set_meta("mode", outside.mode)
        store.flush()
