"""The summary printed at the end of `readiness analyze` / `check` / `demo`."""

from __future__ import annotations

from typing import Any, TextIO

from readiness.report.findings import VERDICT_NOT_READY, VERDICT_READY, findings_with_ids
from readiness.rules.base import plural

# The order every report lists rule families in (terminal, HTML sections and chart).
FAMILY_ORDER = ("links", "status", "redirects", "canonicals", "duplicates", "indexing",
                "experience", "structured", "onpage", "backlinks", "redirectmap",
                "prospects", "placements", "custom")
MAX_BLOCKERS_SHOWN = 15


def family_key(family: str) -> tuple[int, str]:
    """Sort key: FAMILY_ORDER first, any other family (a plugin's) after, by name."""
    return (FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER), family)


def print_summary(document: dict[str, Any], out: TextIO,
                  listed_in: str | None = "findings.json") -> None:
    """The verdict and its blocking URLs; ``listed_in``: the file listing those not shown
    (None: no file written does)."""
    summary = document["summary"]
    run = document["run"]
    counts = summary["counts"]
    w = out.write
    mode = run.get("mode")
    # A prospects or placements run fetched other sites' pages: no page of the site was
    # crawled, so the line says what was checked, for which site.
    listed = len((document.get("outside") or {}).get("rows", []))
    what = (f"{mode} for {run['start_url']}: {plural(listed, mode[:-1])} listed" if mode
            else f"{run['start_url']}: {summary['pages']} pages crawled")
    w(f"\n{what}"
      f"{'' if run['complete'] else ' (crawl INCOMPLETE: ' + (', '.join(run['limits_hit']) or run['finish_reason'] or '?') + ')'}\n")
    w(f"findings: {counts['error']} errors, {counts['warning']} warnings, "
      f"{counts['notice']} notices"
      f"{', ' + str(summary['accepted']) + ' accepted' if summary['accepted'] else ''}\n")
    by_family = summary["by_family"]
    for family in sorted(by_family, key=family_key):
        c = by_family[family]
        w(f"  {family:<12} {c.get('error', 0):>4} errors {c.get('warning', 0):>4} warnings "
          f"{c.get('notice', 0):>4} notices\n")
    by_id = findings_with_ids(document["findings"], (
        i for entry in summary["blocking_urls"][:MAX_BLOCKERS_SHOWN] for i in entry["findings"]))
    # A prospects or placements run judges other sites' pages: their outbound links are
    # not the site's, and "ready for link building" is not what it answers.
    outbound_note = outbound_line(summary)
    if outbound_note and not mode:
        w(f"\n{outbound_note}\n")
    if summary["ready"]:
        verdict = ("READY for link building" if summary["verdict"] == VERDICT_READY
                   else summary["verdict"])  # ready for what was crawled (N pages; …)
        if mode:
            verdict = f"{mode} checked"
        w(f"\nverdict: {verdict} — no error-severity finding remains.\n")
        return
    urls = summary["blocking_urls"]
    findings = sum(len(entry["findings"]) for entry in urls)
    if summary["verdict"] != VERDICT_NOT_READY:  # inconclusive: unfinished crawl, or no page
        w(f"\nverdict: {summary['verdict'].replace('inconclusive', 'INCONCLUSIVE', 1)}\n")
        if not urls:
            return
        w(f"errors in what was crawled ({plural(findings, 'error finding')}), "
          "most linked first:\n")
    elif mode:
        w(f"\nverdict: {mode}: {plural(len(urls), 'listed page')} with errors "
          f"({plural(findings, 'error finding')}):\n")
    else:
        w(f"\nverdict: NOT READY for link building — {plural(len(urls), 'URL')} "
          f"block{'s' if len(urls) == 1 else ''} link building "
          f"({plural(findings, 'error finding')}), most linked first:\n")
    for entry in urls[:MAX_BLOCKERS_SHOWN]:
        weight = f" [{entry['weight']} inbound]" if entry["weight"] else ""
        w(f"  {entry['url']}{weight}\n")
        for finding in (by_id[i] for i in entry["findings"]):
            w(f"      {finding['rule']} {finding['name']}: {finding['message']}\n")
    if len(urls) > MAX_BLOCKERS_SHOWN:
        where = f" in {listed_in}" if listed_in else ""
        w(f"  … and {len(urls) - MAX_BLOCKERS_SHOWN} more URLs{where}\n")


def outbound_line(summary: dict[str, Any]) -> str | None:
    """The one sentence about the outbound checks as a whole, when there is one to say
    (an offline runner, or --no-outbound); every report prints it once."""
    return (summary.get("outbound") or {}).get("note")
