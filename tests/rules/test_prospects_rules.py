"""Prospect rules on hand-built stores: each sign planted on one prospect, and the good
prospect (its clean twin) flagged by none."""

from rule_helpers import urls

from readiness.rules.prospects import (
    ProspectAlreadyLinks,
    ProspectLanguageMismatch,
    ProspectLinkFarm,
    ProspectLinksInBoilerplate,
    ProspectManyOutboundLinks,
    ProspectNofollowByDefault,
    ProspectNotIndexable,
    ProspectUnreachable,
)
from readiness.testing import StoreBuilder

SITE = "https://clinic.test/"
GOOD = "http://good.test/dental-guide"
CITED = [("https://ada.test/", {"anchor": "dental association"}),
         ("https://nhs.test/teeth", {"anchor": "dental care advice"})]


def prospects_store(tmp_path, **pages) -> StoreBuilder:
    """A prospects run: the site's home (lang en) and the good prospect, plus ``pages``
    (url -> (page kwargs | None for a fetch-only answer, fetch kwargs))."""
    store = StoreBuilder(tmp_path, start_url=SITE)
    store.page(SITE, lang="en")
    listed = [GOOD, *pages]
    store.page(GOOD, title="A dental guide", h1=["Dental guide"], lang="en", links=CITED)
    for url, (page, fetch) in pages.items():
        if page is None:
            store.fetch(url, **fetch)
        else:
            store.page(url, **page, fetch=fetch or None)
    for line, url in enumerate(listed, start=1):
        store.add("prospects", {"url_id": store.id(url), "raw": url, "input": "p.txt",
                                "line": line})
    return store


def test_unreachable_prospect_is_avoid_and_the_good_one_is_not_flagged(tmp_path):
    store = prospects_store(tmp_path, **{
        "http://gone.test/a": (None, {"status": 404}),
        "http://down.test/a": (None, {"status": None, "error": "refused"}),
        "http://blocked.test/a": (None, {"status": None, "error": "robots-blocked",
                                         "fetched": False})})
    findings = store.run(ProspectUnreachable)
    assert urls(findings) == ["http://down.test/a", "http://gone.test/a"]
    assert {f.evidence["verdict"] for f in findings} == {"avoid"}


def test_not_indexable_prospects(tmp_path):
    store = prospects_store(tmp_path, **{
        "http://noindex.test/a": ({"meta_robots": "noindex", "links": CITED}, {}),
        "http://header.test/a": ({"x_robots_tag": "noindex", "links": CITED}, {}),
        "http://canon.test/a": ({"canonical": "http://canon.test/b", "links": CITED}, {}),
        "http://blocked.test/a": (None, {"status": None, "error": "robots-blocked",
                                         "fetched": False})})
    findings = store.run(ProspectNotIndexable)
    assert urls(findings) == ["http://blocked.test/a", "http://canon.test/a",
                              "http://header.test/a", "http://noindex.test/a"]


def test_link_farm_by_count_hosts_and_unrelated_anchors(tmp_path):
    farm = [(f"https://h{i}.test/", {"anchor": f"cheap offer {i}"}) for i in range(40)]
    store = prospects_store(tmp_path, **{
        "http://farm.test/partners": ({"title": "Dental partners", "links": farm}, {})})
    findings = store.run(ProspectLinkFarm, max_outbound_hosts=30)
    assert urls(findings) == ["http://farm.test/partners"]
    assert any("hosts" in sign for sign in findings[0].evidence["signs"])
    assert any("unrelated" in sign for sign in findings[0].evidence["signs"])
    assert store.run(ProspectLinkFarm) and len(store.run(ProspectLinkFarm)[0].evidence["signs"]) == 1


def test_many_outbound_links_is_weak(tmp_path):
    many = [(f"https://h{i % 5}.test/{i}", {"anchor": "dental"}) for i in range(12)]
    store = prospects_store(tmp_path, **{"http://many.test/a": ({"links": many}, {})})
    assert urls(store.run(ProspectManyOutboundLinks, many_outbound_links=10)) == [
        "http://many.test/a"]


def test_nofollow_by_default_and_page_nofollow(tmp_path):
    qualified = [(u, {**a, "rel": "nofollow"}) for u, a in CITED] + [
        ("https://x.test/", {"anchor": "dental x", "rel": "sponsored"})]
    store = prospects_store(tmp_path, **{
        "http://nofollow.test/a": ({"links": qualified}, {}),
        "http://metanofollow.test/a": ({"meta_robots": "nofollow", "links": CITED}, {})})
    findings = store.run(ProspectNofollowByDefault)
    assert urls(findings) == ["http://metanofollow.test/a", "http://nofollow.test/a"]


def test_links_only_in_boilerplate(tmp_path):
    footer = [(u, {**a, "region": "footer"}) for u, a in CITED]
    store = prospects_store(tmp_path, **{
        "http://footer.test/a": ({"links": footer}, {}),
        "http://nolinks.test/a": ({"links": ["http://nolinks.test/about"]}, {})})
    assert urls(store.run(ProspectLinksInBoilerplate)) == ["http://footer.test/a",
                                                           "http://nolinks.test/a"]


def test_language_against_the_site_home_and_the_option(tmp_path):
    store = prospects_store(tmp_path, **{"http://de.test/a": ({"lang": "de-DE", "links": CITED},
                                                               {})})
    assert urls(store.run(ProspectLanguageMismatch)) == ["http://de.test/a"]
    assert store.run(ProspectLanguageMismatch, languages=["en", "de"]) == []


def test_already_links_names_how(tmp_path):
    linking = CITED + [("http://www.clinic.test/implants",
                        {"anchor": "implants", "rel": "nofollow", "region": "aside"})]
    store = prospects_store(tmp_path, **{"http://fan.test/a": ({"links": linking}, {})})
    findings = store.run(ProspectAlreadyLinks)
    assert urls(findings) == ["http://fan.test/a"]
    link = findings[0].evidence["links_to_site"][0]
    assert link == {"target": "http://www.clinic.test/implants", "anchor": "implants",
                    "rel": "nofollow", "region": "aside", "followed": False}
    assert findings[0].evidence["verdict"] is None


def test_prospect_redirecting_to_a_host_not_listed_says_to_list_that_page(tmp_path):
    store = prospects_store(tmp_path, **{
        "http://moved.test/a": (None, {"status": 301, "location": "http://elsewhere.test/a"})})
    findings = store.run(ProspectUnreachable)
    assert urls(findings) == ["http://moved.test/a"]
    assert findings[0].message == (
        "no readable page: redirects to http://elsewhere.test/a, on a host not listed, which "
        "list mode does not fetch as a page: list that page instead")
    assert findings[0].evidence["landing_url"] == "http://elsewhere.test/a"


def test_a_store_older_than_the_lists_has_none(tmp_path):
    import sqlite3

    path = StoreBuilder(tmp_path, start_url=SITE).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE prospects")
        db.execute("DROP TABLE placements")
    from readiness.rules.context import AnalysisContext
    from readiness.store import open_store

    ctx = AnalysisContext(open_store(path))
    try:
        assert ctx.prospects == [] and ctx.placements == []
        assert list(ProspectUnreachable().check(ctx)) == []
    finally:
        ctx.store.close()
