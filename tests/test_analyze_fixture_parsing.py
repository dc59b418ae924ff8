"""The fixture site's parser, strict JSON-LD and multi-doctor NAP cases (PLANTED.md, "HTML
oddities", "Structured data", "Locations: NAP"), crawled and analysed: each planted case at its
URL, each twin beside it. Reads the session crawl (``site_crawl``); starts no crawl of its own.
"""

from __future__ import annotations

import json

import pytest

DOCTORS = ["/team/ada-molar", "/team/ben-crown", "/team/cy-floss"]


@pytest.fixture(scope="module")
def store(site_crawl):
    with site_crawl.store() as reader:
        yield reader


def structured_data(store, u, path):
    return json.loads(store.page(u(path))["structured_data"])


def rules_at(analysis, url):
    return {f.rule for f in analysis.findings if f.url == url}


# -- <html lang> after a leading <script> ------------------------------------------------------

def test_lang_after_a_leading_script_is_the_pages_language(store, found, u):
    assert store.page(u("/html/lang-after-script"))["lang"] == "en"
    assert ("ONP009", u("/html/lang-after-script")) not in found


def test_no_lang_after_a_leading_script_is_still_reported(store, found, u):
    assert store.page(u("/html/no-lang-after-script"))["lang"] is None
    finding = found[("ONP009", u("/html/no-lang-after-script"))]
    assert finding.evidence["lang"] is None


def test_the_script_before_the_html_tag_moves_no_head_fact(store, analysis, u):
    page = store.page(u("/html/lang-after-script"))
    assert page["title"] == "Language declared after a script"
    assert page["viewport"] == "width=device-width, initial-scale=1"
    canonicals = [(row["source"], row["target"])
                  for row in store.query("SELECT c.source, t.url AS target FROM canonicals c "
                                         "JOIN urls t ON t.id = c.target_id JOIN urls s "
                                         "ON s.id = c.page_id WHERE s.url = ?",
                                         (u("/html/lang-after-script"),))]
    assert canonicals == [("html", u("/html/lang-after-script"))]
    # Nothing about the page is wrong but its absence from the sitemaps (a notice).
    assert rules_at(analysis, u("/html/lang-after-script")) <= {"IDX005"}


# -- JSON-LD read strictly ----------------------------------------------------------------------

def test_trailing_comma_keeps_the_data_and_reports_line_and_column(store, analysis, found, u):
    assert rules_at(analysis, u("/structured/json-ld-trailing-comma")) == {"SD001", "IDX005"}
    data = structured_data(store, u, "/structured/json-ld-trailing-comma")
    [item] = data["json-ld"]
    assert (item["@type"], item["telephone"]) == ("MedicalClinic", "+1 555-010-0100")
    [error] = data["errors"]
    assert (error["syntax"], error["line"], error["column"], error["data_kept"]) == (
        "json-ld", 17, 1, True)
    finding = found[("SD001", u("/structured/json-ld-trailing-comma"))]
    assert finding.evidence["errors"] == [error]
    assert "line 17 column 1" in finding.message and "leniently" in finding.message


def test_json_ld_no_parser_reads_keeps_nothing(store, found, u):
    data = structured_data(store, u, "/structured/json-ld-invalid")
    assert "json-ld" not in data
    [error] = data["errors"]
    assert error["data_kept"] is False and error["line"] > 1
    assert "leniently" not in found[("SD001", u("/structured/json-ld-invalid"))].message


def test_valid_json_ld_is_no_error(store, found, u):
    assert "errors" not in structured_data(store, u, "/structured/json-ld-clinic")
    assert ("SD001", u("/structured/json-ld-clinic")) not in found


# -- NAP with several doctors at one location ---------------------------------------------------

@pytest.mark.parametrize("path", DOCTORS + ["/locations/north"])
def test_doctors_sharing_the_clinics_address_are_no_inconsistency(store, analysis, u, path):
    assert rules_at(analysis, u(path)) <= {"IDX005"}  # nothing but "not in a sitemap"
    if path in DOCTORS:  # each states its own Physician name with the clinic's address
        [item] = structured_data(store, u, path)["json-ld"]
        assert item["@type"] == "Physician" and item["name"] not in ("", None)


def test_the_same_location_with_another_phone_is_reported(analysis, found, u):
    assert rules_at(analysis, u("/visit/north-parking")) == {"SD004", "IDX005"}
    finding = found[("SD004", u("/visit/north-parking"))]
    assert [(d["field"], d["stated"], d["expected"])
            for d in finding.evidence["disagreements"]] == [
        ("phone", "+1 555-010-0177", "+1 555-010-0100")]
    assert finding.evidence["disagreements"][0]["location"] == (
        "Fixture Dental Clinic North, 10 North Road, Testville, 00002, US")
