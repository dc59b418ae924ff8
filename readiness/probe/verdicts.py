"""The outcome model of an outbound probe: one verdict per URL, and the reason for it.

A link is only *broken* when nobody could follow it: 404, 410, an unknown host or a refused
connection, after retries. A site that refuses robots (401, 403, 429, 999, bot walls) tells us
nothing about human visitors, so those are *unverifiable*, never broken. 5xx after retries is
its own class: the page exists but is failing now.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Iterable

from readiness.store.records import FetchOutcome
from readiness.words import plural


class Verdict(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"      # answered 2xx after one or more redirects
    BROKEN = "broken"
    SERVER_ERROR = "server-error"
    UNVERIFIABLE = "unverifiable"
    TIMEOUT = "timeout"


BROKEN_STATUSES = frozenset({404, 410})
BROKEN_ERRORS = frozenset({FetchOutcome.DNS, FetchOutcome.REFUSED})
# Worth another attempt after a pause: rate limits, overload and network trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
RETRY_ERRORS = frozenset({FetchOutcome.TIMEOUT, FetchOutcome.CONNECTION, FetchOutcome.DNS,
                          FetchOutcome.REFUSED})
# HEAD answers that do not prove anything: many servers mishandle HEAD, so confirm with GET.
HEAD_UNRELIABLE_MIN_STATUS = 400
# Only these verdicts are reused from the cross-run cache; failures are always re-checked.
CACHEABLE = frozenset({Verdict.OK, Verdict.REDIRECTED})


def is_bot_wall(status: int, headers) -> bool:
    """Challenge pages (Cloudflare and friends) answer 403/503 to robots, 200 to people."""
    if headers.get(b"cf-mitigated", b"").lower() == b"challenge":
        return True
    server = headers.get(b"server", b"").lower()
    return status in (403, 503) and (b"cloudflare" in server or b"ddos-guard" in server)


def verdict_for_status(status: int, redirected: bool, bot_wall: bool = False) -> Verdict:
    if bot_wall:
        return Verdict.UNVERIFIABLE
    if 200 <= status < 300:
        return Verdict.REDIRECTED if redirected else Verdict.OK
    if status in BROKEN_STATUSES:
        return Verdict.BROKEN
    if status >= 500 and status != 999:
        return Verdict.SERVER_ERROR
    if 300 <= status < 400:  # a redirect with no usable Location
        return Verdict.BROKEN
    return Verdict.UNVERIFIABLE


def verdict_for_error(error: FetchOutcome) -> Verdict:
    if error in BROKEN_ERRORS:
        return Verdict.BROKEN
    if error == FetchOutcome.TIMEOUT:
        return Verdict.TIMEOUT
    return Verdict.UNVERIFIABLE


# -- a runner that cannot reach the internet -------------------------------------------------
#
# On a CI runner without egress every outside name fails to resolve or every connection is
# refused or dropped: judged URL by URL, each link would be "broken". Judged over the run, a
# crawl that reached (nearly) no outside host says something about the machine, not the links.

# The name or the connection failed: the host never answered anything over HTTP.
UNREACHABLE_ERRORS = frozenset({FetchOutcome.DNS, FetchOutcome.REFUSED, FetchOutcome.TIMEOUT,
                                FetchOutcome.CONNECTION})
# The same, in plain words (the inconclusive note).
ERROR_WORDS = {FetchOutcome.DNS: "names do not resolve",
               FetchOutcome.REFUSED: "connections refused",
               FetchOutcome.TIMEOUT: "no answer in time",
               FetchOutcome.CONNECTION: "connections dropped"}
# Fewer outside hosts tried than this and the run cannot tell an offline runner from a few
# dead hosts: each failure stands as the probe judged it.
OFFLINE_MIN_HOSTS = 3
# The share of the hosts tried that must be unreachable (a proxy may let one or two through).
OFFLINE_MIN_SHARE = 0.9


class OutboundStatus(StrEnum):
    CHECKED = "checked"            # outbound links were probed and their verdicts stand
    INCONCLUSIVE = "inconclusive"  # the runner reached (nearly) no outside host
    NOT_CHECKED = "not-checked"    # crawl.probe.enabled: false (readiness check --no-outbound)


def is_unreachable(status: int | None, error: str | None, redirected: bool) -> bool:
    """A probe outcome where the host never answered over HTTP (no status, no redirect hop)."""
    return status is None and not redirected and error in UNREACHABLE_ERRORS


@dataclass(frozen=True, slots=True)
class OutboundCheck:
    """What the run can say about its outbound links as a whole (findings.json
    ``summary.outbound``, docs/findings.md)."""

    status: OutboundStatus
    urls: int = 0                  # outbound http(s) URLs the site's pages link to
    hosts: int = 0                 # their distinct hosts
    hosts_tried: int = 0           # hosts probed in this run (answers from the cache aside)
    hosts_unreachable: int = 0     # of those, hosts that never answered over HTTP
    errors: tuple[str, ...] = ()   # the network error classes met at unreachable hosts
    unreachable_hosts: frozenset[str] = frozenset()
    not_checked_because: str = "crawl.probe.enabled: false or --no-outbound"

    @property
    def inconclusive(self) -> bool:
        return self.status is OutboundStatus.INCONCLUSIVE

    def note(self) -> str | None:
        """The one sentence every report prints about the outbound checks (None: nothing to
        say, their verdicts stand)."""
        if self.status is OutboundStatus.NOT_CHECKED:
            if not self.urls:
                return None
            return (f"Outbound links were not checked ({self.not_checked_because}): "
                    f"{plural(self.urls, 'outbound URL')} on "
                    f"{plural(self.hosts, 'outside host')} are neither broken nor ok in this "
                    "report.")
        if self.status is OutboundStatus.INCONCLUSIVE:
            how = " or ".join(ERROR_WORDS.get(e, e) for e in self.errors) or "no answer"
            return (f"Outbound links are inconclusive: {self.hosts_unreachable} of "
                    f"{plural(self.hosts_tried, 'outside host')} could not be reached ({how}), "
                    "so this machine seems to have no internet access. Those links are graded "
                    "unverifiable, not broken, and do not fail the gate; check them from a "
                    "machine with internet access, or pass --no-outbound.")
        return None

    def headline(self) -> str | None:
        """The note in a few words (the gate's reason)."""
        if self.note() is None:
            return None
        if self.status is OutboundStatus.NOT_CHECKED:
            return "outbound links not checked"
        return "outbound links inconclusive (no internet access), not counted"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "urls": self.urls, "hosts": self.hosts,
                "hosts_tried": self.hosts_tried, "hosts_unreachable": self.hosts_unreachable,
                "errors": list(self.errors), "note": self.note(), "headline": self.headline()}


def probes_enabled(meta: dict[str, Any]) -> bool:
    """Were outbound links probed in the crawl whose store meta this is
    (``crawl.probe.enabled``, false with ``--no-outbound``; never in list mode, which fetches
    the listed URLs only)?"""
    if meta.get("list_mode"):
        return False
    crawl = (meta.get("config") or {}).get("crawl") or {}
    return (crawl.get("probe") or {}).get("enabled", True)


def outbound_check(enabled: bool, urls: int, hosts: int,
                   tried: Iterable[tuple[str, int | None, str | None, bool]],
                   list_mode: bool = False) -> OutboundCheck:
    """Judge the outbound checks of a run as a whole.

    ``tried``: (host, status, error, redirected) of every probe sent in this run (cached
    answers are no evidence about today's network). Offline when at least
    OFFLINE_MIN_HOSTS hosts were tried and at least OFFLINE_MIN_SHARE of them never answered
    over HTTP; a host that does not resolve while others answer is still broken.
    """
    if not enabled:
        if list_mode:
            return OutboundCheck(OutboundStatus.NOT_CHECKED, urls, hosts,
                                 not_checked_because="list mode fetches the listed URLs only")
        return OutboundCheck(OutboundStatus.NOT_CHECKED, urls, hosts)
    answered: set[str] = set()
    failed: dict[str, set[str]] = {}
    for host, status, error, redirected in tried:
        if is_unreachable(status, error, redirected):
            failed.setdefault(host, set()).add(error or "")
        else:
            answered.add(host)
    unreachable = set(failed) - answered
    tried_hosts = len(answered | unreachable)
    offline = (tried_hosts >= OFFLINE_MIN_HOSTS
               and len(unreachable) >= OFFLINE_MIN_SHARE * tried_hosts)
    errors = tuple(sorted(set().union(*(failed[h] for h in unreachable)))) if unreachable else ()
    return OutboundCheck(OutboundStatus.INCONCLUSIVE if offline else OutboundStatus.CHECKED,
                         urls, hosts, tried_hosts, len(unreachable), errors,
                         frozenset(unreachable))
