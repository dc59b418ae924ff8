"""List mode (issue 12 §5): `readiness check --list FILE|-` fetches exactly the listed URLs on
a real loopback site (their redirects hop by hop, robots.txt obeyed), follows no link, reads
no sitemap, and the rules that need the whole site stay out of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TEST_PROBE

from readiness.demo.server import SiteServer
from readiness.store import open_store

PAGE = ("<html lang=en><head><title>{title} page of the practice</title>"
        "<meta name=viewport content='width=device-width'>"
        "<meta name=description content='{title}: what the practice offers, how to book.'>"
        "</head><body><h1>{title}</h1><p>{title} text.</p>{links}</body></html>")


def page(title: str, *links: str) -> dict:
    anchors = "".join(f'<a href="{href}">{href}</a>' for href in links)
    return {"body": PAGE.format(title=title, links=anchors)}


MANIFEST = {
    "hosts": {"site": "127.0.0.1", "ext_a": "127.0.0.2"},
    "routes": {
        "site": {
            "/robots.txt": {"body": "User-agent: *\nDisallow: /private/\n"
                                    "Sitemap: http://${site}/sitemap.xml\n",
                            "content_type": "text/plain"},
            "/sitemap.xml": {"body": "<?xml version='1.0'?><urlset xmlns="
                                     "'http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>"
                                     "http://${site}/in-sitemap</loc></url></urlset>",
                             "content_type": "application/xml"},
            "/": page("Home", "/listed-a", "/linked-only"),
            "/listed-a": page("Listed A", "/not-listed", "/listed-b", "http://${ext_a}/out"),
            "/listed-b": page("Listed B", "/listed-a"),
            "/moved": {"status": 301, "location": "/hop"},
            "/hop": {"status": 301, "location": "/final"},
            "/final": page("Final", "/listed-a"),
            "/gone": {"status": 404, "body": "gone"},
            "/private/page": page("Private"),
            "/not-listed": page("Not listed"),
            "/linked-only": page("Linked only"),
            "/in-sitemap": page("In sitemap"),
        },
        "ext_a": {"/out": page("Outside")},
    },
}
LISTED = ["/listed-a", "/listed-b", "/moved", "/gone", "/private/page"]


def run_check(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "readiness.cli", "check", *args],
                          capture_output=True, text=True, timeout=180, cwd=REPO, input=stdin)


def list_text(server: SiteServer) -> str:
    lines = ["# pages to check after the migration", ""]
    lines += [f"  {server.url('site', path)}  " for path in LISTED]
    lines.append(server.url("site", "/listed-a"))  # listed twice: fetched once
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def listed_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("list-mode")
    (root / "site").mkdir()
    (root / "site" / "site.yaml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    config = root / "rules.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    with SiteServer(root / "site") as server:
        listing = root / "urls.txt"
        listing.write_text(list_text(server), encoding="utf-8")
        result = run_check("--list", str(listing), "--config", str(config),
                           "--out", str(root / "run"), "--reports-dir", str(root), "--quiet",
                           "--format", "json")
        yield server, root, result, list(server.requests)


def get_paths(requests, host: str = "site") -> set[str]:
    return {r.path for r in requests if r.host == host and r.method == "GET"}


def test_exactly_the_listed_urls_and_their_redirects_are_fetched(listed_run):
    server, root, result, requests = listed_run
    # The 404 listed is an error finding: the gate fails (1), it is not inconclusive.
    assert result.returncode == 1, result.stdout + result.stderr
    assert get_paths(requests) == {"/robots.txt", "/listed-a", "/listed-b", "/moved", "/hop",
                                   "/final", "/gone"}
    # Linked from a listed page, listed in the sitemap, linked from the home page, outside:
    # none of them fetched; robots.txt-disallowed: not fetched either.
    assert not get_paths(requests, "ext_a")
    assert len([r for r in requests if r.path == "/listed-a"]) == 1
    with open_store(root / "run" / "crawl.sqlite") as store:
        meta = store.meta()
        assert meta["list_mode"] is True
        by_url = {server.url("site", path): store.fetch(server.url("site", path))
                  for path in [*LISTED, "/hop", "/final"]}
        edge = store.query(
            "SELECT COUNT(*) FROM links JOIN urls s ON s.id = links.source_id "
            "JOIN urls t ON t.id = links.target_id WHERE s.url = ? AND t.url = ?",
            (server.url("site", "/listed-a"), server.url("site", "/not-listed"))).fetchone()[0]
        assert store.fetch(server.url("site", "/not-listed")) is None
    assert edge == 1  # the link is recorded as an edge, its target not fetched
    discovered = {url: row["discovered_by"] for url, row in by_url.items()}
    assert discovered == {**{server.url("site", p): "list" for p in LISTED},
                          server.url("site", "/hop"): "redirect",
                          server.url("site", "/final"): "redirect"}
    private = by_url[server.url("site", "/private/page")]
    assert (private["fetched"], private["error"]) == (0, "robots-blocked")
    assert by_url[server.url("site", "/gone")]["status"] == 404


def test_page_rules_judge_the_listed_urls_and_whole_site_rules_do_not_run(listed_run):
    server, root, _result, _requests = listed_run
    document = json.loads((root / "run" / "findings.json").read_text(encoding="utf-8"))
    found = {(f["rule"], f["url"]) for f in document["findings"]}
    url = lambda path: server.url("site", path)  # noqa: E731
    assert ("STS001", url("/gone")) in found                 # the listed 404
    gone = next(f for f in document["findings"] if (f["rule"], f["url"]) == ("STS001", url("/gone")))
    assert gone["message"] == "answers 404 and is a listed URL"
    assert ("RDR001", url("/moved")) in found                # the listed chain, hop by hop
    assert ("IDX002", url("/private/page")) in found         # listed, robots-blocked
    # The clean twins: a listed live page and the chain's end are not broken or blocked.
    for clean in ("/listed-a", "/listed-b", "/final"):
        assert not [rule for rule, at in found if at == url(clean)
                    and rule[:3] in ("STS", "RDR", "IDX")], clean
    not_run = {r["code"]: r.get("not_run") for r in document["rules"]}
    for code in ("IDX005", "IDX006", "ONP011", "ONP012", "SD003"):
        assert not_run[code] and "list mode" in not_run[code]
        assert not [rule for rule, _at in found if rule == code]
    assert not_run["STS001"] is None
    # No sitemap was read, and that is not reported as a missing one.
    assert not [f for f in document["findings"]
                if f["rule"] == "IDX007" and f.get("subject", "") == "sitemap"]
    assert not [f for f in document["findings"] if f["rule"] == "IDX007"]
    assert "list mode" in (document["summary"]["outbound"]["note"] or "")


def test_stdin_list_and_bad_lists(listed_run, tmp_path):
    server, root, _result, _requests = listed_run
    server.reset_log()
    listing = server.url("site", "/listed-b") + "\n"
    result = run_check("--list", "-", "--config", str(root / "rules.yaml"), "--out",
                       str(tmp_path / "stdin"), "--reports-dir", str(tmp_path), "--quiet",
                       "--format", "json", stdin=listing)
    assert result.returncode == 0, result.stdout + result.stderr
    assert get_paths(server.requests) == {"/robots.txt", "/listed-b"}

    # Saved by Excel as "Unicode text": UTF-16 with its BOM, CRLF.
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(("# listed\r\n" + server.url("site", "/listed-b") + "\r\n").encode("utf-16"))
    server.reset_log()
    result = run_check("--list", str(utf16), "--config", str(root / "rules.yaml"), "--out",
                       str(tmp_path / "utf16"), "--reports-dir", str(tmp_path), "--quiet",
                       "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert get_paths(server.requests) == {"/robots.txt", "/listed-b"}

    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n", encoding="utf-8")
    result = run_check("--list", str(empty), "--out", str(tmp_path / "empty"), "--quiet")
    assert result.returncode == 2
    assert f"--list {empty}: no URL in it" in result.stderr and "Traceback" not in result.stderr

    bad = tmp_path / "bad.txt"
    bad.write_text(server.url("site", "/listed-a") + "\nwww.clinic.example/about\n",
                   encoding="utf-8")
    result = run_check("--list", str(bad), "--out", str(tmp_path / "bad"), "--quiet")
    assert result.returncode == 2
    assert f"--list {bad}, line 2: 'www.clinic.example/about' is not an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr

    result = run_check("--list", str(tmp_path / "missing.txt"), "--quiet")
    assert result.returncode == 2 and "cannot read it" in result.stderr
    assert not server.requests_for("site", "/listed-a")  # nothing fetched for a bad list


def test_a_list_of_unreachable_urls_is_inconclusive(tmp_path):
    refused = {"hosts": {"site": "127.0.0.1"}, "refused": ["dead"], "routes": {"site": {}}}
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "site.yaml").write_text(yaml.safe_dump(refused), encoding="utf-8")
    with SiteServer(tmp_path / "site") as server:
        listing = tmp_path / "urls.txt"
        listing.write_text(server.url("dead", "/a") + "\n", encoding="utf-8")
        result = run_check("--list", str(listing), "--out", str(tmp_path / "run"),
                           "--reports-dir", str(tmp_path), "--quiet", "--format", "json")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "none of the 1 listed URLs answered" in result.stderr


def test_list_urls_in_the_yaml_must_be_urls(tmp_path):
    config = tmp_path / "rules.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"list_urls": ["/about"]}}), encoding="utf-8")
    result = run_check("--config", str(config), "http://127.0.0.1:9/", "--quiet")
    assert result.returncode == 2
    assert "'/about' is not an http(s) URL" in result.stderr
    assert Path(config).is_file()
