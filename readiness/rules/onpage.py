"""On-page basics (ONP): titles, descriptions, headings, language, alt text and where a page sits.

Only indexable 200 HTML pages are judged: a noindex page or one canonicalised elsewhere is not
what search engines show, and the indexing rules already say so. Titles and descriptions are
stored whitespace-collapsed (readiness.crawl.extract), and their lengths are counted in
characters, not bytes, so "Clínica Niño" is 12 long. Duplicate titles and descriptions are
the duplicates family's (DUP004, DUP005), thin content too (DUP003).

Link-structure rules read the ``links`` table: click depth is counted over internal <a> and
<area> links from the start URL (AnalysisContext.click_depths), not ``fetches.depth``, which
starts again at every sitemap entry.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any, Iterator

from pydantic import Field

from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity
from readiness.rules.context import CLICK_ELEMENTS, AnalysisContext

FAMILY = "onpage"
# BCP 47 in the shape browsers and search engines accept: "en", "en-GB", "zh-Hant-TW".
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def is_nofollow(rel: str | None) -> bool:
    return bool(rel) and "nofollow" in rel.lower().split()


class _PageRule(Rule):
    """One finding per page a ``problem`` is found on (base, not a rule)."""

    fix: str

    def problem(self, ctx: AnalysisContext, url_id: int, page: Any
                ) -> tuple[str, dict[str, Any]] | None:
        raise NotImplementedError

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, page in ctx.indexable_pages():
            found = self.problem(ctx, url_id, page)
            if found is None:
                continue
            message, evidence = found
            inbound = ctx.inbound(url_id)
            yield self.finding(ctx.urls[url_id], message,
                               {**evidence, "fix": self.fix, **inbound.evidence()},
                               weight=inbound.total)


class MissingTitle(_PageRule):
    """Missing title: an indexable page has no <title>, or an empty one.

    What it checks:
        Indexable 200 HTML pages without a <title> element or whose title is empty or only
        whitespace.
    Why it matters:
        The title is the headline of the search result and of a shared link. Without one,
        search engines make one up from the page, and a visitor deciding whether to follow
        a link sees a bare URL.
    Example:
        <title></title> on /book-online, left empty by a page builder.
    How to fix:
        Give the page a title that says what it is, with the practice's name last:
        "Dental implants in Leeds | Smile Dental".
    Known false positives:
        None: every indexable page needs a title.
    """

    code = "ONP001"
    name = "missing-title"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.ON_PAGE
    fix = "add a <title> naming what the page is about"

    def problem(self, ctx, url_id, page):
        title = page.title
        if title is None:
            return "no <title>", {"title": None}
        if not title.strip():
            return "empty <title>", {"title": title}
        return None


class _LengthRule(_PageRule):
    """A text column longer or shorter than the options allow (base, not a rule)."""

    column: str
    label: str
    too_long: bool

    def problem(self, ctx, url_id, page):
        # Characters as people see them: "í" typed as i + accent is one.
        value = unicodedata.normalize("NFC", " ".join((getattr(page, self.column) or "").split()))
        if not value:
            return None  # the missing-* rules' finding
        length = len(value)
        if self.too_long and length > self.options.max_chars:
            return (f"{self.label} is {length} characters (more than {self.options.max_chars})",
                    {self.column: value, "length": length, "max_chars": self.options.max_chars})
        if not self.too_long and length < self.options.min_chars:
            return (f"{self.label} is {length} characters (fewer than {self.options.min_chars})",
                    {self.column: value, "length": length, "min_chars": self.options.min_chars})
        return None


class TitleTooLong(_LengthRule):
    """Title too long: an indexable page's title is longer than search results show.

    What it checks:
        Titles of indexable 200 HTML pages longer than ``max_chars`` characters (counted as
        characters, not bytes, after collapsing whitespace).
    Why it matters:
        Search results cut titles at about 600 pixels (roughly 60 characters); the words that
        say what the page is may be the ones cut, and long titles are often rewritten.
    Example:
        "Smile Dental | Family Dentist | Cosmetic Dentistry | Implants | Invisalign | Leeds".
    How to fix:
        Lead with what the page is about and keep it under ``max_chars``; drop lists of
        keywords.
    Known false positives:
        Narrow letters fit more than 60 characters in the pixel limit; raise ``max_chars``
        if your titles display fully.
    """

    code = "ONP002"
    name = "title-too-long"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    column, label, too_long = "title", "title", True
    fix = "shorten the title, most important words first"

    class Options(RuleOptions):
        max_chars: int = Field(60, ge=1, description="Most characters a title should have.")


class TitleTooShort(_LengthRule):
    """Title too short: an indexable page's title is too short to say what the page is.

    What it checks:
        Non-empty titles of indexable 200 HTML pages shorter than ``min_chars`` characters.
    Why it matters:
        "Home" or "Services" tells searchers and people about to link nothing about the
        practice or the page; search engines will often replace it.
    Example:
        <title>Home</title>
    How to fix:
        Say what the page is and whose it is: "Family dentist in Leeds | Smile Dental".
    Known false positives:
        The default only catches one-word stubs ("Home", "Team"); raise ``min_chars`` (30 is
        a common SEO target) for a stricter check.
    """

    code = "ONP003"
    name = "title-too-short"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    column, label, too_long = "title", "title", False
    fix = "write a title that names the page's subject and the practice"

    class Options(RuleOptions):
        min_chars: int = Field(6, ge=1, description="Fewest characters a title should have.")


class MissingMetaDescription(_PageRule):
    """Missing meta description: an indexable page has no description, or an empty one.

    What it checks:
        Indexable 200 HTML pages without <meta name="description"> or with empty content.
    Why it matters:
        The description is the snippet under the title in results and in many link
        previews; without it search engines pick a sentence from the page, often a cookie
        notice or the menu.
    Example:
        /services/implants has a title and content but no meta description.
    How to fix:
        Write one or two sentences (about 70-160 characters) saying what the page offers.
    Known false positives:
        Search engines rewrite many descriptions anyway; on pages nobody searches for (a
        privacy policy) it matters little — exclude them.
    """

    code = "ONP004"
    name = "missing-meta-description"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    fix = "add a <meta name=\"description\"> of one or two sentences"

    def problem(self, ctx, url_id, page):
        description = page.meta_description
        if description is None:
            return "no meta description", {"meta_description": None}
        if not description.strip():
            return "empty meta description", {"meta_description": description}
        return None


class MetaDescriptionTooLong(_LengthRule):
    """Meta description too long: a description longer than search results show.

    What it checks:
        Meta descriptions of indexable 200 HTML pages longer than ``max_chars`` characters.
    Why it matters:
        Snippets are cut at about 155-160 characters; what comes after is never read.
    Example:
        A 300-character description listing every treatment the practice offers.
    How to fix:
        Keep the message in the first ``max_chars`` characters.
    Known false positives:
        Mobile results show a little less, desktop sometimes more; adjust ``max_chars``.
    """

    code = "ONP005"
    name = "meta-description-too-long"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    column, label, too_long = "meta_description", "meta description", True
    fix = "shorten the description to what fits in a search snippet"

    class Options(RuleOptions):
        max_chars: int = Field(160, ge=1, description="Most characters a description should have.")


class MetaDescriptionTooShort(_LengthRule):
    """Meta description too short: a description too short to be a useful snippet.

    What it checks:
        Non-empty meta descriptions of indexable 200 HTML pages shorter than ``min_chars``
        characters.
    Why it matters:
        A few words ("Welcome!") give searchers no reason to click, and search engines tend
        to replace them with text from the page.
    Example:
        <meta name="description" content="Dentist">
    How to fix:
        Write a sentence or two on what the page offers and for whom.
    Known false positives:
        The default only catches stubs; raise ``min_chars`` (70 is a common SEO target) for a
        stricter check.
    """

    code = "ONP006"
    name = "meta-description-too-short"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    column, label, too_long = "meta_description", "meta description", False
    fix = "write a fuller description (one or two sentences)"

    class Options(RuleOptions):
        min_chars: int = Field(25, ge=1, description="Fewest characters a description should have.")


def headings(page: Any) -> list[str]:
    return [h for h in page.h1 or [] if isinstance(h, str)]


class MissingH1(_PageRule):
    """Missing h1: an indexable page has no <h1> heading with text.

    What it checks:
        Indexable 200 HTML pages with no <h1>, or only empty ones (an <h1> whose text and
        images' alt are empty).
    Why it matters:
        The main heading tells visitors arriving from a link that they are in the right
        place, and tells search engines what the page is about.
    Example:
        The page's headline is a <div class="title"> styled to look like a heading.
    How to fix:
        Mark the page's main headline up as its one <h1>.
    Known false positives:
        Templates whose headline is an image without alt text count as empty; give the
        image an alt.
    """

    code = "ONP007"
    name = "missing-h1"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.ON_PAGE
    fix = "mark the page's main headline up as <h1>"

    def problem(self, ctx, url_id, page):
        found = headings(page)
        if any(h.strip() for h in found):
            return None
        if found:
            return f"{len(found)} <h1> heading(s), all empty", {"h1": found}
        return "no <h1> heading", {"h1": []}


class MultipleH1(_PageRule):
    """Multiple h1: an indexable page has more than one <h1> heading with text.

    What it checks:
        Indexable 200 HTML pages with more than ``max_h1`` non-empty <h1> headings.
    Why it matters:
        Several main headings blur what the page is about, for visitors scanning it and for
        search engines; it often means a logo or a widget is marked up as <h1>.
    Example:
        The logo in the header and the page headline are both <h1>.
    How to fix:
        Keep one <h1> for the page's headline; make the others <h2> or plain elements.
    Known false positives:
        HTML allows several <h1> in sectioned pages and search engines cope; this is a
        notice.
    """

    code = "ONP008"
    name = "multiple-h1"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    fix = "keep one <h1>; demote the others to <h2> or plain text"

    class Options(RuleOptions):
        max_h1: int = Field(1, ge=1, description="Most <h1> headings a page should have.")

    def problem(self, ctx, url_id, page):
        found = [h for h in headings(page) if h.strip()]
        if len(found) <= self.options.max_h1:
            return None
        return f"{len(found)} <h1> headings", {"h1": found, "count": len(found)}


class MissingLang(_PageRule):
    """Missing lang: an indexable page does not declare its language, or declares it malformed.

    What it checks:
        Indexable 200 HTML pages whose <html> has no ``lang`` attribute, an empty one, or a
        value that is not a language tag ("english", "en_US").
    Why it matters:
        Screen readers pick their voice from it, browsers offer translation by it, and
        search engines use it among other signals to show the page to the right audience.
    Example:
        <html> without lang, or <html lang="en_US">.
    How to fix:
        Set it in the template: <html lang="en"> (or en-GB, es, de …), with a hyphen.
    Known false positives:
        None: the attribute costs nothing to add.
    """

    code = "ONP009"
    name = "missing-lang"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    fix = "set <html lang=\"…\"> to the page's language tag, e.g. en or en-GB"

    def problem(self, ctx, url_id, page):
        lang = page.lang
        if lang is None:
            return "no lang attribute on <html>", {"lang": None}
        if not lang.strip():
            return "empty lang attribute on <html>", {"lang": lang}
        if not _LANGUAGE_TAG.match(lang.strip()):
            return f"lang=\"{lang}\" is not a language tag", {"lang": lang}
        return None


class ImageMissingAlt(_PageRule):
    """Image missing alt: images on an indexable page have no alt attribute.

    What it checks:
        <img> elements on indexable 200 HTML pages without an ``alt`` attribute (the crawl
        records img alt as the edge's anchor: NULL when absent). With ``flag_empty_alt``,
        ``alt=""`` counts too. One finding per page listing the images (each once).
    Why it matters:
        Alt text is what screen readers read and what image search indexes; a missing alt is
        an accessibility failure (WCAG 1.1.1) that a linking site's audience may hit.
    Example:
        <img src="/img/dr-lee.jpg"> on /team.
    How to fix:
        Describe each meaningful image in its alt ("Dr Anna Lee, orthodontist"); give purely
        decorative images alt="" so screen readers skip them.
    Known false positives:
        Tracking pixels and spacer images without alt. ``alt=""`` is correct for decorative
        images, which is why it is not reported by default.
    """

    code = "ONP010"
    name = "image-missing-alt"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.ON_PAGE
    fix = "add alt text to meaningful images; alt=\"\" to decorative ones"

    class Options(RuleOptions):
        flag_empty_alt: bool = Field(False, description=(
            "Also report images with alt=\"\" (correct for decorative images)."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        missing: dict[int, dict[str, dict[str, Any]]] = {}
        for link in ctx.links(("img",), fields=("source_id", "target_id", "raw", "anchor")):
            anchor = link.anchor
            if anchor is None or (self.options.flag_empty_alt and not anchor.strip()):
                raw = link.raw
                url = ctx.urls.get(link.target_id, raw) if link.target_id is not None else raw
                missing.setdefault(link.source_id, {}).setdefault(
                    url, {"src": raw, "url": url, "alt": anchor})
        self._missing = missing
        yield from super().check(ctx)

    def problem(self, ctx, url_id, page):
        images = list(self._missing.get(url_id, {}).values())
        if not images:
            return None
        return (f"{len(images)} image(s) without alt text",
                {"images": images, "image_count": len(images)})


class PageTooDeep(Rule):
    """Page too deep: an indexable page takes too many clicks to reach from the start page.

    What it checks:
        Indexable 200 HTML pages whose click depth — the fewest <a>/<area> link clicks from
        the start URL, through any internal page, redirects costing nothing — is more than
        ``max_depth``. Pages no click reaches at all are the orphan-page rules' concern.
    Why it matters:
        Search engines crawl and value deep pages less, and internal link equity (including
        what backlinks bring to the home page) thins out with every click; a service page
        five clicks down is hard to rank and hard to pitch.
    Example:
        / -> /blog -> /blog?page=7 -> /blog/2019/05 -> /blog/implant-faq -> /services/implants.
    How to fix:
        Link important pages from the navigation, the home page or hub pages; add
        related-page links and breadcrumbs so nothing is more than a few clicks away.
    Known false positives:
        Old archive pages that are deep on purpose; exclude them.
    """

    code = "ONP011"
    name = "page-too-deep"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY
    whole_site = True  # click depth needs every path from the start page

    class Options(RuleOptions):
        max_depth: int = Field(4, ge=1, description=(
            "Most clicks from the start URL a page may need."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        depths = ctx.click_depths
        for url_id, _fetch, _page in ctx.indexable_pages():
            depth = depths.get(url_id)
            if depth is None or depth <= self.options.max_depth:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id],
                f"{depth} clicks from the start page (more than {self.options.max_depth})",
                {"click_depth": depth, "max_depth": self.options.max_depth,
                 "start_url": ctx.start_url,
                 "fix": "link to the page from the navigation, home page or a hub page",
                 **inbound.evidence()}, weight=inbound.total)


class NofollowOnlyInbound(Rule):
    """Nofollow-only inbound: every internal link to an indexable page is rel="nofollow".

    What it checks:
        Indexable 200 HTML pages that other pages of the site link to with <a>/<area>, where
        every one of those links carries rel="nofollow".
    Why it matters:
        Nofollow tells search engines not to pass value through the link; a page the site
        itself only nofollows gets none of the equity backlinks bring to the rest of the
        site, and may not be crawled at all.
    Example:
        The only link to /book-online is <a href="/book-online" rel="nofollow"> in the
        header.
    How to fix:
        Remove rel="nofollow" from internal links; if a page should not be indexed, noindex
        it instead.
    Known false positives:
        None: nofollow on internal links is never needed to hide a page.
    """

    code = "ONP012"
    name = "nofollow-only-inbound"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY
    whole_site = True  # the followed links may be on pages not listed

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        def click(edge: dict[str, Any]) -> bool:
            return edge["element"] in CLICK_ELEMENTS

        # Counted in one pass over the click edges; only a page to report lists its edges.
        clicks: Counter = Counter()
        followed: Counter = Counter()
        for target_id, rel, edges in ctx.click_rels("target_id"):
            clicks[target_id] += edges
            if not is_nofollow(rel):
                followed[target_id] += edges
        for url_id, _fetch, _page in ctx.indexable_pages():
            if not clicks[url_id] or followed[url_id]:
                continue
            inbound = ctx.inbound_where(url_id, click)
            yield self.finding(
                ctx.urls[url_id],
                f"all {inbound.link_count} internal links to this page are nofollow "
                f"(from {inbound.source_pages} pages)",
                {"fix": "remove rel=\"nofollow\" from internal links", **inbound.evidence()},
                weight=inbound.total)


class NoOutgoingInternalLinks(Rule):
    """No outgoing internal links: an indexable page links to no other page of the site.

    What it checks:
        Indexable 200 HTML pages with no followed <a>/<area> link to another internal URL
        (links with rel="nofollow" and links to the page itself do not count).
    Why it matters:
        A dead end: a visitor arriving from a backlink has nowhere to go next, and the
        link equity the backlink brings stays on that page instead of flowing to the rest
        of the site.
    Example:
        A landing page built without the site's navigation, linking only to an outside
        booking system.
    How to fix:
        Add the site's navigation, or at least links to the home page and related services.
    Known false positives:
        Pages whose navigation is built by JavaScript are invisible to the crawl.
    """

    code = "ONP013"
    name = "no-outgoing-internal-links"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.LOST_EQUITY

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        linking = {source_id for source_id, rel, _edges
                   in ctx.click_rels("source_id", internal_target=True) if not is_nofollow(rel)}
        for url_id, _fetch, _page in ctx.indexable_pages():
            if url_id in linking:
                continue
            outbound = sum(1 for _ in ctx.links(CLICK_ELEMENTS, source_id=url_id,
                                                fields=("source_id",)))
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], "links to no other page of the site",
                {"links_on_page": outbound,
                 "fix": "add the navigation or links to related pages", **inbound.evidence()},
                weight=inbound.total)


# WHATWG: a <meta> prescan naming UTF-16 means UTF-8 (readiness.crawl.charset).
_UTF16 = frozenset({"utf-16", "utf-16-le", "utf-16-be"})


def encoding_problem(page: Any) -> tuple[str, dict[str, Any]] | None:
    """What is false or conflicting in a page's charset declarations, if anything."""
    header, meta, used = page.charset_header, page.charset_meta, page.encoding
    if used is None:
        return None
    evidence = {"header_charset": header, "meta_charset": meta, "decoded_as": used}
    declared = header or ("utf-8" if meta in _UTF16 else meta)
    if declared is not None and used != declared:
        return None  # a byte-order mark decided, as it does in browsers
    if meta in _UTF16 and used not in _UTF16:
        return f"the page declares {meta} in its <meta> but is not UTF-16 (read as {used})", \
            evidence
    if header and meta and header != meta:
        return f"the header says {header}, the <meta> says {meta}", evidence
    if declared == "utf-8" and page.encoding_valid is False:
        return "the page declares utf-8 but its bytes are not valid UTF-8", evidence
    return None


class FalseCharsetDeclaration(_PageRule):
    """False charset declaration: a page declares an encoding its bytes are not in, or two.

    What it checks:
        Indexable 200 HTML pages whose ``<meta charset>`` names UTF-16 though the page is
        not UTF-16 (browsers then read it as UTF-8, as the HTML standard says), whose
        Content-Type charset and ``<meta>`` charset disagree, or that declare UTF-8 but hold
        bytes that are not valid UTF-8. A byte-order mark overrides every declaration, as in
        browsers, so a page with one is not judged on them.
    Why it matters:
        Browsers and search engines follow the HTML standard's sniffing, simpler tools do
        not: a page read in the wrong encoding shows mojibake or nothing at all (UTF-8 read
        as UTF-16 is CJK noise with no title and no links) in link previews, SEO tools and
        outreach prospects' checks. Declarations that disagree leave the result to whichever
        one a reader trusts.
    Example:
        ``<meta charset="utf-16">`` copied from an editor's template on a UTF-8 page.
    How to fix:
        Declare the encoding the page is saved in, once, the same in the Content-Type header
        and the ``<meta charset>`` (UTF-8 everywhere is simplest), and save the file in it.
    Known false positives:
        A page whose Content-Type charset is right and whose ``<meta>`` is a harmless
        leftover is still reported for the conflict.
    """

    code = "ONP014"
    name = "false-charset-declaration"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.ON_PAGE
    fix = "declare the page's real encoding (utf-8) once, the same in header and <meta>"

    def problem(self, ctx: AnalysisContext, url_id: int, page: Any
                ) -> tuple[str, dict[str, Any]] | None:
        return encoding_problem(page)


class NestingTooDeep(Rule):
    """Nesting too deep: a page nests its elements deeper than parsers keep.

    What it checks:
        200 HTML pages whose elements nest past the level the HTML parser keeps (2,048 for
        libxml2, or where the crawl's linear scan of the text stops, 4,096 open elements).
        What lies deeper was dropped: the crawl recorded the links and text before the cut.
    Why it matters:
        Links and text past that depth are not seen by crawlers either: every parser bounds
        the depth of the tree it builds, and what it drops is neither indexed nor followed.
        Such depth is nearly always a bug: unclosed elements opened once per item.
    Example:
        /archive opens a <div> per post and never closes them: 100,000 levels.
    How to fix:
        Close the elements the template opens (an HTML validator names the unclosed ones).
    Known false positives:
        None: no real layout needs thousands of levels.
    """

    code = "ONP015"
    name = "nesting-too-deep"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.ON_PAGE

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, page in ctx.pages.items():
            depth = page.nesting_cut
            if depth is None:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id],
                f"links and text past nesting depth {depth} are not seen by crawlers",
                {"nesting_cut": depth,
                 "fix": "close the elements the template opens; validate the HTML",
                 **inbound.evidence()},
                weight=inbound.total)
