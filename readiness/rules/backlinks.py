"""Backlinked-page rules (BKL): the pages other sites link to, as a backlink export names them
(``readiness backlinks EXPORT... --site URL`` or a rule file's ``backlinks:``), each fetched
hop by hop and given one verdict: dead, reached through a chain or a temporary redirect,
non-indexable, or not checked. The live, indexable page (at most one permanent hop away) is
the clean case and is never reported.

A finding is one target; findings rank by the target's referring domains from the exports
(its backlinks when an export gives no domain count: ``AnalysisContext.backlinked``), and
the evidence names the exports and lines it came from. User docs: docs/backlinks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from readiness.probe.verdicts import Verdict
from readiness.rules.base import Finding, LinkImpact, Rule, Severity, plural
from readiness.rules.context import AnalysisContext, BacklinkedTarget, RedirectWalk
from readiness.rules.status import DEAD_ERRORS, live_inbound, reference_words

FAMILY = "backlinks"
PERMANENT_STATUSES = frozenset({301, 308})
PROBE_DEAD_VERDICTS = frozenset({Verdict.BROKEN, Verdict.SERVER_ERROR})
# Anchors shown in the evidence.
TOP_ANCHORS = 5


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """Where a backlinked target leads: ``state`` is live | dead | blocked | unchecked."""

    state: str
    walk: RedirectWalk
    detail: str                      # plain words: "answers 404", "blocked by robots.txt" …
    not_indexable: tuple[str, ...] = ()


def target_outcome(ctx: AnalysisContext, url_id: int) -> TargetOutcome:
    walk = ctx.walk_redirects(url_id)
    if walk.loop:
        return TargetOutcome("dead", walk, "ends in a redirect loop")
    if walk.leaves_site:
        probe = ctx.probes.get(ctx.ids[walk.final_url]) if walk.final_url in ctx.ids else None
        if probe is None or walk.unresolved:
            return TargetOutcome("unchecked", walk, f"redirects off the site to {walk.final_url},"
                                 " which was not checked")
        if probe.verdict in PROBE_DEAD_VERDICTS:
            words = f"answers {probe.status}" if probe.status else f"fails ({probe.error})"
            return TargetOutcome("dead", walk, f"redirects off the site to {walk.final_url}, "
                                 f"which {words}")
        return TargetOutcome("live", walk, f"redirects off the site to {walk.final_url}")
    final_id = ctx.ids.get(walk.final_url)
    fetch = ctx.fetches.get(final_id) if final_id is not None else None
    if fetch is not None and fetch.robots_blocked and fetch.status is None:
        return TargetOutcome("blocked", walk, "blocked by robots.txt",
                             ("blocked by robots.txt",))
    if fetch is None or not fetch.fetched:
        why = fetch.error if fetch is not None else "never fetched"
        return TargetOutcome("unchecked", walk, f"not fetched ({why})")
    status, error = fetch.status, fetch.error
    if status is None:
        # No host or no server (status.DEAD_ERRORS, the redirect map's "dead" too); a
        # timeout or a TLS failure may pass for the next visitor: not checked, never "live".
        if error in DEAD_ERRORS:
            return TargetOutcome("dead", walk, f"gives no response ({error})")
        return TargetOutcome("unchecked", walk, f"not checked ({error})")
    if status >= 400 or not 200 <= status < 300:
        return TargetOutcome("dead", walk, f"answers {status}")
    reasons = tuple(ctx.indexability(final_id).reasons)
    return TargetOutcome("blocked" if reasons else "live", walk, "answers 200", reasons)


def ranked_targets(ctx: AnalysisContext) -> list[tuple[int, BacklinkedTarget, TargetOutcome]]:
    """Every backlinked target with its outcome, most referring domains first, then most
    backlinks, then by URL: the same order whatever order the exports were read in."""
    targets = [(url_id, target, target_outcome(ctx, url_id))
               for url_id, target in ctx.backlinked.items()]
    targets.sort(key=lambda item: (-item[1].referring_domains, -item[1].backlinks,
                                   ctx.urls[item[0]]))
    return targets


def link_weight(target: BacklinkedTarget) -> int:
    """How a finding ranks: referring domains, or backlinks when the exports count none."""
    return target.referring_domains or target.backlinks


def counts_words(target: BacklinkedTarget) -> str:
    if target.referring_domains:
        return f"{plural(target.referring_domains, 'referring domain')}"
    if target.backlinks:
        return f"{plural(target.backlinks, 'backlink')}"
    return "listed in a backlink export"


def backlink_evidence(ctx: AnalysisContext, url_id: int, target: BacklinkedTarget,
                      outcome: TargetOutcome) -> dict[str, Any]:
    walk = outcome.walk
    return {
        "final_url": walk.final_url, "final_status": walk.final_status,
        "final_error": walk.final_error, "hops": walk.hops,
        "referring_domains": target.referring_domains, "backlinks": target.backlinks,
        "top_anchors": [{"anchor": anchor, "rows": rows}
                        for anchor, rows in target.anchors[:TOP_ANCHORS]],
        "exports": ctx.backlink_exports.get(url_id, []),
    }


class _BacklinkRule(Rule):
    family = FAMILY

    def findings_for(self, ctx: AnalysisContext, url_id: int, target: BacklinkedTarget,
                     outcome: TargetOutcome) -> Iterator[Finding]:
        raise NotImplementedError

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, target, outcome in ranked_targets(ctx):
            yield from self.findings_for(ctx, url_id, target, outcome)


class BacklinkedPageDead(_BacklinkRule):
    """Backlinked page dead: a page other sites link to is gone, and its link equity with it.

    What it checks:
        Every target of the backlink exports, fetched and followed through its redirects:
        it ends in 404, 410 or another 4xx, a 5xx, no server there (DNS, refused: a timeout
        or a TLS failure is BKL004, not checked), a redirect loop, or — off the site — a
        broken page.
    Why it matters:
        Links from other sites are the equity link building pays for. A link to a dead page
        passes nothing on: the value is lost until the URL redirects (301) to the page a
        person following the link would want, and the visitor it sends leaves at once.
    Example:
        /old-offers/spring-2019 has 12 referring domains and answers 404 since the offers
        section was rebuilt.
    How to fix:
        Redirect the URL with one 301 to the closest live, indexable page (the redirect map
        suggests one), or restore the page.
    Known false positives:
        A failure that was momentary (a 503 during a deploy): re-run to
        confirm. An export's stale rows for links that no longer exist: the page is dead all
        the same, but the equity at stake may be less than the counts say.
    """

    code = "BKL001"
    name = "backlinked-page-dead"
    severity = Severity.ERROR
    impact = LinkImpact.DEAD_END

    def findings_for(self, ctx, url_id, target, outcome):
        if outcome.state != "dead":
            return
        through = (f" (through {plural(len(outcome.walk.hops), 'redirect')})"
                   if outcome.walk.hops and "redirect" not in outcome.detail else "")
        # The site's own links and sitemaps to it too (STS001 reports those as well, so
        # that disabling either rule never hides the page): the same 301 mends both.
        inbound = live_inbound(ctx, url_id)
        also = f"; also {reference_words(inbound)}" if inbound.total else ""
        yield self.finding(
            ctx.urls[url_id],
            f"{outcome.detail}{through}: link equity lost from {counts_words(target)}, "
            f"needs a 301{also}", {**backlink_evidence(ctx, url_id, target, outcome),
                                   "internal_references": inbound.evidence(),
                                   "fix": "301-redirect it in one hop to the closest live, "
                                          "indexable page (or restore the page)"},
            weight=link_weight(target))


class BacklinkedPageIndirectRedirect(_BacklinkRule):
    """Backlinked page behind an indirect redirect: a chain or a temporary hop before its page.

    What it checks:
        Targets of the backlink exports that reach a page answering 200 through more than
        one redirect, or through any temporary one (302, 303, 307). One permanent hop (301,
        308) is the right way to move a backlinked page and is not reported.
    Why it matters:
        Each extra hop delays the visitor and risks the equity the link carries; a temporary
        redirect tells search engines the old URL stays, so the backlink may not count for
        the page it now lands on.
    Example:
        /services/implants -> /services/dental-implants (302) -> /services/dental-implants/
        (301) -> 200.
    How to fix:
        Make the first URL answer one 301 (or 308) straight to the final page.
    Known false positives:
        A temporary redirect that really is temporary (a seasonal page): accept the finding
        until it ends.
    """

    code = "BKL002"
    name = "backlinked-page-indirect-redirect"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def findings_for(self, ctx, url_id, target, outcome):
        hops = outcome.walk.hops
        if outcome.state not in ("live", "blocked") or not hops:
            return
        temporary = [hop for hop in hops if hop["status"] not in PERMANENT_STATUSES]
        if len(hops) < 2 and not temporary:
            return
        why = (f"{len(hops)} redirects" if len(hops) > 1 else
               f"a temporary redirect ({temporary[0]['status']})")
        if len(hops) > 1 and temporary:
            why += f", {plural(len(temporary), 'temporary one')} among them"
        yield self.finding(
            ctx.urls[url_id],
            f"reaches {outcome.walk.final_url} through {why}; backlinked "
            f"({counts_words(target)}), it wants one permanent hop", {**backlink_evidence(ctx, url_id, target, outcome),
                                  "fix": f"answer one 301 straight to {outcome.walk.final_url}"},
            weight=link_weight(target))


class BacklinkedPageNotIndexable(_BacklinkRule):
    """Backlinked page not indexable: other sites link to a page search engines may not index.

    What it checks:
        Targets of the backlink exports whose end (after any redirects) is blocked by
        robots.txt, carries noindex (meta robots or X-Robots-Tag), or declares another URL
        canonical.
    Why it matters:
        A page search engines cannot crawl or are told not to index cannot rank for what its
        backlinks say about it; a canonical elsewhere hands the equity to another URL, which
        may not be the page the link was meant for.
    Example:
        /book-online has 8 referring domains and carries <meta name="robots"
        content="noindex">, left over from the staging site.
    How to fix:
        Remove the noindex or the robots.txt rule if the page should rank; if it should
        not, 301-redirect it to the page that should receive the links.
    Known false positives:
        Pages kept out of search on purpose (a login, a basket) that happen to be linked:
        accept them.
    """

    code = "BKL003"
    name = "backlinked-page-not-indexable"
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def findings_for(self, ctx, url_id, target, outcome):
        if outcome.state != "blocked":
            return
        where = ("" if not outcome.walk.hops else f" (reached through {outcome.walk.final_url})")
        yield self.finding(
            ctx.urls[url_id],
            f"not indexable{where}: {'; '.join(outcome.not_indexable)}; "
            f"{counts_words(target)} link to it",
            {**backlink_evidence(ctx, url_id, target, outcome),
             "not_indexable": list(outcome.not_indexable),
             "fix": "make the page indexable, or 301-redirect it to the page that should "
                    "receive the links"},
            weight=link_weight(target))


class BacklinkedPageNotChecked(_BacklinkRule):
    """Backlinked page not checked: a target of the exports that the crawl did not fetch.

    What it checks:
        Targets of the backlink exports with no answer to judge: excluded by
        ``crawl.include``/``exclude``, beyond a crawl limit, a crawler trap, a private
        address, a response over ``crawl.max_page_bytes``, a timeout or TLS failure (the
        page may work for the next visitor), or a redirect off the site that was not probed.
    Why it matters:
        Never a false pass: a backlinked page that was not looked at may be dead.
    Example:
        /members/offer is listed with 3 referring domains and ``crawl.exclude`` has
        ``/members/*``.
    How to fix:
        Widen ``crawl.include``/``exclude`` or the limits, then run again; or accept the
        finding for pages checked elsewhere.
    Known false positives:
        None: it says what was not checked.
    """

    code = "BKL004"
    name = "backlinked-page-not-checked"
    severity = Severity.NOTICE
    impact = LinkImpact.INDEXABILITY

    def findings_for(self, ctx, url_id, target, outcome):
        if outcome.state != "unchecked":
            return
        yield self.finding(
            ctx.urls[url_id], f"{outcome.detail}: {counts_words(target)}, verdict unknown",
            {**backlink_evidence(ctx, url_id, target, outcome),
             "fix": "let the crawl fetch it (include/exclude, limits), then run again"},
            weight=link_weight(target))
