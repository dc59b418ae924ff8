"""The findings spool: every finding of an analysis, evidence included, kept on disk.

A 100,000-page site yields findings whose evidence (inbound-link lists, duplicate groups)
is several hundred MB as Python objects. The engine writes each finding to the spool as its
rule yields it, in batches, and keeps in memory only a ``FindingRecord`` per finding: what
the verdict, the gate, the counts and the comparisons need. Reports read the full findings
back one at a time, in the document order (docs/findings.md), or a few by id.

The spool is SQLite's private temporary database (an empty file name): on disk, removed when
the spool is closed or collected, never shared between two analyses.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from readiness.rules.base import Finding, LinkImpact, Severity

# Findings written to SQLite at once, and read back per query: bounded memory either way.
BATCH = 1000
# The document order of findings (docs/findings.md): most severe first, then by rule, most
# inbound references first, then URL; insertion order breaks ties, as a stable sort does.
_ORDER = "ORDER BY severity_rank DESC, rule, weight DESC, url, seq"


class FindingRecord(NamedTuple):
    """What is held in memory per finding: no message, no evidence."""
    id: str
    rule: str
    family: str
    severity: Severity
    impact: LinkImpact
    url: str
    weight: int
    accepted: str | None
    inconclusive: bool             # an outbound check that could not be made: never fails a gate

    @classmethod
    def of(cls, finding: dict[str, Any]) -> "FindingRecord":
        """The record of a finding in its findings.json form."""
        # A findings.json written before findings carried an impact: an on-page matter.
        return cls(finding["id"], finding["rule"], finding["family"],
                   Severity(finding["severity"]),
                   LinkImpact(finding.get("impact", LinkImpact.ON_PAGE)),
                   finding["url"], finding["weight"],
                   finding["accepted"], bool(finding["evidence"].get("inconclusive")))

    @property
    def order(self) -> tuple:
        return (-self.severity.rank, self.rule, -self.weight, self.url)

    @property
    def blocker_order(self) -> tuple:
        """How blockers rank: what a link to the URL meets first (the most harmful impact),
        then severity, then weight (inbound links, sitemap entries, referring domains)."""
        return (-self.impact.rank, -self.severity.rank, -self.weight, self.url, self.id)


def encode_finding(document: dict[str, Any]) -> str:
    """A finding as its findings.json line: compact JSON (the C encoder), not ASCII-escaped."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)


def _encode(document: dict[str, Any]) -> bytes:
    return zlib.compress(encode_finding(document).encode("utf-8"), 1)


def _text(body: bytes, group: str | None = None) -> str:
    return _grouped(zlib.decompress(body).decode("utf-8"), group)


def _grouped(line: str, group: str | None) -> str:
    """A finding's line with its template group (``"group"``, last) when it has one: added
    as text when read, so marking a group's members rewrites no stored finding."""
    return line if group is None else f'{line[:-1]},"group":{json.dumps(group)}}}'


# A finding's stored line and its group, when it belongs to one (mark_group).
_BODY = "body, CASE WHEN grouped THEN group_id END"



class FindingsSpool:
    """The findings of one analysis: written once, then read in document order or by id.

    Iterating gives each finding as its findings.json dict; ``records`` the in-memory
    ``FindingRecord`` of each, in the same order.
    """

    def __init__(self) -> None:
        # Read after writing, possibly from another thread (analyse-on-close): never at once.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute(
            "CREATE TABLE findings (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, rule TEXT NOT NULL,"
            " severity_rank INTEGER NOT NULL, weight INTEGER NOT NULL, url TEXT NOT NULL,"
            " subject TEXT NOT NULL, head TEXT NOT NULL, body BLOB NOT NULL,"
            # The template group it would belong to, and its section (rules/templates.py).
            " group_id TEXT, section TEXT, grouped INTEGER NOT NULL DEFAULT 0)")
        self._pending: list[tuple] = []
        self._unsorted: list[tuple[tuple, int, FindingRecord]] = []
        self.records: list[FindingRecord] = []

    # -- writing ---------------------------------------------------------------------------

    def add(self, finding: Finding, group: tuple[str, str] | None = None) -> None:
        """``group``: (candidate group id, section) of the finding, if it has a section."""
        document = finding.to_dict()
        record = FindingRecord.of(document)
        seq = len(self._unsorted)
        self._unsorted.append((record.order, seq, record))
        # The body is the finding's findings.json line, encoded once here and written as is
        # (write_document); the subject makes the id but is not part of findings.json.
        # The head (the finding less its evidence) serves readers that list findings without
        # their evidence (JUnit's system-out), at a small fraction of decoding the body.
        head = {key: value for key, value in document.items() if key != "evidence"}
        self._pending.append((seq, record.id, record.rule, record.severity.rank, record.weight,
                              record.url, finding.subject, encode_finding(head),
                              _encode(document), *(group or (None, None)), 0))
        if len(self._pending) >= BATCH:
            self._flush()

    def finish(self) -> "FindingsSpool":
        """Done writing: index the spool and put the records in document order."""
        self._flush()
        self._db.execute("CREATE INDEX findings_id ON findings (id)")
        self._db.execute("CREATE INDEX findings_rule ON findings (rule)")
        self._db.execute("CREATE INDEX findings_group ON findings (group_id)")
        self._db.commit()
        self._unsorted.sort(key=lambda entry: entry[:2])
        self.records = [record for _order, _seq, record in self._unsorted]
        self._unsorted = []
        return self

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             self._pending)
        self._pending = []

    # -- template groups (readiness.rules.templates) ----------------------------------------

    def group_candidates(self, min_members: int) -> list[tuple[str, str, str, int, int]]:
        """(group id, rule, section, members, highest severity rank) of every candidate
        group with at least ``min_members`` findings, by id: counted on disk."""
        return list(self._rows(
            "SELECT group_id, rule, section, COUNT(*), MAX(severity_rank) FROM findings"
            " WHERE group_id IS NOT NULL GROUP BY group_id HAVING COUNT(*) >= ?"
            " ORDER BY group_id", (min_members,)))

    def group_urls(self, group_id: str, limit: int) -> list[str]:
        """The first ``limit`` member URLs of a group, sorted."""
        return [url for (url,) in self._rows(
            "SELECT DISTINCT url FROM findings WHERE group_id = ? ORDER BY url LIMIT ?",
            (group_id, limit))]

    def mark_group(self, group_id: str) -> None:
        """Each member's findings.json line (and head) says which group it belongs to."""
        self._db.execute("UPDATE findings SET grouped = 1 WHERE group_id = ?", (group_id,))
        self._db.commit()

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> Iterator[tuple]:
        cursor = self._db.execute(sql, tuple(params))
        while rows := cursor.fetchmany(BATCH):
            yield from rows

    def _documents(self, sql: str, params: Iterable[Any] = ()) -> Iterator[dict[str, Any]]:
        for body, group in self._rows(sql, params):
            yield json.loads(_text(body, group))

    def lines(self) -> Iterator[str]:
        """Each finding's findings.json line, in document order, as encoded when spooled."""
        for body, group in self._rows(f"SELECT {_BODY} FROM findings {_ORDER}"):
            yield _text(body, group)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._documents(f"SELECT {_BODY} FROM findings {_ORDER}")

    def with_subjects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(subject, finding) in document order: the subject makes the id and is not part of
        findings.json (findings.csv shows it)."""
        for subject, body, group in self._rows(f"SELECT subject, {_BODY} FROM findings {_ORDER}"):
            yield subject, json.loads(_text(body, group))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return list(self._documents(f"SELECT {_BODY} FROM findings {_ORDER} LIMIT ? OFFSET ?",
                                        (max(0, stop - start), start)))
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        return next(self._documents(f"SELECT {_BODY} FROM findings {_ORDER} LIMIT 1 OFFSET ?",
                                    (position,)))

    def of_rule(self, code: str, whole: Callable[[str], bool] | None = None
                ) -> Iterator[dict[str, Any]]:
        """The findings of one rule, in document order; with ``whole``, only those whose id
        it accepts come with their evidence, the others without an ``evidence`` key (read
        from their head, not their body)."""
        if whole is None:
            return self._documents(f"SELECT {_BODY} FROM findings WHERE rule = ? {_ORDER}", (code,))
        return (json.loads(_text(body, group) if whole(finding_id) else _grouped(head, group))
                for finding_id, head, body, group in self._rows(
                    f"SELECT id, head, {_BODY} FROM findings WHERE rule = ? {_ORDER}", (code,)))

    def by_id(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> finding, for the ids asked for that the spool holds."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            marks = ",".join("?" * len(chunk))
            for finding in self._documents(
                    f"SELECT {_BODY} FROM findings WHERE id IN ({marks}) {_ORDER}", chunk):
                found[finding["id"]] = finding  # as a dict of the document would: the last
        return found

    def findings(self) -> Iterator[Finding]:
        """Each finding as the ``Finding`` its rule yielded, in document order."""
        for subject, body, group in self._rows(f"SELECT subject, {_BODY} FROM findings {_ORDER}"):
            stored = json.loads(_text(body, group))
            stored.pop("id")
            yield Finding(**{**stored, "subject": subject,
                             "severity": Severity(stored["severity"]),
                             "impact": LinkImpact(stored["impact"])})

    def close(self) -> None:
        self._db.close()
