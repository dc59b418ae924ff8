"""Main-content text of a page and its fingerprints: word count, exact hash, MinHash signature.

Main content is the first ``<main>`` or ``[role=main]`` element when the page has one, else
``<body>``, without nav, header, footer, aside, script, style, noscript, template, svg,
``[role=navigation|banner|contentinfo|complementary]``, comments, and the elements inside it
that match the configured ``boilerplate_selectors``.
Text nodes are joined with a space, so words in adjacent blocks of minified HTML
(``<li>Home</li><li>Shop</li>``) stay apart; the price is that a word split by an inline
tag (``<b>W</b>ord``) counts as two.

Fingerprints, all over the lower-cased words of that text:

``content_hash``
    blake2b (16-byte digest) hex of the words joined by single spaces. Equal hashes mean the
    same main-content text.

``minhash`` (the ``pages.minhash`` BLOB)
    A datasketch ``MinHash`` signature of the set of ``shingle_words``-word shingles (each
    shingle the utf-8 bytes of its words joined by one space), stored as its ``num_perm``
    hash values, each a little-endian uint32 (``hashvalues.astype('<u4').tobytes()``), so
    ``4 * num_perm`` bytes. Permutation scheme "affine32" with the given ``seed``; shingles
    hashed with ``zlib.crc32`` (see ``SHINGLE_HASH``). Two signatures compare only when
    ``num_perm``, ``seed``, scheme, hash function and shingling were all the same, so they are
    module constants and PageExtractor defaults. Read one back with :func:`minhash_from_bytes`;
    estimate the Jaccard similarity of two with :func:`jaccard`.

    What it estimates: the Jaccard similarity of two pages' shingle sets, |A ∩ B| / |A ∪ B|.
    The share of the ``num_perm`` values two signatures have in common is an unbiased
    estimate of it, with a standard error of sqrt(J (1 - J) / num_perm): 0.031 at J = 0.5
    with 256 values (0.044 with 128, the size before the near-duplicate calibration; stores
    written then still compare among themselves, as the size is read from the BLOB).
    5-word shingles and 256 values were chosen on labelled pairs of practice pages
    (docs/near-duplicates.md): rewriting a quarter of the main text gives J ~0.58, half of
    it ~0.33.
"""

from __future__ import annotations

import copy
import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from cssselect import HTMLTranslator, SelectorError
from lxml import etree

# 256, not datasketch's 128: the near-duplicate threshold (0.40) sits in a gap ~0.07 wide
# between the labelled pairs that must be flagged and those that must not; 128 values'
# error (0.037 RMSE) spans half of it (1% false flags), 256 values' (0.024) a third
# (none). docs/near-duplicates.md has the table.
DEFAULT_NUM_PERM = 256
DEFAULT_SHINGLE_WORDS = 5
DEFAULT_SEED = 1
MINHASH_SCHEME = "affine32"  # explicit: datasketch's default scheme changed once already (2.0)
# crc32 instead of datasketch's default sha1: hashing is most of the signature's cost on
# the crawl's hot path, and zlib.crc32 is ~5x faster per shingle. datasketch premixes every
# input hash with the MurmurHash3 finalizer, so the signature's Jaccard estimates are as
# accurate as with sha1 (measured: same bias and RMSE over 300 pairs of 400-word texts).
SHINGLE_HASH = zlib.crc32

# Stripped by tag in one libxml2 pass; comments and processing instructions carry no text
# a reader sees.
STRIPPED_TAGS = ("nav", "header", "footer", "aside", "script", "style", "noscript",
                 "template", "svg")
# The ARIA landmarks those elements stand for, and the page region each names (extract.py
# tags links with it; complementary is <aside>'s).
REGION_ROLES = {"navigation": "nav", "banner": "header", "contentinfo": "footer",
                "complementary": "aside"}
STRIPPED_ROLES = frozenset(REGION_ROLES)

# Attribute-axis XPaths: libxml2 walks attribute nodes much faster than it tests a
# predicate on every element (//@role/.. takes a third of the time of //*[@role]).
_MAIN_CANDIDATES = etree.XPath("//main | //@role/..", smart_strings=False)
_ROLE_ELEMENTS = etree.XPath("descendant::*/@role/..", smart_strings=False)
_TEXT_NODES = etree.XPath("descendant::text()", smart_strings=False)


@dataclass(slots=True)
class MainContent:
    word_count: int
    content_hash: str | None  # None when the main content has no words
    minhash: bytes | None     # None when it has fewer words than one shingle


class MainContentReader:
    """Finds a page's main content and fingerprints it; build once, call ``read`` per page."""

    def __init__(self, boilerplate_selectors: Sequence[str] = (),
                 num_perm: int = DEFAULT_NUM_PERM, shingle_words: int = DEFAULT_SHINGLE_WORDS,
                 seed: int = DEFAULT_SEED) -> None:
        if num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, got {num_perm}")
        if shingle_words < 1:
            raise ValueError(f"shingle_words must be at least 1, got {shingle_words}")
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self.seed = seed
        self._a, self._b = _permutations(num_perm, seed)
        self._boilerplate = _compile_selectors(boilerplate_selectors)

    def read(self, root: etree._Element) -> MainContent:
        words = self.main_text(root).split()
        if not words:
            return MainContent(0, None, None)
        normalised = " ".join(words).lower()
        content_hash = hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).hexdigest()
        return MainContent(len(words), content_hash, self._signature(normalised))

    def main_text(self, root: etree._Element) -> str:
        """The main content's text nodes joined by spaces (not whitespace-normalised)."""
        container = _main_container(root)
        if container is None:
            return ""
        # Work on a copy: the extractor reads the same tree after us (structured data,
        # addresses), and custom rules read main content from a stored page's tree.
        # Copying and stripping in libxml2 is cheaper than a Python walk that skips subtrees.
        boilerplate_paths = self._boilerplate_paths(root, container)
        container_copy = copy.deepcopy(container)
        doomed = [_follow(container_copy, path) for path in boilerplate_paths]
        doomed += [element for element in _ROLE_ELEMENTS(container_copy)
                   if first_role(element) in STRIPPED_ROLES]
        etree.strip_elements(container_copy, *STRIPPED_TAGS, etree.Comment,
                             etree.ProcessingInstruction, with_tail=False)
        for element in doomed:
            if element is container_copy:  # the whole main content is boilerplate
                return ""
            if element.getparent() is not None:  # else gone with a stripped ancestor
                element.drop_tree()  # lxml.html: drops the subtree, keeps the text after it
        if container_copy.tag in STRIPPED_TAGS:
            return ""
        return " ".join(_TEXT_NODES(container_copy))

    def _boilerplate_paths(self, root: etree._Element,
                           container: etree._Element) -> list[list[int]]:
        """Child-index paths from the container to each boilerplate element inside it.

        Selectors are matched against the whole document (so ``body .promo`` works) and the
        matches carried over to the copy by position, before anything in the copy moves.
        """
        if self._boilerplate is None:
            return []
        paths = []
        for element in self._boilerplate(root):
            path = []
            while element is not container:
                parent = element.getparent()
                if parent is None:  # outside the main content
                    break
                path.append(parent.index(element))
                element = parent
            else:
                paths.append(path[::-1])
        return paths

    def _signature(self, normalised: str) -> bytes | None:
        words = normalised.encode("utf-8").split(b" ")
        k = self.shingle_words
        if len(words) < k:
            return None
        shingles = map(b" ".join, zip(*(words[i:] for i in range(k))))
        hashes = np.fromiter(map(SHINGLE_HASH, shingles), dtype=np.uint32,
                             count=len(words) - k + 1)
        # datasketch's "affine32" scheme, computed here so the crawl does not import
        # datasketch (and scipy: ~80 MB and ~0.9 s at start-up): MurmurHash3's finalizer
        # premixes each shingle hash, then a*h + b mod 2^32 per permutation, min per column.
        mixed = _fmix32(hashes).reshape(-1, 1)
        with np.errstate(over="ignore"):
            permuted = mixed * self._a + self._b
        return permuted.min(axis=0).astype("<u4").tobytes()


def minhash_from_bytes(blob: bytes, num_perm: int = DEFAULT_NUM_PERM,
                       seed: int = DEFAULT_SEED):
    """The ``datasketch.MinHash`` a ``pages.minhash`` BLOB was stored from (for LSH, jaccard)."""
    if len(blob) != 4 * num_perm:
        raise ValueError(f"a {num_perm}-permutation signature is {4 * num_perm} bytes, "
                         f"got {len(blob)}")
    from datasketch import MinHash  # imported here: the crawl itself never needs it

    return MinHash(num_perm, seed, hashfunc=SHINGLE_HASH,
                   hashvalues=np.frombuffer(blob, dtype="<u4"),
                   permutations=_permutations(num_perm, seed), scheme=MINHASH_SCHEME)


def jaccard(blob_a: bytes, blob_b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two stored signatures."""
    if len(blob_a) != len(blob_b) or len(blob_a) % 4:
        raise ValueError(f"signatures of different sizes: {len(blob_a)} and {len(blob_b)} bytes")
    num_perm = len(blob_a) // 4
    return minhash_from_bytes(blob_a, num_perm).jaccard(minhash_from_bytes(blob_b, num_perm))


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's affine32 permutation parameters [a, b] for (num_perm, seed)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


def _fmix32(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, element-wise (multiplication wraps mod 2^32)."""
    with np.errstate(over="ignore"):
        hashes = hashes ^ (hashes >> np.uint32(16))
        hashes = hashes * np.uint32(0x85EBCA6B)
        hashes = hashes ^ (hashes >> np.uint32(13))
        hashes = hashes * np.uint32(0xC2B2AE35)
        return hashes ^ (hashes >> np.uint32(16))


def _compile_selectors(selectors: Sequence[str]) -> etree.XPath | None:
    translator = HTMLTranslator()
    expressions = []
    for selector in selectors:
        try:
            expressions.append(translator.css_to_xpath(selector, prefix="descendant-or-self::"))
        except SelectorError as exc:
            raise ValueError(f"invalid boilerplate selector {selector!r}: {exc}") from exc
    if not expressions:
        return None
    return etree.XPath(" | ".join(expressions), smart_strings=False)


def _main_container(root: etree._Element) -> etree._Element | None:
    for element in _MAIN_CANDIDATES(root):
        if element.tag == "main" or first_role(element) == "main":
            return element
    return root.getroottree().getroot().find("body")


def first_role(element: etree._Element) -> str | None:
    # role is a token list; user agents use the first token they know, and these all are.
    tokens = element.get("role", "").lower().split()
    return tokens[0] if tokens else None


def _follow(element: etree._Element, path: list[int]) -> etree._Element:
    for index in path:
        element = element[index]
    return element

