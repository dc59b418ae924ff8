"""Stage 3 on the fixture site: every planted defect found by the right rule at the right URL
with its evidence, and the named clean pages free of error findings (PLANTED.md)."""

from __future__ import annotations

import pytest

from readiness.rules.base import Severity

PLANTED = [
    ("RDR001", "/redirects/chain-2-start"),
    ("RDR001", "/redirects/chain-3-start"),
    ("RDR002", "/redirects/loop-a"),
    ("RDR003", "/redirects/to-404"),
    ("RDR003", "/redirects/to-linked-404"),
    ("RDR004", "/redirects/temporary-302"),
    ("RDR005", "/redirects/meta-refresh"),
    ("STS001", "/errors/not-found"),
    ("STS001", "/errors/gone"),
    ("STS001", "/sitemap-only/missing"),
    ("STS002", "/errors/server-error"),
    ("STS003", "/redirects/single-301"),
    ("CAN002", "/canonical/to-404"),
    ("CAN003", "/canonical/to-redirect"),
    ("CAN006", "/canonical/conflicting-html"),
    ("CAN006", "/canonical/header-mismatch"),
    ("CAN007", "/canonical/relative"),
    ("CAN012", "/canonical/pushed-out"),
    ("DUP001", "/content/duplicate-a"),
    ("IDX001", "/indexing/noindex-meta"),
    ("IDX001", "/indexing/noindex-header"),
    ("IDX002", "/private/secret-page"),
    ("IDX004", "/indexing/noindex-meta"),
    ("IDX004", "/sitemap-only/missing"),
    ("IDX004", "/sitemap-only/moved"),
    ("IDX006", "/sitemap-only/orphan"),
    ("SD001", "/structured/json-ld-invalid"),
]


@pytest.mark.parametrize("code,path", PLANTED)
def test_planted_defect_found(found, u, code, path):
    assert (code, u(path)) in found, f"{code} not reported at {path}"


@pytest.mark.parametrize("code,host,path", [
    ("LNK001", "ext_a", "/missing"), ("LNK001", "ext_a", "/gone"), ("LNK001", "ext_dead", "/x"),
    ("LNK002", "ext_b", "/bot-wall"), ("LNK003", "ext_a", "/server-error"),
    ("LNK004", "ext_b", "/slow"), ("LNK005", "ext_a", "/moved"),
])
def test_planted_outbound_defect_found(found, u, code, host, path):
    assert (code, u(path, host)) in found


def test_evidence_names_sources_hops_and_members(found, u):
    broken = found[("STS001", u("/errors/not-found"))]
    sources = {link["source"] for link in broken.evidence["inbound_links"]}
    assert {u("/"), u("/errors/"), u("/content/")} <= sources
    assert broken.weight >= 3
    chain = found[("RDR001", u("/redirects/chain-3-start"))]
    assert [hop["url"] for hop in chain.evidence["hops"]] == [
        u("/redirects/chain-3-start"), u("/redirects/chain-3-hop-1"), u("/redirects/chain-3-hop-2")]
    assert chain.evidence["fix"] == f"link straight to {u('/redirects/chain-3-end')}"
    outbound = found[("LNK001", u("/missing", "ext_a"))]
    assert outbound.evidence["inbound_links"][0]["source"] == u("/outbound/")
    duplicate = found[("DUP001", u("/content/duplicate-a"))]
    members = [member["url"] for member in duplicate.evidence["members"]]
    assert sorted(members) == [u("/content/duplicate-a"), u("/content/duplicate-b")]
    assert duplicate.evidence["similarity"] == 1.0


CLEAN = ["/clean/about", "/clean/services", "/clean/contact", "/clean/privacy",
         "/canonical/self", "/canonical/target", "/redirects/chain-2-end",
         "/redirects/chain-3-end", "/redirects/single-301-target",
         "/redirects/temporary-302-target", "/redirects/meta-refresh-target",
         "/structured/json-ld-clinic", "/structured/microdata", "/html/regions",
         "/content/similar-a", "/content/similar-b"]


@pytest.mark.parametrize("path", CLEAN)
def test_clean_page_has_no_error_or_warning(analysis, u, path):
    flagged = [(f.rule, f.severity.value) for f in analysis.findings
               if f.url == u(path) and f.severity.rank >= Severity.WARNING.rank]
    assert flagged == []


REDIRECT_RULES = ("RDR001", "RDR002", "RDR003", "RDR004")
LINK_RULES = ("LNK001", "LNK002", "LNK003", "LNK004", "LNK005", "LNK006")


def except_(*codes):
    return tuple(code for code in LINK_RULES if code not in codes)


# Outbound clean twins (PLANTED.md, "Outbound links"): each with the LNK rules its probe verdict
# rules out. /ok, /popular and /no-head (405 to HEAD, 200 to GET) are fine for every rule, and
# so is /rate-limited (429 then 200: ok after one retry); /moved is the LNK005 plant and the 403
# bot wall the LNK002 plant, so each is free of every other LNK rule. (The site is http, so
# LNK006, judged on https pages only, never applies.)
OUTBOUND_TWINS = [
    ("ext_a", "/ok", LINK_RULES),
    ("ext_a", "/moved", except_("LNK005")),
    ("ext_a", "/rate-limited", LINK_RULES),
    ("ext_b", "/popular", LINK_RULES),
    ("ext_b", "/no-head", LINK_RULES),
    ("ext_b", "/bot-wall", except_("LNK002")),
]


@pytest.mark.parametrize("host,path,codes", OUTBOUND_TWINS)
def test_clean_outbound_twin_not_flagged(found, u, host, path, codes):
    flagged = [code for code in codes if (code, u(path, host)) in found]
    assert flagged == [], f"{host}{path} flagged by {flagged}"


@pytest.mark.parametrize("code,path", [
    ("CAN007", "/canonical/self"),   # an absolute self-canonical is not relative
    ("CAN012", "/canonical/self"),   # and it is inside <head>
])
def test_clean_canonical_twin_not_flagged(found, u, code, path):
    assert (code, u(path)) not in found


def test_clean_twins_of_outbound_and_redirect_defects(analysis, found, u):
    # A single permanent redirect is no chain, loop, redirect to an error or temporary
    # redirect (STS003, "internal link to a redirect", is its planted finding); similar pages
    # sharing boilerplate are not near-duplicates.
    single = u("/redirects/single-301")
    assert not [f for f in analysis.findings if f.url == single
                and f.severity is Severity.ERROR]
    assert [code for code in REDIRECT_RULES if (code, single) in found] == []
    for path, host in [("/moved", "ext_a"), ("/ok", "ext_a"), ("/bot-wall", "ext_b"),
                       ("/no-head", "ext_b"), ("/rate-limited", "ext_a"), ("/popular", "ext_b")]:
        assert ("LNK001", u(path, host)) not in found
    near = [f for f in analysis.findings if f.rule in ("DUP001", "DUP002")]
    assert all(u("/content/similar-a") not in str(f.evidence) for f in near)


def test_a_404_reached_only_through_a_redirect_is_reported_once_where_it_is_linked(analysis, u):
    target = u("/redirects/to-404-target")
    # One finding, on the URL the link points at, with the target in its evidence; no page
    # rule reports the target again as a broken page nothing links to.
    # (The redirect map's row, RDM001, is the fix beside the report: it names the same URL.)
    reports = [f for f in analysis.findings if f.family != "redirectmap"]
    assert [f.rule for f in reports if f.url == target] == []
    (redirect,) = [f for f in reports if f.url == u("/redirects/to-404")]
    (row,) = [f for f in analysis.findings if f.rule == "RDM001" and f.url == redirect.url]
    assert row.evidence["dead_url"] == target
    assert redirect.rule == "RDR003"
    assert (redirect.evidence["final_url"], redirect.evidence["final_status"]) == (target, 404)
    sources = [link["source"] for link in redirect.evidence["inbound_links"]]
    # The hub links it (its /index.html variant, when the crawl samples that template, too:
    # variant pages are issue 9's probe-only URLs, another change).
    assert sources[0] == u("/redirects/") and set(sources) <= {
        u("/redirects/"), u("/redirects/index.html")}


def test_a_404_linked_directly_and_through_a_redirect_is_reported_on_both(found, u):
    # The twin: /errors/not-found is linked by pages itself, so it stays a broken page of its
    # own, and the redirect that also leads there is reported where it is linked.
    via = found[("RDR003", u("/redirects/to-linked-404"))]
    assert via.evidence["final_url"] == u("/errors/not-found")
    broken = found[("STS001", u("/errors/not-found"))]
    assert broken.evidence["redirected_from"] == [u("/redirects/to-linked-404")]
