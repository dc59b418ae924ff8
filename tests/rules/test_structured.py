"""Structured data and NAP rules on hand-built stores: each planted defect and its clean twin."""

import pytest
from rule_helpers import urls

from readiness.entities import names_a_person, phone_key, read_entities, same_phone
from readiness.rules.base import Severity
from readiness.rules.structured import (
    IncompletePracticeSchema,
    IncompleteSocialCard,
    InconsistentNap,
    InvalidStructuredData,
    MissingPracticeSchema,
)
from readiness.testing import StoreBuilder

MAIN_ADDRESS = {"@type": "PostalAddress", "streetAddress": "12 Main Street",
                "addressLocality": "Springfield", "postalCode": "62701"}
YORK_ADDRESS = {"@type": "PostalAddress", "streetAddress": "45 High St",
                "addressLocality": "Shelbyville", "postalCode": "62565"}


def clinic(name="Smile Dental", telephone="+1 (555) 010-0100", address=MAIN_ADDRESS, **extra):
    item = {"@context": "https://schema.org", "@type": "Dentist", "name": name,
            "telephone": telephone, "address": address, **extra}
    return {k: v for k, v in item.items() if v is not None}


def full_clinic(**overrides):
    item = {
        "@context": "https://schema.org", "@type": "MedicalClinic", "name": "Smile Clinic",
        "url": "http://site.test/", "telephone": "+1 555-010-0100", "address": MAIN_ADDRESS,
        "openingHours": "Mo-Fr 08:00-17:00",
        "geo": {"@type": "GeoCoordinates", "latitude": 39.78, "longitude": -89.65},
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not None}


def sd(*items):
    return {"json-ld": list(items)}


# -- SD001 -------------------------------------------------------------------------------------

def test_invalid_json_ld_reported_with_error_and_snippet(tmp_path):
    store = StoreBuilder(tmp_path)
    error = {"syntax": "json-ld", "error": "JSONDecodeError: Expecting ',' delimiter",
             "snippet": '{"@type": "Dentist", "name": "Smile"'}
    store.page("/", links=["/broken", "/fine"])
    store.page("/broken", structured_data={"json-ld": [], "errors": [error]})
    store.page("/fine", structured_data=sd(full_clinic()))
    findings = store.run(InvalidStructuredData)
    assert urls(findings) == ["http://site.test/broken"]
    assert findings[0].evidence["errors"] == [error]
    assert "JSONDecodeError" in findings[0].message


def test_json_ld_read_only_leniently_is_reported_and_its_data_still_counts(tmp_path):
    store = StoreBuilder(tmp_path)
    error = {"syntax": "json-ld", "line": 9, "column": 1, "data_kept": True,
             "error": "JSONDecodeError: Expecting property name enclosed in double quotes: "
                      "line 9 column 1 (char 240)", "snippet": '{"@type": "MedicalClinic"'}
    store.page("/", links=["/lenient"])
    store.page("/lenient", structured_data={"json-ld": [full_clinic()], "errors": [error]})
    [finding] = store.run(InvalidStructuredData)
    assert finding.url == "http://site.test/lenient"
    assert finding.evidence["errors"] == [error]
    assert finding.message.endswith(
        "line 9 column 1 (char 240); readiness read 1 of them leniently, search engines "
        "will not")
    # The data read leniently is the page's all the same: no "missing practice schema".
    assert store.run(MissingPracticeSchema) == []


# -- reading ---------------------------------------------------------------------------------

def test_read_entities_json_ld_graph_refs_microdata_and_rdfa():
    data = {
        "json-ld": [{"@context": "https://schema.org", "@graph": [
            {"@type": "WebPage", "@id": "#page", "publisher": {"@id": "#org"}},
            {"@type": ["Dentist", "LocalBusiness"], "@id": "#org", "name": "Smile",
             "address": {"@id": "#addr"}},
            {"@type": "PostalAddress", "@id": "#addr", "postalCode": "62701"},
        ]}],
        "microdata": [{"type": "https://schema.org/Physician", "properties": {
            "name": "Dr Lee", "address": {"type": "https://schema.org/PostalAddress",
                                          "properties": {"postalCode": "62701"}}}}],
        "rdfa": [{"@id": "_:a", "@type": ["https://schema.org/Hospital"],
                  "https://schema.org/name": [{"@value": "General"}],
                  "https://schema.org/address": [{"@id": "_:b"}]},
                 {"@id": "_:b", "@type": ["https://schema.org/PostalAddress"],
                  "https://schema.org/postalCode": [{"@value": "62702"}]}],
    }
    entities = read_entities(data, "http://site.test/")
    top = {(tuple(e.types), e.syntax) for e in entities if not e.nested}
    assert (("Dentist", "LocalBusiness"), "json-ld") in top
    assert (("Physician",), "microdata") in top
    assert (("Hospital",), "rdfa") in top
    dentist = next(e for e in entities if "Dentist" in e.types and not e.nested)
    assert dentist.props["address"][0].text("postalCode") == "62701"
    hospital = next(e for e in entities if e.types == ["Hospital"])
    assert hospital.props["address"][0].text("postalCode") == "62702"


# -- SD002 -------------------------------------------------------------------------------------

def test_incomplete_practice_schema_required_and_recommended(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/complete", "/bare", "/no-hours", "/team/lee"],
               structured_data=sd(full_clinic()))
    store.page("/complete", structured_data=sd(full_clinic(
        openingHours=None, openingHoursSpecification=[{"@type": "OpeningHoursSpecification",
                                                       "dayOfWeek": "Monday"}])))
    store.page("/bare", structured_data=sd({"@type": "Dentist", "name": "Smile Dental",
                                            "url": "http://site.test/"}))
    store.page("/no-hours", structured_data=sd(full_clinic(openingHours=None, geo=None)))
    store.page("/team/lee", structured_data=sd({"@type": ["Physician", "IndividualPhysician"],
                                                "name": "Dr Lee"}))  # a person: not checked
    findings = {f.url: f for f in store.run(IncompletePracticeSchema)}
    assert sorted(findings) == ["http://site.test/bare", "http://site.test/no-hours"]
    bare = findings["http://site.test/bare"]
    assert bare.severity == Severity.WARNING
    assert bare.evidence["missing_required"] == ["address", "telephone"]
    assert bare.evidence["missing_recommended"] == ["openingHours|openingHoursSpecification", "geo"]
    no_hours = findings["http://site.test/no-hours"]
    assert no_hours.severity == Severity.NOTICE
    assert no_hours.evidence["missing_required"] == []


def test_incomplete_practice_schema_same_item_on_many_pages_is_one_finding(tmp_path):
    store = StoreBuilder(tmp_path)
    org = {"@type": "Organization", "name": "Smile Group", "url": "http://site.test/"}
    store.page("/", links=["/a", "/b"], structured_data=sd(org))
    store.page("/a", structured_data=sd(org))
    store.page("/b", structured_data=sd(org))
    findings = store.run(IncompletePracticeSchema)
    assert len(findings) == 1
    assert findings[0].evidence["page_count"] == 3
    assert findings[0].evidence["missing_recommended"] == ["address", "telephone"]


def test_incomplete_practice_schema_configured_types(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", structured_data=sd(full_clinic(geo=None)))
    assert store.run(IncompletePracticeSchema, types={
        "MedicalClinic": {"required": ["name", "telephone"], "recommended": []}}) == []
    findings = store.run(IncompletePracticeSchema, types={
        "MedicalClinic": {"required": ["geo"], "recommended": []}})
    assert findings[0].evidence["missing_required"] == ["geo"]


def test_nested_publisher_mention_is_not_checked(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", structured_data=sd(full_clinic(), {
        "@type": "Article", "headline": "Flossing",
        "publisher": {"@type": "Organization", "name": "Smile Clinic"}}))
    assert store.run(IncompletePracticeSchema) == []


# -- SD003 -------------------------------------------------------------------------------------

def test_missing_practice_schema_once_at_the_start_page(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/about"])
    store.page("/about", structured_data=sd({"@type": "WebPage", "name": "About"}))
    findings = store.run(MissingPracticeSchema)
    assert urls(findings) == ["http://site.test/"]
    clean = StoreBuilder(tmp_path / "clean")
    clean.page("/", links=["/about"])
    clean.page("/about", structured_data=sd(full_clinic()))
    assert clean.run(MissingPracticeSchema) == []


# -- phones --------------------------------------------------------------------------------------

def test_phone_keys_ignore_formatting_and_country_code():
    assert phone_key("+1 (555) 010-0100") == "15550100100"
    assert phone_key("tel:+1-555-010-0100") == "15550100100"
    assert phone_key("555-010-0100", "1") == "15550100100"
    assert phone_key("1 555 010 0100", "1") == "15550100100"
    assert phone_key("0113 496 0000", "44") == "441134960000"
    assert phone_key("0044 113 496 0000") == "441134960000"
    assert phone_key("tel:911") is None
    assert same_phone(phone_key("+1 (555) 010-0100"), phone_key("555-010-0100"))
    assert same_phone(phone_key("+44 113 496 0000"), phone_key("0113 496 0000"))
    assert not same_phone(phone_key("555-010-0100"), phone_key("555-010-0199"))


# -- SD004 -------------------------------------------------------------------------------------

def nap_site(tmp_path, **kwargs):
    """Two locations. Main: home and /contact (same number, written differently), footer tel
    on every page. York: its own page, its own consistent number. Plus planted defects."""
    store = StoreBuilder(tmp_path, **kwargs)
    footer = ("tel:+15550100100", {"region": "footer", "anchor": "Call us"})
    store.page("/", links=["/contact", "/locations/york", "/old-offer", "/about", "/renamed",
                           "/partners", footer],
               structured_data=sd(clinic()),
               contact={"tel": ["tel:+15550100100"],
                        "addresses": ["Smile Dental, 12 Main Street, Springfield 62701"]})
    # clean twin: the same number written differently
    store.page("/contact", links=[footer, ("tel:555-010-0100", {"anchor": "555-010-0100"})],
               structured_data=sd(clinic(telephone="555-010-0100",
                                         address={**MAIN_ADDRESS, "streetAddress": "12 Main St"})),
               contact={"tel": ["tel:555-010-0100"],
                        "addresses": ["Smile Dental 12 Main St. Springfield IL 62701"]})
    # clean twin: another location with its own phone
    store.page("/locations/york", links=[footer, ("tel:555-010-0200", {})],
               structured_data=sd(clinic(name="Smile Dental York", telephone="555-010-0200",
                                         address=YORK_ADDRESS)),
               contact={"tel": ["tel:555-010-0200"],
                        "addresses": ["Smile Dental York, 45 High Street, Shelbyville 62565"]})
    store.page("/about", links=[footer], structured_data=sd(clinic()))
    # defect: the main location's item with a stale number
    store.page("/old-offer", links=[footer],
               structured_data=sd(clinic(telephone="555-010-0199")))
    # defect: the main location's item under another name
    store.page("/renamed", links=[footer], structured_data=sd(clinic(name="Grin Clinic")))
    # defect: visible tel showing only a number the site never states
    store.page("/partners", links=[("tel:555-010-0777", {"region": "footer"})])
    return store


def test_nap_flags_disagreeing_pages_only(tmp_path):
    store = nap_site(tmp_path)
    findings = {f.url: f for f in store.run(InconsistentNap)}
    assert sorted(findings) == ["http://site.test/old-offer", "http://site.test/partners",
                                "http://site.test/renamed"]
    stale = findings["http://site.test/old-offer"].evidence["disagreements"]
    assert [(d["field"], d["stated"], d["expected"]) for d in stale] == [
        ("phone", "555-010-0199", "+1 (555) 010-0100")]
    renamed = findings["http://site.test/renamed"].evidence["disagreements"]
    assert [(d["field"], d["stated"], d["expected"]) for d in renamed] == [
        ("name", "Grin Clinic", "Smile Dental")]
    partners = findings["http://site.test/partners"].evidence["disagreements"]
    assert partners[0]["source"] == "tel: links"
    assert len(findings["http://site.test/old-offer"].evidence["locations"]) == 2


def test_nap_same_with_default_country_code(tmp_path):
    store = nap_site(tmp_path)
    assert urls(store.run(InconsistentNap, default_country_code="1")) == [
        "http://site.test/old-offer", "http://site.test/partners", "http://site.test/renamed"]


def test_nap_ignore_phones(tmp_path):
    store = nap_site(tmp_path)
    assert "http://site.test/partners" not in urls(
        store.run(InconsistentNap, ignore_phones=["(555) 010-0777"]))


def test_nap_visible_address_naming_the_practice_elsewhere(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/contact", "/blog/post"], structured_data=sd(clinic()),
               contact={"tel": [], "addresses": ["Smile Dental, 12 Main Street, 62701"]})
    store.page("/contact", contact={"tel": [],
                                    "addresses": ["Smile Dental, 99 Old Road, 62704"]})
    # clean twin: an author's address block that is not about the practice
    store.page("/blog/post", contact={"tel": [], "addresses": ["Written by Jo, 7 Elm Row"]})
    findings = store.run(InconsistentNap)
    assert urls(findings) == ["http://site.test/contact"]
    problem = findings[0].evidence["disagreements"][0]
    assert problem["field"] == "address"
    assert problem["stated"] == "Smile Dental, 99 Old Road, 62704"


def test_nap_configured_locations_are_the_reference(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/contact"], structured_data=sd(clinic()))
    store.page("/contact", structured_data=sd(clinic(address={
        **MAIN_ADDRESS, "streetAddress": "99 Old Road", "postalCode": "62704"})))
    # Derived from the pages, a second address is a second location: nothing to flag.
    assert store.run(InconsistentNap) == []
    findings = store.run(InconsistentNap, locations=[{
        "name": "Smile Dental", "telephone": "555 010 0100",
        "address": "12 Main Street, Springfield, IL 62701"}])
    assert urls(findings) == ["http://site.test/contact"]
    assert findings[0].evidence["disagreements"][0]["field"] == "address"


def test_nap_doctor_bio_is_not_a_practice_statement(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/team/lee"], structured_data=sd(clinic()))
    store.page("/team/lee", structured_data=sd({
        "@type": "Person", "name": "Dr Anna Lee", "telephone": "555-010-0444"}))
    assert store.run(InconsistentNap) == []


def doctor(name, kind="Physician", telephone="+1 (555) 010-0100", address=MAIN_ADDRESS):
    return {"@context": "https://schema.org", "@type": kind, "name": name,
            "telephone": telephone, "address": address}


def test_nap_doctors_at_a_location_are_people_not_the_practice_name(tmp_path):
    store = StoreBuilder(tmp_path)
    team = ["/team/ng", "/team/okafor", "/team/patel", "/team/quinn", "/contact", "/renamed"]
    store.page("/", links=team, structured_data=sd(clinic()))
    # clean twins: each doctor's own page, the clinic's address and phone, the doctor's name
    store.page("/team/ng", structured_data=sd(doctor("Dr. Ada Ng")))
    store.page("/team/okafor", structured_data=sd(doctor("Ben Okafor, MD")))
    store.page("/team/patel", structured_data=sd(doctor("Dr Cy Patel", kind="Dentist"),
                                                 clinic()))
    # defects: the same location with another phone (a doctor's page, the contact page)
    store.page("/team/quinn", structured_data=sd(doctor("Dr. Dee Quinn DDS",
                                                        telephone="555-010-0123")))
    store.page("/contact", structured_data=sd(clinic(telephone="555-010-0188")))
    # defect: the practice under another name (no person's name: still compared)
    store.page("/renamed", structured_data=sd(clinic(name="Grin Clinic")))
    findings = {f.url: f for f in store.run(InconsistentNap)}
    assert sorted(findings) == ["http://site.test/contact", "http://site.test/renamed",
                                "http://site.test/team/quinn"]
    assert [(d["field"], d["stated"]) for d in
            findings["http://site.test/team/quinn"].evidence["disagreements"]] == [
        ("phone", "555-010-0123")]
    assert [(d["field"], d["stated"]) for d in
            findings["http://site.test/renamed"].evidence["disagreements"]] == [
        ("name", "Grin Clinic")]
    # One location, named after the practice, never after a doctor.
    [location] = findings["http://site.test/contact"].evidence["locations"]
    assert location["name"] == "Smile Dental"
    # Without the staff types every doctor's page "names the practice differently".
    flagged = urls(store.run(InconsistentNap, staff_types=[]))
    assert {"http://site.test/team/ng", "http://site.test/team/patel"} <= set(flagged)


@pytest.mark.parametrize("name,person", [
    ("Dr. Ada Ng", True), ("dr ada ng", True), ("Doctor Who", True), ("Prof. Li Wei", True),
    ("Ben Okafor, MD", True), ("Cy Patel DDS", True), ("Dee Quinn, PA-C", True),
    ("Smile Dental", False), ("Grin Clinic", False), ("Drummond Family Dentistry", False),
    ("Springfield Medical Group", False), ("", False),
])
def test_names_a_person(name, person):
    assert names_a_person(name) is person


def test_nap_without_structured_data_or_config_judges_nothing(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/b", ("tel:555-010-0100", {})])
    store.page("/b", links=[("tel:555-010-0200", {})])
    assert store.run(InconsistentNap) == []


# -- SD005 -------------------------------------------------------------------------------------

OG_COMPLETE = {"opengraph": [{"properties": [
    ["og:title", "Smile Dental"], ["og:type", "website"], ["og:image", "http://site.test/og.jpg"],
    ["og:url", "http://site.test/"], ["og:description", "Family dentist"]],
    "twitter": [["twitter:card", "summary_large_image"]]}]}


def test_social_card_on_shared_pages(tmp_path):
    store = StoreBuilder(tmp_path)
    incomplete = {"opengraph": [{"properties": [["og:title", "Services"], ["og:image", ""]]}]}
    store.page("/", links=["/services", "/about", "/lonely"], structured_data=incomplete)
    store.page("/about", links=["/services"], structured_data=OG_COMPLETE)
    store.page("/services", structured_data=incomplete)     # linked from 2 pages: shared
    store.page("/lonely", structured_data=incomplete)       # linked from 1 page: not checked
    findings = {f.url: f for f in store.run(IncompleteSocialCard)}
    assert sorted(findings) == ["http://site.test/", "http://site.test/services"]
    assert findings["http://site.test/"].evidence["missing"] == [
        "og:type", "og:image", "og:url", "og:description", "twitter:card"]
    assert findings["http://site.test/"].evidence["why_checked"] == "start page"
    assert urls(store.run(IncompleteSocialCard, pages=["/lonely"], min_linking_pages=None)) == [
        "http://site.test/", "http://site.test/lonely"]


def test_social_card_absent_site_wide_is_one_finding(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/a", "/b"])
    store.page("/a", links=["/b"])
    store.page("/b", links=["/a"])
    findings = store.run(IncompleteSocialCard)
    assert urls(findings) == ["http://site.test/"]
    assert findings[0].evidence["page_count"] == 3
    complete = StoreBuilder(tmp_path / "complete")
    complete.page("/", structured_data=OG_COMPLETE)
    assert complete.run(IncompleteSocialCard) == []


def test_stale_number_beside_the_right_one_is_still_flagged(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", structured_data={"json-ld": [clinic()]},
               contact={"tel": ["tel:+15550100100"], "addresses": []})
    store.page("/about", links=["/"], structured_data={"json-ld": [clinic()]},
               contact={"tel": ["tel:+15550100100"], "addresses": []})
    store.page("/hillcrest", links=["/"], structured_data={"json-ld": [clinic()]},
               contact={"tel": ["tel:5550100199", "tel:+15550100100"], "addresses": []})
    findings = store.run(InconsistentNap, default_country_code="1")
    assert urls(findings) == ["http://site.test/hillcrest"]
    assert "5550100199" in findings[0].message
    assert store.run(InconsistentNap, default_country_code="1",
                     ignore_phones=["555-010-0199"]) == []
