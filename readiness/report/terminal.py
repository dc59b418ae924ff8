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
# How blockers are ordered (summary.blocking_urls), said where they are listed.
RANKED = ("  (dead ends first, then lost equity, indexability, experience, on-page; then the most\n"
          "   linked: internal references are the site's links, sitemap entries, redirects and\n"
          "   canonicals pointing at the URL)")


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
    counted = counts_line(document.get("crawl") or {})
    if counted and not mode:
        w(f"{counted}\n")
    w(f"findings: {counts['error']} errors, {counts['warning']} warnings, "
      f"{counts['notice']} notices"
      f"{', ' + str(summary['accepted']) + ' accepted' if summary['accepted'] else ''}\n")
    by_family = summary["by_family"]
    for family in sorted(by_family, key=family_key):
        c = by_family[family]
        w(f"  {family:<12} {c.get('error', 0):>4} errors {c.get('warning', 0):>4} warnings "
          f"{c.get('notice', 0):>4} notices\n")
    groups = document.get("groups") or []
    if groups:
        members = sum(group["members"] for group in groups)
        where = f"; every URL in {listed_in}" if listed_in else ""
        w(f"\ntemplate problems: {plural(len(groups), 'problem')} repeated across a section "
          f"({plural(members, 'finding')}{where}):\n")
        for group in groups[:MAX_BLOCKERS_SHOWN]:
            w(f"  {group['id']} {group['rule']} {group['name']} ({group['severity']}): "
              f"{group['message']}\n")
        if len(groups) > MAX_BLOCKERS_SHOWN:
            w(f"  … and {len(groups) - MAX_BLOCKERS_SHOWN} more"
              f"{' in ' + listed_in if listed_in else ''}\n")
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
        w(f"errors in what was crawled ({plural(findings, 'error finding')}):\n{RANKED}\n")
    elif mode:
        w(f"\nverdict: {mode}: {plural(len(urls), 'listed page')} with errors "
          f"({plural(findings, 'error finding')}):\n")
    else:
        w(f"\nverdict: NOT READY for link building — {plural(len(urls), 'URL')} "
          f"block{'s' if len(urls) == 1 else ''} link building "
          f"({plural(findings, 'error finding')}):\n{RANKED}\n")
    for entry in urls[:MAX_BLOCKERS_SHOWN]:
        entry_findings = [by_id[i] for i in entry["findings"]]
        w(f"  {entry['url']} ({entry.get('impact', 'on-page')}{weight_label(entry, entry_findings)})\n")
        for finding in entry_findings:
            w(f"      {finding['rule']} {finding['name']}: {finding['message']}\n")
    if len(urls) > MAX_BLOCKERS_SHOWN:
        where = f" in {listed_in}" if listed_in else ""
        w(f"  … and {plural(len(urls) - MAX_BLOCKERS_SHOWN, 'more URL')}{where}\n")


def counts_line(crawl: dict[str, Any]) -> str | None:
    """"86 site URLs fetched: 46 HTML pages, 9 redirects, 7 errors, 24 other files; besides
    them 7 variants and 10 outbound links checked" (findings.json crawl.fetched …); None for
    a document written before those counts."""
    fetched = crawl.get("fetched")
    if fetched is None:
        return None
    line = (f"{plural(crawl['urls_fetched'], 'site URL')} fetched: "
            f"{plural(fetched['pages'], 'HTML page')}, {plural(fetched['redirects'], 'redirect')}, "
            f"{plural(fetched['errors'], 'error')}, {plural(fetched['other'], 'other file')}")
    besides = [plural(crawl[key], what) for key, what in (
        ("variants_checked", "variant"), ("outbound_checked", "outbound link")) if crawl.get(key)]
    if besides:
        line += f"; besides them {' and '.join(besides)} checked"
    return line


def weight_label(entry: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    """", 12 internal references + 3 referring domains": what the entry's weight counts. A backlink
    rule weighs a URL by its referring domains; the others by the internal links, sitemap
    entries, redirects and canonicals pointing at it, plus (with backlink exports) the
    URL's referring domains."""
    weight = entry["weight"]
    if not weight:
        return ""
    heaviest = max(findings, key=lambda f: f["weight"])
    if heaviest["family"] == "backlinks":
        return f", {plural(weight, 'referring domain')}"
    domains = heaviest["evidence"].get("referring_domains", 0) if "evidence" in heaviest else 0
    internal = weight - domains
    parts = [plural(internal, "internal reference")] if internal else []
    parts += [plural(domains, "referring domain")] if domains else []
    return f", {' + '.join(parts)}"


def outbound_line(summary: dict[str, Any]) -> str | None:
    """The one sentence about the outbound checks as a whole, when there is one to say
    (an offline runner, or --no-outbound); every report prints it once."""
    return (summary.get("outbound") or {}).get("note")
