"""`readiness demo`: the embedded practice site is served, crawled through the host map and
analysed, and every planted problem (readiness/demo/site/PLANTED.md) is found at its
production URL — one run, checked rule by rule."""

from __future__ import annotations

import csv
import json

import jsonschema
import pytest
from conftest import run_cli

from readiness.report.findings import SCHEMA_FILE
from readiness.store import open_store
from readiness.urls import UrlNormalizer

SITE = "https://www.brightsmile-dental.example"

PLANTED = [
    ("LNK001", "https://dental-health-association.example/research/flossing-study"),
    ("LNK002", "https://family-health-weekly.example/insurer-portal"),
    ("LNK003", "https://family-health-weekly.example/events"),
    ("LNK004", "https://family-health-weekly.example/live-chat"),
    ("LNK005", "https://dental-health-association.example/old-article"),
    ("LNK006", "http://springfield-directory.example/listing/brightsmile-dental"),
    ("STS001", f"{SITE}/services/veneers"), ("STS001", f"{SITE}/blog/holiday-hours-2019"),
    ("STS002", f"{SITE}/book-online"), ("STS003", f"{SITE}/appointments"),
    ("STS004", f"{SITE}/members"),
    ("RDR001", f"{SITE}/offers"), ("RDR002", f"{SITE}/patient-portal"),
    ("RDR003", f"{SITE}/services/invisalign"), ("RDR004", f"{SITE}/dentists"),
    ("RDR005", f"{SITE}/new-patients"),
    ("CAN001", f"{SITE}/services/cleaning"), ("CAN002", f"{SITE}/services/whitening"),
    ("CAN003", f"{SITE}/services/implants"), ("CAN004", f"{SITE}/faq"),
    ("CAN005", f"{SITE}/services/emergency"), ("CAN006", f"{SITE}/services/orthodontics"),
    ("CAN007", f"{SITE}/privacy"), ("CAN008", f"{SITE}/blog/kids-dental-care"),
    ("CAN009", f"{SITE}/services/cleaning?ref=home"), ("CAN010", f"{SITE}/index.html"),
    ("CAN012", f"{SITE}/specials"),
    ("DUP001", f"{SITE}/careers"), ("DUP002", f"{SITE}/locations/downtown"),
    ("DUP003", f"{SITE}/services/fluoride"), ("DUP004", f"{SITE}/blog/first-visit"),
    ("DUP005", f"{SITE}/blog/first-visit"),
    ("EXP001", f"{SITE}/reviews"), ("EXP003", f"{SITE}/locations/"),
    ("EXP004", f"{SITE}/services/pediatric"), ("EXP005", f"{SITE}/smile-gallery"),
    ("EXP006", f"{SITE}/blog/flossing-tips"), ("EXP007", f"{SITE}/images/team-photo.png"),
    ("EXP008", f"{SITE}/contact"),
    ("IDX001", f"{SITE}/blog/archive"), ("IDX002", f"{SITE}/staff/schedule"),
    ("IDX003", f"{SITE}/blog/archive"), ("IDX004", f"{SITE}/appointments"),
    ("IDX005", f"{SITE}/insurance"), ("IDX006", f"{SITE}/blog/gum-disease-signs"),
    ("SD001", f"{SITE}/services/root-canal"), ("SD002", f"{SITE}/about"),
    ("SD004", f"{SITE}/locations/hillcrest"), ("SD005", f"{SITE}/services/pediatric"),
    ("ONP001", f"{SITE}/blog/implant-care/part-2"), ("ONP002", f"{SITE}/blog/implant-care/part-3"),
    ("ONP004", f"{SITE}/blog/implant-care/part-4"), ("ONP007", f"{SITE}/blog/whitening-myths"),
    ("ONP008", f"{SITE}/specials"), ("ONP009", f"{SITE}/blog/implant-care/part-1"),
    ("ONP010", f"{SITE}/services/"), ("ONP011", f"{SITE}/blog/implant-care/part-5"),
    ("ONP012", f"{SITE}/reviews/guidelines"), ("ONP013", f"{SITE}/landing/spring-checkup"),
    ("BKL001", f"{SITE}/old-offers/spring-2019"), ("BKL001", f"{SITE}/services/veneers"),
    ("BKL002", f"{SITE}/offers"), ("BKL002", f"{SITE}/dentists"),
    ("BKL003", f"{SITE}/blog/archive"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "run"
    result = run_cli("demo", "--out", str(out), "--reports-dir", str(out.parent))
    assert result.returncode == 0, result.stderr
    findings = json.loads((out / "findings.json").read_text())
    return result, out, {(f["rule"], f["url"]) for f in findings["findings"]}, findings


def test_demo_prints_where_its_report_is(demo):
    result, out, _, document = demo
    assert result.stdout.strip().splitlines()[-1] == f"report: {out / 'report.html'}"
    assert (out / "report.html").is_file() and (out / "crawl.sqlite").is_file()
    assert document["summary"]["ready"] is False
    assert document["run"]["start_url"] == f"{SITE}/"


@pytest.mark.parametrize("code,url", PLANTED)
def test_demo_planted_problem_found(demo, code, url):
    assert (code, url) in demo[2]


@pytest.mark.parametrize("path", ["/team", "/contact", "/locations/riverside", "/blog/"])
def test_demo_clean_pages_have_no_errors(demo, path):
    document = demo[3]
    errors = [f["rule"] for f in document["findings"]
              if f["url"] == f"{SITE}{path}" and f["severity"] == "error"]
    assert errors == []


# PLANTED.md, "Pages with no planted problem of their own": these produce no page-level finding
# of any severity (link-level findings name them as the *source*, at the target's URL). A
# site-level finding reported at the start page (subject "site", e.g. SD005 when no page of the
# site has social tags) would be about the template, not `/`; none is expected in the demo.
@pytest.mark.parametrize("path", ["/", "/blog/", "/services/emergency-dentist"])
def test_demo_page_without_plants_has_no_finding(demo, path):
    document = demo[3]
    flagged = [(f["rule"], f["severity"], f["message"]) for f in document["findings"]
               if f["url"] == f"{SITE}{path}"]
    assert flagged == []


LINK_RULES = ("LNK001", "LNK002", "LNK003", "LNK004", "LNK005", "LNK006")


# PLANTED.md, "Outbound links": the clean outbound links, each flagged by no LNK rule.
@pytest.mark.parametrize("url", [
    "https://dental-health-association.example/",  # every footer
    "https://family-health-weekly.example/maps?q=BrightSmile+Dental+Downtown",  # location pages
    "https://family-health-weekly.example/maps?q=BrightSmile+Dental+Riverside",
    "https://family-health-weekly.example/articles/kids-dental-care",  # /blog/kids-dental-care
])
def test_demo_clean_outbound_link_not_flagged(demo, url):
    _, out, found, _ = demo
    with open_store(out / "crawl.sqlite") as store:
        production = UrlNormalizer(store.meta()["config"]["crawl"]["host_map"])
        verdicts = {production.unmap_host(row["url"]): row["verdict"] for row in store.query(
            "SELECT u.url, p.verdict FROM probes p JOIN urls u ON u.id = p.url_id")}
    assert verdicts.get(url) == "ok", f"{url} was not probed as ok"
    assert [code for code in LINK_RULES if (code, url) in found] == []


# The demo's link-building lists (PLANTED.md, "Prospects and placed links"), each a run of
# its own beside the site's: the verdict of every listed page, the clean ones included.
EXT_A, EXT_B = "https://dental-health-association.example", "https://family-health-weekly.example"


def outside_run(demo, mode):
    _, out, _, _ = demo
    document = json.loads((out.parent / f"{out.name}-{mode}" / "findings.json").read_text())
    assert document["outside"]["mode"] == mode
    return document


def test_demo_vets_its_sample_prospects(demo):
    document = outside_run(demo, "prospects")
    verdicts = {row["url"]: row["verdict"] for row in document["outside"]["rows"]}
    assert verdicts == {f"{EXT_B}/articles/brushing-tips": "worth asking",
                        f"{EXT_A}/articles/whitening-facts": "weak",
                        f"{EXT_B}/events": "avoid",
                        f"{EXT_A}/research/flossing-study": "avoid"}
    flagged = {(f["rule"], f["url"]) for f in document["findings"]}
    assert ("PRS001", f"{EXT_B}/events") in flagged
    assert ("PRS006", f"{EXT_A}/articles/whitening-facts") in flagged
    assert not any(f["url"] == f"{EXT_B}/articles/brushing-tips" and f["severity"] != "notice"
                   for f in document["findings"])


def test_demo_checks_its_sample_placements(demo):
    document = outside_run(demo, "placements")
    grades = {row["source"]: row["grade"] for row in document["outside"]["rows"]}
    assert grades[f"{EXT_B}/articles/brushing-tips"] == "live and followed"
    flagged = {(f["rule"], f["url"]) for f in document["findings"]}
    assert flagged == {("PLC002", f"{EXT_B}/articles/kids-dental-care"),
                       ("PLC007", f"{EXT_B}/articles/kids-dental-care"),
                       ("PLC003", f"{EXT_A}/articles/partners"),
                       ("PLC004", f"{EXT_A}/articles/partners")}


def test_demo_findings_json_validates_against_the_shipped_schema(demo):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(demo[3])


def test_demo_pages_csv_speaks_production_urls(demo):
    """The demo crawls a local server through crawl.host_map: pages.csv, like the findings,
    names the production URLs, the start URL first in URL order."""
    _result, out, _found, _document = demo
    with (out / "pages.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(row["url"].startswith(f"{SITE}/") for row in rows)
    by_url = {row["url"]: row for row in rows}
    assert by_url[f"{SITE}/"]["status"] == "200" and by_url[f"{SITE}/"]["click_depth"] == "0"
    assert by_url[f"{SITE}/offers"]["redirect_target"].startswith(f"{SITE}/")
