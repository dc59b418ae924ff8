"""Template groups: one entry for a problem a template repeats on a section of the site.

A documentation site of 667 pages without a canonical gets 667 CAN001 findings that are one
fact about its page template. Findings that share a rule, a cause (the message with its
URL-specific parts removed) and a section (host and first path segment: ``/book/*``) form a
group when there are at least ``groups.min_members`` of them and they cover at least
``groups.min_share`` of that section's crawled HTML pages. Only findings about a crawled HTML
page are candidates (the engine decides): a template renders pages, not dead URLs. The group has its own stable id
(``G-<rule>-<hash>``); each member keeps its finding id (baselines match it) and gets
``"group": "<group id>"`` (docs/findings.md).

Grouping streams: the engine writes each finding's candidate group id and section to the
findings spool with it (``group_key``); the groups are counted there, on disk, and only the
groups that qualify are read back (their first ``MAX_GROUP_URLS`` member URLs, sorted).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable
from urllib.parse import urlsplit

from readiness.config.models import GroupsConfig

# Member URLs a group lists (sorted); every member is still in findings[] and the CSVs.
MAX_GROUP_URLS = 200

# The parts of a message that name one URL's particulars: URLs, paths, quoted text, numbers.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)
_PATH = re.compile(r"(?<![\w/])/[^\s,;:)\]]*")
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|‘[^’]*’')
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def section_of(url: str) -> str | None:
    """The section a URL belongs to: ``scheme://host/first-segment/*``, or
    ``scheme://host/*`` for a URL at the top of its host; None for what is not an http URL.

    Read from the text (findings' URLs are normalised already): once per finding, and
    urlsplit was most of grouping's cost."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        return None
    end = len(rest)
    for mark in "?#":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    rest = rest[:end]
    host, slash, path = rest.partition("/")
    if not host:
        return None
    # "book/x" -> a first segment with something below it is a section; "page.html" is not.
    first, below, _rest = path.partition("/")
    return f"{scheme}://{host}/{first + '/' if first and below else ''}*"


@lru_cache(maxsize=4096)  # a template's findings repeat one message: computed once each
def cause_of(message: str) -> str:
    """A finding's message without what is particular to its URL: what a template repeats."""
    text = _URL.sub("<url>", message)
    text = _QUOTED.sub('"…"', text)
    text = _PATH.sub("<path>", text)
    return _NUMBER.sub("#", text)


def group_key(rule: str, url: str, message: str) -> tuple[str, str] | None:
    """(candidate group id, section) of a finding; None when its URL has no section."""
    section = section_of(url)
    if section is None:
        return None
    return _group_id(rule, section, cause_of(message)), section


@lru_cache(maxsize=4096)
def _group_id(rule: str, section: str, cause: str) -> str:
    digest = hashlib.sha1(f"{rule}\x00{section}\x00{cause}".encode()).hexdigest()
    return f"G-{rule}-{digest[:12]}"


def section_pages(urls: Iterable[str]) -> Counter:
    """section -> how many of ``urls`` (the crawled HTML pages) it holds."""
    return Counter(section for section in map(section_of, urls) if section is not None)


@dataclass(frozen=True)
class Candidate:
    """A candidate group as the spool counts it."""
    id: str
    rule: str
    section: str
    members: int


def qualifies(candidate: Candidate, pages: Counter, config: GroupsConfig) -> bool:
    in_section = pages.get(candidate.section, 0)
    return (candidate.members >= config.min_members and in_section > 0
            and candidate.members / in_section >= config.min_share)


def group_entry(candidate: Candidate, pages: Counter, rule: dict[str, Any],
                urls: list[str], severity: str, impact: str) -> dict[str, Any]:
    """One findings.json ``groups`` entry. ``rule``: {code, name, family, summary}."""
    headline = rule["summary"].split(":", 1)[0].strip() or rule["name"]
    path = urlsplit(candidate.section).path
    in_section = pages[candidate.section]
    pages_of = (f"all {in_section} pages of {path}" if candidate.members >= in_section
                else f"{candidate.members} of the {in_section} pages of {path}")
    return {
        "id": candidate.id, "rule": rule["code"], "name": rule["name"],
        "family": rule["family"], "severity": severity, "impact": impact,
        "template": candidate.section, "members": candidate.members,
        "section_pages": in_section,
        "message": f"{pages_of}: {headline.lower()} — fix the template",
        "urls": urls,
    }
