"""Prospect rules (PRS): is a page on another site worth asking for a link (docs/prospects.md)?

``readiness prospects FILE --site URL`` fetches each listed page once, politely (list mode,
the outbound politeness per host), and these rules judge each from its facts: whether it can
be reached and indexed, its language, its outbound links (how many, how many pass nothing,
where they sit), link-farm signs and whether it links to the site already. Each finding says
what it does to the prospect's verdict (``evidence.verdict``: ``avoid`` or ``weak``); the
verdict of a prospect is the worst of its open findings, ``worth asking`` when it has none
(readiness.report.prospects builds the table, prospects.csv and the report's section).
"""

from __future__ import annotations

import re
from typing import Iterator

from pydantic import Field

from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity, plural
from readiness.rules.context import AnalysisContext, OutsidePage
from readiness.store.records import FetchOutcome, Prospect

FAMILY = "prospects"
AVOID, WEAK = "avoid", "weak"
# Words of 4 letters or more relate an anchor to a page, but not these common ones.
_WORD = re.compile(r"[^\W\d_]{4,}")
STOP_WORDS = frozenset({"this", "that", "with", "from", "your", "more", "here", "read", "click",
                        "about", "what", "when", "where", "which", "their", "there", "have",
                        "best", "page", "home", "site", "link", "links", "website"})


def words(text: str | None) -> set[str]:
    return {w for w in _WORD.findall((text or "").lower()) if w not in STOP_WORDS}


def prospects_checked(ctx: AnalysisContext, readable: bool = False
                      ) -> Iterator[tuple[Prospect, OutsidePage]]:
    """Every listed prospect and its page; ``readable``: only those that gave a page."""
    for prospect in ctx.prospects:
        page = ctx.outside_page(prospect.url_id)
        if page.reachable or not readable:
            yield prospect, page


def listed(prospect: Prospect, page: OutsidePage) -> dict:
    return {"listed_in": f"{prospect.input}:{prospect.line}", "landing_url": page.hops[-1][
        "location"] if page.hops else None, "hops": page.hops}


class ProspectRule(Rule):
    """Base of the prospect rules: findings about a prospect page carry its verdict effect."""

    family = FAMILY
    verdict = WEAK

    def prospect_finding(self, ctx: AnalysisContext, prospect: Prospect, page: OutsidePage,
                         message: str, evidence: dict) -> Finding:
        url = ctx.urls[prospect.url_id]
        return self.finding(url, message, {"verdict": self.verdict, **listed(prospect, page),
                                           **evidence})


class ProspectUnreachable(ProspectRule):
    """Prospect unreachable: a listed prospect page gave no readable page.

    What it checks:
        Every prospect, its redirects followed: it must end on a page answering 200 with
        HTML. No answer (DNS, refused, timeout), an error status or a non-HTML answer is
        flagged.
    Why it matters:
        A link on a page that does not load is worth nothing to visitors or search engines,
        and a page that is down today may be gone for good.
    Example:
        https://blog.example/dental-guide answers 404.
    How to fix:
        Check the address (a typo, a moved article); drop the prospect or find where the
        page went.
    Known false positives:
        A site that blocks unknown crawlers (403/429) may work in a browser; open it and
        re-run later. A page blocked by its robots.txt is PRS002, not this.
    """

    code = "PRS001"
    name = "prospect-unreachable"
    severity = Severity.WARNING
    impact = LinkImpact.DEAD_END
    verdict = AVOID

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for prospect, page in prospects_checked(ctx):
            if page.reachable or (page.fetch is not None
                                  and page.fetch.error == FetchOutcome.ROBOTS_BLOCKED):
                continue
            yield self.prospect_finding(
                ctx, prospect, page, f"no readable page: {page.problem}",
                {"status": page.fetch.status if page.fetch else None,
                 "error": str(page.fetch.error) if page.fetch and page.fetch.error else None})


class ProspectNotIndexable(ProspectRule):
    """Prospect not indexable: search engines will not index the prospect page.

    What it checks:
        The prospect page, where its redirects land: disallowed by its site's robots.txt
        (then it is not fetched at all), noindex in meta robots or the X-Robots-Tag header,
        or a canonical naming another URL.
    Why it matters:
        Links on a page search engines drop (or fold into another URL) pass little or
        nothing: the link would send a few visitors at most.
    Example:
        https://news.example/tag/dentists carries <meta name="robots" content="noindex">.
    How to fix:
        Ask for a link on an indexable page of the same site (the article itself rather
        than a tag or print page), or drop the prospect.
    Known false positives:
        A canonical to the same article on another URL (an AMP or paginated copy): list
        the canonical URL instead.
    """

    code = "PRS002"
    name = "prospect-not-indexable"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY
    verdict = AVOID

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for prospect, page in prospects_checked(ctx):
            fetch = page.fetch
            if fetch is not None and fetch.error == FetchOutcome.ROBOTS_BLOCKED:
                reasons = ["blocked by robots.txt (not fetched)"]
            elif page.reachable and not page.indexability.indexable:
                reasons = page.indexability.reasons
            else:
                continue
            yield self.prospect_finding(ctx, prospect, page,
                                        f"not indexable: {'; '.join(reasons)}",
                                        {"reasons": reasons})


class ProspectLinkFarm(ProspectRule):
    """Prospect looks like a link farm: hundreds of outbound links, many hosts, unrelated anchors.

    What it checks:
        The prospect page's outbound links (to other hosts): at least ``max_outbound_links``
        of them, or links to at least ``max_outbound_hosts`` hosts, or (with at least
        ``anchor_check_min_links`` outbound links) a share of at least
        ``unrelated_anchor_share`` whose anchor shares no word with the page's title and h1.
    Why it matters:
        Pages that exist to sell links are what link spam policies target: a link there
        passes nothing at best and earns a manual action at worst.
    Example:
        A "partners" page with 450 links to 380 hosts, anchors "cheap loans", "casino" …
    How to fix:
        Drop the prospect; look for pages that link out sparingly and on topic.
    Known false positives:
        Genuine resource lists and directories of a profession can carry many links: open
        the page and raise the thresholds (or accept the finding) if it is curated.
    """

    code = "PRS003"
    name = "prospect-link-farm"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY
    verdict = AVOID

    class Options(RuleOptions):
        max_outbound_links: int = Field(300, ge=1, description=(
            "Outbound links on one page from which it looks like a link farm."))
        max_outbound_hosts: int = Field(100, ge=1, description=(
            "Distinct hosts linked from one page from which it looks like a link farm."))
        unrelated_anchor_share: float = Field(0.8, gt=0, le=1, description=(
            "Share of outbound anchors sharing no word with the title and h1 that looks "
            "like a link farm."))
        anchor_check_min_links: int = Field(30, ge=1, description=(
            "Outbound links a page needs before its anchors are judged."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        options = self.options
        for prospect, page in prospects_checked(ctx, readable=True):
            profile = page.profile
            signs = []
            if len(profile.outbound) >= options.max_outbound_links:
                signs.append(f"{plural(len(profile.outbound), 'outbound link')}")
            if profile.hosts >= options.max_outbound_hosts:
                signs.append(f"links to {plural(profile.hosts, 'host')}")
            topic = words(page.page.title) | words(" ".join(page.page.h1 or []))
            unrelated = [link.anchor or "" for link in profile.outbound
                         if not words(link.anchor) & topic]
            share = len(unrelated) / len(profile.outbound) if profile.outbound else 0.0
            if (len(profile.outbound) >= options.anchor_check_min_links
                    and share >= options.unrelated_anchor_share):
                signs.append(f"{share:.0%} of anchors unrelated to the page's title and h1")
            if not signs:
                continue
            yield self.prospect_finding(
                ctx, prospect, page, f"link-farm signs: {', '.join(signs)}",
                {"signs": signs, "unrelated_anchor_share": round(share, 3),
                 "unrelated_anchors": sorted(set(unrelated))[:25], **profile.evidence()})


class ProspectManyOutboundLinks(ProspectRule):
    """Prospect links out a lot: many outbound links share what the page passes on.

    What it checks:
        Prospect pages with at least ``many_outbound_links`` outbound links (past PRS003's
        thresholds the page is a link farm as well).
    Why it matters:
        What a page passes on is shared among its links: one link among a hundred is worth
        little, and readers rarely reach it.
    Example:
        A "useful links" page with 140 outbound links.
    How to fix:
        Prefer an article of the same site that cites few sources, in its text.
    Known false positives:
        A long, genuinely editorial guide citing many sources.
    """

    code = "PRS004"
    name = "prospect-many-outbound-links"
    severity = Severity.NOTICE
    impact = LinkImpact.LOST_EQUITY

    class Options(RuleOptions):
        many_outbound_links: int = Field(100, ge=1, description=(
            "Outbound links from which a prospect is weak."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for prospect, page in prospects_checked(ctx, readable=True):
            profile = page.profile
            count = len(profile.outbound)
            if count < self.options.many_outbound_links:
                continue
            yield self.prospect_finding(ctx, prospect, page,
                                        f"{plural(count, 'outbound link')} on the page",
                                        profile.evidence())


class ProspectNofollowByDefault(ProspectRule):
    """Prospect nofollows its links: most outbound links pass no ranking signal.

    What it checks:
        The share of a prospect's outbound links marked nofollow, sponsored or ugc (all of
        them when the page's meta robots or X-Robots-Tag says nofollow), at least
        ``min_outbound_links`` links counted; ``qualified_share`` or more is flagged.
    Why it matters:
        A site that qualifies its outbound links by default would most likely qualify
        yours too: visitors, but no equity.
    Example:
        18 of 20 outbound links carry rel="nofollow".
    How to fix:
        Agree on a followed link before publishing, or weigh the prospect for its visitors
        only.
    Known false positives:
        Pages whose qualified links are ads or comments, while editorial links in the text
        are followed: check the main-content links in the evidence.
    """

    code = "PRS005"
    name = "prospect-nofollow-by-default"
    severity = Severity.NOTICE
    impact = LinkImpact.LOST_EQUITY

    class Options(RuleOptions):
        qualified_share: float = Field(0.5, gt=0, le=1, description=(
            "Share of outbound links nofollow/sponsored/ugc from which a prospect is weak."))
        min_outbound_links: int = Field(3, ge=1, description=(
            "Outbound links a page needs before the share is judged (any count under meta "
            "robots nofollow)."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for prospect, page in prospects_checked(ctx, readable=True):
            profile = page.profile
            count = len(profile.outbound)
            if profile.page_nofollow:
                message = "the page's robots directives say nofollow: no link on it counts"
            elif count >= self.options.min_outbound_links and \
                    profile.qualified / count >= self.options.qualified_share:
                message = (f"{profile.qualified} of {plural(count, 'outbound link')} are "
                           "nofollow, sponsored or ugc")
            else:
                continue
            yield self.prospect_finding(ctx, prospect, page, message, profile.evidence())


class ProspectLinksInBoilerplate(ProspectRule):
    """Prospect links only from boilerplate: no outbound link sits in the page's main content.

    What it checks:
        Where the prospect's outbound links sit (each link's region: main, or nav, header,
        footer, aside). A page with outbound links none of which is in its main content,
        or with no outbound link at all, is flagged.
    Why it matters:
        A link would sit where the page already puts its links: a sitewide footer or
        sidebar link is discounted by search engines and seldom clicked; a page that never
        links out in its text is unlikely to start.
    Example:
        Every outbound link of the page is in its footer ("Partners").
    How to fix:
        Ask for a link in the article's text, or choose a page that cites sources in its
        main content.
    Known false positives:
        Pages without <main>/<article> markup whose text sits in a <div> the main-content
        detection misses.
    """

    code = "PRS006"
    name = "prospect-links-in-boilerplate"
    severity = Severity.NOTICE
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for prospect, page in prospects_checked(ctx, readable=True):
            profile = page.profile
            if profile.in_main:
                continue
            message = ("no outbound link on the page: it does not link to other sites"
                       if not profile.outbound else
                       f"all {plural(len(profile.outbound), 'outbound link')} sit in "
                       "boilerplate (nav, header, footer, aside), none in the main content")
            yield self.prospect_finding(ctx, prospect, page, message, profile.evidence())


class ProspectLanguageMismatch(ProspectRule):
    """Prospect in another language: the page's <html lang> is not the site's.

    What it checks:
        The prospect page's ``<html lang>`` (its primary subtag) against ``languages`` or,
        when that is empty, the language of the site's home page (``--site``). A page
        without a lang, or a site whose language is unknown, is not judged.
    Why it matters:
        Readers of a page in another language seldom become patients or clients, and a
        link between unrelated audiences is a weak relevance signal.
    Example:
        <html lang="de"> on a prospect for an English-language practice.
    How to fix:
        Prefer pages in your audience's language.
    Known false positives:
        A wrong lang attribute (a template's default "en" on a page in French).
    """

    code = "PRS007"
    name = "prospect-language-mismatch"
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE

    class Options(RuleOptions):
        languages: list[str] = Field(default_factory=list, description=(
            "Languages a prospect may be in (primary subtags, e.g. [en, fr]); empty: the "
            "site's home page language."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        expected = {lang.lower().split("-")[0] for lang in self.options.languages}
        if not expected:
            site = ctx.outside_page(ctx.ids[ctx.start_url]) if ctx.start_url in ctx.ids else None
            lang = site.page.lang if site is not None and site.page is not None else None
            if lang:
                expected = {lang.lower().split("-")[0]}
        if not expected:
            return
        for prospect, page in prospects_checked(ctx):
            lang = page.page.lang if page.reachable else None
            if not lang or lang.lower().split("-")[0] in expected:
                continue
            yield self.prospect_finding(
                ctx, prospect, page,
                f"in {lang!r}, not {' or '.join(sorted(expected))}",
                {"lang": lang, "expected": sorted(expected)})


class ProspectAlreadyLinks(ProspectRule):
    """Prospect links to the site already: the page carries a link to one of the site's hosts.

    What it checks:
        Links of the prospect page to the site (its host, the www/non-www twin, either
        scheme): each with its anchor, rel and region.
    Why it matters:
        Not a problem: a second link from the same page adds little, so ask to improve the
        one there (a followed link in the text, a better target) rather than for a new one.
        It does not change the verdict.
    Example:
        The page links to https://www.clinic.example/ from its footer, rel="nofollow".
    How to fix:
        Nothing to fix; plan the outreach with it.
    Known false positives:
        None.
    """

    code = "PRS008"
    name = "prospect-already-links"
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    verdict = None

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for prospect, page in prospects_checked(ctx, readable=True):
            profile = page.profile
            if not profile.to_site:
                continue
            links = [ctx.link_evidence(link, profile.page_nofollow) for link in profile.to_site]
            followed = sum(1 for link in links if link["followed"])
            yield self.prospect_finding(
                ctx, prospect, page,
                f"links to the site already: {plural(len(links), 'link')}, {followed} "
                f"followed ({', '.join(sorted({link['region'] for link in links}))})",
                {"links_to_site": links})
