"""Backlinked pages as crawl input: the rows of the backlink exports whose targets are on the
site, and :class:`BacklinkExports`, the extension that writes them into the run's store.

The exports are named by ``readiness backlinks EXPORT... --site URL`` or a rule file's
``backlinks:`` (``ReadinessConfig.backlinks``) and read with
:func:`readiness.inputs.backlinks.read_backlink_export`. Each target goes through the crawl's
URL normaliser, so ``crawl.host_map`` turns the production URLs an export names into the
staging URLs crawled; a target on none of the site's hosts is counted ("not on this site"),
never fetched. The distinct targets are the crawl's ``backlink`` seeds
(readiness/crawl/seeds.py) or, for ``readiness backlinks``, its list. User docs:
docs/backlinks.md.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from readiness.config.models import BacklinkExportConfig
from readiness.crawl.component import StoreComponent
from readiness.inputs.backlinks import (
    BacklinkRow,
    SkippedRow,
    describe_skipped,
    iter_backlink_export,
    parse_columns_option,
)
from readiness.store.records import Backlink
from readiness.urls import UrlNormalizer, is_http, netloc
from readiness.words import plural

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SiteBacklink:
    target: str          # the row's target, normalised (host map applied): a site URL
    row: BacklinkRow


@dataclass(slots=True)
class SiteBacklinks:
    """What the exports say about the site: its distinct targets and how many rows name them,
    and what was left out. The rows themselves are streamed (:meth:`rows`), never held: an
    export of 200,000 rows is read in constant memory, each time it is needed."""

    exports: list[BacklinkExportConfig]
    normalizer: UrlNormalizer
    site_netlocs: frozenset[str]
    target_set: set[str] = field(default_factory=set)
    row_count: int = 0
    off_site: Counter = field(default_factory=Counter)   # host -> rows naming it
    without_target: int = 0   # rows naming no page of the site (Search Console's external links)
    skipped: dict[str, list[SkippedRow]] = field(default_factory=dict)  # export -> unreadable rows

    @classmethod
    def read(cls, exports: list[BacklinkExportConfig], normalizer: UrlNormalizer,
             site_netlocs: set[str] | frozenset[str]) -> "SiteBacklinks":
        """Read every export once, counting (an ExportError names the bad one: the file, the
        line, the fix)."""
        found = cls(list(exports), normalizer, frozenset(site_netlocs))
        for item in found.rows(count=True):
            found.target_set.add(item.target)
            found.row_count += 1
        return found

    def rows(self, count: bool = False) -> Iterator[SiteBacklink]:
        """The rows whose target is on the site, export by export, in file order; ``count``:
        also count those left out (off the site, no target, unreadable)."""
        for spec in self.exports:
            columns = parse_columns_option(spec.columns) if spec.columns else None
            skipped: list[SkippedRow] = []
            for row in iter_backlink_export(Path(spec.file), columns, skipped):
                target = self.normalizer.normalize(row.target) if row.target else None
                if target is None or not is_http(target):
                    if count:
                        self.without_target += 1
                    continue
                if netloc(target) not in self.site_netlocs:
                    if count:
                        self.off_site[netloc(target)] += 1
                    continue
                yield SiteBacklink(target, row)
            if skipped and count:
                self.skipped[spec.file] = skipped

    @property
    def targets(self) -> list[str]:
        """The distinct targets, sorted: the same seeds whatever the exports' row order."""
        return sorted(self.target_set)

    def summary(self) -> list[str]:
        """What was read, in lines for the terminal and the crawl log."""
        lines = [f"backlinks: {plural(self.row_count, 'row')} naming "
                 f"{plural(len(self.target_set), 'page')} of the site"]
        if self.off_site:
            hosts = ", ".join(host for host, _count in sorted(
                self.off_site.items(), key=lambda item: (-item[1], item[0]))[:5])
            lines.append(f"not on this site: {plural(sum(self.off_site.values()), 'row')} "
                         f"({hosts}{', …' if len(self.off_site) > 5 else ''}): not fetched; "
                         f"a staging crawl maps production hosts with crawl.host_map")
        if self.without_target:
            lines.append(f"no page of the site named: {plural(self.without_target, 'row')}")
        for export, skipped in sorted(self.skipped.items()):
            lines.append(f"{export}: {describe_skipped(skipped)}")
        return lines


class BacklinkExports(StoreComponent):
    """Writes the backlink rows on the site (the spider's ``seeds.backlinks``) into a fresh
    run's store, once: not again when the run is resumed, and only in the worker that seeds
    a distributed run."""

    def store_opened(self, store, run_dir) -> None:
        super().store_opened(store, run_dir)
        backlinks = self.spider.seeds.backlinks
        if backlinks is None or self.spider.resumed_meta is not None:
            return
        if not self.coordination.seeds:
            return
        for line in backlinks.summary():
            logger.info(line)
        is_internal = self.scope.is_internal
        for item in backlinks.rows():  # read again, streamed: the rows are not kept
            row = item.row
            store.add(Backlink(
                target_id=store.intern(item.target, is_internal(item.target)),
                target_raw=row.target, source_url=row.source, anchor=row.anchor, rel=row.rel,
                referring_domains=row.referring_domains, backlinks=row.backlinks,
                first_seen=row.first_seen, last_seen=row.last_seen, export=row.export,
                export_format=row.export_format, line=row.line))
        store.flush()
        self.stats.set_value("readiness/backlinks/rows", backlinks.row_count)
        self.stats.set_value("readiness/backlinks/targets", len(backlinks.target_set))
        self.stats.set_value("readiness/backlinks/off_site", sum(backlinks.off_site.values()))
