"""Redirect map rules (RDM): for each dead site URL something still points at, the live page to
301 it to (docs/redirect-map.md).

"Dead" is the status rules' judgement (``readiness.rules.status.is_dead``); "something points
at it" is a live internal link, a sitemap entry, a canonical, a backlink from an export
(``AnalysisContext.backlinked``), the start URL, or a redirect that one of those enters. Each
finding carries the suggested target, its confidence and the reason; the report stage writes
the high and medium ones as ready-to-paste server configuration (readiness.report.redirect_map),
together with the one-hop replacements of the chains RDR001 found.

A suggestion is scored from signals, each with its weight (``SIGNAL_WEIGHTS``); only live,
indexable pages (``AnalysisContext.indexable_pages``: 200, HTML, no noindex, not canonicalised
elsewhere, not blocked by robots.txt) are ever suggested, so never a dead or redirecting one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

from pydantic import Field

from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity, plural
from readiness.rules.context import AnalysisContext, BacklinkedTarget
from readiness.rules.redirects import chain_entries
from readiness.rules.status import is_dead, live_inbound, start_ids, status_words

FAMILY = "redirectmap"

# How much each signal can add to a candidate's score (0-1; the sum is capped at 1).
SIGNAL_WEIGHTS = {
    # The dead URL redirected to this page in the previous run of the site: someone chose it
    # before, and the redirect was lost since (a CMS migration, a rewritten .htaccess).
    "previous_redirect": 1.0,
    # Path tokens in common (Jaccard over the lower-cased words of the path, no stemming),
    # when one of them is a word of the dead URL's slug (its last segment): /services/teeth-
    # whitening-old and /services/teeth-whitening share 3 of 4 (0.75 -> 0.6). Sharing only the
    # section (/team/dr-jones and /team/dr-smith share "team") is the parent-section case.
    "path_tokens": 0.8,
    # The anchor texts of the links to the dead URL (the site's own and the backlink export's)
    # found in the candidate's title or h1: the share of an anchor's words the page names.
    "anchor_text": 0.6,
}
# The parent section (/services/ for /services/teeth-whitening-old), when nothing else
# matches well enough: always low confidence.
PARENT_SECTION_SCORE = 0.25
# Confidence bands of a score; below ``low`` there is no suggestion ("choose by hand").
CONFIDENCE_BANDS = (("high", 0.6), ("medium", 0.4), ("low", 0.2))
# A runner-up this close to the best makes the choice a coin toss: one band lower.
AMBIGUOUS_MARGIN = 0.1
NO_MATCH = "no confident match: choose by hand"
# Anchors whose matching pages the suggester keeps, most recently used.
ANCHORS_KEPT = 256
# Words that say nothing about a page, in paths and in anchors.
_PATH_NOISE = frozenset({"html", "htm", "php", "asp", "aspx", "jsp", "index", "www"})
_ANCHOR_NOISE = frozenset({
    "a", "an", "and", "at", "by", "click", "for", "from", "go", "here", "in", "is", "learn",
    "link", "more", "now", "of", "on", "or", "our", "page", "read", "see", "the", "this", "to",
    "us", "view", "visit", "we", "with", "you", "your"})
_WORD = re.compile(r"[^\W_]+", re.U)


def path_tokens(url: str) -> frozenset[str]:
    """The lower-cased words of a URL's path (percent-decoded, extensions and noise dropped)."""
    return words_of_path(urlsplit(url).path)


def words_of_path(path: str) -> frozenset[str]:
    """path_tokens() of a path already split from its URL."""
    return frozenset(w for w in _WORD.findall(unquote(path).lower()) if w not in _PATH_NOISE)


def slug_tokens(url: str) -> frozenset[str]:
    """The words of the path's last segment (/services/teeth-whitening-old: teeth whitening old)."""
    segments = [part for part in urlsplit(url).path.split("/") if part]
    return path_tokens("/" + segments[-1]) if segments else frozenset()


def text_tokens(text: str | None) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall((text or "").lower()) if w not in _ANCHOR_NOISE)


def confidence_of(score: float) -> str | None:
    for band, lowest in CONFIDENCE_BANDS:
        if score >= lowest:
            return band
    return None


def lower_band(confidence: str | None) -> str | None:
    bands = [band for band, _lowest in CONFIDENCE_BANDS]
    if confidence is None or confidence == bands[-1]:
        return confidence
    return bands[bands.index(confidence) + 1]


@dataclass(slots=True)
class Candidate:
    url: str
    score: float = 0.0
    signals: list[dict[str, Any]] = field(default_factory=list)

    def add(self, signal: str, strength: float, detail: str) -> None:
        """Add a signal's points and its words (nothing when it adds no points)."""
        if SIGNAL_WEIGHTS[signal] * strength <= 0:
            return
        self.score = add_points(self.score, signal, strength)
        self.signals.append({"signal": signal, "weight": SIGNAL_WEIGHTS[signal],
                             "strength": round(strength, 3), "detail": detail})


def path_strength(dead_tokens: frozenset[str], slug: frozenset[str],
                  page_tokens: frozenset[str]) -> float:
    """The path signal's strength: the Jaccard index of the two paths' words, when they
    share a word of the dead URL's slug (0 otherwise)."""
    shared = dead_tokens & page_tokens
    if not shared & slug:
        return 0.0
    return len(shared) / len(dead_tokens | page_tokens)


def add_points(score: float, signal: str, strength: float) -> float:
    """``score`` with the signal's points added (none when it has none), capped at 1."""
    points = SIGNAL_WEIGHTS[signal] * strength
    return min(1.0, score + points) if points > 0 else score


@dataclass(slots=True)
class LivePage:
    url: str
    path_tokens: frozenset[str]
    heading_tokens: frozenset[str]   # title and h1 words


@dataclass(slots=True)
class Suggestion:
    target: str | None
    confidence: str | None
    score: float
    reason: str
    signals: list[dict[str, Any]]
    alternatives: list[dict[str, Any]]


class RedirectSuggester:
    """Chooses the live page a dead URL should redirect to, from the whole site's live,
    indexable pages (built once per analysis)."""

    def __init__(self, ctx: AnalysisContext) -> None:
        paths = {url_id: urlsplit(ctx.urls[url_id]).path
                 for url_id, _fetch, _page in ctx.indexable_pages()}  # split once per page
        self.pages = [LivePage(ctx.urls[url_id], words_of_path(paths[url_id]),
                               text_tokens(" ".join([page.title or "", *(page.h1 or [])])))
                      for url_id, _fetch, page in ctx.indexable_pages()]
        self.by_path = {paths[url_id].rstrip("/") or "/": ctx.urls[url_id]
                        for url_id in sorted(paths, key=ctx.urls.__getitem__, reverse=True)}
        self.by_url = {page.url: index for index, page in enumerate(self.pages)}
        # word -> pages (by index) whose path / title-and-h1 has it: a dead URL is scored only
        # against the pages sharing a word with it, not against the whole site.
        self.path_index: dict[str, list[int]] = {}
        self.heading_index: dict[str, list[int]] = {}
        for index, page in enumerate(self.pages):
            for word in page.path_tokens:
                self.path_index.setdefault(word, []).append(index)
            for word in page.heading_tokens:
                self.heading_index.setdefault(word, []).append(index)
        self.previous = ctx.previous_redirects
        # Bounded: an anchor made of common words matches thousands of pages.
        self.anchor_strengths = lru_cache(maxsize=ANCHORS_KEPT)(self._anchor_strengths)

    def _anchor_strengths(self, words: frozenset[str]) -> dict[int, float]:
        """page -> the share of an anchor's words its title/h1 has, for the pages with any
        (``anchor_strengths``: kept for the most recent anchors, as the navigation's anchors
        point at many dead URLs)."""
        hits: dict[int, int] = {}
        for word in words:
            for index in self.heading_index.get(word, ()):
                hits[index] = hits.get(index, 0) + 1
        return {index: shared / len(words) for index, shared in hits.items()}

    def suggest(self, url: str, anchors: list[tuple[str, int]]) -> Suggestion:
        dead_tokens = path_tokens(url)
        slug = slug_tokens(url)
        anchor_words = [(text, count, text_tokens(text)) for text, count in anchors]
        anchor_words = [item for item in anchor_words if item[2]]
        before = self.previous.get(url)
        # The pages sharing a word with it, each scored as evaluate() would (the same
        # floats), counting anchor words through the title/h1 index instead of intersecting
        # every page's words (a dead URL can share a word with thousands of pages).
        by_path = {index for word in slug for index in self.path_index.get(word, ())}
        by_anchor: dict[int, float] = {}   # page -> its best anchor's strength (> 0)
        for _text, _count, words in anchor_words:
            for index, strength in self.anchor_strengths(words).items():
                if strength > by_anchor.get(index, 0.0):
                    by_anchor[index] = strength
        sharing = by_path | by_anchor.keys()
        if before in self.by_url:
            sharing.add(self.by_url[before])
        scored = []
        for index in sharing:
            page = self.pages[index]
            if page.url == url:
                continue
            score = add_points(0.0, "previous_redirect", 1.0 if before == page.url else 0.0)
            if index in by_path:
                score = add_points(score, "path_tokens",
                                   path_strength(dead_tokens, slug, page.path_tokens))
            score = add_points(score, "anchor_text", by_anchor.get(index, 0.0))
            scored.append((-score, page.url, index))
        # Words for the best only.
        scored.sort()
        scored = [item for item in scored if item[0] < 0]
        alternatives = [{"url": page_url, "score": round(-score, 3)}
                        for score, page_url, _index in scored[1:4]]
        best = self.evaluate(self.pages[scored[0][2]], dead_tokens, slug, anchor_words,
                             before) if scored else None
        confidence = confidence_of(best.score) if best is not None else None
        if best is not None and confidence is not None:
            reason = "; ".join(s["detail"] for s in best.signals)
            if len(scored) > 1 and best.score + scored[1][0] < AMBIGUOUS_MARGIN:
                confidence = lower_band(confidence)
                reason += f"; {scored[1][1]} matches almost as well"
            return Suggestion(best.url, confidence, round(best.score, 3), reason,
                              best.signals, alternatives)
        parent = self.parent_section(url)
        if parent is not None:
            return Suggestion(parent, "low", PARENT_SECTION_SCORE,
                              f"parent section {parent} (no page matches the URL or its anchors)",
                              [{"signal": "parent_section", "weight": PARENT_SECTION_SCORE,
                                "strength": 1.0, "detail": f"parent section {parent}"}],
                              alternatives)
        return Suggestion(None, None, 0.0, NO_MATCH, [], alternatives)

    @staticmethod
    def strengths(page: LivePage, dead_tokens: frozenset[str], slug: frozenset[str],
                  anchor_words: list[tuple[str, int, frozenset[str]]], before: str | None
                  ) -> tuple[float, float, tuple[float, str, int] | None]:
        """How strongly each signal (SIGNAL_WEIGHTS) holds for the page: the previous
        redirect's, the path words', and the best anchor's (strength, text, links)."""
        previous = 1.0 if before == page.url else 0.0
        path = path_strength(dead_tokens, slug, page.path_tokens)
        best_anchor = None
        heading = page.heading_tokens
        for text, count, words in anchor_words:
            strength = len(words & heading) / len(words)
            if best_anchor is None or strength > best_anchor[0]:
                best_anchor = (strength, text, count)
        return previous, path, best_anchor

    @classmethod
    def evaluate(cls, page: LivePage, dead_tokens: frozenset[str], slug: frozenset[str],
                 anchor_words: list[tuple[str, int, frozenset[str]]], before: str | None
                 ) -> Candidate:
        """The candidate's score (SIGNAL_WEIGHTS) and each signal in words."""
        previous, path, best_anchor = cls.strengths(page, dead_tokens, slug, anchor_words, before)
        candidate = Candidate(page.url)
        if previous:
            candidate.add("previous_redirect", previous,
                          f"redirected to {page.url} in the previous run")
        if path:
            shared = dead_tokens & page.path_tokens
            candidate.add("path_tokens", path, f"path words in common: {', '.join(sorted(shared))}")
        if best_anchor is not None and best_anchor[0] > 0:
            candidate.add("anchor_text", best_anchor[0],
                          f"anchor \"{best_anchor[1]}\" "
                          f"({plural(best_anchor[2], 'link')}) matches its title/h1")
        return candidate

    def parent_section(self, url: str) -> str | None:
        """The nearest live ancestor of the URL's path, the home page excepted: redirecting a
        lost page to the home page reads as a soft 404 to search engines."""
        segments = urlsplit(url).path.rstrip("/").split("/")[1:]
        for end in range(len(segments) - 1, 0, -1):
            found = self.by_path.get("/" + "/".join(segments[:end]))
            if found is not None and found != url:
                return found
        return None


class DeadUrlWithoutRedirect(Rule):
    """Dead URL without a redirect: links still point at a dead site URL; here is where to 301 it.

    What it checks:
        Site URLs that are dead — 404 or 410, 5xx, or a host that does not resolve or refuses
        the connection (the status rules' judgement) — while something still points at them: a
        live internal link, a sitemap entry, a canonical, a backlink from an export, the start
        URL, or a redirect that one of those enters. For each it suggests the live, indexable
        page a person would choose, with a confidence (high, medium, low) and the reason:
        the page the URL redirected to in the previous run, the words of its path, the anchor
        texts of the links to it (the site's and the export's) against pages' titles and h1,
        and as a last resort its parent section; or "no confident match: choose by hand".
    Why it matters:
        Every backlink to a dead URL passes nothing: the equity of links you already earned is
        lost until the URL redirects (301) to the page that replaced it. Internal links and
        sitemap entries to it waste crawls and send visitors to an error page.
    Example:
        /services/teeth-whitening-old answers 404, is linked from 3 pages with the anchor
        "Teeth whitening" and has backlinks from 12 domains: 301 it to
        /services/teeth-whitening (high confidence).
    How to fix:
        Paste the high and medium suggestions from redirects.nginx.conf, redirects.apache.conf
        or _redirects (written beside the report) into the server's configuration, choose the
        low and unmatched ones by hand (redirects.csv lists them), then update the internal
        links and sitemaps to point at the new URLs.
    Known false positives:
        A URL that is meant to be gone for good (a withdrawn offer) may rightly answer 410:
        accept it with a reason. The suggestion is a guess from words and history, not from the
        page's content: read the low ones before using them.
    """

    code = "RDM001"
    name = "dead-url-without-redirect"
    family = FAMILY
    # The dead URL is reported as a problem already (STS001/STS002, RDR003, the backlink
    # rules); this is the fix beside it, counted at the lowest grade.
    severity = Severity.NOTICE
    impact = LinkImpact.DEAD_END
    # A suggestion is chosen among the site's live pages, which a list-mode run (readiness
    # backlinks, check --list) has not crawled: the map comes from a full crawl (check with
    # the exports in the rule file's backlinks:).
    whole_site = True

    class Options(RuleOptions):
        min_confidence: str = Field(
            "none", pattern="^(high|medium|low|none)$",
            description="Least confidence a suggestion needs to be reported (none: every dead "
                        "URL, those without a suggestion too).")

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        suggester: RedirectSuggester | None = None
        seeds = start_ids(ctx)
        entered_through = redirects_into(ctx)
        shown = [band for band, _lowest in CONFIDENCE_BANDS]
        wanted = shown[: shown.index(self.options.min_confidence) + 1] \
            if self.options.min_confidence != "none" else [*shown, None]
        for url_id in sorted(ctx.fetches, key=ctx.url_rank.__getitem__):
            fetch = ctx.fetches[url_id]
            if not ctx.is_internal(url_id) or not is_dead(fetch):
                continue
            inbound = live_inbound(ctx, url_id)
            backlinked = ctx.backlinked.get(url_id)
            sources = entered_through.get(url_id, [])
            start = url_id in seeds
            pointed_at = bool(inbound.link_count or inbound.sitemaps or inbound.canonicals
                              or backlinked or start)
            if not (pointed_at or sources):
                continue
            if suggester is None:
                suggester = RedirectSuggester(ctx)
            url = dead_url = ctx.urls[url_id]
            if not pointed_at:
                # Only redirects lead here: one problem, reported where people enter it (as
                # RDR003 does), with the dead URL in the evidence.
                url = sources[0]
            # The words people used for it: links to it and to the redirects leading to it.
            links = list(inbound.links)
            sourced = [backlinked] if backlinked else []
            for source in sources:
                source_id = ctx.ids[source]
                links += live_inbound(ctx, source_id).links
                if source_id in ctx.backlinked:
                    sourced.append(ctx.backlinked[source_id])
            anchors = anchor_counts(links, sourced)
            suggestion = suggester.suggest(dead_url, anchors)
            if suggestion.confidence not in wanted:
                continue
            outcome = status_words(fetch.status) if fetch.status is not None else \
                f"fails ({fetch.error})"
            if suggestion.target is not None:
                message = (f"{outcome}: 301 it to {suggestion.target} "
                           f"({suggestion.confidence} confidence: {suggestion.reason})")
                fix = f"301-redirect {dead_url} to {suggestion.target}"
            else:
                message = f"{outcome}: {NO_MATCH}"
                fix = f"choose the live page {dead_url} should 301-redirect to"
            if url != dead_url:
                message = f"redirects to {dead_url}, which {message}"
                fix += " (and the redirects leading to it, in one hop)"
            referring = backlinked.referring_domains if backlinked else 0
            yield self.finding(url, message, {
                "suggested_target": suggestion.target, "confidence": suggestion.confidence,
                "score": suggestion.score, "reason": suggestion.reason,
                "signals": suggestion.signals, "alternatives": suggestion.alternatives,
                "status": fetch.status, "error": fetch.error,
                "referring_domains": referring,
                "backlinks": backlinked.backlinks if backlinked else 0,
                "backlink_anchors": [{"anchor": text, "rows": count} for text, count
                                     in (backlinked.anchors if backlinked else ())],
                "dead_url": dead_url, "start_url": start,
                "also_from": [source for source in sources if source != url], "fix": fix,
                **inbound.evidence()},
                weight=inbound.total + referring + len(sources) + int(start))


def anchor_counts(links: list[dict[str, Any]], backlinked: list[BacklinkedTarget]
                  ) -> list[tuple[str, int]]:
    """(anchor text, links) of the internal links and the exports' rows, most used first."""
    counts: dict[str, int] = {}
    for edge in links:
        text = " ".join((edge.get("anchor") or "").split())
        if text:
            counts[text] = counts.get(text, 0) + 1
    for target in backlinked:
        for text, rows in target.anchors:
            text = " ".join(text.split())
            if text:
                counts[text] = counts.get(text, 0) + rows
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def redirects_into(ctx: AnalysisContext) -> dict[int, list[str]]:
    """dead URL id -> the redirecting URLs whose chain ends on it, for chains people enter
    (RDR003's entries) or that backlinks point at: each needs the same new target, in one hop.
    The entries come first (by URL), then the hops only a chain leads to (by URL)."""
    entries = set(chain_entries(ctx))
    entries.update(url_id for url_id in ctx.backlinked if ctx.is_redirect(url_id))
    into: dict[int, set[str]] = {}
    entered: dict[int, set[str]] = {}
    for url_id in entries:
        walk = ctx.walk_redirects(url_id)
        if walk.loop or walk.leaves_site or walk.final_url is None:
            continue
        final_id = ctx.ids.get(walk.final_url)
        fetch = ctx.fetches.get(final_id) if final_id is not None else None
        if fetch is None or not is_dead(fetch):
            continue
        into.setdefault(final_id, set()).update(hop["url"] for hop in walk.hops)
        entered.setdefault(final_id, set()).add(ctx.urls[url_id])
    return {target: sorted(entered[target]) + sorted(urls - entered[target])
            for target, urls in into.items()}
