"""Placed-link rules (PLC): are the links placed on other sites still there, and do they still
count (docs/placements.md)?

``readiness placements FILE`` fetches each listed source page once, politely (list mode, the
outbound politeness per host), and each target URL on the site, hop by hop. A placement's link
is found on its source page by matching the target through its redirects (every URL the
target's redirects pass, and where they land) and its host variants (http/https, www/non-www).
Each finding is about one placement (its id: the rule and the normalised source and target,
the same on every run), so the run comparison and ``readiness diff`` say which links were lost
or fixed since the previous run. A placement with no open finding is live and followed
(readiness.report.outside builds the table, placements.csv and the report's section).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urlsplit

from pydantic import Field

from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity, plural
from readiness.rules.context import (
    BOILERPLATE_REGIONS,
    AnalysisContext,
    OutsidePage,
    RedirectWalk,
    link_qualifiers,
)
from readiness.store.records import FetchOutcome, Link, Placement
from readiness.urls import host_twin

FAMILY = "placements"
TEMPORARY_STATUSES = frozenset({302, 303, 307})
# Statuses (and network errors) by which a source page is gone, not merely unreadable today.
GONE_STATUSES = frozenset({404, 410})
GONE_ERRORS = frozenset({FetchOutcome.DNS, FetchOutcome.REFUSED})


def match_key(url: str) -> tuple[str, str]:
    """A URL as a placement matches it: host without www and path with query, whatever the
    scheme (``http://www.clinic.example/a`` and ``https://clinic.example/a`` are one)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return host_twin(parts.netloc.lower()), path + (f"?{parts.query}" if parts.query else "")


@dataclass(slots=True)
class PlacedLink:
    """One placement as found: its source page, the target's redirects, the matching links."""

    placement: Placement
    source: OutsidePage
    target_walk: RedirectWalk
    matches: list[Link]          # the source page's links to the target (any of its URLs)
    to_site: list[Link]          # its links to the site, matching or not
    page_nofollow: bool

    @property
    def source_gone(self) -> bool:
        """The source page is gone (404, 410, a name that does not resolve, refused): the
        link is lost, not merely unchecked."""
        fetch = self.source.fetch
        return fetch is not None and (fetch.status in GONE_STATUSES
                                      or fetch.error in GONE_ERRORS)

    @property
    def followed(self) -> list[Link]:
        return [] if self.page_nofollow else [m for m in self.matches if not link_qualifiers(m.rel)]


def placed_links(ctx: AnalysisContext) -> Iterator[PlacedLink]:
    """Every listed placement, its source page read and its link looked for."""
    for placement in ctx.placements:
        source = ctx.outside_page(placement.source_id)
        walk = ctx.walk_redirects(placement.target_id)
        keys = {match_key(ctx.urls[placement.target_id])}
        keys.update(match_key(hop["location"]) for hop in walk.hops)
        matches, to_site, page_nofollow = [], [], False
        if source.reachable:
            page_nofollow = source.profile.page_nofollow
            to_site = source.profile.to_site
            matches = [link for link in source.links if link.target_id is not None
                       and match_key(ctx.urls[link.target_id]) in keys]
        yield PlacedLink(placement, source, walk, matches, to_site, page_nofollow)


class PlacementRule(Rule):
    """Base of the placement rules: one finding per placement, its id the placement's."""

    family = FAMILY
    grade = ""   # the placement's grade in the table when this rule flags it

    def placement_finding(self, ctx: AnalysisContext, placed: PlacedLink, message: str,
                          evidence: dict | None = None, severity: Severity | None = None
                          ) -> Finding:
        placement = placed.placement
        source, target = ctx.urls[placement.source_id], ctx.urls[placement.target_id]
        return self.finding(source, message, {
            "grade": self.grade, "target": target, "listed_in": f"{placement.input}:"
            f"{placement.line}", "agreed_anchor": placement.anchor, "agreed_rel": placement.rel,
            "links_found": [ctx.link_evidence(link, placed.page_nofollow)
                            for link in placed.matches],
            **(evidence or {})}, subject=f"{source}\x00{target}", severity=severity)


class PlacementSourceUnreachable(PlacementRule):
    """Placement page unreachable: the page carrying a placed link gave no readable page.

    What it checks:
        Every placement's source page, its redirects followed: it must end on a page
        answering 200 with HTML. Gone (404, 410, a name that does not resolve, a refused
        connection) is an error: the link is lost. Any other failure (5xx, 403, a timeout)
        is a warning: the link could not be checked this time.
    Why it matters:
        A link on a page that is gone sends nobody and passes nothing: the placement has to
        be renegotiated or replaced.
    Example:
        https://blog.example/best-dentists answers 404 since the blog moved.
    How to fix:
        Ask the publisher where the article went (and to redirect it), or replace the
        placement.
    Known false positives:
        A site blocking unknown crawlers (403/429) or down for a moment: open it and re-run.
    """

    code = "PLC001"
    name = "placement-page-unreachable"
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END
    grade = "page gone"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            source = placed.source
            fetch = source.fetch
            if source.reachable or (fetch is not None
                                    and fetch.error == FetchOutcome.ROBOTS_BLOCKED):
                continue
            gone = placed.source_gone
            yield self.placement_finding(
                ctx, placed, f"the page carrying the link is {'gone' if gone else 'unreadable'}"
                f": {source.problem}",
                {"status": fetch.status if fetch else None,
                 "error": str(fetch.error) if fetch and fetch.error else None,
                 "hops": source.hops},
                severity=None if gone else Severity.WARNING)


class PlacementMissing(PlacementRule):
    """Placed link missing: the source page no longer links to the target.

    What it checks:
        The source page's links (<a>, <area>) against the target URL, its redirects and its
        host variants (http/https, www/non-www). No match is flagged; the evidence lists the
        page's other links to the site, if any.
    Why it matters:
        The link you placed (or paid for) is gone: no visitors, no equity. Links are
        removed in redesigns, by editors, or when a paid term ends.
    Example:
        https://news.example/health-guide no longer links to https://clinic.example/implants.
    How to fix:
        Contact the publisher with the agreed placement; if it now links to another page of
        your site (see ``links_to_site``), update the list.
    Known false positives:
        A link inserted by JavaScript after load: readiness reads the HTML as served.
        A link to a URL that redirects to the target without being one of the target's own
        redirects.
    """

    code = "PLC002"
    name = "placement-missing"
    severity = Severity.ERROR
    impact = LinkImpact.LOST_EQUITY
    grade = "missing"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            if not placed.source.reachable or placed.matches:
                continue
            others = [ctx.link_evidence(link, placed.page_nofollow) for link in placed.to_site]
            message = "the link to the target is gone"
            if others:
                message += (f"; the page links to the site elsewhere: "
                            f"{', '.join(sorted({o['target'] for o in others}))}")
            yield self.placement_finding(ctx, placed, message, {"links_to_site": others})


class PlacementNotFollowed(PlacementRule):
    """Placed link not followed: the link carries nofollow, sponsored or ugc.

    What it checks:
        The links matching the placement's target: none of them followed (each has rel
        nofollow, sponsored or ugc, or the page's robots directives say nofollow). When the
        row agreed a rel (``rel`` column), the found rel must be that one: a link agreed as
        sponsored and marked sponsored is what was agreed, not a finding.
    Why it matters:
        A qualified link sends visitors but passes no ranking signal: an editorial link that
        became nofollow has lost most of its value.
    Example:
        The link is now <a rel="nofollow" href="https://clinic.example/">.
    How to fix:
        Ask the publisher to restore the agreed link; paid links must stay sponsored (or
        nofollow) under search engines' policies, so agree on sponsored for those.
    Known false positives:
        None known.
    """

    code = "PLC003"
    name = "placement-not-followed"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY
    grade = "not followed"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            if not placed.matches or placed.followed:
                continue
            found = sorted({" ".join(sorted(link_qualifiers(m.rel))) or "nofollow (page)"
                            for m in placed.matches})
            agreed = placed.placement.rel
            if agreed and all(" ".join(sorted(link_qualifiers(m.rel))) == agreed
                              for m in placed.matches) and not placed.page_nofollow:
                continue  # qualified as agreed
            yield self.placement_finding(
                ctx, placed, f"the link is {' / '.join(found)}"
                + (f" (agreed: {agreed or 'followed'})" if agreed is not None else ""),
                {"found_rel": found})


class PlacementInBoilerplate(PlacementRule):
    """Placed link in boilerplate: the link sits in the page's nav, header, footer or sidebar.

    What it checks:
        Where the links matching the placement's target sit: none in the main content
        (each in nav, header, footer or aside) is flagged.
    Why it matters:
        Sitewide footer and sidebar links are discounted by search engines and seldom
        clicked; a link moved out of the article has lost most of its value.
    Example:
        The link now sits in the publisher's footer under "Partners".
    How to fix:
        Ask for the link back in the article's text, as agreed.
    Known false positives:
        Pages without <main>/<article> markup whose text sits in a <div> the main-content
        detection misses.
    """

    code = "PLC004"
    name = "placement-in-boilerplate"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY
    grade = "in boilerplate"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            if not placed.matches or any(m.region == "main" for m in placed.matches):
                continue
            regions = sorted({m.region for m in placed.matches})
            where = ", ".join(r for r in regions if r in BOILERPLATE_REGIONS) or ", ".join(regions)
            yield self.placement_finding(ctx, placed, f"the link sits in {where}, not in the "
                                                      "main content", {"regions": regions})


class PlacementAnchorChanged(PlacementRule):
    """Placed link's anchor changed: no link to the target carries the agreed anchor text.

    What it checks:
        Placements whose row gives an agreed anchor: the anchors of the links matching the
        target, compared case- and whitespace-insensitively.
    Why it matters:
        The anchor tells readers and search engines what the target is about; an edited
        anchor ("click here") says less, and may be a sign the placement was reworked.
    Example:
        Agreed "dental implants in Leeds", found "our partner".
    How to fix:
        Ask the publisher to restore the agreed anchor, or update the list if the change
        was agreed.
    Known false positives:
        An image link (its alt is its anchor) or an anchor that differs only in
        punctuation.
    """

    code = "PLC005"
    name = "placement-anchor-changed"
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    grade = "anchor changed"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            agreed = placed.placement.anchor
            if not agreed or not placed.matches:
                continue
            found = [m.anchor or "" for m in placed.matches]
            if _same_text(agreed) in {_same_text(text) for text in found}:
                continue
            yield self.placement_finding(
                ctx, placed, f"anchor {found[0]!r}, agreed {agreed!r}",
                {"found_anchors": sorted(set(found))})


def _same_text(text: str) -> str:
    return " ".join(text.lower().split())


class PlacementPageNotIndexable(PlacementRule):
    """Placement page not indexable: the page with the link is noindex, blocked or canonicalised.

    What it checks:
        The source page, where its redirects land: disallowed by its site's robots.txt
        (then it is not fetched, and the link cannot be checked), noindex in meta robots or
        X-Robots-Tag, or a canonical naming another URL.
    Why it matters:
        Search engines drop a noindex page and fold a canonicalised one into another URL:
        the link on it passes little or nothing, even when it is still there.
    Example:
        The article now carries <meta name="robots" content="noindex">.
    How to fix:
        Ask the publisher to make the page indexable again, or to place the link on the
        canonical URL.
    Known false positives:
        A canonical to the same article on another URL that carries the link too.
    """

    code = "PLC006"
    name = "placement-page-not-indexable"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY
    grade = "page not indexable"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            source = placed.source
            fetch = source.fetch
            if fetch is not None and fetch.error == FetchOutcome.ROBOTS_BLOCKED:
                reasons = ["blocked by robots.txt (not fetched: the link was not checked)"]
            elif source.reachable and not source.indexability.indexable:
                reasons = source.indexability.reasons
            else:
                continue
            yield self.placement_finding(ctx, placed, f"the page is not indexable: "
                                                      f"{'; '.join(reasons)}",
                                         {"reasons": reasons})


class PlacementTargetBroken(PlacementRule):
    """Placement target broken: the site URL the link points to does not answer 200.

    What it checks:
        The placement's target on the site, its redirects followed: it must end on a URL
        answering 200.
    Why it matters:
        The link is there but leads visitors and search engines to an error: its equity
        is lost until the target works again or redirects to a live page.
    Example:
        The link points to https://clinic.example/offers/spring, which answers 404.
    How to fix:
        Restore the page, or 301-redirect it to its closest live page (the redirect map of
        ``readiness backlinks`` suggests one).
    Known false positives:
        A target that failed only during the run (a transient 503): re-run to confirm.
    """

    code = "PLC007"
    name = "placement-target-broken"
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END
    grade = "target broken"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            walk = placed.target_walk
            if walk.final_status == 200 and not walk.loop:
                continue
            what = ("loops" if walk.loop else f"answers {walk.final_status}"
                    if walk.final_status is not None else
                    f"gives no answer ({walk.final_error or 'never fetched'})")
            yield self.placement_finding(
                ctx, placed, f"the target {what}"
                + (f" after {plural(len(walk.hops), 'redirect')}" if walk.hops else ""),
                {"hops": walk.hops, "final_url": walk.final_url,
                 "final_status": walk.final_status, "final_error":
                 str(walk.final_error) if walk.final_error else None})


class PlacementTargetRedirects(PlacementRule):
    """Placement target redirects: the link reaches its page through a chain or a temporary redirect.

    What it checks:
        The placement's target on the site, walked hop by hop: more than ``max_hops``
        redirects, or any temporary one (302, 303, 307), before a page answering 200.
    Why it matters:
        Each hop is a round trip for visitors and a risk for the equity the link passes; a
        temporary redirect tells search engines the old URL is still the real one.
    Example:
        http://clinic.example/implants -> https://clinic.example/implants (301) ->
        https://clinic.example/treatments/implants/ (302).
    How to fix:
        Make the target's redirect one permanent hop to the final page (or ask the
        publisher to link the final URL).
    Known false positives:
        None known.
    """

    code = "PLC008"
    name = "placement-target-redirects"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY
    grade = "target redirects"

    class Options(RuleOptions):
        max_hops: int = Field(1, ge=0, description=(
            "Permanent redirects a target may pass through before its page."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            walk = placed.target_walk
            if walk.final_status != 200 or not walk.hops:
                continue  # broken (PLC007) or no redirect at all
            temporary = [hop for hop in walk.hops if hop["status"] in TEMPORARY_STATUSES]
            if not temporary and len(walk.hops) <= self.options.max_hops:
                continue
            yield self.placement_finding(
                ctx, placed, f"the target reaches {walk.final_url} through "
                f"{plural(len(walk.hops), 'redirect')}"
                + (f", {len(temporary)} temporary" if temporary else ""),
                {"hops": walk.hops, "final_url": walk.final_url})


class PlacementQualifierDropped(PlacementRule):
    """Placed link lost its agreed rel: a link agreed as sponsored, nofollow or ugc is followed.

    What it checks:
        Placements whose row agreed a qualified rel (``sponsored``, ``nofollow``, ``ugc``):
        a link matching the target that carries none of the agreed values (and no robots
        nofollow on the page) is flagged.
    Why it matters:
        A paid or sponsored link must say so: search engines' link spam policies treat a
        followed paid link as a link scheme, which can cost the target site its rankings.
    Example:
        Agreed ``sponsored``; found ``<a href="https://clinic.example/">`` without a rel.
    How to fix:
        Ask the publisher to add the agreed rel (``sponsored`` for paid placements).
    Known false positives:
        A row whose agreement changed to a followed editorial link: update its rel column.
    """

    code = "PLC009"
    name = "placement-qualifier-dropped"
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY
    grade = "agreed rel dropped"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for placed in placed_links(ctx):
            agreed = set((placed.placement.rel or "").split())
            if not agreed or placed.page_nofollow:
                continue
            dropped = [m for m in placed.matches if not agreed & link_qualifiers(m.rel)]
            if not dropped:
                continue
            yield self.placement_finding(
                ctx, placed, f"agreed {' '.join(sorted(agreed))}, the link carries "
                f"{dropped[0].rel or 'no rel'}: a followed paid link is a link scheme",
                {"found_rel": sorted({m.rel or "" for m in dropped})})
