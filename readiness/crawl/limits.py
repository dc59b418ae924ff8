"""What the crawl does not fetch by its own rules, and which of its limits the run hit.

A site URL is skipped, with a ``fetches`` row saying why, when it is outside
``crawl.include``/``exclude`` (``excluded``), looks like a URL trap (``trap``: longer than
``crawl.max_url_length``, or a path segment repeated more than ``crawl.max_repeated_segments``
times: calendars, relative-link loops) or lies deeper than ``crawl.max_depth``; the spider
adds robots.txt and ``crawl.max_pages`` (the coordination's budget) after these.

A limit is hit (meta ``limits_hit``: the run is incomplete) while a URL it skipped stays
skipped: a ``max-depth`` skip met again within the limit is fetched after all and no longer
counts, so whether a run hit ``max_depth`` does not depend on which path answered first.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable
from urllib.parse import urlsplit

from readiness.config import CrawlConfig
from readiness.store.records import FetchOutcome
from readiness.urls import Scope

# The skip reasons that mean a crawl limit was hit, as meta limits_hit names the limit.
LIMIT_OUTCOMES = {FetchOutcome.MAX_PAGES: "max_pages", FetchOutcome.MAX_DEPTH: "max_depth"}


class CrawlLimits:
    def __init__(self, crawl_cfg: CrawlConfig, scope: Scope) -> None:
        self.crawl_cfg = crawl_cfg
        self.scope = scope
        self._skips: Counter[FetchOutcome] = Counter()  # URLs skipped by each limit, now

    def skip_reason(self, url: str, depth: int) -> FetchOutcome | None:
        """Why the site URL ``url`` met at ``depth`` is not fetched (robots.txt and the page
        budget aside), or None."""
        cfg = self.crawl_cfg
        if self.scope.is_excluded(url):
            return FetchOutcome.EXCLUDED
        if len(url) > cfg.max_url_length or self._repeats_segments(url):
            return FetchOutcome.TRAP
        if depth > cfg.max_depth:
            return FetchOutcome.MAX_DEPTH
        return None

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

    def skipped(self, outcome: FetchOutcome) -> None:
        """A URL was skipped for ``outcome``."""
        if outcome in LIMIT_OUTCOMES:
            self._skips[outcome] += 1

    def unskipped(self, outcome: FetchOutcome) -> None:
        """A URL skipped for ``outcome`` is decided anew (counted again if skipped again)."""
        if self._skips[outcome]:
            self._skips[outcome] -= 1

    def restore(self, skips: Iterable[tuple[FetchOutcome, int]]) -> None:
        """A resumed run (readiness.crawl.resume): the skips its store holds, per limit."""
        for outcome, count in skips:
            self._skips[outcome] = count

    @property
    def hit(self) -> list[str]:
        """The limits the run hit, as meta ``limits_hit`` names them (sorted)."""
        return sorted(LIMIT_OUTCOMES[outcome] for outcome, count in self._skips.items()
                      if count)
