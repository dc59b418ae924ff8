"""Compare two analyses: which findings are new, fixed and unchanged, and which pages changed.

Findings are matched by their stable id (``Finding.id``: rule code + subject), so a finding
keeps its identity across runs and across config edits that only change its severity. The
same comparison serves three uses (docs/ci.md, docs/findings.md):

- ``--baseline findings.json``: the gate fails only on findings that are new to the baseline;
- the previous run of the same site kept under reports/, found automatically after each
  analysis, which the HTML report and summary.md show as "since the last run";
- ``readiness diff OLD NEW`` on the command line.

Pages that appeared, disappeared or changed status need both crawl stores; without them the
comparison covers findings only (``pages`` is null).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from readiness.report.findings import read_findings
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


def compare_documents(old: dict[str, Any], new: dict[str, Any], kind: str,
                      old_path: str | Path | None = None,
                      old_store: Path | None = None, new_store: Path | None = None
                      ) -> dict[str, Any]:
    """The comparison of ``new`` against ``old`` (both findings documents)."""
    old_by_id = {f["id"]: f for f in old["findings"]}
    new_ids = {f["id"] for f in new["findings"]}
    by_rule: dict[str, Counter] = {}
    names = {r["code"]: r["name"] for r in old.get("rules", [])}
    names.update({r["code"]: r["name"] for r in new.get("rules", [])})
    added, unchanged = [], []
    for finding in new["findings"]:
        state = "unchanged" if finding["id"] in old_by_id else "new"
        (unchanged if state == "unchanged" else added).append(finding["id"])
        by_rule.setdefault(finding["rule"], Counter())[state] += 1
    fixed = []
    for finding in old["findings"]:
        if finding["id"] not in new_ids:
            fixed.append({key: finding.get(key) for key in
                          ("id", "rule", "name", "family", "severity", "url", "message")})
            by_rule.setdefault(finding["rule"], Counter())["fixed"] += 1
    old_run = old.get("run", {})
    return {
        "kind": kind,
        "against": {
            "path": str(old_path) if old_path is not None else None,
            "run_id": old_run.get("run_id"), "start_url": old_run.get("start_url"),
            "started_at": old_run.get("started_at"), "generated_at": old.get("generated_at"),
            "pages": old.get("summary", {}).get("pages"),
            "counts": old.get("summary", {}).get("counts"),
        },
        "counts": {"new": len(added), "fixed": len(fixed), "unchanged": len(unchanged)},
        "new": added,
        "fixed": fixed,
        "unchanged": unchanged,
        "by_rule": {code: {"name": names.get(code, ""), "new": c["new"], "fixed": c["fixed"],
                           "unchanged": c["unchanged"]}
                    for code, c in sorted(by_rule.items())},
        "pages": page_changes(old_store, new_store) if old_store and new_store else None,
    }


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

def earlier_runs(run_dir: Path, start_url: str | None, started_at: float | None,
                 limit: int = CANDIDATE_LIMIT) -> list[tuple[Path, dict[str, Any]]]:
    """[(findings path, {"run": …, "summary": …})] of earlier runs of the same site beside
    ``run_dir``, oldest first. A run is earlier when it started before this one."""
    return _earlier_runs(run_dir, start_url, started_at, limit)[0]


def _run_order(path: Path, run: dict[str, Any]) -> tuple[float, str]:
    return (run.get("started_at") or 0, str(path))


def _earlier_runs(run_dir: Path, start_url: str | None, started_at: float | None,
                  limit: int = CANDIDATE_LIMIT
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
    latest: tuple[tuple[float, str], dict[str, Any]] | None = None
    for _mtime, path in sorted(candidates, reverse=True)[:limit]:
        try:
            document = read_findings(path)
        except (ValueError, OSError):  # unreadable, foreign or newer files are not our runs
            continue
        run = document.get("run", {})
        if run.get("start_url") != start_url:
            continue
        if started_at is not None and run.get("started_at") is not None \
                and run["started_at"] >= started_at:
            continue
        runs.append((path, {"run": run, "summary": document["summary"]}))
        order = _run_order(path, run)
        if latest is None or order > latest[0]:
            latest = (order, document)
    runs.sort(key=lambda item: _run_order(item[0], item[1]["run"]))
    return runs, latest[1] if latest else None


def run_history(runs: list[tuple[Path, dict[str, Any]]],
                limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """One point per earlier run for the trend chart, oldest first."""
    return [{"run_id": d["run"].get("run_id"), "started_at": d["run"].get("started_at"),
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
    runs, previous = _earlier_runs(run_dir, run.get("start_url"), run.get("started_at"))
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
    pages = comparison.get("pages")
    if pages:
        c = pages["counts"]
        line += (f"; pages: {c['appeared']} appeared, {c['disappeared']} disappeared, "
                 f"{c['status_changed']} changed status")
    return line


def print_comparison(comparison: dict[str, Any], new: dict[str, Any], out: TextIO,
                     limit: int = 15, per_rule: bool = False, show_unchanged: bool = False) -> None:
    """The comparison in plain text: the counts, then which findings are new and fixed
    (and unchanged, with ``show_unchanged``), ``limit`` of each."""
    w = out.write
    w(comparison_line(comparison) + "\n")
    if per_rule and comparison["by_rule"]:
        w(f"  {'rule':<40} {'new':>5} {'fixed':>6} {'unchanged':>10}\n")
        for code, c in comparison["by_rule"].items():
            rule = f"{code} {c['name']}"
            w(f"  {rule:<40} {c['new']:>5} {c['fixed']:>6} {c['unchanged']:>10}\n")
    by_id = {f["id"]: f for f in new["findings"]}
    lists = [("new", [by_id[i] for i in comparison["new"]]), ("fixed", comparison["fixed"])]
    if show_unchanged:
        lists.append(("unchanged", [by_id[i] for i in comparison["unchanged"]]))
    for label, findings in lists:
        for finding in findings[:limit]:
            w(f"  {label:<9} {finding['severity']:<7} {finding['rule']} {finding['name']}: "
              f"{finding['url']}\n")
        if len(findings) > limit:
            w(f"  {label:<9} … and {len(findings) - limit} more (findings.json lists them)\n")
    pages = comparison.get("pages")
    if pages:
        for key, label in (("appeared", "page appeared"), ("disappeared", "page gone")):
            for page in pages[key][:limit]:
                w(f"  {label}: {page['url']} ({page['status']})\n")
        for page in pages["status_changed"][:limit]:
            w(f"  status changed: {page['url']} {page['old']} -> {page['new']}\n")


def load_run(path: Path, config=None) -> tuple[dict[str, Any], Path | None, Path]:
    """One side of ``readiness diff``: (findings document, crawl store or None, what was read).

    A run folder or a crawl store uses the findings.json beside it when there is one, and
    otherwise analyses the store with ``config`` (the shipped rule set when None).
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
    from readiness.config import load_config
    from readiness.report.findings import findings_document
    from readiness.rules.engine import analyze

    return findings_document(analyze(store, config or load_config())), store, store


def comparison_json(comparison: dict[str, Any]) -> str:
    return json.dumps(comparison, indent=1, ensure_ascii=False, default=str)
