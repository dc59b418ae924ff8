"""The exports people open in a spreadsheet (docs/findings.md): pages.csv, a row per crawled
URL; findings.csv, every finding with flat evidence columns; no header-only per-rule CSV;
findings.json valid against the JSON Schema shipped in the package, every time ISO 8601.
One `readiness check` of tests/exports_site, through the command line."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime

import jsonschema
import pytest
from conftest import REPO, run_cli

from readiness.demo.server import SiteServer
from readiness.report.findings import SCHEMA_FILE, SCHEMA_ID
from readiness.report.pages import PAGE_COLUMNS

EXPORTS_SITE = REPO / "tests" / "exports_site"
FORMULA_TITLE = '=HYPERLINK("http://evil.example","Click")'


def read_table(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    with SiteServer(EXPORTS_SITE) as server:
        out = tmp_path_factory.mktemp("exports") / "run"
        result = run_cli("check", server.url("site"), "--no-outbound", "--out", str(out),
                         "--reports-dir", str(out.parent), "--quiet")
        assert result.returncode in (0, 1), result.stderr
        site = server.url("site").rstrip("/")
    return out, site, json.loads((out / "findings.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pages(run):
    out, site, _document = run
    return {row["url"].removeprefix(site): row for row in read_table(out / "pages.csv")}


def test_pages_csv_has_its_columns_in_url_order_with_a_bom(run):
    out, site, _document = run
    raw = (out / "pages.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    rows = read_table(out / "pages.csv")
    assert tuple(rows[0]) == PAGE_COLUMNS
    urls = [row["url"] for row in rows]
    assert urls == sorted(urls) and len(urls) == len(set(urls))
    # robots.txt and the sitemap are no pages; every crawled URL is one row.
    assert {url.removeprefix(site) for url in urls} == {
        "/", "/about", "/moved", "/hidden", "/header-hidden", "/missing", "/formula", "/cafe",
        "/unlisted"}


def test_pages_csv_a_redirect_and_its_clean_target(pages, run):
    _out, site, _document = run
    moved, about = pages["/moved"], pages["/about"]
    assert (moved["status"], moved["indexable"], moved["indexability"]) == (
        "301", "no", "redirects (301)")
    assert moved["redirect_target"] == f"{site}/about"
    assert (about["status"], about["indexable"], about["indexability"]) == ("200", "yes", "")
    assert about["redirect_target"] == ""
    assert (about["title"], about["h1"], about["h1_count"]) == ("About the practice", "About", "2")
    assert about["canonical"] == f"{site}/about"
    assert about["meta_description"] == "Who we are and where to find us."
    # Linked from / and redirected to from /moved: the link edge is what inbound_links counts.
    assert (about["inbound_links"], about["linking_pages"], about["click_depth"]) == ("1", "1", "1")
    assert (about["outlinks_internal"], about["outlinks_external"]) == ("1", "0")
    assert int(about["word_count"]) > 0 and int(about["size_bytes"]) > 0
    assert float(about["ttfb_ms"]) >= 0 and float(about["response_ms"]) >= float(about["ttfb_ms"])
    assert datetime.fromisoformat(about["fetched_at"]).utcoffset().total_seconds() == 0


def test_pages_csv_noindex_pages_say_why(pages):
    hidden, header_hidden = pages["/hidden"], pages["/header-hidden"]
    assert (hidden["indexable"], hidden["indexability"], hidden["meta_robots"]) == (
        "no", "noindex in meta robots", "noindex")
    assert (header_hidden["indexable"], header_hidden["indexability"]) == (
        "no", "noindex in X-Robots-Tag header")
    assert (header_hidden["x_robots_tag"], header_hidden["meta_robots"]) == ("noindex", "")
    assert pages["/unlisted"]["indexable"] == "yes"  # the clean twin


def test_pages_csv_a_404_is_a_row_without_page_facts(pages):
    missing = pages["/missing"]
    assert (missing["status"], missing["indexable"], missing["indexability"]) == (
        "404", "no", "answers 404")
    assert (missing["title"], missing["h1_count"], missing["word_count"]) == ("", "", "")
    assert missing["inbound_links"] == "1"


def test_pages_csv_in_sitemap_or_not(pages):
    assert pages["/about"]["in_sitemap"] == "yes" and pages["/hidden"]["in_sitemap"] == "yes"
    assert pages["/unlisted"]["in_sitemap"] == "no" and pages["/moved"]["in_sitemap"] == "no"


def test_pages_csv_home_counts_its_outbound_links(pages):
    home = pages["/"]
    # about, moved, hidden, header-hidden, missing, formula, cafe, unlisted; and one outside.
    assert (home["outlinks_internal"], home["outlinks_external"]) == ("8", "1")
    assert home["click_depth"] == "0"


def test_site_text_never_becomes_a_formula(run, pages):
    out, _site, _document = run
    formula = pages["/formula"]
    assert formula["title"] == "'" + FORMULA_TITLE
    assert formula["meta_description"].startswith("'+SUM(1,2)")
    assert formula["h1"] == "'@cmd"
    assert pages["/about"]["title"] == "About the practice"  # nothing else gets a quote
    assert pages["/cafe"]["title"] == "Café Zürich – Öffnungszeiten"
    for table in [out / "pages.csv", out / "findings.csv", *(out / "csv").rglob("*.csv")]:
        encoding = "utf-8-sig" if table.parent == out else "utf-8"
        with table.open(encoding=encoding, newline="") as fh:
            for row in csv.reader(fh):
                assert not [value for value in row if value[:1] in ("=", "+", "-", "@")], table


def test_findings_csv_one_row_per_finding_and_no_json_in_cells(run):
    out, _site, document = run
    rows = read_table(out / "findings.csv")
    assert [row["id"] for row in rows] == [f["id"] for f in document["findings"]]
    columns = list(rows[0])
    assert columns[:8] == ["id", "rule", "name", "family", "severity", "impact", "group", "url"]
    assert {"subject", "message", "weight", "accepted", "evidence_file"} <= set(columns)
    evidence = [c for c in columns if c.startswith("evidence.")]
    assert evidence == sorted(evidence) and columns[-len(evidence):] == evidence
    assert not [(row["id"], key) for row in rows for key, value in row.items()
                if value[:1] in ("{", "[")]
    by_rule = {(row["rule"], row["url"]): row for row in rows}
    sts001 = next(row for (rule, url), row in by_rule.items()
                  if rule == "STS001" and url.endswith("/missing"))
    assert sts001["evidence.inbound_links.source"].endswith("/")  # the home page links to it
    assert sts001["subject"] == sts001["url"]
    redirect = next(row for (rule, url), row in by_rule.items() if url.endswith("/moved"))
    assert redirect["rule"] == "STS003"
    assert redirect["evidence.final_url"].endswith("/about")


def test_no_header_only_rule_csv(run):
    out, _site, document = run
    found = {f"{rule['code']}-{rule['name']}.csv" for rule in document["rules"] if rule["findings"]}
    assert {path.name for path in (out / "csv").glob("*.csv")} == found
    clean = [rule for rule in document["rules"] if not rule["findings"]]
    assert clean and not any((out / "csv" / f"{r['code']}-{r['name']}.csv").exists()
                             for r in clean)


def validator():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_findings_json_validates_against_the_shipped_schema(run):
    _out, _site, document = run
    assert document["$schema"] == SCHEMA_ID == validator().schema["$id"]
    validator().validate(document)
    for time in (document["generated_at"], document["run"]["started_at"],
                 document["run"]["finished_at"]):
        assert datetime.fromisoformat(time).utcoffset().total_seconds() == 0


def test_the_schema_rejects_a_wrong_type(run):
    _out, _site, document = run
    for broken in ({**document, "run": {**document["run"], "started_at": 1_700_000_000.0}},
                   {**document, "findings": [{**document["findings"][0], "weight": "many"}]},
                   {**document, "summary": {**document["summary"], "ready": "yes"}}):
        with pytest.raises(jsonschema.ValidationError):
            validator().validate(broken)


def test_xlsx_workbook_has_a_sheet_per_table_and_text_stays_text(run, tmp_path):
    """`--format …,xlsx` (the xlsx extra): pages, findings and one sheet per family that found
    something; the formula title is a text cell, as the site wrote it."""
    openpyxl = pytest.importorskip("openpyxl")
    out, site, document = run
    again = tmp_path / "again"
    again.mkdir()
    shutil.copyfile(out / "crawl.sqlite", again / "crawl.sqlite")
    result = run_cli("analyze", str(again / "crawl.sqlite"), "--format", "json,xlsx")
    assert result.returncode in (0, 1), result.stderr
    assert f"workbook: {again / 'report.xlsx'}" in result.stdout
    assert not (again / "pages.csv").exists()  # csv was not asked for
    workbook = openpyxl.load_workbook(again / "report.xlsx", read_only=True)
    families = list(dict.fromkeys(r["family"] for r in document["rules"] if r["findings"]))
    assert workbook.sheetnames == ["pages", "findings", *families]
    pages = list(workbook["pages"].iter_rows(values_only=True))
    assert pages[0] == PAGE_COLUMNS and len(pages) == 1 + 9
    formula = next(row for row in pages if row[0] == f"{site}/formula")
    assert formula[PAGE_COLUMNS.index("title")] == FORMULA_TITLE
    findings = list(workbook["findings"].iter_rows(values_only=True))
    assert [row[0] for row in findings[1:]] == [f["id"] for f in document["findings"]]
    by_family = sum(len(list(workbook[family].iter_rows())) - 1 for family in families)
    assert by_family == len(document["findings"])
    workbook.close()
    # A cell openpyxl was told is text is stored as a shared string, never a formula.
    with zipfile.ZipFile(again / "report.xlsx") as archive:
        sheets = "".join(archive.read(name).decode() for name in archive.namelist()
                         if name.startswith("xl/worksheets/"))
    assert "<f>" not in sheets


def test_xlsx_without_openpyxl_is_a_clear_usage_error(run, tmp_path):
    out, _site, _document = run
    blocker = tmp_path / "no-openpyxl"
    blocker.mkdir()
    (blocker / "openpyxl.py").write_text("raise ImportError('openpyxl is not installed')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    result = subprocess.run([sys.executable, "-m", "readiness.cli", "analyze",
                             str(out / "crawl.sqlite"), "--format", "json,xlsx"],
                            capture_output=True, text=True, timeout=180, cwd=REPO, env=env)
    assert result.returncode == 2
    assert "pip install 'readiness[xlsx]'" in result.stderr
    assert "Traceback" not in result.stderr
