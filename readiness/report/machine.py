"""Outputs for machines and CI: one CSV per rule that found something and summary.md
(docs/ci.md, docs/findings.md "The other outputs"; junit.xml is junit.py).

Each is a pure function of the findings document (docs/findings.md), so it agrees with
findings.json and the HTML report finding for finding.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any, Collection

from readiness.report.findings import findings_of_rule, findings_with_ids
from readiness.report.spreadsheet import cell
from readiness.report.terminal import outbound_line
from readiness.rules.base import plural
from readiness.rules.context import EVIDENCE_LIMIT

CSV_COLUMNS = ("id", "rule", "name", "family", "severity", "url", "message", "weight",
               "accepted", "change", "fix", "final_url", "inbound_link_count", "evidence",
               "evidence_file")
# Every item of a finding's evidence lists, one row each, when the evidence cell cuts them:
# csv/evidence/<finding id>.csv. ``url`` is the item's source page or URL; ``detail`` holds
# whatever else an item says (JSON), e.g. a duplicate member's similarity.
EVIDENCE_DIR = "evidence"
EVIDENCE_COLUMNS = ("list", "url", "anchor", "element", "region", "rel", "detail")
SUMMARY_ROWS = 10


def change_of(document: dict[str, Any]) -> dict[str, str]:
    """finding id -> "new" | "unchanged", against the baseline (else the previous run)."""
    comparison = document.get("baseline") or document.get("previous")
    if not comparison:
        return {}
    return {**{i: "unchanged" for i in comparison["unchanged"]},
            **{i: "new" for i in comparison["new"]}}


def rule_filename(rule: dict[str, Any], extension: str) -> str:
    return f"{rule['code']}-{rule['name']}.{extension}"


def shortened(value: Any, list_limit: int, string_limit: int | None = None) -> Any:
    """``value`` with every list cut to ``list_limit`` items (and, given ``string_limit``,
    every string to that many characters), at any depth."""
    if isinstance(value, str):
        if string_limit is None or len(value) <= string_limit:
            return value
        return value[: string_limit - 1] + "…"
    if isinstance(value, list):
        return [shortened(v, list_limit, string_limit) for v in value[:list_limit]]
    if isinstance(value, dict):
        return {k: shortened(v, list_limit, string_limit) for k, v in value.items()}
    return value


def lists_cut(value: Any, list_limit: int = EVIDENCE_LIMIT) -> bool:
    """Does ``shortened(value, list_limit)`` lose anything (a list longer, at any depth)?"""
    if isinstance(value, list):
        return len(value) > list_limit or any(lists_cut(v, list_limit) for v in value)
    if isinstance(value, dict):
        return any(lists_cut(v, list_limit) for v in value.values())
    return False


def shortened_evidence(evidence: dict[str, Any], list_limit: int,
                       string_limit: int | None = None) -> dict[str, Any]:
    """Evidence to show inline: long lists cut, ``_more`` saying how many items each lost."""
    cut = shortened(evidence, list_limit, string_limit)
    more = {key: len(value) - list_limit for key, value in evidence.items()
            if isinstance(value, list) and len(value) > list_limit}
    if more:
        cut["_more"] = more
    return cut


# -- CSV ----------------------------------------------------------------------------------

def write_csv(document: dict[str, Any], directory: Path) -> list[Path]:
    """csv/<CODE>-<name>.csv for every rule that ran and found something (a rule that found
    nothing has no file: a header-only file per clean rule was most of the folder).

    The ``evidence`` cell holds the evidence with each list cut to EVIDENCE_LIMIT items (a
    spreadsheet cell holds 32,767 characters); a finding whose lists were cut gets every item
    in csv/evidence/<id>.csv, named in its ``evidence_file`` cell.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.csv"):  # a rule switched off since must not linger
        stale.unlink()
    evidence_dir = directory / EVIDENCE_DIR
    if evidence_dir.is_dir():
        shutil.rmtree(evidence_dir)
    changes = change_of(document)
    paths = []
    for rule in document["rules"]:
        if not rule["findings"]:
            continue
        path = directory / rule_filename(rule, "csv")
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for finding in findings_of_rule(document["findings"], rule["code"]):
                evidence = finding["evidence"]
                shown = shortened_evidence(evidence, EVIDENCE_LIMIT)
                evidence_file = ""
                if lists_cut(evidence):
                    evidence_file = f"{EVIDENCE_DIR}/{finding['id']}.csv"
                    write_evidence_items(evidence, directory / evidence_file)
                # Text from the site (messages quote titles) is never a formula.
                writer.writerow([cell(value) for value in (
                    finding["id"], finding["rule"], finding["name"], finding["family"],
                    finding["severity"], finding["url"], finding["message"], finding["weight"],
                    finding["accepted"] or "", changes.get(finding["id"], ""),
                    evidence.get("fix", ""), evidence.get("final_url") or "",
                    evidence.get("inbound_link_count", ""),
                    json.dumps(shown, ensure_ascii=False, default=str), evidence_file,
                )])
        paths.append(path)
    return paths


def write_evidence_items(evidence: dict[str, Any], path: Path) -> Path:
    """Every item of every list in ``evidence``, one row each (EVIDENCE_COLUMNS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EVIDENCE_COLUMNS)
        for key, items in evidence.items():
            if not isinstance(items, list):
                continue
            for item in items:
                if isinstance(item, dict):
                    rest = dict(item)
                    url = rest.pop("source", None) or rest.pop("url", None) or ""
                    link = [rest.pop(field, None) for field in ("anchor", "element", "region",
                                                                 "rel")]
                    detail = json.dumps(rest, ensure_ascii=False, default=str) if rest else ""
                    row = [key, url, *link, detail]
                elif isinstance(item, str):
                    row = [key, item, "", "", "", "", ""]
                else:
                    row = [key, "", "", "", "", "", json.dumps(item, ensure_ascii=False,
                                                               default=str)]
                writer.writerow([cell(value) for value in row])  # anchors are the site's text
    return path


# -- summary.md ---------------------------------------------------------------------------

def _md(text: Any, limit: int = 140) -> str:
    """One Markdown table cell: no pipes or newlines, not too long."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_markdown(document: dict[str, Any], beside: Collection[str] = ()) -> str:
    """A short summary for a pull-request comment or a CI job summary. ``beside`` names the
    other output files written next to it (outputs.OUTPUT_NAMES): only those are pointed to."""
    summary, run, gate = document["summary"], document["run"], document["gate"]
    counts = summary["counts"]
    icon = "✅" if summary["ready"] else "❌" if summary["blocking"] else "⚠️"
    complete = "complete" if run["complete"] else (
        "INCOMPLETE: " + (", ".join(run["limits_hit"]) or run["finish_reason"] or "?"))
    accepted = f" · {summary['accepted']} accepted" if summary["accepted"] else ""
    totals = (f"**{counts['error']} errors** · {counts['warning']} warnings · "
              f"{counts['notice']} notices{accepted}")
    outside = document.get("outside")
    if outside:
        # A prospects or placements run judged other sites' pages: it says what it checked
        # for the site, never whether the site is ready for link building.
        mode = outside["mode"]
        tally = ", ".join(f"{count} {name}" for name, count in sorted(outside["counts"].items()))
        lines = [f"## {icon} {mode.capitalize()} for {run['start_url']}: {tally}", "",
                 f"**{plural(len(outside['rows']), mode[:-1])}** listed ({complete}) · {totals}"]
    else:
        lines = [f"## {icon} {run['start_url']} is {summary['verdict']}", "",
                 f"**{summary['pages']} pages** crawled ({complete}) · {totals}"]
    if summary["blocking_urls"]:
        urls = len(summary["blocking_urls"])
        lines.append(f"**{plural(urls, 'listed page')}** with errors "
                     f"({plural(len(summary['blocking']), 'error finding')})" if outside else
                     f"**{plural(urls, 'URL')}** block{'s' if urls == 1 else ''} link building "
                     f"({plural(len(summary['blocking']), 'error finding')})")
    outbound_note = outbound_line(summary)
    if outbound_note:
        lines += ["", f"⚠️ {outbound_note}"]
    gate_icon = {"pass": "✅ passed", "fail": "❌ failed", "inconclusive": "⚠️ inconclusive"}
    baseline = f", against baseline `{gate['baseline']}`" if gate["baseline"] else ""
    lines += ["", f"**CI gate** (`--fail-on {gate['fail_on']}`{baseline}): "
                  f"{gate_icon[gate['status']]} — {gate['reason']}", ""]
    failing = gate["failing"]
    if failing:
        by_id = findings_with_ids(document["findings"], failing[:SUMMARY_ROWS])
        lines += ["| severity | rule | URL | finding |", "|---|---|---|---|"]
        for f in (by_id[i] for i in failing[:SUMMARY_ROWS]):
            lines.append(f"| {f['severity']} | {f['rule']} {f['name']} | {_md(f['url'], 100)} "
                         f"| {_md(f['message'])} |")
        if len(failing) > SUMMARY_ROWS:
            where = " in findings.json" if "findings.json" in beside else ""
            lines.append(f"\n… and {len(failing) - SUMMARY_ROWS} more failing findings{where}.")
        lines.append("")
    groups = document.get("groups") or []
    if groups:
        lines += [f"**Template problems** ({plural(len(groups), 'problem')} a template repeats; "
                  "fix the template once):", "",
                  "| severity | rule | template | pages | group |", "|---|---|---|---:|---|"]
        for group in groups[:SUMMARY_ROWS]:
            lines.append(f"| {group['severity']} | {group['rule']} {group['name']} "
                         f"| {_md(group['message'])} | {group['members']} | `{group['id']}` |")
        if len(groups) > SUMMARY_ROWS:
            lines.append(f"\n… and {len(groups) - SUMMARY_ROWS} more template problems.")
        lines.append("")
    # The baseline when there is one: that is what the gate used.
    comparison = document.get("baseline") or document.get("previous")
    if comparison:
        c = comparison["counts"]
        what = ("Against the baseline" if comparison["kind"] == "baseline"
                else f"Since the previous run ({comparison['against']['run_id']})")
        lines.append(f"**{what}:** {c['new']} new, {c['fixed']} fixed, {c['unchanged']} "
                     "unchanged findings")
        if c.get("config_changed"):
            lines.append(f"· {c['config_changed']} gone because the rule configuration changed "
                         "(not fixed)")
        for code, rule in comparison.get("rules_changed", {}).items():
            lines.append(f"· rule configuration changed: {code} {rule['name']}: "
                         f"{_md(', '.join(rule['changes']))}")
        pages = comparison.get("pages")
        if pages:
            p = pages["counts"]
            lines.append(f"· pages: {p['appeared']} appeared, {p['disappeared']} disappeared, "
                         f"{p['status_changed']} changed status")
        changed_rules = [(code, r) for code, r in comparison["by_rule"].items()
                         if r["new"] or r["fixed"]]
        if changed_rules:
            lines += ["", "| rule | new | fixed | unchanged |", "|---|---:|---:|---:|"]
            for code, r in changed_rules[:SUMMARY_ROWS]:
                lines.append(f"| {code} {r['name']} | {r['new']} | {r['fixed']} "
                             f"| {r['unchanged']} |")
            if len(changed_rules) > SUMMARY_ROWS:
                lines.append(f"| … {len(changed_rules) - SUMMARY_ROWS} more rules | | | |")
        lines.append("")
    pointers = []
    if "report.html" in beside:
        pointers.append("Full report: `report.html` (open it in a browser)")
    if "findings.json" in beside:
        pointers.append("machine-readable: `findings.json`")
    if pointers:
        lines.append(" · ".join(pointers))
    return "\n".join(lines).rstrip() + "\n"


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
