"""readiness placements: links placed on other sites' pages (127.0.0.2/.3) checked by a polite
list-mode crawl, graded by URL with the live and followed placement as the clean twin; two runs
of the same list compare, so a link removed between them is named as lost.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import REPO, TEST_PROBE, run_cli

from readiness.demo.server import SiteServer
from readiness.inputs.placements import read_placements
from readiness.inputs.tables import InputError
from readiness.settings import EXTENSIONS

OUTSIDE_SITE = REPO / "tests" / "outside_site"
PAUSE = 0.3  # tests/outside_site/site.yaml: every publisher page answers after it
# source path on pub_b -> (target path on the site, agreed anchor, agreed rel, grade).
PLACEMENTS = {
    "/placed/live": ("/implants", "Dental implants", "", "live and followed"),
    # found through the target's redirect (/moved -> /implants) and the https variant
    "/placed/variant": ("/moved", "", "", "live and followed"),
    "/placed/sponsored": ("/implants", "dental implants", "sponsored", "live and followed"),
    "/placed/later-removed": ("/implants", "", "", "live and followed"),
    "/placed/missing": ("/implants", "", "", "missing"),
    "/placed/nofollow": ("/implants", "", "", "not followed"),
    "/placed/footer": ("/implants", "", "", "in boilerplate"),
    "/placed/anchor": ("/implants", "dental implants", "", "anchor changed"),
    "/placed/noindex": ("/implants", "", "", "page not indexable"),
    "/placed/gone": ("/implants", "", "", "page gone"),
    "/placed/to-dead": ("/dead", "", "", "target broken"),
    "/placed/to-chain": ("/old", "", "", "target redirects"),
}
RULES = {"missing": "PLC002", "not followed": "PLC003", "in boilerplate": "PLC004",
         "anchor changed": "PLC005", "page not indexable": "PLC006", "page gone": "PLC001",
         "target broken": "PLC007", "target redirects": "PLC008"}


@pytest.fixture(scope="module")
def server():
    with SiteServer(OUTSIDE_SITE) as running:
        yield running


def write_list(server, path) -> None:
    """The list as Excel saves it: UTF-8 BOM, the sep= hint, ';' and CRLF."""
    lines = ["sep=;", "Source URL;Target URL;Anchor;Rel"]
    for source, (target, anchor, rel, _grade) in PLACEMENTS.items():
        lines.append(f"{server.url('pub_b', source)};{server.url('site', target)};{anchor};{rel}")
    lines.append("not-a-page;http://x.example/;;")
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))


def write_inputs(server, folder):
    """The list (write_list) and a configuration with the tests' probe settings."""
    listing = folder / "placed.csv"
    write_list(server, listing)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    return listing, config


@pytest.fixture(scope="module")
def runs(server, tmp_path_factory):
    """Two runs of the same list into one reports folder; /placed/later-removed loses its
    link between them."""
    base = tmp_path_factory.mktemp("placements")
    listing, config = write_inputs(server, base)
    server.reset_log()
    server.reset_sequences()
    results = []
    for name in ("first", "second"):
        out = base / name
        result = run_cli("placements", str(listing), "--site", server.url("site"), "--config",
                         str(config), "--out", str(out), "--reports-dir", str(base), "--quiet")
        document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        results.append((result, out, document, list(server.requests)))
        server.reset_log()
    return results


def grades(server, document) -> dict[str, str]:
    return {row["source"].replace(server.url("pub_b", ""), "/"): row["grade"]
            for row in document["outside"]["rows"]}


def test_every_grade_by_url_with_the_live_placement_clean(runs, server):
    result, _out, document, _requests = runs[0]
    assert result.returncode == 1, result.stderr  # errors (missing, gone, broken) fail the gate
    assert grades(server, document) == {source: grade for source, (*_x, grade)
                                        in PLACEMENTS.items()}
    by_source: dict[str, set[str]] = {}
    for finding in document["findings"]:
        by_source.setdefault(finding["url"], set()).add(finding["rule"])
    for source, (*_x, grade) in PLACEMENTS.items():
        url = server.url("pub_b", source)
        assert by_source.get(url, set()) == ({RULES[grade]} if grade in RULES else set()), url
    live = next(r for r in document["outside"]["rows"] if r["source"].endswith("/placed/live"))
    assert (live["anchor"], live["rel"], live["region"]) == ("dental implants", "", "main")
    assert {f["family"] for f in document["findings"]} == {"placements"}


def test_bad_row_reported_by_line(runs):
    result, *_ = runs[0]
    assert "placed.csv:15: not an http(s) URL: source 'not-a-page'" in result.stderr


def test_second_run_names_the_lost_link(runs, server):
    _result, first_out, first, _ = runs[0]
    result, second_out, second, _ = runs[1]
    lost = server.url("pub_b", "/placed/later-removed")
    assert grades(server, second)["/placed/later-removed"] == "missing"
    new = {f["id"]: f for f in second["findings"]} .keys() - {f["id"] for f in first["findings"]}
    assert [f["url"] for f in second["findings"] if f["id"] in new] == [lost]
    diff = run_cli("diff", str(first_out), str(second_out), "--json")
    assert diff.returncode == 0, diff.stderr
    comparison = json.loads(diff.stdout)
    new_ids = comparison["new"]
    assert [f["url"] for f in second["findings"] if f["id"] in new_ids] == [lost]
    assert comparison["fixed"] == []
    # The run itself says so too: compared with the previous run of the site.
    assert second["previous"]["new"] == new_ids


def test_politeness_and_nothing_beyond_the_list(runs, server):
    _result, _out, _document, requests = runs[0]
    mine = sorted((r for r in requests if r.host == "pub_b"), key=lambda r: r.time)
    assert mine[0].path == "/robots.txt"
    assert sorted(r.path for r in mine[1:]) == sorted(PLACEMENTS)
    gaps = [later.time - earlier.time for earlier, later in zip(mine, mine[1:])]
    assert min(gaps) >= PAUSE * 0.9, gaps
    site_paths = {r.path for r in requests if r.host == "site"}
    # The targets and their redirects, hop by hop; nothing the pages link to.
    assert site_paths == {"/robots.txt", "/implants", "/moved", "/dead", "/old", "/older"}


def test_placement_list_formats(tmp_path):
    ahrefs = tmp_path / "export.csv"
    ahrefs.write_bytes("Referring page URL\tTarget URL\tAnchor\tType\r\n"
                       "https://a.example/x\thttps://clinic.example/\tCafé dentaire\tdofollow\r\n"
                       .encode("utf-16"))
    with pytest.raises(InputError) as error:  # "Type" is not a rel column: reads, no rel
        read_placements(tmp_path / "missing.csv")
    assert "cannot be read" in str(error.value)
    rows = read_placements(ahrefs).rows
    assert [(r.source, r.target, r.anchor, r.rel, r.line) for r in rows] == [
        ("https://a.example/x", "https://clinic.example/", "Café dentaire", None, 2)]
    windows = tmp_path / "win.csv"
    windows.write_bytes("page,link to,anchor text,rel\r\nhttps://b.example/,https://clinic."
                        "example/a,Caf\xe9,nofollow\r\nhttps://b.example/2,https://clinic."
                        "example/a,,followd\r\n".encode("latin-1"))
    listed = read_placements(windows)
    assert [(r.anchor, r.rel) for r in listed.rows] == [("Café", "nofollow")]
    assert [str(p) for p in listed.problems] == [
        f"{windows}:3: rel 'followd': followd is not a rel (row left out; write follow, "
        "nofollow, sponsored or ugc)"]
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("From page;Link\nhttps://a.example/;https://b.example/\n",
                       encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_placements(unknown)
    assert str(error.value).startswith(
        f"{unknown}:1: no source and no target column in the header; found the columns "
        "'From page', 'Link'")


@pytest.mark.parametrize("sources, exit_code", [
    (["/placed/live"], 0),                      # every link live and followed: the gate passes
    (["/placed/live", "/placed/busy"], 3),      # a page answering 503: not checked, not passed
])
def test_a_placement_not_checked_is_never_a_pass(server, tmp_path, sources, exit_code):
    listing = tmp_path / "placed.csv"
    listing.write_text("source,target\n" + "".join(
        f"{server.url('pub_b', s)},{server.url('site', '/implants')}\n" for s in sources),
        encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE)}}), encoding="utf-8")
    result = run_cli("placements", str(listing), "--config", str(config), "--out",
                     str(tmp_path / "run"), "--reports-dir", str(tmp_path), "--quiet")
    assert result.returncode == exit_code, result.stdout + result.stderr
    document = json.loads((tmp_path / "run" / "findings.json").read_text(encoding="utf-8"))
    assert document["run"]["start_url"] == server.url("site", "/")  # --site from the targets
    if exit_code == 3:
        assert "1 placed link(s) could not be checked" in document["gate"]["reason"]


def test_terminal_summary_and_report_speak_of_placements_not_of_a_site_check(runs, server):
    """The run fetched other sites' pages: its lines count placements (not "pages crawled"),
    grade them plainly, write no redirect map of those sites and never say "link building"
    (a site check's wording; the demo's site check keeps it, tests/test_demo.py)."""
    result, out, document, _requests = runs[0]
    live = sum(1 for *_rest, grade in PLACEMENTS.values() if grade == "live and followed")
    problems = len(PLACEMENTS) - live
    assert f"placements for {server.url('site')}: {len(PLACEMENTS)} placements listed" \
        in result.stdout
    assert f"placements: {len(PLACEMENTS)} checked: {live} live and followed, " \
           f"{problems} with problems" in result.stdout
    assert "pages crawled" not in result.stdout and "redirect map" not in result.stdout
    assert "outbound" not in result.stdout
    assert not (out / "redirects.csv").exists() and not (out / "_redirects").exists()
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith(f"## ❌ Placements for {server.url('site')}: {live} live and "
                              f"followed, {problems} with problems")
    assert "link building" not in summary
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"<title>Placed links for {server.url('site')}</title>" in html
    assert "Each is a page a backlink would land on" not in html


# -- a scheduled run: scrapy crawl site -a placements=FILE (cron, scrapyd) -------------------

def scheduled_placements(listing, config, out, reports_dir, server, **popen):
    """``scrapy crawl site -a placements=FILE`` from the project directory, as cron or scrapyd
    run it."""
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"placements={listing}",
               "-a", f"url={server.url('site')}", "-a", f"config={config}", "-a", f"out={out}",
               "-s", f"READINESS_REPORTS_DIR={reports_dir}", "-s", "LOG_LEVEL=WARNING"]
    if popen:
        return subprocess.Popen(command, cwd=REPO, **popen)
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO)


@pytest.fixture(scope="module")
def scheduled_runs(server, runs, tmp_path_factory):
    """Two scheduled runs of the list (after the CLI's, which they are checked against), in a
    reports folder of their own; /placed/later-removed loses its link between them."""
    base = tmp_path_factory.mktemp("scheduled-placements")
    listing, config = write_inputs(server, base)
    server.reset_sequences()
    results = []
    for name in ("first", "second"):
        out = base / name
        result = scheduled_placements(listing, config, out, base, server)
        assert result.returncode == 0, result.stderr  # the crawl's exit: the gate is the report's
        results.append((out, json.loads((out / "findings.json").read_text(encoding="utf-8"))))
    return results


def plc_findings(document) -> list[tuple[str, str, str]]:
    return sorted((f["rule"], f["url"], f["id"]) for f in document["findings"])


def test_scheduled_run_has_the_cli_runs_findings(scheduled_runs, runs, server):
    _result, _out, cli_document, _requests = runs[0]
    _out, document = scheduled_runs[0]
    assert document["outside"]["mode"] == "placements"
    assert grades(server, document) == {source: grade for source, (*_x, grade)
                                        in PLACEMENTS.items()}
    assert plc_findings(document) == plc_findings(cli_document)
    assert {f["family"] for f in document["findings"]} == {"placements"}


def test_second_scheduled_run_names_the_lost_link(scheduled_runs, server):
    (_first_out, first), (_second_out, second) = scheduled_runs
    lost = server.url("pub_b", "/placed/later-removed")
    assert grades(server, first)["/placed/later-removed"] == "live and followed"
    assert grades(server, second)["/placed/later-removed"] == "missing"
    new_ids = second["previous"]["new"]
    assert [f["url"] for f in second["findings"] if f["id"] in new_ids] == [lost]


def test_scheduled_run_killed_outright_keeps_its_list(server, tmp_path):
    """SIGKILL as soon as the crawl's first request arrives: the list rows and the mode were
    stored when the store opened, so the run stays re-analysable as a placements run."""
    listing, config = write_inputs(server, tmp_path)
    server.reset_log()
    out = tmp_path / "killed"
    crawl = scheduled_placements(listing, config, out, tmp_path, server,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not server.requests and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.requests, "the crawl never started"
    finally:
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(timeout=60)
    from readiness.store import open_store
    with open_store(out / "crawl.sqlite") as store:
        assert store.meta()["mode"] == "placements"
        rows = store.query("SELECT u.url FROM placements p JOIN urls u ON u.id = p.source_id"
                           ).fetchall()
    assert sorted(url for (url,) in rows) == sorted(server.url("pub_b", source)
                                                    for source in PLACEMENTS)
    assert not (out / "findings.json").exists()


def test_scheduled_run_with_a_bad_list_is_a_clear_usage_error(server, tmp_path):
    listing = tmp_path / "empty.csv"
    listing.write_text("Source URL,Target URL\n", encoding="utf-8")
    _listing, config = write_inputs(server, tmp_path)
    server.reset_log()
    result = scheduled_placements(listing, config, tmp_path / "bad", tmp_path, server)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"readiness: error: {listing}")
    assert list(server.requests) == []


def test_scheduled_run_without_the_list_component_stops_before_fetching(server, tmp_path):
    """OutsideList switched off: the run would be judged as a site, so it never starts."""
    listing, config = write_inputs(server, tmp_path)
    server.reset_log()
    command = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"placements={listing}",
               "-a", f"url={server.url('site')}", "-a", f"config={config}",
               "-a", f"out={tmp_path / 'run'}", "-s", "LOG_LEVEL=ERROR",
               "-s", "EXTENSIONS=" + json.dumps({**EXTENSIONS,
                                                 "readiness.crawl.outside.OutsideList": None})]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert "switched off: OutsideList" in result.stderr, result.stderr
    assert list(server.requests) == []
