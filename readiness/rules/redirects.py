"""Redirect rules (RDR): chains, loops, redirects to errors, temporary and meta-refresh redirects.

A redirect is recorded by the crawl as a fetch of its own, hop by hop, so a chain is a walk
through the store (AnalysisContext.walk_redirects). A chain is reported where people enter it:
at a redirecting URL that something links to, lists in a sitemap, canonicalises to, or that
is a start URL — not again at each hop only the chain itself leads to.
"""

from __future__ import annotations

from typing import Iterator

from pydantic import Field

from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity
from readiness.rules.context import AnalysisContext, RedirectWalk
from readiness.urls import glob_matches, glob_to_regex

FAMILY = "redirects"
TEMPORARY_STATUSES = frozenset({302, 303, 307})


def chain_entries(ctx: AnalysisContext) -> Iterator[int]:
    """Redirecting URLs that something other than a redirect points at."""
    seeds = {ctx.ids.get(u) for u in ctx.meta.get("seed_urls", [])}
    for url_id in sorted(ctx.fetches):
        if not ctx.is_redirect(url_id):
            continue
        inbound = ctx.inbound(url_id)
        if url_id in seeds or inbound.link_count or inbound.sitemaps or inbound.canonicals:
            yield url_id


def hop_evidence(ctx: AnalysisContext, url_id: int, walk: RedirectWalk) -> dict:
    inbound = ctx.inbound(url_id)
    return {
        "hops": walk.hops,
        "final_url": walk.final_url,
        "final_status": walk.final_status,
        "final_error": walk.final_error,
        "fix": f"link straight to {walk.final_url}" if not walk.loop else
               "break the loop: make one URL answer 200 and point the others at it",
        **inbound.evidence(),
    }


class RedirectChain(Rule):
    """Redirect chain: a URL passes through more than one redirect before it lands.

    What it checks:
        Every redirecting URL that pages link to, sitemaps list, canonicals point at or that
        is a start URL, walked hop by hop to where it ends. More hops than ``max_hops`` is a
        chain.
    Why it matters:
        Each hop costs a round trip for the visitor a backlink sends and a crawl request for
        search engines; Google stops following after a handful of hops, and link equity
        passed through long chains is at risk.
    Example:
        /old-offer -> /offer (301) -> /offers/ (301) -> /offers/spring (200).
    How to fix:
        Point every link (and the first redirect) straight at the final URL, so the chain
        becomes a single hop or no redirect at all.
    Known false positives:
        http->https followed by a trailing-slash fix on an old external backlink is common and
        harmless when it is two hops; raise ``max_hops`` to 2 if you accept those.
    """

    code = "RDR001"
    name = "redirect-chain"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    class Options(RuleOptions):
        max_hops: int = Field(1, ge=1, description="Most redirects a URL may pass through.")

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id in chain_entries(ctx):
            walk = ctx.walk_redirects(url_id)
            if walk.loop or len(walk.hops) <= self.options.max_hops:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id],
                f"redirects {len(walk.hops)} times before reaching {walk.final_url}",
                hop_evidence(ctx, url_id, walk), weight=inbound.total)


class RedirectLoop(Rule):
    """Redirect loop: following the redirects comes back to a URL already passed.

    What it checks:
        Redirect walks that revisit a URL, whatever the loop's length.
    Why it matters:
        Nobody reaches any page: browsers show an error, search engines drop the URLs, and
        every backlink pointing into the loop is wasted.
    Example:
        /a -> /b (301) -> /a (301).
    How to fix:
        Decide which URL should answer 200, make it do so, and redirect the others to it
        in one hop.
    Known false positives:
        None: a loop that depends on cookies (a login redirect) still loops for crawlers.
    """

    code = "RDR002"
    name = "redirect-loop"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        reported: set[frozenset[str]] = set()
        for url_id in chain_entries(ctx):
            walk = ctx.walk_redirects(url_id)
            if not walk.loop:
                continue
            loop_urls = frozenset(h["url"] for h in walk.hops)
            if loop_urls in reported:
                continue
            reported.add(loop_urls)
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id],
                f"redirect loop through {len(loop_urls)} URLs: "
                + " -> ".join(h["url"] for h in walk.hops) + f" -> {walk.final_url}",
                hop_evidence(ctx, url_id, walk), subject="|".join(sorted(loop_urls)),
                weight=inbound.total)


class RedirectToError(Rule):
    """Redirect to an error: a redirect ends on a page that is missing or failing.

    What it checks:
        Redirect walks whose final URL answers 4xx or 5xx, gives no response, or (for
        redirects leaving the site) was judged broken or failing by the outbound probe.
    Why it matters:
        A visitor following a backlink into this redirect lands on an error page: the
        redirect keeps the link alive in appearance only.
    Example:
        /team/dr-smith -> /team/smith (301) -> 404.
    How to fix:
        Redirect to a live, relevant page (or restore the target), and update the links.
    Known false positives:
        A target that failed only during the crawl (a transient 503); re-crawl to confirm.
        The failing target is reported here, as ``final_url`` in the evidence, and not again
        as a broken page (STS001/STS002/STS004) unless something other than redirects points
        at it too.
    """

    code = "RDR003"
    name = "redirect-to-error"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id in chain_entries(ctx):
            walk = ctx.walk_redirects(url_id)
            if walk.loop or walk.unresolved:
                continue
            status, error = walk.final_status, walk.final_error
            if (status is not None and status >= 400) or (status is None and error):
                outcome = f"answers {status}" if status is not None else f"fails ({error})"
                inbound = ctx.inbound(url_id)
                yield self.finding(
                    ctx.urls[url_id], f"redirects to {walk.final_url}, which {outcome}",
                    hop_evidence(ctx, url_id, walk), weight=inbound.total)


class TemporaryRedirect(Rule):
    """Temporary redirect: a 302, 303 or 307 where a permanent move (301/308) is meant.

    What it checks:
        Redirect responses with a temporary status at any hop of a chain that starts at a
        URL pages link to, sitemaps list, canonicals point at or that is a start URL, unless
        the redirecting URL matches ``allow``. A hop several chains share is reported once.
    Why it matters:
        Search engines keep the old URL indexed and may not pass the backlink's value to the
        new one while the redirect says "temporary".
    Example:
        /services/implants -> /services/dental-implants (302).
    How to fix:
        Use 301 (or 308) for moves that are meant to last; keep 302/307 only for genuinely
        temporary detours and list those under ``allow``.
    Known false positives:
        Login, language-negotiation and A/B-test redirects are temporary on purpose.
    """

    code = "RDR004"
    name = "temporary-redirect"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    class Options(RuleOptions):
        allow: list[str] = Field(default_factory=list,
                                 description="URL globs where temporary redirects are intended.")

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        allowed = glob_to_regex(self.options.allow)
        reported: set[str] = set()
        for url_id in chain_entries(ctx):
            walk = ctx.walk_redirects(url_id)
            for hop in walk.hops:
                if hop["status"] not in TEMPORARY_STATUSES or hop["url"] in reported:
                    continue
                if glob_matches(allowed, hop["url"]):
                    continue
                reported.add(hop["url"])
                inbound = ctx.inbound(ctx.ids[hop["url"]])
                yield self.finding(
                    hop["url"], f"temporary redirect ({hop['status']}) to {hop['location']}; "
                    "use 301 if the move is permanent",
                    {"hops": walk.hops, "fix": "answer 301 (or 308) instead", **inbound.evidence()},
                    weight=inbound.total)


class MetaRefreshRedirect(Rule):
    """Meta-refresh redirect: a page sends visitors on with <meta http-equiv="refresh">.

    What it checks:
        HTML pages whose meta refresh names a URL to go to.
    Why it matters:
        Meta refreshes are slow for visitors, treated as weaker signals than HTTP redirects,
        and confuse tools and crawlers that do not run them.
    Example:
        <meta http-equiv="refresh" content="0; url=/new-page">
    How to fix:
        Replace the page with a server-side 301 redirect to the target.
    Known false positives:
        Refreshes that reload the same page (no url=) are not reported.
    """

    code = "RDR005"
    name = "meta-refresh-redirect"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, page in ctx.html_pages():
            refresh = page.meta_refresh
            if not refresh or "url=" not in refresh.lower():
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], f"meta refresh redirect ({refresh.strip()})",
                {"meta_refresh": refresh, "fix": "use a 301 redirect", **inbound.evidence()},
                weight=inbound.total)
