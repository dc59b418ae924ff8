"""Recording what the crawl fetched: a fetch row per response or failure, and for a page
its facts, link edges, canonicals and hreflang alternates (a stylesheet: its url() edges).

PageRecorder is a Scrapy extension the spider hands each page response to; it writes to the
store as it goes and asks the spider to decide about every new URL a page leads to, yielding
the requests back. It is not an item pipeline: an edge's target id comes from the store as
the edge is written, and the decision about it needs that id, so writing and deciding are
one pass over the page's links; an item per page would also add a pipeline round and an
``item_scraped`` signal to every response (docs/architecture.md).
"""

from __future__ import annotations

import logging
import time
from typing import AsyncIterator, Iterable

import scrapy
from scrapy.http import TextResponse
from scrapy.utils.asyncio import call_later
from twisted.python.failure import Failure

from readiness.crawl.charset import is_html
from readiness.crawl.component import StoreComponent
from readiness.crawl.errors import classify_failure
from readiness.crawl.headers import canonical_sources, kept_headers, parse_link_header
from readiness.crawl.middlewares import _ms, _timing_sample
from readiness.crawl.parsing import PageParseFailed, PageTooComplex, ParsedPage
from readiness.crawl.stylesheets import css_urls
from readiness.crawl.variants import VariantProbes
from readiness.crawl.workers import ParseWorkers
from readiness.store.records import Body, Canonical, Fetch, FetchOutcome, Hreflang, ParseOutcome
from readiness.urls import is_http

logger = logging.getLogger(__name__)

# Elements whose internal targets are pages worth fetching.
PAGE_ELEMENTS = frozenset({"a", "area", "iframe"})
# <link rel=...> values naming a host to warm up, not a URL anyone will load.
NON_URL_LINK_RELS = frozenset({"preconnect", "dns-prefetch"})
# <link rel=...> values that load a resource with the page (weight, broken assets).
RESOURCE_LINK_RELS = frozenset({"stylesheet", "icon", "shortcut", "preload", "apple-touch-icon",
                                "manifest", "modulepreload"})


class _NoVariants:
    """Stands in for VariantProbes when that extension is off."""

    def offer(self, page_url: str) -> None:
        pass


class PageRecorder(StoreComponent):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.decide = self.spider.decide
        self.limits = self.spider.limits
        self._commit_due = False

    def store_opened(self, store, run_dir) -> None:
        super().store_opened(store, run_dir)
        self.parser = self.crawler.get_extension(ParseWorkers)
        self.variants = self.crawler.get_extension(VariantProbes) or _NoVariants()

    async def on_page(self, response) -> AsyncIterator[scrapy.Request]:
        """Record a page fetch (its row, its facts, its links); requests for what it leads to."""
        url_id, depth, discovered_by, source_id, robots_blocked = response.meta["page"]
        # Its depth may have gone down since it was requested (met_shallower).
        depth = self.coordination.depth_of(url_id, depth)
        self.coordination.page_fetched(response.url, url_id)
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
                # A redirect hop is not a click: the target keeps this URL's depth.
                request = self.decide(target, depth, "redirect", url_id, target_id)
                for lowered in self._done(fetch):
                    yield lowered
                if request is not None:
                    yield request
                return
        # The fetch row is written last, after the decisions about everything the page
        # leads to: a URL with a fetch row has its children in the frontier, and one without
        # is fetched again by --resume (readiness.crawl.resume).
        try:
            if status == 200 and is_html(response):
                try:
                    parsed = await self.parser.parse(response)
                except PageTooComplex as exc:  # its status and headers stand; no facts
                    logger.warning("%s is too complex to parse: %s", response.url, exc)
                    fetch.parse = ParseOutcome.TOO_COMPLEX
                    fetch.parse_detail = str(exc)
                    parsed = None
                except PageParseFailed as exc:  # logged with its traceback; STS006 reports it
                    fetch.parse = ParseOutcome.FAILED
                    fetch.parse_detail = str(exc)
                    parsed = None
                if parsed is not None:
                    # The depth again: it may have gone down while the page was parsed.
                    depth = fetch.depth = self.coordination.depth_of(url_id, depth)
                    for request in self._record_page(response, url_id, depth, parsed,
                                                     fetch.headers):
                        yield request
            elif (status == 200 and self.crawl_cfg.fetch_resources
                    and isinstance(response, TextResponse)
                    and b"text/css" in (headers.get(b"Content-Type") or b"").lower()):
                for request in self._record_stylesheet(response, url_id, depth):
                    yield request
        except Exception:
            # The answer is a fact even when recording it failed.
            for request in self._done(fetch):
                self.crawler.engine.crawl(request)
            raise
        for request in self._done(fetch):
            yield request

    def _done(self, fetch: Fetch) -> list[scrapy.Request]:
        """A URL's answer is recorded: its fetch row, committed with what it led to before
        the reactor's next turn, so a killed crawl loses only the requests in flight
        (--resume fetches them again). One commit per turn, not per page: a parse worker's
        answers arrive several to a read, and a commit per page was 7% of the crawl
        process's time (bench/README.md). Requests for what it leads to when its depth went
        down while it was recorded."""
        depth = self.coordination.depth_of(fetch.url_id, fetch.depth)
        lowered = depth < fetch.depth
        fetch.depth = depth
        self.store.add(fetch)
        if not self._commit_due:
            self._commit_due = True
            call_later(0, self._commit)
        return list(self.lowered(fetch.url_id, depth)) if lowered else []

    def _commit(self) -> None:
        self._commit_due = False
        self.store.flush()  # nothing to do once the store has closed

    def met_again(self, url_id: int, previous: int | None, depth: int,
                  first_as_resource: bool) -> int | None:
        """A site URL decided before is met again: at the smaller ``depth`` (``previous``:
        the larger one it was decided at; None: no smaller) or as a resource of a page for
        the first time. The depth to decide it anew at, or None (its decision stands)."""
        if first_as_resource and self._met_as_resource(url_id):
            return self.coordination.depth_of(url_id, depth)
        if previous is None or not self.met_shallower(url_id, previous, depth):
            return None
        return depth

    def _met_as_resource(self, url_id: int) -> bool:
        """``url_id``, decided as a page, is a resource too: it holds no place of
        crawl.max_pages, as if it had been met as a resource first. True when it was skipped
        for max_pages (it is decided anew); a place it took is given back."""
        queued_as, skipped = self.store.query(
            "SELECT (SELECT discovered_by FROM queue WHERE url_id = ?1), "
            "(SELECT error FROM fetches WHERE url_id = ?1)", (url_id,)).fetchone()
        if queued_as is not None:
            if queued_as != "resource":
                self.coordination.give_back_page()
            return False
        if skipped == FetchOutcome.MAX_PAGES.value:
            self.limits.unskipped(FetchOutcome.MAX_PAGES)
            return True
        return False

    def met_shallower(self, url_id: int, previous: int, depth: int) -> bool:
        """A site URL decided at depth ``previous`` is met at the smaller ``depth``. True
        when it is to be decided anew: it was skipped at a depth past crawl.max_depth
        (excluded and trap skips come out the same again; a max-depth one may not). Else its
        stored depth goes down, and so do those of what a fetched page leads to."""
        if previous > self.crawl_cfg.max_depth:
            skipped = self.store.query("SELECT error FROM fetches WHERE url_id = ?",
                                       (url_id,)).fetchone()
            if skipped is not None and skipped[0] == FetchOutcome.MAX_DEPTH.value:
                self.limits.unskipped(FetchOutcome.MAX_DEPTH)
            return True
        self.store.query("UPDATE queue SET depth = ? WHERE url_id = ?", (depth, url_id))
        answered = self.store.query("UPDATE fetches SET depth = ? WHERE url_id = ? "
                                    "RETURNING fetched", (depth, url_id)).fetchall()
        if answered and answered[0][0]:
            # Its answer is recorded: what it leads to is decided again from the store. A
            # page still in flight records itself at its new depth (on_page).
            engine = self.crawler.engine
            for request in self.lowered(url_id, depth):
                engine.crawl(request)
        return False

    def lowered(self, url_id: int, depth: int) -> Iterable[scrapy.Request]:
        """The URL ``url_id``, answered, is now at the smaller ``depth``: what it leads to
        (its redirect or meta refresh target, canonicals, hreflang alternates, links; from
        the store) is decided again from there, so depths and max-depth decisions follow."""
        targets = [(target_id, url, internal, depth, kind) for target_id, url, internal, kind
                   in self.store.query(
                       "SELECT u.id, u.url, u.internal, 'redirect' FROM fetches f JOIN urls u "
                       "ON u.id = f.location_url_id WHERE f.url_id = ? UNION ALL "
                       "SELECT u.id, u.url, u.internal, 'meta-refresh' FROM pages p JOIN urls u "
                       "ON u.id = p.meta_refresh_url_id WHERE p.url_id = ? UNION ALL "
                       "SELECT u.id, u.url, u.internal, 'canonical' FROM canonicals c JOIN urls u "
                       "ON u.id = c.target_id WHERE c.page_id = ? AND c.target_id != ?",
                       (url_id, url_id, url_id, url_id))]
        targets += [(target_id, url, internal, depth + 1, "hreflang")
                    for target_id, url, internal in self.store.query(
                        "SELECT u.id, u.url, u.internal FROM hreflang h JOIN urls u "
                        "ON u.id = h.target_id WHERE h.page_id = ?", (url_id,))]
        fetch_resources = self.crawl_cfg.fetch_resources
        for target_id, url, internal, element, rel in self.store.query(
                "SELECT u.id, u.url, u.internal, l.element, l.rel FROM links l JOIN urls u "
                "ON u.id = l.target_id WHERE l.source_id = ? ORDER BY l.rowid", (url_id,)):
            discovered_by = followed_as(element, rel, bool(internal), fetch_resources)
            if discovered_by is not None:
                targets.append((target_id, url, internal, depth + 1, discovered_by))
        for target_id, url, internal, target_depth, kind in targets:
            request = self.decide(url, target_depth, kind, url_id, target_id, bool(internal))
            if request is not None:
                yield request

    def _record_page(self, response, url_id: int, depth: int, parsed: ParsedPage,
                     headers: dict[str, str]) -> Iterable[scrapy.Request]:
        """Store the page's facts and link edges; requests for the URLs it leads to.
        ``headers``: the fetch row's kept headers (names lower-cased, values joined)."""
        page_url = response.url
        facts = parsed.facts
        base = parsed.base
        normalize = self.normalizer.normalize
        intern = self.store.intern
        is_internal = self.scope.is_internal
        child_depth = depth + 1
        fetch_resources = self.crawl_cfg.fetch_resources
        if parsed.html_zlib is not None:
            self.store.add(Body(url_id=url_id, html=parsed.html_zlib))
        self.variants.offer(page_url)

        # Canonicals (HTML, then HTTP Link header) and hreflang alternates.
        canonical_rows, hreflang_rows = [], []
        header_links = parse_link_header(headers.get("link", ""))
        for source, raw, raw_base in canonical_sources(facts, header_links, page_url, base):
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

        # A meta refresh is a redirect the page makes: its target keeps the page's depth,
        # and is stored with the page (lowered() decides it again from there).
        refresh_id = None
        if facts.meta_refresh:
            target = _meta_refresh_target(facts.meta_refresh)
            target = normalize(target, base) if target else None
            if target is not None:
                internal = is_internal(target)
                refresh_id = intern(target, internal)
                request = self.decide(target, depth, "meta-refresh", url_id, refresh_id,
                                      internal)
                if request is not None:
                    yield request
        self.store.add(facts.page_record(url_id, headers.get("x-robots-tag"),
                                         response.meta["readiness_charset"],
                                         parsed.encoding_valid, refresh_id))

        # Link edges: every one recorded; each new target fetched or probed once.
        edges = []
        known_id = self.store.url_id
        depths = self.coordination.depths
        exempt = self.coordination.exempt
        reached = child_depth + 1  # as the depths array holds it
        # Each target already resolved where the page was parsed (ParsedPage.link_targets).
        for (raw, element, region, anchor, rel), target in zip(facts.links,
                                                                 parsed.link_targets):
            target_id = known_id(target) if target is not None else None
            # Most links on a page (nav, footer) point at URLs already decided at no greater
            # depth: record the edge and move on without the scope and decision work. A
            # resource's link to a URL decided as a page may free the page's place.
            undecided = target is not None and (
                target_id is None or target_id >= len(depths)
                or not 0 < depths[target_id] <= reached
                or element not in PAGE_ELEMENTS and (target_id >= len(exempt)
                                                     or not exempt[target_id]))
            if undecided:
                internal = is_internal(target)
                if target_id is None:
                    target_id = intern(target, internal)
            edges.append((url_id, target_id, raw, anchor, rel, element, region))
            if not undecided:
                continue
            discovered_by = followed_as(element, rel, internal, fetch_resources)
            if discovered_by is None:
                continue
            request = self.decide(target, child_depth, discovered_by, url_id, target_id,
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
            request = self.decide(target, depth + 1, "resource", url_id, target_id, internal)
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
        return target_id, self.decide(target, depth, kind, page_id, target_id, internal)

    def on_failure(self, failure: Failure) -> None:
        request = failure.request
        url_id, depth, discovered_by, source_id, robots_blocked = request.meta["page"]
        error, detail = classify_failure(failure)
        self.stats.inc_value(f"readiness/errors/{error}")
        logger.info("fetch failed: %s (%s)", request.url, detail)
        self._done(Fetch(  # a failure leads nowhere: nothing to decide again
            url_id=url_id, error=error, error_detail=detail, fetched=True,
            robots_blocked=robots_blocked, depth=depth, discovered_by=discovered_by,
            discovered_from=source_id, elapsed_ms=_ms(request.meta.get("readiness_elapsed")),
            retries=request.meta.get("retry_times", 0), fetched_at=time.time()))


def followed_as(element: str, rel: str | None, internal: bool,
                fetch_resources: bool) -> str | None:
    """How a link's target is discovered ("link", "resource"), or None: not followed (a
    host hint, an internal <link> that loads nothing, a resource with fetch_resources off)."""
    if element == "link":
        rels = set(rel.split()) if rel else set()
        if rels & NON_URL_LINK_RELS or (internal and not rels & RESOURCE_LINK_RELS):
            return None
    if internal and element not in PAGE_ELEMENTS:
        return "resource" if fetch_resources else None
    return "link"


def _meta_refresh_target(content: str) -> str | None:
    """``5; url=/next`` -> ``/next``."""
    _, _, rest = content.partition(";")
    rest = rest.strip()
    if rest[:4].lower() == "url=":
        return rest[4:].strip().strip("'\"") or None
    return None

