"""readiness prospects: other sites' pages (127.0.0.2/.3) vetted by a polite list-mode crawl.

Every verdict is asserted by URL, with the good prospect (its clean twin) worth asking; the
politeness is asserted from the servers' request log: robots.txt first, one request at a time
per host, a disallowed page never fetched, nothing beyond the listed pages.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import yaml
from conftest import REPO, TEST_PROBE, run_cli

from readiness.demo.server import SiteServer
from readiness.inputs.prospects import read_prospects
from readiness.inputs.tables import InputError

OUTSIDE_SITE = REPO / "tests" / "outside_site"
# Each listed page, by what it plants, and its verdict.
VERDICTS = {
    ("pub_a", "/good"): "worth asking",
    ("pub_a", "/fan"): "worth asking",          # links to the site already (not a weakness)
    ("pub_a", "/noindex"): "avoid",
    ("pub_a", "/gone"): "avoid",
    ("pub_a", "/private/page"): "avoid",        # disallowed by pub_a's robots.txt
    ("pub_a", "/farm"): "avoid",
    ("pub_a", "/nofollow"): "weak",
    ("pub_a", "/footer-only"): "weak",
    ("pub_a", "/german"): "weak",
    ("pub_b", "/canonical"): "avoid",
    ("pub_b", "/many"): "weak",
}
# The rule that makes each page what it is (the good ones: none but PRS008 for /fan).
RULES = {"/noindex": "PRS002", "/gone": "PRS001", "/private/page": "PRS002", "/farm": "PRS003",
         "/nofollow": "PRS005", "/footer-only": "PRS006", "/german": "PRS007",
         "/canonical": "PRS002", "/many": "PRS004", "/fan": "PRS008"}
PAUSE = 0.3  # tests/outside_site/site.yaml: every publisher page answers after it


@pytest.fixture(scope="module")
def server():
    with SiteServer(OUTSIDE_SITE) as running:
        yield running


@pytest.fixture(scope="module")
def run(server, tmp_path_factory):
    base = tmp_path_factory.mktemp("prospects")
    lines = ["# prospects for the clinic, from the outreach sheet", ""]
    lines += [server.url(host, path) for host, path in VERDICTS]
    lines.insert(4, "not a url at all")
    listing = base / "p.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = base / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    server.reset_log()
    out = base / "run"
    result = run_cli("prospects", str(listing), "--site", server.url("site"), "--config",
                     str(config), "--out", str(out), "--reports-dir", str(base), "--quiet")
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return result, out, document, list(server.requests)


def rows_by_url(document) -> dict[str, dict]:
    return {row["url"]: row for row in document["outside"]["rows"]}


def test_every_verdict_by_url_with_the_good_prospect_worth_asking(run, server):
    result, _out, document, _requests = run
    assert result.returncode == 0, result.stderr
    rows = rows_by_url(document)
    assert {url: row["verdict"] for url, row in rows.items()} == {
        server.url(host, path): verdict for (host, path), verdict in VERDICTS.items()}
    assert rows[server.url("pub_a", "/good")]["reasons"] == []
    good = rows[server.url("pub_a", "/good")]
    assert (good["lang"], good["outbound_links"], good["outbound_nofollow"],
            good["outbound_in_main"]) == ("en", 2, 0, 2)


def test_each_planted_sign_is_its_rule_and_nothing_else_flags_the_good_page(run, server):
    _result, _out, document, _requests = run
    found: dict[str, set[str]] = {}
    for finding in document["findings"]:
        found.setdefault(finding["url"], set()).add(finding["rule"])
    for (host, path) in VERDICTS:
        url = server.url(host, path)
        expected = {RULES[path]} if path in RULES else set()
        assert expected <= found.get(url, set()), (url, found.get(url))
    assert server.url("pub_a", "/good") not in found
    fan = [f for f in document["findings"] if f["rule"] == "PRS008"]
    assert [f["url"] for f in fan] == [server.url("pub_a", "/fan")]
    assert fan[0]["evidence"]["links_to_site"][0]["followed"] is True
    # Other sites' pages are judged by the prospect rules only, never as the user's pages.
    assert {f["family"] for f in document["findings"]} == {"prospects"}


def test_the_bad_line_is_reported_by_file_and_line_and_the_rest_is_read(run):
    result, *_ = run
    assert "p.txt:5: not an http(s) URL: 'not a url at all'" in result.stderr


def test_table_in_csv_and_html(run, server):
    _result, out, document, _requests = run
    with (out / "prospects.csv").open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [row["url"] for row in table] == [server.url(h, p) for h, p in VERDICTS]
    assert {row["url"]: row["verdict"] for row in table}[server.url("pub_a", "/farm")] == "avoid"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f'data-prospect="{server.url("pub_a", "/farm")}" data-verdict="avoid"' in html
    assert f'data-prospect="{server.url("pub_a", "/good")}" data-verdict="worth asking"' in html
    assert json.loads(json.dumps(document["outside"]["counts"])) == {
        "worth asking": 2, "avoid": 5, "weak": 4}


def test_politeness_from_the_request_log(run, server):
    _result, _out, _document, requests = run
    listed = {(host, path) for host, path in VERDICTS}
    for host in ("pub_a", "pub_b"):
        mine = sorted((r for r in requests if r.host == host), key=lambda r: r.time)
        paths = [r.path for r in mine]
        assert paths[0] == "/robots.txt", paths
        assert paths.count("/robots.txt") == 1
        pages = paths[1:]
        # Each listed page once, nothing beyond the list, the disallowed page never.
        assert sorted(pages) == sorted(p for h, p in listed if h == host
                                       and p != "/private/page")
        # One request at a time: each arrives once the one before was answered.
        gaps = [later.time - earlier.time for earlier, later in zip(mine, mine[1:])]
        assert min(gaps) >= PAUSE * 0.9, gaps
        assert {r.headers.get("User-Agent", "").split("/")[0] for r in mine} == {"readiness"}
    # The site itself: its start URL only (to learn where it leads), never crawled.
    assert {r.path for r in requests if r.host == "site"} <= {"/", "/robots.txt"}


def test_prospect_list_formats(tmp_path):
    csv_list = tmp_path / "sheet.csv"
    csv_list.write_bytes("\ufeffsep=;\r\nNotes;Page URL\r\nfriend;https://a.example/x\r\n"
                         "# skipped\r\n;https://b.example/y\r\nbad;www.c.example\r\n"
                         .encode("utf-8"))
    listed = read_prospects(csv_list)
    assert [(row.url, row.line) for row in listed.rows] == [("https://a.example/x", 3),
                                                            ("https://b.example/y", 5)]
    assert [str(p) for p in listed.problems] == [
        f"{csv_list}:6: not an http(s) URL: 'www.c.example' (left out; write the page's full "
        "address, https://…)"]
    utf16 = tmp_path / "ahrefs.tsv"
    utf16.write_bytes("URL\tDR\r\nhttps://d.example/z\t40\r\n".encode("utf-16"))
    assert [row.url for row in read_prospects(utf16).rows] == ["https://d.example/z"]
    headerless = tmp_path / "wrong.csv"
    headerless.write_text("Domain,Rating\nexample.org,5\n", encoding="cp1252")
    with pytest.raises(InputError) as error:
        read_prospects(headerless)
    assert str(error.value).startswith(f"{headerless}:1: no URL column in the header; found "
                                       "the columns 'Domain', 'Rating'")


def test_unreadable_list_is_a_usage_error_without_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    result = run_cli("prospects", str(empty), "--site", "http://127.0.0.1:9/")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{empty}: no prospect in the file" in result.stderr


def test_table_speaks_of_production_urls_under_a_host_map(server, tmp_path):
    """Under crawl.host_map the findings name the production URLs; the table's rows do too,
    each with its own findings (a noindex prospect stays "avoid")."""
    listing = tmp_path / "p.txt"
    listing.write_text("https://blog.example/noindex\nhttps://blog.example/fan\n",
                       encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE), "host_map": {
        "https://www.clinic.example": server.url("site").rstrip("/"),
        "https://blog.example": server.url("pub_a").rstrip("/")}}}), encoding="utf-8")
    result = run_cli("prospects", str(listing), "--site", "https://www.clinic.example/",
                     "--config", str(config), "--out", str(tmp_path / "run"), "--reports-dir",
                     str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "run" / "findings.json").read_text(encoding="utf-8"))
    assert {row["url"]: row["verdict"] for row in document["outside"]["rows"]} == {
        "https://blog.example/noindex": "avoid", "https://blog.example/fan": "worth asking"}
    fan = next(f for f in document["findings"] if f["rule"] == "PRS008")
    assert fan["evidence"]["links_to_site"][0]["target"] == "https://www.clinic.example/"
    assert "verdict: prospects checked" in result.stdout


def test_a_listed_metadata_address_is_refused_and_the_good_prospect_fetched(server, tmp_path):
    """A list line naming the cloud metadata service is not checked (no connection is made:
    the guard refuses the link-local address before any request), the good page is."""
    listing = tmp_path / "p.txt"
    metadata = "http://169.254.169.254/latest/meta-data/"
    listing.write_text(f"{metadata}\n{server.url('pub_a', '/good')}\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    result = run_cli("prospects", str(listing), "--site", server.url("site"), "--config",
                     str(config), "--out", str(tmp_path / "run"), "--reports-dir",
                     str(tmp_path), "--quiet")
    assert "Traceback" not in result.stderr
    from readiness.store import open_store
    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        outcomes = dict(store.query(
            "SELECT u.url, f.error FROM fetches f JOIN urls u ON u.id = f.url_id"))
    assert outcomes[metadata] == "private-address"
    assert outcomes[server.url("pub_a", "/good")] is None
    document = json.loads((tmp_path / "run" / "findings.json").read_text(encoding="utf-8"))
    verdicts = rows_by_url(document)
    assert verdicts[server.url("pub_a", "/good")]["verdict"] == "worth asking"
    assert verdicts[metadata]["verdict"] != "worth asking"


def test_a_listed_private_address_is_refused_as_an_outbound_links_is(server, tmp_path):
    """A prospects list is other sites' pages from a spreadsheet: its hosts are not named by
    the user, so a line at a private address (127.0.0.50 plays 10.x here, tests/test_ssrf.py)
    is refused and never reached, while the good prospect is vetted. The twin: the same URL
    given to ``check --list`` (the user's own pages) is fetched."""
    root = tmp_path / "internal"
    root.mkdir()
    (root / "site.yaml").write_text(yaml.safe_dump({
        "hosts": {"internal": "127.0.0.50"},
        "routes": {"internal": {"/admin": {"body": "<html><body>secret</body></html>"}}}}),
        encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    with SiteServer(root) as internal:
        secret = internal.url("internal", "/admin")
        listing = tmp_path / "p.txt"
        listing.write_text(f"{secret}\n{server.url('pub_a', '/good')}\n", encoding="utf-8")
        result = run_cli("prospects", str(listing), "--site", server.url("site"), "--config",
                         str(config), "--out", str(tmp_path / "run"), "--reports-dir",
                         str(tmp_path), "--quiet")
        assert "Traceback" not in result.stderr
        assert internal.requests == []
        own = tmp_path / "own.txt"
        own.write_text(f"{secret}\n", encoding="utf-8")
        checked = run_cli("check", "--list", str(own), "--config", str(config), "--out",
                          str(tmp_path / "own"), "--reports-dir", str(tmp_path), "--quiet")
        assert checked.returncode in (0, 1), checked.stdout + checked.stderr
        assert internal.requests_for("internal", "/admin")
    from readiness.store import open_store
    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        outcomes = dict(store.query(
            "SELECT u.url, f.error FROM fetches f JOIN urls u ON u.id = f.url_id"))
    assert outcomes[secret] == "private-address"
    assert outcomes[server.url("pub_a", "/good")] is None
    verdicts = rows_by_url(json.loads((tmp_path / "run" / "findings.json").read_text(
        encoding="utf-8")))
    assert verdicts[server.url("pub_a", "/good")]["verdict"] == "worth asking"
    assert verdicts[secret]["verdict"] != "worth asking"


def test_the_list_from_stdin(server, tmp_path):
    """``readiness prospects -``: the list piped in (a cron job's), rows named stdin:LINE."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    listing = f"{server.url('pub_a', '/good')}\nnot a url\n{server.url('pub_a', '/noindex')}\n"
    result = subprocess.run(
        [sys.executable, "-m", "readiness.cli", "prospects", "-", "--site", server.url("site"),
         "--config", str(config), "--out", str(tmp_path / "run"), "--reports-dir",
         str(tmp_path), "--quiet"], input=listing, capture_output=True, text=True,
        timeout=240, cwd=REPO)
    assert "Traceback" not in result.stderr
    assert "stdin:2:" in result.stderr
    document = json.loads((tmp_path / "run" / "findings.json").read_text(encoding="utf-8"))
    assert {url: row["verdict"] for url, row in rows_by_url(document).items()} == {
        server.url("pub_a", "/good"): "worth asking", server.url("pub_a", "/noindex"): "avoid"}
    assert rows_by_url(document)[server.url("pub_a", "/good")]["listed_in"] == "stdin:1"
