"""findings.csv: every finding in one file, evidence in flat columns (docs/findings.md,
"findings.csv").

The columns are decided from the findings themselves, the same way every run: the fixed
columns first (``impact``: the rule's link-building impact; ``group``: the template group a
finding belongs to, empty for the others), then any other key a
finding carries, then one column per evidence key, sorted by name. Evidence is flattened:
``evidence.<key>`` for a value, ``evidence.<key>.<field>`` for a field of a nested object or
of the items of a list of objects (``evidence.inbound_links.source``), list items joined with
" | " in the evidence's own order, so the n-th item of ``evidence.hops.url`` and of
``evidence.hops.status`` belong together. No cell holds JSON.

Two passes over the findings spool (one for the column set, one for the rows): nothing but
the column names is kept between them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from readiness.report.findings import findings_with_subjects
from readiness.report.machine import EVIDENCE_DIR, change_of, lists_cut
from readiness.report.spreadsheet import cell, cut_to_fit, spreadsheet_csv

FINDINGS_CSV = "findings.csv"
# Keys of a finding that are columns of their own, in this order, in every run (a spreadsheet
# or script reading two runs' files finds the same columns).
LEADING_COLUMNS = ("id", "rule", "name", "family", "severity", "impact", "group", "url",
                   "subject", "message", "weight", "accepted", "change", "evidence_file")
# Finding keys that are no column as such (evidence is flattened into its own columns).
_NOT_COLUMNS = frozenset({"evidence"})
JOIN = " | "
EVIDENCE_PREFIX = "evidence."


def _text(value: Any) -> str:
    """A value inside a joined list: no JSON, nested values spelled out."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(item)}" for key, item in value.items())
    return str(value)


def flattened(name: str, value: Any, columns: dict[str, Any]) -> None:
    """Add ``value`` to ``columns`` as flat cells under ``name`` (module docstring)."""
    if isinstance(value, dict):
        for key, item in value.items():
            flattened(f"{name}.{key}", item, columns)
    elif isinstance(value, list):
        if not value:
            return  # an empty list is an empty cell: no column of its own
        if all(isinstance(item, dict) for item in value):
            fields = dict.fromkeys(key for item in value for key in item)
            for key in fields:
                columns[f"{name}.{key}"] = JOIN.join(_text(item.get(key)) for item in value)
        else:
            columns[name] = JOIN.join(_text(item) for item in value)
    else:
        columns[name] = value


def finding_cells(subject: str, finding: dict[str, Any], changes: dict[str, str]
                  ) -> dict[str, Any]:
    """column -> value of one finding's row."""
    cells: dict[str, Any] = {}
    for key, value in finding.items():
        if key not in _NOT_COLUMNS:
            flattened(key, value, cells)
    evidence = finding.get("evidence") or {}
    cells["subject"] = subject
    cells["change"] = changes.get(finding["id"], "")
    cells["evidence_file"] = (f"csv/{EVIDENCE_DIR}/{finding['id']}.csv"
                              if lists_cut(evidence) else "")
    for key, value in evidence.items():
        flattened(EVIDENCE_PREFIX + key, value, cells)
    return cells


def ordered_columns(seen: set[str]) -> list[str]:
    """The columns named in ``seen``, in the table's order (module docstring)."""
    # (An optional key holding an object is flattened, group.id …: among the others.)
    leading = list(LEADING_COLUMNS)
    known = set(LEADING_COLUMNS)
    others = sorted(c for c in seen if c not in known and not c.startswith(EVIDENCE_PREFIX))
    evidence = sorted(c for c in seen if c.startswith(EVIDENCE_PREFIX))
    return [*leading, *others, *evidence]


def finding_columns(findings) -> list[str]:
    """The column set of these findings: the same for the same findings."""
    seen: set[str] = set()
    for subject, finding in findings_with_subjects(findings):
        seen.update(finding_cells(subject, finding, {}))
    return ordered_columns(seen)


def finding_rows(document: dict[str, Any], columns: list[str]) -> Iterator[list[Any]]:
    changes = change_of(document)
    for subject, finding in findings_with_subjects(document["findings"]):
        cells = finding_cells(subject, finding, changes)
        where = cells["evidence_file"] or "findings.json"
        row = []
        for column in columns:
            value = cell(cells.get(column))
            row.append(cut_to_fit(value, where) if isinstance(value, str) else value)
        yield row


def write_findings_csv(document: dict[str, Any], path: Path) -> Path:
    """findings.csv: a row per finding, accepted ones included, in document order (UTF-8
    with a BOM, text cells neutralised: readiness.report.spreadsheet)."""
    columns = finding_columns(document["findings"])
    with spreadsheet_csv(path, columns) as writer:
        for row in finding_rows(document, columns):
            writer.writerow(row)
    return path
