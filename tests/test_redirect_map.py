"""The redirect map end to end: crawl a site with dead pages and a chain, write the map, serve
the site again behind real nginx with the generated map included, re-crawl: every dead URL the
map has a confident target for now redirects there in one hop, and no chain is left. Plus the
server files' escaping (spaces, percent-encodings, query strings) and ``nginx -t``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, crawl_site, free_port

from readiness.demo.server import SiteServer
from readiness.report.redirect_map import (
    RedirectRow,
    apache_conf,
    netlify_redirects,
    nginx_conf,
    redirect_rows,
)

NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(path)), None)
SITE_DIR = REPO / "tests" / "redirect_map_site"
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="needs nginx (apt-get install nginx; .ci/run installs it)")


def findings_of(run: Path) -> list[dict]:
    return json.loads((run / "findings.json").read_text(encoding="utf-8"))["findings"]


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["from"]: row for row in csv.DictReader(fh)}


def nginx_config(directory: Path, port: int, upstream: str, redirect_map: Path) -> Path:
    """A whole nginx configuration of the test's own: the generated map included in http { },
    the pasted line in server { }, the site proxied behind it."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / name).mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    path = directory / "nginx.conf"
    path.write_text(f"""{user}worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {redirect_map};
    server {{
        listen 127.0.0.1:{port};
        if ($readiness_redirect) {{ return 301 $readiness_redirect; }}
        location / {{ proxy_pass http://{upstream}; }}
    }}
}}
""", encoding="utf-8")
    return path


def nginx_test(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(config.parent)],
                          capture_output=True, text=True, timeout=60)


def wait_listening(port: int, process: subprocess.Popen, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > end:
                log = Path(process.args[2]).parent / "error.log"
                pytest.fail(f"nginx did not start (exit {process.poll()}): "
                            f"{log.read_text() if log.is_file() else ''}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    with SiteServer(SITE_DIR) as server:
        out = tmp_path_factory.mktemp("redirect-map") / "before"
        crawl = crawl_site(server.url("site"), out, command="check")
        assert crawl.result.returncode in (0, 1), crawl.result.stderr
        yield server, out


def test_the_map_names_each_dead_url_with_the_page_a_person_would_choose(first_run):
    server, out = first_run
    site = server.url("site").rstrip("/")
    rows = read_csv(out / "redirects.csv")
    expected = {
        "/services/teeth-whitening-old": ("/services/teeth-whitening", "high"),
        "/services/teeth%20whitening%20guide": ("/services/teeth-whitening", "high"),
        "/book-online": ("/booking", "high"),                 # 500; by its anchor
        "/catalog?item=42": ("/catalog/", "high"),            # a query string
        "/team/dr-jones-retired": ("/team/", "low"),         # 410; parent section
        "/spring-promo-2019": ("", ""),                       # choose by hand
        "/Services/Implants-Old": ("/services/implants", "high"),  # capitals
        "/old-offers": ("/offers", "high"),                   # the chain, one hop
        "/offers-2023": ("/offers", "high"),
    }
    assert {source: (row["to"], row["confidence"]) for source, row in rows.items()} == {
        site + source: ((site + target) if target else "", confidence)
        for source, (target, confidence) in expected.items()}
    # The live twins are not in the map.
    assert site + "/services/implants" not in rows and site + "/offers" not in rows
    assert rows[site + "/spring-promo-2019"]["reason"] == "no confident match: choose by hand"
    assert all(row["status"] == "301" for row in rows.values())
    findings = {(f["rule"], f["url"]): f for f in findings_of(out)}
    whitening = findings[("RDM001", site + "/services/teeth-whitening-old")]["evidence"]
    assert whitening["suggested_target"] == site + "/services/teeth-whitening"
    assert whitening["confidence"] == "high" and whitening["reason"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "RDM001" in html and "Redirect map" in html


def test_server_files_hold_only_confident_rows_and_the_rest_commented(first_run):
    _server, out = first_run
    nginx = (out / "redirects.nginx.conf").read_text()
    assert '    "/services/teeth-whitening-old" "/services/teeth-whitening";' in nginx
    assert '    "/catalog?item=42" "/catalog/";' in nginx
    assert '    # "/team/dr-jones-retired" "/team/";' in nginx
    # nginx compares strings ignoring case: a path with capitals is matched case-sensitively.
    assert '    "~^/Services/Implants\\\\-Old$" "/services/implants";' in nginx
    assert '    # "/spring-promo-2019" "?";' in nginx
    assert "if ($readiness_redirect) { return 301 $readiness_redirect; }" in nginx
    apache = (out / "redirects.apache.conf").read_text()
    assert 'RedirectMatch 301 "^/services/teeth\\\\ whitening\\\\ guide$" ' \
           '"/services/teeth%20whitening%20guide"' not in apache
    assert 'RedirectMatch 301 "^/services/teeth\\\\ whitening\\\\ guide$" ' \
           '"/services/teeth-whitening"' in apache
    assert 'RewriteCond %{QUERY_STRING} "^item\\\\=42$"' in apache
    assert 'RewriteRule "^/?catalog$" "/catalog/?" [R=301,NE,L]' in apache
    assert '# RedirectMatch 301 "^/team/dr\\\\-jones\\\\-retired$" "/team/"' in apache
    netlify = (out / "_redirects").read_text().splitlines()
    assert "/old-offers /offers 301" in netlify
    assert "/services/teeth%20whitening%20guide /services/teeth-whitening 301" in netlify
    assert "# /catalog /catalog/ 301" in netlify
    assert "# /spring-promo-2019 ? 301" in netlify
    # Every line is a rule of three fields or a comment.
    assert all(line.startswith("#") or len(line.split()) == 3 for line in netlify)


@needs_nginx
def test_nginx_accepts_the_generated_map(first_run, tmp_path):
    _server, out = first_run
    config = nginx_config(tmp_path, free_port(), "127.0.0.1:9", out / "redirects.nginx.conf")
    result = nginx_test(config)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


@needs_nginx
def test_nginx_rejects_a_map_with_a_broken_row(first_run, tmp_path):
    """The check above can fail: nginx -t reads the included file."""
    _server, out = first_run
    broken = tmp_path / "broken.conf"
    broken.write_text((out / "redirects.nginx.conf").read_text().replace(
        '"/catalog?item=42" "/catalog/";', '"/catalog?item=42" "/catalog/"'))
    config = nginx_config(tmp_path, free_port(), "127.0.0.1:9", broken)
    assert nginx_test(config).returncode != 0


@needs_nginx
def test_with_the_map_applied_no_dead_linked_url_and_no_chain_remain(first_run, tmp_path):
    server, out = first_run
    port = free_port()
    config = nginx_config(tmp_path, port, server.netloc("site"), out / "redirects.nginx.conf")
    assert nginx_test(config).returncode == 0
    # Its messages go to error.log beside the config (a pipe nobody reads could fill).
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, nginx)
        after = tmp_path / "reports" / "after"
        after.parent.mkdir()
        crawl = crawl_site(f"http://127.0.0.1:{port}/", after, command="check")
        assert crawl.result.returncode in (0, 1), crawl.result.stderr
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
    site = f"http://127.0.0.1:{port}"
    findings = findings_of(after)
    dead = {f["url"] for f in findings if f["rule"] in ("STS001", "STS002")}
    # Only what the map left to a person is still dead.
    assert dead == {site + "/team/dr-jones-retired", site + "/spring-promo-2019"}
    assert [f["url"] for f in findings if f["rule"] in ("RDR001", "RDR003")] == []
    left = {f["url"]: f["evidence"]["confidence"] for f in findings if f["rule"] == "RDM001"}
    assert left == {site + "/team/dr-jones-retired": "low", site + "/spring-promo-2019": None}
    # Each former dead URL now redirects once, straight to its page.
    linked = {f["url"]: f["evidence"] for f in findings if f["rule"] == "STS003"}
    for source, target in (("/services/teeth-whitening-old", "/services/teeth-whitening"),
                           ("/services/teeth%20whitening%20guide", "/services/teeth-whitening"),
                           ("/book-online", "/booking"), ("/catalog?item=42", "/catalog/"),
                           ("/Services/Implants-Old", "/services/implants"),
                           ("/old-offers", "/offers")):
        evidence = linked[site + source]
        assert len(evidence["hops"]) == 1 and evidence["final_url"] == site + target
        assert evidence["final_status"] == 200


def test_escaping_of_quotes_dollars_and_queries():
    rows = [RedirectRow('http://s.test/a"b$c', "http://s.test/new$1", "high", "r", None, None,
                        "id"),
            RedirectRow("http://s.test/q?x=1&y=%202", "http://s.test/t", "medium", "r", None,
                        None, "id"),
            RedirectRow("http://s.test/far", "https://other.test/x", "high", "r", None, None,
                        "id")]
    nginx = nginx_conf(rows)
    assert '    "/a\\"b$c" "/new%241";' in nginx
    assert '    "/q?x=1&y=%202" "/t";' in nginx
    assert '    "/far" "https://other.test/x";' in nginx
    apache = apache_conf(rows)
    assert 'RedirectMatch 301 "^/a\\\\\\"b\\\\$c$" "/new\\\\$1"' in apache
    # RedirectMatch encodes the target's path itself: it is written decoded ...
    spaced = apache_conf([RedirectRow("http://s.test/a%20b", "http://s.test/c%20d?e=%20&f",
                                      "high", "r", None, None, "id")])
    assert 'RedirectMatch 301 "^/a\\\\ b$" "/c d?e=%20\\\\&f"' in spaced
    # ... unless decoding would make a "?" or a line break of it: mod_rewrite, as written.
    kept = apache_conf([RedirectRow("http://s.test/a%0Ab", "http://s.test/c%3Fd", "high", "r",
                                    None, None, "id")])
    assert 'RewriteRule "^/?a\\\\x0ab$" "/c\\\\%3Fd?" [R=301,NE,L]' in kept
    assert "\nb" not in kept
    assert 'RewriteCond %{QUERY_STRING} "^x\\\\=1\\\\&y\\\\=\\\\%202$"' in apache
    assert "RewriteEngine On" in apache
    assert "/far https://other.test/x 301" in netlify_redirects(rows).splitlines()


def test_accepted_findings_and_chains_ending_on_errors_are_left_out():
    document = {"findings": [
        {"id": "RDM001-a", "rule": "RDM001", "url": "http://s.test/gone", "accepted": "on purpose",
         "evidence": {"suggested_target": "http://s.test/", "confidence": "high"}},
        {"id": "RDR001-b", "rule": "RDR001", "url": "http://s.test/c1", "accepted": None,
         "evidence": {"hops": [{"url": "http://s.test/c1"}, {"url": "http://s.test/c2"}],
                      "final_url": "http://s.test/c3", "final_status": 404}},
        {"id": "RDR001-c", "rule": "RDR001", "url": "http://s.test/d1", "accepted": None,
         "evidence": {"hops": [{"url": "http://s.test/d1"}, {"url": "http://s.test/d2"}],
                      "final_url": "http://s.test/d3", "final_status": 200,
                      "inbound_link_count": 4}}]}
    rows = redirect_rows(document)
    assert [(r.source, r.target, r.inbound_links) for r in rows] == [
        ("http://s.test/d1", "http://s.test/d3", 4), ("http://s.test/d2", "http://s.test/d3", None)]


def test_the_previous_run_beside_is_an_input_of_the_analysis(tmp_path, capsys):
    """check/analyze find the previous run of the site with the report stage's lookup and hand
    its store to the analysis: a redirect lost since then is restored to where it led."""
    from readiness.check import analyze_store
    from readiness.rules.settings import load_config
    from readiness.testing import StoreBuilder

    reports = tmp_path / "reports"
    before = StoreBuilder(reports / "before")
    before.page("/", links=["/about-us"])
    before.redirect("/about-us", "/practice/story")
    before.page("/practice/story", title="Our story")
    analyze_store(before.close(), load_config(), formats=("json",))
    now = StoreBuilder(reports / "now")
    now.page("/", links=["/about-us"])
    now.fetch("/about-us", status=404)
    now.page("/practice/story", title="Our story")
    now.page("/about", title="About")
    analyze_store(now.close(), load_config(), formats=("json", "redirects"))
    document = json.loads((reports / "now" / "findings.json").read_text())
    assert document["run"]["previous_store"] == str(reports / "before" / "crawl.sqlite")
    rows = read_csv(reports / "now" / "redirects.csv")
    assert rows["http://site.test/about-us"]["to"] == "http://site.test/practice/story"
    assert "previous run" in rows["http://site.test/about-us"]["reason"]
    # The earlier run had no earlier run of its own.
    earlier = json.loads((reports / "before" / "findings.json").read_text())
    assert earlier["run"]["previous_store"] is None


def test_a_chain_into_a_dead_url_gets_one_hop_for_every_url_on_it():
    document = {"findings": [
        {"id": "RDM001-a", "rule": "RDM001", "url": "http://s.test/old", "accepted": None,
         "evidence": {"suggested_target": "http://s.test/offers", "confidence": "medium",
                      "reason": "path words in common: offers", "referring_domains": 3,
                      "inbound_link_count": 2, "dead_url": "http://s.test/gone",
                      "also_from": ["http://s.test/middle"]}}]}
    rows = {r.source: r for r in redirect_rows(document)}
    assert sorted(rows) == ["http://s.test/gone", "http://s.test/middle", "http://s.test/old"]
    assert {r.target for r in rows.values()} == {"http://s.test/offers"}
    assert rows["http://s.test/old"].reason.startswith("redirects to http://s.test/gone")
    assert rows["http://s.test/old"].referring_domains == 3
    assert rows["http://s.test/gone"].reason == "path words in common: offers"
    assert all(r.applied for r in rows.values())


def test_an_unreadable_previous_store_is_said_and_the_analysis_goes_on(tmp_path, caplog):
    from readiness.rules.engine import analyze
    from readiness.rules.settings import load_config
    from readiness.testing import StoreBuilder

    store = StoreBuilder(tmp_path / "now")
    store.page("/", links=["/gone"])
    store.fetch("/gone", status=404)
    broken = tmp_path / "before" / "crawl.sqlite"
    broken.parent.mkdir()
    broken.write_bytes(b"not a database" * 100)
    analysis = analyze(store.close(), load_config(), previous_store=broken)
    assert analysis.previous_store is None
    assert [f.url for f in analysis.findings if f.rule == "RDM001"] == ["http://site.test/gone"]
    assert f"not reading the previous run's store {broken}" in caplog.text
