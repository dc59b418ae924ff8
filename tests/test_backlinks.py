"""Backlinked pages (issue 12 §1): `readiness backlinks EXPORT... --site URL` reads the
exports, maps the production targets through crawl.host_map onto a real loopback site,
fetches exactly those targets hop by hop, and the BKL rules give each its verdict, ranked by
referring domains; the live, indexable twins are not flagged. `check` with `backlinks:` in
the rule file seeds the targets into a full crawl, so an orphan target is fetched and judged."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from conftest import REPO, TEST_PROBE

from readiness.demo.server import SiteServer
from readiness.store import open_store
from readiness.words import plural

PRODUCTION = "https://www.example-clinic.test"
PAGE = ("<html lang=en><head><title>{title} at the clinic</title>{head}</head>"
        "<body><h1>{title}</h1><p>{title} text.</p>{links}</body></html>")


def page(title: str, *links: str, head: str = "") -> dict:
    anchors = "".join(f'<a href="{href}">{href}</a>' for href in links)
    return {"body": PAGE.format(title=title, head=head, links=anchors)}


MANIFEST = {
    "hosts": {"site": "127.0.0.1", "ext_a": "127.0.0.2"},
    "refused": ["shop"],          # a second host of the site that accepts no connection
    "routes": {"site": {
        "/robots.txt": {"body": "User-agent: *\nDisallow: /blocked/\n",
                        "content_type": "text/plain"},
        "/": page("Home", "/live", "/noindex-page", "/live-end", "/dead", "/gone"),
        "/live": page("Live", "/"),
        "/live-end": page("Live end", "/"),
        "/dead": {"status": 404, "body": "not found"},
        "/gone": {"status": 410, "body": "gone"},
        "/server-error": {"status": 503, "body": "down"},
        "/members/offer": page("Members"),
        "/orphan-dead": {"status": 404, "body": "not found"},
        "/chain": {"status": 301, "location": "/chain-2"},
        "/chain-2": {"status": 301, "location": "/live-end"},
        "/temp": {"status": 302, "location": "/live-end"},
        "/one-hop": {"status": 301, "location": "/live-end"},
        "/noindex-page": page("Noindex", "/", head="<meta name=robots content=noindex>"),
        "/canonical-elsewhere": page("Copy", "/",
                                     head=f"<link rel=canonical href='http://${{site}}/live'>"),
        "/blocked/page": page("Blocked"),
        "/moved-away": {"status": 301, "location": "http://${ext_a}/gone"},
        "/moved-ok": {"status": 301, "location": "http://${ext_a}/ok"},
    }, "ext_a": {
        "/gone": {"status": 404, "body": "not found"},
        "/ok": page("New home of the page"),
    }},
}

# (target path, referring hosts, anchor): one Ahrefs row per referring host.
AHREFS_ROWS = [
    ("/dead", 5, "dental implants"), ("/chain", 3, "whitening guide"),
    ("/noindex-page", 4, "book online"), ("/temp", 2, "spring offer"),
    ("/canonical-elsewhere", 1, "copy"), ("/live", 2, "the clinic"),
    ("/one-hop", 1, "moved page"), ("/gone", 1, "old team page"),
    ("/server-error", 2, "price list"), ("/members/offer", 1, "members"),
    ("/moved-away", 6, "moved away"), ("/moved-ok", 6, "moved well"),
]
SHOP = "https://shop.example-clinic.test"
AHREFS_HEADER = ("Referring page title,Referring page URL,Target URL,Anchor,Nofollow,UGC,"
                 "Sponsored,First seen,Last seen")


def ahrefs_export(path, rows=AHREFS_ROWS, extra: str = "") -> None:
    lines = [AHREFS_HEADER]
    for target, hosts, anchor in rows:
        for n in range(hosts):
            lines.append(f"A post,https://ref{n}.example/post-{target.strip('/')},"
                         f"{PRODUCTION}{target},{anchor},false,false,false,"
                         f"2023-06-14 09:12:44,2024-03-02 18:40:01")
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n" + extra, encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "readiness.cli", *args], capture_output=True,
                          text=True, timeout=240, cwd=REPO)


def site_config(server: SiteServer, path, **extra) -> None:
    config = {"crawl": {"probe": dict(TEST_PROBE), "exclude": ["/members/*"],
                        "extra_hosts": [SHOP],
                        "host_map": {PRODUCTION: f"http://{server.netloc('site')}",
                                     SHOP: f"http://{server.netloc('shop')}"}}, **extra}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("backlinked-site")
    (root / "site.yaml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    with SiteServer(root) as running:
        yield running


@pytest.fixture(scope="module")
def backlinks_run(server, tmp_path_factory):
    root = tmp_path_factory.mktemp("backlinks")
    ahrefs = root / "ahrefs.csv"
    # A row naming another site's page: counted, never fetched.
    ahrefs_export(ahrefs, extra="A post,https://ref9.example/x,https://other.example/page,"
                                "other,false,false,false,2023-01-01,2024-01-01\r\n")
    url_list = root / "urls.txt"
    url_list.write_text(f"# from the agency's sheet\n{PRODUCTION}/blocked/page\n"
                        f"{PRODUCTION}/live\n{SHOP}/basket\n", encoding="utf-8")
    site_config(server, root / "rules.yaml")
    server.reset_log()
    result = run_cli("backlinks", str(ahrefs), str(url_list), "--site", f"{PRODUCTION}/",
                     "--config", str(root / "rules.yaml"), "--out", str(root / "run"),
                     "--reports-dir", str(root), "--quiet", "--format", "json")
    document = json.loads((root / "run" / "findings.json").read_text(encoding="utf-8"))
    return root, result, document, list(server.requests)


def by_rule(document, code: str) -> list[dict]:
    return [f for f in document["findings"] if f["rule"] == code]


def test_each_backlinked_target_gets_its_verdict_by_url(backlinks_run):
    _root, result, document, _requests = backlinks_run
    assert result.returncode == 1, result.stdout + result.stderr  # dead targets: errors
    url = lambda path: PRODUCTION + path  # noqa: E731 - findings name the production URLs
    # Most referring domains first; then by URL (the shop's URL-list row counts none).
    assert [f["url"] for f in by_rule(document, "BKL001")] == [
        url("/moved-away"), url("/dead"), url("/server-error"), url("/gone"), SHOP + "/basket"]
    away = by_rule(document, "BKL001")[0]
    assert "redirects off the site to http://" in away["message"] and "answers 404" in away["message"]
    refused = by_rule(document, "BKL001")[-1]
    assert "gives no response (refused)" in refused["message"]
    assert {f["url"] for f in by_rule(document, "BKL002")} == {url("/chain"), url("/temp")}
    assert {f["url"] for f in by_rule(document, "BKL003")} == {
        url("/noindex-page"), url("/canonical-elsewhere"), url("/blocked/page")}
    assert [f["url"] for f in by_rule(document, "BKL004")] == [url("/members/offer")]
    assert "not fetched (excluded)" in by_rule(document, "BKL004")[0]["message"]
    # The clean twins: live and indexable, directly or through one permanent hop.
    flagged = {f["url"] for f in document["findings"] if f["rule"].startswith("BKL")}
    assert not flagged & {url("/live"), url("/one-hop"), url("/live-end"), url("/moved-ok")}

    dead = by_rule(document, "BKL001")[1]
    assert dead["url"] == url("/dead")
    assert "link equity lost from 5 referring domains, needs a 301" in dead["message"]
    evidence = dead["evidence"]
    assert (evidence["referring_domains"], evidence["backlinks"]) == (5, 5)
    assert evidence["top_anchors"] == [{"anchor": "dental implants", "rows": 5}]
    assert evidence["exports"] == [{"export": "ahrefs.csv", "format": "ahrefs-backlinks",
                                    "rows": 5, "lines": [2, 3, 4, 5, 6]}]
    chain = next(f for f in by_rule(document, "BKL002") if f["url"] == url("/chain"))
    assert [hop["status"] for hop in chain["evidence"]["hops"]] == [301, 301]
    assert chain["evidence"]["final_url"] == url("/live-end")
    temp = next(f for f in by_rule(document, "BKL002") if f["url"] == url("/temp"))
    assert "temporary redirect (302)" in temp["message"]
    # The page is the subject, whatever its exports count ("1 referring domain want" once).
    referring = plural(temp["evidence"]["referring_domains"], "referring domain")
    assert temp["message"].endswith(f"; backlinked ({referring}), it wants one permanent hop"), \
        temp["message"]
    blocked = next(f for f in by_rule(document, "BKL003") if f["url"] == url("/blocked/page"))
    assert blocked["evidence"]["exports"][0]["format"] == "url-list"


def test_findings_rank_by_referring_domains(backlinks_run):
    _root, _result, document, _requests = backlinks_run
    not_indexable = [(f["url"], f["weight"]) for f in by_rule(document, "BKL003")]
    assert not_indexable == [(PRODUCTION + "/noindex-page", 4),
                             (PRODUCTION + "/canonical-elsewhere", 1),
                             (PRODUCTION + "/blocked/page", 0)]


def test_only_the_targets_are_fetched_and_the_rows_are_stored(backlinks_run, server):
    root, result, _document, requests = backlinks_run
    assert "not on this site: 1 row (other.example" in result.stdout
    fetched = {r.path for r in requests if r.method == "GET"}
    assert fetched == {"/robots.txt", "/dead", "/gone", "/chain", "/chain-2", "/temp",
                       "/one-hop", "/live-end", "/noindex-page", "/canonical-elsewhere",
                       "/live", "/server-error", "/moved-away", "/moved-ok"}
    # Not /, /blocked/page (robots.txt), /members/offer (crawl.exclude), nor what pages link to.
    with open_store(root / "run" / "crawl.sqlite") as store:
        rows = store.query("SELECT COUNT(*), COUNT(DISTINCT target_id) FROM backlinks").fetchone()
        raw = store.query("SELECT target_raw FROM backlinks b JOIN urls u ON u.id = b.target_id"
                          " WHERE u.url = ?", (server.url("site", "/dead"),)).fetchall()
        assert store.meta()["list_mode"] is True
    assert tuple(rows) == (34 + 3, 14)
    assert {r[0] for r in raw} == {PRODUCTION + "/dead"}


def test_a_bad_export_is_refused_with_the_readers_message(server, tmp_path):
    unknown = REPO / "tests" / "fixtures" / "backlink-exports" / "unknown-tool.csv"
    site_config(server, tmp_path / "rules.yaml")
    result = run_cli("backlinks", str(unknown), "--site", f"{PRODUCTION}/", "--config",
                     str(tmp_path / "rules.yaml"), "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--columns" in result.stderr and "From" in result.stderr
    assert "Traceback" not in result.stderr
    # A rule file naming an export that is not there: refused before anything is fetched.
    site_config(server, tmp_path / "missing.yaml", backlinks=["exports/missing.csv"])
    server.reset_log()
    result = run_cli("check", f"{PRODUCTION}/", "--config", str(tmp_path / "missing.yaml"),
                     "--out", str(tmp_path / "run2"), "--quiet")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{tmp_path / 'exports' / 'missing.csv'}: no such file" in result.stderr
    assert not server.requests


def test_check_with_backlinks_in_the_rule_file_seeds_the_targets(server, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    ahrefs_export(exports / "ahrefs.csv", [("/orphan-dead", 3, "old offer"),
                                           ("/live", 2, "the clinic")])
    site_config(server, tmp_path / "rules.yaml", backlinks=["exports/ahrefs.csv"])
    server.reset_log()
    result = run_cli("check", f"{PRODUCTION}/", "--config", str(tmp_path / "rules.yaml"),
                     "--out", str(tmp_path / "run"), "--reports-dir", str(tmp_path), "--quiet",
                     "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    # The orphan target no page links to is fetched, as a backlink seed, and judged.
    assert server.requests_for("site", "/orphan-dead", method="GET")
    assert server.requests_for("site", "/chain", method="GET") == []  # a full crawl, no list
    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        orphan = store.fetch(server.url("site", "/orphan-dead"))
        assert store.meta()["list_mode"] is False
    assert orphan["discovered_by"] == "backlink"
    document = json.loads((tmp_path / "run" / "findings.json").read_text(encoding="utf-8"))
    assert [f["url"] for f in by_rule(document, "BKL001")] == [PRODUCTION + "/orphan-dead"]
    assert not [f for f in document["findings"]
                if f["rule"].startswith("BKL") and f["url"] == PRODUCTION + "/live"]


def test_a_dead_page_both_backlinked_and_linked_names_both_kinds_of_reference(server, tmp_path):
    """/dead answers 404, is linked from the home page and backlinked: BKL001 names the
    internal link too, and STS001 stays beside it (disabling or scoping BKL001 must never
    leave a linked 404 unreported). Its twin /gone (410, linked, in no export) has STS001
    only."""
    ahrefs_export(tmp_path / "ahrefs.csv", [("/dead", 3, "dental implants"),
                                            ("/live", 2, "the clinic")])
    site_config(server, tmp_path / "rules.yaml", backlinks=["ahrefs.csv"])
    result = run_cli("check", f"{PRODUCTION}/", "--config", str(tmp_path / "rules.yaml"),
                     "--out", str(tmp_path / "run"), "--reports-dir", str(tmp_path), "--quiet",
                     "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads((tmp_path / "run" / "findings.json").read_text(encoding="utf-8"))
    on_dead = sorted(f["rule"] for f in document["findings"] if f["url"] == PRODUCTION + "/dead"
                     and f["severity"] == "error")
    assert on_dead == ["BKL001", "STS001"]
    dead = by_rule(document, "BKL001")[0]
    assert dead["message"].endswith("needs a 301; also still linked from 1 page")
    assert dead["evidence"]["internal_references"]["linking_pages"] == 1
    assert sorted(f["url"] for f in by_rule(document, "STS001")) == [PRODUCTION + "/dead",
                                                                      PRODUCTION + "/gone"]
    assert not [f for f in by_rule(document, "BKL001") if f["url"] == PRODUCTION + "/gone"]


def test_backlinks_key_paths_are_relative_to_the_file_naming_them(tmp_path):
    from readiness.config import ConfigError
    from readiness.rules.settings import load_config

    (tmp_path / "sites").mkdir()
    parent = tmp_path / "base.yaml"
    parent.write_text("extends: default\nbacklinks:\n  - exports/ahrefs.csv\n"
                      "  - {file: exports/tool.csv, columns: 'target=To,source=From'}\n",
                      encoding="utf-8")
    inherits = tmp_path / "sites" / "inherits.yaml"
    inherits.write_text("extends: ../base.yaml\n", encoding="utf-8")
    replaces = tmp_path / "sites" / "replaces.yaml"
    replaces.write_text("extends: ../base.yaml\nbacklinks: [gsc.csv]\n", encoding="utf-8")
    assert [(b.file, b.columns) for b in load_config(parent).backlinks] == [
        (str(tmp_path / "exports" / "ahrefs.csv"), None),
        (str(tmp_path / "exports" / "tool.csv"), "target=To,source=From")]
    assert load_config(inherits).backlinks == load_config(parent).backlinks
    assert [b.file for b in load_config(replaces).backlinks] == [
        str(tmp_path / "sites" / "gsc.csv")]
    assert load_config(None).backlinks == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("backlinks:\n  - {path: a.csv}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml:2"):
        load_config(bad)


def test_an_export_from_stdin_is_refused_with_the_fix():
    result = run_cli("backlinks", "-", "--site", "http://127.0.0.1:9/")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "readiness: error: -: a backlink export is read from its file, not stdin" \
        in result.stderr


def test_a_backlinks_run_is_compared_with_the_last_backlinks_run_not_a_full_check(server,
                                                                                  tmp_path):
    """Both write into the site's reports folder; a list of targets compared with a whole-site
    crawl would call every page it did not fetch "fixed". The twin: the second backlinks run
    is compared with the first."""
    ahrefs_export(tmp_path / "ahrefs.csv", [("/dead", 2, "implants"), ("/live", 1, "home")])
    site_config(server, tmp_path / "rules.yaml")
    common = ("--config", str(tmp_path / "rules.yaml"), "--reports-dir", str(tmp_path),
              "--quiet", "--format", "json")
    check = run_cli("check", f"{PRODUCTION}/", "--out", str(tmp_path / "check"), *common)
    assert check.returncode == 1, check.stdout + check.stderr

    def backlinks(name):
        result = run_cli("backlinks", str(tmp_path / "ahrefs.csv"), "--site", f"{PRODUCTION}/",
                         "--out", str(tmp_path / name), *common)
        assert result.returncode == 1, result.stdout + result.stderr
        return json.loads((tmp_path / name / "findings.json").read_text(encoding="utf-8"))

    first = backlinks("first")
    assert first["previous"] is None
    second = backlinks("second")
    assert second["previous"]["against"]["run_id"] == first["run"]["run_id"]
    assert second["previous"]["counts"]["fixed"] == 0
