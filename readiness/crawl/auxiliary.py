"""robots.txt and sitemap fetches: the crawl's seeds, not pages, so outside the page
bookkeeping (no URL decision, no fetch row; each answer is recorded in its own table)."""

from __future__ import annotations

import logging
from typing import Any

import scrapy

from readiness.urls import netloc

logger = logging.getLogger(__name__)

MAX_SEED_REDIRECTS = 5


def aux_request(url: str, callback, errback, meta: dict[str, Any]) -> scrapy.Request:
    return scrapy.Request(url, callback=callback, errback=errback, dont_filter=True,
                          priority=100, meta={**meta, "download_slot": netloc(url)})


def follow_aux_redirect(response, normalizer, site_netlocs: set[str]) -> scrapy.Request | None:
    """The next hop of a redirected robots.txt or sitemap, on the site's hosts only."""
    location = response.headers.get(b"Location")
    hops = response.meta.get("aux_hops", 0)
    if not (300 <= response.status < 400 and location) or hops >= MAX_SEED_REDIRECTS:
        return None
    target = normalizer.normalize(location.decode("latin-1"), response.url)
    if target is None:
        return None
    if netloc(target) not in site_netlocs:
        # robots.txt and sitemaps are read from the site's hosts only; the redirect
        # itself is what gets recorded.
        logger.info("%s redirects to %s, outside the site: not followed", response.url,
                    target)
        return None
    request = response.request.replace(url=target)
    request.meta["aux_hops"] = hops + 1
    request.meta["download_slot"] = netloc(target)
    return request
