"""What a crawl enters the site by: its seeds, and in list mode all it fetches.

A full crawl is seeded with the start URL and ``crawl.start_urls`` (``discovered_by =
"start"``) and follows links, sitemaps and variants from there. A list-mode crawl
(``crawl.list_urls``, set by ``readiness check --list FILE``; docs/list-mode.md) is seeded
with exactly the listed URLs (``discovered_by = "list"``) and fetches nothing else but their
redirects, hop by hop: the links on the listed pages are recorded as edges, never followed,
and no sitemap is read and no variant probed (readiness/crawl/sitemaps.py,
readiness/crawl/crawl_settings.py). The spider asks :meth:`Seeds.follows` before it decides
about any URL. The targets of backlink exports (``readiness backlinks``, a rule file's
``backlinks:``; readiness/crawl/backlinks.py) are seeds of a full crawl too
(``discovered_by = "backlink"``), so a backlinked page no link reaches is still judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from readiness.config import ReadinessConfig
from readiness.crawl.backlinks import SiteBacklinks
from readiness.urls import UrlNormalizer, netloc

# What a list-mode crawl fetches: the listed URLs and where they redirect, nothing else.
LIST_MODE_FETCHES = frozenset({"list", "redirect"})


@dataclass(frozen=True, slots=True)
class Seeds:
    """The crawl's seeds as (URL, discovered_by), in the order given, each URL once; the
    site's hosts; the hosts the user named (the private-address guard lets them through:
    the site's, less the listed URLs' under ``crawl.list_hosts_named: false``); the backlink
    exports' rows on them (None: no export named)."""

    urls: tuple[tuple[str, str], ...]
    list_mode: bool
    site_netlocs: frozenset[str]
    backlinks: SiteBacklinks | None = None
    named_netlocs: frozenset[str] = frozenset()

    @classmethod
    def of(cls, start_url: str, config: ReadinessConfig, normalizer: UrlNormalizer) -> "Seeds":
        crawl = config.crawl
        if crawl.list_urls:
            given = [(url, "list") for url in crawl.list_urls]
        else:
            given = [(start_url, "start")] + [(url, "start") for url in crawl.start_urls]
        seen: set[str] = set()
        urls = []
        for raw, discovered_by in given:
            url = normalizer.normalize(raw)
            if url is not None and url not in seen:
                seen.add(url)
                urls.append((url, discovered_by))
        hosts = site_netlocs(start_url, [url for url, _ in urls], crawl.extra_hosts, normalizer)
        named = hosts if crawl.list_hosts_named or not crawl.list_urls else site_netlocs(
            start_url, [], crawl.extra_hosts, normalizer)
        backlinks = None
        if config.backlinks:
            backlinks = SiteBacklinks.read(config.backlinks, normalizer, hosts)
            if not crawl.list_urls:  # a list-mode crawl fetches its list only
                urls += [(url, "backlink") for url in backlinks.targets if url not in seen]
        return cls(tuple(urls), bool(crawl.list_urls), hosts, backlinks, named)

    @property
    def seed_urls(self) -> list[str]:
        """The start URLs (or the listed ones): the pages the crawl enters by (meta
        ``seed_urls``). Backlinked pages are not among them: no link of the site may reach
        them (an orphan page is still one)."""
        return [url for url, discovered_by in self.urls if discovered_by != "backlink"]

    def follows(self, discovered_by: str) -> bool:
        """May a URL found this way be fetched (or probed)? In list mode only the listed URLs
        and their redirects are."""
        return not self.list_mode or discovered_by in LIST_MODE_FETCHES


def site_netlocs(start_url: str, seed_urls: list[str], extra_hosts: list[str],
                 normalizer: UrlNormalizer) -> frozenset[str]:
    """The site's hosts: the start URL's, the seeds' and ``crawl.extra_hosts`` (host map
    applied), which are the hosts the user named."""
    hosts = {netloc(url) for url in [start_url, *seed_urls]}
    for host in extra_hosts:
        mapped = normalizer.normalize(host if "://" in host else f"http://{host}/")
        if mapped:
            hosts.add(netloc(mapped))
    return frozenset(hosts)
