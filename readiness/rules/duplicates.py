"""Duplicate content rules (DUP): exact and near-duplicate pages, thin pages, shared titles.

Only pages that compete in search are compared: 200 HTML pages that are indexable (so a
noindex page, or one canonicalised to another URL, has already been dealt with). Content is
the page's main content as the crawl read it (readiness.page.content): boilerplate stripped,
fingerprinted by an exact hash and a MinHash signature. Every comparison costs about linear
time in the number of pages — grouping by hash, and MinHash LSH for near-duplicates — never
all pairs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Iterator

import numpy as np
from pydantic import Field

from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity
from readiness.rules.context import AnalysisContext

FAMILY = "duplicates"
DEFAULT_MIN_WORDS = 50
# Calibrated on labelled page pairs (bench/near_duplicates.py, docs/near-duplicates.md).
DEFAULT_NEAR_THRESHOLD = 0.40
# datasketch's own banding for a threshold finds a pair at exactly that threshold only
# ~40% of the time (its S-curve is centred there); DUP002 bands for this recall at its
# threshold instead. The extra candidates cost one signature comparison each.
LSH_RECALL = 0.99
SIMILARITY_MEASURE = ("estimated Jaccard similarity of the pages' sets of 5-word shingles of "
                      "main content (MinHash)")
CANONICALISE_FIX = ("pick one URL to keep; point the others at it with rel=canonical, or "
                    "301-redirect them to it, and link only to the kept URL")


def content_candidates(ctx: AnalysisContext, min_words: int) -> dict[int, Any]:
    """Indexable pages with enough main content to be compared (fewer words is thin)."""
    return {url_id: page for url_id, _fetch, page in ctx.indexable_pages()
            if page.word_count is not None and page.word_count >= min_words}


def by_inbound(ctx: AnalysisContext, url_ids: Iterable[int]) -> list[int]:
    """Most-linked first (the URL most worth keeping), then by URL."""
    return sorted(url_ids, key=lambda i: (-ctx.link_counts.get(i, (0, 0))[0], ctx.urls[i]))


def member(ctx: AnalysisContext, url_id: int, similarity: float) -> dict[str, Any]:
    edges, pages = ctx.link_counts.get(url_id, (0, 0))
    return {"url": ctx.urls[url_id], "inbound_link_count": edges, "linking_pages": pages,
            "similarity": similarity}


def cluster_weight(ctx: AnalysisContext, url_ids: Iterable[int]) -> int:
    """Inbound link edges plus sitemap entries of all members."""
    return sum(ctx.link_counts.get(i, (0, 0))[0] + len(ctx.sitemap_listing.get(i, ()))
               for i in url_ids)


def normalised(value: str | None) -> str:
    """Case- and whitespace-insensitive form of a title or description ('' when empty)."""
    return " ".join((value or "").split()).casefold()


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            parent = self.parent[item] = self.find(parent)
        return parent

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


class DuplicateContent(Rule):
    """Duplicate content: two or more indexable pages have exactly the same main content.

    What it checks:
        Indexable 200 HTML pages with at least ``min_words`` words of main content (nav,
        header, footer, aside and configured boilerplate removed), grouped by the hash of
        that text. Each group of two or more is one finding listing every member with its
        inbound internal links; the most-linked member is the one reported.
    Why it matters:
        Search engines index one URL of a duplicate set and pick it themselves; backlinks
        earned by the others split the page's link equity or land on a URL that is filtered
        out of results. Before building links, each piece of content needs one URL.
    Example:
        /implants and /services/implants?ref=menu both answer 200 with the same text and no
        canonical.
    How to fix:
        Pick one URL to keep, point the others at it with rel=canonical (or 301-redirect
        them), and link internally only to the kept URL.
    Known false positives:
        Pages whose differences live outside the main content (a different form, map or
        boilerplate block) — exclude them, or narrow ``crawl.boilerplate_selectors``.
    """

    code = "DUP001"
    name = "duplicate-content"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    class Options(RuleOptions):
        min_words: int = Field(DEFAULT_MIN_WORDS, ge=1, description=(
            "Fewest main-content words a page needs to be compared (fewer is thin content)."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        groups: dict[str, list[int]] = defaultdict(list)
        for url_id, page in content_candidates(ctx, self.options.min_words).items():
            if page.content_hash:
                groups[page.content_hash].append(url_id)
        for url_ids in groups.values():
            if len(url_ids) < 2:
                continue
            members = by_inbound(ctx, url_ids)
            urls = [ctx.urls[i] for i in members]
            yield self.finding(
                urls[0], f"{len(urls)} pages have the same content: " + ", ".join(urls),
                {"members": [member(ctx, i, 1.0) for i in members], "similarity": 1.0,
                 "fix": CANONICALISE_FIX},
                subject="|".join(sorted(urls)), weight=cluster_weight(ctx, members))


class NearDuplicateContent(Rule):
    """Near-duplicate content: indexable pages whose main content is almost the same.

    What it checks:
        Indexable 200 HTML pages with at least ``min_words`` words of main content (nav,
        header, footer, aside and configured boilerplate removed), compared by the Jaccard
        similarity of their sets of 5-word shingles: every run of five consecutive words,
        lower-cased, is one shingle, and similarity is the shared shingles over all shingles
        of the two pages. The crawl stores a MinHash signature of each set (256 values);
        the share of values two signatures have in common estimates that Jaccard similarity
        (standard error about 0.03 near the threshold). Locality-sensitive hashing pairs up
        candidate pages, so the cost grows with the number of pages, not pairs; pages whose
        estimate is at or above ``threshold`` join one cluster (transitively). Exact
        duplicates are DUP001's: a cluster is reported only when it holds at least two
        different texts. Evidence lists every member with its similarity to the reported
        (most-linked) member and to its nearest other member.
    Why it matters:
        Pages that differ by a name or a paragraph — location pages for one service, doctor
        bios from one template, a service described twice — compete with each other in
        search and split the links they earn; search engines may keep only one in the index.
    Example:
        /implants-leeds and /implants-york: the same page with the city swapped and one of
        four paragraphs rewritten (similarity ~0.5).
    How to fix:
        Merge the pages and redirect the others to the merged one, or make each page
        substantially its own (local details, staff, cases); where two must stay, canonicalise
        one to the other.
    Known false positives:
        Legitimately similar pages (the same policy per location) — accept them, or raise
        ``threshold``. The default 0.40 was calibrated on labelled pairs of practice pages
        (docs/near-duplicates.md): a quarter of the main text rewritten is ~0.58, a doorway
        page with its city swapped and one paragraph rewritten ~0.50, half the text rewritten
        ~0.33 (not reported), pages sharing only the template ~0.05. Shingles make the
        measure fall faster than the share of words changed (rewriting a share f of the text
        gives about (1 - f) / (1 + f)), and a page whose text is contained in a longer one
        scores by the longer one's size. As an estimate, a pair within ~0.05 of the
        threshold may be reported in one crawl of a changed page and not in the next.
    """

    code = "DUP002"
    name = "near-duplicate-content"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.INDEXABILITY

    class Options(RuleOptions):
        threshold: float = Field(DEFAULT_NEAR_THRESHOLD, gt=0.0, le=1.0, description=(
            "Estimated Jaccard similarity of two pages' 5-word shingles at or above which "
            "they are near-duplicates (0.40: a doorway page differing by a paragraph is "
            "~0.50, half the text rewritten ~0.33)."))
        min_words: int = Field(DEFAULT_MIN_WORDS, ge=1, description=(
            "Fewest main-content words a page needs to be compared (fewer is thin content)."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        candidates = content_candidates(ctx, self.options.min_words)
        # Exact copies share one signature: compare one representative per text, and let
        # the copies join whatever cluster their representative joins.
        copies: dict[str, list[int]] = defaultdict(list)
        blobs: dict[int, bytes] = {}
        for url_id, blob in ctx.page_field("minhash"):
            page = candidates.get(url_id)
            if page is None or not page.content_hash:
                continue
            if blobs and len(blob) != len(next(iter(blobs.values()))):
                continue  # made with other MinHash settings: not comparable
            copies[page.content_hash].append(url_id)
            if len(copies[page.content_hash]) == 1:
                blobs[url_id] = blob
        if len(blobs) < 2:
            return
        num_perm = len(next(iter(blobs.values()))) // 4
        threshold = self.options.threshold
        text_ids = list(blobs)
        matrix = np.frombuffer(b"".join(blobs.values()), dtype="<u4").reshape(-1, num_perm)
        signatures = dict(zip(text_ids, matrix))
        clusters = _UnionFind()
        # Highest similarity of each text to another one at or above the threshold: what
        # put it in its cluster. Every candidate pair is verified, so this (like the
        # clusters) depends on the signatures alone, not on the order pages came in.
        nearest: dict[int, float] = {}
        left, right = candidate_pairs(matrix, *lsh_bands_rows(num_perm, threshold))
        similarities = _pair_similarities(matrix, left, right)
        close = similarities >= threshold
        for row_a, row_b, similarity in zip(left[close].tolist(), right[close].tolist(),
                                            similarities[close].tolist()):
            for page_id in (text_ids[row_a], text_ids[row_b]):
                nearest[page_id] = max(nearest.get(page_id, 0.0), similarity)
            clusters.union(text_ids[row_a], text_ids[row_b])
        groups: dict[int, list[int]] = defaultdict(list)
        texts: dict[int, int] = defaultdict(int)
        for page_ids in copies.values():
            if page_ids[0] in clusters.parent:
                root = clusters.find(page_ids[0])
                groups[root].extend(page_ids)
                texts[root] += 1
        representative = {i: page_ids[0] for page_ids in copies.values() for i in page_ids}
        has_copy = {i for page_ids in copies.values() if len(page_ids) > 1 for i in page_ids}
        for root, url_ids in groups.items():
            if texts[root] < 2:  # compared, but similar to nothing
                continue
            members = by_inbound(ctx, url_ids)
            first = signatures[representative[members[0]]]
            evidence_members = [
                {**member(ctx, i, round(_similarity(first, signatures[representative[i]]), 2)),
                 "nearest_similarity": round(
                     1.0 if i in has_copy else nearest[representative[i]], 2)}
                for i in members]
            urls = [ctx.urls[i] for i in members]
            others = [m["similarity"] for m in evidence_members[1:]]
            spread = (f"{min(others):.2f}" if min(others) == max(others)
                      else f"{min(others):.2f}-{max(others):.2f}")
            yield self.finding(
                urls[0], f"{len(urls)} pages have nearly the same main content (similarity "
                f"{spread} to {urls[0]}, threshold {threshold:.2f}): " + ", ".join(urls[1:]),
                {"members": evidence_members, "threshold": threshold,
                 "measure": SIMILARITY_MEASURE, "fix": CANONICALISE_FIX},
                subject="|".join(sorted(urls)), weight=cluster_weight(ctx, members))


def lsh_bands_rows(num_perm: int, threshold: float) -> tuple[int, int]:
    """LSH bands x rows over ``num_perm``-value signatures for a similarity ``threshold``.

    The most rows per band (the fewest candidate pairs to verify) that still make a pair
    at exactly the threshold a candidate with probability LSH_RECALL. For 256 values and
    0.40 that is 85 bands of 3 rows: 0.996 at 0.40, 0.98 at 0.35, 0.08 at 0.10.
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if lsh_candidate_probability(threshold, bands, rows) >= LSH_RECALL:
            return bands, rows
    raise ValueError(f"no LSH banding of {num_perm} values reaches threshold {threshold}")


def candidate_pairs(signatures: np.ndarray, bands: int,
                    rows: int) -> tuple[np.ndarray, np.ndarray]:
    """LSH: row index pairs (i < j, each once) of signatures equal on all rows of some band.

    The banding of datasketch's MinHashLSH, done a band at a time over the whole matrix
    (np.unique groups equal bands): a few array passes per band instead of a dictionary
    insert per page and band. With 85 bands, DUP002 over 20,000 distinct pages took 7.7 s
    with MinHashLSH and takes 1.3 s so (bench/near_duplicates.py --site 20000).
    """
    count = len(signatures)
    found: list[np.ndarray] = []  # pairs as i * count + j, duplicates across bands included
    pending = 0
    for band in range(bands):
        bucket = _equal_rows(signatures[:, band * rows:(band + 1) * rows])
        sizes = np.bincount(bucket.ravel())
        order = np.argsort(bucket.ravel(), kind="stable")
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        # All buckets of one size at once: a (buckets x size) matrix of their rows.
        for size in np.unique(sizes[sizes >= 2]).tolist():
            members = np.sort(order[starts[sizes == size][:, None] + np.arange(size)], axis=1)
            i, j = np.triu_indices(size, 1)
            found.append((members[:, i] * count + members[:, j]).ravel())
            pending += found[-1].size
        if pending > 4_000_000:  # pairs seen in several bands: keep memory to unique pairs
            found, pending = [np.unique(np.concatenate(found))], 0
    pairs = np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return pairs // count, pairs % count


def _equal_rows(band: np.ndarray) -> np.ndarray:
    """A bucket number per row, the same for equal rows (np.unique(axis=0)'s inverse up to
    numbering, which the pairs do not depend on): a lexsort of the band's few columns,
    several times faster than np.unique's sort of rows as opaque bytes."""
    order = np.lexsort(band.T)
    ordered = band[order]
    starts = np.any(ordered[1:] != ordered[:-1], axis=1)
    bucket = np.empty(len(band), dtype=np.intp)
    bucket[order] = np.concatenate(([0], np.cumsum(starts)))
    return bucket


def _pair_similarities(signatures: np.ndarray, first: np.ndarray, second: np.ndarray,
                       chunk: int = 65536) -> np.ndarray:
    """Estimated Jaccard similarity of each pair (first[k], second[k]) of signature rows."""
    similarities = np.empty(len(first), dtype=np.float64)
    for start in range(0, len(first), chunk):
        a = signatures[first[start:start + chunk]]
        b = signatures[second[start:start + chunk]]
        similarities[start:start + chunk] = np.count_nonzero(a == b, axis=1) / a.shape[1]
    return similarities


def lsh_candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Chance that two signatures this similar agree on all ``rows`` values of some band."""
    return 1 - (1 - similarity ** rows) ** bands


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (datasketch's MinHash.jaccard)."""
    return float(np.count_nonzero(a == b)) / len(a)


class ThinContent(Rule):
    """Thin content: an indexable page has very little text of its own.

    What it checks:
        Indexable 200 HTML pages whose main content (nav, header, footer, aside and
        configured boilerplate removed) has fewer than ``min_words`` words.
    Why it matters:
        A page with little to say is a weak target for links and may be judged low-value;
        outreach asks people to link to something worth reading.
    Example:
        /services/whitening: a heading, a photo and one sentence.
    How to fix:
        Add substance (what, who, how, cost, questions patients ask), merge the page into a
        fuller one, or noindex it if it only exists for navigation.
    Known false positives:
        Contact, booking and gallery pages are short by nature; content rendered by
        JavaScript is invisible to the crawl and counts as no words.
    """

    code = "DUP003"
    name = "thin-content"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE

    class Options(RuleOptions):
        min_words: int = Field(DEFAULT_MIN_WORDS, ge=1, description=(
            "Fewest main-content words an indexable page should have."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, _fetch, page in ctx.indexable_pages():
            words = page.word_count
            if words is None or words >= self.options.min_words:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id],
                f"only {words} words of main content (fewer than {self.options.min_words})",
                {"word_count": words, "min_words": self.options.min_words,
                 "fix": "add substantial content, merge into a fuller page, or noindex it",
                 **inbound.evidence()},
                weight=inbound.total)


class _SharedValueRule(Rule):
    """Pages sharing one normalised value of a ``pages`` column (base, not a rule)."""

    column: str
    label: str
    fix: str

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        groups: dict[str, list[int]] = defaultdict(list)
        for url_id, _fetch, page in ctx.indexable_pages():
            key = normalised(getattr(page, self.column))
            if key:
                groups[key].append(url_id)
        for key, url_ids in groups.items():
            if len(url_ids) < 2:
                continue
            members = by_inbound(ctx, url_ids)
            value = " ".join(getattr(ctx.pages[members[0]], self.column).split())
            yield self.finding(
                ctx.urls[members[0]], f"{len(members)} pages share the {self.label} \"{value}\"",
                {self.column: value, "members": [ctx.urls[i] for i in members],
                 "member_count": len(members), "fix": self.fix},
                subject=key, weight=cluster_weight(ctx, members))


class DuplicateTitle(_SharedValueRule):
    """Duplicate title: two or more indexable pages have the same <title>.

    What it checks:
        Non-empty titles of indexable 200 HTML pages, compared ignoring case and runs of
        whitespace. One finding per shared title, listing every page that uses it.
    Why it matters:
        The title is what a search result and a shared link show. Identical titles make
        pages look interchangeable to search engines and to the people deciding whether to
        link, and often betray duplicate or templated pages.
    Example:
        /team/anna and /team/ben are both titled "Our team | Smile Dental".
    How to fix:
        Write a title per page that says what that page is (service, person, place), with
        the brand last.
    Known false positives:
        Paginated archives (/blog?page=2) often share a title on purpose; exclude them.
    """

    code = "DUP004"
    name = "duplicate-title"
    family = FAMILY
    severity = Severity.WARNING
    impact = LinkImpact.ON_PAGE
    column = "title"
    label = "title"
    fix = "give each page a title that names what that page is about"


class DuplicateMetaDescription(_SharedValueRule):
    """Duplicate meta description: two or more indexable pages have the same description.

    What it checks:
        Non-empty <meta name="description"> of indexable 200 HTML pages, compared ignoring
        case and runs of whitespace. One finding per shared description, listing every page.
    Why it matters:
        The description is the snippet searchers and link previews show; a copied one tells
        nobody why this page is worth a click, and search engines tend to replace it.
    Example:
        Every service page says "Smile Dental: your friendly practice in Leeds.".
    How to fix:
        Write a short description per page, or remove it and let search engines pick a
        snippet from the page.
    Known false positives:
        Templates that set one site-wide description; worth fixing, but not urgent.
    """

    code = "DUP005"
    name = "duplicate-meta-description"
    family = FAMILY
    severity = Severity.NOTICE
    impact = LinkImpact.ON_PAGE
    column = "meta_description"
    label = "meta description"
    fix = "write a description per page, or leave it out"
