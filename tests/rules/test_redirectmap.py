"""Redirect map (RDM001) on hand-built stores: each signal, its clean twin, and what is never
suggested."""

from rule_helpers import urls

from readiness.rules.context import AnalysisContext
from readiness.rules.redirectmap import DeadUrlWithoutRedirect, path_tokens
from readiness.store import open_store
from readiness.testing import StoreBuilder

SITE = "http://site.test"


def by_url(findings):
    return {f.url: f.evidence for f in findings}


def backlink(store, target, source, anchor, line, domains=None):
    store.add("backlinks", {
        "target_id": store.id(target), "target_raw": store.url(target), "source_url": source,
        "anchor": anchor, "rel": "", "referring_domains": domains, "backlinks": None,
        "export": "links.csv", "export_format": "ahrefs-backlinks", "line": line})


def services_site(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", title="Smile Dental", links=[
        ("/services/", {"anchor": "Services"}),
        ("/services/teeth-whitening-old", {"anchor": "Whitening offer"}),
        ("/services/teeth-whitening", {"anchor": "Teeth whitening"}),
        ("/services/implants", {"anchor": "Implants"}),
        ("/team/", {"anchor": "Team"}),
        ("/team/dr-jones-retired", {"anchor": "Dr Jones"}),
        ("/spring-promo-2019", {"anchor": "Spring promo"}),
        ("/live-twin", {"anchor": "Live"}),
    ])
    store.page("/services/", title="Our services | Smile Dental", h1=["Services"])
    store.page("/services/teeth-whitening", title="Teeth whitening | Smile Dental",
               h1=["Teeth whitening"])
    store.page("/services/implants", title="Dental implants | Smile Dental", h1=["Implants"])
    store.page("/team/", title="Our team | Smile Dental", h1=["Team"])
    store.page("/live-twin", title="Live page")
    store.fetch("/services/teeth-whitening-old", status=404)
    store.fetch("/team/dr-jones-retired", status=410)
    store.fetch("/spring-promo-2019", status=404)
    return store


def test_slug_tokens_give_a_high_confidence_target_and_the_live_twin_is_not_listed(tmp_path):
    store = services_site(tmp_path)
    found = by_url(store.run(DeadUrlWithoutRedirect))
    whitening = found[f"{SITE}/services/teeth-whitening-old"]
    assert whitening["suggested_target"] == f"{SITE}/services/teeth-whitening"
    assert whitening["confidence"] == "high"
    assert "teeth, whitening" in whitening["reason"]
    assert whitening["status"] == 404
    assert f"{SITE}/live-twin" not in found
    assert f"{SITE}/services/teeth-whitening" not in found


def test_parent_section_is_the_low_last_resort_and_nothing_is_choose_by_hand(tmp_path):
    store = services_site(tmp_path)
    found = by_url(store.run(DeadUrlWithoutRedirect))
    jones = found[f"{SITE}/team/dr-jones-retired"]
    assert (jones["suggested_target"], jones["confidence"]) == (f"{SITE}/team/", "low")
    assert "parent section" in jones["reason"]
    promo = found[f"{SITE}/spring-promo-2019"]
    # Top level: its parent is the home page, never suggested (a soft 404).
    assert promo["suggested_target"] is None and promo["confidence"] is None
    assert promo["reason"] == "no confident match: choose by hand"


def test_backlink_anchor_matches_a_title_and_backlinks_alone_make_a_url_referenced(tmp_path):
    store = services_site(tmp_path)
    # Nothing on the site links here any more; only the export does.
    store.fetch("/offer-2021", status=404)
    backlink(store, "/offer-2021", "http://blog.example/post", "dental implants", 2, domains=7)
    backlink(store, "/offer-2021", "http://news.example/a", "dental implants", 3)
    store.fetch("/unlinked-dead", status=404)  # clean twin: no link, no backlink
    found = by_url(store.run(DeadUrlWithoutRedirect))
    offer = found[f"{SITE}/offer-2021"]
    assert offer["suggested_target"] == f"{SITE}/services/implants"
    assert offer["confidence"] == "high"
    assert offer["referring_domains"] == 7
    assert offer["backlink_anchors"] == [{"anchor": "dental implants", "rows": 2}]
    assert 'anchor "dental implants"' in offer["reason"]
    assert f"{SITE}/unlinked-dead" not in found


def test_never_suggests_a_non_indexable_or_dead_page(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/pricing-old", "/guide-old"])
    store.fetch("/pricing-old", status=404)
    store.fetch("/guide-old", status=500)
    store.page("/pricing", title="Pricing", meta_robots="noindex")
    store.page("/pricing-plans", title="Plans", canonical="/")
    store.fetch("/pricing-new", status=404)
    store.page("/guide", title="Guide", fetch={"robots_blocked": True})
    store.redirect("/guide-new", "/")
    found = by_url(store.run(DeadUrlWithoutRedirect))
    assert found[f"{SITE}/pricing-old"]["suggested_target"] is None
    assert found[f"{SITE}/guide-old"]["suggested_target"] is None
    assert found[f"{SITE}/guide-old"]["status"] == 500


def test_a_redirect_of_the_previous_run_wins_and_chains_into_the_dead_url_are_listed(tmp_path):
    before = StoreBuilder(tmp_path / "before")
    before.page("/", links=["/about-us"])
    before.redirect("/about-us", "/practice/story")
    before.page("/practice/story", title="Our story")
    previous = before.close()
    store = StoreBuilder(tmp_path / "now")
    store.page("/", links=["/about-us", "/old-about"])
    store.fetch("/about-us", status=404)          # the redirect was lost
    store.page("/practice/story", title="Our story")
    store.page("/about", title="About us")        # the words match this one better
    store.redirect("/old-about", "/about-us")     # and a redirect still leads to the dead URL
    with open_store(store.close()) as now, open_store(previous) as earlier:
        findings = list(DeadUrlWithoutRedirect().check(AnalysisContext(now, earlier)))
    about = by_url(findings)[f"{SITE}/about-us"]
    assert about["suggested_target"] == f"{SITE}/practice/story"
    assert about["confidence"] == "high"
    assert "previous run" in about["reason"]
    assert about["also_from"] == [f"{SITE}/old-about"]
    # Without the previous run the path words decide.
    with open_store(store.path) as now:
        alone = by_url(DeadUrlWithoutRedirect().check(AnalysisContext(now)))
    assert alone[f"{SITE}/about-us"]["suggested_target"] == f"{SITE}/about"


def test_a_tie_is_broken_by_url_and_lowers_the_confidence(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/kits/whitening-old"])
    store.fetch("/kits/whitening-old", status=404)
    store.page("/kits/whitening-strips", title="Strips")
    store.page("/kits/whitening-gel", title="Gel")
    evidence = by_url(store.run(DeadUrlWithoutRedirect))[f"{SITE}/kits/whitening-old"]
    assert evidence["suggested_target"] == f"{SITE}/kits/whitening-gel"
    assert evidence["confidence"] == "low"
    assert "matches almost as well" in evidence["reason"]
    assert urls(store.run(DeadUrlWithoutRedirect, min_confidence="medium")) == []


def test_path_tokens_are_decoded_words_without_extensions():
    assert path_tokens("http://s.test/Old%20Page/teeth_whitening.html?x=1") == {
        "old", "page", "teeth", "whitening"}


def test_a_dead_url_only_redirects_reach_is_reported_where_the_chain_is_entered(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/offers-old", {"anchor": "Spring specials"})])
    store.redirect("/offers-old", "/offers-2020")
    store.redirect("/offers-2020", "/offers-2021")
    store.fetch("/offers-2021", status=404)
    store.page("/offers", title="Offers")
    # The anchor of the link to the chain's entry names this page.
    store.page("/specials", title="Spring specials")
    store.redirect("/unlinked-old", "/unlinked-gone")  # clean twin: nothing enters it
    store.fetch("/unlinked-gone", status=404)
    found = by_url(store.run(DeadUrlWithoutRedirect))
    assert list(found) == [f"{SITE}/offers-old"]
    entry = found[f"{SITE}/offers-old"]
    assert entry["dead_url"] == f"{SITE}/offers-2021"
    assert entry["also_from"] == [f"{SITE}/offers-2020"]
    assert entry["suggested_target"] == f"{SITE}/specials"
    assert 'anchor "Spring specials"' in entry["reason"]
