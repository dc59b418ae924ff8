"""The outcome model of an outbound probe: one verdict per URL, and the reason for it.

A link is only *broken* when nobody could follow it: 404, 410, an unknown host or a refused
connection, after retries. A site that refuses robots (401, 403, 429, 999, bot walls) tells us
nothing about human visitors, so those are *unverifiable*, never broken. 5xx after retries is
its own class: the page exists but is failing now.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"      # answered 2xx after one or more redirects
    BROKEN = "broken"
    SERVER_ERROR = "server-error"
    UNVERIFIABLE = "unverifiable"
    TIMEOUT = "timeout"


BROKEN_STATUSES = frozenset({404, 410})
BROKEN_ERRORS = frozenset({"dns", "refused"})
# Worth another attempt after a pause: rate limits, overload and network trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
RETRY_ERRORS = frozenset({"timeout", "connection", "dns", "refused"})
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


def verdict_for_error(error: str) -> Verdict:
    if error in BROKEN_ERRORS:
        return Verdict.BROKEN
    if error == "timeout":
        return Verdict.TIMEOUT
    return Verdict.UNVERIFIABLE
