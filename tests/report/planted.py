"""A small hand-built site with redirect defects that can be planted or fixed one at a time,
and a rule set that runs only the redirect rules (RDR001-RDR005), so the report and gate
tests do not move when other rule families grow.

    store = build_site(tmp_path / "run-1", loop=True)
    config = redirect_rules_config(tmp_path)
    main(["analyze", str(store), "--config", str(config)])

Planted defects, each with its own URL so fixing one leaves the others' finding ids alone:
chain (RDR001, warning), loop (RDR002, error), to_404 (RDR003, error), temporary (RDR004,
warning).
"""

from __future__ import annotations

from pathlib import Path

from readiness.report.times import iso_time
from readiness.rules.registry import default_registry
from readiness.testing import StoreBuilder

REDIRECT_RULES = ("RDR001", "RDR002", "RDR003", "RDR004", "RDR005")
START_URL = "http://site.test/"


def redirect_rules_config(directory: Path, severities: dict[str, str] | None = None) -> Path:
    """A YAML rule set enabling only the redirect rules (optionally re-graded)."""
    lines = ["rules:"]
    for rule in sorted(default_registry().rules(), key=lambda r: r.code):
        lines.append(f"  {rule.code}:")
        lines.append(f"    enabled: {'true' if rule.code in REDIRECT_RULES else 'false'}")
        if severities and rule.code in severities:
            lines.append(f"    severity: {severities[rule.code]}")
    path = Path(directory) / "redirect-rules.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_site(directory: Path, chain: bool = False, loop: bool = False, to_404: bool = False,
               temporary: bool | int = False, extra_pages: int = 3, start_url: str = START_URL,
               slow_ms: float = 120.0) -> Path:
    """A run folder holding crawl.sqlite: home, a few clean pages, and the planted defects
    (``temporary=N`` plants N temporary redirects: a long table)."""
    directory.mkdir(parents=True, exist_ok=True)
    store = StoreBuilder(directory, start_url=start_url)
    pages = [f"/page-{i}" for i in range(extra_pages)]
    home_links: list = [(p, {"anchor": f"Page {i}"}) for i, p in enumerate(pages)]
    if chain:
        home_links.append(("/offers", {"anchor": "See this season's offers"}))
        store.redirect("/offers", "/offers/2024")
        store.redirect("/offers/2024", "/specials")
        store.page("/specials", title="Specials", fetch={"depth": 2, "elapsed_ms": 300.0})
    if loop:
        home_links.append(("/portal", {"anchor": "Patient portal"}))
        store.redirect("/portal", "/portal/login")
        store.redirect("/portal/login", "/portal")
    if to_404:
        home_links.append(("/services/invisalign", {"anchor": "Clear aligners"}))
        store.redirect("/services/invisalign", "/services/clear-aligners")
        store.fetch("/services/clear-aligners", status=404)
    if temporary:
        home_links.append(("/dentists", {"anchor": "Meet our dentists"}))
        store.redirect("/dentists", "/team", status=302)
        store.page("/team", title="Team", fetch={"depth": 2, "elapsed_ms": 80.0})
        for i in range(1, int(temporary)):
            home_links.append((f"/team/dr-{i}", {"anchor": f"Doctor {i}"}))
            store.redirect(f"/team/dr-{i}", "/team", status=307)
    store.page("/", links=home_links, title="Home",
               fetch={"depth": 0, "discovered_by": "start", "elapsed_ms": slow_ms})
    for i, page in enumerate(pages):
        store.page(page, links=["/"], title=f"Page {i}",
                   fetch={"depth": 1, "elapsed_ms": 40.0 + 500 * i})
    return store.close()


def finding(rule: str = "RDR002", url: str = "http://site.test/a", severity: str = "error",
            weight: int = 1, accepted: str | None = None, message: str = "something is wrong",
            evidence: dict | None = None, ident: str | None = None,
            impact: str | None = None) -> dict:
    """One finding as findings.json holds it (its impact the rule's unless told)."""
    known = default_registry().get(rule)
    impact = impact or (known.impact.value if known is not None else "on-page")
    return {"id": ident or f"{rule}-{abs(hash((rule, url))) % 10**12:012d}", "rule": rule,
            "name": f"rule-{rule.lower()}", "family": "redirects", "severity": severity,
            "impact": impact, "url": url, "message": message, "evidence": evidence or {}, "weight": weight,
            "accepted": accepted}


def document(findings: list[dict], pages: int = 10, start_url: str = START_URL,
             run_id: str = "run", started_at: float = 1_700_000_000.0,
             rules: list[str] | None = None) -> dict:
    """A hand-made findings document (schema 2: times ISO 8601) around ``findings``."""
    from collections import Counter

    from readiness.report.findings import blocking_by_url
    from readiness.rules.spool import FindingRecord

    open_findings = [f for f in findings if f["accepted"] is None]
    counts = Counter(f["severity"] for f in open_findings)
    by_family: dict = {}
    for f in open_findings:
        by_family.setdefault(f["family"], Counter())[f["severity"]] += 1
    codes = rules or sorted({f["rule"] for f in findings} | {"RDR001"})
    blocking = sorted((f for f in open_findings if f["severity"] == "error"),
                      key=lambda f: FindingRecord.of(f).blocker_order)
    return {
        "schema": "readiness/findings", "schema_version": 2,
        "generated_at": "2026-01-01T00:00:00+00:00", "readiness_version": "0.1.0",
        "run": {"run_id": run_id, "start_url": start_url, "store": "", "complete": True,
                "finish_reason": "finished", "limits_hit": [],
                "started_at": iso_time(started_at), "finished_at": iso_time(started_at + 60)},
        "config": {"sources": ["default.yaml"]},
        "summary": {"pages": pages, "ready": not blocking,
                    "verdict": "ready for link building" if not blocking
                    else "not ready for link building",
                    "counts": {s: counts.get(s, 0) for s in ("error", "warning", "notice")},
                    "accepted": sum(1 for f in findings if f["accepted"] is not None),
                    "by_family": {k: dict(v) for k, v in by_family.items()},
                    "blocking": [f["id"] for f in blocking],
                    "blocking_urls": blocking_by_url(blocking)},
        "crawl": {"urls_fetched": pages, "outbound_checked": 0, "status_codes": {"200": pages},
                  "errors": {}, "depth": {"0": 1, "1": pages - 1},
                  "response_ms": {"count": 0, "p50": None, "p90": None, "p95": None,
                                  "max": None, "histogram": []}},
        "rules": [{"code": code, "name": f"rule-{code.lower()}", "family": "redirects",
                   "severity": "error", "summary": f"Rule {code}: a summary.",
                   "docs": {"Why it matters": "Because ``links`` matter.",
                            "How to fix": "Fix it.", "Example": "/a -> /b\n/b -> /a"},
                   "findings": sum(1 for f in findings if f["rule"] == code), "accepted": 0,
                   "excluded": 0, "seconds": 0.01} for code in codes],
        "findings": findings,
    }
