"""Placement rules on hand-built stores: each grade planted on one placement, and the live,
followed placement (its clean twin) flagged by none."""

from rule_helpers import urls

from readiness.rules.base import Severity
from readiness.rules.placements import (
    PlacementAnchorChanged,
    PlacementInBoilerplate,
    PlacementMissing,
    PlacementNotFollowed,
    PlacementPageNotIndexable,
    PlacementSourceUnreachable,
    PlacementTargetBroken,
    PlacementTargetRedirects,
)
from readiness.testing import StoreBuilder

SITE = "https://clinic.test/"
TARGET = "https://clinic.test/implants"
LIVE = "http://live.test/guide"
LINK = {"anchor": "dental implants", "region": "main"}


def placements_store(tmp_path, pages, targets=None) -> StoreBuilder:
    """The live placement plus ``pages`` (source url -> (page kwargs | None, fetch kwargs,
    target, agreed anchor, agreed rel)); ``targets``: target url -> callable(store)."""
    store = StoreBuilder(tmp_path, start_url=SITE)
    store.page(TARGET)
    for target, plant in (targets or {}).items():
        plant(store)
    store.page(LIVE, links=[(TARGET, LINK)])
    rows = [(LIVE, TARGET, "dental implants", "")]
    for url, (page, fetch, target, anchor, rel) in pages.items():
        if page is None:
            store.fetch(url, **fetch)
        else:
            store.page(url, **page, fetch=fetch or None)
        rows.append((url, target or TARGET, anchor, rel))
    for line, (source, target, anchor, rel) in enumerate(rows, start=2):
        store.add("placements", {"source_id": store.id(source), "target_id": store.id(target),
                                 "source_raw": source, "target_raw": target, "anchor": anchor,
                                 "rel": rel, "input": "placed.csv", "line": line})
    return store


def test_source_gone_is_an_error_and_unreadable_a_warning(tmp_path):
    store = placements_store(tmp_path, {
        "http://gone.test/a": (None, {"status": 410}, None, None, None),
        "http://busy.test/a": (None, {"status": 503}, None, None, None)})
    findings = {f.url: f for f in store.run(PlacementSourceUnreachable)}
    assert sorted(findings) == ["http://busy.test/a", "http://gone.test/a"]
    assert findings["http://gone.test/a"].severity is Severity.ERROR
    assert findings["http://busy.test/a"].severity is Severity.WARNING


def test_missing_link_names_the_other_links_to_the_site(tmp_path):
    store = placements_store(tmp_path, {
        "http://lost.test/a": ({"links": [("https://clinic.test/", LINK)]}, {}, None, None, None)})
    findings = store.run(PlacementMissing)
    assert urls(findings) == ["http://lost.test/a"]
    assert findings[0].evidence["links_to_site"][0]["target"] == "https://clinic.test/"


def test_link_matches_through_host_variants_and_the_targets_redirects(tmp_path):
    moved = "https://clinic.test/old-implants"

    def plant(store):
        store.redirect(moved, TARGET)

    store = placements_store(tmp_path, {
        "http://variant.test/a": ({"links": [("http://www.clinic.test/implants", LINK)]}, {},
                                  None, None, None),
        "http://final.test/a": ({"links": [(TARGET, LINK)]}, {}, moved, None, None)},
        targets={moved: plant})
    assert store.run(PlacementMissing) == []


def test_not_followed_unless_agreed(tmp_path):
    store = placements_store(tmp_path, {
        "http://nofollow.test/a": ({"links": [(TARGET, {**LINK, "rel": "nofollow"})]}, {},
                                   None, None, None),
        "http://paid.test/a": ({"links": [(TARGET, {**LINK, "rel": "sponsored"})]}, {},
                               None, None, "sponsored"),
        "http://meta.test/a": ({"meta_robots": "nofollow", "links": [(TARGET, LINK)]}, {},
                               None, None, None)})
    assert urls(store.run(PlacementNotFollowed)) == ["http://meta.test/a",
                                                     "http://nofollow.test/a"]


def test_moved_into_boilerplate(tmp_path):
    store = placements_store(tmp_path, {
        "http://footer.test/a": ({"links": [(TARGET, {**LINK, "region": "footer"})]}, {},
                                 None, None, None)})
    assert urls(store.run(PlacementInBoilerplate)) == ["http://footer.test/a"]


def test_anchor_changed_against_the_agreed_one(tmp_path):
    store = placements_store(tmp_path, {
        "http://edited.test/a": ({"links": [(TARGET, {**LINK, "anchor": "our partner"})]}, {},
                                 None, "Dental implants", None),
        "http://spaced.test/a": ({"links": [(TARGET, {**LINK, "anchor": "dental  Implants"})]},
                                 {}, None, "Dental implants", None)})
    findings = store.run(PlacementAnchorChanged)
    assert urls(findings) == ["http://edited.test/a"]
    assert findings[0].evidence["found_anchors"] == ["our partner"]


def test_source_not_indexable(tmp_path):
    store = placements_store(tmp_path, {
        "http://noindex.test/a": ({"meta_robots": "noindex", "links": [(TARGET, LINK)]}, {},
                                  None, None, None),
        "http://blocked.test/a": (None, {"status": None, "error": "robots-blocked",
                                         "fetched": False}, None, None, None)})
    assert urls(store.run(PlacementPageNotIndexable)) == ["http://blocked.test/a",
                                                          "http://noindex.test/a"]


def test_target_broken_and_redirecting(tmp_path):
    dead, chain, temp, single = (f"https://clinic.test/{name}" for name in
                                 ("dead", "chain", "temp", "single"))

    def plant(store):
        store.fetch(dead, status=404)
        store.redirect(chain, "https://clinic.test/chain2")
        store.redirect("https://clinic.test/chain2", TARGET)
        store.redirect(temp, TARGET, status=302)
        store.redirect(single, TARGET)

    store = placements_store(tmp_path, {
        f"http://{name}.test/a": ({"links": [(url, LINK)]}, {}, url, None, None)
        for name, url in (("dead", dead), ("chain", chain), ("temp", temp),
                          ("single", single))}, targets={"": plant})
    assert urls(store.run(PlacementTargetBroken)) == ["http://dead.test/a"]
    assert urls(store.run(PlacementTargetRedirects)) == ["http://chain.test/a",
                                                         "http://temp.test/a"]


def test_finding_ids_are_the_placements_across_runs(tmp_path):
    first = placements_store(tmp_path / "1", {
        "http://lost.test/a": ({"links": []}, {}, None, None, None)}).run(PlacementMissing)
    second = placements_store(tmp_path / "2", {
        "http://lost.test/a": ({"links": []}, {}, None, None, None)}).run(PlacementMissing)
    assert [f.id for f in first] == [f.id for f in second] and len(first) == 1


def test_agreed_qualifier_dropped(tmp_path):
    from readiness.rules.placements import PlacementQualifierDropped

    store = placements_store(tmp_path, {
        "http://paid.test/a": ({"links": [(TARGET, LINK)]}, {}, None, None, "sponsored"),
        "http://kept.test/a": ({"links": [(TARGET, {**LINK, "rel": "sponsored noopener"})]}, {},
                               None, None, "sponsored")})
    findings = store.run(PlacementQualifierDropped)
    assert urls(findings) == ["http://paid.test/a"]
    assert findings[0].message == ("agreed sponsored, the link carries no rel: a followed paid "
                                   "link is a link scheme")
