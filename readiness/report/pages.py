"""pages.csv: one row per crawled URL, like Screaming Frog's "Internal" tab (docs/findings.md,
"pages.csv").

Every fact comes from the store through the AnalysisContext the rules read — indexability and
its reasons, click depths, inbound counts are the ones findings cite, never worked out again
here — and rows are written one at a time in URL order, so the file costs no more memory than
the context's per-URL facts the analysis held too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from readiness.report.spreadsheet import cell, spreadsheet_csv
from readiness.report.times import iso_time
from readiness.rules.context import AnalysisContext
from readiness.store import open_store
from readiness.store.records import FetchOutcome
from readiness.urls import PublicUrls

PAGES_FILE = "pages.csv"
# The columns, in order; docs/findings.md says what each holds.
PAGE_COLUMNS = (
    "url", "status", "error", "content_type", "indexable", "indexability", "title",
    "meta_description", "h1", "h1_count", "canonical", "meta_robots", "x_robots_tag",
    "click_depth", "inbound_links", "linking_pages", "outlinks_internal", "outlinks_external",
    "word_count", "size_bytes", "ttfb_ms", "response_ms", "in_sitemap", "redirect_target",
    "fetched_at",
)
# Several values in one cell (indexability reasons, conflicting canonicals).
JOIN = " | "


def crawled_ids(ctx: AnalysisContext) -> list[int]:
    """The site URLs the crawl requested, and those robots.txt kept it from (a page people
    link to that no search engine may read is worth a row), in URL order."""
    internal = ctx.internal_ids
    return [url_id for url_id, fetch in ctx.fetches.items() if url_id in internal
            and (fetch.fetched or fetch.error == FetchOutcome.ROBOTS_BLOCKED)]


def page_rows(ctx: AnalysisContext) -> Iterator[tuple[Any, ...]]:
    """One tuple per crawled URL (PAGE_COLUMNS), by production URL (crawl.host_map)."""
    public = PublicUrls(ctx.normalizer)
    speak = public.text if public else str
    urls = ctx.urls
    ids = crawled_ids(ctx)
    if public:  # a host map can change how URLs of two hosts sort
        ids.sort(key=lambda url_id: speak(urls[url_id]))
    depths, links, outlinks = ctx.click_depths, ctx.link_counts, ctx.outlink_counts
    sitemaps = ctx.sitemap_listing
    for url_id in ids:
        fetch = ctx.fetches[url_id]
        page = ctx.pages.get(url_id) if fetch.status == 200 else None
        indexability = ctx.indexability(url_id)
        h1s = (page.h1 or []) if page is not None else []
        canonicals = sorted({urls[c.target_id] if c.target_id is not None else c.raw
                             for c in ctx.canonicals.get(url_id, ())})
        edges, linking_pages = links.get(url_id, (0, 0))
        out_internal, out_external = outlinks.get(url_id, (0, 0))
        redirect = fetch.location_url_id if ctx.is_redirect(url_id) else None
        yield (
            speak(urls[url_id]), fetch.status,
            fetch.error.value if fetch.error is not None else None,
            fetch.content_type,
            indexability.indexable, speak(JOIN.join(indexability.reasons)),
            page.title if page is not None else None,
            page.meta_description if page is not None else None,
            h1s[0] if h1s else None, len(h1s) if page is not None else None,
            speak(JOIN.join(canonicals)) if canonicals else None,
            page.meta_robots if page is not None else None,
            page.x_robots_tag if page is not None else ctx.header(url_id, "x-robots-tag"),
            depths.get(url_id), edges, linking_pages,
            out_internal if page is not None else None,
            out_external if page is not None else None,
            page.word_count if page is not None else None,
            fetch.bytes,
            round(fetch.ttfb_ms, 1) if fetch.ttfb_ms is not None else None,
            round(fetch.elapsed_ms, 1) if fetch.elapsed_ms is not None else None,
            url_id in sitemaps,
            speak(urls[redirect]) if redirect is not None else None,
            iso_time(fetch.fetched_at) if fetch.fetched else None,
        )


def write_pages_csv(store_path: str | Path, path: Path) -> Path:
    """pages.csv of the crawl in ``store_path`` (UTF-8 with a BOM, text cells neutralised:
    readiness.report.spreadsheet)."""
    with open_store(store_path) as store, spreadsheet_csv(path, PAGE_COLUMNS) as writer:
        for row in page_rows(AnalysisContext(store)):
            writer.writerow([cell(value) for value in row])
    return path
