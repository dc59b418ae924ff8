"""Custom rules written in YAML (readiness/rules/custom.py, docs/custom-rules.md).

On the fixture crawl (the session ``site_crawl``, analysed again, never re-crawled): each
condition kind flags exactly the pages that fail it, scope globs, ``exclude`` and ``accept``
work as for built-in rules. Every mistake in a rule reads as one ``file:line: message`` line,
asserted word for word. Through the CLI, custom rules are reported exactly like built-in ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zlib

import pytest
from conftest import REPO, run_cli

from readiness.config import ConfigError
from readiness.rules.custom import CustomRule, make_custom_rule
from readiness.rules.engine import analyze
from readiness.rules.registry import RuleRegistry
from readiness.rules.settings import load_config_text
from readiness.testing import StoreBuilder

LOCATION_RULE = """\
custom_rules:
  - code: LOC001
    name: location-page-missing-phone
    severity: error
    message: location pages need a tap-to-call link and MedicalClinic markup
    why: patients on phones call from the location page
    fix: add <a href="tel:…"> and a MedicalClinic JSON-LD block to the location template
    include: ["/locations/*"]
    require:
      - selector: 'a[href^="tel:"]'
      - structured_data: MedicalClinic
"""

# One rule per condition kind, each scoped to a corner of the fixture site (PLANTED.md).
CONDITION_RULES = """\
  - code: LOC002
    name: location-page-missing-phone-accepted
    message: location pages need a tap-to-call link and MedicalClinic markup
    include: ["/locations/*"]
    accept:
      - url: /locations/west
        reason: the west practice opens in May; its phone line is not connected yet
    require:
      - selector: 'a[href^="tel:"]'
      - structured_data: MedicalClinic
  - code: LOC003
    name: location-page-missing-phone-excluded
    message: location pages need a tap-to-call link and MedicalClinic markup
    include: ["/locations/*"]
    exclude: ["/locations/w*"]
    require:
      - selector: 'a[href^="tel:"]'
  - code: CLN001
    name: structured-page-missing-clinic
    message: structured data pages describe a MedicalClinic
    include: ["/structured/*"]
    require:
      - structured_data: MedicalClinic
  - code: SEL001
    name: image-without-alt-attribute
    message: every image has an alt attribute
    include: ["/experience/*"]
    require:
      - selector: img:not([alt])
        exists: false
  - code: SEL002
    name: not-one-h1
    message: a page has exactly one h1
    include: ["/experience/*"]
    require:
      - selector: h1
        count: "== 1"
  - code: XPT001
    name: no-device-width-viewport
    message: the viewport follows the device width
    include: ["/experience/*"]
    require:
      - xpath: //meta[@name="viewport"][contains(@content, "width=device-width")]
  - code: XPT002
    name: more-than-one-image
    message: at most one image per page
    include: ["/experience/*"]
    require:
      - xpath: count(//img)
        count: "<= 0"
  - code: TXT001
    name: archive-page-without-older-link
    message: archive pages link to older news
    include: ["/deep/*"]
    require:
      - text: Older news
  - code: TXT002
    name: whitening-in-title
    message: titles do not promise whitening
    include: ["/experience/*"]
    require:
      - text: (?i)whitening
        in: title
        present: false
  - code: TXT003
    name: redirect-page-without-title
    message: pages have a title
    include: ["/redirects/*"]
    require:
      - text: .
        in: title
  - code: HDR001
    name: response-not-compressible
    message: responses say they vary by Accept-Encoding (compression is on)
    include: ["/experience/*"]
    require:
      - header: Vary
        matches: Accept-Encoding
  - code: HDR002
    name: noindex-header-sent
    message: no X-Robots-Tag header
    include: ["/indexing/*"]
    require:
      - header: X-Robots-Tag
        present: false
  - code: STA001
    name: error-page-linked
    message: pages answer 200
    include: ["/errors/*"]
    require:
      - status: 200
  - code: STA002
    name: not-a-permanent-redirect
    message: pages answer 200 or redirect permanently
    include: ["/redirects/*"]
    require:
      - status: [200, 301]
  - code: IND001
    name: indexing-page-not-indexable
    message: pages under /indexing/ are indexable
    include: ["/indexing/*"]
    require:
      - indexable: true
  - code: OFF001
    name: disabled-rule
    enabled: false
    message: never runs
    require:
      - status: 418
"""


def custom_findings(analysis, code):
    return {f.url: f for f in analysis.findings if f.rule == code}


@pytest.fixture(scope="module")
def u(fixture_server):
    return lambda path: fixture_server.url("site", path)


@pytest.fixture(scope="module")
def analysis(site_crawl):
    config = load_config_text(LOCATION_RULE + CONDITION_RULES, "site.yaml")
    # Only the custom rules run: the built-in ones have their own fixture tests.
    return analyze(site_crawl.store_path, config, registry=RuleRegistry())


@pytest.fixture(scope="module")
def flagged(analysis, u):
    """code -> sorted paths it flagged"""
    prefix = u("/")[:-1]
    result = {}
    for finding in analysis.findings:
        result.setdefault(finding.rule, []).append(finding.url.removeprefix(prefix))
    return {code: sorted(paths) for code, paths in result.items()}


# -- the location rule: match, non-match, out of scope -------------------------------------------


def test_location_page_without_tel_link_is_flagged(analysis, u):
    found = custom_findings(analysis, "LOC001")
    west = found[u("/locations/west")]
    assert (west.name, west.family, west.severity.value) == (
        "location-page-missing-phone", "custom", "error")
    assert west.message == ("location pages need a tap-to-call link and MedicalClinic markup "
                            "(failed: selector 'a[href^=\"tel:\"]' must match)")
    assert west.evidence == {
        "failed_conditions": ["selector 'a[href^=\"tel:\"]' must match"],
        "conditions": ["selector 'a[href^=\"tel:\"]' must match",
                       "structured data must have a MedicalClinic item"]}


def test_compliant_and_out_of_scope_pages_are_not_flagged(flagged):
    # north, south and east have both (east's NAP problem is SD004's, not this rule's);
    # /structured/clinic-no-phone and /clean/contact lack one but are not location pages.
    assert flagged["LOC001"] == ["/locations/west"]


def test_structured_data_condition(flagged):
    # json-ld-invalid's block does not parse, so it states no type; the hub has none.
    assert flagged["CLN001"] == ["/structured/", "/structured/json-ld-invalid"]


def test_accept_keeps_the_finding_with_its_reason_but_not_as_open(analysis, u):
    [west] = custom_findings(analysis, "LOC002").values()
    assert west.url == u("/locations/west")
    assert west.accepted == "the west practice opens in May; its phone line is not connected yet"
    assert west not in analysis.open_findings
    run = next(r for r in analysis.runs if r.rule.code == "LOC002")
    assert (run.findings, run.accepted) == (1, 1)


def test_exclude_glob_drops_the_url(analysis, flagged):
    assert "LOC003" not in flagged
    run = next(r for r in analysis.runs if r.rule.code == "LOC003")
    assert (run.findings, run.excluded) == (0, 1)


def test_disabled_rule_does_not_run(analysis):
    assert "OFF001" not in {run.rule.code for run in analysis.runs}


# -- each condition kind ----------------------------------------------------------------------


@pytest.mark.parametrize("code,paths", [
    ("SEL001", ["/experience/image-no-alt"]),                    # selector, exists: false
    ("SEL002", ["/experience/two-h1"]),                          # selector, count
    ("XPT001", ["/experience/fixed-width-viewport", "/experience/no-viewport"]),  # xpath
    ("XPT002", ["/experience/image-decorative", "/experience/image-no-alt",       # count(...)
                "/experience/large-image", "/experience/small-image"]),
    ("TXT001", ["/deep/6"]),                                     # text present in main
    ("TXT002", ["/experience/duplicate-title-a",                 # text absent from title
                "/experience/duplicate-title-b", "/experience/long-title"]),
    ("HDR001", ["/experience/uncompressed"]),                    # header matches
    ("HDR002", ["/indexing/noindex-header"]),                    # header absent
    ("STA001", ["/errors/gone", "/errors/not-found", "/errors/server-error"]),  # status
    ("STA002", ["/redirects/temporary-302", "/redirects/to-404-target"]),       # status list
    ("IND001", ["/indexing/noindex-header", "/indexing/noindex-meta"]),         # indexable
])
def test_condition_flags_exactly_the_failing_pages(flagged, code, paths):
    assert flagged.get(code) == paths


def test_title_condition_skips_urls_without_a_page(flagged):
    # Every 200 page under /redirects/ has a title; the redirects themselves and the 404
    # have no page, so the title condition does not judge them.
    assert "TXT003" not in flagged


def test_failed_condition_is_described_in_the_message(analysis, u):
    two_h1 = custom_findings(analysis, "SEL002")[u("/experience/two-h1")]
    assert two_h1.message == ("a page has exactly one h1 "
                              "(failed: selector 'h1' must match exactly 1 time)")
    header = custom_findings(analysis, "HDR001")[u("/experience/uncompressed")]
    assert header.evidence["failed_conditions"] == ["header Vary must match /Accept-Encoding/"]
    status = custom_findings(analysis, "STA002")[u("/redirects/temporary-302")]
    assert status.evidence["failed_conditions"] == ["status must be one of 200, 301"]
    no_header = custom_findings(analysis, "HDR002")[u("/indexing/noindex-header")]
    assert no_header.evidence["failed_conditions"] == ["header X-Robots-Tag must not be sent"]
    archive = custom_findings(analysis, "TXT001")[u("/deep/6")]
    assert archive.evidence["failed_conditions"] == [
        "text /Older news/ must be in the main content"]
    whitening = custom_findings(analysis, "TXT002")[u("/experience/long-title")]
    assert whitening.evidence["failed_conditions"] == [
        "text /(?i)whitening/ must not be in the title"]
    clinic = custom_findings(analysis, "CLN001")[u("/structured/")]
    assert clinic.evidence["failed_conditions"] == [
        "structured data must have a MedicalClinic item"]
    noindex = custom_findings(analysis, "IND001")[u("/indexing/noindex-meta")]
    assert noindex.evidence["failed_conditions"] == ["must be indexable"]


# -- conditions on hand-made pages -------------------------------------------------------------


def one_rule(condition: str) -> type[CustomRule]:
    """A rule with one condition, written as a YAML flow mapping: ``{selector: h1}``."""
    config = load_config_text(textwrap.dedent(f"""\
        custom_rules:
          - code: TST001
            name: test-rule
            message: test rule
            require:
              - {condition}
        """), "site.yaml")
    return make_custom_rule(config.custom_rules[0])


def page_with_html(tmp_path, html: str) -> StoreBuilder:
    store = StoreBuilder(tmp_path)
    store.page("/page")
    store.add("bodies", {"url_id": store.id("/page"), "html": zlib.compress(html.encode())})
    return store


XHTML = ('<?xml version="1.0" encoding="iso-8859-1"?>\n<html xmlns="http://www.w3.org/1999/'
         'xhtml"><head><title>Clínica</title></head><body><h1>Clínica Niño</h1></body></html>')


def test_xhtml_page_with_an_xml_declaration_is_parsed_as_stored(tmp_path):
    # lxml refuses text with an encoding declaration; the store's text is UTF-8 whatever
    # the declaration says.
    in_h1 = one_rule("{text: Clínica Niño, in: h1}")
    assert page_with_html(tmp_path / "a", XHTML).run(in_h1) == []
    [finding] = page_with_html(tmp_path / "b", XHTML).run(one_rule("{selector: h2}"))
    assert finding.evidence["failed_conditions"] == ["selector 'h2' must match"]


def test_xpath_numbers_are_compared_as_numbers(tmp_path):
    store = page_with_html(tmp_path, "<html><body><h2>a</h2><h2>b</h2><h2>c</h2></body></html>")
    assert store.run(one_rule("{xpath: count(//h2), count: '== 3'}")) == []


def test_variants_the_crawl_made_up_are_judged_only_when_linked(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/linked/index.html"])
    store.fetch("/about/", status=404, discovered_by="variant")
    store.fetch("/linked/index.html", status=404, discovered_by="variant")
    findings = store.run(one_rule("{status: 200}"))
    assert [f.url for f in findings] == [store.url("/linked/index.html")]


@pytest.mark.parametrize("met_first", ["resource", "link"])
def test_a_resource_also_clicked_to_is_judged_whichever_way_was_met_first(tmp_path, met_first):
    # fetches.discovered_by is only the way the crawl met a URL first (response order):
    # /poster.pdf is both an <img>-style resource and an <a> target, so it is a page of the
    # crawl either way; /logo.png is met only as a resource and never judged.
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/poster.pdf", ("/poster.pdf", {"element": "img"}),
                           ("/logo.png", {"element": "img"})])
    store.fetch("/poster.pdf", status=404, discovered_by=met_first)
    store.fetch("/logo.png", status=404, discovered_by="resource")
    findings = store.run(one_rule("{status: 200}"))
    assert [f.url for f in findings] == [store.url("/poster.pdf")]


def test_main_text_is_matched_with_whitespace_collapsed(tmp_path):
    store = page_with_html(tmp_path, "<html><body><nav>Book an appointment</nav><main><p>Call "
                                     "to book an\n      appointment</p></main></body></html>")
    assert store.run(one_rule("{text: book an appointment}")) == []
    [finding] = page_with_html(tmp_path / "nav", "<html><body><nav>Book an appointment</nav>"
                               "<main><p>Opening hours</p></main></body></html>").run(
        one_rule("{text: Book an appointment}"))
    assert finding.evidence["failed_conditions"] == [
        "text /Book an appointment/ must be in the main content"]


def test_body_text_is_what_a_visitor_reads(tmp_path):
    html = ('<html><head><title>Fees</title><script type="application/ld+json">{"telephone": '
            '"555-0199"}</script></head><body><style>.phone{}</style><p>Fees</p></body></html>')
    store = page_with_html(tmp_path, html)
    assert store.run(one_rule("{text: '555-0199|phone', in: body, present: false}")) == []


def test_page_with_an_empty_body_is_not_judged_by_its_html(tmp_path):
    assert page_with_html(tmp_path, "  <!-- nothing -->  ").run(one_rule("{selector: h1}")) == []


# -- every mistake, word for word -----------------------------------------------------------------

RULE_HEAD = """\
custom_rules:
  - code: LOC001
    name: location-page-missing-phone
    message: location pages need a phone
    include: ["/locations/*"]
    require:
"""

MISTAKES = [
    ("unknown condition key",
     RULE_HEAD + "      - selecter: 'a[href^=\"tel:\"]'\n",
     "site.yaml:7: unknown key 'selecter' in custom_rules.0.require.0 — did you mean "
     "'selector'?"),
    ("unknown rule key",
     RULE_HEAD.replace("    include:", "    severty: error\n    include:")
     + "      - selector: a\n",
     "site.yaml:5: unknown key 'severty' in custom_rules.0 — did you mean 'severity'?"),
    ("two subjects",
     RULE_HEAD + "      - selector: a\n        xpath: //a\n",
     "site.yaml:7: custom_rules.0.require.0: each condition needs exactly one of selector, "
     "xpath, text, header, status, indexable, structured_data (this one has selector, xpath)"),
    ("no subject",
     RULE_HEAD + "      - exists: true\n",
     "site.yaml:7: custom_rules.0.require.0: each condition needs exactly one of selector, "
     "xpath, text, header, status, indexable, structured_data"),
    ("operator not allowed",
     RULE_HEAD + "      - selector: a\n        matches: tel\n",
     "site.yaml:7: custom_rules.0.require.0: 'matches' does not go with 'selector' — "
     "selector takes count, exists"),
    ("operator on a bare subject",
     RULE_HEAD + "      - status: 200\n        present: true\n",
     "site.yaml:7: custom_rules.0.require.0: 'present' does not go with 'status' — "
     "status takes no other keys"),
    ("exists and count",
     RULE_HEAD + "      - selector: a\n        exists: true\n        count: '== 1'\n",
     "site.yaml:7: custom_rules.0.require.0: use either 'exists' or 'count', not both"),
    ("invalid CSS",
     RULE_HEAD + "      - selector: 'a[href'\n",
     "site.yaml:7: custom_rules.0.require.0.selector: 'a[href' is not a valid CSS selector "
     "(Operator expected, got <EOF at 6>)"),
    ("invalid XPath",
     RULE_HEAD + "      - xpath: '//a[@href'\n",
     "site.yaml:7: custom_rules.0.require.0.xpath: '//a[@href' is not a valid XPath "
     "expression (Invalid predicate)"),
    ("XPath that fails only when evaluated",
     RULE_HEAD + "      - xpath: 'telephone()'\n",
     "site.yaml:7: custom_rules.0.require.0.xpath: 'telephone()' is not a valid XPath "
     "expression (Unregistered function)"),
    ("invalid regex in text",
     RULE_HEAD + "      - text: 'call (us'\n",
     "site.yaml:7: custom_rules.0.require.0.text: 'call (us' is not a valid regular "
     "expression (missing ), unterminated subpattern at position 5)"),
    ("invalid regex in matches",
     RULE_HEAD + "      - header: Cache-Control\n        matches: '[max'\n",
     "site.yaml:8: custom_rules.0.require.0.matches: '[max' is not a valid regular "
     "expression (unterminated character set at position 0)"),
    ("bad count",
     RULE_HEAD + "      - selector: a\n        count: at least 2\n",
     "site.yaml:8: custom_rules.0.require.0.count: count 'at least 2' must be a comparison "
     "like '== 1', '>= 2' or '< 3'"),
    ("bad text place",
     RULE_HEAD + "      - text: Call\n        in: footer\n",
     "site.yaml:8: custom_rules.0.require.0.in: 'footer' is not allowed — use one of "
     "'main', 'body', 'title', 'h1' or 'meta_description'"),
    ("header the crawl does not keep",
     RULE_HEAD + "      - header: X-Frame-Options\n",
     "site.yaml:7: custom_rules.0.require.0.header: the crawl does not keep the header "
     "'X-Frame-Options' — custom rules can check content-type, content-length, "
     "content-encoding, x-robots-tag, link, location, refresh, cache-control, last-modified, "
     "etag, server, retry-after, vary, strict-transport-security, content-language"),
    ("status that is no status",
     RULE_HEAD + "      - status: ok\n",
     "site.yaml:7: custom_rules.0.require.0.status: status 'ok' must be an HTTP status code "
     "or a list of them, e.g. 200 or [200, 301]"),
    ("bad code",
     RULE_HEAD.replace("code: LOC001", "code: loc1") + "      - selector: a\n",
     "site.yaml:2: custom_rules.0.code: code 'loc1' must be 1-4 capital letters and 3 "
     "digits, e.g. LOC001"),
    ("bad name",
     RULE_HEAD.replace("name: location-page-missing-phone", "name: Location page")
     + "      - selector: a\n",
     "site.yaml:3: custom_rules.0.name: name 'Location page' must be kebab-case, e.g. "
     "location-page-missing-phone"),
    ("bad severity",
     RULE_HEAD.replace("    include:", "    severity: critical\n    include:")
     + "      - selector: a\n",
     "site.yaml:5: custom_rules.0.severity: 'critical' is not allowed — use one of 'error', "
     "'warning' or 'notice'"),
    ("clash with a built-in code",
     RULE_HEAD.replace("code: LOC001", "code: EXP003") + "      - selector: a\n",
     "site.yaml:2: custom rule EXP003 location-page-missing-phone clashes with built-in rule "
     "EXP003 missing-viewport — pick another code and name"),
    ("clash with a built-in name",
     RULE_HEAD.replace("name: location-page-missing-phone", "name: missing-viewport")
     + "      - selector: a\n",
     "site.yaml:2: custom rule LOC001 missing-viewport clashes with built-in rule EXP003 "
     "missing-viewport — pick another code and name"),
    ("duplicate code in one file",
     RULE_HEAD + "      - selector: a\n"
     "  - code: LOC001\n    name: location-page-missing-address\n    message: needs an "
     "address\n    require:\n      - selector: address\n",
     "site.yaml:8: custom rule LOC001 location-page-missing-address is defined twice in this "
     "file"),
    ("missing require",
     RULE_HEAD.replace("    require:\n", ""),
     "site.yaml:2: 'require' is required in custom_rules.0"),
    ("empty require",
     RULE_HEAD.replace("    require:\n", "    require: []\n"),
     "site.yaml:6: custom_rules.0.require: list at least one condition, e.g. - selector: 'h1'"),
    ("bad include glob",
     RULE_HEAD.replace('["/locations/*"]', '["locations/*"]') + "      - selector: a\n",
     "site.yaml:5: custom_rules.0.include: 'locations/*' is not a URL glob — start it with / "
     "(a path, e.g. '/blog/*'), * or http(s):// (a whole URL)"),
    ("bad exclude glob",
     RULE_HEAD.replace('include: ["/locations/*"]', 'exclude: ["*.pdf", "blog"]')
     + "      - selector: a\n",
     "site.yaml:5: custom_rules.0.exclude: 'blog' is not a URL glob — start it with / "
     "(a path, e.g. '/blog/*'), * or http(s):// (a whole URL)"),
    ("accept without a reason",
     RULE_HEAD.replace('include: ["/locations/*"]', "accept:\n      - url: /locations/west")
     + "      - selector: a\n",
     "site.yaml:6: 'reason' is required in custom_rules.0.accept.0"),
]


@pytest.mark.parametrize("text,message", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_mistake_is_one_line_naming_file_line_and_fix(text, message):
    with pytest.raises(ConfigError) as raised:
        load_config_text(text, "site.yaml")
    assert str(raised.value) == message


def test_valid_rule_loads(tmp_path):
    config = load_config_text(LOCATION_RULE + CONDITION_RULES, "site.yaml")
    assert [spec.code for spec in config.custom_rules][:3] == ["LOC001", "LOC002", "LOC003"]


# -- through the CLI ----------------------------------------------------------------------------


@pytest.fixture
def store_copy(site_crawl, tmp_path):
    """The session crawl's store in a folder of its own: analyze writes its outputs beside it."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(site_crawl.store_path, run / "crawl.sqlite")
    return run / "crawl.sqlite"


def test_cli_reports_a_bad_rule_in_one_line_and_exits_2(store_copy, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULE_HEAD + "      - selector: a\n        matches: tel\n", encoding="utf-8")
    result = run_cli("analyze", str(store_copy), "--config", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"readiness: configuration error: {bad}:7: custom_rules.0.require.0: 'matches' does "
        "not go with 'selector' — selector takes count, exists\n")
    assert not (store_copy.parent / "findings.json").exists()


def test_cli_reports_custom_rules_like_built_in_ones(store_copy, tmp_path, u):
    good = tmp_path / "good.yaml"
    good.write_text("extends: default\n" + LOCATION_RULE, encoding="utf-8")
    result = run_cli("analyze", str(store_copy), "--config", str(good))
    assert result.returncode == 1, result.stderr  # the fixture site has errors
    document = json.loads((store_copy.parent / "findings.json").read_text(encoding="utf-8"))
    rules = {rule["code"]: rule for rule in document["rules"]}
    custom, built_in = rules["LOC001"], rules["EXP003"]
    assert custom.keys() == built_in.keys()
    assert {k: custom[k] for k in ("name", "family", "severity", "findings", "accepted",
                                   "excluded")} == {
        "name": "location-page-missing-phone", "family": "custom", "severity": "error",
        "findings": 1, "accepted": 0, "excluded": 0}
    assert custom["summary"] == ("Location pages need a tap-to-call link and MedicalClinic "
                                 "markup.")
    assert custom["docs"]["Why it matters"] == "patients on phones call from the location page"
    assert custom["docs"]["How to fix"].startswith("add <a href=\"tel:…\">")
    [finding] = [f for f in document["findings"] if f["rule"] == "LOC001"]
    example = next(f for f in document["findings"] if f["rule"] == "EXP003")
    assert finding.keys() == example.keys()
    assert (finding["url"], finding["severity"]) == (u("/locations/west"), "error")
    assert finding["id"] in document["summary"]["blocking"]
    # The other outputs are derived from findings.json: one CSV per rule, a JUnit case.
    assert (store_copy.parent / "csv" / "LOC001-location-page-missing-phone.csv").is_file()
    assert (f'classname="readiness.custom.LOC001-location-page-missing-phone" '
            f'name="{u("/locations/west")}"') in (
        store_copy.parent / "junit.xml").read_text(encoding="utf-8")


# -- docs/custom-rules.md ------------------------------------------------------------------------


def docs_yaml_blocks() -> list[str]:
    from conftest import REPO

    text = (REPO / "docs" / "custom-rules.md").read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:]]


def test_every_complete_example_in_the_docs_loads():
    complete = [block for block in docs_yaml_blocks() if block.startswith("extends:")]
    assert len(complete) == 4  # the opening one and the three examples
    codes = []
    for block in complete:
        codes += [spec.code for spec in load_config_text(block, "custom-rules.md").custom_rules]
    assert codes == ["LOC001", "LOC001", "BLG001", "CCH001"]


def test_every_fragment_in_the_docs_is_valid_inside_a_rule():
    head = "custom_rules:\n  - code: DOC001\n    name: doc-example\n    message: an example\n"
    fragments = [block for block in docs_yaml_blocks() if not block.startswith("extends:")]
    assert len(fragments) == 8
    for block in fragments:
        if block.startswith("    accept:"):
            text = head + block + "    require:\n      - status: 200\n"
        else:
            assert block.startswith("      - "), block
            text = head + "    require:\n" + block
        assert load_config_text(text, "custom-rules.md").custom_rules[0].require


def test_structured_data_types_are_read_like_the_structured_data_rules(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/prefixed", structured_data={"json-ld": [{"@type": "schema:Dentist"}]})
    # A property called "type" is a value, not the item's type.
    store.page("/property", structured_data={"json-ld": [{"@type": "Offer", "type": "Dentist"}]})
    findings = store.run(one_rule("{structured_data: Dentist}"))
    assert [f.url for f in findings] == [store.url("/property")]


def test_custom_rules_module_imports_first_in_a_fresh_interpreter():
    # Its config import once came back round to it through readiness.config.loader.
    result = subprocess.run([sys.executable, "-c", "import readiness.rules.custom"],
                            capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr
