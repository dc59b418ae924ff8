"""No request to an address the user did not ask for (server-side request forgery).

A crawl follows what hostile pages say: links, images, canonicals, redirects, robots.txt and
sitemaps may name ``169.254.169.254`` (a cloud metadata service), ``10.x`` or another port on
loopback. :class:`AddressGuardMiddleware` refuses every request whose host is, or resolves
to, an address that is not public (private, loopback, link-local, CGNAT, multicast,
unspecified, reserved and their IPv6 forms, IPv4-mapped, NAT64 and 6to4 included; IPv4 in any
spelling ``inet_aton`` accepts: ``2130706433``, ``0x7f.1``, ``0177.0.0.1``), unless

* the request goes to a host the user named: the start URL's, ``crawl.start_urls``',
  ``crawl.list_urls``' (``check --list``; not a prospects or placements list's, which are
  other sites' pages: ``crawl.list_hosts_named: false``), ``crawl.extra_hosts`` and the
  ``crawl.host_map`` targets (host *and* port: another port on a named loopback host is not
  named) — except a link-local or cloud metadata address (``169.254.169.254``, ``fe80::/10``,
  :data:`METADATA_ADDRESSES`): naming one is never enough, a list line may name it, or
* the address is in ``crawl.allow_private`` (CIDRs) or in the ``READINESS_ALLOW_PRIVATE``
  environment variable (comma-separated CIDRs, for a CI runner's own servers).

The refused request is never sent: its errback gets :class:`PrivateAddressRefused`, which
readiness.crawl.errors records as ``FetchOutcome.PRIVATE_ADDRESS`` ("not checked: private
address"). The middleware's look-up is only the early, explainable refusal; the check that
holds is at connect time: :class:`GuardedNameResolver` wraps the reactor's name resolver so a
refused address never reaches a connection, even when a name answers differently the second
time it is asked (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from typing import Iterable
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from readiness.urls import netloc

logger = logging.getLogger(__name__)

ALLOW_PRIVATE_ENV = "READINESS_ALLOW_PRIVATE"
# RFC 6052's well-known NAT64 prefix: 64:ff9b::a00:1 is 10.0.0.1 behind a NAT64 gateway.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services outside link-local: AWS's IPv6 one, Alibaba's (in CGNAT space) and
# Azure's wire server (a public address only reachable from inside Azure). They answer with
# credentials, so they are refused even for a named host unless ``allow_private`` names them.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "fd00:ec2::254", "100.100.100.200", "168.63.129.16"))


class PrivateAddressRefused(IgnoreRequest):
    """A request to an address the user did not name; never sent."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} is {address}, a private address: not checked")
        self.host, self.address = host, address


def literal_address(host: str) -> Address | None:
    """The address a host written as an IP literal stands for, in any spelling a resolver
    accepts (``[::1]``, ``2130706433``, ``0x7f.1``, ``0177.0.0.1``); None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # Legacy IPv4 forms (decimal, octal, hex, fewer than four parts): what
        # getaddrinfo/gethostbyname would connect to.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def embedded_ipv4(address: Address) -> Address:
    """The IPv4 address an IPv6 one carries (IPv4-mapped ``::ffff:a.b.c.d``, NAT64, 6to4
    ``2002:aabb:ccdd::``, which a 6to4 interface sends to ``aa.bb.cc.dd``)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in NAT64_PREFIX:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: Address) -> bool:
    address = embedded_ipv4(address)
    return address.is_global and not (address.is_multicast or address.is_reserved
                                      or address.is_unspecified)


def is_never_named(address: Address) -> bool:
    """A link-local or metadata address: refused even for a host the user named."""
    address = embedded_ipv4(address)
    return address.is_link_local or address in METADATA_ADDRESSES


def parse_networks(cidrs: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip()]


def allow_private_from_env() -> list[str]:
    """The networks of ``READINESS_ALLOW_PRIVATE``; ValueError, naming the variable, for an
    entry that is not one."""
    cidrs = [cidr.strip() for cidr in os.environ.get(ALLOW_PRIVATE_ENV, "").split(",")
             if cidr.strip()]
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ValueError(f"{ALLOW_PRIVATE_ENV}: {cidr!r} is not a network: write "
                             "addresses or CIDRs such as 10.0.0.0/8, comma-separated") from None
    return cidrs


class AddressPolicy:
    """Which (host, address) pairs a crawl may connect to."""

    def __init__(self, named_netlocs: Iterable[str], allow_private: Iterable[str] = ()) -> None:
        self.named_netlocs = frozenset(named_netlocs)
        self.named_hosts = frozenset(_hostname(n) for n in self.named_netlocs)
        self.allowed = parse_networks(allow_private)

    @classmethod
    def for_spider(cls, spider, with_env: bool = True) -> "AddressPolicy":
        from_env = allow_private_from_env() if with_env else []
        mapped_to = {netloc(target) for target in spider.normalizer.host_map.values()}
        return cls(spider.seeds.named_netlocs | mapped_to, [*spider.crawl_cfg.allow_private, *from_env])

    def permits(self, address: Address, named: bool = False) -> bool:
        """May ``address`` be connected to, for a host the user named or not?"""
        mapped = embedded_ipv4(address)
        if any(address in network or mapped in network for network in self.allowed):
            return True
        if is_never_named(address):
            return False
        return named or is_public(address)

    def check_literal(self, url_netloc: str) -> Address | None:
        """The refused address of a netloc written as an IP literal, else None."""
        host = _hostname(url_netloc)
        address = literal_address(host)
        if address is None or self.permits(address, url_netloc in self.named_netlocs):
            return None
        return address


def _hostname(url_netloc: str) -> str:
    return urlsplit(f"//{url_netloc}").hostname or url_netloc


@implementer(IResolutionReceiver)
class _FilteringReceiver:
    """Passes on the resolved addresses the policy permits; drops (and logs) the others."""

    def __init__(self, receiver, host: str, policy: AddressPolicy, named: bool) -> None:
        self._receiver, self._host, self._policy, self._named = receiver, host, policy, named

    def resolutionBegan(self, resolution) -> None:
        self._receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:
        ip = literal_address(getattr(address, "host", ""))
        if ip is not None and not self._policy.permits(ip, self._named):
            logger.warning("refused to connect to %s: it resolved to %s, a private address",
                           self._host, ip)
            return
        self._receiver.addressResolved(address)

    def resolutionComplete(self) -> None:
        self._receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedNameResolver:
    """The reactor's name resolver, passing on only the addresses the policy permits for
    hosts the user did not name: what every TCP connection of the crawl resolves through."""

    def __init__(self, resolver, policy: AddressPolicy, plain_resolver) -> None:
        self.resolver, self.policy = resolver, policy
        # The reactor's IResolverSimple from before (installNameResolver replaces it with
        # one that asks this resolver): the middleware's early look-up.
        self.plain_resolver = plain_resolver

    def resolveHostName(self, resolutionReceiver, hostName: str, portNumber: int = 0,
                        addressTypes=None, transportSemantics: str = "TCP"):
        named = hostName.lower() in self.policy.named_hosts
        resolutionReceiver = _FilteringReceiver(resolutionReceiver, hostName, self.policy, named)
        return self.resolver.resolveHostName(resolutionReceiver, hostName, portNumber,
                                             addressTypes, transportSemantics)


class AddressGuardMiddleware:
    """Refuses requests to addresses the user did not name (the module docstring)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.policy: AddressPolicy | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler) -> "AddressGuardMiddleware":
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        try:
            self.policy = AddressPolicy.for_spider(spider)
        except ValueError as exc:
            # Scrapy logs a signal handler's error and goes on: raised, the guard would have
            # no policy and let everything through. Closed instead: none of the variable's
            # networks is allowed (the readiness CLI refuses to start with it).
            logger.error("%s; none of its networks is allowed in this crawl", exc)
            self.policy = AddressPolicy.for_spider(spider, with_env=False)

    def _guard_name_resolver(self) -> None:
        # Checked per request, not once at spider_opened: Scrapy installs its DNS_RESOLVER on
        # the reactor (which replaces the name resolver) when the process starts, and that
        # may come after the spider opened.
        from twisted.internet import reactor

        self.reactor = reactor
        resolver = reactor.nameResolver
        if isinstance(resolver, GuardedNameResolver):
            resolver.policy = self.policy
        else:
            reactor.installNameResolver(
                GuardedNameResolver(resolver, self.policy, reactor.resolver))

    async def process_request(self, request, spider=None):
        policy = self.policy
        if policy is None:
            return None
        self._guard_name_resolver()
        url_netloc = netloc(request.url)
        named = url_netloc in policy.named_netlocs
        refused = policy.check_literal(url_netloc)
        host = _hostname(url_netloc)
        if refused is None and literal_address(host) is None:
            try:
                # The plain resolver (Scrapy's DNS_RESOLVER, cached), not reactor.resolve:
                # that goes through the guarded one, which only says "no address".
                plain = self.reactor.nameResolver.plain_resolver
                answer = await maybe_deferred_to_future(plain.getHostByName(host))
            except Exception:
                # Not resolvable now: the download itself fails and records why (dns).
                return None
            address = literal_address(answer)
            if address is not None and not policy.permits(address, named):
                refused = address
        if refused is not None:
            self.crawler.stats.inc_value("readiness/private_address_refused")
            logger.info("not checked: %s is %s, a private address", request.url, refused)
            raise PrivateAddressRefused(host, str(refused))
        return None
