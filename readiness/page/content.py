"""Main-content text of a page and its fingerprints: word count, exact hash, MinHash signature.

Main content is the first ``<main>`` or ``[role=main]`` element when the page has one, else
``<body>``, without nav, header, footer, aside, script, style, noscript, template, svg,
``[role=navigation|banner|contentinfo|complementary]``, comments, and the elements inside it
that match the configured ``boilerplate_selectors``.
Text nodes are joined with a space, so words in adjacent blocks of minified HTML
(``<li>Home</li><li>Shop</li>``) stay apart; the price is that a word split by an inline
tag (``<b>W</b>ord``) counts as two.

Its fingerprints (word count, exact hash, MinHash signature) are made by
readiness.page.fingerprint from the lower-cased words of that text.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from readiness.page.fingerprint import (
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_SHINGLE_WORDS,
    MinHasher,
    content_hash,
)

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
        self.minhasher = MinHasher(num_perm, shingle_words, seed)
        self._boilerplate = _compile_selectors(boilerplate_selectors)

    def read(self, root: etree._Element) -> MainContent:
        words = self.main_text(root).split()
        if not words:
            return MainContent(0, None, None)
        normalised = " ".join(words).lower()
        return MainContent(len(words), content_hash(normalised),
                           self.minhasher.signature(normalised))

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

