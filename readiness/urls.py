"""URL handling shared by the crawl and the rules: normalisation, host mapping, scope.

Every URL the crawl stores goes through :class:`UrlNormalizer`, so the same page written three
ways (``/About``-style case aside, ``?utm_source=...``, ``#section``, ``:80``) is one row in the
store and is fetched once. The raw text is always stored beside the normalised URL.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

HTTP_SCHEMES = frozenset({"http", "https"})
# Characters a browser refuses in a host name (WHATWG URL: forbidden domain code points),
# checked after percent-decoding, as browsers do.
FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Marketing and click-tracking parameters that never select different content.
DEFAULT_STRIP_PARAMS = (
    "utm_*", "gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "yclid",
    "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "_hsenc", "_hsmi", "mkt_tok",
)


def origin(url: str) -> str:
    """``scheme://netloc`` of an absolute URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def netloc(url: str) -> str:
    """Host (and non-default port) of an absolute URL, lower-cased."""
    if url.startswith(("http://", "https://")):
        # The per-link hot path (scope, download slots): three C-level finds instead of
        # urlsplit, which was ~5% of the crawl's CPU time.
        start = url.index("//") + 2
        end = len(url)
        for separator in "/?#":
            found = url.find(separator, start, end)
            if found != -1:
                end = found
        return url[start:end].lower()
    return urlsplit(url).netloc.lower()


def host_twin(host: str) -> str:
    """A host without its ``www.``: ``www.clinic.example`` and ``clinic.example`` are one site
    to whoever links to it."""
    return host[4:] if host.startswith("www.") else host


def _map_key(url: str) -> str:
    """The host map's key of an absolute URL: its netloc without the scheme's default port
    (``https://host:443/`` is ``https://host/``, and must not reach the production host)."""
    host_port = netloc(url)
    host, sep, port = host_port.rpartition(":")
    if sep and port == str(DEFAULT_PORTS.get(url.partition(":")[0].lower())):
        return host
    return host_port


def redact_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``: what may be printed,
    logged or stored of a URL someone typed."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority_end = len(rest)
    for separator in "/?#":
        found = rest.find(separator)
        if found != -1:
            authority_end = min(authority_end, found)
    userinfo, at, host = rest[:authority_end].rpartition("@")
    if not at:
        return url
    return f"{scheme}{sep}***@{host}{rest[authority_end:]}"


def is_http(url: str) -> bool:
    return url[:5].lower() in ("http:", "https")


def glob_to_regex(patterns: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled regex for a list of URL globs (``*`` spans ``/``), or None if empty."""
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(p) for p in patterns))


class UrlNormalizer:
    """Resolve, map and normalise URLs found in pages, headers and sitemaps.

    ``host_map`` maps production origins to the origin actually crawled
    (``{"https://www.clinic.example": "http://127.0.0.1:8080"}``), so a staging site whose
    pages link, canonicalise and list sitemap entries in production URLs is crawled as if it
    were production: those URLs resolve to staging.

    One is built per crawl (:meth:`from_config`) and one per analysis (:meth:`from_meta`, the
    settings the store was crawled with), and passed on from there: the crawl's components,
    the rules (``AnalysisContext.normalizer``) and :class:`PublicUrls` share it.
    """

    def __init__(
        self,
        host_map: dict[str, str] | None = None,
        strip_params: tuple[str, ...] | list[str] = DEFAULT_STRIP_PARAMS,
        cache_size: int = 50_000,
    ) -> None:
        # Keyed by netloc, whatever the scheme: a staging page linking to the http:// variant
        # of a production URL must resolve to staging too, never reach the real host.
        self.host_map = {
            _map_key(self._clean_origin(src)): self._clean_origin(dst)
            for src, dst in (host_map or {}).items()
        }
        # Crawled origin -> the production origin it stands for (first mapping wins).
        self._production: dict[str, str] = {}
        for src, dst in (host_map or {}).items():
            self._production.setdefault(self._clean_origin(dst), self._clean_origin(src))
        self._strip = glob_to_regex(list(strip_params))
        # Nav, header and footer links repeat on every page: resolving each distinct
        # (base, href) once is the biggest saving on the per-page path. Bounded, so memory
        # stays flat however large the site.
        self._resolve = lru_cache(maxsize=cache_size)(self._resolve_uncached)
        self._arguments = (dict(host_map or {}), tuple(strip_params), cache_size)

    def __reduce__(self):
        # Sent to a parse worker as what it was built from (its cache stays behind).
        return UrlNormalizer, self._arguments

    @classmethod
    def from_config(cls, crawl) -> "UrlNormalizer":
        """The normaliser of a crawl configured by ``crawl`` (``CrawlConfig``: its host_map
        and strip_params)."""
        return cls(crawl.host_map, crawl.strip_params)

    @classmethod
    def from_meta(cls, meta: dict) -> "UrlNormalizer":
        """The normaliser a stored crawl used: the ``crawl:`` settings its meta recorded
        (none in an older store: no host map, the default tracking tags)."""
        crawl = (meta.get("config") or {}).get("crawl") or {}
        strip = crawl.get("strip_params")
        return cls(crawl.get("host_map") or {}, DEFAULT_STRIP_PARAMS if strip is None else strip)

    @property
    def production_origins(self) -> dict[str, str]:
        """Crawled origin -> the production origin it stands for."""
        return dict(self._production)

    @staticmethod
    def _clean_origin(value: str) -> str:
        value = value.strip().rstrip("/")
        if "://" not in value:
            value = "http://" + value
        return origin(value)

    def normalize(self, raw: str, base: str | None = None) -> str | None:
        """The normalised absolute URL for ``raw`` seen on ``base``; None if it is not a URL.

        Non-HTTP URLs (``mailto:``, ``tel:``) come back with only surrounding space removed,
        so they can still be stored as edges.
        """
        raw = raw.strip()
        if base is None:
            return self._resolve(None, raw)
        # Root-relative and absolute hrefs do not depend on the base path: key the cache on
        # the origin only, so "/about" is resolved once per site, not once per page.
        if raw.startswith("/") and not raw.startswith("//"):
            return self._resolve(_base_origin(base), raw)
        scheme = raw[:7].lower()
        if "://" in raw[:12] or scheme == "mailto:" or scheme[:4] == "tel:":
            return self._resolve(None, raw)
        return self._resolve(base, raw)

    def stripped_params(self, raw: str) -> list[str]:
        """Names of the query parameters in ``raw`` that normalisation drops (tracking tags,
        ``crawl.strip_params``), in their order; empty for a link without any."""
        query = raw.partition("#")[0].partition("?")[2]
        if not query or self._strip is None:
            return []
        return [name for name, _value in parse_qsl(query, keep_blank_values=True)
                if self._strip.match(name)]

    def map_host(self, url: str) -> str:
        """Apply the host map to an already absolute URL."""
        if not self.host_map:
            return url
        parts = urlsplit(url)
        target = self.host_map.get(_map_key(url))
        if target is None:
            return url
        scheme, _, host = target.partition("://")
        return urlunsplit((scheme, host, parts.path, parts.query, parts.fragment))

    def unmap_host(self, url: str) -> str:
        """The production URL a crawled URL stands for (itself when no host map applies)."""
        if not self._production:
            return url
        parts = urlsplit(url)
        production = self._production.get(f"{parts.scheme}://{parts.netloc}".lower())
        if production is None:
            return url
        scheme, _, host = production.partition("://")
        return urlunsplit((scheme, host, parts.path, parts.query, parts.fragment))

    def is_mapped(self, url: str) -> bool:
        return _map_key(url) in self.host_map

    def _resolve_uncached(self, base: str | None, raw: str) -> str | None:
        try:
            absolute = urljoin(base, raw) if base else raw
            parts = urlsplit(absolute)
        except ValueError:  # e.g. "http://[::1" — an invalid IPv6 literal
            return None
        scheme = parts.scheme.lower()
        if scheme not in HTTP_SCHEMES:
            return absolute if scheme else None
        if not parts.hostname:
            return None
        if "[" not in parts.netloc and FORBIDDEN_HOST.search(unquote(parts.hostname)):
            return None  # "http://exa mple.com": no browser can follow it
        try:
            port = parts.port
        except ValueError:  # port out of range or not a number
            return None
        absolute = self.map_host(absolute)
        parts = urlsplit(absolute)
        scheme = parts.scheme.lower()
        query = parts.query
        if query and self._strip is not None:
            pairs = parse_qsl(query, keep_blank_values=True)
            kept = [(k, v) for k, v in pairs if not self._strip.match(k)]
            if len(kept) != len(pairs):
                query = urlencode(kept)
        host = parts.hostname or ""
        port = parts.port
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc_ = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
        if parts.username or parts.password:
            netloc_ = parts.netloc.rpartition("@")[0] + "@" + netloc_
        try:
            return canonicalize_url(urlunsplit((scheme, netloc_, parts.path or "/", query, "")))
        except ValueError:
            return None


@lru_cache(maxsize=4096)
def _base_origin(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/"


class Scope:
    """Which URLs are the site's own pages (crawled) and which are outbound (probed)."""

    def __init__(
        self,
        site_netlocs: set[str],
        include: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> None:
        self.site_netlocs = {n.lower() for n in site_netlocs}
        self._include = glob_to_regex(include or [])
        self._exclude = glob_to_regex(exclude or [])

    def is_internal(self, url: str) -> bool:
        return is_http(url) and netloc(url) in self.site_netlocs

    def is_excluded(self, url: str) -> bool:
        """True when crawl include/exclude globs keep an internal URL from being fetched.

        A pattern starting with ``/`` matches the path (and query); any other pattern
        matches the whole URL.
        """
        return self.excluded_by(url) is not None

    def excluded_by(self, url: str) -> str | None:
        """``"include"`` or ``"exclude"``: the crawl key that keeps ``url`` out; None if none."""
        if self._include is not None and not glob_matches(self._include, url):
            return "include"
        return "exclude" if glob_matches(self._exclude, url) else None


class PublicUrls:
    """Rewrite crawled URLs to the production URLs they stand for, in any text.

    A staging crawl (``crawl.host_map``) stores staging URLs; findings and reports speak of
    production URLs, so a finding keeps its id from one pre-launch run to the next even when
    the staging port changes, and people read the URLs they will publish.
    """

    def __init__(self, normalizer: UrlNormalizer) -> None:
        # Longest crawled origin first, so http://h:80 never half-matches http://h:8080.
        pairs = sorted(normalizer.production_origins.items(), key=lambda p: -len(p[0]))
        # An origin only matches whole: http://h:4000 must not rewrite http://h:40001.
        self.pairs = [(re.compile(re.escape(crawled) + r"(?![\w.:-])"), production)
                      for crawled, production in pairs]

    @classmethod
    def from_meta(cls, meta: dict) -> "PublicUrls":
        return cls(UrlNormalizer.from_meta(meta))

    def __bool__(self) -> bool:
        return bool(self.pairs)

    def text(self, value: str) -> str:
        for crawled, production in self.pairs:
            value = crawled.sub(production, value)
        return value

    def deep(self, value):
        """The same rewrite through dicts, lists and strings (finding evidence)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.deep(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.deep(item) for item in value]
        return value


def glob_matches(regex: re.Pattern[str] | None, url: str) -> bool:
    """Does a :func:`glob_to_regex` pattern match ``url``? (None matches nothing.)

    As everywhere in the config, a glob starting with ``/`` matches the path (and query),
    any other glob the whole URL.
    """
    if regex is None:
        return False
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return bool(regex.match(url) or regex.match(path))
