"""Host and scheme variants of a URL: the addresses a backlink might use for the same page.

A site is ready for links only when ``http://clinic.example/about``,
``https://www.clinic.example/about/`` and ``…/about/index.html`` all arrive at one canonical
URL, in one permanent redirect. The crawl requests these variants for the home page and a
sample of templates (``crawl.variant_samples``), without following them; the canonical rules
judge the answers.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit


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
