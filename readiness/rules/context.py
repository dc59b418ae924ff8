"""What rules see: the crawl store's records, decoded, plus the derived facts rules share.

Rules never touch SQL nor decode storage: they read typed records (readiness.store.records:
JSON fields parsed, enums as enums) and ask the context the common questions — "what links
here?", "where does this redirect end?", "is this page indexable, and why not?" — which it
answers once per analysis. Everything is derived from the store alone (no network), so
``readiness analyze`` is a pure function of (store, config).
"""

from __future__ import annotations

import json
import zlib
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Collection, Iterable, Iterator, Literal

from readiness.entities import Entity, site_entities
from readiness.probe.verdicts import OutboundCheck, Verdict, outbound_check, probes_enabled
from readiness.store import CrawlStoreReader
from readiness.store.records import (
    Backlink,
    Body,
    Canonical,
    Fetch,
    FetchOutcome,
    Hreflang,
    Link,
    Page,
    Placement,
    Probe,
    Prospect,
    Robots,
    Sitemap,
    SitemapEntry,
    SitemapNaming,
    Url,
    Variant,
    record,
)
from readiness.urls import UrlNormalizer, host_twin, is_http, netloc

# Where a sitemap can be named, in the order its namings are listed (then by naming index).
SITEMAP_SOURCES = ("robots", "config", "fallback", "index")

# Link elements a visitor clicks to reach a page (and a crawler follows as navigation).
CLICK_ELEMENTS = ("a", "area")
# Items of one evidence list an output shows inline (the CSV's evidence column); the evidence
# itself, in findings.json, is complete: an SEO lead must be able to fix every source.
EVIDENCE_LIMIT = 25
# Inbound link edges of one URL as they stand on the pages (rowid order, read off the
# links_target index); inbound_links() orders them by linking page URL (url_rank).
_INBOUND_EDGES = (
    "SELECT source_id, anchor, element, region, rel FROM links "
    "WHERE target_id = ? AND source_id != target_id ORDER BY rowid")
# Page facts kept per page in ``pages``; the bulky ones (declared ``deferred``) are streamed.
_PAGE_FIELDS = tuple(f for f in Page.__dataclass_fields__
                     if not Page.__dataclass_fields__[f].metadata["deferred"])
# Cached facts a rule family's findings share and the next family seldom asks for again: the
# engine releases them after each family's last rule (inbound_links).
FAMILY_SCOPED = ("_inbound_edges", "_texts")
# Fetch facts kept per URL in ``fetches``: all but the header dicts (~31 MB at 20k URLs), which
# a few rules read one header of: ``header()`` reads that one header for the whole site.
_FETCH_FIELDS = tuple(f for f in Fetch.__dataclass_fields__ if f != "headers")


@dataclass(slots=True)
class Inbound:
    """Everything that points at one URL, by kind."""

    links: list[dict[str, Any]] = field(default_factory=list)      # {source, anchor, element, region, rel}
    link_count: int = 0                                             # edges (may exceed len(links))
    source_pages: int = 0                                           # distinct linking pages
    sitemaps: list[str] = field(default_factory=list)               # sitemap URLs listing it
    redirects: list[str] = field(default_factory=list)              # URLs redirecting to it
    canonicals: list[str] = field(default_factory=list)             # pages canonicalising to it

    @property
    def total(self) -> int:
        return self.link_count + len(self.sitemaps) + len(self.redirects) + len(self.canonicals)

    def evidence(self) -> dict[str, Any]:
        return {
            "inbound_links": self.links, "inbound_link_count": self.link_count,
            "linking_pages": self.source_pages, "sitemaps": self.sitemaps,
            "redirected_from": self.redirects,
            "canonicalised_from": self.canonicals,
        }


@dataclass(slots=True)
class RedirectWalk:
    """A redirect chain from a URL, hop by hop, to where it ends."""

    hops: list[dict[str, Any]]      # [{url, status, location}] one per redirect response
    final_url: str | None           # the URL that finally answered (or did not)
    final_status: int | None
    final_error: str | None
    loop: bool                      # the chain came back to a URL it had passed
    leaves_site: bool               # the chain ended on an outbound URL (probe verdict applies)
    unresolved: bool                # the chain ends at a URL the crawl never fetched


@dataclass(slots=True)
class Indexability:
    indexable: bool
    reasons: list[str]              # empty when indexable; plain words otherwise


@dataclass(frozen=True, slots=True)
class BacklinkedTarget:
    """What the backlink exports say about one site URL other sites link to."""

    referring_domains: int          # max(the export's count, distinct linking hosts)
    backlinks: int                  # max(the export's count, rows naming a linking page)
    anchors: tuple[tuple[str, int], ...]  # (anchor text, rows), most rows first, then by text


# rel values by which a link passes no ranking signal.
LINK_QUALIFIERS = frozenset({"nofollow", "sponsored", "ugc"})
# Link regions that repeat on every page of a site (links.region), as opposed to "main".
BOILERPLATE_REGIONS = frozenset({"nav", "header", "footer", "aside"})


def link_qualifiers(rel: str | None) -> frozenset[str]:
    """The nofollow/sponsored/ugc among a link's rel values."""
    return frozenset((rel or "").lower().split()) & LINK_QUALIFIERS


@dataclass(slots=True)
class LinkProfile:
    """The outbound links of another site's page (<a>/<area> to hosts other than its own and
    its www twin), counted."""

    outbound: list[Link]
    qualified: int              # nofollow/sponsored/ugc (all of them under robots nofollow)
    page_nofollow: bool         # the page's meta robots or X-Robots-Tag says nofollow
    hosts: int                  # distinct hosts linked to
    in_main: int                # outbound links in the main content
    in_boilerplate: int         # in nav/header/footer/aside
    to_site: list[Link]         # links to the site (any of its hosts, either scheme)

    def evidence(self) -> dict[str, Any]:
        return {"outbound_links": len(self.outbound), "outbound_qualified": self.qualified,
                "outbound_hosts": self.hosts, "outbound_in_main": self.in_main,
                "outbound_in_boilerplate": self.in_boilerplate,
                "page_nofollow": self.page_nofollow}


@dataclass(slots=True)
class OutsidePage:
    """A page on another site the user listed (a prospect, a placement's source), as the
    list-mode crawl fetched it: its redirects walked to where it lands, and that page's facts."""

    url_id: int                     # as listed
    landing_id: int                 # where its redirects end (url_id when it does not redirect)
    hops: list[dict[str, Any]]      # [{url, status, location}] of the redirects followed
    fetch: Fetch | None             # the landing URL's fetch (None: never fetched)
    page: Page | None               # its page facts (None: not a 200 HTML page)
    indexability: Indexability      # the landing page's (robots.txt, status, noindex, canonical)
    links: list[Link]               # its <a>/<area> edges, in document order
    profile: LinkProfile            # its outbound links, counted

    @property
    def reachable(self) -> bool:
        return self.page is not None

    @property
    def problem(self) -> str | None:
        """Why the page could not be read, in plain words; None when it was."""
        if self.page is not None:
            return None
        fetch = self.fetch
        if fetch is None:
            if self.hops:  # list mode fetches redirects on the listed hosts only
                return (f"redirects to {self.hops[-1]['location']}, on a host not listed, "
                        "which list mode does not fetch as a page: list that page instead")
            return "never fetched (the crawl stopped first)"
        if fetch.error == FetchOutcome.ROBOTS_BLOCKED:
            return "blocked by its site's robots.txt (not fetched)"
        if fetch.status is None:
            detail = f": {fetch.error_detail}" if fetch.error_detail else ""
            return f"no answer ({fetch.error}{detail})"
        if 300 <= fetch.status < 400:
            return f"redirects ({fetch.status}) past the hops followed"
        if fetch.status != 200:
            return f"answers {fetch.status}"
        return f"not an HTML page ({fetch.content_type or 'no content type'})"


# The stored fields of a probe (JudgedProbe adds the analysis's own).
_PROBE_FIELDS = tuple(Probe.__dataclass_fields__)


@record
class JudgedProbe(Probe):
    """A stored probe as this analysis judges it: on an offline runner (``outbound``) an
    unreachable host's verdict is ``unverifiable`` with ``inconclusive`` set and the stored
    verdict kept as ``probed_verdict``, so no rule calls it broken."""

    inconclusive: bool = False
    probed_verdict: str | None = None


class AnalysisContext:
    def __init__(self, store: CrawlStoreReader,
                 previous: CrawlStoreReader | None = None) -> None:
        self.store = store
        # The previous run of the same site, when the caller found one (readiness.check does,
        # with the report stage's run lookup): rules never go looking for other runs.
        self.previous_store = previous
        self._db = store.db
        self._header_values: dict[str, dict[int, str]] = {}

    def _rows(self, sql: str, params: tuple = ()) -> Iterator[tuple]:
        """Rows of an aggregate or id query as plain tuples (the store's connection makes
        sqlite3.Row objects, which cost a Python object and a lookup per column)."""
        cursor = self._db.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params)

    # -- crawl metadata ----------------------------------------------------------------

    @cached_property
    def meta(self) -> dict[str, Any]:
        return self.store.meta()

    @property
    def crawl_complete(self) -> bool:
        return bool(self.meta.get("complete"))

    @property
    def list_mode(self) -> bool:
        """Only the listed URLs (and their redirects) were fetched (readiness.crawl.seeds):
        rules that need the whole site (``Rule.whole_site``) do not run."""
        return bool(self.meta.get("list_mode"))

    @property
    def start_url(self) -> str:
        return self.meta["start_url"]

    @cached_property
    def crawl_config(self) -> dict[str, Any]:
        """The ``crawl:`` settings the store was crawled with (empty for an older store)."""
        return (self.meta.get("config") or {}).get("crawl") or {}

    @cached_property
    def normalizer(self) -> UrlNormalizer:
        """The crawl's host map and strip_params: ``unmap_host`` gives the production URL of
        a crawled one, ``stripped_params`` the tracking tags a link's raw href carried."""
        return UrlNormalizer.from_meta(self.meta)

    # -- URLs ----------------------------------------------------------------------------

    @cached_property
    def urls(self) -> dict[int, str]:
        return dict(self._rows("SELECT id, url FROM urls"))

    @cached_property
    def ids(self) -> dict[str, int]:
        return {url: url_id for url_id, url in self.urls.items()}

    @cached_property
    def internal_ids(self) -> frozenset[int]:
        return frozenset(url.id for url in self.store.records(Url, "t.internal = 1",
                                                              fields=("id",)))

    def is_internal(self, url_id: int) -> bool:
        return url_id in self.internal_ids

    def by_url(self, url_ids: Iterable[int]) -> list[int]:
        """``url_ids`` in the order of their URLs: ids follow the crawl's arrival order, so
        every list a finding shows is ordered by URL instead (the same on every run)."""
        return sorted(url_ids, key=self.urls.__getitem__)

    @cached_property
    def url_rank(self) -> dict[int, int]:
        """url id -> its place in URL order: a sort key as deterministic as the URL and
        cheaper to compare (sorting in SQL by a joined URL cost ~1 ms a query)."""
        return {url_id: rank for rank, url_id in enumerate(self.by_url(self.urls))}

    # -- fetches and pages ----------------------------------------------------------------

    # fetches and pages iterate in URL order, so whatever a rule lists or picks first while
    # walking them is the same on every crawl of the site (ids follow the crawl's order).

    @cached_property
    def fetches(self) -> dict[int, Fetch]:
        """Fetch facts without ``headers`` (left unset here: ask ``header()``)."""
        return {fetch.url_id: fetch for fetch in self.store.records(
            Fetch, fields=_FETCH_FIELDS, by_url="url_id")}

    @cached_property
    def pages(self) -> dict[int, Page]:
        """Page facts without the bulky fields (``deferred`` in records.py: minhash, contact,
        structured_data), which are left unset here: stream them with ``page_field()``."""
        return {page.url_id: page for page in self.store.records(
            Page, fields=_PAGE_FIELDS, by_url="url_id")}

    def page_field(self, name: Literal["minhash", "structured_data", "contact"],
                   url_ids: Collection[int] | None = None, raw_contains: str | None = None
                   ) -> Iterator[tuple[int, Any]]:
        """(url id, value) of one bulky page field, decoded, page by page in URL order (pages
        where it is NULL left out): a whole site's would not fit in memory at once.

        Filtered before decoding (decoding is most of the cost: ~0.25 s CPU a pass over 20,000
        pages' structured data): ``url_ids``, only these pages; ``raw_contains``, only values
        whose stored JSON text contains it (a prefilter: the caller still checks the value)."""
        if not Page.__dataclass_fields__[name].metadata["deferred"]:
            raise ValueError(f"{name} is in pages already")
        where, params = [f"t.{name} IS NOT NULL"], []
        if url_ids is not None:
            where.append("t.url_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sorted(url_ids)))
        if raw_contains is not None:
            where.append(f"instr(t.{name}, ?) > 0")
            params.append(raw_contains)
        for page in self.store.records(Page, " AND ".join(where), tuple(params),
                                       fields=("url_id", name), by_url="url_id"):
            yield page.url_id, getattr(page, name)

    @cached_property
    def indexable_entities(self) -> list[tuple[int, list[Entity]]]:
        """(url id, its structured data read as entities) of every indexable page that has
        some, in URL order. Read once for the rules about the practice's items (SD002-SD004,
        which name it in ``reads``): a pass decodes every page's structured data (~1.4 s CPU,
        ~50 MB at 20k pages). Shared between rules: read-only."""
        return list(site_entities(self, [url_id for url_id, _fetch, _page
                                         in self.indexable_pages()]))

    def release(self, name: str) -> None:
        """Forget a cached fact (it is read again if asked for): the engine frees the bulky
        ones that only a few rules read once the last of them has run (``Rule.reads``)."""
        if not isinstance(getattr(type(self), name, None), cached_property):
            raise ValueError(f"{name} is not a cached fact of the context")
        self.__dict__.pop(name, None)

    def _page_value(self, url_id: int, name: str) -> Any:
        page = next(self.store.records(Page, "t.url_id = ?", (url_id,), fields=(name,)), None)
        return getattr(page, name) if page is not None else None

    def structured_data(self, url_id: int) -> dict[str, Any]:
        return self._page_value(url_id, "structured_data") or {}

    def contact(self, url_id: int) -> dict[str, list[str]]:
        """Visible contact facts of a page: {"tel": [raw tel: hrefs], "addresses": [...]}.

        Empty lists when the page has none or the store predates the ``contact`` column.
        """
        data = self._page_value(url_id, "contact") or {}
        return {"tel": list(data.get("tel") or []), "addresses": list(data.get("addresses") or [])}

    def html(self, url_id: int) -> str | None:
        """The page's HTML as crawled (None when the crawl did not keep it)."""
        body = next(self.store.records(Body, "t.url_id = ?", (url_id,)), None)
        return zlib.decompress(body.html).decode("utf-8") if body is not None else None

    def status(self, url_id: int) -> int | None:
        fetch = self.fetches.get(url_id)
        return fetch.status if fetch is not None else None

    def header(self, url_id: int, name: str) -> str | None:
        """One kept response header of a URL (``name`` lower-cased), None when it sent none.

        Each header asked for is read for the whole site in one query and kept (a small
        dict of the URLs that sent it), instead of every URL's header dict."""
        sent = self._header_values.get(name)
        if sent is None:
            path = "$." + json.dumps(name)
            sent = self._header_values[name] = dict(self._rows(
                "SELECT url_id, json_extract(headers, ?) FROM fetches "
                "WHERE json_extract(headers, ?) IS NOT NULL", (path, path)))
        return sent.get(url_id)

    def html_pages(self) -> Iterator[tuple[int, Fetch, Page]]:
        """(url_id, fetch, page) for every internal HTML page that answered 200."""
        return iter(self._html_pages)

    def indexable_pages(self) -> Iterator[tuple[int, Fetch, Page]]:
        """html_pages() that search engines may index: where backlinks should land."""
        return iter(self._indexable_pages)

    # Listed once: some forty rules walk them.
    @cached_property
    def _html_pages(self) -> list[tuple[int, Fetch, Page]]:
        fetches = self.fetches
        return [(url_id, fetches[url_id], page) for url_id, page in self.pages.items()
                if url_id in fetches and fetches[url_id].status == 200]

    @cached_property
    def _indexable_pages(self) -> list[tuple[int, Fetch, Page]]:
        return [entry for entry in self._html_pages if self.indexability(entry[0]).indexable]

    # -- backlinks (read from exports, not crawled) --------------------------------------

    @cached_property
    def backlinked(self) -> dict[int, BacklinkedTarget]:
        """target url id -> what the backlink exports say about it; empty when the store
        holds no backlinks (or predates the table)."""
        if next(self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (Backlink.table,)), None) is None:
            return {}
        counted: dict[int, dict[str, Any]] = {}
        for row in self.store.records(Backlink):
            target = counted.setdefault(row.target_id, {
                "domains": 0, "backlinks": 0, "hosts": set(), "sources": 0, "anchors": {}})
            target["domains"] = max(target["domains"], row.referring_domains or 0)
            target["backlinks"] = max(target["backlinks"], row.backlinks or 0)
            if row.source_url:
                target["sources"] += 1
                target["hosts"].add(netloc(row.source_url).lower())
            if row.anchor:
                target["anchors"][row.anchor] = target["anchors"].get(row.anchor, 0) + 1
        return {target_id: BacklinkedTarget(
            max(c["domains"], len(c["hosts"])), max(c["backlinks"], c["sources"]),
            tuple(sorted(c["anchors"].items(), key=lambda item: (-item[1], item[0]))))
            for target_id, c in sorted(counted.items())}

    @cached_property
    def backlink_exports(self) -> dict[int, list[dict[str, Any]]]:
        """target url id -> the exports naming it: [{export, format, rows, lines}] by file
        name, ``lines`` the first few rows' lines (where to look in the file)."""
        if not self.backlinked:
            return {}
        by_target: dict[int, dict[tuple[str, str], list[int]]] = {}
        for row in self.store.records(Backlink, fields=("target_id", "export", "export_format",
                                                        "line")):
            exports = by_target.setdefault(row.target_id, {})
            exports.setdefault((row.export, row.export_format), []).append(row.line)
        return {target_id: [{"export": export, "format": export_format, "rows": len(lines),
                             "lines": sorted(lines)[:5]}
                            for (export, export_format), lines in sorted(exports.items())]
                for target_id, exports in by_target.items()}

    # -- the previous run ------------------------------------------------------------------

    @cached_property
    def previous_redirects(self) -> dict[str, str]:
        """Site URL -> the page (200) its redirects led to in the previous run, both spoken in
        this run's URLs (host maps undone and applied); empty without a previous run."""
        if self.previous_store is None:
            return {}
        earlier = AnalysisContext(self.previous_store)
        here = self.normalizer.map_host
        led_to = {}
        for url_id in earlier.by_url(earlier.fetches):
            if not earlier.is_internal(url_id) or not earlier.is_redirect(url_id):
                continue
            walk = earlier.walk_redirects(url_id)
            if walk.loop or walk.leaves_site or walk.final_status != 200:
                continue
            led_to[here(earlier.normalizer.unmap_host(earlier.urls[url_id]))] = here(
                earlier.normalizer.unmap_host(walk.final_url))
        return led_to

    # -- probes -------------------------------------------------------------------------

    @cached_property
    def outbound(self) -> OutboundCheck:
        """The outbound checks as a whole: checked, not checked (crawl.probe.enabled: false),
        or inconclusive because the runner reached (nearly) no outside host."""
        linked = [self.urls[url_id] for url_id in self.link_counts
                  if url_id not in self.internal_ids and is_http(self.urls[url_id])]
        tried = [(netloc(self.urls[probe.url_id]), probe.status, probe.error, bool(probe.hops))
                 for probe in self._stored_probes if not probe.cached]
        return outbound_check(probes_enabled(self.meta), len(linked),
                              len({netloc(url) for url in linked}), tried, self.list_mode)

    @cached_property
    def _stored_probes(self) -> list[JudgedProbe]:
        return list(self.store.records(JudgedProbe, fields=_PROBE_FIELDS))

    @cached_property
    def probes(self) -> dict[int, JudgedProbe]:
        """One probe per outbound URL, as this analysis judges it (JudgedProbe)."""
        unreachable = self.outbound.unreachable_hosts if self.outbound.inconclusive else ()
        probes = {}
        for probe in self._stored_probes:
            probe.inconclusive = (not probe.cached
                                  and netloc(self.urls[probe.url_id]) in unreachable)
            probe.probed_verdict = None
            if probe.inconclusive:
                probe.probed_verdict, probe.verdict = probe.verdict, Verdict.UNVERIFIABLE
            probes[probe.url_id] = probe
        return probes

    # -- links, sitemaps, canonicals ----------------------------------------------------

    def links(self, elements: Iterable[str] | None = None,
              target: Literal["any", "internal", "outbound", "none"] = "any",
              source_id: int | None = None, raw_prefix: str | None = None,
              raw_contains: str | None = None, not_self: bool = False,
              fields: Iterable[str] | None = None) -> Iterator[Link]:
        """Link edges, streamed (a site's edges would not all fit in memory as records), in
        store order, filtered before they are decoded: ``elements`` (a, img …), ``target``
        (``internal``/``outbound`` URLs, or ``none``: the raw value is not a URL),
        ``source_id`` (one page's links), ``raw_prefix`` (case-insensitive) and
        ``raw_contains``, ``not_self`` (no edge from a page to itself); ``fields``: only
        these (the others are left unset)."""
        where, params = [], []
        if elements is not None:
            elements = tuple(elements)
            where.append(f"t.element IN ({', '.join('?' * len(elements))})")
            params += elements
        if target == "none":
            where.append("t.target_id IS NULL")
        elif target not in ("any", "internal", "outbound"):
            raise ValueError(target)
        if source_id is not None:
            where.append("t.source_id = ?")
            params.append(source_id)
        if raw_prefix is not None:
            where.append(f"lower(substr(t.raw, 1, {len(raw_prefix)})) = ?")
            params.append(raw_prefix.lower())
        if raw_contains is not None:
            where.append("instr(t.raw, ?) > 0")
            params.append(raw_contains)
        if not_self:
            where.append("t.target_id IS NOT NULL AND t.target_id != t.source_id")
        if target in ("internal", "outbound"):
            # Last, and a lookup by key: as "target_id IN (SELECT …)" SQLite would walk the
            # links_target index once per URL, twenty times slower than a scan.
            where.append("EXISTS (SELECT 1 FROM urls u WHERE u.id = t.target_id "
                         "AND u.internal = ?)")
            params.append(1 if target == "internal" else 0)
        return self.store.records(Link, " AND ".join(where), tuple(params), fields=fields)

    @cached_property
    def link_counts(self) -> dict[int, tuple[int, int]]:
        """target id -> (edges, distinct linking pages), internal sources only."""
        # NOT INDEXED: nearly every edge counts, and walking links_target would read the
        # table in random order (measured 3.1 s against 0.8 s for 880,000 edges).
        return {target: (edges, pages) for target, edges, pages in self._rows(
            "SELECT target_id, COUNT(*), COUNT(DISTINCT source_id) FROM links NOT INDEXED "
            "WHERE target_id IS NOT NULL AND target_id != source_id GROUP BY target_id")}

    @cached_property
    def outlink_counts(self) -> dict[int, tuple[int, int]]:
        """source id -> (click links (<a>, <area>) to the site's own URLs, click links to other
        sites' http(s) URLs), edges to itself left out: a page's outbound links, as pages.csv
        lists them (mailto:, tel: and hrefs that are no URL count as neither)."""
        clicks = ", ".join("?" * len(CLICK_ELEMENTS))
        return {source: (internal, external) for source, internal, external in self._rows(
            f"SELECT l.source_id, SUM(u.internal = 1), SUM(u.internal = 0 AND "
            f"(u.url LIKE 'http://%' OR u.url LIKE 'https://%')) FROM links l NOT INDEXED "
            f"JOIN urls u ON u.id = l.target_id WHERE l.target_id != l.source_id "
            f"AND l.element IN ({clicks}) GROUP BY l.source_id", CLICK_ELEMENTS)}

    @cached_property
    def clicked_ids(self) -> frozenset[int]:
        """URL ids another page links to with a click (<a>, <area>)."""
        clicks = ", ".join("?" * len(CLICK_ELEMENTS))
        return frozenset(row[0] for row in self._rows(  # NOT INDEXED: see link_counts
            f"SELECT DISTINCT target_id FROM links NOT INDEXED WHERE target_id IS NOT NULL "
            f"AND target_id != source_id AND element IN ({clicks})", CLICK_ELEMENTS))

    def click_rels(self, key: Literal["source_id", "target_id"], internal_target: bool = False
                   ) -> Iterator[tuple[int, str | None, int]]:
        """(page id, rel, edges): click links (<a>, <area>) between two different URLs,
        counted by linking (``source_id``) or linked (``target_id``) page and rel value;
        ``internal_target``: only links to internal URLs. What the nofollow rules need,
        counted in SQL instead of decoding a record per edge."""
        if key not in ("source_id", "target_id"):
            raise ValueError(key)
        clicks = ", ".join("?" * len(CLICK_ELEMENTS))
        internal = (" AND EXISTS (SELECT 1 FROM urls u WHERE u.id = l.target_id "
                    "AND u.internal = 1)") if internal_target else ""
        return self._rows(  # NOT INDEXED: see link_counts
            f"SELECT l.{key}, l.rel, COUNT(*) FROM links l NOT INDEXED "
            f"WHERE l.target_id IS NOT NULL AND l.target_id != l.source_id "
            f"AND l.element IN ({clicks}){internal} GROUP BY l.{key}, l.rel", CLICK_ELEMENTS)

    # The edge cache and its interned texts (~42 MB at 20,000 pages' findings) are kept while
    # one rule family runs, whose findings about a URL repeat it, and released by the engine
    # when the family is done (FAMILY_SCOPED): held to the end they overlapped the
    # structured-data rules' indexable_entities, the analysis's peak.
    @cached_property
    def _inbound_edges(self) -> dict[int, tuple[str | None, ...]]:
        return {}

    @cached_property
    def _texts(self) -> dict[str | None, str | None]:
        return {}

    def inbound_links(self, url_id: int) -> list[dict[str, Any]]:
        """Every link edge to the URL from another page, by source URL, then in page order
        (url ids follow the crawl's arrival order, so they must not order evidence), each as
        evidence lists it: {source, anchor, element, region, rel}.

        The edges are read once per URL and kept for every finding about it, but flat: one
        tuple of the five texts of each edge in turn (40 bytes an edge where a dict per edge
        cost ~230: 102 -> ~20 MB at 20,000 pages' findings); each call builds fresh dicts,
        which the finding holds until the spool has encoded it."""
        flat = self._inbound_edges.get(url_id)
        if flat is None:
            flat = self._inbound_edges[url_id] = self._read_inbound_edges(url_id)
        texts = iter(flat)
        return [{"source": source, "anchor": anchor, "element": element, "region": region,
                 "rel": rel} for source, anchor, element, region, rel
                in zip(texts, texts, texts, texts, texts)]

    def _read_inbound_edges(self, url_id: int) -> tuple[str | None, ...]:
        # intern(v, v): the context's own copy of a text (None is a key too), bound once, as
        # one anchor or region repeats on thousands of pages; the source is the URL string
        # ``urls`` holds. (Interning the four texts as one tuple keeps a tuple per distinct
        # edge text: +46 MB.)
        rank, urls, intern = self.url_rank, self.urls, self._texts.setdefault
        rows = sorted(self._rows(_INBOUND_EDGES, (url_id,)), key=lambda r: rank[r[0]])
        return tuple(text for source, anchor, element, region, rel in rows
                     for text in (urls[source], intern(anchor, anchor),
                                  intern(element, element), intern(region, region),
                                  intern(rel, rel)))

    @cached_property
    def sitemap_listing(self) -> dict[int, list[str]]:
        """url id -> sitemap URLs listing it."""
        listing: dict[int, list[str]] = {}
        for entry in self.store.records(SitemapEntry, "t.url_id IS NOT NULL",
                                        fields=("url_id", "sitemap_id")):
            listing.setdefault(entry.url_id, []).append(self.urls[entry.sitemap_id])
        return {url_id: sorted(sitemaps) for url_id, sitemaps in listing.items()}

    @cached_property
    def sitemaps(self) -> list[Sitemap]:
        """Every sitemap file the crawl found, in URL order."""
        return list(self.store.records(Sitemap, by_url="url_id"))

    @cached_property
    def sitemap_namings(self) -> dict[int, list[SitemapNaming]]:
        """sitemap id -> every place it was named, in SITEMAP_SOURCES order then by the
        naming index's URL: the same list whichever naming the crawl read first."""
        if self.store.has_table(SitemapNaming.table):
            namings = list(self.store.records(SitemapNaming))
        else:  # a store of schema 1 kept one naming per sitemap, on its sitemaps row
            namings = [SitemapNaming(sitemap_id=row[0], parent_id=row[1], found_in=row[2])
                       for row in self.store.query(
                           "SELECT url_id, parent_id, found_in FROM sitemaps")]
        order = {source: i for i, source in enumerate(SITEMAP_SOURCES)}
        by_sitemap: dict[int, list[SitemapNaming]] = {}
        for naming in sorted(namings, key=lambda n: (
                order.get(n.found_in, len(order)), n.found_in,
                "" if n.parent_id is None else self.urls[n.parent_id])):
            by_sitemap.setdefault(naming.sitemap_id, []).append(naming)
        return by_sitemap

    @cached_property
    def robots(self) -> list[Robots]:
        """Every site host's robots.txt, by host."""
        return sorted(self.store.records(Robots), key=lambda robots: robots.host)

    @cached_property
    def redirects_to(self) -> dict[int, list[int]]:
        """target id -> ids of URLs whose redirect Location points at it."""
        incoming: dict[int, list[int]] = {}
        for url_id, fetch in self.fetches.items():
            target = fetch.location_url_id
            if target is not None and fetch.status and 300 <= fetch.status < 400:
                incoming.setdefault(target, []).append(url_id)
        return {target: self.by_url(ids) for target, ids in incoming.items()}

    @cached_property
    def canonicals(self) -> dict[int, list[Canonical]]:
        """page id -> the canonical declarations search engines read (source html|header,
        raw, target_id); ones outside <head> are in ``body_canonicals``."""
        by_page: dict[int, list[Canonical]] = {}
        for canonical in self.store.records(Canonical, "t.source != 'body'"):
            by_page.setdefault(canonical.page_id, []).append(canonical)
        return by_page

    @cached_property
    def body_canonicals(self) -> dict[int, list[Canonical]]:
        """page id -> its <link rel=canonical>s outside <head>, which search engines ignore."""
        by_page: dict[int, list[Canonical]] = {}
        for canonical in self.store.records(Canonical, "t.source = 'body'"):
            by_page.setdefault(canonical.page_id, []).append(canonical)
        return by_page

    @cached_property
    def canonicalised_from(self) -> dict[int, list[int]]:
        incoming: dict[int, list[int]] = {}
        for page_id, rows in self.canonicals.items():
            for canonical in rows:
                if canonical.target_id is not None and canonical.target_id != page_id:
                    incoming.setdefault(canonical.target_id, []).append(page_id)
        return {target: self.by_url(ids) for target, ids in incoming.items()}

    @cached_property
    def hreflang_named(self) -> frozenset[int]:
        """URL ids some page names as an hreflang alternate (HTML or Link header)."""
        return frozenset(row.target_id for row in self.store.records(
            Hreflang, "t.target_id IS NOT NULL", fields=("target_id",)))

    def canonical_target(self, url_id: int) -> int | None:
        """The single canonical a page declares (None when none, or when they conflict)."""
        return self._canonical_targets.get(url_id)

    @cached_property
    def _canonical_targets(self) -> dict[int, int]:
        # Worked out once per page: indexability asks it of every URL, and rules again.
        single = {}
        for page_id, rows in self.canonicals.items():
            targets = {canonical.target_id for canonical in rows}
            targets.discard(None)
            if len(targets) == 1:
                single[page_id] = targets.pop()
        return single

    @cached_property
    def click_depths(self) -> dict[int, int]:
        """url id -> fewest clicks from the start URL over internal <a>/<area> links.

        Unlike ``fetches.depth`` (crawl depth from the nearest seed, sitemap entries
        included), this counts only clicks a visitor can make from the start URL. Following
        a redirect costs no click. URLs no click path reaches are absent.
        """
        start = self.ids.get(self.start_url)
        if start is None:
            return {}
        edges: dict[int, list[int]] = {}
        internal = self.internal_ids
        # Two ids per edge straight off the cursor: a Link record per click edge cost half
        # of this walk (~0.4 s CPU of 0.75 at 20,000 pages, 880,000 edges).
        clicks = ", ".join("?" * len(CLICK_ELEMENTS))
        for source, target in self._rows(  # NOT INDEXED: see link_counts
                f"SELECT source_id, target_id FROM links NOT INDEXED WHERE target_id IS NOT "
                f"NULL AND target_id != source_id AND element IN ({clicks})", CLICK_ELEMENTS):
            if target in internal:  # (a repeated edge costs the walk nothing)
                edges.setdefault(source, []).append(target)
        depths = {start: 0}
        queue = deque([start])
        while queue:  # 0-1 BFS: redirect hops are free, clicks cost one
            current = queue.popleft()
            depth = depths[current]
            if self.is_redirect(current):
                target = self.fetches[current].location_url_id
                if target in self.internal_ids and depths.get(target, depth + 1) > depth:
                    depths[target] = depth
                    queue.appendleft(target)
                continue
            for target in edges.get(current, ()):
                if target not in depths or depths[target] > depth + 1:
                    depths[target] = depth + 1
                    queue.append(target)
        return depths

    def click_depth_counts(self) -> tuple[dict[int, int], int]:
        """({click depth: site URLs fetched at it}, site URLs fetched that no click from the
        start URL reaches: sitemap-only entries, pages only a canonical or hreflang names):
        the report's depth chart, the same whatever order the crawl met the paths in."""
        depths = self.click_depths
        internal = self.internal_ids
        counts: dict[int, int] = {}
        unreached = 0
        for url_id, fetch in self.fetches.items():
            if not fetch.fetched or url_id not in internal:
                continue
            depth = depths.get(url_id)
            if depth is None:
                unreached += 1
            else:
                counts[depth] = counts.get(depth, 0) + 1
        return dict(sorted(counts.items())), unreached

    def inbound(self, url_id: int) -> Inbound:
        edges, pages = self.link_counts.get(url_id, (0, 0))
        return Inbound(
            links=self.inbound_links(url_id) if edges else [],
            link_count=edges,
            source_pages=pages,
            sitemaps=sorted(self.sitemap_listing.get(url_id, [])),
            redirects=sorted(self.urls[i] for i in self.redirects_to.get(url_id, [])),
            canonicals=sorted(self.urls[i] for i in self.canonicalised_from.get(url_id, [])),
        )

    def inbound_total(self, url_id: int) -> int:
        """``inbound(url_id).total`` without listing the edges (weights and rankings need
        the count only; a page the whole navigation links to has an edge per page)."""
        edges, _pages = self.link_counts.get(url_id, (0, 0))
        return (edges + len(self.sitemap_listing.get(url_id, ()))
                + len(self.redirects_to.get(url_id, ()))
                + len(self.canonicalised_from.get(url_id, ())))

    def inbound_where(self, url_id: int, keep: Callable[[dict[str, Any]], bool]) -> Inbound:
        """inbound(), counting only the link edges ``keep`` accepts.

        ``keep`` sees each edge as listed in evidence ({source, anchor, element, region, rel});
        e.g. only <a>/<area>/<iframe> clicks, or only edges from https pages. Sitemaps,
        redirects and canonicals are as in inbound().
        """
        whole = self.inbound(url_id)
        links = [edge for edge in whole.links if keep(edge)]
        sources = {edge["source"] for edge in links}
        return Inbound(links, len(links), len(sources), whole.sitemaps, whole.redirects,
                       whole.canonicals)

    # -- redirects ------------------------------------------------------------------------

    @cached_property
    def home_id(self) -> int | None:
        """The page the start URL ends on after its redirects (None when never crawled)."""
        start = self.ids.get(self.start_url)
        return self.ids.get(self.walk_redirects(start).final_url) if start is not None else None

    def is_redirect(self, url_id: int) -> bool:
        fetch = self.fetches.get(url_id)
        return bool(fetch is not None and fetch.status and 300 <= fetch.status < 400
                    and fetch.location_url_id is not None)

    def walk_redirects(self, url_id: int, max_hops: int = 20) -> RedirectWalk:
        hops: list[dict[str, Any]] = []
        seen = {url_id}
        current = url_id
        while self.is_redirect(current) and len(hops) < max_hops:
            fetch = self.fetches[current]
            target = fetch.location_url_id
            hops.append({"url": self.urls[current], "status": fetch.status,
                         "location": self.urls[target]})
            if target in seen:
                return RedirectWalk(hops, self.urls[target], None, None, True, False, False)
            seen.add(target)
            current = target
        final = self.fetches.get(current)
        if current not in self.internal_ids:
            probe = self.probes.get(current)
            # An offline runner's probe says nothing about the target: unresolved.
            unknown = probe is None or probe.inconclusive
            return RedirectWalk(hops, self.urls[current], probe.status if probe else None,
                                probe.error if probe else None, False, True, unknown)
        return RedirectWalk(
            hops, self.urls[current],
            final.status if final is not None else None,
            final.error if final is not None else None,
            False, False, final is None or not final.fetched)

    # -- other sites' pages (prospects, placements) ---------------------------------------

    @cached_property
    def prospects(self) -> list[Prospect]:
        """The listed prospects (``readiness prospects``), in the list's order."""
        return sorted(self.store.records(Prospect), key=lambda p: (p.input, p.line))

    @cached_property
    def placements(self) -> list[Placement]:
        """The listed placements (``readiness placements``), in the list's order."""
        return sorted(self.store.records(Placement), key=lambda p: (p.input, p.line))

    @cached_property
    def site_netlocs(self) -> frozenset[str]:
        """The site's hosts without www (either scheme matches) when other sites' pages are
        judged: a link to any of them, or to its www twin, is a link to the site. The site
        is the start URL (``--site``), its host map's production hosts and the hosts its
        start URL redirects to when it was fetched."""
        hosts = {netloc(self.start_url)}
        hosts.update(netloc(origin) for origin in (self.crawl_config.get("host_map") or {}))
        start = self.ids.get(self.start_url)
        if start is not None:
            hosts.update(netloc(hop["location"]) for hop in self.walk_redirects(start).hops)
        return frozenset(host_twin(host) for host in hosts)

    def is_site_url(self, url_id: int | None) -> bool:
        return url_id is not None and host_twin(netloc(self.urls[url_id])) in self.site_netlocs

    def link_evidence(self, link: Link, page_nofollow: bool = False) -> dict[str, Any]:
        """One link of another site's page as evidence: where it points, how, and where."""
        return {"target": self.urls[link.target_id], "anchor": link.anchor,
                "rel": link.rel or "", "region": link.region,
                "followed": not link_qualifiers(link.rel) and not page_nofollow}

    def outside_page(self, url_id: int) -> OutsidePage:
        """A listed page of another site: its redirects (hop by hop, as fetched), the
        page it lands on and that page's link edges."""
        known = self._outside_pages.get(url_id)
        if known is not None:
            return known
        hops: list[dict[str, Any]] = []
        seen = {url_id}
        current = url_id
        while self.is_redirect(current) and len(hops) < 20:
            fetch = self.fetches[current]
            target = fetch.location_url_id
            hops.append({"url": self.urls[current], "status": fetch.status,
                         "location": self.urls[target]})
            if target in seen:
                break
            seen.add(target)
            current = target
        fetch = self.fetches.get(current)
        page = self.pages.get(current) if fetch is not None and fetch.status == 200 else None
        links = list(self.links(CLICK_ELEMENTS, source_id=current)) if page is not None else []
        outside = OutsidePage(url_id, current, hops, fetch, page, self.indexability(current),
                              links, self._link_profile(current, page, links))
        self._outside_pages[url_id] = outside
        return outside

    @cached_property
    def _outside_pages(self) -> dict[int, OutsidePage]:
        return {}

    def _link_profile(self, url_id: int, page: Page | None, links: list[Link]) -> LinkProfile:
        own = host_twin(netloc(self.urls[url_id]))
        page_nofollow = page is not None and (
            "nofollow" in robots_directives(page.meta_robots)
            or "nofollow" in robots_directives(page.x_robots_tag))
        outbound, hosts = [], set()
        for link in links:
            target = self.urls[link.target_id] if link.target_id is not None else ""
            host = host_twin(netloc(target)) if is_http(target) else None
            if host is not None and host != own:
                outbound.append(link)
                hosts.add(host)
        qualified = len(outbound) if page_nofollow else sum(
            1 for link in outbound if link_qualifiers(link.rel))
        return LinkProfile(
            outbound, qualified, page_nofollow, len(hosts),
            sum(1 for link in outbound if link.region == "main"),
            sum(1 for link in outbound if link.region in BOILERPLATE_REGIONS),
            [link for link in outbound if self.is_site_url(link.target_id)])

    # -- host and scheme variants ---------------------------------------------------------

    def variants(self) -> list[Variant]:
        """Variant answers, with variants the site leads to ("see-fetch": crawled as pages)
        filled in from fetches. ``canonical_url_id``: the one canonical the answer declares.
        Variant-only URLs are here and nowhere else: they have no fetch row."""
        variants = []
        for variant in self.store.records(Variant):
            if variant.error == FetchOutcome.SEE_FETCH:
                fetch = self.fetches.get(variant.url_id)
                if fetch is None:
                    continue  # never fetched (a crawl limit): nothing to judge
                variant.status, variant.location = fetch.status, fetch.location
                variant.location_url_id, variant.error = fetch.location_url_id, fetch.error
                variant.canonical_url_id = self.canonical_target(variant.url_id)
            variants.append(variant)
        return variants

    # -- indexability ----------------------------------------------------------------------

    def indexability(self, url_id: int) -> Indexability:
        return self._indexability.get(url_id) or self._compute_indexability(url_id)

    @cached_property
    def _indexability(self) -> dict[int, Indexability]:
        return {url_id: self._compute_indexability(url_id) for url_id in self.fetches}

    def _compute_indexability(self, url_id: int) -> Indexability:
        fetch = self.fetches.get(url_id)
        if fetch is None:
            return Indexability(False, ["never fetched"])
        reasons: list[str] = []
        if fetch.robots_blocked:
            reasons.append("blocked by robots.txt")
        status = fetch.status
        if status is None:
            if fetch.error != FetchOutcome.ROBOTS_BLOCKED:
                reasons.append(f"not fetched ({fetch.error})")
        elif 300 <= status < 400:
            reasons.append(f"redirects ({status})")
        elif status != 200:
            reasons.append(f"answers {status}")
        page = self.pages.get(url_id)
        if page is not None:
            if is_noindex(page.meta_robots):
                reasons.append("noindex in meta robots")
            if is_noindex(page.x_robots_tag):
                reasons.append("noindex in X-Robots-Tag header")
            target = self.canonical_target(url_id)
            if target is not None and target != url_id:
                reasons.append(f"canonicalised to {self.urls[target]}")
        elif status == 200:
            if is_noindex(self.header(url_id, "x-robots-tag")):
                reasons.append("noindex in X-Robots-Tag header")
        return Indexability(not reasons, reasons)


def robots_directives(value: str | None) -> set[str]:
    """``"googlebot: noindex, nofollow"`` -> {"noindex", "nofollow"} (bot prefixes dropped)."""
    if not value:
        return set()
    directives = set()
    for part in value.lower().split(","):
        part = part.strip()
        if ":" in part:
            prefix, _, rest = part.partition(":")
            # "unavailable_after: <date>" keeps its name; "googlebot: noindex" drops the bot.
            part = prefix.strip() if prefix.strip() == "unavailable_after" else rest.strip()
        directives.update(part.split())
    return directives


def is_noindex(value: str | None) -> bool:
    directives = robots_directives(value)
    return "noindex" in directives or "none" in directives
