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

A robots.txt larger than Google's 500 KiB limit is read as Google reads it: its first
500 KiB apply, the rest is ignored, and the record says it was truncated (IDX007 reports it).
The download stops there instead of running into the crawl's page size limit, which would
drop the whole file and with it every Disallow. A compressed robots.txt is decompressed by
:class:`RobotsDecompressionMiddleware` only as far as those 500 KiB (a 50 MB file in a 50 KB
gzip is read, not refused whole by HttpCompressionMiddleware's limit).

:class:`RobotsTxt` is the Scrapy extension holding the crawl's rules: it records each
robots.txt answer the spider's callbacks hand it, and in a distributed run reads the rules
another worker fetched (the coordination's ``shared_robots``).
"""

from __future__ import annotations

import logging
import re
import time
import zlib
from urllib.parse import urlsplit

import scrapy
from protego import Protego
from scrapy import signals
from scrapy.exceptions import StopDownload

from readiness.crawl.auxiliary import aux_request
from readiness.crawl.component import StoreComponent
from readiness.crawl.errors import classify_failure
from readiness.store.records import Robots
from readiness.urls import netloc

logger = logging.getLogger(__name__)

# What Google reads of a robots.txt (RFC 9309 §2.5 asks for at least 500 KiB).
ROBOTS_MAX_BYTES = 512 * 1024


# Google reads at most this many characters of a line (its parser's kMaxLineLen - 1).
MAX_LINE_CHARS = 2083 * 8 - 1
# RFC 9309 §2.2.1: a product token is letters, "_" and "-"; a User-agent value is matched by
# its leading token ("readiness bot", "Readiness/2.0" -> "readiness"), case-insensitively.
PRODUCT_TOKEN = re.compile(r"[A-Za-z_-]+")
USER_AGENT_LINE = re.compile(r"^(\s*user[-_ ]?agent\s*:?\s*)([^#]*)(.*)$", re.IGNORECASE)
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A "field: value" line whose field no parser knows. Google skips it; Protego reads it as a
# rule, which ends the user-agent lines of a group before its rules.
UNKNOWN_FIELD_LINE = re.compile(
    r"^\s*(?!(?:user[-_]?agent|allow|dis+al+[oa]?w|diasl+ow|disal+w|sitemaps?|site-map|"
    r"crawl-delay|request-rate|visit-time|host)\s*:)[^:\s#]+\s*:", re.IGNORECASE)


def product_token(user_agent: str) -> str:
    """The crawler's name as robots.txt groups name it: ``readiness/0.1 (+…)`` -> readiness."""
    match = PRODUCT_TOKEN.match(user_agent.strip())
    return match.group(0).lower() if match else user_agent.strip().lower()


def google_robots_text(text: str, token: str) -> str:
    """robots.txt rewritten so Protego reads it as Google does (RFC 9309) for ``token``.

    Protego matches a group's User-agent value as a substring of the whole User-Agent
    header and does not cut it at its product token, so ``User-agent: readiness bot`` is
    missed and ``User-agent: check`` (a word of our header) or ``read`` would apply. Here
    each group is renamed to what it means for this crawler: ``*``, ``token`` (its product
    token, case-insensitively), or a name no crawler token can contain (``other.``).
    Lines are cut where Google cuts them, lines of unknown fields are dropped (they do not
    end a group), and a byte-order mark is dropped.
    """
    lines = []
    for line in LINE_BREAK.split(text.removeprefix("\ufeff")):
        line = line[:MAX_LINE_CHARS]
        if UNKNOWN_FIELD_LINE.match(line):
            continue
        match = USER_AGENT_LINE.match(line)
        if match:
            prefix, value, rest = match.groups()
            value = value.strip()
            named = PRODUCT_TOKEN.match(value)
            if value.startswith("*"):
                value = "*"
            elif named:
                value = token if named.group(0).lower() == token else f"{named.group(0)}."
            line = f"{prefix}{value}{rest}"
        lines.append(line)
    return "\n".join(lines)


def decompressed_head(body: bytes, coding: str, limit: int) -> bytes | None:
    """At most ``limit`` bytes of ``body`` decompressed (a cut stream gives what it holds);
    None for a coding not handled here (Scrapy's middleware then decodes or refuses it)."""
    if coding in ("gzip", "x-gzip", "deflate"):
        # 32 + MAX_WBITS reads a gzip or zlib header; a raw deflate stream has neither.
        wbits = 32 + zlib.MAX_WBITS if body[:1] in (b"\x1f", b"\x78") else -zlib.MAX_WBITS
        return zlib.decompressobj(wbits).decompress(body, limit)
    if coding == "br":
        try:
            import brotli
        except ImportError:
            return None
        try:
            return brotli.Decompressor().process(body, output_buffer_limit=limit)[:limit]
        except brotli.error as exc:
            raise ValueError(f"brotli: {exc}") from exc
    return None


class RobotsDecompressionMiddleware:
    """Decompresses a robots.txt up to one byte past ROBOTS_MAX_BYTES, so RobotsTxt.record
    sees it truncated; other responses are left to HttpCompressionMiddleware."""

    def process_response(self, request, response, spider=None):
        codings = [coding.strip().lower() for value in
                   response.headers.getlist(b"Content-Encoding")
                   for coding in value.decode("latin-1").split(",") if coding.strip()]
        if "robots_host" not in request.meta or len(codings) != 1:
            return response
        try:
            head = decompressed_head(response.body, codings[0], ROBOTS_MAX_BYTES + 1)
        except (zlib.error, ValueError) as exc:
            logger.warning("robots.txt at %s: cannot decode %s: %s", response.url, codings[0],
                           exc)
            return response  # HttpCompressionMiddleware fails it the same way: a fetch error
        if head is None:
            return response
        response = response.replace(body=head)
        del response.headers[b"Content-Encoding"]
        return response


class RobotsRules:
    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent
        self.token = product_token(user_agent)
        self._parsers: dict[str, Protego] = {}

    def add(self, host: str, text: str) -> list[str]:
        """Parse one host's robots.txt; returns its ``Sitemap:`` URLs."""
        parser = Protego.parse(google_robots_text(text, self.token))
        self._parsers[host] = parser
        return list(parser.sitemaps)

    def allowed(self, url: str) -> bool:
        parser = self._parsers.get(netloc(url))
        if parser is None:
            return True
        if urlsplit(url).path == "/robots.txt":
            return True  # RFC 9309 §2.2.2: implicitly allowed
        # The groups are renamed to the crawler's token (google_robots_text): a group named
        # for it, else "*".
        return parser.can_fetch(url, self.token)


class RobotsTxt(StoreComponent):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.rules = RobotsRules(crawler.settings.get("USER_AGENT"))
        self.max_page_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        # Hosts whose robots.txt is requested and not yet answered. The download signals
        # below are connected only meanwhile: Scrapy sends bytes_received for every chunk of
        # every page, and a receiver costs each of them a dispatch (~2% of the crawl
        # process's time, bench/README.md).
        self._unanswered: set[str] = set()

    def request(self, host_origin: str, host: str, callback, errback) -> scrapy.Request:
        """The request for ``host``'s robots.txt (the spider's seeds)."""
        if not self._unanswered:
            self.crawler.signals.connect(self.headers_received, signal=signals.headers_received)
            self.crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)
        self._unanswered.add(host)
        return aux_request(f"{host_origin}/robots.txt", callback, errback,
                           {"robots_host": host})

    def _answered(self, host: str) -> None:
        if host not in self._unanswered:
            # Requested by another worker (distributed runs share one queue): this worker
            # connected nothing for it. Disconnecting anyway raised in parse_robots, and the
            # run waited for that robots.txt for ever.
            return
        self._unanswered.discard(host)
        if not self._unanswered:
            self.crawler.signals.disconnect(self.headers_received,
                                            signal=signals.headers_received)
            self.crawler.signals.disconnect(self.bytes_received, signal=signals.bytes_received)

    def headers_received(self, headers, body_length, request, spider) -> None:
        """Lift the page size limit off a robots.txt download: bytes_received cuts it at
        ROBOTS_MAX_BYTES instead. (The download handler reads ``download_maxsize`` right
        after this signal, and refuses a longer Content-Length before reading any byte.)"""
        if "robots_host" in request.meta:
            request.meta["download_maxsize"] = 0
            request.meta["robots_bytes"] = 0

    def bytes_received(self, data, request, spider) -> None:
        if "robots_host" not in request.meta:
            return
        # The handler has read its limit by now; decompression (HttpCompressionMiddleware,
        # after the download) keeps the crawl's, so a gzip bomb is still cut off.
        request.meta["download_maxsize"] = self.max_page_bytes
        request.meta["robots_bytes"] += len(data)
        if request.meta["robots_bytes"] > ROBOTS_MAX_BYTES:
            raise StopDownload(fail=False)  # the response goes on with what has arrived

    def allowed(self, url: str) -> bool:
        # The rules of ``url``'s host, as the worker that fetched it read them.
        host = netloc(url)
        shared = self.coordination.shared_robots(host)
        if shared:
            self.rules.add(host, shared)
        return self.rules.allowed(url)

    def record(self, response) -> tuple[str, list[str], str | None]:
        """(host, its Sitemap: URLs, robots.txt text or None) of one robots.txt answer."""
        host = response.meta["robots_host"]
        sitemaps: list[str] = []
        body = None
        truncated = False
        if response.status == 200:
            # Cut on the wire (bytes_received) or once decompressed.
            truncated = (len(response.body) > ROBOTS_MAX_BYTES
                         or response.meta.get("robots_bytes", 0) > ROBOTS_MAX_BYTES)
            if truncated:
                logger.warning("robots.txt of %s is larger than %d KiB: only its first %d KiB "
                               "are applied, as Google does", host, ROBOTS_MAX_BYTES // 1024,
                               ROBOTS_MAX_BYTES // 1024)
            body = response.body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace")
            # Read even with robots: ignore (its Sitemap: lines count); the spider's decision
            # is what leaves the rules unapplied.
            sitemaps = self.rules.add(host, body)
        elif response.status >= 500:
            logger.warning("robots.txt of %s answered %s: search engines then stop crawling the "
                           "site; readiness goes on as if allowed", host, response.status)
        self.store.add(Robots(host=host, url=response.url, status=response.status, body=body,
                              truncated=truncated, sitemaps=sitemaps, fetched_at=time.time()))
        self.store.flush()  # committed at once: --resume reads it instead of fetching it
        self.stats.inc_value(f"readiness/robots/status/{response.status}")
        self._answered(host)
        return host, sitemaps, body

    def record_failure(self, failure) -> str:
        """The host of a robots.txt that could not be fetched."""
        request = failure.request
        host = request.meta["robots_host"]
        error, detail = classify_failure(failure)
        logger.warning("robots.txt of %s could not be fetched (%s)", host, detail)
        self.store.add(Robots(host=host, url=request.url, error=error, fetched_at=time.time()))
        self.store.flush()
        self._answered(host)
        return host
