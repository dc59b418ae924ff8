"""Page experience rules (EXP): what a visitor from a backlink meets — speed, weight, phones, https.

Speed and weight come from the crawl's own measurements (readiness.crawl.middlewares):
``fetches.ttfb_ms`` (request sent -> headers), ``elapsed_ms`` (-> whole body) and ``bytes``
(as transferred, so compressed when the server compressed). The crawl takes them while it
loads the server and itself (``crawl.concurrency`` parallel requests, parsing), so slow pages
are measured again once the crawl is idle, one request at a time (readiness.crawl.remeasure),
and the slowness rules judge those quiet samples. Server facts measured through
``crawl.host_map`` (speed, compression) are the staging server's: their findings say so.
Page weight counts the site's own images, scripts and stylesheets, which the crawl fetches
once each (``discovered_by = 'resource'``); third-party resources are not fetched and not
counted.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections import defaultdict
from typing import Any, Iterator

from pydantic import Field

from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity, plural
from readiness.rules.context import CLICK_ELEMENTS, AnalysisContext
from readiness.store.records import Fetch
from readiness.urls import origin

FAMILY = "experience"
# <link rel=...> values whose target the browser loads with the page (as the crawl's
# RESOURCE_LINK_RELS); "active" ones can change the page, so browsers block them over http.
LOADED_LINK_RELS = frozenset({"stylesheet", "icon", "shortcut", "preload", "apple-touch-icon",
                              "manifest", "modulepreload"})
ACTIVE_LINK_RELS = frozenset({"stylesheet", "preload", "modulepreload", "manifest"})
# Elements that load their target with the page (a/area are clicks, not loads).
RESOURCE_ELEMENTS = frozenset({"img", "script", "link", "iframe"})
ACTIVE_ELEMENTS = frozenset({"script", "iframe"})
# Media types worth compressing (text in all but name); images, fonts in woff2 etc. are
# compressed already.
COMPRESSIBLE_TYPES = (
    "text/", "application/javascript", "application/x-javascript", "application/json",
    "application/ld+json", "application/manifest+json", "application/xml",
    "application/xhtml+xml", "application/rss+xml", "application/atom+xml", "image/svg+xml",
    "image/x-icon", "image/vnd.microsoft.icon", "font/ttf", "font/otf",
    "application/vnd.ms-fontobject",
)
_VIEWPORT_SPLIT = re.compile(r"[,;]")
# Evidence of a server fact measured through crawl.host_map (said without the staging origin:
# findings speak production URLs, and the staging port changes from run to run).
STAGING_WORDS = "staging (crawl.host_map): the production server may behave differently"


def timing_samples(fetch: Fetch, column: str) -> tuple[float | None, list[float], list[str]]:
    """(the crawl's own sample, the quiet re-measurements, their errors) of ``column``
    (ttfb_ms, elapsed_ms) for one URL.

    A page measured again holds ``[crawl sample, quiet sample, …]`` in ``fetches.timings``
    (readiness.crawl.remeasure); a quiet request that failed is a sample with ``error``.
    """
    quiet: list[float] = []
    errors: list[str] = []
    for sample in (fetch.timings or [])[1:]:
        if sample.get(column) is not None:
            quiet.append(sample[column])
        elif sample.get("error"):
            errors.append(sample["error"])
    return getattr(fetch, column), quiet, errors


def on_staging(ctx: AnalysisContext, url: str) -> bool:
    """Was ``url`` crawled on a staging copy (``crawl.host_map``)? Then what its server did
    (speed, compression, headers) is the staging server's, not necessarily production's."""
    return ctx.normalizer.unmap_host(url) != url


def staging_labelled(ctx: AnalysisContext, url: str, message: str,
                     evidence: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A server fact's message and evidence, labelled when it was measured on staging."""
    if not on_staging(ctx, url):
        return message, evidence
    return (f"measured on the staging server: {message}",
            {**evidence, "measured_on": STAGING_WORDS,
             "fix": f"check production first; if it does the same: {evidence['fix']}"})


def crawl_load(ctx: AnalysisContext) -> dict[str, Any]:
    """The politeness settings the timings were measured under."""
    crawl = ctx.crawl_config
    return {"crawl_concurrency": crawl.get("concurrency"), "crawl_delay_s": crawl.get("delay")}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def rel_tokens(rel: str | None) -> set[str]:
    return set(rel.lower().split()) if rel else set()


def loads_with_page(element: str, rel: str | None) -> bool:
    """Does the browser fetch this link edge's target while loading the page?"""
    if element == "link":
        return bool(rel_tokens(rel) & LOADED_LINK_RELS)
    return element in RESOURCE_ELEMENTS


def page_resources(ctx: AnalysisContext) -> dict[int, list[dict[str, Any]]]:
    """page id -> the resources it loads, once each: {url_id, url, raw, element, rel}."""
    resources: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for link in ctx.links(RESOURCE_ELEMENTS):
        target = link.target_id
        if (target is not None and loads_with_page(link.element, link.rel)
                and target not in resources[link.source_id]):
            resources[link.source_id][target] = {
                "url_id": target, "url": ctx.urls[target], "raw": link.raw,
                "element": link.element, "rel": link.rel}
    return {page: list(found.values()) for page, found in resources.items()}


def kb(size: int | float) -> str:
    return f"{size / 1000:,.0f} KB" if size < 1_000_000 else f"{size / 1_000_000:,.1f} MB"


class _Overlap:
    """Which of the site's requests were waiting on the server at the same time.

    A request's interval is [sent, sent + measured time], sent = fetched_at - elapsed_ms.
    """

    def __init__(self, ctx: AnalysisContext, column: str) -> None:
        spans = []
        for url_id, fetch in ctx.fetches.items():
            measured = getattr(fetch, column)
            if fetch.fetched_at is None or fetch.elapsed_ms is None or measured is None:
                continue
            sent = fetch.fetched_at - fetch.elapsed_ms / 1000
            spans.append((sent, sent + measured / 1000, url_id, measured))
        spans.sort()
        self.spans = spans
        self.starts = [span[0] for span in spans]
        self.longest = max((end - start for start, end, _, _ in spans), default=0.0)
        self.by_id = {span[2]: span for span in spans}

    def peers(self, url_id: int) -> list[float]:
        """Measured times of the other requests overlapping this one."""
        span = self.by_id.get(url_id)
        if span is None:
            return []
        start, end = span[0], span[1]
        lo = bisect.bisect_left(self.starts, start - self.longest)
        hi = bisect.bisect_right(self.starts, end)
        return [value for s, e, other, value in self.spans[lo:hi]
                if other != url_id and s < end and e > start]


class _SlowTimingRule(Rule):
    """A timing over its thresholds on a landing page (base, not a rule).

    With re-measuring on (``remeasure_setting`` in the crawl config), a page is judged on the
    median of its quiet samples only (readiness.crawl.remeasure): taken one request at a time
    once the crawl was idle, they are what one visitor waits. A page over the threshold
    during the crawl that has no quiet sample (its re-measurements failed, or it was beyond
    the cap) is not called slow: the pages are named together in one notice.

    With re-measuring off (or a store from before it), each page has one sample taken under
    the crawl's load: a page is reported on its own when it was slow while the requests
    around it were not. Pages slow together with most of the requests overlapping them were
    waiting on a server slowed for everyone — by its own load or the crawl's — and are
    reported together, once, at the start page.
    """

    column: str
    label: str
    fix: str
    remeasure_setting: str  # the crawl setting that re-measures this column
    MIN_PEERS = 2  # fewer overlapping requests than this: the page was measured alone

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        if ctx.crawl_config.get(self.remeasure_setting):
            yield from self._judge_quiet_samples(ctx)
        else:
            yield from self._judge_crawl_samples(ctx)

    def _judge_quiet_samples(self, ctx: AnalysisContext) -> Iterator[Finding]:
        warn_ms = self.options.warn_ms
        threshold = ctx.crawl_config[self.remeasure_setting]
        unconfirmed: list[dict[str, Any]] = []
        for url_id, fetch, _page in ctx.indexable_pages():
            crawl_ms, quiet, errors = timing_samples(fetch, self.column)
            if not quiet:
                if crawl_ms is not None and crawl_ms > warn_ms:
                    if errors:
                        why = f"measuring it again failed ({', '.join(sorted(set(errors)))})"
                    elif crawl_ms <= threshold:
                        why = f"under crawl.{self.remeasure_setting} ({threshold:,.0f} ms)"
                    else:
                        why = "beyond the pages measured again (the smallest URLs first)"
                    unconfirmed.append({"url": ctx.urls[url_id], "crawl_ms": crawl_ms,
                                        "not_confirmed": why})
                continue
            median = statistics.median(quiet)
            if median > warn_ms:
                yield self._page_finding(ctx, url_id, median, {
                    "samples": len(quiet), "quiet_samples_ms": quiet,
                    "crawl_sample_ms": crawl_ms,
                    "measured": "again once the crawl was idle, one request at a time"})
        if unconfirmed:
            yield self._unconfirmed_finding(ctx, unconfirmed)

    def _judge_crawl_samples(self, ctx: AnalysisContext) -> Iterator[Finding]:
        warn_ms = self.options.warn_ms
        load = crawl_load(ctx)
        overlap = _Overlap(ctx, self.column)
        server_slow: list[dict[str, Any]] = []
        for url_id, fetch, _page in ctx.indexable_pages():
            crawl_ms = getattr(fetch, self.column)
            if crawl_ms is None or crawl_ms <= warn_ms:
                continue
            peers = overlap.peers(url_id)
            if len(peers) >= self.MIN_PEERS and statistics.median(peers) > warn_ms:
                server_slow.append({"url": ctx.urls[url_id], self.column: round(crawl_ms, 1),
                                    "overlapping_requests": len(peers),
                                    "overlapping_median_ms": round(statistics.median(peers), 1)})
                continue
            yield self._page_finding(ctx, url_id, crawl_ms, {
                "samples": 1, "overlapping_requests": len(peers), **load,
                "measured": "once, during the crawl (crawl.concurrency parallel requests)"})
        if server_slow:
            yield self._server_finding(ctx, server_slow, load)

    def _grade(self, median: float) -> tuple[bool, int]:
        """(over error_ms?, the threshold crossed)."""
        warn_ms, error_ms = self.options.warn_ms, self.options.error_ms
        very_slow = error_ms is not None and median > error_ms
        return very_slow, error_ms if very_slow else warn_ms

    def _page_finding(self, ctx: AnalysisContext, url_id: int, median: float,
                      measured: dict[str, Any]) -> Finding:
        very_slow, limit = self._grade(median)
        url = ctx.urls[url_id]
        inbound = ctx.inbound(url_id)
        message, evidence = staging_labelled(
            ctx, url, f"{self.label} {median:,.0f} ms (over {limit:,} ms)",
            {self.column: round(median, 1), **measured, "warn_ms": self.options.warn_ms,
             "error_ms": self.options.error_ms, "fix": self.fix, **inbound.evidence()})
        return self.finding(url, message, evidence, weight=inbound.total,
                            severity=Severity.ERROR if very_slow else None)

    def _unconfirmed_finding(self, ctx: AnalysisContext,
                             pages: list[dict[str, Any]]) -> Finding:
        home = ctx.home_id
        pages.sort(key=lambda p: p["url"])
        return self.finding(
            ctx.urls[home] if home is not None else pages[0]["url"],
            f"{plural(len(pages), 'page')} over {self.options.warn_ms:,} ms during the crawl "
            f"could not be measured again in the quiet: not judged slow (one sample under the "
            f"crawl's own load is no verdict)",
            {"pages": pages, "page_count": len(pages),
             "warn_ms": self.options.warn_ms, **crawl_load(ctx),
             "fix": "re-crawl (or raise the crawl.remeasure_* settings) to measure them again"},
            subject="unconfirmed", weight=len(pages), at_most=Severity.NOTICE)

    def _server_finding(self, ctx: AnalysisContext, pages: list[dict[str, Any]],
                        load: dict[str, Any]) -> Finding:
        median = statistics.median(p[self.column] for p in pages)
        very_slow, _limit = self._grade(median)
        pages.sort(key=lambda p: (-p[self.column], p["url"]))
        home = ctx.home_id
        url = ctx.urls[home] if home is not None else pages[0]["url"]
        message, evidence = staging_labelled(
            ctx, url,
            f"{len(pages)} pages: {self.label} {median:,.0f} ms (median) while the other "
            f"requests at the time were slow too — the server slows down for every request "
            f"under load (the crawl ran {load['crawl_concurrency']} in parallel)",
            {"pages": pages, "page_count": len(pages),
             f"median_{self.column}": median, "warn_ms": self.options.warn_ms,
             "error_ms": self.options.error_ms, **load,
             "fix": "re-crawl with crawl.concurrency: 2 to see one visitor's wait; if still slow, "
                    + self.fix})
        return self.finding(url, message, evidence, subject="server", weight=len(pages),
                            severity=Severity.ERROR if very_slow else None)


class SlowServerResponse(_SlowTimingRule):
    """Slow server response: a landing page takes long to start answering (time to first byte).

    What it checks:
        Indexable 200 HTML pages whose time to first byte — request sent until the response
        headers arrived — is over ``warn_ms``. Over ``error_ms`` the finding is an error
        unless the YAML sets the rule's severity; set ``error_ms`` to null to never
        escalate. Pages over ``crawl.remeasure_slow_ms`` (or ``remeasure_download_ms``)
        during the crawl are fetched again once it is idle, one request at a time, and only
        the median of those quiet samples is judged; a page that could not be measured again
        is not called slow but named in one notice on the start page. With
        ``crawl.remeasure_slow_ms: 0`` the crawl's single sample is judged, and pages slow
        while most requests overlapping them were slow too are one finding on the start
        page. Under ``crawl.host_map`` the message and evidence say the time was measured on
        the staging server.
    Why it matters:
        Nothing appears until the server answers. A visitor a backlink sends waits on a
        blank tab and leaves; search engines crawl slow sites less and count slow server
        response against page experience.
    Example:
        /services answers after 2.4 s every time: an uncached WordPress page built on each
        request.
    How to fix:
        Cache pages (a page cache plugin, a CDN), upgrade an overloaded shared host, and look
        for slow database queries or plugins on the templates that are slow.
    Known false positives:
        A server that is slow only now and then (a cache rebuilt while it was measured
        again); the evidence lists every quiet sample. A staging server under
        ``crawl.host_map`` may be slower (or faster) than production.
    """

    code = "EXP001"
    name = "slow-server-response"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.EXPERIENCE
    column = "ttfb_ms"
    label = "time to first byte"
    remeasure_setting = "remeasure_slow_ms"
    fix = "cache the page (page cache or CDN) or speed up the server"

    class Options(RuleOptions):
        warn_ms: int = Field(600, ge=1, description=(
            "Time to first byte (ms) above which a page is reported."))
        error_ms: int | None = Field(2000, ge=1, description=(
            "Time to first byte (ms) above which the finding is an error; null: never."))


class SlowPageDownload(_SlowTimingRule):
    """Slow page download: a landing page's HTML takes long to arrive in full.

    What it checks:
        Indexable 200 HTML pages whose full download — request sent until the last byte of
        the HTML arrived — is over ``warn_ms``; over ``error_ms`` the finding is an error
        (null: never). Images, scripts and stylesheets are not included: see
        ``heavy-page``. Judged as in ``slow-server-response``: on the median of quiet
        re-measurements (``crawl.remeasure_download_ms``), so a big page the busy crawl
        read slowly is not called slow when one visitor gets it quickly.
    Why it matters:
        The browser cannot lay out the page until the HTML is in; a slow download on top
        of the server's response time is what a visitor from a backlink sits through, and a
        phone on a mobile network makes it worse.
    Example:
        /gallery's HTML takes 3.5 s: 2 MB of inline base64 images in the markup.
    How to fix:
        Make the HTML smaller (no inline images or huge inline scripts), turn on compression
        and caching, serve from a CDN near the visitors.
    Known false positives:
        Measured from where the crawl ran, which may be far from (or much nearer than) the
        practice's patients; on the staging server under ``crawl.host_map``.
    """

    code = "EXP002"
    name = "slow-page-download"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.EXPERIENCE
    column = "elapsed_ms"
    label = "full download took"
    remeasure_setting = "remeasure_download_ms"
    fix = "make the HTML smaller, compress it and cache it"

    class Options(RuleOptions):
        warn_ms: int = Field(1500, ge=1, description=(
            "Full HTML download time (ms) above which a page is reported."))
        error_ms: int | None = Field(4000, ge=1, description=(
            "Full HTML download time (ms) above which the finding is an error; null: never."))


def parse_viewport(content: str) -> dict[str, str]:
    """``"width=device-width, initial-scale=1"`` -> {"width": "device-width", ...}."""
    values = {}
    for part in _VIEWPORT_SPLIT.split(content):
        key, _, value = part.partition("=")
        if key.strip():
            values[key.strip().lower()] = value.strip().strip("'\"").lower()
    return values


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class MissingViewport(Rule):
    """Missing viewport: a landing page has no <meta name="viewport">, so phones show it zoomed out.

    What it checks:
        Indexable 200 HTML pages without a viewport meta tag.
    Why it matters:
        Without it a phone renders the page at desktop width and shrinks it: tiny text,
        pinch-to-zoom to read. Most visitors to a practice's site are on phones, and Google
        indexes the mobile version of a page first.
    Example:
        <head> has a title and styles but no <meta name="viewport" ...>.
    How to fix:
        Add <meta name="viewport" content="width=device-width, initial-scale=1"> to the
        template's <head> (and make sure the layout is responsive).
    Known false positives:
        Pages meant only for print or embedding; exclude them.
    """

    code = "EXP003"
    name = "missing-viewport"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.EXPERIENCE

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, page in ctx.indexable_pages():
            if page.viewport is not None:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], "no <meta name=\"viewport\">: phones show the desktop layout",
                {"viewport": None, "fix": 'add <meta name="viewport" content="width=device-width, '
                 'initial-scale=1">', **inbound.evidence()}, weight=inbound.total)


class InvalidViewport(Rule):
    """Invalid viewport: the viewport tag fixes the page width or stops visitors from zooming.

    What it checks:
        Viewport tags of indexable 200 HTML pages that are empty, set a fixed pixel width
        instead of ``device-width``, set neither ``width`` nor ``initial-scale``, or — with
        ``flag_zoom_disabled`` — set ``user-scalable=no`` or a ``maximum-scale`` below 2
        (WCAG 1.4.4 asks that text can be enlarged to 200%).
    Why it matters:
        A fixed width gives phones the desktop layout anyway; disabling zoom locks out
        visitors who need larger text, many of them a practice's patients.
    Example:
        <meta name="viewport" content="width=1024"> or
        <meta name="viewport" content="width=device-width, maximum-scale=1, user-scalable=no">.
    How to fix:
        Use content="width=device-width, initial-scale=1" and nothing that limits zoom.
    Known false positives:
        Map or kiosk pages that handle zooming themselves; exclude them.
    """

    code = "EXP004"
    name = "invalid-viewport"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.EXPERIENCE

    class Options(RuleOptions):
        flag_zoom_disabled: bool = Field(True, description=(
            "Also report user-scalable=no and maximum-scale below 2."))

    def problems(self, content: str) -> list[str]:
        if not content.strip():
            return ["the viewport tag is empty"]
        values = parse_viewport(content)
        problems = []
        width = values.get("width")
        if width is None and "initial-scale" not in values:
            problems.append("sets neither width nor initial-scale")
        elif width is not None and width != "device-width":
            problems.append(f"fixes the width (width={width}) instead of width=device-width")
        if self.options.flag_zoom_disabled:
            if values.get("user-scalable") in ("no", "0"):
                problems.append("disables zooming (user-scalable=no)")
            maximum = _number(values.get("maximum-scale"))
            if maximum is not None and maximum < 2:
                problems.append(f"limits zooming (maximum-scale={values['maximum-scale']})")
        return problems

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, page in ctx.indexable_pages():
            content = page.viewport
            if content is None:
                continue  # missing-viewport's
            problems = self.problems(content)
            if not problems:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], f"viewport \"{content}\" " + "; ".join(problems),
                {"viewport": content, "problems": problems,
                 "fix": 'use content="width=device-width, initial-scale=1"',
                 **inbound.evidence()}, weight=inbound.total)


class HeavyPage(Rule):
    """Heavy page: a landing page's HTML, or the HTML with its own resources, is too big.

    What it checks:
        Indexable 200 HTML pages whose HTML is over ``max_html_bytes`` as transferred, or
        — unless ``max_total_bytes`` is null — whose HTML plus the site's own images,
        scripts and stylesheets it loads (each counted once, as transferred) is over
        ``max_total_bytes``. Evidence lists the biggest resources.
    Why it matters:
        Every byte is waiting time on a phone's connection and data plan; a visitor sent by
        a backlink to a 6 MB page may give up before it shows.
    Example:
        /team loads 14 portrait photos of 600 KB each: 8.7 MB in all.
    How to fix:
        Resize and compress images (WebP/AVIF at display size), lazy-load those below the
        fold, remove unused scripts and styles, keep inline data out of the HTML.
    Known false positives:
        Third-party resources (fonts, widgets, analytics) are not fetched, so the real total
        is higher, never lower. Lazy-loaded images are counted although they load later.
    """

    code = "EXP005"
    name = "heavy-page"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.EXPERIENCE

    class Options(RuleOptions):
        max_html_bytes: int = Field(500_000, ge=1, description=(
            "Most bytes of HTML (as transferred) a page may have."))
        max_total_bytes: int | None = Field(3_000_000, ge=1, description=(
            "Most bytes of HTML plus the site's own resources it loads (each once); "
            "null: do not add up resources."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        max_html, max_total = self.options.max_html_bytes, self.options.max_total_bytes
        resources = page_resources(ctx) if max_total is not None else {}
        for url_id, fetch, _page in ctx.indexable_pages():
            html_bytes = fetch.bytes or 0
            fetched = []
            for resource in resources.get(url_id, []):
                resource_fetch = ctx.fetches.get(resource["url_id"])
                if resource_fetch is not None and resource_fetch.bytes:
                    fetched.append({"url": resource["url"], "element": resource["element"],
                                    "bytes": resource_fetch.bytes})
            total = html_bytes + sum(r["bytes"] for r in fetched)
            reasons = []
            if html_bytes > max_html:
                reasons.append(f"HTML is {kb(html_bytes)} (over {kb(max_html)})")
            if max_total is not None and total > max_total and (fetched or not reasons):
                reasons.append(f"HTML and its {len(fetched)} resources weigh {kb(total)} "
                               f"(over {kb(max_total)})")
            if not reasons:
                continue
            fetched.sort(key=lambda r: -r["bytes"])
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], "; ".join(reasons),
                {"html_bytes": html_bytes, "total_bytes": total if max_total is not None else None,
                 "resources_counted": len(fetched), "largest_resources": fetched[:10],
                 "not_counted": "third-party resources (not fetched)",
                 "fix": "compress and resize images, drop unused scripts and styles",
                 **inbound.evidence()}, weight=inbound.total)


class MixedContent(Rule):
    """Mixed content: an https page loads images, scripts or styles over plain http.

    What it checks:
        Indexable 200 HTML pages served over https (in production, when ``crawl.host_map``
        points at a staging copy) that load a resource — <img>, <script>, <iframe>, or a
        <link> the browser loads (stylesheet, icon, preload, manifest) — from an http:// URL,
        as written in the markup or as resolved against the page. Findings about scripts,
        styles and frames carry the rule's severity; a page whose only insecure resources
        are images is at most a warning.
    Why it matters:
        Browsers block insecure scripts, styles and frames (the page breaks: no layout, no
        booking widget) and mark the page "Not secure" or drop images. A visitor from a
        backlink sees a broken or untrusted site.
    Example:
        https://clinic.example/ has <script src="http://clinic.example/js/booking.js">.
    How to fix:
        Load every resource over https (a relative or https:// URL); add
        ``Content-Security-Policy: upgrade-insecure-requests`` while the markup is fixed.
    Known false positives:
        None for active content. Browsers now upgrade http images to https automatically
        and load them if the https URL works, which is why image-only findings are warnings.
    """

    code = "EXP006"
    name = "mixed-content"
    family = FAMILY
    severity = Severity.ERROR
    impact = LinkImpact.EXPERIENCE

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        # Only https pages can mix content: an http site (or staging copy) has nothing to
        # scan, and on an https site the http pages' links are skipped undecided.
        https_pages = {url_id for url_id, _fetch, _page in ctx.indexable_pages()
                       if ctx.normalizer.unmap_host(ctx.urls[url_id]).startswith("https:")}
        if not https_pages:
            return
        insecure: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for link in ctx.links(RESOURCE_ELEMENTS):
            source, target, raw, element, rel = (link.source_id, link.target_id, link.raw,
                                                 link.element, link.rel)
            if source not in https_pages or not loads_with_page(element, rel):
                continue
            written = raw.strip().lower()
            resolved = ctx.urls.get(target, "") if target is not None else ""
            # Relative URLs inherit the page's scheme: judge them by their production URL, or a
            # staging copy served over http would flag every image of an https site.
            if written.startswith("http:") or (
                    "://" not in written[:12] and resolved.startswith("http:")
                    and ctx.normalizer.unmap_host(resolved).startswith("http:")):
                active = element in ACTIVE_ELEMENTS or bool(rel_tokens(rel) & ACTIVE_LINK_RELS)
                insecure[source].append({"raw": raw, "url": resolved or raw, "element": element,
                                         "rel": rel, "active": active})
        for url_id, _fetch, _page in ctx.indexable_pages():
            found = insecure.get(url_id)
            url = ctx.urls[url_id]
            if not found or url_id not in https_pages:
                continue
            active = [r for r in found if r["active"]]
            kinds = sorted({r["element"] for r in found})
            inbound = ctx.inbound(url_id)
            yield self.finding(
                url, f"https page loads {len(found)} resource(s) over http ({', '.join(kinds)})",
                {"insecure_resources": found, "insecure_count": len(found),
                 "active_count": len(active),
                 "fix": "load every resource over https", **inbound.evidence()},
                weight=inbound.total, at_most=None if active else Severity.WARNING)


class LargeImage(Rule):
    """Large image: one of the site's own images is bigger than it needs to be.

    What it checks:
        Images the crawl fetched from the site (an image/* content type) that a page shows
        (an <img>, a stylesheet's url(): not only an <a> link) whose size as transferred is
        over ``max_image_bytes``. One finding
        per image, listing the pages that show it.
    Why it matters:
        Oversized photos are the usual reason a practice's pages are slow on phones; a
        visitor from a backlink waits for a 4000-pixel camera original shown at 400 pixels.
    Example:
        /uploads/team-photo.jpg is 3.2 MB, shown at 600 x 400 on /about.
    How to fix:
        Export at the size it is displayed (twice that for sharp screens), in WebP or AVIF,
        compressed; serve smaller versions to phones with srcset.
    Known false positives:
        Deliberately large images (a downloadable high-resolution file) linked as images.
    """

    code = "EXP007"
    name = "large-image"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.EXPERIENCE

    class Options(RuleOptions):
        max_image_bytes: int = Field(200_000, ge=1, description=(
            "Most bytes (as transferred) one image may have."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        limit = self.options.max_image_bytes
        for url_id in sorted(ctx.fetches):
            fetch = ctx.fetches[url_id]
            if (fetch.status != 200 or not media_type(fetch.content_type).startswith("image/")
                    or not fetch.bytes or fetch.bytes <= limit):
                continue
            inbound = ctx.inbound(url_id)
            # Shown on a page (an <img>, a stylesheet's url() …), not only linked: asked of
            # the links, not of fetches.discovered_by, which is the way in read first.
            if all(link["element"] in CLICK_ELEMENTS for link in inbound.links):
                continue
            yield self.finding(
                ctx.urls[url_id], f"image is {kb(fetch.bytes)} (over {kb(limit)})",
                {"bytes": fetch.bytes, "content_type": fetch.content_type,
                 "max_image_bytes": limit,
                 "fix": "resize to display size and compress (WebP/AVIF, srcset)",
                 **inbound.evidence()}, weight=inbound.source_pages)


class UncompressedResponse(Rule):
    """Uncompressed response: the server sends text (HTML, CSS, JavaScript) without compression.

    What it checks:
        200 responses of the site (pages and its own resources) with a compressible media
        type (HTML, CSS, JavaScript, JSON, XML, SVG …), at least ``min_bytes`` long, and no
        gzip/br/zstd/deflate ``Content-Encoding`` although the crawl asked for it. It is a
        server setting, so one finding per host and media type lists the responses; the
        finding's URL is the biggest one.
    Why it matters:
        Text compresses to a fifth of its size or less; without it every page a backlink
        brings visitors to downloads several times the bytes it needs to.
    Example:
        Every HTML page and /css/theme.css come without Content-Encoding.
    How to fix:
        Turn on gzip or Brotli in the web server, host panel or CDN (a one-line setting in
        most of them).
    Known false positives:
        A proxy between the crawl and the site that strips compression; check with a browser's
        network panel. Under ``crawl.host_map`` the staging server was measured, which often
        lacks the production CDN's compression: the finding says "measured on the staging
        server" and asks to check production first.
    """

    code = "EXP008"
    name = "uncompressed-response"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.EXPERIENCE

    class Options(RuleOptions):
        min_bytes: int = Field(2048, ge=0, description=(
            "Responses smaller than this are not worth compressing and are not reported."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        groups: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        for url_id in sorted(ctx.fetches):
            fetch = ctx.fetches[url_id]
            kind = media_type(fetch.content_type)
            size = fetch.bytes or 0
            if (fetch.status != 200 or size < self.options.min_bytes
                    or not kind.startswith(COMPRESSIBLE_TYPES)):
                continue
            encoding = (ctx.header(url_id, "content-encoding") or "").strip().lower()
            if encoding and encoding != "identity":
                continue
            groups[(origin(ctx.urls[url_id]), kind)].append((url_id, size))
        for (site, kind), members in sorted(groups.items()):
            members.sort(key=lambda m: (-m[1], ctx.urls[m[0]]))
            total = sum(size for _, size in members)
            url = ctx.urls[members[0][0]]
            message, evidence = staging_labelled(
                ctx, url, f"{len(members)} {kind} response(s) from {site} are not compressed "
                f"({kb(total)} in all)",
                {"origin": site, "content_type": kind, "responses": len(members),
                 "uncompressed_bytes": total,
                 "largest": [{"url": ctx.urls[i], "bytes": size}
                             for i, size in members],
                 "fix": "turn on gzip or Brotli compression on the server or CDN"})
            yield self.finding(url, message, evidence, subject=f"{site}|{kind}",
                               weight=len(members))
