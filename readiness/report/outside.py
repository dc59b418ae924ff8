"""The per-page table of a prospects or placements run: one row per listed prospect (its verdict
and reasons) or per listed placement (its grade), in the list's order.

Built with the findings document (``document["outside"]``, in findings.json) from the run's
store (what each page is: status, language, outbound links, the link found) and the open
findings of the run's family (why it is not worth asking, or what is wrong with a placement): a
finding accepted in the YAML no longer counts against its row. report.html shows it as a
table, and ``prospects.csv`` / ``placements.csv`` beside the findings hold it for a
spreadsheet.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from readiness.rules.base import Severity
from readiness.rules.context import AnalysisContext
from readiness.rules.engine import Analysis
from readiness.rules.placements import placed_links
from readiness.store import open_store
from readiness.urls import PublicUrls

PROSPECTS, PLACEMENTS = "prospects", "placements"
MODES = (PROSPECTS, PLACEMENTS)
WORTH_ASKING, WEAK, AVOID = "worth asking", "weak", "avoid"
LIVE = "live and followed"
# What the placements counts call every other grade.
WITH_PROBLEMS = "with problems"
# The columns of each table, as the CSV names them (the HTML shows the same).
COLUMNS = {
    PROSPECTS: ("url", "verdict", "reasons", "status", "lang", "outbound_links",
                "outbound_nofollow", "outbound_hosts", "outbound_in_main", "links_to_site",
                "listed_in"),
    PLACEMENTS: ("source", "target", "grade", "problems", "anchor", "rel", "region",
                 "listed_in", "checked"),
}


def outside_section(analysis: Analysis) -> dict[str, Any] | None:
    """``{"mode", "columns", "rows", "counts"}`` for a prospects or placements run; None for
    any other run."""
    mode = analysis.meta.get("mode")
    if mode not in MODES:
        return None
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in analysis.runs:
        if run.rule.family != mode:
            continue
        for finding in analysis.spool.of_rule(run.rule.code):
            if finding["accepted"] is None:
                target = finding["evidence"].get("target", "") if mode == PLACEMENTS else ""
                found[(finding["url"], target)].append(finding)
    for findings in found.values():
        findings.sort(key=lambda f: (-Severity(f["severity"]).rank, f["rule"]))
    with open_store(analysis.store_path) as store:
        ctx = AnalysisContext(store)
        # Findings speak of production URLs (crawl.host_map), and so does the table.
        public = PublicUrls(ctx.normalizer)
        rows = public.deep((_prospect_rows if mode == PROSPECTS else _placement_rows)(
            ctx, {key: found[tuple(public.text(part) for part in key)] for key in _local_keys(
                ctx, mode)}))
    key = "verdict" if mode == PROSPECTS else "grade"
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row[key] if mode == PROSPECTS else
               (LIVE if row[key] == LIVE else WITH_PROBLEMS)] += 1
    return {"mode": mode, "columns": list(COLUMNS[mode]), "rows": rows, "counts": dict(counts)}


def _local_keys(ctx: AnalysisContext, mode: str) -> list[tuple[str, str]]:
    """The (url, target) key of every listed row, in crawled URLs."""
    if mode == PROSPECTS:
        return [(ctx.urls[p.url_id], "") for p in ctx.prospects]
    return [(ctx.urls[p.source_id], ctx.urls[p.target_id]) for p in ctx.placements]


def _prospect_rows(ctx: AnalysisContext, found) -> list[dict[str, Any]]:
    rows = []
    for prospect in ctx.prospects:
        url = ctx.urls[prospect.url_id]
        page = ctx.outside_page(prospect.url_id)
        findings = found.get((url, ""), [])
        effects = {f["evidence"].get("verdict") for f in findings}
        verdict = AVOID if AVOID in effects else WEAK if WEAK in effects else WORTH_ASKING
        profile = page.profile
        followed = sum(1 for link in profile.to_site
                       if ctx.link_evidence(link, profile.page_nofollow)["followed"])
        rows.append({
            "url": url, "verdict": verdict, "reasons": [f["message"] for f in findings],
            "status": page.fetch.status if page.fetch else None,
            "lang": page.page.lang if page.page else None,
            "outbound_links": len(profile.outbound), "outbound_nofollow": profile.qualified,
            "outbound_hosts": profile.hosts, "outbound_in_main": profile.in_main,
            "links_to_site": (f"{len(profile.to_site)} ({followed} followed)"
                              if profile.to_site else "0"),
            "listed_in": f"{prospect.input}:{prospect.line}",
        })
    return rows


def _placement_rows(ctx: AnalysisContext, found) -> list[dict[str, Any]]:
    rows = []
    for placed in placed_links(ctx):
        placement = placed.placement
        source, target = ctx.urls[placement.source_id], ctx.urls[placement.target_id]
        findings = found.get((source, target), [])
        links = [ctx.link_evidence(link, placed.page_nofollow) for link in placed.matches]
        first = links[0] if links else {}
        rows.append({
            "source": source, "target": target,
            "grade": ", ".join(dict.fromkeys(f["evidence"].get("grade") or f["name"]
                                             for f in findings)) or LIVE,
            "problems": [f["message"] for f in findings],
            "anchor": first.get("anchor"), "rel": first.get("rel"),
            "region": first.get("region"),
            "listed_in": f"{placement.input}:{placement.line}",
            # False: the link could not be looked for (the page answered nothing usable
            # and is not gone: a timeout, 5xx, 403, robots.txt); the gate does not pass it.
            "checked": placed.source.reachable or placed.source_gone,
        })
    return rows


def unchecked_placements(document: dict[str, Any]) -> int:
    """Placements whose link could not be looked for in this run (0 for other runs)."""
    section = document.get("outside") or {}
    return sum(1 for row in section.get("rows", []) if row.get("checked") is False)


def write_outside_csv(document: dict[str, Any], run_dir: Path) -> Path | None:
    """``prospects.csv`` or ``placements.csv`` in the run folder (lists joined with " | ")."""
    section = document.get("outside")
    if not section:
        return None
    path = run_dir / f"{section['mode']}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(section["columns"])
        for row in section["rows"]:
            writer.writerow([" | ".join(value) if isinstance(value, list) else
                             "" if value is None else value for value in
                             (row[column] for column in section["columns"])])
    return path
