"""The CI gate end to end: exit codes, every output agreeing with the others, baselines, diff.

Stores are built by hand (tests/report/planted.py) and analysed with `readiness analyze`
through readiness.cli.main; only the redirect rules run, so planting or fixing one defect
changes exactly one finding. The unreachable-site case runs `readiness check` for real, in a
subprocess, against a loopback port nothing listens on.
"""

import csv
import json
import xml.etree.ElementTree as ET

import pytest
from conftest import free_port, run_cli
from report.planted import build_site, redirect_rules_config

from readiness.cli import main


@pytest.fixture
def rules(tmp_path):
    return str(redirect_rules_config(tmp_path))


def analyze(store, rules, *options):
    return main(["analyze", str(store), "--config", rules, *options])


def test_clean_site_passes(tmp_path, rules, capsys):
    store = build_site(tmp_path / "reports" / "clean")
    assert analyze(store, rules) == 0
    out = capsys.readouterr().out
    assert "verdict: READY for link building" in out
    assert "gate (--fail-on error): PASS" in out


def test_planted_error_fails(tmp_path, rules, capsys):
    store = build_site(tmp_path / "reports" / "loop", loop=True)
    assert analyze(store, rules) == 1
    assert "gate (--fail-on error): FAIL — 1 finding at error or above" in capsys.readouterr().out


@pytest.mark.parametrize("fail_on, expected", [("error", 0), ("warning", 1), ("notice", 1)])
def test_fail_on_threshold(tmp_path, rules, fail_on, expected):
    store = build_site(tmp_path / "reports" / "chain", chain=True)  # RDR001: a warning
    assert analyze(store, rules, "--fail-on", fail_on) == expected


@pytest.mark.parametrize("options, message", [
    (["--format", "html,pdf"], "--format: unknown output format 'pdf'"),
    (["--baseline", "nowhere/findings.json"], "--baseline: no findings file at"),
])
def test_usage_errors_exit_2(tmp_path, rules, capsys, options, message):
    store = build_site(tmp_path / "reports" / "run")
    assert analyze(store, rules, *options) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_configuration_errors_exit_2(tmp_path, capsys):
    store = build_site(tmp_path / "reports" / "run")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  NOPE999:\n    enabled: true\n")
    assert main(["analyze", str(store), "--config", str(bad)]) == 2
    assert "configuration error" in capsys.readouterr().err
    not_findings = tmp_path / "other.json"
    not_findings.write_text('{"hello": 1}')
    assert main(["analyze", str(store), "--baseline", str(not_findings)]) == 2
    assert "not a readiness findings file" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "missing")]) == 2
    with pytest.raises(SystemExit) as exit_info:  # argparse: bad option values
        main(["analyze", str(store), "--min-pages", "0"])
    assert exit_info.value.code == 2


def test_too_few_pages_is_inconclusive(tmp_path, rules, capsys):
    store = build_site(tmp_path / "reports" / "thin", loop=True, extra_pages=1)
    assert analyze(store, rules, "--min-pages", "50") == 3
    captured = capsys.readouterr()
    assert "readiness: error: inconclusive: only 2 HTML pages answered 200" in captured.err
    gate = json.loads((store.parent / "findings.json").read_text())["gate"]
    assert gate["status"] == "inconclusive" and gate["exit_code"] == 3
    assert analyze(store, rules, "--min-pages", "2") == 1


def test_unreachable_start_url_is_inconclusive(tmp_path):
    port = free_port()  # free a moment ago: connections are refused
    result = run_cli("check", f"http://127.0.0.1:{port}/", "--out", str(tmp_path / "run"),
                     "--reports-dir", str(tmp_path), "--quiet", timeout=120)
    assert result.returncode == 3, result.stderr
    assert "cannot reach the start URL" in result.stderr


def test_every_output_agrees_with_findings_json(tmp_path, rules):
    store = build_site(tmp_path / "reports" / "all", chain=True, loop=True, to_404=True,
                       temporary=True)
    assert analyze(store, rules, "--fail-on", "warning") == 1
    run = store.parent
    doc = json.loads((run / "findings.json").read_text())
    ids = [f["id"] for f in doc["findings"]]
    assert {f["rule"] for f in doc["findings"]} == {"RDR001", "RDR002", "RDR003", "RDR004"}

    csv_ids = []
    for rule in doc["rules"]:
        path = run / "csv" / f"{rule['code']}-{rule['name']}.csv"
        if not rule["findings"]:  # a rule that found nothing has no header-only file
            assert not path.exists(), path
            continue
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == rule["findings"]
        csv_ids += [r["id"] for r in rows]
    assert sorted(csv_ids) == sorted(ids)
    with (run / "findings.csv").open(encoding="utf-8-sig") as fh:  # every finding in one table
        assert [r["id"] for r in csv.DictReader(fh)] == ids

    suite = ET.parse(run / "junit.xml").getroot().find("testsuite")
    finding_free = [r for r in doc["rules"] if not any(f["rule"] == r["code"]
                                                        for f in doc["findings"])]
    assert finding_free  # RDR005: planted nowhere, still a (passing) test case
    assert int(suite.get("tests")) == len(ids) + len(finding_free)
    failure_ids = [f.text.rsplit("finding id: ", 1)[1] for f in suite.iter("failure")]
    assert sorted(failure_ids) == sorted(doc["gate"]["failing"]) == sorted(ids)  # all four

    html = (run / "report.html").read_text(encoding="utf-8")
    start = html.index('id="readiness-data">') + len('id="readiness-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert [f["id"] for f in data["findings"]] == ids
    counts = doc["summary"]["counts"]
    for severity, n in counts.items():
        assert f'data-count="{severity}">{n}<' in html

    summary = (run / "summary.md").read_text(encoding="utf-8")
    assert f"**{counts['error']} errors**" in summary
    assert f"{counts['warning']} warnings" in summary
    assert "❌ failed — 4 findings at warning or above" in summary


def test_format_flag_chooses_the_outputs(tmp_path, rules):
    store = build_site(tmp_path / "reports" / "run", loop=True)
    analyze(store, rules, "--format", "json,junit")
    assert sorted(p.name for p in store.parent.iterdir() if p.name != "crawl.sqlite") == [
        "findings.json", "junit.xml"]


def test_baseline_fails_only_on_new_findings_and_diff_shows_the_fix(tmp_path, rules, capsys):
    reports = tmp_path / "reports"
    # Last release: a known redirect loop the team lives with for now.
    baseline_store = build_site(reports / "1-release", loop=True)
    assert analyze(baseline_store, rules) == 1
    baseline = str(baseline_store.parent / "findings.json")
    capsys.readouterr()

    # A branch adds a redirect to a 404: new relative to the baseline, so the gate fails.
    broken = build_site(reports / "2-branch", loop=True, to_404=True)
    assert analyze(broken, rules, "--baseline", baseline) == 1
    out = capsys.readouterr().out
    assert "against the baseline" in out and "1 new, 0 fixed, 1 unchanged findings" in out
    assert "new       error   RDR003 redirect-to-error: http://site.test/services/invisalign" in out
    assert "unchanged error   RDR002 redirect-loop: http://site.test/portal" in out
    assert "FAIL — 1 new finding at error or above" in out

    # The fix: the loop is still there (known), the new defect is gone, the gate passes.
    fixed = build_site(reports / "3-fixed", loop=True)
    assert analyze(fixed, rules, "--baseline", baseline) == 0
    out = capsys.readouterr().out
    assert "PASS — no new finding at error or above" in out
    # The automatic comparison with the previous run of the site shows the fix too.
    assert "since the previous run (test): 0 new, 1 fixed, 1 unchanged findings" in out
    doc = json.loads((fixed.parent / "findings.json").read_text())
    assert [f["rule"] for f in doc["previous"]["fixed"]] == ["RDR003"]
    assert doc["previous"]["pages"]["counts"]["disappeared"] == 2
    assert "Since the previous run" in (fixed.parent / "report.html").read_text()

    assert main(["diff", str(broken.parent), str(fixed.parent)]) == 0
    out = capsys.readouterr().out
    assert "0 new, 1 fixed, 1 unchanged findings" in out
    assert "fixed     error   RDR003 redirect-to-error: http://site.test/services/invisalign" in out
    assert "page gone: http://site.test/services/clear-aligners (404)" in out

    assert main(["diff", str(broken.parent / "findings.json"), str(fixed.parent / "findings.json"),
                 "--json"]) == 0
    comparison = json.loads(capsys.readouterr().out)
    assert comparison["counts"] == {"new": 0, "fixed": 1, "config_changed": 0, "unchanged": 1}
    assert comparison["by_rule"]["RDR003"]["fixed"] == 1


def test_diff_of_missing_runs_is_a_usage_error(tmp_path, capsys):
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "no run at" in capsys.readouterr().err
