"""Indexing rules (IDX): what search engines are told not to index, cannot reach or never find.

Indexability is decided once, in AnalysisContext.indexability (robots.txt, status, redirects,
noindex in meta robots or X-Robots-Tag, canonical elsewhere), with the reasons in plain words;
these rules report where that verdict collides with how the site links and what its sitemaps
say, plus the robots.txt and sitemap files themselves.
"""

from __future__ import annotations

from typing import Any, Iterator

from readiness.rules.base import Finding, LinkImpact, Rule, Severity
from readiness.rules.context import AnalysisContext, Inbound, is_noindex, robots_directives
from readiness.store.records import Page, Robots

FAMILY = "indexing"


# -- shared facts -------------------------------------------------------------------------

def seed_ids(ctx: AnalysisContext) -> set[int]:
    """The start URLs and wherever they redirect: the pages a crawl enters by."""
    seeds = {ctx.ids[u] for u in [*ctx.meta.get("seed_urls", []), ctx.meta.get("start_url")]
             if u in ctx.ids}
    for url_id in list(seeds):
        final = ctx.walk_redirects(url_id).final_url
        if final in ctx.ids:
            seeds.add(ctx.ids[final])
    return seeds


def noindex_sources(ctx: AnalysisContext, url_id: int) -> list[str]:
    """Where a 200 response says noindex: "meta robots", "X-Robots-Tag" (empty when nowhere)."""
    page = ctx.pages.get(url_id)
    header = page.x_robots_tag if page is not None else ctx.header(url_id, "x-robots-tag")
    sources = []
    if page is not None and is_noindex(page.meta_robots):
        sources.append("meta robots")
    if is_noindex(header):
        sources.append("X-Robots-Tag")
    return sources


def readable_sitemaps(ctx: AnalysisContext) -> list[str]:
    """URLs of the sitemaps (urlsets) read completely: only these make absence meaningful."""
    return sorted(ctx.urls[sitemap.url_id] for sitemap in ctx.sitemaps
                  if sitemap.status == 200 and sitemap.error is None and sitemap.kind == "urlset")


def found_in(ctx: AnalysisContext, sitemap_id: int) -> list[str]:
    """Where a sitemap was named (robots config fallback index), each once, in order."""
    return list(dict.fromkeys(n.found_in for n in ctx.sitemap_namings.get(sitemap_id, [])))


def ways_in(ctx: AnalysisContext, url_id: int, inbound: Inbound) -> list[str]:
    """How the crawl can have found a URL (sitemap link redirect canonical hreflang
    backlink), every way the store shows: fetches.discovered_by is only the way read first,
    one of them."""
    kinds = (("sitemap", inbound.sitemaps), ("link", inbound.link_count),
             ("redirect", inbound.redirects), ("canonical", inbound.canonicals),
             ("hreflang", url_id in ctx.hreflang_named), ("backlink", url_id in ctx.backlinked))
    return [kind for kind, present in kinds if present]


def linked_ids(ctx: AnalysisContext) -> set[int]:
    """Pages another page links to with <a>/<area>, directly, by redirect or by canonical."""
    linked = set(ctx.clicked_ids)
    # A link to a URL that redirects or canonicalises here reaches this page too.
    for url_id in list(linked):
        if ctx.is_redirect(url_id):
            final = ctx.walk_redirects(url_id).final_url
            if final in ctx.ids:
                linked.add(ctx.ids[final])
    for url_id in list(linked):
        target = ctx.canonical_target(url_id)
        if target is not None:
            linked.add(target)
    return linked


def index_statements(value: str | None) -> set[str]:
    """What a robots directive string says about indexing: {"index"}, {"noindex"}, both, or none."""
    directives = robots_directives(value)
    stated = set()
    if directives & {"noindex", "none"}:
        stated.add("noindex")
    if directives & {"index", "all"}:
        stated.add("index")
    return stated


# -- rules ----------------------------------------------------------------------------------

class NoindexWithInboundLinks(Rule):
    """Noindex with inbound links: the site links to a page it tells search engines to drop.

    What it checks:
        URLs answering 200 with noindex (or none) in a meta robots tag or an X-Robots-Tag
        header, that at least one other internal page links to.
    Why it matters:
        Internal links say "this page matters" while noindex says "leave it out"; the page
        gets no search traffic, and link equity sent to it (including from backlinks) goes
        nowhere useful. Often a staging noindex left on after launch.
    Example:
        /services/implants is in the main navigation and has
        <meta name="robots" content="noindex, follow">.
    How to fix:
        Remove the noindex if the page should be found in search; otherwise stop linking to
        it from navigation and content.
    Known false positives:
        Pages noindexed on purpose but needed by visitors (login, basket, thank-you pages);
        accept them.
    """

    code = "IDX001"
    name = "noindex-with-inbound-links"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id in sorted(ctx.fetches):
            if ctx.status(url_id) != 200 or not ctx.link_counts.get(url_id):
                continue
            sources = noindex_sources(ctx, url_id)
            if not sources:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], f"noindex ({' and '.join(sources)}) but "
                f"{inbound.source_pages} internal page(s) link to it",
                {"noindex_in": sources, "reasons": ctx.indexability(url_id).reasons,
                 "fix": "remove the noindex, or stop linking to the page",
                 **inbound.evidence()},
                weight=inbound.total)


class LinkedPageBlockedByRobots(Rule):
    """Linked page blocked by robots.txt: the site links to a URL its robots.txt disallows.

    What it checks:
        Internal URLs that robots.txt disallows for the crawl's user agent (``*`` unless a
        group names it) and that at least one other internal page links to, or that were
        listed for a list-mode crawl (``readiness check --list``).
    Why it matters:
        Search engines cannot read a blocked page, so they cannot judge or rank it, yet may
        still index its bare URL from the links; link equity flowing into it is stuck.
    Example:
        robots.txt has "Disallow: /book/" and every page links to /book/online.
    How to fix:
        Allow the URL in robots.txt if it should rank; to keep it out of search use noindex
        (which needs the page to be crawlable), or stop linking to it.
    Known false positives:
        Deliberately blocked utility URLs (basket, admin, search results) linked from the
        template; accept them.
    """

    code = "IDX002"
    name = "linked-page-blocked-by-robots"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, fetch in sorted(ctx.fetches.items()):
            if not fetch.robots_blocked or not ctx.is_internal(url_id):
                continue
            # A URL listed for a list-mode crawl was asked for by name: never judged, it is
            # reported even when no listed page links to it.
            listed = fetch.discovered_by == "list"
            if not ctx.link_counts.get(url_id) and not listed:
                continue
            inbound = ctx.inbound(url_id)
            why = (f"{inbound.source_pages} internal page(s) link to it" if inbound.source_pages
                   else "it was listed, so it was not fetched or judged")
            yield self.finding(
                ctx.urls[url_id], f"blocked by robots.txt but {why}",
                {"fix": "allow it in robots.txt, or stop linking to it", **inbound.evidence()},
                weight=inbound.total)


class ConflictingIndexingDirectives(Rule):
    """Conflicting indexing directives: a page says both "index me" and "don't".

    What it checks:
        200 HTML pages where noindex is combined with a rel=canonical pointing at another
        URL; where meta robots and X-Robots-Tag both state an indexing choice and the
        choices differ (index/all against noindex/none; a source that says nothing about
        indexing, such as "nofollow", does not count); or where one source states both.
    Why it matters:
        Search engines resolve the conflict their own way (usually the most restrictive
        directive wins, and a noindex may be carried over to the canonical target), so the
        page's fate in search is not what either directive alone intends.
    Example:
        <meta name="robots" content="noindex"> and <link rel="canonical" href="/implants">
        on /implants?ref=menu.
    How to fix:
        Decide per page: a duplicate gets only the canonical, a page to hide gets only the
        noindex; make the meta tag and the header agree (or use one of them).
    Known false positives:
        None known: even when the intended outcome happens, the page depends on how each
        search engine breaks the tie.
    """

    code = "IDX003"
    name = "conflicting-indexing-directives"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, page in ctx.html_pages():
            conflicts = self.conflicts(ctx, url_id, page)
            if not conflicts:
                continue
            inbound = ctx.inbound(url_id)
            target = ctx.canonical_target(url_id)
            yield self.finding(
                ctx.urls[url_id], "conflicting indexing directives: " + "; ".join(conflicts),
                {"conflicts": conflicts, "meta_robots": page.meta_robots,
                 "x_robots_tag": page.x_robots_tag,
                 "canonical": ctx.urls[target] if target is not None else None,
                 "fix": "keep one directive: the canonical for a duplicate, noindex for a page "
                        "to hide; make meta robots and X-Robots-Tag agree",
                 **inbound.evidence()},
                weight=inbound.total)

    @staticmethod
    def conflicts(ctx: AnalysisContext, url_id: int, page: Page) -> list[str]:
        meta = index_statements(page.meta_robots)
        header = index_statements(page.x_robots_tag)
        found = []
        target = ctx.canonical_target(url_id)
        if "noindex" in meta | header and target is not None and target != url_id:
            found.append(f"noindex with a canonical to {ctx.urls[target]}")
        if len(meta) == 1 and len(header) == 1 and meta != header:
            found.append(f"meta robots says {next(iter(meta))}, X-Robots-Tag says "
                         f"{next(iter(header))}")
        for source, stated in (("meta robots", meta), ("X-Robots-Tag", header)):
            if len(stated) == 2:
                found.append(f"{source} says both index and noindex")
        return found


class SitemapEntryNotIndexable(Rule):
    """Sitemap entry not indexable: a sitemap lists a URL search engines cannot index.

    What it checks:
        Every internal URL listed in a sitemap that answers 4xx or 5xx, redirects, is
        blocked by robots.txt, says noindex, or declares a canonical elsewhere. URLs the crawl
        did not fetch (a limit, a network error) are left to the status rules.
    Why it matters:
        A sitemap is the list of pages the site asks to be indexed. Entries that cannot be
        indexed waste crawl budget, make search engines trust the sitemap less, and usually
        mean the sitemap is stale or generated from the wrong source.
    Example:
        sitemap.xml lists /old-prices, which now redirects to /prices.
    How to fix:
        List only final, canonical, indexable 200 URLs: replace redirecting entries with
        their targets, drop removed and noindexed pages, fix the generator.
    Known false positives:
        A page that was briefly failing during the crawl (503); re-crawl to confirm.
    """

    code = "IDX004"
    name = "sitemap-entry-not-indexable"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, sitemaps in sorted(ctx.sitemap_listing.items()):
            if not ctx.is_internal(url_id):
                continue
            reasons = [reason for reason in ctx.indexability(url_id).reasons
                       if not reason.startswith(("never fetched", "not fetched"))]
            if not reasons:
                continue
            evidence: dict[str, Any] = {"reasons": reasons, "status": ctx.status(url_id)}
            if ctx.is_redirect(url_id):
                evidence["final_url"] = ctx.walk_redirects(url_id).final_url
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], f"listed in {', '.join(sitemaps)} but not indexable: "
                + "; ".join(reasons),
                {**evidence, "fix": "list only indexable 200 URLs (replace or drop this entry)",
                 **inbound.evidence()},
                weight=inbound.total)


class IndexablePageNotInSitemap(Rule):
    """Indexable page not in sitemap: a page that could rank is missing from every sitemap.

    What it checks:
        Indexable 200 HTML pages not listed in any sitemap, when at least one sitemap was
        read completely (otherwise IDX007 reports the missing sitemap instead).
    Why it matters:
        The sitemap is how the site tells search engines which pages exist and when they
        changed; pages left out are found later, or only through links.
    Example:
        A new /services/invisalign page is linked from the menu but the sitemap plugin
        excludes its post type.
    How to fix:
        Add the page to the sitemap (usually a setting of the sitemap generator), or noindex
        or canonicalise it if it should not be indexed.
    Known false positives:
        Sitemaps split across hosts or not discoverable from robots.txt or /sitemap.xml:
        list them under ``crawl.sitemaps``.
    """

    code = "IDX005"
    name = "indexable-page-not-in-sitemap"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.INDEXABILITY
    whole_site = True  # list mode reads no sitemap

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        sitemaps = readable_sitemaps(ctx)
        if not sitemaps:
            return
        for url_id, _fetch, _page in ctx.html_pages():
            if url_id in ctx.sitemap_listing or not ctx.indexability(url_id).indexable:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], "indexable but not listed in any sitemap",
                {"sitemaps_read": sitemaps, "fix": "add the URL to the sitemap",
                 **inbound.evidence()},
                weight=inbound.total)


class OrphanPage(Rule):
    """Orphan page: an indexable page no other page of the site links to.

    What it checks:
        Indexable 200 HTML pages the crawl found (through a sitemap, a canonical, hreflang
        or a redirect) that no <a> or <area> link on another page points at, directly or
        through a redirect or a canonical. The start URL is never an orphan. When the crawl
        stopped at a limit, pages it did not reach may hold the missing links, so the
        finding is reported as a notice and says it is inconclusive.
    Why it matters:
        Internal links are how visitors, search engines and link equity reach a page: a
        backlink to an orphan helps that page only, and the page looks unimportant to
        search engines however good it is.
    Example:
        /offers/spring-whitening is in sitemap.xml but was dropped from the menu.
    How to fix:
        Link to the page from related pages and the navigation, or remove it (and its
        sitemap entry) if it is obsolete.
    Known false positives:
        Landing pages for ads or mailings that are kept out of the navigation on purpose;
        links that only exist after JavaScript runs.
    """

    code = "IDX006"
    name = "orphan-page"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY
    whole_site = True  # the links to a page are on pages not listed

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        linked = linked_ids(ctx)
        seeds = seed_ids(ctx)
        complete = ctx.crawl_complete
        limits = ctx.meta.get("limits_hit") or []
        for url_id, fetch, _page in ctx.html_pages():
            if url_id in linked or url_id in seeds or not ctx.indexability(url_id).indexable:
                continue
            inbound = ctx.inbound(url_id)
            # discovered_by only when no fact shows a way in (a meta refresh, a variant).
            found_by = ways_in(ctx, url_id, inbound) or [fetch.discovered_by]
            message = f"no internal link points here (found by {', '.join(found_by)})"
            severity = None
            if not complete:
                severity = Severity.NOTICE
                message += ("; inconclusive: the crawl stopped at a limit ("
                            + (", ".join(limits) or "unfinished") + "), so uncrawled pages may "
                            "link to it")
            yield self.finding(
                ctx.urls[url_id], message,
                {"found_by": found_by, "crawl_complete": complete,
                 "limits_hit": limits, "fix": "link to it from related pages, or remove it",
                 **inbound.evidence()},
                weight=inbound.total, severity=severity)


class MissingRobotsOrSitemap(Rule):
    """Missing robots.txt or sitemap: crawlers get no robots.txt or no readable sitemap.

    What it checks:
        Each site host's robots.txt: unreachable (5xx, 429 or no response) is an error,
        because search engines then stop crawling the site; absent (404 and other 4xx) is a
        notice, because it means "crawl everything" but leaves nowhere to announce the
        sitemap; larger than 500 KiB is a warning, because Google ignores the rest (the
        crawl applies the first 500 KiB, as Google does). And the sitemaps: a warning when none listing URLs could be read, from
        robots.txt ``Sitemap:`` lines, /sitemap.xml or ``crawl.sitemaps`` (not in list mode,
        which reads no sitemap).
    Why it matters:
        Search engines check robots.txt before anything else; a failing one stalls the whole
        site's crawling. A sitemap is the cheapest way to get every page found and
        re-crawled when it changes.
    Example:
        robots.txt answers 503 behind a misconfigured firewall; /sitemap.xml answers 404.
    How to fix:
        Serve robots.txt with status 200 (an empty file is fine) and a ``Sitemap:`` line;
        publish a sitemap of the indexable pages (most CMSs generate one).
    Known false positives:
        A sitemap at an unusual address that robots.txt does not mention; list it under
        ``crawl.sitemaps``. A robots.txt failure that was momentary; re-crawl to confirm.
    """

    code = "IDX007"
    name = "missing-robots-or-sitemap"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for robots in ctx.robots:
            finding = self.robots_finding(robots)
            if finding is not None:
                yield finding
        # List mode reads no sitemap (robots.txt it does read, first).
        if not ctx.list_mode and not readable_sitemaps(ctx):
            tried = [{"url": ctx.urls[s.url_id], "found_in": found_in(ctx, s.url_id),
                      "status": s.status, "error": s.error, "kind": s.kind}
                     for s in ctx.sitemaps]
            detail = "; ".join(
                f"{t['url']}: " + (t["error"] or ("index of unreadable sitemaps"
                                                  if t["kind"] == "sitemapindex" else "empty"))
                for t in tried) or "none found"
            yield self.finding(
                tried[0]["url"] if tried else ctx.start_url,
                f"no readable sitemap ({detail})",
                {"sitemaps_tried": tried,
                 "fix": "publish a sitemap and announce it with a Sitemap: line in robots.txt"},
                subject="sitemap", severity=Severity.WARNING)

    def robots_finding(self, robots: Robots) -> Finding | None:
        status, error = robots.status, robots.error
        evidence = {"robots_url": robots.url, "status": status, "error": error}
        if status == 200 and robots.truncated:
            return self.finding(
                robots.url, "robots.txt is larger than 500 KiB: Google ignores everything "
                "after its first 500 KiB, and so did this crawl",
                {**evidence, "truncated": True,
                 "fix": "shorten robots.txt below 500 KiB (group paths with wildcards)"},
                subject=f"robots:{robots.host}", severity=Severity.WARNING)
        if status == 200:
            return None
        if status is None or status >= 500 or status == 429:
            outcome = f"answers {status}" if status is not None else f"could not be fetched ({error})"
            return self.finding(
                robots.url, f"robots.txt {outcome}: search engines stop crawling the site "
                "until it answers",
                {**evidence, "fix": "make robots.txt answer 200 (an empty file is fine)"},
                subject=f"robots:{robots.host}", severity=Severity.ERROR)
        return self.finding(
            robots.url, f"no robots.txt (answers {status}): everything may be crawled, but "
            "there is no Sitemap: line to announce the sitemap",
            {**evidence, "fix": "serve a robots.txt with a Sitemap: line"},
            subject=f"robots:{robots.host}", severity=Severity.NOTICE)


class NonIndexablePage(Rule):
    """Non-indexable page: a page that answers 200 but search engines will not index.

    What it checks:
        Every 200 HTML page that is not indexable, with the reasons: blocked by robots.txt,
        noindex in meta robots or X-Robots-Tag, canonicalised to another URL. Together these
        findings are the site's indexability table.
    Why it matters:
        A link built to a non-indexable page helps it only indirectly; before outreach, make
        sure every target page is one search engines will index — and that every page left
        out is left out on purpose.
    Example:
        /team answers 200 with an X-Robots-Tag: noindex header set for the whole folder.
    How to fix:
        For pages that should rank, remove the reason (the noindex, the robots.txt rule, the
        canonical to another URL); for the rest nothing is needed.
    Known false positives:
        Pages excluded on purpose (filtered listings canonicalised to the plain list,
        thank-you pages); these are reported for the record at notice level.
    """

    code = "IDX008"
    name = "non-indexable-page"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, _page in ctx.html_pages():
            indexability = ctx.indexability(url_id)
            if indexability.indexable:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], "not indexable: " + "; ".join(indexability.reasons),
                {"reasons": indexability.reasons, **inbound.evidence()},
                weight=inbound.total)


class SitemapOnOtherHost(Rule):
    """Sitemap on another host: robots.txt or a sitemap index names a sitemap outside the site.

    What it checks:
        Sitemaps named by a site host's robots.txt ``Sitemap:`` line, a sitemap index or
        ``crawl.sitemaps`` whose host is not one of the site's hosts. readiness never fetches
        them (robots.txt and sitemaps are read from the site's hosts only); one finding per
        sitemap URL, naming every robots.txt, index and setting that names it. The crawled host's /sitemap.xml is still read
        when robots.txt names no sitemap on the site itself.
    Why it matters:
        Search engines accept a sitemap on another host only when both hosts are verified
        together (Search Console) or robots.txt of the *sitemap's* host points back; otherwise
        the URLs it lists are ignored, and the pages you want found are not announced at all.
    Example:
        https://clinic.example/robots.txt says ``Sitemap: https://cdn.agency.example/
        clinic/sitemap.xml``.
    How to fix:
        Serve the sitemap from the site's own host (or redirect /sitemap.xml to it and name
        the site's URL), or verify both hosts in Search Console.
    Known false positives:
        Cross-host sitemaps already verified in Search Console work for Google; accept the
        finding with that reason.
    """

    code = "IDX009"
    name = "sitemap-on-other-host"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        named_by = self._robots_naming(ctx)
        for sitemap in ctx.sitemaps:
            if sitemap.error != "off-site":
                continue
            url = ctx.urls[sitemap.url_id]
            where: list[str] = []
            for naming in ctx.sitemap_namings.get(sitemap.url_id, []):
                if naming.found_in == "robots":
                    places = named_by.get(url) or ["robots.txt"]
                elif naming.parent_id is not None:
                    places = [ctx.urls[naming.parent_id]]
                else:
                    places = ["crawl.sitemaps"]
                where.extend(place for place in places if place not in where)
            yield self.finding(
                url, f"sitemap on another host, named in {', '.join(where)}: "
                "search engines ignore it unless both hosts are verified",
                {"found_in": found_in(ctx, sitemap.url_id), "named_in": where,
                 "sitemaps_read": readable_sitemaps(ctx),
                 "fix": "serve the sitemap from the site's own host, or verify both hosts "
                        "in Search Console"})

    @staticmethod
    def _robots_naming(ctx: AnalysisContext) -> dict[str, list[str]]:
        """sitemap URL -> the robots.txt files whose Sitemap: lines name it."""
        naming: dict[str, list[str]] = {}
        for robots in ctx.robots:
            for raw in robots.sitemaps or []:
                url = ctx.normalizer.normalize(raw, robots.url)
                if url is not None:
                    naming.setdefault(url, []).append(robots.url)
        return naming
