"""Stage 3 on the fixture site's page-experience, on-page and NAP cases (PLANTED.md, "Page
experience", "Locations", "The deep chain"): each planted case found by its rule at its URL with
its evidence, each clean twin free of that rule, and the fully clean pages free of any error or
warning. Reads the session crawl (``site_crawl``); starts no crawl of its own.
"""

from __future__ import annotations

import json

import pytest

from readiness.rules.base import Severity


def sources(finding):
    return {link["source"] for link in finding.evidence["inbound_links"]}


# -- planted: each case at its URL, with the rule's severity -----------------------------------

PLANTED = [
    ("EXP001", "/experience/slow", "error"),              # 2.5 s > error_ms 2000
    ("EXP002", "/experience/slow", "warning"),            # 2.5 s > warn_ms 1500
    ("EXP003", "/experience/no-viewport", "error"),
    ("EXP004", "/experience/fixed-width-viewport", "warning"),
    ("EXP005", "/experience/heavy", "warning"),
    ("EXP007", "/experience/img/team-photo.png", "warning"),
    ("DUP004", "/experience/duplicate-title-a", "warning"),
    ("ONP001", "/experience/no-title", "warning"),
    ("ONP002", "/experience/long-title", "notice"),
    ("ONP008", "/experience/two-h1", "notice"),
    ("ONP009", "/experience/no-lang", "notice"),
    ("ONP010", "/experience/image-no-alt", "warning"),
    ("ONP011", "/deep/5", "warning"),
    ("ONP011", "/deep/6", "warning"),
    ("ONP012", "/experience/nofollow-only", "warning"),
    ("ONP013", "/experience/dead-end", "warning"),
    ("SD001", "/structured/json-ld-invalid", "warning"),
    ("SD002", "/structured/clinic-no-phone", "warning"),  # a required property: the rule's own
    ("SD004", "/locations/east", "warning"),
]


@pytest.mark.parametrize("code,path,severity", PLANTED)
def test_planted_case_found(found, u, code, path, severity):
    assert (code, u(path)) in found, f"{code} not reported at {path}"
    assert found[(code, u(path))].severity.value == severity


# Every error and warning on a planted page is its planted case: the URLs describe themselves.
# (EXP008, judged per host, has its own test below.)
EXPECTED_AT = {
    "/experience/slow": {"EXP001", "EXP002"},
    "/experience/heavy": {"EXP005"},
    "/experience/no-viewport": {"EXP003"},
    "/experience/fixed-width-viewport": {"EXP004"},
    "/experience/duplicate-title-a": {"DUP004"},
    "/experience/duplicate-title-b": set(),  # named in the evidence of -a's finding
    "/experience/no-title": {"ONP001"},
    "/experience/long-title": set(),
    "/experience/two-h1": set(),
    "/experience/no-lang": set(),
    "/experience/image-no-alt": {"ONP010"},
    "/experience/nofollow-only": {"ONP012"},
    "/experience/dead-end": {"ONP013"},
    "/experience/large-image": set(),  # the image is the finding's URL, not the page
    "/deep/5": {"ONP011"},
    "/deep/6": {"ONP011"},
    "/structured/clinic-no-phone": {"SD002"},
    "/locations/east": {"SD004"},
}


@pytest.mark.parametrize("path", sorted(EXPECTED_AT))
def test_planted_page_has_only_its_own_errors_and_warnings(analysis, u, path):
    flagged = {f.rule for f in analysis.findings if f.url == u(path) and f.rule != "EXP008"
               and f.severity.rank >= Severity.WARNING.rank}
    assert flagged == EXPECTED_AT[path]


# -- evidence --------------------------------------------------------------------------------


def test_slow_page_evidence_names_its_timings(found, u):
    ttfb = found[("EXP001", u("/experience/slow"))].evidence
    # The median of the quiet re-measurements (crawl.remeasure_times), the crawl's own sample
    # beside them.
    assert ttfb["ttfb_ms"] >= 2500 and ttfb["samples"] == 2
    assert len(ttfb["quiet_samples_ms"]) == 2 and ttfb["crawl_sample_ms"] >= 2500
    assert (ttfb["warn_ms"], ttfb["error_ms"]) == (600, 2000)
    assert u("/experience/") in {link["source"] for link in ttfb["inbound_links"]}
    download = found[("EXP002", u("/experience/slow"))].evidence
    assert download["elapsed_ms"] >= download["warn_ms"] == 1500
    # Slow alone, not with the server: a page finding, not the server-wide one on /.
    assert not [f for f in found.values()
                if f.rule in ("EXP001", "EXP002") and f.subject == "server"]


def test_heavy_page_counts_the_html_as_transferred(found, u):
    heavy = found[("EXP005", u("/experience/heavy"))]
    # ~800 KB of incompressible padding: over 500 KB even gzipped (bytes as transferred).
    assert 500_000 < heavy.evidence["html_bytes"] < 800_000
    assert heavy.message.startswith("HTML is ")


def test_viewport_evidence(found, u):
    assert found[("EXP003", u("/experience/no-viewport"))].evidence["viewport"] is None
    fixed = found[("EXP004", u("/experience/fixed-width-viewport"))].evidence
    assert fixed["viewport"] == "width=1024"
    assert fixed["problems"] == ["fixes the width (width=1024) instead of width=device-width"]


def test_large_image_is_reported_at_the_image_naming_the_page(found, u):
    image = found[("EXP007", u("/experience/img/team-photo.png"))]
    assert image.evidence["bytes"] > 300_000
    assert image.evidence["content_type"] == "image/png"
    assert sources(image) == {u("/experience/large-image")}


def test_the_one_uncompressed_page_is_one_finding_for_the_host(analysis, u, site_crawl):
    with site_crawl.store() as store:
        stored = json.loads(store.fetch(u("/experience/heavy"))["headers"])
    assert stored.get("content-encoding") == "gzip"
    # The site gzips everything (site.yaml defaults) but /experience/uncompressed; the other
    # pages under 2 KB are not judged (min_bytes), so one host + media type, one member.
    uncompressed = [f for f in analysis.findings if f.rule == "EXP008"]
    assert [f.url for f in uncompressed] == [u("/experience/uncompressed")]
    evidence = uncompressed[0].evidence
    assert (evidence["content_type"], evidence["responses"]) == ("text/html", 1)
    assert evidence["largest"] == [{"url": u("/experience/uncompressed"),
                                    "bytes": evidence["uncompressed_bytes"]}]


def test_duplicate_title_names_both_pages_and_nothing_else(analysis, u):
    whitening = [f for f in analysis.findings if f.rule == "DUP004"
                 and f.evidence["title"] == "Teeth whitening"]
    assert len(whitening) == 1
    assert sorted(whitening[0].evidence["members"]) == [
        u("/experience/duplicate-title-a"), u("/experience/duplicate-title-b")]


def test_onpage_evidence(found, u):
    assert found[("ONP001", u("/experience/no-title"))].evidence["title"] is None
    long_title = found[("ONP002", u("/experience/long-title"))].evidence
    assert long_title["length"] == len(long_title["title"]) > long_title["max_chars"] == 60
    two = found[("ONP008", u("/experience/two-h1"))].evidence
    assert two["h1"] == ["Gum disease treatment", "Keeping gums healthy"]
    assert found[("ONP009", u("/experience/no-lang"))].evidence["lang"] is None
    no_alt = found[("ONP010", u("/experience/image-no-alt"))].evidence
    assert no_alt["image_count"] == 1
    assert no_alt["images"][0]["url"] == u("/experience/img/logo.png")


def test_click_depth_counts_clicks_from_the_start_page(found, u):
    for n in (5, 6):
        evidence = found[("ONP011", u(f"/deep/{n}"))].evidence
        assert (evidence["click_depth"], evidence["max_depth"]) == (n, 4)
        assert sources(found[("ONP011", u(f"/deep/{n}"))]) == {u(f"/deep/{n - 1}")}


def test_link_structure_evidence(found, u):
    nofollow = found[("ONP012", u("/experience/nofollow-only"))]
    assert sources(nofollow) == {u("/experience/")}
    dead_end = found[("ONP013", u("/experience/dead-end"))]
    assert dead_end.evidence["links_on_page"] == 1  # the outside booking link only


def test_structured_data_evidence(found, u):
    no_phone = found[("SD002", u("/structured/clinic-no-phone"))].evidence
    assert (no_phone["types"], no_phone["missing_required"]) == (["MedicalClinic"], ["telephone"])
    assert no_phone["missing_recommended"] == []
    assert no_phone["syntax"] == "json-ld"
    invalid = found[("SD001", u("/structured/json-ld-invalid"))].evidence
    assert invalid["errors"][0]["syntax"] == "json-ld"


def test_nap_disagreement_is_the_visible_phone_of_east(found, u):
    east = found[("SD004", u("/locations/east"))]
    assert [(d["field"], d["source"], d["stated"]) for d in east.evidence["disagreements"]] == [
        ("phone", "tel: links", "tel:555.010.0199")]
    expected = east.evidence["disagreements"][0]["expected"]
    assert "+1 555-010-0100" in expected and "+1 555-010-0200" in expected
    # North, south, east, west and the /structured/ clinics are locations of their own.
    labels = {loc["label"] for loc in east.evidence["locations"]}
    assert {"Fixture Dental Clinic South, 20 South Avenue, Testville, 00003, US",
            "Fixture Dental Clinic East, 30 East Street, Testville, 00004, US"} <= labels


# -- clean twins ------------------------------------------------------------------------------

TWINS = [
    ("EXP001", "/experience/fast"), ("EXP002", "/experience/fast"),
    ("EXP005", "/experience/light"),
    ("EXP003", "/experience/mobile-friendly"), ("EXP004", "/experience/mobile-friendly"),
    ("EXP007", "/experience/img/logo.png"),
    ("ONP001", "/experience/fast"), ("ONP002", "/experience/fast"),
    ("ONP008", "/experience/fast"), ("ONP009", "/experience/fast"),
    ("ONP010", "/experience/image-decorative"), ("ONP010", "/experience/small-image"),
    ("ONP010", "/experience/large-image"),
    ("ONP011", "/deep/1"), ("ONP011", "/deep/2"), ("ONP011", "/deep/3"),
    ("ONP011", "/deep/4"),  # exactly max_depth clicks: not too deep
    ("ONP012", "/experience/fast"), ("ONP013", "/experience/fast"),
    ("SD001", "/structured/json-ld-clinic"),
    ("SD002", "/structured/json-ld-clinic"), ("SD002", "/locations/north"),
    ("SD002", "/locations/south"), ("SD002", "/locations/east"), ("SD002", "/locations/west"),
    ("SD004", "/locations/north"),
    ("SD004", "/locations/south"),  # another location's own phone is no inconsistency
    ("SD004", "/locations/west"), ("SD004", "/structured/clinic-no-phone"),
    ("SD004", "/structured/json-ld-clinic"), ("SD004", "/clean/contact"),
]


@pytest.mark.parametrize("code,path", TWINS)
def test_clean_twin_not_flagged(found, u, code, path):
    assert (code, u(path)) not in found


def test_only_the_planted_pair_shares_a_title_under_experience(analysis, u):
    for finding in analysis.findings:
        if finding.rule == "DUP004":
            members = {m for m in finding.evidence["members"] if "/experience/" in m}
            assert members in (set(), {u("/experience/duplicate-title-a"),
                                       u("/experience/duplicate-title-b")})


FULLY_CLEAN = [
    "/experience/", "/experience/fast", "/experience/light", "/experience/mobile-friendly",
    "/experience/small-image", "/experience/image-decorative",
    "/locations/north", "/locations/south", "/locations/west",
    "/deep/1", "/deep/2", "/deep/3", "/deep/4", "/",
]


@pytest.mark.parametrize("path", FULLY_CLEAN)
def test_clean_page_has_no_error_or_warning(analysis, u, path):
    flagged = [(f.rule, f.severity.value) for f in analysis.findings
               if f.url == u(path) and f.severity.rank >= Severity.WARNING.rank]
    assert flagged == []
