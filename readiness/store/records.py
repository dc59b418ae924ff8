"""The crawl store's tables, each declared once as a typed record.

A record class is one table: its fields are the columns, in order, with their Python types
(``int | None`` is a nullable INTEGER, ``bool`` an INTEGER 0/1, an enum its value as TEXT) and a
``column()`` saying what the column holds. Everything else comes from these declarations: the
schema (``schema_sql()``), how the writer encodes a row (JSON fields as JSON text), how the
reader decodes one (JSON parsed, enums as enums), ``readiness.testing.StoreBuilder`` and the
column tables of docs/store.md (``python -m readiness.rules.docs`` writes them). Adding a fact is
one field here, its extractor and its test.

Facts only: nothing here is a verdict (rules decide those from these facts). Bump
``SCHEMA_VERSION`` when a table changes.
"""

import dataclasses
import json
import re
import types
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Callable, ClassVar, Iterable, Union, get_args, get_origin

# 2: the sitemap_namings table; sitemaps lost parent_id and found_in (a sitemap named twice
# kept only the naming read first). 3: pages.meta_refresh_url_id.
SCHEMA_VERSION = 3


class FetchOutcome(StrEnum):
    """Why a URL has no HTTP answer in the store (the ``error`` of fetches, probes, variants
    and robots). Two kinds that must never be confused: a *network error* (a request was sent
    and no usable response came back) and a *skip reason* (the crawl decided not to send it).
    Values are the strings stores and findings have always held."""

    # network errors: nobody there (a broken link) ...
    DNS = "dns"
    REFUSED = "refused"
    # ... or conditions a retry or a browser may get past
    TIMEOUT = "timeout"
    TLS = "tls"
    CONNECTION = "connection"
    TOO_LARGE = "too-large"        # our own DOWNLOAD_MAXSIZE cut-off (huge or endless pages)
    ERROR = "error"                # any other download failure
    # skip reasons: deliberately not fetched
    ROBOTS_BLOCKED = "robots-blocked"
    EXCLUDED = "excluded"
    MAX_DEPTH = "max-depth"
    MAX_PAGES = "max-pages"
    TRAP = "trap"
    # refused before sending: the host is, or resolves to, an address the user did not name
    # (private, loopback, link-local …; readiness.crawl.addresses). Neither a network error
    # nor a skip of the crawl's scope: "not checked", never broken and never ok.
    PRIVATE_ADDRESS = "private-address"
    # probes only: the redirects came back to a URL they had passed ...
    REDIRECT_LOOP = "redirect-loop"
    # ... or went on past the prober's hop limit through URLs all different
    TOO_MANY_REDIRECTS = "too-many-redirects"
    # variants only: a URL the site itself leads to, crawled as a page (its answer is its fetch)
    SEE_FETCH = "see-fetch"

    @property
    def is_network_error(self) -> bool:
        return self in NETWORK_ERRORS

    @property
    def is_skip(self) -> bool:
        return self in SKIP_REASONS


class ParseOutcome(StrEnum):
    """Why a 200 HTML page that was fetched has no facts in the store (``fetches.parse``);
    the fetch's status and headers still stand."""

    # Too complex to parse in bounded time: an element with thousands of attributes (a
    # cheap linear look at the bytes, readiness.crawl.parsing.too_complex_reason) or a page
    # still unparsed at the crawl.parse_timeout deadline (its parse worker was restarted).
    TOO_COMPLEX = "too-complex"
    # The extractor raised on the page: a bug in readiness, not in the page (the crawl log
    # has the traceback; parse_detail the exception). Nothing was checked on it.
    FAILED = "failed"


# A request was sent and nothing usable came back: the URL answered nothing at all.
NETWORK_ERRORS = frozenset({FetchOutcome.DNS, FetchOutcome.REFUSED, FetchOutcome.TIMEOUT,
                            FetchOutcome.TLS, FetchOutcome.CONNECTION, FetchOutcome.TOO_LARGE,
                            FetchOutcome.ERROR})
SKIP_REASONS = frozenset({FetchOutcome.ROBOTS_BLOCKED, FetchOutcome.EXCLUDED,
                          FetchOutcome.MAX_DEPTH, FetchOutcome.MAX_PAGES, FetchOutcome.TRAP})


def column(doc: str, *, default: Any = None, json: bool = False, key: bool = False,
           unique: bool = False, references: str | None = None, sql_default: str | None = None,
           deferred: bool = False) -> Any:
    """A column's declaration: ``doc`` (schema comment and docs/store.md), ``json`` (stored as
    JSON text, decoded on read), ``key`` (PRIMARY KEY), ``references`` (a url id),
    ``sql_default`` (the DEFAULT clause), ``deferred`` (bulky: AnalysisContext streams it
    instead of keeping it per page). ``default`` is the value a record gets when not given
    (a list/dict default is copied per record)."""
    metadata = {"doc": doc, "json": json, "key": key, "unique": unique,
                "references": references, "sql_default": sql_default, "deferred": deferred}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default),
                                 metadata=metadata)
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


REQUIRED = dataclasses.MISSING
record = dataclass(slots=True, kw_only=True)


class Record:
    """A row of ``table``. ``conflict``: how a row is written when its key exists already —
    ``replace`` (a later fact about the same key replaces the earlier one), ``ignore`` (a URL
    row is the same wherever it comes from) or ``None`` (no key: rows accumulate).
    ``unique_together``: columns whose values together identify a row (a unique index, NULL
    counting as one value, so ``ignore`` writes a fact read twice once)."""

    __slots__ = ()
    table: ClassVar[str]
    one_row_per: ClassVar[str]
    conflict: ClassVar[str | None] = "replace"
    unique_together: ClassVar[tuple[str, ...]] = ()


# -- the tables, in write order (urls first: every other row refers to url ids) --------------


@record
class Meta(Record):
    """The run: what was crawled, with which configuration, and how it ended."""

    table = "meta"
    one_row_per = "key"
    key: str = column("the name (the keys are listed below the tables)", default=REQUIRED,
                      key=True)
    value: Any = column("its value", default=REQUIRED, json=True)


@record
class Url(Record):
    """Every URL the crawl met, once: pages, redirect targets, link targets, sitemap entries."""

    table = "urls"
    one_row_per = "URL met anywhere"
    conflict = "ignore"
    id: int = column("the URL's id, which every other table refers to", default=REQUIRED,
                     key=True)
    url: str = column("normalised (w3lib canonicalize_url, default port and fragment dropped, "
                      "tracking parameters stripped, host map applied)", default=REQUIRED,
                      unique=True)
    internal: bool = column("the site's own URL (crawled); false: outbound (probed) or non-HTTP",
                            default=REQUIRED)


@record
class Fetch(Record):
    """One row per site URL the crawl decided about: fetched, or deliberately not fetched."""

    table = "fetches"
    one_row_per = "site URL decided about"
    url_id: int = column("the URL", default=REQUIRED, key=True, references="urls")
    status: int | None = column("HTTP status; NULL when no response")
    error: FetchOutcome | None = column(
        "NULL, or a network error (dns refused timeout tls connection too-large error) or a "
        "skip reason (robots-blocked excluded max-depth max-pages trap) or private-address "
        "(refused: never sent)")
    error_detail: str | None = column("the download failure, one line")
    parse: ParseOutcome | None = column(
        "NULL, or why a fetched 200 HTML page has no row in pages: too-complex (not parsed "
        "within crawl.parse_timeout, or rejected by the linear pre-check), failed (the "
        "extractor raised: a bug in readiness)")
    parse_detail: str | None = column("the reason the page was not parsed, one line")
    fetched: bool = column("a request was sent", default=REQUIRED)
    robots_blocked: bool = column(
        "disallowed by robots.txt (fetched anyway when crawl.robots: report)", default=False,
        sql_default="0")
    location: str | None = column("raw Location header of a redirect")
    location_url_id: int | None = column("the Location, resolved", references="urls")
    ttfb_ms: float | None = column("request sent -> response headers (during the crawl)")
    elapsed_ms: float | None = column("request sent -> whole body received (during the crawl)")
    bytes: int | None = column("body bytes as transferred (compressed if the server compressed)")
    content_type: str | None = column("the Content-Type header")
    depth: int | None = column("crawl depth: the fewest links from a seed (start URL 0, "
                               "sitemap entries 0); in a distributed run, as the first worker "
                               "to meet the URL met it (docs/distributed.md)")
    discovered_by: str | None = column(
        "start list (a URL listed for a list-mode crawl) sitemap link redirect canonical "
        "hreflang meta-refresh resource (an image, "
        "script or stylesheet of a page); variant only in stores crawled before variants were "
        "probed after the crawl")
    discovered_from: int | None = column("the URL it was found on", references="urls")
    headers: dict[str, str] | None = column(
        "selected response headers, names lower-cased (x-robots-tag, link, content-encoding …)",
        json=True)
    retries: int = column("download retries", default=0, sql_default="0")
    timings: list[dict[str, Any]] | None = column(
        "a page measured again once the crawl was idle (crawl.remeasure_slow_ms, "
        "remeasure_download_ms): [crawl sample, quiet sample …], each {ttfb_ms, elapsed_ms}, or "
        "{error} when that request failed or did not answer 200", json=True)
    fetched_at: float | None = column("unix time")


@record
class Page(Record):
    """Facts parsed from each HTML page that answered 200."""

    table = "pages"
    one_row_per = "200 HTML page"
    url_id: int = column("the page", default=REQUIRED, key=True, references="urls")
    title: str | None = column("whitespace-collapsed; NULL without a <title>, '' if empty")
    meta_description: str | None = column("whitespace-collapsed; '' when the meta has no content")
    h1: list[str] | None = column("text of each <h1>", json=True)
    meta_robots: str | None = column("content of <meta name=robots|googlebot>, joined with ', '")
    x_robots_tag: str | None = column("X-Robots-Tag header(s), joined with ', '")
    viewport: str | None = column("content of <meta name=viewport>, NULL when absent")
    lang: str | None = column("<html lang>")
    meta_refresh: str | None = column("raw content of <meta http-equiv=refresh>")
    meta_refresh_url_id: int | None = column(
        "the URL the refresh sends to (its url=, resolved against the page's base); NULL "
        "without one", references="urls")
    encoding: str | None = column("encoding the body was decoded with (BOM, header, <meta>)")
    charset_header: str | None = column("charset of the Content-Type header, as a codec name")
    charset_meta: str | None = column(
        "charset the <meta> (or XML) declaration in the first 4 KiB names, as a codec name "
        "(the prescan reads ASCII bytes: NULL in a UTF-16 page)")
    encoding_valid: bool | None = column("the body decodes in ``encoding`` without a bad byte")
    nesting_cut: int | None = column(
        "the element nesting depth past which the HTML parser dropped the page's elements "
        "(their text and links are not in the store); NULL when the tree is whole")
    word_count: int | None = column("words of main content (nav/header/footer/aside stripped)")
    content_hash: str | None = column("blake2b of whitespace-normalised main content")
    minhash: bytes | None = column(
        "MinHash signature of main-content word shingles (uint32 x num_perm, see below)",
        deferred=True)
    contact: dict[str, list[str]] | None = column(
        '{"tel": [raw tel: hrefs], "addresses": [text of <address> blocks]}', json=True,
        deferred=True)
    structured_data: dict[str, Any] | None = column(
        '{"json-ld": [...], "microdata": [...], "rdfa": [...], "opengraph": [...], '
        '"errors": [{syntax, error, snippet}]}', json=True, deferred=True)


@record
class Body(Record):
    """The HTML of each 200 page (crawl.store_html), so rules written later — custom YAML rules
    with CSS/XPath selectors among them — can be run by re-analysing, without re-crawling."""

    table = "bodies"
    one_row_per = "200 HTML page"
    url_id: int = column("the page", default=REQUIRED, key=True, references="urls")
    html: bytes = column("zlib-compressed UTF-8 text of the decoded page", default=REQUIRED)


@record
class Canonical(Record):
    """rel=canonical from the HTML and from HTTP Link headers."""

    table = "canonicals"
    one_row_per = "canonical declaration"
    conflict = None
    page_id: int = column("the declaring page", default=REQUIRED, references="urls")
    source: str = column("html (<link> in <head>) | body (outside <head>: ignored by search "
                         "engines) | header (HTTP Link)", default=REQUIRED)
    raw: str = column("as written", default=REQUIRED)
    target_id: int | None = column("NULL when raw is not a valid URL", references="urls")


@record
class Hreflang(Record):
    """rel=alternate hreflang from the HTML head and from HTTP Link headers."""

    table = "hreflang"
    one_row_per = "alternate declaration"
    conflict = None
    page_id: int = column("the declaring page", default=REQUIRED, references="urls")
    lang: str = column("the hreflang value", default=REQUIRED)
    raw: str = column("as written", default=REQUIRED)
    target_id: int | None = column("NULL when raw is not a valid URL", references="urls")
    source: str = column("html | header", default="html", sql_default="'html'")


@record
class Link(Record):
    """Every link edge, recorded when extracted (not when its target is fetched)."""

    table = "links"
    one_row_per = "link edge"
    conflict = None
    source_id: int = column("the linking page (or stylesheet, for css edges)", default=REQUIRED,
                            references="urls")
    target_id: int | None = column(
        "NULL when raw is not a URL a browser could follow: no host, a port that is not a "
        "number, a space or another forbidden character in the host (LNK007)",
        references="urls")
    raw: str = column("as written (tracking parameters the normalised target lost are read "
                      "from it, CAN013)", default=REQUIRED)
    anchor: str | None = column("link text, or img alt inside the link")
    rel: str | None = column("rel attribute as written (nofollow sponsored ugc …)")
    element: str = column("a area link img script iframe; css (a url() in a site stylesheet)",
                          default=REQUIRED)
    region: str = column("nav header footer aside main; stylesheet (css edges)",
                         default=REQUIRED)


@record
class Sitemap(Record):
    """Every sitemap file the crawl found (fetched, or recorded and never fetched)."""

    table = "sitemaps"
    one_row_per = "sitemap file"
    url_id: int = column("the sitemap's URL (where it was named: sitemap_namings)",
                         default=REQUIRED, key=True, references="urls")
    status: int | None = column("HTTP status")
    error: str | None = column(
        "NULL, or a network error, invalid-xml invalid-gzip not-a-sitemap too-large http-404 … "
        "or off-site (another host's: recorded, never fetched)")
    kind: str | None = column("urlset | sitemapindex")
    entries: int = column("entries read", default=0, sql_default="0")


@record
class SitemapNaming(Record):
    """Every place a sitemap is named: a robots.txt Sitemap: line, ``crawl.sitemaps``, the
    /sitemap.xml fallback or a sitemap index's <loc>. Written by the process that read the
    naming (also when another worker fetches the sitemap), once per naming however often it
    is read: a sitemap named by two indexes has two rows, whichever answered first."""

    table = "sitemap_namings"
    one_row_per = "naming of a sitemap (sitemap, parent, found_in)"
    conflict = "ignore"
    unique_together = ("sitemap_id", "parent_id", "found_in")
    sitemap_id: int = column("the sitemap named", default=REQUIRED, references="urls")
    parent_id: int | None = column("the sitemap index naming it; NULL for a root",
                                   references="urls")
    found_in: str = column("robots config fallback (= /sitemap.xml) index", default=REQUIRED)


@record
class SitemapEntry(Record):
    """Every <loc> of a urlset sitemap."""

    table = "sitemap_entries"
    one_row_per = "<loc>"
    conflict = None
    sitemap_id: int = column("the sitemap", default=REQUIRED, references="urls")
    url_id: int | None = column("the <loc>, resolved", references="urls")
    raw: str = column("as written", default=REQUIRED)
    lastmod: str | None = column("<lastmod> as written")


@record
class Robots(Record):
    """robots.txt of each site host."""

    table = "robots"
    one_row_per = "site host"
    host: str = column("netloc the file governs", default=REQUIRED, key=True)
    url: str = column("where it was read", default=REQUIRED)
    status: int | None = column("HTTP status")
    error: FetchOutcome | None = column("network error when there was no response")
    body: str | None = column("first 512 KiB")
    truncated: bool = column("longer than 512 KiB: the rest was not read (as Google ignores it)",
                             default=False, sql_default="0")
    sitemaps: list[str] | None = column("its Sitemap: lines", json=True)
    fetched_at: float | None = column("unix time")


@record
class Probe(Record):
    """Stage 2: one row per distinct outbound URL."""

    table = "probes"
    one_row_per = "outbound URL"
    url_id: int = column("the outbound URL", default=REQUIRED, key=True, references="urls")
    verdict: str = column("ok redirected broken server-error unverifiable timeout",
                          default=REQUIRED)
    status: int | None = column("final HTTP status")
    error: FetchOutcome | None = column("network error when there was no response, or "
                                        "redirect-loop / too-many-redirects")
    method: str | None = column("HEAD or GET (the request that decided)")
    final_url: str | None = column("after redirects")
    hops: list[dict[str, Any]] | None = column("[{url, status, location}] of redirects followed",
                                              json=True)
    attempts: int = column("requests sent", default=REQUIRED)
    elapsed_ms: float | None = column("all attempts, first request to verdict")
    cached: bool = column("reused from the cross-run cache (reports/.probe-cache.sqlite)",
                          default=False, sql_default="0")
    checked_at: float = column("unix time", default=REQUIRED)


@record
class Variant(Record):
    """Host and scheme variants of the home page and a sample of templates (http/https ×
    www/non-www × trailing slash × /index.html), requested once each when the crawl is done,
    never parsed as pages nor followed, so the canonical rules can tell whether every variant
    redirects in one hop to the real URL. A variant URL nothing on the site points to has no
    fetches row: page rules never judge URLs the crawl made up."""

    table = "variants"
    one_row_per = "host/scheme variant"
    url_id: int = column("the variant URL as requested", default=REQUIRED, key=True,
                         references="urls")
    of_url_id: int = column("the crawled page it is a variant of", default=REQUIRED,
                            references="urls")
    kind: str = column("scheme host slash index (comma-joined when combined)", default=REQUIRED)
    status: int | None = column("HTTP status")
    location: str | None = column("raw Location when it redirects")
    location_url_id: int | None = column("the Location, resolved", references="urls")
    error: FetchOutcome | None = column(
        "a network error when there was no response; see-fetch: a URL the site itself leads "
        "to, crawled as a page: its answer is in fetches")
    canonical_url_id: int | None = column("a 2xx HTML answer's one declared canonical",
                                          references="urls")


@record
class Queued(Record):
    """Every request the crawl decided to send for a URL (a site page, or an outbound probe),
    written when it is decided: the run's frontier. A page row without a ``fetches`` row, or a
    probe row without a ``probes`` row, is work not done yet, which ``readiness crawl --resume``
    requests again (readiness/crawl/resume.py)."""

    table = "queue"
    one_row_per = "URL decided to be requested"
    url_id: int = column("the URL", default=REQUIRED, key=True, references="urls")
    kind: str = column("page (a site URL, its answer in fetches) | probe (an outbound URL, its "
                       "answer in probes)", default=REQUIRED)
    depth: int | None = column("crawl depth (pages): the smallest met so far, as in fetches")
    discovered_by: str | None = column("as in fetches (pages)")
    discovered_from: int | None = column("the URL it was found on (pages)", references="urls")
    robots_blocked: bool = column("disallowed by robots.txt, requested anyway (crawl.robots: "
                                  "report)", default=False, sql_default="0")


@record
class Backlink(Record):
    """A link from another site to the site, read from a backlink export (``readiness
    backlinks`` or a rule file's ``backlinks:``): one row per row of an export."""

    table = "backlinks"
    one_row_per = "row of a backlink export"
    conflict = None
    target_id: int = column("the site URL linked to, normalised (host map applied)",
                            default=REQUIRED, references="urls")
    target_raw: str = column("as the export spells it", default=REQUIRED)
    source_url: str | None = column("the linking page on the other site; NULL in count-only "
                                    "exports")
    anchor: str | None = column("the link text, as exported")
    rel: str | None = column("'' followed; nofollow sponsored ugc (space-joined); NULL unknown")
    referring_domains: int | None = column("the export's referring-domain count for the target")
    backlinks: int | None = column("the export's backlink count for the target")
    first_seen: str | None = column("ISO 8601 date")
    last_seen: str | None = column("ISO 8601 date")
    export: str = column("the export's file name", default=REQUIRED)
    export_format: str = column("which export it was read as", default=REQUIRED)
    line: int = column("line in the export", default=REQUIRED)


@record
class Prospect(Record):
    """A page on another site the user wants a link from, read from a prospect list
    (``readiness prospects``): fetched once, politely, never crawled beyond."""

    table = "prospects"
    one_row_per = "listed prospect page"
    url_id: int = column("the prospect page as listed, normalised", default=REQUIRED, key=True,
                         references="urls")
    raw: str = column("as the list spells it", default=REQUIRED)
    input: str = column("the list's file name", default=REQUIRED)
    line: int = column("line in the list", default=REQUIRED)


@record
class Placement(Record):
    """A link placed on another site's page, read from a placements list (``readiness
    placements``): the source page is fetched once, politely; the target is a site URL."""

    table = "placements"
    one_row_per = "listed placement"
    conflict = None
    source_id: int = column("the other site's page carrying the link, normalised",
                            default=REQUIRED, references="urls")
    target_id: int = column("the site URL it should link to, normalised (host map applied)",
                            default=REQUIRED, references="urls")
    source_raw: str = column("the source page as the list spells it", default=REQUIRED)
    target_raw: str = column("the target as the list spells it", default=REQUIRED)
    anchor: str | None = column("the agreed anchor text; NULL when not agreed")
    rel: str | None = column("the agreed rel: '' followed; nofollow sponsored ugc "
                             "(space-joined); NULL when not agreed")
    input: str = column("the list's file name", default=REQUIRED)
    line: int = column("line in the list", default=REQUIRED)


RECORDS: tuple[type[Record], ...] = (Meta, Url, Fetch, Page, Body, Canonical, Hreflang, Link,
                                     Sitemap, SitemapNaming, SitemapEntry, Robots, Probe,
                                     Variant, Queued, Backlink, Prospect, Placement)
BY_TABLE: dict[str, type[Record]] = {cls.table: cls for cls in RECORDS}


# -- what a declaration says ---------------------------------------------------------------


def columns(cls: type[Record]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def sql_type(field: dataclasses.Field) -> str:
    if field.metadata["json"]:
        return "TEXT"
    base, _nullable = _base_type(field.type)
    if base in (int, bool):
        return "INTEGER"
    if base is float:
        return "REAL"
    if base is bytes:
        return "BLOB"
    return "TEXT"


def nullable(field: dataclasses.Field) -> bool:
    return _base_type(field.type)[1]


def create_table(cls: type[Record]) -> str:
    """The CREATE TABLE statement of ``cls``, a comment per column."""
    fields = dataclasses.fields(cls)
    lines = []
    for i, f in enumerate(fields):
        meta = f.metadata
        parts = [f.name, sql_type(f)]
        if meta["key"]:
            parts.append("PRIMARY KEY")
        if not nullable(f) and not meta["key"]:
            parts.append("NOT NULL")
        if meta["unique"]:
            parts.append("UNIQUE")
        if meta["sql_default"] is not None:
            parts.append(f"DEFAULT {meta['sql_default']}")
        if meta["references"]:
            parts.append(f"REFERENCES {meta['references']}(id)")
        comma = "," if i < len(fields) - 1 else ""
        lines.append(f"    {' '.join(parts)}{comma} -- {meta['doc']}")
    doc = " ".join((cls.__doc__ or "").split())
    table = f"-- {doc}\nCREATE TABLE IF NOT EXISTS {cls.table} (\n" + "\n".join(lines) + "\n);"
    if cls.unique_together:
        by_name = {f.name: f for f in fields}
        # A UNIQUE constraint lets NULLs repeat; IFNULL makes a root naming (NULL parent)
        # one value, so INSERT OR IGNORE writes it once.
        keys = ", ".join(f"IFNULL({name}, -1)" if nullable(by_name[name]) else name
                         for name in cls.unique_together)
        table += (f"\nCREATE UNIQUE INDEX IF NOT EXISTS {cls.table}_unique "
                  f"ON {cls.table} ({keys});")
    return table


def schema_sql() -> str:
    """The whole store schema (indexes are apart, in indexes.sql: built when a crawl closes)."""
    return "\n\n".join(create_table(cls) for cls in RECORDS) + "\n"


# -- encoding and decoding -------------------------------------------------------------------


def _encoder(f: dataclasses.Field) -> Callable[[Any], Any] | None:
    if f.metadata["json"]:
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    if _base_type(f.type)[0] is bool:
        return lambda value: None if value is None else int(value)
    return None


def _decoder(f: dataclasses.Field) -> Callable[[Any], Any] | None:
    base = _base_type(f.type)[0]
    if f.metadata["json"]:
        return lambda value: None if value is None else json.loads(value)
    if base is bool:
        return lambda value: None if value is None else bool(value)
    if isinstance(base, type) and issubclass(base, Enum):
        return lambda value: None if value is None else base(value)
    return None


_ENCODERS: dict[type[Record], tuple[tuple[str, Callable | None], ...]] = {
    cls: tuple((f.name, _encoder(f)) for f in dataclasses.fields(cls)) for cls in RECORDS}


def row_values(record: Record) -> tuple:
    """``record`` as the tuple its table's INSERT takes (JSON fields as text)."""
    return tuple(getattr(record, name) if encode is None else encode(getattr(record, name))
                 for name, encode in _ENCODERS[type(record)])


_DECODERS: dict[tuple[type, tuple[str, ...]], Callable[[tuple], Any]] = {}


def decoder(cls: type, names: Iterable[str]) -> Callable[[tuple], Any]:
    """A function from a row of columns ``names`` (in that order) to a ``cls`` record.

    Compiled once per (record, columns), the way namedtuple and dataclasses compile their
    constructors: a link pass of an analysis decodes a million rows. Fields not among
    ``names`` are left unset, so reading one raises AttributeError instead of passing off a
    column that was never loaded (a deferred one, or one an older store lacks) as NULL.
    ``cls`` may be a subclass of a record with fields of its own (set by the caller).
    """
    names = tuple(names)
    cache_key = (cls, names)
    decode = _DECODERS.get(cache_key)
    if decode is None:
        by_name = {f.name: f for f in dataclasses.fields(cls)}
        namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
        body = []
        for i, name in enumerate(names):
            convert = _decoder(by_name[name])
            if convert is None:
                body.append(f"    r.{name} = row[{i}]")
            else:
                namespace[f"convert_{name}"] = convert
                body.append(f"    r.{name} = convert_{name}(row[{i}])")
        source = "def decode(row):\n    r = new(cls)\n" + "\n".join(body) + "\n    return r\n"
        exec(source, namespace)  # noqa: S102 - field names come from the declarations above
        decode = _DECODERS[cache_key] = namespace["decode"]
    return decode


def decoded(cls: type[Record], cursor) -> Iterable[Any]:
    """The rows of ``cursor`` (any columns of ``cls``'s table) as ``cls`` records."""
    return map(decoder(cls, [d[0] for d in cursor.description]), cursor)


# -- docs/store.md ---------------------------------------------------------------------------


def _type_words(f: dataclasses.Field) -> str:
    base, none = _base_type(f.type)
    if f.metadata["json"]:
        words = "JSON"
    elif isinstance(base, type) and issubclass(base, Enum):
        words = f"TEXT ({base.__name__})"
    elif base is bool:
        words = "0/1"
    else:
        words = sql_type(f)
    if f.metadata["key"]:
        words += ", key"
    if f.metadata["references"]:
        words += ", url id"
    return words + (", NULL" if none else "")


def _markdown(text: str) -> str:
    """A doc string as a table cell: pipes escaped, <tags> and {json} shown as code."""
    text = text.replace("|", "\\|")
    return re.sub(r"(<[^>]+>|\{[^}]*\}|\[[^\]]*\])", r"`\1`", text)


def docs_tables() -> str:
    """The column tables of docs/store.md, one per record."""
    parts = []
    for cls in RECORDS:
        doc = " ".join((cls.__doc__ or "").split())
        rows = [f"| `{f.name}` | {_type_words(f)} | {_markdown(f.metadata['doc'])} |"
                for f in dataclasses.fields(cls)]
        if cls.unique_together:
            doc += f" Unique on ({', '.join(cls.unique_together)})."
        parts.append(f"### `{cls.table}` — one row per {cls.one_row_per}\n\n{doc}\n\n"
                     "| column | type | what it holds |\n|---|---|---|\n" + "\n".join(rows))
    return "\n\n".join(parts) + "\n"


DOCS_BEGIN = "<!-- The tables below are generated from readiness/store/records.py "
DOCS_END = "<!-- end of the generated tables -->"


def store_markdown(current: str) -> str:
    """docs/store.md with its generated section (between the markers) made from the records."""
    head, found, rest = current.partition(DOCS_BEGIN)
    _old, found_end, tail = rest.partition(DOCS_END)
    if not found or not found_end:
        raise ValueError("docs/store.md lacks the generated-tables markers")
    return (f"{head}{DOCS_BEGIN}(python -m readiness.rules.docs); edit them there -->\n\n"
            f"{docs_tables()}\n{DOCS_END}{tail}")
