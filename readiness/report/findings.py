"""findings.json: the versioned, documented result of an analysis (docs/findings.md).

Every other output (terminal summary, HTML, CSV, JUnit, Markdown, diffs) is derived from this
document, so they cannot disagree with each other.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

from readiness import __version__, exitcodes
from readiness.report.outside import outside_section, unchecked_placements
from readiness.report.times import iso_time
from readiness.rules.base import LinkImpact, Severity
from readiness.rules.engine import Analysis
from readiness.rules.spool import FindingRecord, FindingsSpool, encode_finding
from readiness.store import open_store

SCHEMA = "readiness/findings"
# 2: every time is ISO 8601 (run.started_at and finished_at were unix seconds in 1).
SCHEMA_VERSION = 2
# The JSON Schema of the document, shipped beside this module (package data) and named by
# every findings.json's ``$schema``: its ``$id``.
SCHEMA_FILE = Path(__file__).with_name("findings.schema.json")
SCHEMA_ID = "urn:readiness:findings.schema.json:2"
VERDICT_READY = "ready for link building"
VERDICT_NOT_READY = "not ready for link building"
# The one finish_reason of a crawl that ran to its end ("running" is left by a killed
# process, "shutdown" by Ctrl-C, "worker-lost" by a distributed run's killed worker,
# "shard-missing" by one whose shard was not there to merge).
CRAWL_FINISHED = "finished"
# Upper bounds (ms) of the response-time histogram buckets; the last bucket is open-ended.
RESPONSE_MS_BUCKETS = (100, 250, 500, 1000, 2000, 5000)
# Gate outcomes and the exit status each one gives (see readiness/cli.py).
GATE_PASS, GATE_FAIL, GATE_INCONCLUSIVE = "pass", "fail", "inconclusive"
GATE_EXIT = {GATE_PASS: exitcodes.OK, GATE_FAIL: exitcodes.FINDINGS,
             GATE_INCONCLUSIVE: exitcodes.INCONCLUSIVE}


def findings_document(analysis: Analysis) -> dict[str, Any]:
    meta = analysis.meta
    open_findings = analysis.open_findings
    counts = Counter(f.severity.value for f in open_findings)  # FindingRecords: no evidence
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
            **({"not_run": run.not_run} if run.not_run else {}),
        })
    blocking = analysis.blocking(Severity.ERROR)
    blocking_urls = blocking_by_url([f._asdict() for f in blocking])
    # What analysis.ready says, without sorting the findings again; but never for a crawl
    # that did not finish or saw no page: what was not checked cannot be ready.
    unchecked = unchecked_reason(meta, analysis.pages)
    ready = not blocking and unchecked is None
    return {
        "$schema": SCHEMA_ID,
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "readiness_version": __version__,
        "run": {
            "run_id": meta.get("run_id"), "start_url": meta.get("start_url"),
            # None for a site check; "prospects" or "placements" (readiness/crawl/outside.py).
            "mode": meta.get("mode"),
            "store": str(analysis.store_path), "complete": bool(meta.get("complete")),
            # The previous run's store the analysis read (the redirect map's history).
            "previous_store": str(analysis.previous_store) if analysis.previous_store else None,
            "finish_reason": meta.get("finish_reason"), "limits_hit": meta.get("limits_hit", []),
            "started_at": iso_time(meta.get("started_at")),
            "finished_at": iso_time(meta.get("finished_at")),
            "list_mode": bool(meta.get("list_mode")),
        },
        "config": {"sources": analysis.config_sources, "rules": analysis.rule_config},
        "summary": {
            "pages": analysis.pages,
            "ready": ready,
            "verdict": verdict(ready, unchecked, analysis.pages, meta),
            "counts": {s.value: counts.get(s.value, 0) for s in Severity},
            "accepted": sum(1 for f in analysis.records if f.accepted is not None),
            "by_family": {family: dict(c) for family, c in sorted(by_family.items())},
            "blocking": [f.id for f in grouped_by_url(blocking, blocking_urls)],
            "blocking_urls": blocking_urls,
            "outbound": analysis.outbound,
        },
        "crawl": crawl_profile(analysis.store_path, analysis.click_depths),
        # A prospects or placements run: one row per listed page (report/outside.py).
        "outside": outside_section(analysis),
        "rules": rules,
        # Template groups: a problem a template repeats (readiness/rules/templates.py).
        "groups": analysis.groups,
        # Read from the spool a finding at a time by whoever writes or reads them.
        "findings": analysis.spool,
    }


# A document's findings are a FindingsSpool when the analysis just ran, and a list of dicts
# when read from a findings.json (or built by hand): these read either.

def finding_records(findings: Iterable[dict[str, Any]]) -> list[FindingRecord]:
    """The in-memory record of every finding, in document order."""
    if isinstance(findings, FindingsSpool):
        return findings.records
    return [FindingRecord.of(f) for f in findings]


def findings_with_ids(findings: Iterable[dict[str, Any]], ids: Iterable[str]
                      ) -> dict[str, dict[str, Any]]:
    """id -> finding, for those of ``ids`` the document has."""
    if isinstance(findings, FindingsSpool):
        return findings.by_id(ids)
    wanted = set(ids)
    return {f["id"]: f for f in findings if f["id"] in wanted}


def findings_of_rule(findings: Iterable[dict[str, Any]], code: str,
                     whole: Callable[[str], bool] | None = None) -> Iterator[dict[str, Any]]:
    """The findings of rule ``code``, in document order; ``whole``: the ids whose evidence
    the reader needs (a spool leaves the others' out: FindingsSpool.of_rule)."""
    if isinstance(findings, FindingsSpool):
        return findings.of_rule(code, whole)
    return (f for f in findings if f["rule"] == code)


def findings_with_subjects(findings: Iterable[dict[str, Any]]
                           ) -> Iterator[tuple[str, dict[str, Any]]]:
    """(subject, finding) in document order; a findings.json holds no subjects: ""."""
    if isinstance(findings, FindingsSpool):
        return findings.with_subjects()
    return ((f.get("subject", ""), f) for f in findings)


def unfinished_reason(meta: dict[str, Any]) -> str | None:
    """Why the crawl in ``meta`` did not run to its end, in words; None when it did."""
    reason = meta.get("finish_reason")
    if reason == CRAWL_FINISHED:
        return None
    if reason == "running":
        return ("the crawl did not finish (its process was killed, or it is still running: "
                "finish_reason running)")
    if reason == "shutdown":
        return "the crawl did not finish (it was interrupted)"
    return f"the crawl did not finish (finish_reason {reason})"


def unchecked_reason(meta: dict[str, Any], pages: int) -> str | None:
    """Why the run cannot tell whether the site is ready: an unfinished crawl, or no page."""
    unfinished = unfinished_reason(meta)
    if unfinished is not None:
        return unfinished
    # A list-mode crawl judges each listed URL, dead or not (the CLI has already called a
    # list none of whose URLs answered inconclusive).
    if pages == 0 and not meta.get("list_mode"):
        return "the crawl found no HTML page that answered 200: there was nothing to check"
    return None


def limits_phrase(pages: int, limits_hit: list[str]) -> str:
    """"2 pages; the crawl stopped at max_pages": what a crawl cut short by a limit saw."""
    return (f"{pages} page{'s' if pages != 1 else ''}; the crawl stopped at "
            f"{' and '.join(limits_hit)}")


def verdict(ready: bool, unchecked: str | None, pages: int, meta: dict[str, Any]) -> str:
    if unchecked is not None:
        return f"inconclusive: {unchecked}"
    if not ready:
        return VERDICT_NOT_READY
    limits = meta.get("limits_hit") or []
    if limits:
        return f"ready for what was crawled ({limits_phrase(pages, limits)})"
    return VERDICT_READY


def grouped_by_url(findings: list[FindingRecord], by_url: list[dict[str, Any]]
                   ) -> list[FindingRecord]:
    """``findings`` (in blocker order) with each URL's together, at its URL's place in
    ``by_url`` (blocking_by_url of them): the order the verdict lists them in, so the gate's
    failing list (summary.md, the GitHub annotations) reads as the terminal does."""
    place = {entry["url"]: n for n, entry in enumerate(by_url)}
    return sorted(findings, key=lambda f: place[f.url])


def blocking_by_url(blocking: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocking findings (dicts, in ``summary.blocking`` order) as one entry per URL.

    A URL that breaks in several ways (a 404 listed in the sitemap is a broken page *and* a
    sitemap entry that is not indexable) is one thing to fix: it counts once in the verdict
    and ranks once, by its most harmful finding (impact, then severity), then by its
    most-referenced one, with every finding about it listed.
    """
    by_url: dict[str, dict[str, Any]] = {}
    for finding in blocking:
        entry = by_url.setdefault(finding["url"], {
            "url": finding["url"], "impact": finding["impact"], "severity": finding["severity"],
            "weight": 0, "rules": [], "findings": []})
        impact, severity = LinkImpact(finding["impact"]), Severity(finding["severity"])
        if impact.rank > LinkImpact(entry["impact"]).rank:
            entry["impact"] = impact
        if severity.rank > Severity(entry["severity"]).rank:
            entry["severity"] = severity
        entry["weight"] = max(entry["weight"], finding["weight"])
        if finding["rule"] not in entry["rules"]:
            entry["rules"].append(finding["rule"])
        entry["findings"].append(finding["id"])
    return sorted(by_url.values(), key=lambda e: (
        -LinkImpact(e["impact"]).rank, -Severity(e["severity"]).rank, -e["weight"], e["url"]))


# What a fetched site URL answered, in the order the counts line names them: an HTML page
# (2xx, HTML), a redirect (3xx), an error (4xx/5xx or no response), or another file (a 2xx
# image, stylesheet, PDF …, or a status none of those).
FETCH_KINDS = ("pages", "redirects", "errors", "other")
_FETCH_KIND = ("CASE WHEN f.status BETWEEN 200 AND 299 AND (f.content_type LIKE '%html%') "
               "THEN 'pages' WHEN f.status BETWEEN 300 AND 399 THEN 'redirects' "
               "WHEN f.status IS NULL OR f.status >= 400 THEN 'errors' ELSE 'other' END")


def crawl_profile(store_path: str | Path,
                  click_depths: tuple[dict[int, int], int] = ({}, 0)) -> dict[str, Any]:
    """What the crawl met, as counts: the HTML report's status, depth and timing charts.
    ``click_depths``: AnalysisContext.click_depth_counts (clicks from the start URL, not
    the crawl depth, which counts sitemap entries as seeds)."""
    with open_store(store_path) as store:
        fetched = ("FROM fetches f JOIN urls u ON u.id = f.url_id "
                   "WHERE u.internal = 1 AND f.fetched = 1")
        status_codes = Counter({
            (str(status) if status is not None else "none"): n for status, n in store.query(
                f"SELECT f.status, COUNT(*) {fetched} GROUP BY f.status")})
        errors = dict(store.query(
            "SELECT error, COUNT(*) FROM fetches WHERE error IS NOT NULL GROUP BY error "
            "ORDER BY COUNT(*) DESC"))
        timings = sorted(row[0] for row in store.query(
            f"SELECT f.elapsed_ms {fetched} AND f.elapsed_ms IS NOT NULL"))
        outbound = store.count("probes")
        kinds = dict(store.query(f"SELECT {_FETCH_KIND}, COUNT(*) {fetched} GROUP BY 1"))
        variants = store.count("variants") if store.has_table("variants") else 0
    return {
        "urls_fetched": sum(status_codes.values()),
        # The same site URLs by what they answered (the terminal's counts line explains them).
        "fetched": {kind: kinds.get(kind, 0) for kind in FETCH_KINDS},
        # Besides them: host/scheme variants requested (never pages) and outbound URLs probed.
        "variants_checked": variants,
        "outbound_checked": outbound,
        "status_codes": dict(sorted(status_codes.items())),
        "errors": errors,
        "depth": {str(depth): n for depth, n in click_depths[0].items()},
        "depth_unreached": click_depths[1],
        "response_ms": _timing_summary(timings),
    }


def _timing_summary(timings: list[float]) -> dict[str, Any]:
    def percentile(p: float) -> float | None:
        if not timings:
            return None
        return round(timings[min(len(timings) - 1, int(p * len(timings)))], 1)

    histogram, lower = [], 0.0
    for upper in (*RESPONSE_MS_BUCKETS, None):
        count = sum(1 for t in timings if t >= lower and (upper is None or t < upper))
        histogram.append({"from": lower, "to": upper, "count": count})
        lower = upper or 0.0
    return {"count": len(timings), "p50": percentile(0.5), "p90": percentile(0.9),
            "p95": percentile(0.95), "max": round(timings[-1], 1) if timings else None,
            "histogram": histogram}


def apply_gate(document: dict[str, Any], fail_on: str = "error",
               min_pages: int | None = None, baseline: str | None = None,
               fail_on_incomplete: bool = False) -> dict[str, Any]:
    """Decide the CI gate from the document and record it as ``document["gate"]``.

    Failing findings are the open ones at or above ``fail_on``; with a baseline comparison
    in the document (``document["baseline"]``) only those that are new relative to it. A
    crawl that did not finish or saw no page, fewer HTML pages than ``min_pages``, and with
    ``fail_on_incomplete`` a crawl stopped by a limit make the run inconclusive, whatever
    was found: the gate never passes what it did not check.
    """
    threshold = Severity(fail_on).rank
    new_ids = set(document["baseline"]["new"]) if document.get("baseline") else None
    failing = sorted(
        (f for f in finding_records(document["findings"]) if f.accepted is None
         and f.severity.rank >= threshold
         and (new_ids is None or f.id in new_ids) and not f.inconclusive),
        key=lambda f: f.blocker_order)
    failing = grouped_by_url(failing, blocking_by_url([f._asdict() for f in failing]))
    pages = document["summary"]["pages"]
    at_or_above = "" if fail_on == "notice" else " or above"
    run = document["run"]
    unchecked = unchecked_reason(run, pages)
    if unchecked is not None:
        status = GATE_INCONCLUSIVE
        reason = unchecked
    elif min_pages is not None and pages < min_pages:
        status = GATE_INCONCLUSIVE
        reason = (f"only {pages} HTML page{'s' if pages != 1 else ''} answered 200, fewer than "
                  f"--min-pages {min_pages}: the crawl did not see the site")
    elif fail_on_incomplete and run["limits_hit"]:
        status = GATE_INCONCLUSIVE
        reason = (f"only part of the site was checked ({limits_phrase(pages, run['limits_hit'])})"
                  ": --fail-on-incomplete")
    elif failing:
        status = GATE_FAIL
        reason = (f"{len(failing)} {'new ' if new_ids is not None else ''}finding"
                  f"{'s' if len(failing) != 1 else ''} at {fail_on}{at_or_above}")
    elif unchecked_placements(document):
        status = GATE_INCONCLUSIVE
        reason = (f"{unchecked_placements(document)} placed link(s) could not be checked (their "
                  "page answered nothing usable, or robots.txt blocks it): see PLC001/PLC006")
    else:
        status = GATE_PASS
        reason = (f"no {'new ' if new_ids is not None else ''}finding at {fail_on}{at_or_above}")
    outbound_headline = (document["summary"].get("outbound") or {}).get("headline")
    if outbound_headline:
        reason += f"; {outbound_headline}"
    document["gate"] = {
        "fail_on": fail_on, "min_pages": min_pages, "baseline": baseline,
        "fail_on_incomplete": fail_on_incomplete,
        "status": status, "exit_code": GATE_EXIT[status], "reason": reason,
        "failing": [f.id for f in failing],
    }
    return document["gate"]


def write_document(document: dict[str, Any], path: str | Path) -> Path:
    """findings.json: compact JSON, every finding on a line of its own (so ``grep``, ``diff``
    and a line-by-line reader work on a 20,000-page run), written a finding at a time.

    Compact separators let json use its C encoder (``indent`` makes it fall back to the
    pure-Python one: ~10x slower), and drop the indentation that was a third of the file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        stream_document(document, fh)
    tmp.replace(path)  # never leave a half-written findings.json behind
    return path


def stream_document(document: dict[str, Any], out: TextIO) -> None:
    """The findings.json document written to ``out`` (a file, or stdout with ``-o -``)."""
    encode = encode_finding
    findings = document.get("findings", ())
    # A spool holds each finding's line as it was encoded when the rule yielded it.
    lines = findings.lines() if isinstance(findings, FindingsSpool) else map(encode, findings)
    out.write("{\n")
    for key, value in document.items():
        if key != "findings":
            out.write(f"{encode(key)}:{encode(value)},\n")
    out.write('"findings":[')
    for index, line in enumerate(lines):
        out.write(("\n" if index == 0 else ",\n") + line)
    out.write("\n]}\n")


def read_findings(path: str | Path) -> dict[str, Any]:
    return _checked(json.loads(Path(path).read_text(encoding="utf-8")), path)


def read_findings_header(path: str | Path) -> dict[str, Any]:
    """findings.json without its ``findings``: the lines before them, in the layout
    ``write_document`` writes (a key a line); a file in another layout is read whole."""
    header = []
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.rstrip("\n") == '"findings":[':
                return _checked(json.loads("".join(header) + '"findings":[]}'), path)
            header.append(line)
            if not (line.startswith("{") or line.startswith('"')):
                break  # not written a key a line
    return read_findings(path)


def _checked(document: Any, path: str | Path) -> dict[str, Any]:
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a readiness findings file")
    if document.get("schema_version", 0) > SCHEMA_VERSION:
        raise ValueError(f"{path} was written by a newer readiness (schema "
                         f"{document['schema_version']}); upgrade to read it")
    return document
