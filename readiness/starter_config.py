"""``readiness init [URL]``: a commented ``readiness.yaml`` for a site, from what it answers.

Given a URL it asks the site, one request at a time and following no redirect by itself:
where the URL ends up (every hop), which of its http/https × www/non-www variants answer and
how (a redirect to the start URL, or a page of their own), and which sitemaps robots.txt names
(else whether /sitemap.xml answers). The file it writes starts from the shipped rules
(``extends: default``), sets the start URL and the other names of the site, lists the sitemaps
found, and carries a commented staging ``host_map`` stub (README, "Pre-launch").

The same address guard as the crawl (readiness.crawl.addresses): a private, loopback or
link-local address is only connected to when its host is the one named on the command line (or
its www/non-www twin), or its network is in ``READINESS_ALLOW_PRIVATE``; never a metadata
address. The connection goes to the address that was checked (no second look-up).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from readiness import __version__
from readiness.crawl.addresses import AddressPolicy, allow_private_from_env
from readiness.settings import USER_AGENT
from readiness.urls import netloc

MAX_HOPS = 10
MAX_BODY = 512 * 1024  # robots.txt: what Google reads of it
TIMEOUT = 10.0


@dataclass(frozen=True)
class Answer:
    """One request's outcome: a status (and Location), or why there was none."""

    url: str
    status: int | None = None
    location: str | None = None
    body: bytes = b""
    error: str | None = None

    def describe(self) -> str:
        if self.status is None:
            return f"no answer ({self.error})"
        if self.location:
            return f"{self.status} -> {self.location}"
        return str(self.status)


class GuardedClient:
    """Single GET requests, no redirect followed, only to addresses the policy permits."""

    def __init__(self, named_netlocs: set[str], timeout: float = TIMEOUT) -> None:
        self.named = named_netlocs
        self.policy = AddressPolicy(named_netlocs, allow_private_from_env())
        self.timeout = timeout

    def get(self, url: str) -> Answer:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        try:
            address = self._address(parts.hostname or "", port, netloc(url) in self.named)
        except OSError as exc:
            return Answer(url, error=f"DNS: {exc.strerror or exc}")
        if address is None:
            return Answer(url, error="not checked: private address (name it on the command "
                                     "line, or READINESS_ALLOW_PRIVATE)")
        connection = _connection(https, parts.hostname or "", port, address, self.timeout)
        try:
            connection.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query
                                                              else ""),
                               headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            response = connection.getresponse()
            body = response.read(MAX_BODY)
            location = response.getheader("Location")
            return Answer(url, response.status, urljoin(url, location) if location else None,
                          body)
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            return Answer(url, error=type(exc).__name__ if not str(exc) else str(exc)[:120])
        finally:
            connection.close()

    def _address(self, host: str, port: int, named: bool) -> str | None:
        """The first address of ``host`` the guard lets through, else None."""
        for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            address = ipaddress.ip_address(sockaddr[0].split("%")[0])
            if self.policy.permits(address, named):
                return sockaddr[0]
        return None


def _connection(https: bool, host: str, port: int, address: str, timeout: float):
    """An HTTP(S) connection to ``host`` that connects to ``address``, the one checked."""
    base = http.client.HTTPSConnection if https else http.client.HTTPConnection

    class Pinned(base):
        def connect(self) -> None:
            sock = socket.create_connection((address, self.port), self.timeout)
            self.sock = (self._context.wrap_socket(sock, server_hostname=self.host) if https
                         else sock)

    return Pinned(host, port, timeout=timeout)


@dataclass
class SiteSurvey:
    url: str
    hops: list[Answer] = field(default_factory=list)
    variants: list[Answer] = field(default_factory=list)
    sitemaps: list[tuple[str, str]] = field(default_factory=list)  # (url, where found)

    @property
    def final(self) -> Answer:
        return self.hops[-1]

    @property
    def endless(self) -> str | None:
        """Why the redirects from ``url`` reach no page ("in a loop", "more than 10
        times"), None when they end."""
        final = self.final
        if final.location is None or not 300 <= (final.status or 0) < 400:
            return None
        if final.location in {hop.url for hop in self.hops}:
            return "in a loop"
        return f"more than {MAX_HOPS} times"

    @property
    def start_url(self) -> str:
        """Where the redirects end; the URL given when they end at no page (no answer, a
        loop: the crawl's findings say so), never a redirect."""
        if self.final.status is None or self.endless:
            return self.url
        return self.final.url


def twin_host(host: str) -> str | None:
    """The www/non-www twin of ``host``; None for an IP address or a single-label name."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if host.startswith("www."):
        return host[4:]
    return f"www.{host}" if "." in host else None


def variant_urls(url: str) -> list[str]:
    """The http/https × host/twin home pages of ``url``'s site, the URL's own first."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    hosts = [f"[{host}]" if ":" in host else host]  # an IPv6 literal keeps its brackets
    hosts += [twin] if (twin := twin_host(host)) else []
    schemes = [parts.scheme] + [s for s in ("https", "http") if s != parts.scheme]
    return [f"{scheme}://{name}{port}/" for name in hosts for scheme in schemes]


def survey_site(url: str) -> SiteSurvey:
    """Ask the site what ``readiness.yaml`` needs to know (see the module's docstring)."""
    client = GuardedClient({netloc(variant) for variant in variant_urls(url)})
    survey = SiteSurvey(url)
    current = url
    for _ in range(MAX_HOPS):
        answer = client.get(current)
        survey.hops.append(answer)
        if answer.location is None or not 300 <= (answer.status or 0) < 400:
            break
        if answer.location in {hop.url for hop in survey.hops}:
            break  # a loop: asking again would only go round it
        current = answer.location
    start = survey.start_url
    survey.variants = [client.get(variant) for variant in variant_urls(start)
                       if variant != start]
    origin = f"{urlsplit(start).scheme}://{urlsplit(start).netloc}"
    robots = client.get(f"{origin}/robots.txt")
    if robots.status == 200:
        for line in robots.body.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "sitemap" and value.strip():
                survey.sitemaps.append((value.strip(), "robots.txt"))
    if not survey.sitemaps:
        sitemap = client.get(f"{origin}/sitemap.xml")
        if sitemap.status == 200:
            survey.sitemaps.append((sitemap.url, "answers at /sitemap.xml"))
    return survey


def config_text(survey: SiteSurvey | None) -> str:
    """The commented readiness.yaml for ``survey`` (None: a template to fill in)."""
    start = survey.start_url if survey else "https://www.clinic.example/"
    parts = urlsplit(start)
    lines = [
        f"# readiness.yaml for {start} — written by `readiness init` (readiness {__version__}).",
        "# `readiness check` and the other commands run in this folder read it when no",
        "# --config is given. Every key: rules/schema.json; the shipped rules and their",
        "# defaults: rules/default.yaml (`readiness rules` lists them).",
        "extends: default",
        "",
        "crawl:",
    ]
    if survey is None:
        lines += ["  # The site's home page: `readiness check` starts there when given no URL.",
                  f'  start_urls: ["{start}"]']
    else:
        hops = len(survey.hops) - 1
        came = (f" (kept as given: it redirects {survey.endless}, which the crawl reports)"
                if survey.endless else
                f" (where {survey.url} ends up: {hops} redirect{'s' if hops != 1 else ''})"
                if hops else "")
        lines += [f"  # The start URL `readiness check` uses when given none{came}.",
                  f'  start_urls: ["{start}"]']
        for hop in survey.hops if survey.endless else survey.hops[:-1]:
            lines.append(f"  #   {hop.url} {hop.describe()}")
    twins = _answering_twins(survey, parts.hostname or "")
    lines.append("  # Other names of the site, crawled as part of it (www and non-www). Each "
                 "variant")
    lines.append("  # should answer with one permanent redirect to the start URL:")
    for variant in (survey.variants if survey else []):
        lines.append(f"  #   {variant.url} {variant.describe()}")
    quoted = ", ".join(f'"{twin}"' for twin in twins)
    lines.append(f"  extra_hosts: [{quoted}]" if twins else "  # extra_hosts: []")
    if survey and survey.sitemaps:
        lines.append("  # Sitemaps found (the crawl reads robots.txt's and /sitemap.xml by "
                     "itself):")
        lines += [f"  #   {url} ({where})" for url, where in survey.sitemaps]
    else:
        lines.append("  # No sitemap found in robots.txt or at /sitemap.xml: name yours here.")
    lines += [
        "  # sitemaps: []",
        "  # Pre-launch: crawl a staging copy as if it were production (links, canonicals and",
        "  # sitemaps written for production resolve to staging; no request reaches production):",
        "  # host_map:",
        f'  #   "{parts.scheme}://{parts.netloc}": "http://staging.internal:8080"',
        "",
        "# Per rule: enabled, severity, options, include/exclude, accept (with a reason):",
        "# rules:",
        "#   redirect-chain:",
        "#     max_hops: 2",
        "",
    ]
    return "\n".join(lines)


def _answering_twins(survey: SiteSurvey | None, host: str) -> list[str]:
    """The www/non-www twin of ``host`` when one of its variants answered."""
    twin = twin_host(host)
    if survey is None or twin is None:
        return []
    answered = any(urlsplit(v.url).hostname == twin and v.status is not None
                   for v in survey.variants)
    return [twin] if answered else []
