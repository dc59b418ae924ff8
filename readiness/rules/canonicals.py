"""Canonical rules (CAN): missing, broken, redirecting, chained and conflicting canonicals,
parameter duplicates, internal links with tracking parameters, and host/scheme variants that
are served instead of redirected.

A canonical is judged the way a search engine reads it: a page declaring several different
canonicals has none (Google ignores them all), so it is reported once, as a conflict, and the
target rules only look at pages with a single canonical (AnalysisContext.canonical_target).
Each canonical target gets at most one of CAN002 (error), CAN004 (non-indexable),
CAN003 (redirect) and CAN005 (chain), in that order, so the fix a finding suggests is right.
Targets the crawl never fetched (limits, exclusions, unprobed outbound URLs) are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import urlsplit

from readiness.probe.verdicts import Verdict
from readiness.rules.base import Finding, LinkImpact, Rule, Severity, plural
from readiness.rules.context import (
    CLICK_ELEMENTS,
    EVIDENCE_LIMIT,
    AnalysisContext,
    is_noindex,
)
from readiness.store.records import NETWORK_ERRORS, FetchOutcome, Variant
from readiness.urls import netloc

FAMILY = "canonicals"
PERMANENT_STATUSES = frozenset({301, 308})
# A page too large for the crawler still answered; only real silence counts as an error.
TARGET_NO_RESPONSE = NETWORK_ERRORS - {FetchOutcome.TOO_LARGE}
# Outbound targets: only the probe verdicts that prove the page is missing or failing.
PROBE_ERROR_VERDICTS = frozenset({Verdict.BROKEN, Verdict.SERVER_ERROR})
PROBE_OK_VERDICTS = frozenset({Verdict.OK, Verdict.REDIRECTED})
MAX_CANONICAL_HOPS = 10
MAX_VARIANT_HOPS = 10


# -- shared helpers ------------------------------------------------------------------------


def declarations(ctx: AnalysisContext, page_id: int) -> list[dict[str, Any]]:
    """Every canonical a page declares, as written: [{source, raw, target}]."""
    return [{"source": row.source, "raw": row.raw,
             "target": ctx.urls[row.target_id] if row.target_id is not None else None}
            for row in ctx.canonicals.get(page_id, [])]


def declared_targets(ctx: AnalysisContext) -> Iterator[tuple[int, int]]:
    """(page id, target id) for every 200 HTML page with one canonical pointing elsewhere."""
    for page_id, _fetch, _page in sorted(ctx.html_pages(), key=lambda p: ctx.urls[p[0]]):
        target_id = ctx.canonical_target(page_id)
        if target_id is not None and target_id != page_id:
            yield page_id, target_id


def index_blocks(ctx: AnalysisContext, url_id: int) -> list[str]:
    """Why search engines may not index a URL that answers: robots.txt and noindex only."""
    fetch = ctx.fetches.get(url_id)
    reasons: list[str] = []
    if fetch is not None and fetch.robots_blocked:
        reasons.append("blocked by robots.txt")
    page = ctx.pages.get(url_id)
    if page is not None:
        if is_noindex(page.meta_robots):
            reasons.append("noindex in meta robots")
        if is_noindex(page.x_robots_tag):
            reasons.append("noindex in X-Robots-Tag header")
    elif is_noindex(ctx.header(url_id, "x-robots-tag")):
        reasons.append("noindex in X-Robots-Tag header")
    return reasons


@dataclass(slots=True)
class CanonicalTarget:
    """Where a canonical target leads, and what answered there."""

    url: str
    hops: list[dict[str, Any]] = field(default_factory=list)  # redirects from the target
    final_id: int | None = None
    final_url: str | None = None
    final_status: int | None = None
    final_error: str | None = None
    outcome: str = "unknown"      # ok | error | loop | blocked | unknown (not fetched/probed)
    blocks: list[str] = field(default_factory=list)           # noindex/robots reasons at the end

    def evidence(self) -> dict[str, Any]:
        return {"hops": self.hops, "final_url": self.final_url,
                "final_status": self.final_status, "final_error": self.final_error}


def resolve_target(ctx: AnalysisContext, target_id: int) -> CanonicalTarget:
    """Follow a canonical target's redirects (and, off the site, the probe's) to its end."""
    walk = ctx.walk_redirects(target_id)
    resolved = CanonicalTarget(ctx.urls[target_id], list(walk.hops), ctx.ids.get(walk.final_url),
                               walk.final_url, walk.final_status, walk.final_error)
    if walk.loop:
        resolved.outcome = "loop"
        return resolved
    if walk.leaves_site:
        probe = ctx.probes.get(resolved.final_id) if resolved.final_id is not None else None
        if probe is None:
            return resolved
        # The probe followed the outbound redirects itself; its hops continue the walk.
        resolved.hops += probe.hops or []
        resolved.final_url = probe.final_url or resolved.final_url
        if probe.verdict in PROBE_ERROR_VERDICTS:
            resolved.outcome = "error"
        elif probe.verdict in PROBE_OK_VERDICTS:
            resolved.outcome = "ok"
        # unverifiable (bot walls) and timeouts say nothing about the page: unknown.
        return resolved
    fetch = ctx.fetches.get(resolved.final_id) if resolved.final_id is not None else None
    if fetch is not None and fetch.robots_blocked:
        # Checked before "unresolved": with robots: obey a blocked URL is never fetched.
        resolved.outcome = "blocked"
        resolved.blocks = index_blocks(ctx, resolved.final_id)
        return resolved
    if walk.unresolved or fetch is None:
        return resolved
    status, error = fetch.status, fetch.error
    if (status is not None and status >= 400) or (status is None and error in TARGET_NO_RESPONSE):
        resolved.outcome = "error"
    elif status is not None and 200 <= status < 300:
        resolved.blocks = index_blocks(ctx, resolved.final_id)
        resolved.outcome = "blocked" if resolved.blocks else "ok"
    return resolved


def canonical_evidence(ctx: AnalysisContext, page_id: int, target_id: int) -> dict[str, Any]:
    return {"canonical": ctx.urls[target_id], "declarations": declarations(ctx, page_id)}


def _weight(ctx: AnalysisContext, url_id: int) -> int:
    return ctx.inbound_total(url_id)


# -- rules ---------------------------------------------------------------------------------


class CanonicalMissing(Rule):
    """Canonical missing: an indexable page declares no canonical URL.

    What it checks:
        Every indexable HTML page that answers 200 and has neither a
        ``<link rel="canonical">`` nor a canonical ``Link`` header (or only one whose
        ``href`` is not a valid URL).
    Why it matters:
        Backlinks arrive with tracking parameters, on the http:// or www variant, with a
        trailing slash or without. A self-referencing canonical tells search engines which
        URL collects the value of all of them; without one, they guess.
    Example:
        /services/implants has no canonical; links to /services/implants?ref=newsletter
        and to /services/implants both count as separate URLs until Google decides.
    How to fix:
        Give every indexable page an absolute self-referencing canonical, e.g.
        ``<link rel="canonical" href="https://clinic.example/services/implants">``; most
        CMSs and SEO plugins do this with one setting.
    Known false positives:
        None as such, but it is a notice: a site without parameters or host variants loses
        little. Turn the rule off with ``enabled: false`` if you do not want canonicals.
        A page whose only canonical is outside ``<head>`` is CAN012's, with its own fix.
    """

    code = "CAN001"
    name = "canonical-missing"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, _page in ctx.html_pages():
            rows = ctx.canonicals.get(url_id, [])
            if any(row.target_id is not None for row in rows):
                continue
            if not rows and url_id in ctx.body_canonicals:  # CAN012: it is there, misplaced
                continue
            if not ctx.indexability(url_id).indexable:
                continue
            if rows:
                message = ("declares a canonical that is not a valid URL: "
                           + ", ".join(repr(row.raw) for row in rows))
            else:
                message = "declares no canonical URL"
            yield self.finding(
                ctx.urls[url_id], message,
                {"declarations": declarations(ctx, url_id),
                 "fix": f'add <link rel="canonical" href="{ctx.urls[url_id]}">'},
                weight=_weight(ctx, url_id))


class CanonicalToError(Rule):
    """Canonical to an error: a page's canonical URL is missing, failing or unreachable.

    What it checks:
        The single canonical of every 200 HTML page, followed through any redirects: its
        end answers 4xx or 5xx, gives no response (DNS, refused, timeout, TLS), ends in a
        redirect loop, or — off the site — was judged broken or failing by the probe.
    Why it matters:
        The page tells search engines "index that URL instead of me", and that URL is an
        error: Google ignores the canonical at best, and at worst drops the page that the
        backlinks point to.
    Example:
        /blog/whitening declares ``<link rel="canonical" href="/blog/teeth-whitening">``,
        which answers 404 since the post was renamed.
    How to fix:
        Point the canonical at the live URL of the page (usually the page itself).
    Known false positives:
        A target that failed only during the crawl (a transient 503 or timeout); re-crawl
        to confirm. Outbound targets that refuse robots (403, bot walls) are not reported.
    """

    code = "CAN002"
    name = "canonical-to-error"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for page_id, target_id in declared_targets(ctx):
            target = resolve_target(ctx, target_id)
            if target.outcome not in ("error", "loop"):
                continue
            if target.outcome == "loop":
                outcome = "ends in a redirect loop"
            elif target.final_status is not None:
                outcome = f"answers {target.final_status}"
            else:
                outcome = f"fails ({target.final_error or 'no response'})"
            where = target.url
            if target.hops:
                where += f", which redirects to {target.final_url}"
            yield self.finding(
                ctx.urls[page_id], f"canonical points to {where}, which {outcome}",
                {**canonical_evidence(ctx, page_id, target_id), **target.evidence(),
                 "fix": "point the canonical at the live URL of this page"},
                weight=_weight(ctx, page_id))


class CanonicalToRedirect(Rule):
    """Canonical to a redirect: a page's canonical URL redirects elsewhere.

    What it checks:
        The single canonical of every 200 HTML page: the target redirects (one hop or
        more) and the redirect ends on a page that answers 200 and may be indexed.
    Why it matters:
        Canonical and redirect then disagree about which URL is the real one; search
        engines may ignore the canonical, and backlinks' value is consolidated on a URL
        nobody intended.
    Example:
        https://clinic.example/about declares ``http://clinic.example/about`` as canonical,
        which 301-redirects to https://clinic.example/about.
    How to fix:
        Canonicalise to the final URL of the redirect (the evidence's ``final_url``).
    Known false positives:
        None known: the final URL is always the better canonical.
    """

    code = "CAN003"
    name = "canonical-to-redirect"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for page_id, target_id in declared_targets(ctx):
            target = resolve_target(ctx, target_id)
            if not target.hops or target.outcome != "ok":
                continue
            yield self.finding(
                ctx.urls[page_id],
                f"canonical points to {target.url}, which redirects to {target.final_url} "
                f"({len(target.hops)} hop{'s' if len(target.hops) > 1 else ''})",
                {**canonical_evidence(ctx, page_id, target_id), **target.evidence(),
                 "fix": f"canonicalise to {target.final_url}"},
                weight=_weight(ctx, page_id))


class CanonicalToNonIndexable(Rule):
    """Canonical to a non-indexable page: the canonical URL is noindex or blocked by robots.txt.

    What it checks:
        The single canonical of every 200 HTML page, followed through any redirects: the
        page it ends on carries ``noindex`` (meta robots or X-Robots-Tag) or is disallowed
        by robots.txt.
    Why it matters:
        "Index that URL instead of me" pointing at a URL that must not be indexed is a
        contradiction: search engines may keep neither page, and the backlinks to both are
        wasted.
    Example:
        /services?page=2 canonicalises to /services, which carries
        ``<meta name="robots" content="noindex">`` left over from staging.
    How to fix:
        Remove the noindex or the robots.txt rule from the target if it should be indexed;
        otherwise canonicalise to a page that is.
    Known false positives:
        Blocked targets are judged by the crawl's robots.txt reading for its own user agent;
        rules aimed at other bots only may differ.
    """

    code = "CAN004"
    name = "canonical-to-non-indexable"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for page_id, target_id in declared_targets(ctx):
            target = resolve_target(ctx, target_id)
            if target.outcome != "blocked":
                continue
            end = target.url
            if target.hops:
                end += f" (redirects to {target.final_url})"
            yield self.finding(
                ctx.urls[page_id],
                f"canonical points to {end}, which is not indexable: " + "; ".join(target.blocks),
                {**canonical_evidence(ctx, page_id, target_id), **target.evidence(),
                 "target_not_indexable": target.blocks,
                 "fix": "make the target indexable, or canonicalise to a page that is"},
                weight=_weight(ctx, page_id))


class CanonicalChain(Rule):
    """Canonical chain: a page canonicalises to a page that canonicalises somewhere else.

    What it checks:
        Pages whose single canonical B answers 200, is indexable, and itself declares a
        canonical C other than B; the chain is followed to its end (or its loop).
    Why it matters:
        Search engines do not reliably follow canonical chains: they may pick B, C or the
        page itself, so which URL collects the backlinks' value is left to chance. A loop
        (A -> B -> A) cancels both canonicals.
    Example:
        /implants?ref=ad -> /implants (canonical) -> /services/implants (canonical).
    How to fix:
        Canonicalise every page in the chain straight to the final URL.
    Known false positives:
        None known.
    """

    code = "CAN005"
    name = "canonical-chain"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for page_id, target_id in declared_targets(ctx):
            target = resolve_target(ctx, target_id)
            if target.hops or target.outcome != "ok":
                continue  # redirecting, failing or non-indexable targets have their own rules
            chain = [page_id, target_id]
            loop = False
            while len(chain) <= MAX_CANONICAL_HOPS:
                current = chain[-1]
                following = ctx.canonical_target(current)
                if following is None or following == current:
                    break
                if following in chain:
                    chain.append(following)
                    loop = True
                    break
                chain.append(following)
            if len(chain) <= 2:
                continue
            path = [ctx.urls[i] for i in chain]
            end = path[-1]
            message = ("canonical loop: " if loop else "canonical chain: ") + " -> ".join(path)
            yield self.finding(
                ctx.urls[page_id], message,
                {**canonical_evidence(ctx, page_id, target_id), "chain": path, "loop": loop,
                 "fix": "decide which URL is canonical and point every page in the loop at it"
                        if loop else f"canonicalise straight to {end}"},
                weight=_weight(ctx, page_id))


class ConflictingCanonicals(Rule):
    """Conflicting canonicals: a page declares more than one different canonical URL.

    What it checks:
        Pages with several ``<link rel="canonical">`` elements, or an HTML canonical and a
        ``Link: <…>; rel="canonical"`` header, that name different URLs. Repeating the same
        URL is not a conflict.
    Why it matters:
        Given several canonicals, Google ignores all of them, so the page has no canonical
        at all — often without anyone noticing, because a plugin and the theme (or the CDN)
        each add one.
    Example:
        ``<link rel="canonical" href="https://clinic.example/team">`` in the theme and
        ``<link rel="canonical" href="https://clinic.example/team/">`` from an SEO plugin.
    How to fix:
        Keep exactly one canonical: switch off the duplicate source (theme, plugin, CDN or
        server header rule).
    Known false positives:
        None known.
    """

    code = "CAN006"
    name = "conflicting-canonicals"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, _page in ctx.html_pages():
            rows = ctx.canonicals.get(url_id, [])
            distinct = {row.target_id if row.target_id is not None else f"raw:{row.raw}"
                        for row in rows}
            if len(distinct) < 2:
                continue
            listed = ", ".join(f"{row.raw} ({row.source})" for row in rows)
            yield self.finding(
                ctx.urls[url_id],
                f"declares {len(distinct)} different canonicals: {listed}",
                {"declarations": declarations(ctx, url_id),
                 "fix": "keep exactly one canonical declaration"},
                weight=_weight(ctx, url_id))


class RelativeCanonical(Rule):
    """Relative canonical: a canonical URL is written relative instead of absolute.

    What it checks:
        Canonical declarations (HTML or Link header) whose ``href`` does not start with
        ``http://`` or ``https://`` — path-relative, root-relative or protocol-relative.
    Why it matters:
        Google accepts relative canonicals, but they resolve against whatever host served
        the page: a staging copy, the http:// or www variant, or a scraper's copy each
        declares itself canonical, which is the opposite of what the canonical is for.
    Example:
        ``<link rel="canonical" href="/services/implants">``.
    How to fix:
        Write the full URL, scheme and host included (the evidence's ``resolved``).
    Known false positives:
        None as such; it is a notice because the canonical works on the live host.
    """

    code = "CAN007"
    name = "relative-canonical"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, _page in ctx.html_pages():
            relative = [d for d in declarations(ctx, url_id)
                        if not d["raw"].strip().lower().startswith(("http://", "https://"))]
            if not relative:
                continue
            yield self.finding(
                ctx.urls[url_id],
                "relative canonical " + ", ".join(repr(d["raw"]) for d in relative)
                + "; it resolves against whichever host serves the page",
                {"relative": [{"source": d["source"], "raw": d["raw"], "resolved": d["target"]}
                              for d in relative],
                 "fix": "write the absolute URL: "
                        + ", ".join(str(d["target"]) for d in relative)},
                weight=_weight(ctx, url_id))


class CanonicalOutsideHead(Rule):
    """Canonical outside the head: a ``<link rel="canonical">`` sits in the page's body.

    What it checks:
        ``<link rel="canonical">`` elements that the HTML parser places outside ``<head>``:
        written in the body, or after something that cannot be in a head (an ``<img>``, a
        ``<div>``, stray text, an unclosed tag), which ends the head early for every parser,
        browsers' and Google's alike.
    Why it matters:
        Google only reads canonicals in the head, so this one is ignored: the page has no
        canonical (or only the HTTP header's), and the duplicate URLs it was meant to
        consolidate compete with it.
    Example:
        A tracking ``<img>`` pasted into ``<head>`` before the SEO plugin's tags: the head
        ends at the image, and the canonical after it lands in ``<body>``.
    How to fix:
        Put the canonical inside ``<head>``, and move anything that does not belong in a
        head (images, iframes, divs, text) into the body, after the head's tags.
    Known false positives:
        None known; the page's other canonical rules judge only the declarations search
        engines read.
    """

    code = "CAN012"
    name = "canonical-outside-head"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, _page in ctx.html_pages():
            ignored = ctx.body_canonicals.get(url_id)
            if not ignored:
                continue
            yield self.finding(
                ctx.urls[url_id],
                "canonical outside <head>, ignored by search engines: "
                + ", ".join(repr(row.raw) for row in ignored),
                {"ignored": [{"raw": row.raw,
                              "resolved": ctx.urls[row.target_id]
                              if row.target_id is not None else None} for row in ignored],
                 "read_by_search_engines": declarations(ctx, url_id),
                 "fix": "move the <link rel=canonical> into <head>, before anything that "
                        "cannot be in a head (img, iframe, div, text)"},
                weight=_weight(ctx, url_id))


class CanonicalToOtherHost(Rule):
    """Canonical to another host: a page names a URL on a different host as its canonical.

    What it checks:
        Pages whose single canonical is on a host (or port) other than the page's own,
        including www vs non-www.
    Why it matters:
        A cross-domain canonical hands the page's backlinks to the other host. Done by
        mistake (a template copied from another site, a staging or old domain, the
        non-preferred www variant) it removes the page from search for this site.
    Example:
        https://clinic.example/team canonicalises to https://old-clinic.example/team.
    How to fix:
        Canonicalise to this site's own URL for the page, on the preferred host.
    Known false positives:
        Intentional syndication: articles republished on a partner site with a canonical to
        the original. Accept those findings with a reason.
    """

    code = "CAN008"
    name = "canonical-to-other-host"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for page_id, target_id in declared_targets(ctx):
            page_host, target_host = netloc(ctx.urls[page_id]), netloc(ctx.urls[target_id])
            if page_host == target_host:
                continue
            yield self.finding(
                ctx.urls[page_id],
                f"canonical points to another host: {target_host} (page is on {page_host})",
                {**canonical_evidence(ctx, page_id, target_id), "page_host": page_host,
                 "canonical_host": target_host,
                 "fix": f"canonicalise to this page's own URL on {page_host}, unless the "
                        "content is syndicated on purpose"},
                weight=_weight(ctx, page_id))


class ParameterisedDuplicate(Rule):
    """Parameterised duplicate: a URL with a query string serves the same page as another URL.

    What it checks:
        Indexable 200 HTML pages whose URL differs from another crawled page's only by the
        query string, whose main content is identical (same ``content_hash``), and which do
        not canonicalise elsewhere (no canonical, or a self-canonical). The duplicate is
        compared with the parameter-less URL when it was crawled, else with the shortest.
    Why it matters:
        Backlinks and internal links split their value across URLs that are the same page
        (?ref=, ?sort=, session ids …), and search engines spend crawl budget on copies.
    Example:
        /team?from=footer serves exactly /team, and neither declares a canonical.
    How to fix:
        Declare the clean URL as canonical on every variant (a self-canonical on the clean
        URL does this for all of them), and stop linking the parameterised form.
    Known false positives:
        Pages whose differences lie outside the main content (the header or sidebar) are
        identical for this check; usually they should still canonicalise.
    """

    code = "CAN009"
    name = "parameterised-duplicate"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        groups: dict[tuple[str, str], list[int]] = {}
        for url_id, _fetch, page in ctx.html_pages():
            if not page.content_hash:
                continue
            parts = urlsplit(ctx.urls[url_id])
            key = (parts._replace(query="", fragment="").geturl(), page.content_hash)
            groups.setdefault(key, []).append(url_id)
        for members in groups.values():
            if len(members) < 2:
                continue
            # The copy everything is compared with: the clean URL, else the shortest.
            members.sort(key=lambda i: (bool(urlsplit(ctx.urls[i]).query), len(ctx.urls[i]),
                                        ctx.urls[i]))
            original = members[0]
            for url_id in members[1:]:
                if not ctx.indexability(url_id).indexable:
                    continue  # noindex, blocked or canonicalised elsewhere: consolidated
                self_canonical = ctx.canonical_target(url_id) == url_id
                yield self.finding(
                    ctx.urls[url_id],
                    f"same content as {ctx.urls[original]} and "
                    + ("declares itself canonical" if self_canonical else "no canonical"),
                    {"duplicate_of": ctx.urls[original], "declarations": declarations(ctx, url_id),
                     "fix": f'add <link rel="canonical" href="{ctx.urls[original]}">'},
                    weight=_weight(ctx, url_id))


def variants(ctx: AnalysisContext) -> dict[int, Variant]:
    # ctx.variants() fills in same-site variants that were crawled as ordinary pages.
    return {variant.url_id: variant
            for variant in sorted(ctx.variants(), key=lambda variant: variant.url_id)}


def variant_page(ctx: AnalysisContext, variant: Variant) -> int:
    """The URL a variant should redirect to: its page, or where that page itself redirects."""
    if ctx.is_redirect(variant.of_url_id):
        walk = ctx.walk_redirects(variant.of_url_id)
        if not walk.loop and walk.final_url in ctx.ids:
            return ctx.ids[walk.final_url]
    return variant.of_url_id


def variant_hops(ctx: AnalysisContext, variant: Variant, by_id: dict[int, Variant]
                 ) -> tuple[list[dict[str, Any]], int]:
    """The redirects from a variant, through other variants and crawled redirects: (hops, end)."""
    hops = [{"url": ctx.urls[variant.url_id], "status": variant.status,
             "location": ctx.urls[variant.location_url_id]}]
    current, seen = variant.location_url_id, {variant.url_id}
    while current not in seen and len(hops) < MAX_VARIANT_HOPS:
        seen.add(current)
        other = by_id.get(current)
        if (other is not None and other.status and 300 <= other.status < 400
                and other.location_url_id is not None):
            status, location = other.status, other.location_url_id
        elif ctx.is_redirect(current):
            fetch = ctx.fetches[current]
            status, location = fetch.status, fetch.location_url_id
        else:
            break
        hops.append({"url": ctx.urls[current], "status": status, "location": ctx.urls[location]})
        current = location
    return hops, current


def _kinds(variant: Variant) -> list[str]:
    return [k.strip() for k in variant.kind.split(",") if k.strip()]


def _kind_label(variant: Variant) -> str:
    return "+".join(_kinds(variant))


def _variant_evidence(ctx: AnalysisContext, variant: Variant, page_id: int) -> dict[str, Any]:
    return {"variant": ctx.urls[variant.url_id], "kind": _kinds(variant),
            "variant_of": ctx.urls[page_id], "status": variant.status,
            "fix": f"answer 301 straight to {ctx.urls[page_id]}"}


class HostVariantNotRedirected(Rule):
    """Host variant not redirected: an http/https, www, slash or index variant answers 200.

    What it checks:
        The variants the crawl requested once each, after the crawl, for the home page and a
        sample of templates (http vs https, www vs non-www, trailing slash, /index.html): each
        one that answers 2xx itself rather than redirecting. The sample is the shortest URL of
        each of the ``crawl.variant_samples`` templates (first path segments) whose shortest
        URLs are shortest, so every crawl of a site probes the same variants. A variant
        nothing on the site links to is judged here only, never as a page. Variants that do not answer at all
        (the host is not in DNS, https is not served) or answer 4xx cannot be linked to
        successfully and are not reported.
    Why it matters:
        The whole site is served twice: backlinks to http:// or to www. count for a
        different URL from links to the real one, and search engines have to guess which
        copy to index. This is the first thing to fix before building links.
    Example:
        http://clinic.example/ answers 200 while the site lives at https://clinic.example/.
    How to fix:
        Redirect every variant with a 301 (or 308) in one hop to the real URL: one
        server- or CDN-level rule per variant kind.
    Known false positives:
        A variant that answers 200 but canonicalises to the real URL is consolidated by
        Google most of the time: it is reported as a notice (only a redirect is reliable),
        not as an error.
    """

    code = "CAN010"
    name = "host-variant-not-redirected"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for variant in variants(ctx).values():
            if variant.status is None or not 200 <= variant.status < 300:
                continue
            page_id = variant_page(ctx, variant)
            message = (f"{_kind_label(variant)} variant answers {variant.status} instead of "
                       f"redirecting to {ctx.urls[page_id]}")
            severity = None
            if variant.canonical_url_id == page_id:
                # Consolidated by its canonical: a redirect is cleaner, but links still count.
                severity = Severity.NOTICE
                message += " (its canonical points there, so search engines consolidate it)"
            yield self.finding(
                ctx.urls[variant.url_id], message,
                _variant_evidence(ctx, variant, page_id), weight=_weight(ctx, variant.url_id),
                severity=severity)


class IndirectVariantRedirect(Rule):
    """Indirect variant redirect: a variant redirects, but not in one permanent hop to its page.

    What it checks:
        The same variants as CAN010 that do redirect: reported when the redirect is
        temporary (302, 303, 307), takes more than one hop (http://www. -> https://www. ->
        https://), lands on a URL other than the page (the home page, another slash form),
        or has no usable Location.
    Why it matters:
        Old backlinks often point at a variant. A temporary redirect may not pass their
        value; each extra hop costs a round trip and some crawl budget; a redirect to a
        different page throws the link's relevance away.
    Example:
        http://www.clinic.example/team -> https://www.clinic.example/team (301) ->
        https://clinic.example/team (301).
    How to fix:
        One 301 (or 308) from every variant straight to the final URL: combine the scheme
        and host rules into one.
    Known false positives:
        Two permanent hops lose little in practice; accept them with a reason if the
        server setup makes one hop hard.
    """

    code = "CAN011"
    name = "indirect-variant-redirect"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        by_id = variants(ctx)
        for variant in by_id.values():
            if variant.status is None or not 300 <= variant.status < 400:
                continue
            page_id = variant_page(ctx, variant)
            evidence = _variant_evidence(ctx, variant, page_id)
            if variant.location_url_id is None:
                yield self.finding(
                    ctx.urls[variant.url_id],
                    f"{_kind_label(variant)} variant answers {variant.status} "
                    "without a usable Location",
                    evidence, weight=_weight(ctx, variant.url_id))
                continue
            hops, end = variant_hops(ctx, variant, by_id)
            problems = []
            temporary = sorted({h["status"] for h in hops if h["status"] not in PERMANENT_STATUSES})
            if temporary:
                problems.append("temporary redirect (" + ", ".join(map(str, temporary)) + ")")
            if len(hops) > 1:
                problems.append(f"{len(hops)} hops")
            if end != page_id:
                problems.append(f"ends on {ctx.urls[end]}, not on {ctx.urls[page_id]}")
            if not problems:
                continue
            yield self.finding(
                ctx.urls[variant.url_id],
                f"{_kind_label(variant)} variant redirects imperfectly: " + "; ".join(problems),
                {**evidence, "hops": hops, "final_url": ctx.urls[end]},
                weight=_weight(ctx, variant.url_id))


def tracking_links(ctx: AnalysisContext) -> dict[int, list[dict[str, Any]]]:
    """Site URL id -> the clickable links to it whose href carried tracking parameters
    (``crawl.strip_params``: the crawl folds them into the clean URL), sorted by source URL.
    Each edge as evidence lists it, with ``raw`` (the href) and ``parameters`` (the names)."""
    by_target: dict[int, list[dict[str, Any]]] = {}
    # The href is kept raw in the store, so the crawl's per-link path pays nothing for this.
    for link in ctx.links(CLICK_ELEMENTS, target="internal", raw_contains="?"):
        parameters = ctx.normalizer.stripped_params(link.raw)
        if parameters:
            by_target.setdefault(link.target_id, []).append({
                "source": ctx.urls[link.source_id], "raw": link.raw, "parameters": parameters,
                "anchor": link.anchor, "element": link.element, "region": link.region})
    for edges in by_target.values():
        edges.sort(key=lambda edge: (edge["source"], edge["raw"]))
    return by_target


class InternalLinkWithTrackingParameters(Rule):
    """Internal link with tracking parameters: the site links to its own page with ?utm_… tags.

    What it checks:
        Clickable links (<a>, <area>) from the site's pages to its own URLs whose href carries
        parameters listed in ``crawl.strip_params`` (utm_*, gclid, fbclid …). The crawl
        folds them into the clean URL; this rule reports them once per target, naming every
        linking page and the parameters. A warning when the target page declares no
        canonical, a notice when its canonical consolidates the tagged URLs.
    Why it matters:
        Every tagged internal link is another URL of the same page for search engines to
        crawl; without a canonical they may index it, and the page's value splits across
        copies. Tracking tags on internal links also overwrite the real campaign that
        brought the visitor in, so analytics credits the site itself.
    Example:
        The home page links to /offers?utm_source=home&utm_medium=banner, and /offers has no
        canonical.
    How to fix:
        Link to the clean URL; tag campaign links on other sites, newsletters and ads only.
        Give the page a self-referencing canonical so tagged URLs others publish fold into it.
    Known false positives:
        Parameters a site really uses to select content should not be in
        ``crawl.strip_params``; remove them there and they are neither folded nor reported.
    """

    code = "CAN013"
    name = "internal-link-with-tracking-parameters"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        by_target = tracking_links(ctx)
        for url_id in sorted(by_target, key=lambda i: ctx.urls[i]):
            edges = by_target[url_id]
            url = ctx.urls[url_id]
            parameters = sorted({name for edge in edges for name in edge["parameters"]})
            pages = len({edge["source"] for edge in edges})
            linked = (f"linked with tracking parameters ({', '.join(parameters)}) from "
                      f"{plural(pages, 'page')}")
            page = ctx.pages.get(url_id) is not None and ctx.status(url_id) == 200
            canonical = ctx.canonical_target(url_id) if page else None
            evidence = {"parameters": parameters, "inbound_links": edges[:EVIDENCE_LIMIT],
                        "inbound_link_count": len(edges), "linking_pages": pages,
                        "canonical": ctx.urls[canonical] if canonical is not None else None}
            fix = f"link to {url} without tracking parameters"
            if page and canonical is None:
                yield self.finding(
                    url, f"{linked}, and it declares no canonical: search engines may index "
                         "each tagged URL as a page of its own",
                    {**evidence, "fix": f'{fix}, and add <link rel="canonical" href="{url}">'},
                    weight=len(edges))
                continue
            consolidated = "; its canonical consolidates the tagged URLs" if page else ""
            yield self.finding(url, f"{linked}{consolidated}", {**evidence, "fix": fix},
                               weight=len(edges), severity=Severity.NOTICE)
