"""Compare two analyses: which findings are new, fixed and unchanged, and which pages changed.

Findings are matched by their stable id (``Finding.id``: rule code + subject), so a finding
keeps its identity across runs and across config edits that only change its severity. The
same comparison serves three uses (docs/ci.md, docs/findings.md):

- ``--baseline findings.json``: the gate fails only on findings that are new to the baseline;
- the previous run of the same site kept under reports/, found automatically after each
  analysis, which the HTML report and summary.md show as "since the last run";
- ``readiness diff OLD NEW`` on the command line.

A finding that disappeared because the rule set changed (its rule disabled, its URL now
excluded, the rule's options changed: ``config.rules`` of both documents) is not "fixed": it
is listed under ``config_changed`` with the reason, and severity changes under ``regraded``.

Pages that appeared, disappeared or changed status need both crawl stores; without them the
comparison covers findings only (``pages`` is null).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from readiness.report.findings import findings_with_ids, read_findings, read_findings_header
from readiness.report.times import iso_time, unix_time
from readiness.rules.engine import UrlFilter
from readiness.store import open_store
from readiness.urls import PublicUrls

# Most URLs a comparison lists per kind of page change (the counts are always exact).
PAGE_CHANGE_LIMIT = 1000
# Earlier runs the trend chart shows at most.
HISTORY_LIMIT = 20
# Earlier findings files read at most when looking for the previous run (newest first).
CANDIDATE_LIMIT = 60
FINDINGS_FILE = "findings.json"
STORE_FILE = "crawl.sqlite"

logger = logging.getLogger(__name__)


def compare_documents(old: dict[str, Any], new: dict[str, Any], kind: str,
                      old_path: str | Path | None = None,
                      old_store: Path | None = None, new_store: Path | None = None
                      ) -> dict[str, Any]:
    """The comparison of ``new`` against ``old`` (both findings documents).

    A finding only ``old`` has is *fixed*, unless the rule set explains why it is gone: its
    rule was disabled (or no longer runs), its URL is now outside the rule's include/exclude
    globs, or the rule's options changed. Those are *config_changed*, with the reason; a
    finding in both whose severity differs is listed in ``regraded``.
    """
    old_by_id = {f["id"]: f for f in old["findings"]}
    new_ids = {f["id"] for f in new["findings"]}
    by_rule: dict[str, Counter] = {}
    old_config, new_config = rule_config_of(old), rule_config_of(new)
    # Disabled rules are absent from "rules" but named in the recorded configuration.
    names = {code: rule.get("name", "") for code, rule in {**old_config, **new_config}.items()}
    names.update({r["code"]: r["name"] for r in old.get("rules", [])})
    names.update({r["code"]: r["name"] for r in new.get("rules", [])})
    rule_changes = rule_config_changes(old_config, new_config)
    added, unchanged, regraded = [], [], []
    for finding in new["findings"]:
        earlier = old_by_id.get(finding["id"])
        state = "unchanged" if earlier is not None else "new"
        (unchanged if state == "unchanged" else added).append(finding["id"])
        by_rule.setdefault(finding["rule"], Counter())[state] += 1
        if earlier is not None and earlier["severity"] != finding["severity"]:
            severity_change = [c for c in rule_changes.get(finding["rule"], [])
                               if c.startswith("severity ")]
            regraded.append({"id": finding["id"], "rule": finding["rule"],
                             "name": finding["name"], "url": finding["url"],
                             "old": earlier["severity"], "new": finding["severity"],
                             "reason": severity_change[0] if severity_change else None})
    fixed, config_changed = [], []
    for finding in old["findings"]:
        if finding["id"] in new_ids:
            continue
        entry = {key: finding.get(key) for key in
                 ("id", "rule", "name", "family", "severity", "url", "message")}
        reason = gone_by_config(finding, rule_changes.get(finding["rule"], []),
                                new_config.get(finding["rule"]))
        if reason is None:
            fixed.append(entry)
            by_rule.setdefault(finding["rule"], Counter())["fixed"] += 1
        else:
            config_changed.append({**entry, "reason": reason})
            by_rule.setdefault(finding["rule"], Counter())["config_changed"] += 1
    for code in rule_changes:
        by_rule.setdefault(code, Counter())
    old_run = old.get("run", {})
    return {
        "kind": kind,
        "against": {
            "path": str(old_path) if old_path is not None else None,
            "run_id": old_run.get("run_id"), "start_url": old_run.get("start_url"),
            "started_at": iso_time(old_run.get("started_at")), "generated_at": old.get("generated_at"),
            "pages": old.get("summary", {}).get("pages"),
            "counts": old.get("summary", {}).get("counts"),
        },
        "counts": {"new": len(added), "fixed": len(fixed),
                   "config_changed": len(config_changed), "unchanged": len(unchanged)},
        "new": added,
        "fixed": fixed,
        "config_changed": config_changed,
        "unchanged": unchanged,
        "regraded": regraded,
        "rules_changed": {code: {"name": names.get(code, ""), "changes": changes}
                          for code, changes in rule_changes.items()},
        "by_rule": {code: {"name": names.get(code, ""), "new": c["new"], "fixed": c["fixed"],
                           "config_changed": c["config_changed"], "unchanged": c["unchanged"],
                           "config": rule_changes.get(code, [])}
                    for code, c in sorted(by_rule.items())},
        "pages": page_changes(old_store, new_store) if old_store and new_store else None,
    }


def rule_config_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """code -> effective rule configuration (``config.rules``). A findings file written before
    readiness recorded it gives what its ``rules`` list says: the rules that ran, and their
    severity."""
    recorded = (document.get("config") or {}).get("rules")
    if recorded is not None:
        return recorded
    return {r["code"]: {"name": r["name"], "enabled": True, "severity": r["severity"]}
            for r in document.get("rules", [])}


def rule_config_changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
                        ) -> dict[str, list[str]]:
    """code -> what changed in its configuration, in words ("disabled", "severity error ->
    warning", "option max_hops 1 -> 2", "exclude [] -> ['/legacy/*']"); unchanged rules are
    absent. A key only one side records is not compared."""
    changes: dict[str, list[str]] = {}
    for code in sorted(old.keys() | new.keys()):
        before, after = old.get(code), new.get(code)
        ran_before = bool(before and before.get("enabled"))
        runs_now = bool(after and after.get("enabled"))
        if ran_before and not runs_now:
            changes[code] = ["disabled" if after is not None else "no longer runs"]
        elif runs_now and not ran_before:
            changes[code] = ["enabled" if before is not None else "new rule"]
        elif ran_before and runs_now:
            said = []
            for key in ("severity", "impact", "include", "exclude"):
                if key in before and key in after and before[key] != after[key]:
                    said.append(f"{key} {before[key]} -> {after[key]}")
            if "options" in before and "options" in after:
                for option in sorted(before["options"].keys() | after["options"].keys()):
                    was, now = before["options"].get(option), after["options"].get(option)
                    if was != now:
                        said.append(f"option {option} {was!r} -> {now!r}")
            if said:
                changes[code] = said
    return changes


def gone_by_config(finding: dict[str, Any], changes: list[str],
                   config: dict[str, Any] | None) -> str | None:
    """Why the rule set, not the site, explains that ``finding`` is gone (None: it is fixed)."""
    if not changes:
        return None
    if changes[0] in ("disabled", "no longer runs"):
        return f"rule configuration changed: the rule {changes[0]}"
    if config is not None and any(c.startswith(("include ", "exclude ")) for c in changes) \
            and not UrlFilter(config.get("include", []), config.get("exclude", [])).keeps(
                finding["url"]):
        return "rule configuration changed: the URL is outside the rule's include/exclude"
    options = [c for c in changes if c.startswith("option ")]
    if options:
        return "rule configuration changed: " + "; ".join(options)
    return None


def page_statuses(store_path: Path) -> dict[str, int | str | None]:
    """URL -> HTTP status (or the error when there was no response) of every site URL fetched."""
    with open_store(store_path) as store:
        public = PublicUrls.from_meta(store.meta())
        return {public.text(url): status if status is not None else error
                for url, status, error in store.query(
            "SELECT u.url, f.status, f.error FROM fetches f JOIN urls u ON u.id = f.url_id "
            # Variants are samples the crawl chose, not pages of the site: leave them out.
            "WHERE u.internal = 1 AND f.fetched = 1 AND f.discovered_by != 'variant'")}


def page_changes(old_store: Path, new_store: Path,
                 limit: int = PAGE_CHANGE_LIMIT) -> dict[str, Any]:
    old, new = page_statuses(old_store), page_statuses(new_store)
    appeared = sorted(u for u in new if u not in old)
    disappeared = sorted(u for u in old if u not in new)
    changed = [{"url": u, "old": old[u], "new": new[u]}
               for u in sorted(new) if u in old and old[u] != new[u]]
    return {
        "counts": {"appeared": len(appeared), "disappeared": len(disappeared),
                   "status_changed": len(changed)},
        "appeared": [{"url": u, "status": new[u]} for u in appeared[:limit]],
        "disappeared": [{"url": u, "status": old[u]} for u in disappeared[:limit]],
        "status_changed": changed[:limit],
        "truncated": max(len(appeared), len(disappeared), len(changed)) > limit,
    }


# -- the runs kept under reports/ ---------------------------------------------------------

def earlier_runs(run_dir: Path, start_url: str | None, started_at: float | str | None,
                 limit: int = CANDIDATE_LIMIT, mode: str | None = None,
                 list_mode: bool = False) -> list[tuple[Path, dict[str, Any]]]:
    """[(findings path, {"run": …, "summary": …})] of earlier runs of the same site beside
    ``run_dir``, oldest first. A run is earlier when it started before this one; it is of
    the same kind when its ``mode`` is this one's (a site check, or a prospects or placements
    run of the site: a placements run compares with the last placements run only) and so is
    its ``list_mode`` (a ``backlinks`` or ``check --list`` run fetched a list, not the whole
    site: against a full crawl every page it did not list would read as "fixed")."""
    return _earlier_runs(run_dir, start_url, started_at, limit, mode, list_mode)[0]


def _run_order(path: Path, run: dict[str, Any]) -> tuple[float, str]:
    return (unix_time(run.get("started_at")) or 0, str(path))


def _earlier_runs(run_dir: Path, start_url: str | None, started_at: float | str | None,
                  limit: int = CANDIDATE_LIMIT, mode: str | None = None, list_mode: bool = False
                  ) -> tuple[list[tuple[Path, dict[str, Any]]], dict[str, Any] | None]:
    """earlier_runs, and the whole findings document of the last of them (the previous run).
    Of the others only the headers are kept: a big site's findings files are large."""
    run_dir = run_dir.resolve()
    if not start_url or not run_dir.parent.is_dir():
        return [], None
    candidates = []
    for sibling in run_dir.parent.iterdir():
        path = sibling / FINDINGS_FILE
        if sibling.resolve() != run_dir and path.is_file():
            candidates.append((path.stat().st_mtime, path))
    runs = []
    latest: tuple[tuple[float, str], Path] | None = None
    for _mtime, path in sorted(candidates, reverse=True)[:limit]:
        try:
            # Only the header: an earlier run's findings (90 MB at 20,000 pages) are read
            # whole only for the one run compared with.
            document = read_findings_header(path)
        except (ValueError, OSError):  # unreadable, foreign or newer files are not our runs
            continue
        run = document.get("run", {})
        if run.get("start_url") != start_url or run.get("mode") != mode \
                or bool(run.get("list_mode")) != bool(list_mode):
            continue
        # Unix seconds (a store's meta, a schema 1 file) or ISO 8601 (schema 2) on either side.
        this_start, their_start = unix_time(started_at), unix_time(run.get("started_at"))
        if this_start is not None and their_start is not None and their_start >= this_start:
            continue
        runs.append((path, {"run": run, "summary": document["summary"]}))
        order = _run_order(path, run)
        if latest is None or order > latest[0]:
            latest = (order, path)
    runs.sort(key=lambda item: _run_order(item[0], item[1]["run"]))
    if latest is None:
        return runs, None
    try:
        return runs, read_findings(latest[1])
    except (ValueError, OSError) as error:  # a header but no readable findings: not a run
        logger.warning("not comparing with %s: %s", latest[1], error)
        return [item for item in runs if item[0] != latest[1]], None


def previous_run_store(store_path: Path) -> Path | None:
    """The crawl store of the run a new analysis of ``store_path`` will be compared with (the
    previous run of the same site beside it), when it is still there: the analysis takes it as
    an input (``analyze(previous_store=…)``, the redirect map), so rules never look for runs."""
    with open_store(store_path) as store:
        meta = store.meta()
    start_url = PublicUrls.from_meta(meta).text(meta["start_url"]) if meta.get("start_url") \
        else None
    runs = earlier_runs(store_path.parent, start_url, meta.get("started_at"),
                        mode=meta.get("mode"), list_mode=bool(meta.get("list_mode")))
    if not runs:
        return None
    path, header = runs[-1]
    previous = store_beside(path, header)
    return previous if previous is not None and previous.resolve() != store_path.resolve() \
        else None


def run_history(runs: list[tuple[Path, dict[str, Any]]],
                limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """One point per earlier run for the trend chart, oldest first."""
    return [{"run_id": d["run"].get("run_id"), "started_at": iso_time(d["run"].get("started_at")),
             "pages": d["summary"]["pages"], "counts": d["summary"]["counts"],
             "ready": d["summary"]["ready"]} for _path, d in runs[-limit:]]


def store_beside(findings_path: Path, document: dict[str, Any]) -> Path | None:
    """The crawl store a findings file was made from, when it is still there."""
    for candidate in (findings_path.parent / STORE_FILE, Path(document["run"].get("store") or "")):
        if candidate.name == STORE_FILE and candidate.is_file():
            return candidate
    return None


def add_run_comparisons(document: dict[str, Any], run_dir: Path, store_path: Path | None,
                        baseline_path: Path | None = None) -> None:
    """Add ``history`` and ``previous`` (and ``baseline`` when given) to a fresh document."""
    run = document["run"]
    runs, previous = _earlier_runs(run_dir, run.get("start_url"), run.get("started_at"),
                                   mode=run.get("mode"), list_mode=run.get("list_mode", False))
    document["history"] = run_history(runs)
    document["previous"] = None
    if previous is not None:
        path = runs[-1][0]
        document["previous"] = compare_documents(
            previous, document, "previous", path, store_beside(path, previous), store_path)
    if baseline_path is not None:
        baseline = read_findings(baseline_path)
        document["baseline"] = compare_documents(
            baseline, document, "baseline", baseline_path, store_beside(baseline_path, baseline),
            store_path)


# -- printing -----------------------------------------------------------------------------

def describe_against(comparison: dict[str, Any]) -> str:
    against = comparison["against"]
    if comparison["kind"] == "previous":
        return f"since the previous run ({against['run_id']})"
    if comparison["kind"] == "baseline":
        return f"against the baseline {against['path']}"
    return f"against {against['path']}"


def comparison_line(comparison: dict[str, Any]) -> str:
    counts = comparison["counts"]
    line = (f"{describe_against(comparison)}: {counts['new']} new, {counts['fixed']} fixed, "
            f"{counts['unchanged']} unchanged findings")
    if counts.get("config_changed"):
        line += (f"; {counts['config_changed']} gone because the rule configuration changed "
                 "(not fixed)")
    pages = comparison.get("pages")
    if pages:
        c = pages["counts"]
        line += (f"; pages: {c['appeared']} appeared, {c['disappeared']} disappeared, "
                 f"{c['status_changed']} changed status")
    return line


def print_comparison(comparison: dict[str, Any], new: dict[str, Any], out: TextIO,
                     limit: int = 15, per_rule: bool = False, show_unchanged: bool = False,
                     listed_in: str | None = FINDINGS_FILE) -> None:
    """The comparison in plain text: the counts, the rules whose configuration changed, then
    which findings are new, fixed, gone with the configuration and regraded (and unchanged,
    with ``show_unchanged``), ``limit`` of each; ``listed_in``: what lists the rest (None:
    nothing written does)."""
    w = out.write
    more = f" ({listed_in} lists them)" if listed_in else ""
    w(comparison_line(comparison) + "\n")
    for code, rule in comparison.get("rules_changed", {}).items():
        w(f"  rule configuration changed: {code} {rule['name']}: "
          f"{', '.join(rule['changes'])}\n")
    if per_rule and comparison["by_rule"]:
        w(f"  {'rule':<40} {'new':>5} {'fixed':>6} {'config':>7} {'unchanged':>10}\n")
        for code, c in comparison["by_rule"].items():
            rule = f"{code} {c['name']}"
            w(f"  {rule:<40} {c['new']:>5} {c['fixed']:>6} {c.get('config_changed', 0):>7} "
              f"{c['unchanged']:>10}\n")
    shown = comparison["new"] + (comparison["unchanged"] if show_unchanged else [])
    by_id = findings_with_ids(new["findings"], shown)
    lists = [("new", [by_id[i] for i in comparison["new"]]), ("fixed", comparison["fixed"]),
             ("config", comparison.get("config_changed", []))]
    if show_unchanged:
        lists.append(("unchanged", [by_id[i] for i in comparison["unchanged"]]))
    for label, findings in lists:
        for finding in findings[:limit]:
            reason = f" ({finding['reason']})" if finding.get("reason") else ""
            w(f"  {label:<9} {finding['severity']:<7} {finding['rule']} {finding['name']}: "
              f"{finding['url']}{reason}\n")
        if len(findings) > limit:
            w(f"  {label:<9} … and {len(findings) - limit} more{more}\n")
    regraded = comparison.get("regraded", [])
    for finding in regraded[:limit]:
        why = f": {finding['reason']}" if finding["reason"] else ""
        w(f"  regraded  {finding['old']} -> {finding['new']} {finding['rule']} {finding['name']}: "
          f"{finding['url']}{why}\n")
    if len(regraded) > limit:
        w(f"  regraded  … and {len(regraded) - limit} more{more}\n")
    pages = comparison.get("pages")
    if pages:
        for key, label in (("appeared", "page appeared"), ("disappeared", "page gone")):
            for page in pages[key][:limit]:
                w(f"  {label}: {page['url']} ({page['status']})\n")
        for page in pages["status_changed"][:limit]:
            w(f"  status changed: {page['url']} {page['old']} -> {page['new']}\n")


def read_run(path: Path) -> tuple[dict[str, Any] | None, Path | None, Path]:
    """One side of ``readiness diff`` as stored: (findings document or None, crawl store or
    None, what was read). A run folder or a crawl store uses the findings.json beside it;
    without one the document is None, and the store is what the caller analyses
    (``readiness.check.load_run``): the report stage reads findings, it never makes them.
    """
    if path.is_dir():
        findings, store = path / FINDINGS_FILE, path / STORE_FILE
    elif path.suffix in (".sqlite", ".db"):
        findings, store = path.parent / FINDINGS_FILE, path
    elif path.is_file():
        document = read_findings(path)
        return document, store_beside(path, document), path
    else:
        raise ValueError(f"no run at {path} (give findings.json, crawl.sqlite or a run folder)")
    if findings.is_file():
        document = read_findings(findings)
        return document, store if store.is_file() else store_beside(findings, document), findings
    if not store.is_file():
        raise ValueError(f"no findings.json or crawl.sqlite in {path}")
    return None, store, store


def comparison_json(comparison: dict[str, Any]) -> str:
    return json.dumps(comparison, indent=1, ensure_ascii=False, default=str)
