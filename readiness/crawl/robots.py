"""robots.txt rules per host, read with Protego (the parser Scrapy itself uses).

The spider fetches and stores every site host's robots.txt before it schedules the start URLs
(and a host's sitemaps once that host's robots.txt is in), then asks :class:`RobotsRules`
about each URL so a blocked URL is *recorded* (crawl.robots: obey) instead of being dropped
silently the way Scrapy's RobotsTxtMiddleware drops it. A sitemap entry on another site host
whose robots.txt has not arrived yet is decided as allowed.

Unreachable or failing robots.txt files do not block the crawl: a 4xx means "no rules"
(RFC 9309); for 5xx and network errors search engines assume "disallow all", which the
indexing rules report as an error, but the crawl goes on as if allowed so the rest of the
site can still be checked.
"""

from __future__ import annotations

from protego import Protego

from readiness.urls import netloc


class RobotsRules:
    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent
        self._parsers: dict[str, Protego] = {}

    def add(self, host: str, text: str) -> list[str]:
        """Parse one host's robots.txt; returns its ``Sitemap:`` URLs."""
        parser = Protego.parse(text)
        self._parsers[host] = parser
        return list(parser.sitemaps)

    def allowed(self, url: str) -> bool:
        parser = self._parsers.get(netloc(url))
        if parser is None:
            return True
        # Protego matches "readiness/0.1 (...)" against a "readiness" group, else "*".
        return parser.can_fetch(url, self.user_agent)
