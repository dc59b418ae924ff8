"""Outbound link rules (LNK): links from the site's pages to other sites, judged by the probe,
and links whose href is no URL at all (LNK007).

Stage 2 probes every distinct outbound URL once and stores one verdict for it (see
readiness/probe/verdicts.py for what makes a link broken rather than unverifiable). A rule
reports one finding per outbound URL, listing every page of the site that links to it; an
outbound URL that only a redirect leads to is RDR003's business, not a link finding.
"""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field

from readiness.probe.verdicts import Verdict
from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity, plural
from readiness.rules.context import EVIDENCE_LIMIT, AnalysisContext, Inbound, JudgedProbe
from readiness.store.records import FetchOutcome
from readiness.urls import glob_matches, glob_to_regex

FAMILY = "links"
# Link elements that make a browser fetch or open the URL (rel=preconnect/dns-prefetch only
# warm up a connection, so they carry no URL a visitor could meet over plain http).
INSECURE_ELEMENTS = frozenset({"a", "area", "iframe", "img", "script", "link"})
CONNECTION_HINT_RELS = frozenset({"preconnect", "dns-prefetch"})
# Elements that load a resource into the page: over http on an https page, mixed content.
EMBED_ELEMENTS = frozenset({"iframe", "img", "script", "link"})
NETWORK_ERROR_WORDS = {
    FetchOutcome.DNS: "host does not resolve",
    FetchOutcome.REFUSED: "connection refused",
    FetchOutcome.TIMEOUT: "no answer in time",
    FetchOutcome.TLS: "TLS (https) handshake fails",
    FetchOutcome.CONNECTION: "connection drops before a full response",
    FetchOutcome.TOO_LARGE: "response bigger than the size limit",
    FetchOutcome.REDIRECT_LOOP: "redirects in a loop",
    FetchOutcome.TOO_MANY_REDIRECTS: "too many redirects",
    # Refused before sending (readiness.crawl.addresses): graded unverifiable, never broken.
    FetchOutcome.PRIVATE_ADDRESS: "not checked: private address (crawl.allow_private "
                                  "lets the crawl reach it)",
}


def probe_evidence(probe: JudgedProbe) -> dict[str, Any]:
    evidence = {
        "verdict": probe.verdict, "status": probe.status, "error": probe.error,
        "hops": probe.hops or [],
        "final_url": probe.final_url, "attempts": probe.attempts,
        "method": probe.method, "cached": bool(probe.cached),
    }
    if probe.inconclusive:  # the runner was offline (AnalysisContext.outbound)
        evidence.update(inconclusive=True, probed_verdict=probe.probed_verdict)
    return evidence


def linked_probes(ctx: AnalysisContext,
                  verdict: Verdict) -> Iterator[tuple[int, JudgedProbe, Inbound]]:
    """(url id, probe, inbound) of outbound URLs with ``verdict`` that site pages link to."""
    for url_id in sorted(ctx.probes):
        probe = ctx.probes[url_id]
        if probe.verdict != verdict or ctx.is_internal(url_id) or url_id not in ctx.link_counts:
            continue
        yield url_id, probe, ctx.inbound(url_id)


def outcome_words(probe: JudgedProbe) -> str:
    """What the probe met, in plain words: "answers 404", "host does not resolve"."""
    status, error = probe.status, probe.error
    if error in (FetchOutcome.REDIRECT_LOOP, FetchOutcome.TOO_MANY_REDIRECTS):
        return NETWORK_ERROR_WORDS[error]
    if error:
        what = NETWORK_ERROR_WORDS.get(error, f"fails ({error})")
    elif status is not None and 300 <= status < 400:
        what = f"answers {status} without a usable Location"
    elif status is not None:
        what = f"answers {status}" + (" (gone)" if status == 410 else "")
    else:
        what = "gives no usable answer"
    if probe_evidence(probe)["hops"] and probe.final_url:
        joiner = ", which " if what.startswith("answers") else ": "
        return f"redirects to {probe.final_url}{joiner}{what}"
    return what


def linked_from(inbound: Inbound) -> str:
    return f"linked from {plural(inbound.source_pages, 'page')}"


class BrokenOutboundLink(Rule):
    """Broken outbound link: a page links to another site's URL that is gone.

    What it checks:
        Outbound URLs the probe judged broken after its retries: 404 or 410, a host that does
        not resolve, a refused connection, a redirect loop, or a redirect without a usable
        Location. One finding per URL, listing every page of the site that links to it.
    Why it matters:
        Dead links tell visitors and the site owners you ask for links that nobody maintains
        the site; a page full of them is a weaker candidate for a link, and visitors lose the
        trail they were following.
    Example:
        /resources links to https://dental-association.example/guide.pdf, which answers 404.
    How to fix:
        Link to the resource's new address, to an archived copy, or remove the link.
    Known false positives:
        A host that was down or whose DNS failed only during the crawl; re-crawl to confirm.
        When (nearly) every outside host fails to resolve or connect, the machine is offline,
        not the links: those are graded unverifiable (LNK002) and the verdict says so once.
        Sites answering 404 to robots while serving people are rare but exist. A 401, 403,
        429 or bot wall is never called broken (that is LNK002).
    """

    code = "LNK001"
    name = "broken-outbound-link"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, probe, inbound in linked_probes(ctx, Verdict.BROKEN):
            yield self.finding(
                ctx.urls[url_id], f"{outcome_words(probe)}; {linked_from(inbound)}",
                {**probe_evidence(probe),
                 "fix": "link to the resource's new address or an archived copy, or remove "
                        "the link", **inbound.evidence()},
                weight=inbound.total)


class UnverifiableOutboundLink(Rule):
    """Unverifiable outbound link: another site refused the checker, so a person must look.

    What it checks:
        Outbound URLs that answered 401, 403, 429 or 999, sat behind a bot wall (Cloudflare
        challenge and the like), or failed in a way a browser may get past (TLS, a dropped
        connection). These say nothing about what a visitor sees. On a machine that reached
        (nearly) no outside host (at least 3 hosts tried, 90% of them unresolved, refused or
        silent: an offline CI runner), the links to those hosts are reported here too, never
        above notice, instead of as broken or timed out.
    Why it matters:
        Most of these links work in a browser, but some are dead behind the wall. Knowing
        which ones to check by hand keeps the link audit honest.
    Example:
        /about links to https://www.linkedin.com/in/dr-smith, which answers 999 to robots.
    How to fix:
        Open the URL in a browser. If it works, accept the finding (``accept:``); if not,
        fix or remove the link.
    Known false positives:
        Most of them: that is why this is a notice. Social networks (LinkedIn, Instagram,
        Facebook) refuse every robot. An offline runner's links are usually fine: check them
        from a machine with internet access, or crawl with ``--no-outbound``.
    """

    code = "LNK002"
    name = "unverifiable-outbound-link"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.EXPERIENCE

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, probe, inbound in linked_probes(ctx, Verdict.UNVERIFIABLE):
            status, error = probe.status, probe.error
            if probe.inconclusive:
                # Said once in the verdict (summary.outbound); here only what this URL met.
                yield self.finding(
                    ctx.urls[url_id],
                    f"not verified: {NETWORK_ERROR_WORDS.get(error, error)}, like (nearly) "
                    f"every outside host from this machine; {linked_from(inbound)}",
                    {**probe_evidence(probe),
                     "fix": "check it from a machine with internet access",
                     **inbound.evidence()},
                    weight=inbound.total, at_most=Severity.NOTICE)
                continue
            refused = (f"answers {status} to automated checks" if status is not None
                       else NETWORK_ERROR_WORDS.get(error, f"could not be checked ({error})"))
            yield self.finding(
                ctx.urls[url_id],
                f"{refused}; a person should check it in a browser; {linked_from(inbound)}",
                {**probe_evidence(probe),
                 "fix": "open it in a browser; accept the finding if it works, fix or remove "
                        "the link if not", **inbound.evidence()},
                weight=inbound.total)


class OutboundLinkServerError(Rule):
    """Outbound link server error: another site's page answers 5xx after retries.

    What it checks:
        Outbound URLs that still answered 500–599 after the probe's retries (with backoff,
        honouring Retry-After).
    Why it matters:
        The page exists but fails: visitors following the link meet an error. If it lasts,
        the link is as good as broken.
    Example:
        /insurance links to https://insurer.example/claims, which answers 502.
    How to fix:
        Check it again in a few days; if it still fails, link elsewhere or remove the link.
    Known false positives:
        Momentary outages during the crawl. Some bot walls answer 503 without a telltale
        header; those read as server errors.
    """

    code = "LNK003"
    name = "outbound-link-server-error"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, probe, inbound in linked_probes(ctx, Verdict.SERVER_ERROR):
            yield self.finding(
                ctx.urls[url_id],
                f"{outcome_words(probe)} after {plural(probe.attempts, 'attempt')}; "
                f"{linked_from(inbound)}",
                {**probe_evidence(probe),
                 "fix": "check again later; if it keeps failing, link elsewhere or remove the "
                        "link", **inbound.evidence()},
                weight=inbound.total)


class OutboundLinkTimeout(Rule):
    """Outbound link timeout: another site's URL does not answer in time.

    What it checks:
        Outbound URLs that did not answer within ``crawl.probe.timeout`` on any attempt.
    Why it matters:
        Visitors following the link wait and give up; a host that never answers is often a
        site that is gone.
    Example:
        /partners links to http://old-lab.example/, which never answers.
    How to fix:
        Open it in a browser; if it does not load, link elsewhere or remove the link.
    Known false positives:
        Slow hosts and networks that drop traffic from the crawling machine's address;
        re-crawl with a larger ``crawl.probe.timeout`` to confirm.
    """

    code = "LNK004"
    name = "outbound-link-timeout"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, probe, inbound in linked_probes(ctx, Verdict.TIMEOUT):
            yield self.finding(
                ctx.urls[url_id],
                f"does not answer in time ({plural(probe.attempts, 'attempt')}); "
                f"{linked_from(inbound)}",
                {**probe_evidence(probe),
                 "fix": "open it in a browser; if it does not load, link elsewhere or remove "
                        "the link", **inbound.evidence()},
                weight=inbound.total)


def is_https_upgrade(url: str, final_url: str | None) -> bool:
    """http://host/path -> https://host/path and nothing else changed."""
    if not final_url:
        return False
    before, after = urlsplit(url), urlsplit(final_url)
    return (before.scheme == "http" and after.scheme == "https"
            and (before.netloc, before.path, before.query)
            == (after.netloc, after.path, after.query))


class OutboundLinkToRedirect(Rule):
    """Outbound link to a redirect: a link to another site lands somewhere else after redirects.

    What it checks:
        Outbound URLs that answered 2xx only after one or more redirects. The evidence lists
        each hop and the final URL; a plain upgrade from http:// to https:// on the same
        address is named as such.
    Why it matters:
        Redirected links are slower for visitors and are the first stage of link rot: the
        target has moved once already. Linking straight to the final URL keeps the link
        working when the old address is dropped.
    Example:
        /links points to http://health.example/advice, which redirects (301) to
        https://www.health.example/advice/.
    How to fix:
        Link to the final URL.
    Known false positives:
        Redirects that depend on who asks: consent pages, language or country selection,
        login walls. Persistent identifiers (DOI, handle.net) are meant to redirect and are
        allowed by default; add link shorteners and the like to ``allow``.
    """

    code = "LNK005"
    name = "outbound-link-to-redirect"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.EXPERIENCE

    class Options(RuleOptions):
        allow: list[str] = Field(
            default_factory=lambda: ["*://doi.org/*", "*://dx.doi.org/*", "*://hdl.handle.net/*"],
            description="URL globs of outbound links that are meant to redirect (persistent "
                        "identifiers, shorteners).")

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        allowed = glob_to_regex(self.options.allow)
        for url_id, probe, inbound in linked_probes(ctx, Verdict.REDIRECTED):
            url = ctx.urls[url_id]
            if glob_matches(allowed, url):
                continue
            evidence = probe_evidence(probe)
            final_url = probe.final_url
            if is_https_upgrade(url, final_url):
                what = f"redirects to {final_url} (an upgrade to https)"
            else:
                what = f"redirects to {final_url} ({plural(len(evidence['hops']), 'hop')})"
            yield self.finding(
                url, f"{what}; {linked_from(inbound)}; link to the final URL",
                {**evidence, "https_upgrade": is_https_upgrade(url, final_url),
                 "fix": f"link straight to {final_url}", **inbound.evidence()},
                weight=inbound.total)


class InsecureOutboundLink(Rule):
    """Insecure outbound link: an https page links to, or loads, another site over plain http.

    What it checks:
        Links (<a>, <area>) and embedded resources (<iframe>, <img>, <script>, <link>) on the
        site's https pages whose URL on another site starts with http://. One finding per
        URL, listing the https pages that use it. Connection hints (rel=preconnect,
        dns-prefetch) are not counted.
    Why it matters:
        Embedded http resources are mixed content: browsers block scripts and frames and may
        flag the page as not secure. Plain http links send visitors somewhere that can be
        tampered with and, from a secure page, look careless to anyone judging the site.
    Example:
        https://clinic.example/contact embeds http://maps.example/embed?id=1 in an <iframe>.
    How to fix:
        Use the https:// address (the evidence shows when the probe found the http address
        upgrading to https); if the other site has no https version, consider another source.
    Known false positives:
        Sites that really have no https version: the link may still be the right one to keep;
        accept the finding. Pages crawled through ``crawl.host_map`` are judged by the
        production address they stand for.
    """

    code = "LNK006"
    name = "insecure-outbound-link"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.EXPERIENCE

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        elements: set[str] = set()  # of every counted edge, not only those listed

        def from_secure_page(edge: dict[str, Any]) -> bool:
            if edge["element"] not in INSECURE_ELEMENTS:
                return False
            rels = set((edge["rel"] or "").split())
            if edge["element"] == "link" and rels & CONNECTION_HINT_RELS:
                return False
            if not ctx.normalizer.unmap_host(edge["source"]).startswith("https://"):
                return False
            elements.add(edge["element"])
            return True

        # Linked outbound http:// URLs (link_counts: every URL a page links to).
        targets = sorted(url_id for url_id in ctx.link_counts if not ctx.is_internal(url_id)
                         and ctx.urls[url_id][:7].lower() == "http://")
        for url_id in targets:
            if ctx.normalizer.unmap_host(ctx.urls[url_id]).startswith("https://"):
                continue  # a local stand-in (host map) for an https site
            elements.clear()
            inbound = ctx.inbound_where(url_id, from_secure_page)
            if not inbound.link_count:
                continue
            url = ctx.urls[url_id]
            embedded = sorted(elements & EMBED_ELEMENTS)
            pages = plural(inbound.source_pages, "https page")
            if embedded:
                message = (f"loaded over plain http by {pages} "
                           f"(mixed content: {', '.join(embedded)})")
            else:
                message = f"linked over plain http from {pages}"
            probe = ctx.probes.get(url_id)
            evidence: dict[str, Any] = {"elements": sorted(elements)}
            secure = urlunsplit(("https",) + tuple(urlsplit(url))[1:])
            fix = f"use {secure} if the other site serves it, or link elsewhere"
            if probe is not None:
                evidence.update(probe_evidence(probe))
                if is_https_upgrade(url, probe.final_url):
                    fix = f"use {probe.final_url}: the http address redirects there"
            yield self.finding(url, message, {**evidence, "fix": fix, **inbound.evidence()},
                               weight=inbound.total)


def malformed_reason(raw: str) -> str:
    """Why a browser cannot follow ``raw``, in plain words (the normaliser found no URL)."""
    try:
        parts = urlsplit(raw)
    except ValueError:  # urlsplit's only complaint: a bracketed host that is no IPv6 address
        return "its IPv6 address is not valid"
    if not parts.hostname:
        return "it has no host name"
    try:
        parts.port  # noqa: B018 - the property raises for a port that is not a number
    except ValueError:
        return "its port is not a number from 0 to 65535"
    if " " in unquote(parts.hostname):
        return "its host name contains a space"
    return "its host name contains a character browsers refuse"


class MalformedLink(Rule):
    """Malformed link: a link whose href is not a URL anybody can follow.

    What it checks:
        Links (any element: <a>, <img>, <script> …) on the site's pages whose href cannot be
        resolved to a URL: ``https://`` with no host, ``http://localhost:port/`` with a port
        that is not a number, ``http://exa mple.com`` with a space or another character
        browsers refuse in the host name, a broken IPv6 address. One finding per href,
        on the first page (by URL) that has it, listing every page with it. Other schemes
        (``mailto:``, ``tel:``, ``javascript:``, ``data:``) and fragments are links, not
        malformed ones.
    Why it matters:
        Visitors clicking it get an error page or nothing at all, and crawlers drop it
        silently: whatever it was meant to point at gets no visit and no link value. It is
        usually a template placeholder or a typo that nobody noticed.
    Example:
        /team links to ``http://localhost:port/booking``, a development address left in the
        template.
    How to fix:
        Put the intended absolute URL in the href, or remove the link.
    Known false positives:
        Links that a script rewrites in the browser before anybody can click them: the
        crawler reads the HTML as served.
    """

    code = "LNK007"
    name = "malformed-link"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        by_raw: dict[str, list[dict[str, Any]]] = {}
        for link in ctx.links(target="none"):
            by_raw.setdefault(link.raw, []).append({
                "source": ctx.urls[link.source_id], "anchor": link.anchor,
                "element": link.element, "region": link.region})
        for raw in sorted(by_raw):
            edges = sorted(by_raw[raw], key=lambda edge: (edge["source"], edge["element"]))
            pages = sorted({edge["source"] for edge in edges})
            also = f" (and on {plural(len(pages) - 1, 'other page')})" if len(pages) > 1 else ""
            yield self.finding(
                pages[0], f"links to {raw!r}, which is not a URL: {malformed_reason(raw)}{also}",
                {"raw": raw, "reason": malformed_reason(raw), "pages": pages[:EVIDENCE_LIMIT],
                 "page_count": len(pages), "inbound_links": edges[:EVIDENCE_LIMIT],
                 "inbound_link_count": len(edges),
                 "fix": "put the intended absolute URL in the href, or remove the link"},
                subject=raw, weight=len(edges))
