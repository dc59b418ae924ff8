"""findings.json: the versioned, documented result of an analysis (docs/findings.md).

Every other output (terminal summary, HTML, CSV, JUnit, Markdown, diffs) is derived from this
document, so they cannot disagree with each other.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from readiness import __version__
from readiness.rules.base import Severity
from readiness.rules.engine import Analysis

SCHEMA = "readiness/findings"
SCHEMA_VERSION = 1
VERDICT_READY = "ready for link building"
VERDICT_NOT_READY = "not ready for link building"


def findings_document(analysis: Analysis) -> dict[str, Any]:
    meta = analysis.meta
    open_findings = analysis.open_findings
    counts = Counter(f.severity.value for f in open_findings)
    by_family: dict[str, Counter] = defaultdict(Counter)
    for finding in open_findings:
        by_family[finding.family][finding.severity.value] += 1
    rules = []
    for run in analysis.runs:
        rule = run.rule
        rules.append({
            "code": rule.code, "name": rule.name, "family": rule.family,
            "severity": run.severity.value, "summary": rule.summary(),
            "docs": rule.doc_sections(), "findings": run.findings, "accepted": run.accepted,
            "excluded": run.excluded, "seconds": round(run.seconds, 3),
        })
    blocking = analysis.blocking(Severity.ERROR)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "readiness_version": __version__,
        "run": {
            "run_id": meta.get("run_id"), "start_url": meta.get("start_url"),
            "store": str(analysis.store_path), "complete": bool(meta.get("complete")),
            "finish_reason": meta.get("finish_reason"), "limits_hit": meta.get("limits_hit", []),
            "started_at": meta.get("started_at"), "finished_at": meta.get("finished_at"),
        },
        "config": {"sources": analysis.config_sources},
        "summary": {
            "pages": analysis.pages,
            "ready": analysis.ready,
            "verdict": VERDICT_READY if analysis.ready else VERDICT_NOT_READY,
            "counts": {s.value: counts.get(s.value, 0) for s in Severity},
            "accepted": sum(1 for f in analysis.findings if f.accepted is not None),
            "by_family": {family: dict(c) for family, c in sorted(by_family.items())},
            "blocking": [f.id for f in blocking],
        },
        "rules": rules,
        "findings": [f.to_dict() for f in analysis.findings],
    }


def write_findings(analysis: Analysis, path: str | Path) -> dict[str, Any]:
    document = findings_document(analysis)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(path)  # never leave a half-written findings.json behind
    return document


def read_findings(path: str | Path) -> dict[str, Any]:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if document.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a readiness findings file")
    if document.get("schema_version", 0) > SCHEMA_VERSION:
        raise ValueError(f"{path} was written by a newer readiness (schema "
                         f"{document['schema_version']}); upgrade to read it")
    return document
