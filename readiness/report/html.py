"""report.html: the findings document as one self-contained page for people (jinja2).

The page needs no network: CSS and JS are inlined from templates/, charts are SVG drawn by
charts.py, and the findings travel as JSON inside the page, which report.js renders 50 rows
at a time. Every finding is in the page as a compact row (site URLs as paths, empty fields
left out); evidence, the bulk of a finding, is trimmed for the page: the first page of each
rule's table and every finding the page links to carry their evidence lists cut to a few
items, the other findings carry their evidence's single values (lists only counted) while
they fit in EVIDENCE_BUDGET, and beyond it none: each such row says where the rest is
(findings.json keeps all of it, the CSV files too). So the page grows by about 150 bytes a
finding (~3.5 MB at 20,000 pages) instead of ~1.5 KB, and opens and filters quickly.
The page points readers only to the outputs written beside it (``--format``).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from datetime import timezone
from importlib import resources
from pathlib import Path
from typing import Any, Collection
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from jinja2 import __version__ as jinja2_version
from markupsafe import Markup, escape

from readiness.report import charts
from readiness.report.findings import finding_records, findings_with_ids
from readiness.report.machine import change_of, shortened_evidence, write_text
from readiness.report.terminal import family_key, outbound_line
from readiness.report.times import moment
from readiness.rules.base import Severity
from readiness.rules.docs import FAMILY_TITLES
from readiness.rules.spool import FindingRecord

logger = logging.getLogger(__name__)

BLOCKER_RULES_SHOWN = 12
BLOCKER_URLS_SHOWN = 15
BLOCKER_EXAMPLES = 3
PAGE_CHANGES_SHOWN = 200
FIXED_SHOWN = 200
STRING_LIMIT = 400
# Items kept per evidence list, by the number of findings: a big site gets shorter lists.
LIST_LIMITS = ((1_000, 10), (5_000, 5), (None, 3))
# Findings of each rule with their evidence lists in the page: the table's first page
# (report.js PAGE_SIZE), in the order it opens with.
EVIDENCE_ROWS_PER_RULE = 50
# Characters of single-value evidence for the other findings, worst and most linked first.
EVIDENCE_BUDGET = 600_000
BRIEF_STRING_LIMIT = 160
DOC_SECTIONS_SHOWN = ("Why it matters", "How to fix")
DOC_SECTIONS_MORE = ("What it checks", "Example", "Known false positives")
# Outputs (outputs.OUTPUT_NAMES) that hold every finding, as the page names them.
FINDINGS_FILES = (("findings.json", "findings.json"), ("csv", "csv/"), ("junit.xml", "junit.xml"))


# How the page template is compiled; part of its cache key (see TemplateCache).
TEMPLATE_OPTIONS = {"autoescape": True, "undefined": StrictUndefined, "trim_blocks": True,
                    "lstrip_blocks": True}


class TemplateCache(FileSystemBytecodeCache):
    """The page template compiled once per user, not once per run: compiling it was ~0.1 s
    of every `readiness check`. Its default directory is private to the user. jinja2 keys an
    entry by the template's name and path and checks its source's checksum, so an edited
    template is compiled again; the compile options and jinja2's version shape the code too,
    so they are in the key as well."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        options = sorted((key, repr(value)) for key, value in TEMPLATE_OPTIONS.items())
        return super().get_cache_key(f"{name}|{options}|jinja2 {jinja2_version}", filename)

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:  # the template was compiled; only the next run's saving is lost
            logger.info("report template not cached: %s", exc)


def template_cache() -> TemplateCache | None:
    try:
        return TemplateCache()
    except (OSError, RuntimeError) as exc:  # no usable temporary directory of this user
        logger.info("report template not cached: %s", exc)
        return None


def _environment(origin: str) -> Environment:
    env = Environment(loader=PackageLoader("readiness.report", "templates"),
                      bytecode_cache=template_cache(), **TEMPLATE_OPTIONS)
    env.filters["doc"] = doc_html
    env.filters["inline"] = inline_html
    env.filters["short_url"] = lambda url: short_url(url, origin)
    env.filters["when"] = format_time
    env.filters["family_title"] = lambda family: FAMILY_TITLES.get(family, family.title())
    return env


def _asset(name: str) -> Markup:
    text = resources.files("readiness.report").joinpath("templates", name).read_text("utf-8")
    return Markup(text)


_LITERAL = re.compile(r"``(.+?)``|`([^`]+)`")


def inline_html(text: str) -> Markup:
    """One line of rule docs (its summary) as HTML: escaped, ``literals`` as <code>."""
    return Markup(_LITERAL.sub(lambda m: f"<code>{m.group(1) or m.group(2)}</code>",
                               str(escape(text))))


def doc_html(text: str, keep_lines: bool = False) -> Markup:
    """A rule docstring section as HTML: paragraphs, ``literals`` as <code>."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = str(inline_html(block))
        if keep_lines:
            escaped = escaped.replace("\n", "<br>")
        else:
            escaped = " ".join(escaped.split())
        paragraphs.append(f"<p>{escaped}</p>")
    return Markup("".join(paragraphs))


def site_origin(start_url: str | None) -> str:
    parts = urlsplit(start_url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def short_url(url: str, origin: str) -> str:
    """The site's own URLs as paths ("/services/"); other sites' URLs in full."""
    if origin and url.startswith(origin + "/"):
        return url[len(origin):]
    return url


def format_time(value: Any) -> str:
    """A unix time or ISO string as '21 Nov 2026, 06:47 UTC'."""
    if value in (None, ""):
        return "?"
    when = moment(value)
    if when is None:
        return str(value)
    return when.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC")


def page_evidence(evidence: dict[str, Any], list_limit: int) -> dict[str, Any]:
    """Evidence for the page: long lists cut, with ``_more`` saying how many were left out."""
    return shortened_evidence(evidence, list_limit, STRING_LIMIT)


def _list_limit(findings: int) -> int:
    # The last entry's bound is None: some entry always matches.
    return next(limit for most, limit in LIST_LIMITS if most is None or findings <= most)


def brief_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """The evidence's single values (long strings cut); each list or nested object only
    counted in ``_more`` (all of it is in findings.json)."""
    brief: dict[str, Any] = {}
    more: dict[str, int] = {}
    for key, value in evidence.items():
        if isinstance(value, (list, dict)):
            if value:
                more[key] = len(value)
        elif isinstance(value, str):
            brief[key] = value[:BRIEF_STRING_LIMIT]
        else:
            brief[key] = value
    if more:
        brief["_more"] = more
    return brief


def _table_order(finding: FindingRecord) -> tuple:
    """The order a rule's table opens in (report.js: severity, then inbound, then URL)."""
    return (-finding.severity.rank, -finding.weight, finding.url or "")


def _by_rule(records: list[FindingRecord]) -> dict[str, list[FindingRecord]]:
    """rule code -> its records, in document order."""
    groups: dict[str, list[FindingRecord]] = {}
    for record in records:
        groups.setdefault(record.rule, []).append(record)
    return groups


def page_data(document: dict[str, Any], origin: str, beside: Collection[str],
              linked: Collection[str] = ()) -> dict[str, Any]:
    """What report.js needs: every finding as a compact row, evidence as the module doc
    says (``linked``: ids the page links to, which keep their evidence lists), which are new,
    and which output files beside the page its "… and more" notes can point to.

    The findings are read once, a finding at a time: only the records, the rows and each
    unlisted finding's brief evidence as JSON text (its size decides whether it fits the
    budget, which is known only once every finding is seen) are held, never every finding's
    evidence.
    """
    changes = change_of(document)
    findings = document["findings"]
    records = finding_records(findings)
    limit = _list_limit(len(records))
    listed = set(linked)
    for group in _by_rule(records).values():
        group.sort(key=_table_order)
        listed.update(r.id for r in group[:EVIDENCE_ROWS_PER_RULE])
    # A row leaves out what report.js can fill in: its rule's severity, no acceptance, no
    # change; a row without "evidence_full" has its evidence only in part (or not at all).
    severities = {rule["code"]: rule["severity"] for rule in document["rules"]}
    rows = []
    # id -> (its row, its brief evidence as JSON text, whether that is the whole evidence)
    unlisted: dict[str, tuple[dict[str, Any], str, bool]] = {}
    for f in findings:
        url = f["url"]
        row = {"id": f["id"], "rule": f["rule"],
               "url": short_url(url, origin) if isinstance(url, str) else url,
               "message": f["message"], "weight": f["weight"]}
        if f["severity"] != severities.get(f["rule"]):
            row["severity"] = f["severity"]
        if f["accepted"] is not None:
            row["accepted"] = f["accepted"]
        if changes.get(f["id"]):
            row["change"] = changes[f["id"]]
        if f["id"] in listed:
            row["evidence"] = page_evidence(f["evidence"], limit)
            row["evidence_full"] = True
        else:
            brief = brief_evidence(f["evidence"])
            unlisted[f["id"]] = (row, json.dumps(brief, ensure_ascii=False, default=str),
                                 brief == f["evidence"])
        rows.append(row)
    budget = EVIDENCE_BUDGET
    for record in sorted((r for r in records if r.id in unlisted),
                         key=lambda r: (*_table_order(r), r.rule)):
        row, brief_text, whole = unlisted[record.id]
        if len(brief_text) <= budget:
            budget -= len(brief_text)
            row["evidence"] = json.loads(brief_text)
            if whole:  # nothing to cut
                row["evidence_full"] = True
    del unlisted
    return {
        "comparison": bool(changes),
        "origin": origin,
        "json": "findings.json" in beside, "csv": "csv" in beside,
        "severities": severities,
        "findings": rows,
    }


def script_json(data: Any) -> Markup:
    """JSON safe inside <script>: no "</script>", no "<!--"."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                  .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def rule_groups(document: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(families with the rules that found something, rules that found nothing)."""
    records = finding_records(document["findings"])
    accepted = Counter(f.rule for f in records if f.accepted is not None)
    severities: dict[str, Counter] = {}
    for f in records:
        if f.accepted is None:
            severities.setdefault(f.rule, Counter())[f.severity.value] += 1
    families: dict[str, list[dict[str, Any]]] = {}
    passed = []
    for rule in document["rules"]:
        docs = rule["docs"]
        by_severity = severities.get(rule["code"], Counter())
        entry = {**rule, "open": by_severity.total(),
                 "accepted_count": accepted[rule["code"]],
                 "by_severity": dict(by_severity),
                 "shown_docs": [(t, docs[t]) for t in DOC_SECTIONS_SHOWN if docs.get(t)],
                 "more_docs": [(t, docs[t]) for t in DOC_SECTIONS_MORE if docs.get(t)]}
        if entry["open"] or entry["accepted_count"]:
            families.setdefault(rule["family"], []).append(entry)
        else:
            passed.append(entry)
    grouped = []
    for family in sorted(families, key=family_key):
        rules = sorted(families[family], key=lambda r: (
            -max((Severity(s).rank for s in r["by_severity"]), default=0), -r["open"], r["code"]))
        grouped.append({"family": family, "rules": rules,
                        "counts": document["summary"]["by_family"].get(family, {})})
    passed.sort(key=lambda r: (family_key(r["family"]), r["code"]))
    return grouped, passed


def rule_digest(records: list[FindingRecord], findings: Any,
                rules: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings grouped by rule, most inbound references first: one line per problem.
    ``records`` choose them; only each rule's examples are read from ``findings``."""
    groups = _by_rule(records)
    for group in groups.values():
        group.sort(key=lambda f: (-f.weight, f.url))
    examples = findings_with_ids(findings, (
        r.id for group in groups.values() for r in group[:BLOCKER_EXAMPLES]))
    digest = []
    for code, group in groups.items():
        shown = [examples[r.id] for r in group[:BLOCKER_EXAMPLES]]
        rule = rules.get(code, {})
        digest.append({"code": code, "name": shown[0]["name"], "summary": rule.get("summary", ""),
                       "count": len(group), "weight": sum(f.weight for f in group),
                       "examples": shown,
                       "more": max(0, len(group) - BLOCKER_EXAMPLES)})
    digest.sort(key=lambda g: (-g["weight"], -g["count"], g["code"]))
    return digest


def linked_ids(blockers: list[dict[str, Any]], next_up: list[dict[str, Any]],
               comparisons: list[dict[str, Any]]) -> set[str]:
    """Ids of the findings the page's own sections link to ("evidence", new findings)."""
    ids = {f["id"] for entry in blockers for f in entry["findings"]}
    ids.update(f["id"] for group in next_up for f in group["examples"])
    for comparison in comparisons:
        ids.update(comparison["new"][:FIXED_SHOWN])
    return ids


def build_context(document: dict[str, Any], origin: str, beside: Collection[str]
                  ) -> dict[str, Any]:
    summary = document["summary"]
    comparisons = [c for c in (document.get("baseline"), document.get("previous")) if c]
    by_id = findings_with_ids(document["findings"], [
        *(i for entry in summary["blocking_urls"] for i in entry["findings"]),
        *(i for c in comparisons for i in c["new"][:FIXED_SHOWN])])
    rules_by_code = {r["code"]: r for r in document["rules"]}
    # One row per blocking URL, with every finding about it (summary.blocking_urls).
    blocking = [{**entry, "findings": [by_id[i] for i in entry["findings"]]}
                for entry in summary["blocking_urls"]]
    next_up = []
    if summary["ready"]:  # nothing blocks: show what is worth doing next instead
        next_up = rule_digest([f for f in finding_records(document["findings"])
                               if f.accepted is None and f.severity is Severity.WARNING],
                              document["findings"], rules_by_code)
    families, passed = rule_groups(document)
    crawl = document.get("crawl") or {}
    history = document.get("history") or []
    current_point = {"run_id": document["run"].get("run_id"),
                     "started_at": document["run"].get("started_at"),
                     "counts": summary["counts"]}
    chart_list = [
        ("Findings by family", "Open findings per family, by severity.",
         charts.findings_by_family(summary, FAMILY_TITLES)),
    ]
    if crawl:
        timing = crawl["response_ms"]
        ms = charts.format_ms
        timing_note = (f"Median {ms(timing['p50'])}, 95th percentile {ms(timing['p95'])}, "
                       f"slowest {ms(timing['max'])}."
                       if timing["count"] else "")
        chart_list += [
            ("Status codes", f"{crawl['urls_fetched']} site URLs fetched; "
                             f"{crawl['outbound_checked']} outbound URLs checked.",
             charts.status_codes(crawl)),
            ("Click depth", "Fewest clicks from the start URL; \"none\": fetched URLs no "
                            "click reaches (sitemap-only entries and the like).",
             charts.crawl_depth(crawl)),
            ("Response times", timing_note, charts.response_times(crawl)),
        ]
    trend = charts.trend(history, current_point)
    if trend is not None:
        chart_list.append(("Trend", f"Open findings over the last {len(history) + 1} runs of "
                                    "this site.", trend))
    return {
        "doc": document, "summary": summary, "run": document["run"],
        "gate": document.get("gate"), "counts": summary["counts"],
        # A prospects/placements run's outbound links are other sites': not the site's note.
        "outbound_note": None if document.get("outside") else outbound_line(summary),
        "blockers": blocking[:BLOCKER_URLS_SHOWN],
        "blockers_more": blocking[BLOCKER_URLS_SHOWN:],
        "blockers_more_findings": sum(len(e["findings"]) for e in blocking[BLOCKER_URLS_SHOWN:]),
        "next_up": next_up[:BLOCKER_RULES_SHOWN],
        "charts": chart_list, "families": families, "passed": passed,
        "comparisons": comparisons, "outside": document.get("outside"),
        "groups": document.get("groups") or [],
        "new_findings": {c["kind"]: [by_id[i] for i in c["new"][:FIXED_SHOWN]]
                         for c in comparisons},
        "fixed_shown": FIXED_SHOWN, "page_changes_shown": PAGE_CHANGES_SHOWN,
        "findings_files": [shown for name, shown in FINDINGS_FILES if name in beside],
        "summary_file": "summary.md" in beside,
        "data_json": script_json(page_data(document, origin, beside, linked_ids(
            blocking[:BLOCKER_URLS_SHOWN], next_up[:BLOCKER_RULES_SHOWN], comparisons))),
        "css": _asset("report.css"), "js": _asset("report.js"),
        "status_class": charts.status_class,
    }


def render_html(document: dict[str, Any], beside: Collection[str] = ()) -> str:
    """The page; ``beside`` names the other output files written next to it (see
    outputs.OUTPUT_NAMES), the only ones the page points readers to."""
    origin = site_origin(document["run"].get("start_url"))
    template = _environment(origin).get_template("report.html.j2")
    return template.render(**build_context(document, origin, beside))


def write_html(document: dict[str, Any], path: str | Path, beside: Collection[str] = ()
               ) -> Path:
    return write_text(Path(path), render_html(document, beside))
