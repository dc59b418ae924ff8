"""Rule files written to hurt (issue 11, §4): each is a real YAML file, run by the real CLI
(`readiness analyze`, a subprocess) over a real crawl of a small site on 127.0.0.1.

A regular expression with catastrophic backtracking must not hang the analysis, a YAML alias
bomb must not take gigabytes, an XPath that fails only when it runs on a page is a
configuration error (exit 2, file:line), and a key written twice is refused with both lines.
Every hostile file has a clean twin that analyses normally, its findings asserted by URL.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli

from readiness.demo.server import SiteServer

VIEWPORT = "<meta name='viewport' content='width=device-width, initial-scale=1'>"
# One 60-letter word and no "!": (\w+\s?)+!$ tries every way to split it (2^59) in a
# backtracking engine before it fails.
LONG_WORD = "appointment" * 5 + "dentistry"
PAGES = {
    "/": f"<a href='/long'>long</a> <a href='/shout'>shout</a> <a href='/plain'>plain</a>",
    "/long": f"Book an {LONG_WORD}",
    "/shout": "Book an appointment now!",
    "/plain": "<span class='phone'>555-0100</span>",
}
# Generous bound for a busy machine: a clean analysis of four pages takes seconds.
ANALYSIS_TIMEOUT = 120
# Address space for one analysis (Python, lxml, RE2 and the rules need a few hundred MB):
# an expanded alias bomb would need far more, and fails instead of swapping the machine.
ADDRESS_SPACE = 2 * 1024 ** 3


def html(title: str, body: str) -> str:
    return (f"<html lang='en'><head><title>{title}</title>{VIEWPORT}</head>"
            f"<body><h1>{title}</h1><p>{body}</p></body></html>")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    """The run folder of one finished crawl of the four-page site."""
    base = tmp_path_factory.mktemp("hostile-rules")
    site_dir = base / "site"
    site_dir.mkdir()
    routes = {path: {"body": html(path.strip("/") or "home", body)} for path, body in PAGES.items()}
    (site_dir / "site.yaml").write_text(yaml.safe_dump(
        {"hosts": {"site": "127.0.0.1"}, "routes": {"site": routes}}), encoding="utf-8")
    config = base / "crawl.yaml"
    config.write_text("crawl:\n  probe: {enabled: false}\n  sitemaps: []\n", encoding="utf-8")
    out = base / "run"
    with SiteServer(site_dir) as server:
        result = run_cli("crawl", server.url("site"), "--config", str(config), "--out",
                         str(out), "--reports-dir", str(base), "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def analyze(run: Path, rule_file: Path, limit_memory: bool = False) -> subprocess.CompletedProcess:
    def cap_address_space() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run(
        [sys.executable, "-m", "readiness.cli", "analyze", str(run), "--config",
         str(rule_file), "--format", "json"],
        capture_output=True, text=True, timeout=ANALYSIS_TIMEOUT, cwd=REPO,
        preexec_fn=cap_address_space if limit_memory else None)


def flagged(run: Path, code: str) -> set[str]:
    document = json.loads((run / "findings.json").read_text(encoding="utf-8"))
    start = document["run"]["start_url"].rstrip("/")
    return {f["url"].removeprefix(start) for f in document["findings"] if f["rule"] == code}


def rule_file(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CUSTOM = """\
extends: default
custom_rules:
  - code: HOS001
    name: hostile-condition
    severity: warning
    message: the page breaks the hostile condition
    include: ['/long', '/shout', '/plain']
    require:
      - {condition}
"""


def test_catastrophic_backtracking_regex_does_not_hang(crawled, tmp_path):
    rules = rule_file(tmp_path, CUSTOM.format(condition=r"""text: '(\w+\s?)+!$'
        in: body"""))
    result = analyze(crawled, rules)  # a backtracking engine would run for centuries
    assert result.returncode in (0, 1), result.stdout + result.stderr
    # Only /shout ends with "!": the other two break the rule, the clean twin does not.
    assert flagged(crawled, "HOS001") == {"/long", "/plain"}


def test_regex_re2_cannot_run_is_a_config_error(crawled, tmp_path):
    rules = rule_file(tmp_path, CUSTOM.format(condition=r"text: '(book)\s+\1'"))
    result = analyze(crawled, rules)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{rules}:9: custom_rules.0.require.0.text:" in result.stderr
    assert "cannot be run in linear time" in result.stderr and "Traceback" not in result.stderr


def test_xpath_failing_only_on_a_page_is_a_config_error(crawled, tmp_path):
    # Compiles, and runs on an empty page; on a page with links, string(.)/x is a path step
    # after a string: lxml raises XPathEvalError.
    rules = rule_file(tmp_path, CUSTOM.format(condition="xpath: '//p[string(.)/x]'"))
    result = analyze(crawled, rules)
    assert result.returncode == 2, result.stdout + result.stderr
    err = result.stderr.strip()
    assert err.startswith(f"readiness: configuration error: {rules}:9: "
                          "custom_rules.0.require.0.xpath: '//p[string(.)/x]' fails when run on")
    assert "Traceback" not in err and len(err.splitlines()) == 1
    # Its clean twin runs: /plain is the only page with a phone span.
    twin = rule_file(tmp_path, CUSTOM.format(condition="xpath: '//span[@class=\"phone\"]'"),
                     "twin.yaml")
    ok = analyze(crawled, twin)
    assert ok.returncode in (0, 1), ok.stdout + ok.stderr
    assert flagged(crawled, "HOS001") == {"/long", "/shout"}


def test_yaml_alias_bomb_is_refused_within_bounded_memory(crawled, tmp_path):
    # Nine levels of nine aliases: 9**9 (387 million) values once expanded.
    lines = ["extends: default", "bomb0: &b0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        lines.append(f"bomb{level}: &b{level} [" + ", ".join([f"*b{level - 1}"] * 9) + "]")
    rules = rule_file(tmp_path, "\n".join(lines) + "\n")
    result = analyze(crawled, rules, limit_memory=True)
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert f"{rules}:" in result.stderr and "alias" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    # Aliases as people use them are fine: one list of URLs for two custom rules' scopes.
    twin = rule_file(tmp_path, CUSTOM.format(condition="selector: 'span.phone'").replace(
        "include: [", "include: &pages [") + """\
  - code: HOS002
    name: hostile-twin
    message: every page in the same scope needs an h1
    include: *pages
    require:
      - selector: h1
""", "twin.yaml")
    ok = analyze(crawled, twin, limit_memory=True)
    assert ok.returncode in (0, 1), ok.stdout + ok.stderr
    assert flagged(crawled, "HOS001") == {"/long", "/shout"}
    assert flagged(crawled, "HOS002") == set()


@pytest.mark.parametrize("text, lines", [
    ("crawl:\n  max_pages: 10\n  probe: {enabled: false}\n  max_pages: 20\n",
     ("crawl", 2, 4)),
    (CUSTOM.format(condition="selector: 'span.phone'").replace(
        "    severity: warning\n", "    severity: warning\n    severity: error\n"),
     ("custom_rules.0", 5, 6)),
])
def test_duplicate_keys_are_refused_naming_both_lines(crawled, tmp_path, text, lines):
    where, first, second = lines
    rules = rule_file(tmp_path, text)
    result = analyze(crawled, rules)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"{rules}:{second}: duplicate key " in result.stderr
            and f"in {where}: written at line {first} and at line {second}" in result.stderr)
    # The clean twin: the same file with the key once.
    kept = "".join(line for number, line in enumerate(text.splitlines(True), 1)
                   if number != second)
    ok = analyze(crawled, rule_file(tmp_path, kept, "twin.yaml"))
    assert ok.returncode in (0, 1), ok.stdout + ok.stderr


def test_deeply_nested_yaml_is_refused_with_a_line(crawled, tmp_path):
    # A few kilobytes of brackets: PyYAML composes nested nodes recursively, and past
    # Python's recursion limit that was a RecursionError traceback, not a message.
    rules = rule_file(tmp_path, "extends: default\nnested: " + "[" * 5000 + "]" * 5000 + "\n")
    result = analyze(crawled, rules)
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert f"{rules}:2:" in result.stderr and "nested" in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    # The clean twin: nesting as configurations use it.
    twin = rule_file(tmp_path, "extends: default\nnested: " + "[" * 20 + "]" * 20 + "\n",
                     "twin.yaml")
    ok = analyze(crawled, twin)
    assert "Traceback" not in ok.stderr and "nested too deeply" not in ok.stderr, ok.stderr
