"""On-page rules on hand-built stores: each planted defect and its clean twin."""

from rule_helpers import urls

from readiness.rules.onpage import (
    ImageMissingAlt,
    MetaDescriptionTooLong,
    MetaDescriptionTooShort,
    MissingH1,
    MissingLang,
    MissingMetaDescription,
    MissingTitle,
    MultipleH1,
    NofollowOnlyInbound,
    NoOutgoingInternalLinks,
    PageTooDeep,
    TitleTooLong,
    TitleTooShort,
)
from readiness.testing import StoreBuilder

GOOD_TITLE = "Dental implants in Springfield | Smile Dental"
GOOD_DESCRIPTION = "Implants fitted by Dr Lee at Smile Dental: consultations, costs and aftercare."


def test_missing_and_empty_title(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/none", "/empty", "/noindexed"], title=GOOD_TITLE)
    store.page("/none", title=None)
    store.page("/empty", title="  ")
    store.page("/noindexed", title=None, meta_robots="noindex")  # not judged
    findings = {f.url: f for f in store.run(MissingTitle)}
    assert sorted(findings) == ["http://site.test/empty", "http://site.test/none"]
    assert findings["http://site.test/none"].message == "no <title>"


def test_title_length_in_characters_not_bytes(tmp_path):
    store = StoreBuilder(tmp_path)
    # 58 characters, 66 bytes in UTF-8
    accented = "Clínica Odontológica Niño — Implantes en Málaga y Marbella"
    assert len(accented) <= 60 < len(accented.encode())
    store.page("/", links=["/long", "/short", "/accented"], title=GOOD_TITLE)
    store.page("/long", title="Smile Dental | Family Dentist | Cosmetic Dentistry | Implants | "
                              "Invisalign")
    store.page("/short", title="Home")
    store.page("/accented", title=accented)
    assert urls(store.run(TitleTooLong)) == ["http://site.test/long"]
    assert urls(store.run(TitleTooShort)) == ["http://site.test/short"]
    assert urls(store.run(TitleTooShort, min_chars=4)) == []
    assert store.run(TitleTooLong)[0].evidence["length"] == 74


def test_meta_description_missing_and_lengths(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/none", "/empty", "/short", "/long"],
               meta_description=GOOD_DESCRIPTION)
    store.page("/none")
    store.page("/empty", meta_description="")
    store.page("/short", meta_description="Dentist")
    store.page("/long", meta_description="word " * 40)
    assert urls(store.run(MissingMetaDescription)) == ["http://site.test/empty",
                                                       "http://site.test/none"]
    assert urls(store.run(MetaDescriptionTooShort)) == ["http://site.test/short"]
    assert urls(store.run(MetaDescriptionTooLong)) == ["http://site.test/long"]
    assert urls(store.run(MetaDescriptionTooLong, max_chars=200)) == []


def test_missing_and_multiple_h1(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/no-h1", "/empty-h1", "/two-h1"], h1=["Smile Dental"])
    store.page("/no-h1", h1=[])
    store.page("/empty-h1", h1=[""])
    store.page("/two-h1", h1=["Smile Dental", "Implants"])
    assert urls(store.run(MissingH1)) == ["http://site.test/empty-h1", "http://site.test/no-h1"]
    assert urls(store.run(MultipleH1)) == ["http://site.test/two-h1"]
    assert urls(store.run(MultipleH1, max_h1=2)) == []


def test_missing_or_malformed_lang(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/none", "/underscore", "/regional"], lang="en")
    store.page("/none")
    store.page("/underscore", lang="en_US")
    store.page("/regional", lang="en-GB")
    assert urls(store.run(MissingLang)) == ["http://site.test/none", "http://site.test/underscore"]


def test_images_without_alt(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/team", "/gallery",
                           ("/img/logo.png", {"element": "img", "anchor": "Smile Dental"})])
    store.page("/team", links=[("/img/lee.jpg", {"element": "img", "anchor": None}),
                               ("/img/lee.jpg", {"element": "img", "anchor": None}),
                               ("/img/patel.jpg", {"element": "img", "anchor": "Dr Patel"})])
    store.page("/gallery", links=[("/img/divider.png", {"element": "img", "anchor": ""})])
    findings = store.run(ImageMissingAlt)
    assert urls(findings) == ["http://site.test/team"]
    assert findings[0].evidence["image_count"] == 1
    assert findings[0].evidence["images"][0]["url"] == "http://site.test/img/lee.jpg"
    assert urls(store.run(ImageMissingAlt, flag_empty_alt=True)) == [
        "http://site.test/gallery", "http://site.test/team"]


def test_page_too_deep_counts_clicks_from_the_start_url(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/1", "/moved"])
    store.page("/1", links=["/2"])
    store.page("/2", links=["/3"])
    store.page("/3", links=["/4"])
    store.page("/4", links=["/5"])
    store.page("/5")                                  # 5 clicks: too deep
    store.redirect("/moved", "/shallow")              # a redirect costs no click
    store.page("/shallow", fetch={"depth": 9})        # crawl depth is not click depth
    store.page("/sitemap-only", fetch={"depth": 0})   # no click path: not this rule's
    store.sitemap_entry("/sitemap-only")
    findings = store.run(PageTooDeep)
    assert urls(findings) == ["http://site.test/5"]
    assert findings[0].evidence["click_depth"] == 5
    assert urls(store.run(PageTooDeep, max_depth=5)) == []


def test_page_too_deep_uses_links_other_than_clicks_not_at_all(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/1", ("/deep", {"element": "link", "rel": "next"})])
    store.page("/1", links=["/2"])
    store.page("/2", links=["/3"])
    store.page("/3", links=["/4"])
    store.page("/4", links=["/deep"])
    store.page("/deep")
    assert urls(store.run(PageTooDeep, max_depth=4)) == ["http://site.test/deep"]


def test_nofollow_only_inbound(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/book", {"rel": "nofollow"}), ("/mixed", {"rel": "nofollow"}),
                           "/about"])
    store.page("/about", links=[("/book", {"rel": "nofollow noopener"}), "/mixed"])
    store.page("/book")
    store.page("/mixed")     # one followed link: clean
    findings = store.run(NofollowOnlyInbound)
    assert urls(findings) == ["http://site.test/book"]
    assert findings[0].evidence["linking_pages"] == 2


def test_no_outgoing_internal_links(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/landing", "/nofollowed", "/self"])
    store.page("/landing", links=["http://booking.test/", ("/img/a.jpg", {"element": "img"})])
    store.page("/nofollowed", links=[("/", {"rel": "nofollow"})])
    store.page("/self", links=["/self", "/"])  # links home: clean
    assert urls(store.run(NoOutgoingInternalLinks)) == ["http://site.test/landing",
                                                        "http://site.test/nofollowed"]
