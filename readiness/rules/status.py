"""Status rules (STS): the site's own URLs that answer an error, fail, or are linked as redirects.

A failing URL matters as far as something still points at it: a link, a sitemap entry, a
redirect, a canonical (AnalysisContext.inbound) or the start URL itself. A URL nothing points
at any more is left alone, however it answers: nobody, visitor or crawler, is sent there.
A URL that only redirects point at is reported once, on the redirect people enter (RDR003).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Callable, Iterator

from readiness.rules.base import Finding, LinkImpact, Rule, Severity, plural
from readiness.rules.context import AnalysisContext, Inbound
from readiness.store.records import NETWORK_ERRORS, Fetch, FetchOutcome, ParseOutcome

FAMILY = "status"
GONE_STATUSES = frozenset({404, 410})
# Link elements a person clicks through to a page (the crawl follows the same ones).
PAGE_ELEMENTS = frozenset({"a", "area", "iframe"})
# What each network error class means, in words a site owner can act on.
NO_RESPONSE_WORDS = {
    FetchOutcome.DNS: "its host does not resolve (DNS)",
    FetchOutcome.REFUSED: "the connection is refused",
    FetchOutcome.TIMEOUT: "it does not answer in time",
    FetchOutcome.TLS: "the TLS (https) handshake fails",
    FetchOutcome.CONNECTION: "the connection drops before a full response",
    FetchOutcome.TOO_LARGE: ("its response is bigger than the crawl's size limit "
                             "(crawl.max_page_bytes)"),
    FetchOutcome.ERROR: "the request fails",
}


def status_words(status: int) -> str:
    """``404`` -> "answers 404 (not found)"."""
    try:
        return f"answers {status} ({HTTPStatus(status).phrase.lower()})"
    except ValueError:
        return f"answers {status}"


def reference_words(inbound: Inbound, start_url: bool = False, list_mode: bool = False) -> str:
    """"still linked from 3 pages, listed in 1 sitemap" — every kind of reference, counted;
    a start URL of a list-mode crawl is one of the listed URLs."""
    parts = []
    if inbound.link_count:
        parts.append(f"linked from {plural(inbound.source_pages, 'page')}")
    if inbound.sitemaps:
        parts.append(f"listed in {plural(len(inbound.sitemaps), 'sitemap')}")
    if inbound.redirects:
        parts.append(f"the target of {plural(len(inbound.redirects), 'redirect')}")
    if inbound.canonicals:
        parts.append(f"named canonical by {plural(len(inbound.canonicals), 'page')}")
    if start_url:
        return ", ".join(["a listed URL" if list_mode else "a start URL"] + parts)
    return "still " + ", ".join(parts)


def start_ids(ctx: AnalysisContext) -> set[int]:
    seeds = {ctx.ids.get(url) for url in ctx.meta.get("seed_urls", [])}
    seeds.update(url_id for url_id, fetch in ctx.fetches.items()
                 if fetch.discovered_by == "start")
    seeds.discard(None)
    return seeds


def live_inbound(ctx: AnalysisContext, url_id: int) -> Inbound:
    """inbound(), counting only links from pages that answered 200.

    The crawl records links from 200 pages only; the check keeps error pages (a custom 404
    template's navigation, say) from ever counting as "still linked".
    """
    return ctx.inbound_where(url_id, lambda edge: ctx.status(ctx.ids[edge["source"]]) == 200)


def reached_only_through_redirects(inbound: Inbound, start_url: bool) -> bool:
    """Nothing but redirects points at the URL: RDR003 reports it where those redirects are
    entered (the link, sitemap entry or start URL), with this URL as its ``final_url``."""
    return bool(inbound.redirects) and not (
        start_url or inbound.link_count or inbound.sitemaps or inbound.canonicals)


def referenced_fetches(
        ctx: AnalysisContext, select: Callable[[Fetch], bool],
) -> Iterator[tuple[int, Fetch, Inbound, bool]]:
    """(url id, fetch, inbound, is start URL) of internal fetches ``select`` picks that a link,
    sitemap or canonical points at, or that are start URLs. A failing URL reached only through
    redirects is left out: it is one problem, reported once, where the link points (RDR003)."""
    seeds = start_ids(ctx)
    for url_id in sorted(ctx.fetches):
        fetch = ctx.fetches[url_id]
        if not ctx.is_internal(url_id) or not select(fetch):
            continue
        inbound = live_inbound(ctx, url_id)
        start = url_id in seeds
        if (inbound.total or start) and not reached_only_through_redirects(inbound, start):
            yield url_id, fetch, inbound, start


def fetch_evidence(fetch: Fetch, inbound: Inbound, start_url: bool) -> dict[str, Any]:
    return {
        "status": fetch.status, "error": fetch.error, "error_detail": fetch.error_detail,
        # Not fetches.discovered_by: a URL linked and listed in a sitemap is "link" or
        # "sitemap" by which was read first; the inbound lists below name every way in.
        "retries": fetch.retries, "start_url": start_url, **inbound.evidence(),
    }


class BrokenInternalPage(Rule):
    """Broken internal page: a site URL answers 404 or 410 while something still points at it.

    What it checks:
        Site URLs that answered 404 (not found) or 410 (gone) and are still referenced: linked
        from pages that answered 200, listed in a sitemap, named as canonical, or a start URL
        (redirects pointing at it are listed too). Every reference is listed in the evidence;
        findings rank by how many there are. A URL that only redirects point at is reported
        once, where the redirect is linked, by RDR003 (redirect-to-error). A URL a backlink
        export names is also BKL001 (backlinked-page-dead), which lists these references
        too: each rule can be disabled or scoped on its own, so neither leaves the dead page
        to the other.
    Why it matters:
        Visitors sent by a link land on an error page and leave, search engines drop the URL,
        and whatever value backlinks to it carried is lost. Prospects you ask for links check
        the site first; dead links read as a neglected site.
    Example:
        /team/dr-jones answers 404 and is still linked from the footer of 40 pages and
        listed in sitemap.xml.
    How to fix:
        Restore the page, or 301-redirect the URL to the closest live page; then update the
        links and remove the URL from the sitemap.
    Known false positives:
        A URL that answers 404 only now and then (a flaky CMS) — re-crawl to confirm. URLs
        nothing points at are not reported, so a 404 reached only through hreflang or a meta
        refresh is left to those rules. URLs never fetched (blocked by robots.txt, excluded,
        beyond the crawl limits) are never called broken.
    """

    code = "STS001"
    name = "broken-internal-page"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, fetch, inbound, start in referenced_fetches(
                ctx, lambda fetch: fetch.status in GONE_STATUSES):
            yield self.finding(
                ctx.urls[url_id],
                f"answers {fetch.status} and is {reference_words(inbound, start, ctx.list_mode)}",
                {**fetch_evidence(fetch, inbound, start),
                 "fix": "restore the page or 301-redirect it to the closest live page, "
                        "then update the links and sitemaps"},
                # A start URL is where backlinks point: it counts as a reference of its own.
                weight=inbound.total + int(start))


class InternalServerError(Rule):
    """Internal server error: a site URL answers 5xx or gives no response at all.

    What it checks:
        Site URLs that something points at (links, sitemaps, redirects, canonicals, start URLs)
        which answered 500–599 after the crawl's retries, or gave no response: the host did not
        resolve, the connection was refused, dropped or timed out, TLS failed, or the response
        exceeded ``crawl.max_page_bytes``. A URL only redirects point at is reported where the
        redirect is linked, by RDR003.
    Why it matters:
        A page that fails for the crawler fails for the visitors a backlink sends, and search
        engines that meet repeated 5xx answers slow down crawling and eventually drop the URL.
    Example:
        /book-online answers 503 and is linked from 12 pages.
    How to fix:
        Check the server's error log for the URL and fix the cause; re-crawl to confirm. For
        a too-large response, make the page smaller (or, for a big download, exclude it).
    Known false positives:
        Failures that were momentary (a deploy, an overloaded host during the crawl) — lower
        ``crawl.concurrency`` and re-crawl. A large download (PDF, video) over
        ``crawl.max_page_bytes`` is readiness's own cut-off, not a server fault: those findings
        are reported at warning at most, and can be excluded.
    """

    code = "STS002"
    name = "internal-server-error"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, fetch, inbound, start in referenced_fetches(ctx, _fails):
            status, error = fetch.status, fetch.error
            outcome = status_words(status) if status is not None else NO_RESPONSE_WORDS.get(
                error, f"the request fails ({error})")
            # Our size limit, not necessarily the server's fault.
            cap = Severity.WARNING if error == FetchOutcome.TOO_LARGE else None
            yield self.finding(
                ctx.urls[url_id], f"{outcome}; it is {reference_words(inbound, start, ctx.list_mode)}",
                {**fetch_evidence(fetch, inbound, start),
                 "fix": "find the cause in the server's error log, then re-crawl to confirm"},
                weight=inbound.total + int(start), at_most=cap)


def _fails(fetch: Fetch) -> bool:
    status = fetch.status
    if status is not None:
        return 500 <= status < 600
    return fetch.fetched and fetch.error in NETWORK_ERRORS


# Network errors that mean nobody is there (as for outbound links): a timeout, a TLS failure or
# our own size limit says the URL may well work for a visitor.
DEAD_ERRORS = frozenset({FetchOutcome.DNS, FetchOutcome.REFUSED})


def is_dead(fetch: Fetch) -> bool:
    """The URL is gone or failing for everyone: 404/410 (STS001), 5xx, or no host / no server
    (STS002's DNS and refused): what a redirect map sends elsewhere."""
    return fetch.status in GONE_STATUSES or (
        _fails(fetch) and (fetch.status is not None or fetch.error in DEAD_ERRORS))


class InternalLinkToRedirect(Rule):
    """Internal link to a redirect: the site's own pages link to a URL that redirects.

    What it checks:
        Clickable links (<a>, <area>, <iframe>) on the site's pages whose target is a site URL
        that redirects, even in a single hop. One finding per redirecting URL, listing the
        linking pages with their anchor texts, the hops and the final URL. Redirect chains as
        such are RDR001; redirects that loop or end on an error are RDR002 and RDR003, so
        they are not repeated here.
    Why it matters:
        Every click and every crawl of those links costs an extra round trip, and internal
        links pointing at the real URL are one of the clearest signals of which URL is the
        page. Old URLs left in the navigation also keep redirects alive that nobody needs.
    Example:
        The menu links to /services, which redirects (301) to /services/ on every page.
    How to fix:
        Update the links to point at the final URL.
    Known false positives:
        Redirects that are meant to stay: login redirects (/account -> /login), language
        negotiation on the home page, or /go/ links that forward to partners. Exclude them with
        the rule's ``exclude`` globs.
    """

    code = "STS003"
    name = "internal-link-to-redirect"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id in sorted(ctx.fetches):
            if url_id not in ctx.link_counts or not ctx.is_internal(url_id) \
                    or not ctx.is_redirect(url_id):
                continue
            walk = ctx.walk_redirects(url_id)
            if walk.loop or (walk.final_status is not None and walk.final_status >= 400) or (
                    walk.final_status is None and walk.final_error in NETWORK_ERRORS):
                continue
            inbound = ctx.inbound_where(url_id, lambda edge: edge["element"] in PAGE_ELEMENTS)
            if not inbound.link_count:
                continue
            first = walk.hops[0]
            how = (f"redirects ({first['status']}) to {walk.final_url}" if len(walk.hops) == 1
                   else f"redirects {len(walk.hops)} times before reaching {walk.final_url}")
            yield self.finding(
                ctx.urls[url_id],
                f"linked from {plural(inbound.source_pages, 'page')} but {how}",
                {"hops": walk.hops, "final_url": walk.final_url,
                 "final_status": walk.final_status, "final_error": walk.final_error,
                 "fix": f"update the links to point at {walk.final_url}", **inbound.evidence()},
                weight=inbound.total)


class InternalClientError(Rule):
    """Internal client error: a site URL answers a 4xx other than 404/410 while it is linked.

    What it checks:
        Site URLs that something points at (links, sitemaps, redirects, canonicals, start URLs)
        and that answered 400, 401, 403, 405, 429 or any other 4xx except 404 and 410, which
        are STS001. A URL only redirects point at is reported where the redirect is linked, by
        RDR003.
    Why it matters:
        Visitors and crawlers following those links are refused. A 401/403 behind a public link
        looks broken to everyone without an account, and search engines treat such URLs like
        missing pages.
    Example:
        /patient-forms answers 403 and is linked from the main menu.
    How to fix:
        Make the URL answer 200 for everyone, or, if it is private on purpose, stop linking to
        it from public pages and drop it from the sitemap. A 429 means the server rate-limited
        the crawl: if visitors never see it, re-crawl slower (``crawl.delay``).
    Known false positives:
        Member areas behind a login are private on purpose; exclude them. A firewall that
        blocks the crawler answers 403 or 429 everywhere: allow readiness's user agent and
        re-crawl.
    """

    code = "STS004"
    name = "internal-client-error"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.DEAD_END

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, fetch, inbound, start in referenced_fetches(
                ctx, lambda fetch: fetch.status is not None and 400 <= fetch.status < 500
                and fetch.status not in GONE_STATUSES):
            status = fetch.status
            if status == 429:
                fix = ("the server rate-limited the crawl: re-crawl with a larger crawl.delay; "
                       "if visitors are refused too, relax the rate limit")
            elif status in (401, 403):
                fix = ("open the page to everyone, or stop linking to it from public pages and "
                       "drop it from the sitemap")
            else:
                fix = "make the URL answer 200, or point the links at a URL that does"
            yield self.finding(
                ctx.urls[url_id],
                f"{status_words(status)} and is {reference_words(inbound, start, ctx.list_mode)}",
                {**fetch_evidence(fetch, inbound, start), "fix": fix},
                weight=inbound.total + int(start))


class PageTooComplexToParse(Rule):
    """Page too complex to parse: a site page answered 200 but could not be parsed in bounded time.

    What it checks:
        Site pages the crawl fetched (200 HTML) and recorded as too complex to parse: an
        element carrying over a thousand attributes (a linear check of the text, before any
        parser), or a page a parse worker had not finished by ``crawl.parse_timeout``. The
        page's status and headers are stored; its title, links and content are not.
    Why it matters:
        Browsers may cope, but crawlers give up on such pages: they bound the time and memory
        they spend on one page, and what they do not parse they neither index nor follow.
        Often the markup is generated by a bug (an attribute written once per loop turn).
    Example:
        /gallery has one <div> with 100,000 attributes.
    How to fix:
        Find what generates the element (the reason names it) and fix the template or the
        plug-in; re-crawl to confirm the page is parsed.
    Known false positives:
        A page that is merely huge and slow to parse on a busy machine can pass the deadline:
        raise ``crawl.parse_timeout`` and re-crawl.
    """

    code = "STS005"
    name = "page-too-complex-to-parse"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        return unparsed_pages(
            self, ctx, ParseOutcome.TOO_COMPLEX, "too complex to parse: {}",
            "fix the template or plug-in that generates the element, then re-crawl")


def unparsed_pages(rule: Rule, ctx: AnalysisContext, outcome: ParseOutcome, message: str,
                   fix: str) -> Iterator[Finding]:
    """A finding per fetched page recorded with ``outcome`` (``message`` formatted with its
    parse_detail)."""
    for url_id, fetch in ctx.fetches.items():
        if fetch.parse != outcome:
            continue
        inbound = ctx.inbound(url_id)
        yield rule.finding(
            ctx.urls[url_id], message.format(fetch.parse_detail),
            {"parse": str(fetch.parse), "reason": fetch.parse_detail, "status": fetch.status,
             "fix": fix, **inbound.evidence()},
            weight=inbound.total)


class PageNotParsed(Rule):
    """Page not parsed: a site page answered 200 but readiness failed while reading it.

    What it checks:
        Site pages the crawl fetched (200 HTML) whose facts could not be extracted because
        readiness itself raised while reading them (a bug in readiness, not necessarily in
        the page). Nothing on the page was checked: its title, links, canonicals and
        content are unknown, so no other rule can speak for it.
    Why it matters:
        A run that skipped pages cannot say the site is ready: every problem on those pages,
        and on the pages only they link to, is unseen.
    Example:
        /gallery answers 200; the crawl log says "parsing …/gallery failed" with a traceback.
    How to fix:
        Report the traceback from the crawl log (crawl.log in the run folder) with the page's
        URL to readiness; re-crawl once it is fixed. The page itself may be fine.
    Known false positives:
        None: the page was not checked. Accepting the finding means accepting that it was not.
    """

    code = "STS006"
    name = "page-not-parsed"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        return unparsed_pages(
            self, ctx, ParseOutcome.FAILED, "not checked: readiness failed reading it ({})",
            "report the traceback in crawl.log to readiness, then re-crawl")
