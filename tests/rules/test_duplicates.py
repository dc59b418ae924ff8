"""Duplicate content rules on hand-built stores: each planted defect and its clean twin."""

import itertools
import random

import numpy as np
from rule_helpers import urls

from readiness.rules.duplicates import (
    DEFAULT_NEAR_THRESHOLD,
    LSH_RECALL,
    DuplicateContent,
    DuplicateMetaDescription,
    DuplicateTitle,
    NearDuplicateContent,
    ThinContent,
    candidate_pairs,
    lsh_bands_rows,
    lsh_candidate_probability,
)
from readiness.testing import StoreBuilder

VOCABULARY = ["implant", "crown", "filling", "smile", "patient", "clinic", "dentist", "visit",
              "tooth", "gum", "whitening", "brace", "check", "family", "child", "pain",
              "appointment", "care", "clean", "bridge", "veneer", "root", "canal", "hygiene"]
BOOKING_BLURB = ("book your appointment online or call our friendly reception team any "
                 "weekday between eight and six and we will find a time that suits you and "
                 "your family with parking on site and step free access for every patient").split()


def words(seed, n=200):
    rng = random.Random(seed)
    return [f"{rng.choice(VOCABULARY)}{rng.randrange(40)}" for _ in range(n)]


def text(word_list):
    return " ".join(word_list)


def members(finding):
    return [m["url"] for m in finding.evidence["members"]]


BASE = words(1)
TWO_PERCENT = BASE[:100] + ["leeds", "west", "yorkshire", "office"] + BASE[104:]  # 4 of 200 words
SPREAD = [("changed" if i in (40, 90, 140, 190) else w) for i, w in enumerate(BASE)]
HALF = BASE[:100] + words(2, 100)


def test_exact_duplicates_one_finding_per_cluster_at_the_most_linked_member(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/implants", "/implants", "/services/implants", "/unique"],
               text=text(words(9)))
    store.page("/implants", text=text(BASE), links=["/services/implants"])
    store.page("/services/implants", text=text(BASE), links=["/implants"])
    store.page("/offer", text=text(BASE))
    store.page("/unique", text=text(words(3)))
    # clean twins: the same text, but canonicalised elsewhere, noindex or too short to compare
    store.page("/implants?ref=menu", text=text(BASE), canonical="/implants")
    store.page("/implants-print", text=text(BASE), meta_robots="noindex")
    store.page("/stub-a", text="coming soon")
    store.page("/stub-b", text="coming soon")
    findings = store.run(DuplicateContent)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.url == "http://site.test/implants"  # 3 inbound edges
    assert members(finding) == ["http://site.test/implants", "http://site.test/services/implants",
                                "http://site.test/offer"]
    assert [m["inbound_link_count"] for m in finding.evidence["members"]] == [3, 2, 0]
    assert finding.evidence["similarity"] == 1.0
    assert finding.subject == "|".join(sorted(members(finding)))
    assert "canonical" in finding.evidence["fix"]


def test_exact_duplicates_min_words_option(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", text=text(words(9)))
    store.page("/a", text=text(BASE[:30]))
    store.page("/b", text=text(BASE[:30]))
    assert store.run(DuplicateContent) == []
    assert urls(store.run(DuplicateContent, min_words=20)) == ["http://site.test/a"]


def test_near_duplicates_found_by_lsh_and_distinct_pages_not(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/dentist-york"], text=text(words(9)))
    store.page("/dentist-leeds", text=text(TWO_PERCENT))
    store.page("/dentist-york", text=text(BASE))
    # clean twins: half the text shared; the same booking blurb on otherwise distinct pages
    store.page("/half", text=text(HALF))
    store.page("/whitening", text=text(BOOKING_BLURB + words(4, 160)))
    store.page("/veneers", text=text(BOOKING_BLURB + words(5, 160)))
    findings = store.run(NearDuplicateContent)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.url == "http://site.test/dentist-york"
    assert members(finding) == ["http://site.test/dentist-york", "http://site.test/dentist-leeds"]
    similarities = [m["similarity"] for m in finding.evidence["members"]]
    assert similarities[0] == 1.0 and 0.9 <= similarities[1] < 1.0
    assert similarities[1] == round(similarities[1], 2)
    assert finding.evidence["threshold"] == DEFAULT_NEAR_THRESHOLD == 0.4
    assert [m["nearest_similarity"] for m in finding.evidence["members"]] == [similarities[1]] * 2
    assert "5-word shingles" in finding.evidence["measure"]
    assert f"similarity {similarities[1]:.2f} to http://site.test/dentist-york" in finding.message


def test_near_duplicates_leave_exact_duplicates_to_dup001(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", text=text(words(9)))
    store.page("/a", text=text(BASE))
    store.page("/b", text=text(BASE))
    assert store.run(NearDuplicateContent) == []
    # ... but an exact copy of a near-duplicate is listed in its cluster
    store = StoreBuilder(tmp_path / "2")
    store.page("/", text=text(words(9)))
    store.page("/a", text=text(BASE))
    store.page("/b", text=text(BASE))
    store.page("/c", text=text(TWO_PERCENT))
    findings = store.run(NearDuplicateContent)
    assert len(findings) == 1
    assert sorted(members(findings[0])) == ["http://site.test/a", "http://site.test/b",
                                            "http://site.test/c"]


def test_canonicalised_page_is_not_in_a_near_duplicate_cluster(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", text=text(words(9)))
    store.page("/dentist-york", text=text(BASE))
    store.page("/dentist-leeds", text=text(TWO_PERCENT), canonical="/dentist-york")
    assert store.run(NearDuplicateContent) == []


def test_near_duplicate_threshold_option(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", text=text(words(9)))
    store.page("/a", text=text(BASE))
    store.page("/b", text=text(SPREAD))  # 4 words changed far apart: ~80% of shingles shared
    store.page("/c", text=text(HALF))  # half the text shared: ~0.33, under the default
    findings = store.run(NearDuplicateContent)
    assert [sorted(members(f)) for f in findings] == [["http://site.test/a", "http://site.test/b"]]
    assert store.run(NearDuplicateContent, threshold=0.9) == []
    findings = store.run(NearDuplicateContent, threshold=0.25)
    assert [sorted(members(f)) for f in findings] == [
        ["http://site.test/a", "http://site.test/b", "http://site.test/c"]]


def test_near_duplicate_cluster_joined_through_a_chain_reports_each_members_nearest(tmp_path):
    # /a ~ /b and /b ~ /c share 3/4 of their text; /a and /c share only half: one cluster,
    # and /c's evidence says how close it is to /a (the reported member) and to its nearest.
    quarter = len(BASE) // 4
    chain = [BASE, BASE[:3 * quarter] + words(20, quarter),
             words(21, quarter) + BASE[quarter:3 * quarter] + words(20, quarter)]
    for order in ([0, 1, 2], [2, 1, 0]):  # the same finding whatever order pages come in
        store = StoreBuilder(tmp_path / "".join(map(str, order)))
        store.page("/", text=text(words(9)), links=["/a", "/a"])
        for index in order:
            store.page("/" + "abc"[index], text=text(chain[index]))
        findings = store.run(NearDuplicateContent)
        assert [members(f) for f in findings] == [
            ["http://site.test/a", "http://site.test/b", "http://site.test/c"]]
        by_url = {m["url"]: m for m in findings[0].evidence["members"]}
        assert by_url["http://site.test/c"]["similarity"] < DEFAULT_NEAR_THRESHOLD
        assert by_url["http://site.test/c"]["nearest_similarity"] >= DEFAULT_NEAR_THRESHOLD
        assert by_url["http://site.test/b"]["nearest_similarity"] == max(
            by_url["http://site.test/b"]["similarity"],
            by_url["http://site.test/c"]["nearest_similarity"])
        if order == [0, 1, 2]:
            first = findings[0]
        else:
            assert (findings[0].message, findings[0].evidence) == (first.message, first.evidence)


def test_lsh_banding_finds_pairs_at_the_threshold():
    assert lsh_bands_rows(256, 0.4) == (85, 3)
    for num_perm, threshold in [(256, 0.4), (128, 0.4), (256, 0.9), (64, 0.2)]:
        bands, rows = lsh_bands_rows(num_perm, threshold)
        assert bands * rows <= num_perm
        assert lsh_candidate_probability(threshold, bands, rows) >= LSH_RECALL
        # one more row per band would miss too many pairs at the threshold
        assert lsh_candidate_probability(threshold, num_perm // (rows + 1), rows + 1) < LSH_RECALL


def test_thin_content(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/whitening"], text=text(words(9)))
    store.page("/whitening", text="Teeth whitening. Call us.")
    store.page("/empty", text="")
    # clean twins: enough words; short but noindex; short but canonicalised
    store.page("/implants", text=text(words(1, 50)))
    store.page("/thanks", text="Thank you", meta_robots="noindex, follow")
    store.page("/whitening?print=1", text="Teeth whitening. Call us.", canonical="/whitening")
    findings = store.run(ThinContent)
    assert urls(findings) == ["http://site.test/empty", "http://site.test/whitening"]
    thin = next(f for f in findings if f.url.endswith("/whitening"))
    assert thin.evidence["word_count"] == 4
    assert thin.evidence["inbound_link_count"] == 1
    assert urls(store.run(ThinContent, min_words=3)) == ["http://site.test/empty"]


def test_duplicate_title_normalised_one_finding_per_title(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", title="Smile Dental", links=["/team/ben"])
    store.page("/team/anna", title="Our team | Smile Dental")
    store.page("/team/ben", title="  our TEAM |  Smile Dental ")
    store.page("/team/cleo", title="Our team | Smile Dental")
    # clean twins: empty titles; a shared title on a noindex page; distinct titles
    store.page("/a", title="")
    store.page("/b", title=None)
    store.page("/c", title="   ")
    store.page("/team?page=2", title="Smile Dental", meta_robots="noindex")
    store.page("/contact", title="Contact | Smile Dental")
    findings = store.run(DuplicateTitle)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.url == "http://site.test/team/ben"
    assert finding.evidence["members"] == ["http://site.test/team/ben", "http://site.test/team/anna",
                                           "http://site.test/team/cleo"]
    assert finding.evidence["title"] == "our TEAM | Smile Dental"
    assert finding.subject == "our team | smile dental"


def test_duplicate_meta_description(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", meta_description="Your friendly practice in Leeds.")
    store.page("/implants", meta_description="Your friendly practice in  leeds.")
    store.page("/crowns", meta_description="Crowns made in a day.")
    store.page("/old", meta_description="Your friendly practice in Leeds.", status=404)
    store.page("/x", meta_description=None)
    store.page("/y", meta_description=None)
    findings = store.run(DuplicateMetaDescription)
    assert [f.evidence["members"] for f in findings] == [
        ["http://site.test/", "http://site.test/implants"]]
    assert findings[0].severity == "notice"


def test_candidate_pairs_are_the_pairs_equal_on_some_band():
    # a small alphabet, so that many bands collide: every such pair once, no other
    signatures = np.random.default_rng(3).integers(0, 6, size=(60, 12), dtype=np.uint32)
    for bands, rows in [(4, 3), (6, 2), (12, 1), (1, 12)]:
        left, right = candidate_pairs(signatures, bands, rows)
        expected = [(i, j) for i, j in itertools.combinations(range(60), 2)
                    if any((signatures[i, b * rows:(b + 1) * rows]
                            == signatures[j, b * rows:(b + 1) * rows]).all()
                           for b in range(bands))]
        assert list(zip(left.tolist(), right.tolist())) == expected
    assert len(candidate_pairs(signatures, 4, 3)[0]) > 0
