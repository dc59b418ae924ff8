"""Host and scheme variants of a URL: the addresses a backlink might use for the same page.

A site is ready for links only when ``http://clinic.example/about``,
``https://www.clinic.example/about/`` and ``…/about/index.html`` all arrive at one canonical
URL, in one permanent redirect. The crawl requests these variants for the home page and a
sample of templates (``crawl.variant_samples``), without following them; the canonical rules
judge the answers.

The sample is a function of the site, never of the order responses arrive in
(:class:`VariantSample`): two crawls of an unchanged site probe the same variants, so their
findings are the same. It is taken when the crawl has nothing else to do, from every page
the site led the crawl to.

:class:`VariantProbes` is the Scrapy extension that does it.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from readiness.crawl.component import StoreComponent, recheck_idle
from readiness.crawl.errors import classify_failure
from readiness.crawl.headers import canonical_sources, kept_headers, parse_link_header
from readiness.crawl.robots import RobotsTxt
from readiness.crawl.workers import ParseWorkers
from readiness.store.records import FetchOutcome, Variant
from readiness.urls import netloc

logger = logging.getLogger(__name__)


def template_of(url: str) -> str:
    """A URL's template: its first path segment ("" for the home page)."""
    path = urlsplit(url).path.strip("/")
    return path.split("/", 1)[0] if path else ""


def sample_key(url: str) -> str:
    """The order pages are sampled in, as a string that sorts that way: the shortest URL
    first (a template's index page, ``/blog/``, the one with slash and index.html variants),
    then character by character."""
    return f"{len(url):08d} {url}"


def url_of_key(key: str) -> str:
    return key.split(" ", 1)[1]


class VariantSample:
    """Which pages get their variants requested: the smallest page (:func:`sample_key`) of
    the home template, and of each of the ``templates`` templates whose smallest pages are
    the smallest. Pages are offered in any order; the result depends only on which pages
    were offered. Memory: at most ``templates`` + 2 entries, however many templates the
    site has. Dropping the template with the largest key is safe: ``templates`` others
    already have smaller pages, so it can only come back with a page smaller than any it
    had, which is then its smallest.
    """

    def __init__(self, templates: int) -> None:
        self.templates = templates
        self._home: str | None = None
        self._smallest: dict[str, str] = {}  # template -> sample key of its smallest page

    def offer(self, key: str) -> bool:
        """Consider one page, by its sample key; True when the sample changed to include it."""
        template = template_of(url_of_key(key))
        if not template:
            if self._home is not None and self._home <= key:
                return False
            self._home = key
            return True
        current = self._smallest.get(template)
        if self.templates == 0 or (current is not None and current <= key):
            return False
        self._smallest[template] = key
        if len(self._smallest) > self.templates:
            largest = max(self._smallest, key=self._smallest.__getitem__)
            del self._smallest[largest]
            return largest != template
        return True

    def keys(self) -> list[str]:
        """The sample keys taken: the home page first, then by key."""
        return ([self._home] if self._home else []) + sorted(self._smallest.values())

    def pages(self) -> list[str]:
        return [url_of_key(key) for key in self.keys()]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _flip_www(netloc: str) -> str | None:
    host, sep, port = netloc.partition(":")
    if _is_ip(host) or host == "localhost" or "." not in host:
        return None  # no www twin for an address or a bare host name
    flipped = host[4:] if host.startswith("www.") else f"www.{host}"
    return flipped + sep + port


def url_variants(url: str) -> list[tuple[str, str]]:
    """[(variant URL, kind)] for ``url``; kind is scheme, host, slash, index or a comma-join."""
    scheme, netloc, path, query, _ = urlsplit(url)
    other_scheme = "http" if scheme == "https" else "https"
    other_host = _flip_www(netloc)
    variants: list[tuple[str, str]] = []
    # The port only belongs to one scheme; a flipped scheme on an explicit port is a different
    # service, so scheme variants are only made for default ports.
    if ":" not in netloc:
        variants.append((urlunsplit((other_scheme, netloc, path, query, "")), "scheme"))
    if other_host:
        variants.append((urlunsplit((scheme, other_host, path, query, "")), "host"))
        if ":" not in netloc:
            variants.append((urlunsplit((other_scheme, other_host, path, query, "")), "scheme,host"))
    if path.endswith("/"):
        variants.append((urlunsplit((scheme, netloc, path + "index.html", query, "")), "index"))
        if path != "/":
            variants.append((urlunsplit((scheme, netloc, path.rstrip("/"), query, "")), "slash"))
    elif not path.rsplit("/", 1)[-1].count("."):
        variants.append((urlunsplit((scheme, netloc, path + "/", query, "")), "slash"))
    return variants


class VariantProbes(StoreComponent):
    """The Scrapy extension that samples pages while crawling and requests their variants
    once the crawl is otherwise done (the spider asks it at spider_idle, after the quiet
    re-measurement). ``crawl.variant_samples`` sizes the sample; with this extension off
    (READINESS_VARIANT_PROBES_ENABLED = False, or no EXTENSIONS entry) no variant is
    requested at all."""

    enabled_setting = "READINESS_VARIANT_PROBES_ENABLED"

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._variant_sample = VariantSample(self.crawl_cfg.variant_samples)
        self._variant_probes: int | None = None  # under way; None until they are requested

    def store_opened(self, store, run_dir) -> None:
        super().store_opened(store, run_dir)
        self.robots = self.crawler.get_extension(RobotsTxt)
        self.parser = self.crawler.get_extension(ParseWorkers)

    def offer(self, page_url: str) -> None:
        """Offer a page the site led the crawl to for the variant sample (taken at the end)."""
        key = sample_key(page_url)
        if self._variant_sample.offer(key):
            self.coordination.offer_variant_page(key)

    def keeps_crawl_open(self) -> bool:
        """Once the crawl (a distributed run: every worker) has nothing else to do, request
        the variants of the sampled pages; True while they are under way.

        Chosen after the crawl, so the sample is a function of the site (VariantSample), and
        a variant the site itself links to is known to be an ordinary page by then.
        """
        if self._variant_probes is not None:
            return self._variant_probes > 0
        self._variant_probes = 0
        pages = self.coordination.variant_pages(self._variant_sample)
        if pages is None:
            return False  # another worker of the run probes them
        for page_url in pages:
            self._request_variants(page_url)
        return self._variant_probes > 0

    def _request_variants(self, page_url: str) -> None:
        page_id = self.store.intern(page_url, True)
        production = self.normalizer.unmap_host(page_url)
        for raw, kind in url_variants(production):
            variant = self.normalizer.normalize(raw)
            if variant is None or variant == page_url:
                continue
            # A staging check must never reach the real production hosts: with a host map,
            # only variants that map to a crawled host are requested.
            if self.normalizer.host_map and not self.normalizer.is_mapped(raw):
                continue
            internal = self.scope.is_internal(variant)
            variant_id = self.store.intern(variant, internal)
            answer = Variant(url_id=variant_id, of_url_id=page_id, kind=kind)
            if not self.coordination.first_decision(variant_id):
                # Reached by the site (a link, a sitemap, a redirect): an ordinary page whose
                # answer is in fetches. An outside URL probed already is no site variant.
                if internal:
                    answer.error = FetchOutcome.SEE_FETCH
                    self.store.add(answer)
                continue
            if internal and self.crawl_cfg.robots == "obey" and not self.robots.allowed(variant):
                continue
            self.stats.inc_value("readiness/variants/requested")
            # Straight to the downloader: the answer is the variant's status and Location only,
            # never parsed as a page of the site nor followed.
            request = scrapy.Request(variant, dont_filter=True, meta={
                "download_slot": netloc(variant), "dont_retry": True})
            self._variant_probes += 1
            deferred = deferred_from_coro(self.crawler.engine.download_async(request))
            deferred.addCallbacks(
                lambda response, answer=answer: deferred_from_coro(
                    self._variant_answered(response, answer)),
                self._variant_failed, errbackArgs=(answer,))
            deferred.addBoth(self._variant_done, variant)

    async def _variant_answered(self, response, answer: Variant) -> None:
        answer.status = response.status
        location = response.headers.get(b"Location")
        if location:
            answer.location = location.decode("latin-1").strip()
            target = self.normalizer.normalize(answer.location, response.url)
            if target is not None:
                answer.location_url_id = self.store.intern(target,
                                                           self.scope.is_internal(target))
        if 200 <= response.status < 300 and isinstance(response, HtmlResponse):
            # A served copy that declares the real page canonical is consolidated (CAN010).
            answer.canonical_url_id = await self._variant_canonical(response)
        self.store.add(answer)

    async def _variant_canonical(self, response) -> int | None:
        """The one URL a variant's head and Link header declare canonical (None: none, or
        several)."""
        parsed = await self.parser.parse(response)
        if parsed is None:
            return None
        facts = parsed.facts
        base = response.url
        if facts.base_href:
            base = self.normalizer.normalize(facts.base_href, response.url) or response.url
        header_links = parse_link_header(kept_headers(response.headers).get("link", ""))
        targets = {self.normalizer.normalize(raw, raw_base) for source, raw, raw_base
                   in canonical_sources(facts, header_links, response.url, base)
                   if source != "body"}  # search engines ignore canonicals outside <head>
        targets.discard(None)
        if len(targets) != 1:
            return None
        target = targets.pop()
        return self.store.intern(target, self.scope.is_internal(target))

    def _variant_failed(self, failure: Failure, answer: Variant) -> None:
        answer.error, _detail = classify_failure(failure)
        self.store.add(answer)

    def _variant_done(self, result: Any, variant: str) -> None:
        self._variant_probes -= 1
        if self._variant_probes == 0:  # the last answer: the crawl may close now
            recheck_idle(self.crawler)
        if isinstance(result, Failure):  # a bug in recording the answer, not a network error
            logger.error("recording the answer of variant %s failed: %s", variant,
                         result.getTraceback())
