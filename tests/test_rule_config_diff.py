"""A changed rule set is not a fixed site: `readiness diff`, the previous-run comparison and
--baseline say "rule configuration changed" (and what changed) for findings that disappear
because a rule was disabled, excluded from a URL or re-optioned, and list severity changes.

Stores are built by hand (tests/report/planted.py) and analysed through readiness.cli.main with
only the redirect rules on, so each planted defect is exactly one finding.
"""

import json
from pathlib import Path

from report.planted import build_site

from readiness.cli import main
from readiness.rules.registry import default_registry

SITE = "http://site.test"
REDIRECT_RULES = ("RDR001", "RDR002", "RDR003", "RDR004", "RDR005")


def rules_file(path: Path, **settings: dict) -> str:
    """Only the redirect rules on; ``settings`` adds YAML keys per code."""
    lines = ["rules:"]
    for rule in sorted(default_registry().rules(), key=lambda r: r.code):
        # Each key once: a rule file with a key written twice is refused.
        keys = {"enabled": rule.code in REDIRECT_RULES, **settings.get(rule.code, {})}
        lines.append(f"  {rule.code}:")
        lines += [f"    {key}: {json.dumps(value)}" for key, value in keys.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_rule_set_changes_are_not_reported_as_fixes(tmp_path, capsys):
    reports = tmp_path / "reports"
    # Every redirect defect planted; two temporary redirects (/dentists, /team/dr-1).
    first = build_site(reports / "1-before", chain=True, loop=True, to_404=True, temporary=2)
    assert main(["analyze", str(first), "--config", rules_file(tmp_path / "a.yaml")]) == 1
    before = json.loads((first.parent / "findings.json").read_text())
    recorded = before["config"]["rules"]
    assert recorded["RDR001"] == {"name": "redirect-chain", "enabled": True,
                                  "severity": "warning", "impact": "lost-equity",
                                  "options": {"max_hops": 1},
                                  "include": [], "exclude": []}
    assert recorded["LNK001"]["enabled"] is False  # disabled rules are recorded too

    # Same site but for one real fix (/team/dr-1 no longer redirects); the rule set changes:
    # RDR002 off, RDR003 excluded from /services/*, RDR001 allows 3 hops, RDR004 an error.
    second = build_site(reports / "2-after", chain=True, loop=True, to_404=True, temporary=1)
    config = rules_file(tmp_path / "b.yaml", RDR002={"enabled": False},
                        RDR003={"exclude": ["/services/*"]}, RDR001={"max_hops": 3},
                        RDR004={"severity": "error"})
    capsys.readouterr()
    assert main(["analyze", str(second), "--config", config]) == 1
    out = capsys.readouterr().out
    assert ("since the previous run (test): 0 new, 1 fixed, 1 unchanged findings; "
            "3 gone because the rule configuration changed (not fixed)") in out

    assert main(["diff", str(first.parent), str(second.parent), "--json"]) == 0
    comparison = json.loads(capsys.readouterr().out)
    assert comparison["counts"] == {"new": 0, "fixed": 1, "config_changed": 3, "unchanged": 1}
    # The real fix is the one "fixed" finding.
    assert [(f["rule"], f["url"]) for f in comparison["fixed"]] == [
        ("RDR004", f"{SITE}/team/dr-1")]
    gone = {(f["rule"], f["url"]): f["reason"] for f in comparison["config_changed"]}
    assert gone == {
        ("RDR001", f"{SITE}/offers"): "rule configuration changed: option max_hops 1 -> 3",
        ("RDR002", f"{SITE}/portal"): "rule configuration changed: the rule disabled",
        ("RDR003", f"{SITE}/services/invisalign"):
            "rule configuration changed: the URL is outside the rule's include/exclude",
    }
    assert comparison["regraded"] == [{
        "id": comparison["unchanged"][0], "rule": "RDR004", "name": "temporary-redirect",
        "url": f"{SITE}/dentists", "old": "warning", "new": "error",
        "reason": "severity warning -> error"}]
    assert comparison["rules_changed"] == {
        "RDR001": {"name": "redirect-chain", "changes": ["option max_hops 1 -> 3"]},
        "RDR002": {"name": "redirect-loop", "changes": ["disabled"]},
        "RDR003": {"name": "redirect-to-error", "changes": ["exclude [] -> ['/services/*']"]},
        "RDR004": {"name": "temporary-redirect", "changes": ["severity warning -> error"]},
    }
    assert comparison["by_rule"]["RDR002"]["fixed"] == 0
    assert comparison["by_rule"]["RDR002"]["config_changed"] == 1

    assert main(["diff", str(first.parent), str(second.parent)]) == 0
    out = capsys.readouterr().out
    assert "rule configuration changed: RDR002 redirect-loop: disabled" in out
    assert (f"config    error   RDR002 redirect-loop: {SITE}/portal "
            "(rule configuration changed: the rule disabled)") in out
    assert f"fixed     warning RDR004 temporary-redirect: {SITE}/team/dr-1" in out
    assert "fixed     error   RDR002" not in out
    assert (f"regraded  warning -> error RDR004 temporary-redirect: {SITE}/dentists: "
            "severity warning -> error") in out

    # The previous-run comparison inside the new findings.json, the HTML and summary.md agree.
    after = json.loads((second.parent / "findings.json").read_text())
    assert after["previous"]["counts"] == comparison["counts"]
    html = (second.parent / "report.html").read_text()
    assert 'data-change-count="config_changed">3<' in html
    assert "Gone because the rule configuration changed (3)" in html
    summary = (second.parent / "summary.md").read_text()
    assert "3 gone because the rule configuration changed (not fixed)" in summary
    assert "rule configuration changed: RDR002 redirect-loop: disabled" in summary


def test_baseline_from_an_older_findings_file_without_recorded_configuration(tmp_path, capsys):
    # A findings file written before config.rules existed: the rules that ran are what it
    # says. A rule missing from the new run's rules is "no longer runs", not fixed.
    reports = tmp_path / "reports"
    first = build_site(reports / "1", loop=True)
    assert main(["analyze", str(first), "--config", rules_file(tmp_path / "a.yaml")]) == 1
    old = json.loads((first.parent / "findings.json").read_text())
    del old["config"]["rules"]
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(old), encoding="utf-8")
    second = build_site(reports / "2", loop=True)
    config = rules_file(tmp_path / "b.yaml", RDR002={"enabled": False})
    capsys.readouterr()
    assert main(["analyze", str(second), "--config", config, "--baseline", str(legacy)]) == 0
    after = json.loads((second.parent / "findings.json").read_text())
    assert after["baseline"]["counts"]["fixed"] == 0
    assert [f["reason"] for f in after["baseline"]["config_changed"]] == [
        "rule configuration changed: the rule disabled"]
    # Unchanged configuration, unchanged site: nothing is fixed, nothing config-changed.
    capsys.readouterr()
    assert main(["diff", str(first.parent), str(first.parent), "--json"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["counts"] == {"new": 0, "fixed": 0, "config_changed": 0, "unchanged": 1}
    assert same["rules_changed"] == {} and same["regraded"] == []
