"""The response headers of a page that the crawl keeps: the only ones rules can read."""

from __future__ import annotations

# Headers the rules read; everything else is left out of the store.
KEPT_HEADERS = (
    "content-type", "content-length", "content-encoding", "x-robots-tag", "link", "location",
    "refresh", "cache-control", "last-modified", "etag", "server", "retry-after", "vary",
    "strict-transport-security", "content-language",
)
