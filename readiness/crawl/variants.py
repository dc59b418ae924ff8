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
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit


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
