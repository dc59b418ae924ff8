"""Redirect rules on hand-built stores: each planted defect and its clean twin."""

from rule_helpers import urls

from readiness.rules.redirects import (
    MetaRefreshRedirect,
    RedirectChain,
    RedirectLoop,
    RedirectToError,
    TemporaryRedirect,
)
from readiness.testing import StoreBuilder


def test_chain_of_two_hops_is_reported_at_its_entry_with_every_hop(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/a", {"anchor": "Offers"}), "/single"])
    store.redirect("/a", "/b")
    store.redirect("/b", "/c")
    store.page("/c")
    store.redirect("/single", "/c")  # clean twin: one hop
    findings = store.run(RedirectChain)
    assert urls(findings) == ["http://site.test/a"]
    evidence = findings[0].evidence
    assert [h["url"] for h in evidence["hops"]] == ["http://site.test/a", "http://site.test/b"]
    assert evidence["final_url"] == "http://site.test/c"
    assert evidence["fix"] == "link straight to http://site.test/c"
    assert evidence["inbound_links"][0]["anchor"] == "Offers"


def test_chain_option_max_hops(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/a"])
    store.redirect("/a", "/b")
    store.redirect("/b", "/c")
    store.page("/c")
    assert store.run(RedirectChain, max_hops=2) == []


def test_loop_reported_once_with_its_members(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/loop-a", "/loop-b", "/ok"])
    store.redirect("/loop-a", "/loop-b")
    store.redirect("/loop-b", "/loop-a")
    store.redirect("/ok", "/")
    findings = store.run(RedirectLoop)
    assert len(findings) == 1
    assert findings[0].url in ("http://site.test/loop-a", "http://site.test/loop-b")
    assert store.run(RedirectChain) == []


def test_redirect_to_404_and_to_broken_outbound(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/to-404", "/to-ext", "/to-ok-ext", "/fine"])
    store.redirect("/to-404", "/gone")
    store.fetch("/gone", status=404)
    store.redirect("/to-ext", "http://ext.test/missing")
    store.probe("http://ext.test/missing", "broken", status=404)
    store.redirect("/to-ok-ext", "http://ext.test/ok")
    store.probe("http://ext.test/ok", "ok", status=200)
    store.redirect("/fine", "/")
    assert urls(store.run(RedirectToError)) == ["http://site.test/to-404", "http://site.test/to-ext"]


def test_temporary_redirect_and_allow_option(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/temp", "/login", "/perm"])
    store.redirect("/temp", "/", status=302)
    store.redirect("/login", "/", status=307)
    store.redirect("/perm", "/", status=301)
    assert urls(store.run(TemporaryRedirect)) == ["http://site.test/login", "http://site.test/temp"]
    assert urls(store.run(TemporaryRedirect, allow=["*/login"])) == ["http://site.test/temp"]


def test_meta_refresh(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/refresh", "/reload"])
    store.page("/refresh", meta_refresh="0; url=/")
    store.page("/reload", meta_refresh="30")
    assert urls(store.run(MetaRefreshRedirect)) == ["http://site.test/refresh"]


def test_unlinked_intermediate_hops_are_not_reported_separately(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/a"])
    store.redirect("/a", "/b")
    store.redirect("/b", "/c")
    store.redirect("/c", "/d")
    store.page("/d")
    assert urls(store.run(RedirectChain)) == ["http://site.test/a"]


def test_temporary_hop_shared_by_two_chains_is_reported_once(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/a", "/b"])
    store.redirect("/a", "/shared")
    store.redirect("/b", "/shared")
    store.redirect("/shared", "/end", status=302)
    store.page("/end")
    assert urls(store.run(TemporaryRedirect)) == ["http://site.test/shared"]


def test_temporary_redirect_allow_path_glob_matches_urls_with_a_query(tmp_path):
    store = StoreBuilder(tmp_path, start_url="https://site.test/")
    store.page("/", links=["/login?x=1"])
    store.redirect("/login?x=1", "/", status=302)
    assert urls(store.run(TemporaryRedirect)) == ["https://site.test/login?x=1"]
    assert store.run(TemporaryRedirect, allow=["/login*"]) == []
