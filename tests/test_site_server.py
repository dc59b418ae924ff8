"""SiteServer: the loopback server behind the fixture site and ``readiness demo``.

Real sockets on 127.0.0.x; a small site written to a temporary directory exercises every
manifest feature, and the two shipped sites (tests/fixture_site, readiness/demo/site) are
loaded and fetched to prove their manifests, files and templates hold together.
"""

from __future__ import annotations

import gzip
import http.client
import logging
import socket
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml
from conftest import REPO

from readiness.demo.server import ManifestError, SiteServer

SHIPPED_SITES = {
    "fixture_site": REPO / "tests" / "fixture_site",
    "demo_site": REPO / "readiness" / "demo" / "site",
}

MANIFEST = """
hosts:
  site: 127.0.0.1
  ext_a: 127.0.0.2
refused: [ext_dead]
defaults:
  ext_a: {headers: {X-Served-By: "ext_a at ${ext_a}"}}
routes:
  site:
    /old: {status: 301, location: "/new"}
    /to-ext: {status: 302, location: "http://${ext_a}/landing"}
    /gone: {status: 410, body: "Gone from ${site}"}
    /slow: {file: slow.html, delay: 0.5}
    /nx:
      file: page.html
      headers: {X-Robots-Tag: noindex, Link: '<http://${site}/canonical>; rel="canonical"'}
    /sitemap-pages.xml.gz: {file: sitemap-pages.xml, gzip_file: true}
    /compressed: {file: page.html, content_encoding: gzip}
    /latin1:
      file: latin1.html
      encoding: iso-8859-1
      content_type: "text/html; charset=iso-8859-1"
    /endless: {stream: endless}
    /big: {size: 300000}
    /padded: {file: page.html, size: 200000, content_encoding: gzip}
    /photo.png: {size: 100000, content_type: image/png}
    /flaky: {sequence: [{status: 429, headers: {Retry-After: "1"}}, {status: 200, body: ok}]}
    /no-head: {status: 200, body: ok, head: {status: 405}}
    /search?q=exact: {body: exact query route}
    /search: {body: any query}
  ext_a:
    /landing: {body: "landing on ${ext_a}"}
"""

FILES = {
    "site/index.html": """<!doctype html><html><head><title>Home</title></head><body>
        <a href="http://${ext_a}/landing">a</a> <a href="http://${ext_dead}/x">dead</a>
        <a href="http://${site}/about">about</a> costs $5 and ${unknown} stays</body></html>""",
    "site/page.html": "<!doctype html><html><head><title>Page on ${site}</title></head>"
                      "<body><p>page</p></body></html>",
    "site/slow.html": "<html><head><title>Slow</title></head><body>slow</body></html>",
    "site/about.html": "<html><head><title>About</title></head><body>about</body></html>",
    "site/docs/index.html": "<html><head><title>Docs</title></head><body>docs</body></html>",
    "site/robots.txt": "User-agent: *\nDisallow: /private/\nSitemap: http://${site}/sitemap.xml\n",
    "site/latin1.html": "<html><head><meta charset=\"iso-8859-1\">"
                        "<title>Clínica Odontológica Niño</title></head>"
                        "<body>ñ €</body></html>",
    "site/sitemap-pages.xml": "<urlset><url><loc>http://${site}/about</loc></url></urlset>",
    "site/style.css": "/* ${site} is not templated in CSS */ body { color: #333 }",
    "site/LICENSE": "plain file without extension",
    "ext_a/index.html": "<html><head><title>Outside</title></head><body>ext</body></html>",
}


# --- helpers ------------------------------------------------------------------------------


def fetch(server: SiteServer, path: str, host: str = "site", method: str = "GET",
          headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    """One request over a fresh connection; no redirect following, no decompression."""
    address, port = server.netloc(host).split(":")
    connection = http.client.HTTPConnection(address, int(port), timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def fetch_text(server: SiteServer, path: str,
               host: str = "site") -> tuple[http.client.HTTPResponse, str]:
    """GET a text resource, undoing HTTP compression, as a browser would."""
    response, body = fetch(server, path, host=host)
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return response, body.decode("utf-8", "replace")


def is_text(response: http.client.HTTPResponse) -> bool:
    content_type = response.getheader("Content-Type") or ""
    return content_type.startswith("text/") or content_type.endswith(("xml", "json"))


def write_site(root: Path, manifest: str = MANIFEST, files: dict[str, str] = FILES) -> Path:
    (root / "site.yaml").write_text(textwrap.dedent(manifest), encoding="utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with SiteServer(write_site(tmp_path_factory.mktemp("site"))) as running:
        yield running


@pytest.fixture
def fresh(server: SiteServer) -> SiteServer:
    server.reset_log()
    server.reset_sequences()
    return server


# --- hosts and addresses ------------------------------------------------------------------


def test_each_host_serves_on_its_own_loopback_address(server: SiteServer) -> None:
    assert server.netloc("site").startswith("127.0.0.1:")
    assert server.netloc("ext_a").startswith("127.0.0.2:")
    assert server.url("ext_a", "/landing") == f"http://{server.netloc('ext_a')}/landing"
    assert server.url("site") == f"http://{server.netloc('site')}/"
    response, body = fetch(server, "/", host="ext_a")
    assert response.status == 200 and b"Outside" in body


def test_refused_host_has_a_netloc_where_connections_are_refused(server: SiteServer) -> None:
    address, port = server.netloc("ext_dead").split(":")
    assert address == "127.0.0.1"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, int(port)), timeout=2)


def test_unknown_host_name_is_an_error_naming_the_known_hosts(server: SiteServer) -> None:
    with pytest.raises(KeyError, match="ext_a"):
        server.netloc("ext_zzz")


def test_stop_frees_the_ports(tmp_path: Path) -> None:
    with SiteServer(write_site(tmp_path)) as running:
        address, port = running.netloc("site").split(":")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, int(port)), timeout=2)


# --- routes -------------------------------------------------------------------------------


def test_redirect_route_sends_status_and_location(server: SiteServer) -> None:
    response, body = fetch(server, "/old")
    assert response.status == 301
    assert response.getheader("Location") == "/new"
    assert response.getheader("Content-Length") == "0" and body == b""


def test_location_and_inline_body_are_templated(server: SiteServer) -> None:
    response, _ = fetch(server, "/to-ext")
    assert response.status == 302
    assert response.getheader("Location") == f"http://{server.netloc('ext_a')}/landing"
    response, body = fetch(server, "/gone")
    assert response.status == 410
    assert body.decode() == f"Gone from {server.netloc('site')}"
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"


def test_delay_holds_back_the_headers(server: SiteServer) -> None:
    started = time.monotonic()
    response, body = fetch(server, "/slow")
    assert time.monotonic() - started >= 0.5
    assert response.status == 200 and b"slow" in body


def test_route_headers_are_sent_and_templated(server: SiteServer) -> None:
    response, _ = fetch(server, "/nx")
    assert response.getheader("X-Robots-Tag") == "noindex"
    site = server.netloc("site")
    assert response.getheader("Link") == f'<http://{site}/canonical>; rel="canonical"'


def test_host_defaults_apply_to_routes_and_files(server: SiteServer) -> None:
    for path in ("/landing", "/"):
        response, _ = fetch(server, path, host="ext_a")
        assert response.getheader("X-Served-By") == f"ext_a at {server.netloc('ext_a')}"


def test_gzip_file_is_a_gzipped_body_without_content_encoding(server: SiteServer) -> None:
    response, body = fetch(server, "/sitemap-pages.xml.gz")
    assert response.getheader("Content-Type") == "application/gzip"
    assert response.getheader("Content-Encoding") is None
    assert gzip.decompress(body).decode() == (
        f"<urlset><url><loc>http://{server.netloc('site')}/about</loc></url></urlset>")


def test_content_encoding_gzip_compresses_over_http(server: SiteServer) -> None:
    response, body = fetch(server, "/compressed")
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert int(response.getheader("Content-Length")) == len(body)
    assert f"Page on {server.netloc('site')}" in gzip.decompress(body).decode()


def test_encoding_serves_the_text_in_that_charset(server: SiteServer) -> None:
    response, body = fetch(server, "/latin1")
    assert response.getheader("Content-Type") == "text/html; charset=iso-8859-1"
    assert b"Cl\xednica Odontol\xf3gica Ni\xf1o" in body
    # A character latin-1 lacks becomes a character reference, not an error.
    assert b"&#8364;" in body


def test_endless_stream_never_ends_and_survives_the_client_leaving(
    server: SiteServer, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    address, port = server.netloc("site").split(":")
    connection = http.client.HTTPConnection(address, int(port), timeout=10)
    connection.request("GET", "/endless")
    response = connection.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    received = b""
    while len(received) < 2_000_000:
        received += response.read(65536)
    assert received.startswith(b"<!doctype html>") and b"<title>Endless page</title>" in received
    caplog.set_level(logging.DEBUG, logger="readiness.demo.server")
    response.close()  # the response holds the socket open until it is closed too
    connection.close()
    # The handler notices the client left on its next write: wait for it to say so.
    deadline = time.monotonic() + 30
    while not any("client left the endless page" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the endless handler never noticed the client left"
        time.sleep(0.02)
    response, _ = fetch(server, "/about")
    assert response.status == 200
    assert "Traceback" not in capfd.readouterr().err


def test_size_makes_an_html_page_of_about_that_many_bytes(server: SiteServer) -> None:
    response, body = fetch(server, "/big")
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert 300_000 <= len(body) < 310_000
    assert body.rstrip().endswith(b"</html>")


def test_size_with_a_file_pads_it_so_compression_cannot_hide_the_weight(server: SiteServer) -> None:
    response, body = fetch(server, "/padded")
    page = gzip.decompress(body)
    assert 195_000 <= len(page) <= 205_000
    assert page.rstrip().endswith(b"</body></html>") and b"<title>Page on" in page
    assert len(body) > 100_000  # the transferred bytes stay heavy


def test_size_with_png_content_type_makes_a_real_png(server: SiteServer) -> None:
    response, body = fetch(server, "/photo.png")
    assert response.getheader("Content-Type") == "image/png"
    assert body.startswith(b"\x89PNG\r\n\x1a\n") and body.endswith(b"IEND\xaeB`\x82")
    assert 90_000 <= len(body) <= 110_000


def test_sequence_serves_steps_in_order_then_repeats_the_last(fresh: SiteServer) -> None:
    first, _ = fetch(fresh, "/flaky")
    assert first.status == 429 and first.getheader("Retry-After") == "1"
    for _ in range(2):
        again, body = fetch(fresh, "/flaky")
        assert again.status == 200 and body == b"ok"
    fresh.reset_sequences()
    assert fetch(fresh, "/flaky")[0].status == 429


def test_head_route_overrides_the_answer_to_head(server: SiteServer) -> None:
    assert fetch(server, "/no-head", method="HEAD")[0].status == 405
    response, body = fetch(server, "/no-head")
    assert response.status == 200 and body == b"ok"


def test_head_answers_like_get_without_a_body(server: SiteServer) -> None:
    get, get_body = fetch(server, "/compressed")
    head, head_body = fetch(server, "/compressed", method="HEAD")
    assert head.status == get.status == 200
    assert head_body == b""
    assert head.getheader("Content-Length") == str(len(get_body))
    assert head.getheader("Content-Encoding") == "gzip"


def test_route_with_query_wins_over_route_for_the_path(server: SiteServer) -> None:
    assert fetch(server, "/search?q=exact")[1] == b"exact query route"
    assert fetch(server, "/search?q=other")[1] == b"any query"
    assert fetch(server, "/search")[1] == b"any query"


# --- files --------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [
    ("/", b"<title>Home</title>"),
    ("/index.html", b"<title>Home</title>"),
    ("/docs/", b"<title>Docs</title>"),
    ("/about", b"<title>About</title>"),
    ("/about.html", b"<title>About</title>"),
    ("/about?utm_source=x", b"<title>About</title>"),
    ("/LICENSE", b"plain file without extension"),
])
def test_unrouted_paths_map_to_files(server: SiteServer, path: str, expected: bytes) -> None:
    response, body = fetch(server, path)
    assert response.status == 200
    assert expected in body


@pytest.mark.parametrize("path", ["/docs", "/missing", "/docs/missing/", "/../site.yaml",
                                  "/%2e%2e/site.yaml", "/a%00b"])
def test_other_paths_are_404_with_an_html_body(server: SiteServer, path: str) -> None:
    response, body = fetch(server, path)
    assert response.status == 404
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"Not Found" in body and b"hosts:" not in body


@pytest.mark.parametrize(("path", "content_type"), [
    ("/about", "text/html; charset=utf-8"),
    ("/sitemap-pages.xml", "application/xml"),
    ("/robots.txt", "text/plain; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
])
def test_content_type_follows_the_extension(server: SiteServer, path: str,
                                            content_type: str) -> None:
    response, body = fetch(server, path)
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("Content-Length") == str(len(body))


def test_text_files_are_templated_with_host_netlocs(server: SiteServer) -> None:
    _, body = fetch(server, "/")
    page = body.decode()
    assert f"http://{server.netloc('ext_a')}/landing" in page
    assert f"http://{server.netloc('ext_dead')}/x" in page
    assert f"http://{server.netloc('site')}/about" in page
    # safe_substitute: text that is not a host name is left alone.
    assert "costs $5 and ${unknown} stays" in page
    robots = fetch(server, "/robots.txt")[1].decode()
    assert f"Sitemap: http://{server.netloc('site')}/sitemap.xml" in robots


def test_non_text_files_are_served_verbatim(server: SiteServer) -> None:
    assert b"/* ${site} is not templated" in fetch(server, "/style.css")[1]


# --- the request log ----------------------------------------------------------------------


def test_request_log_records_every_request(fresh: SiteServer) -> None:
    before = time.time()
    fetch(fresh, "/about?utm_source=x", headers={"User-Agent": "readiness-test"})
    fetch(fresh, "/about", method="HEAD")
    fetch(fresh, "/", host="ext_a")
    assert [(r.host, r.method, r.path) for r in fresh.requests] == [
        ("site", "GET", "/about?utm_source=x"), ("site", "HEAD", "/about"), ("ext_a", "GET", "/")]
    first = fresh.requests[0]
    assert first.headers["User-Agent"] == "readiness-test"
    assert before <= first.time <= time.time()
    assert len(fresh.requests_for("site", "/about")) == 2
    assert len(fresh.requests_for("site", "/about?utm_source=x")) == 1
    assert len(fresh.requests_for("site", "/about", method="head")) == 1
    assert len(fresh.requests_for("ext_a")) == 1
    fresh.reset_log()
    assert fresh.requests == []


def test_requests_are_not_logged_to_stderr(fresh: SiteServer,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    for path in ("/", "/missing", "/old"):
        fetch(fresh, path)
    assert capfd.readouterr().err == ""


# --- manifest errors ----------------------------------------------------------------------


@pytest.mark.parametrize(("manifest", "message"), [
    ("hosts: {site: 127.0.0.1}\nroutes: {site: {/x: {stauts: 200}}}", "unknown keys"),
    ("hosts: {site: 127.0.0.1}\nroutes: {site: {/x: {file: nope.html}}}", "no file"),
    ("hosts: {site: 127.0.0.1}\nroutes: {other: {/x: {status: 200}}}", "unknown hosts"),
    ("hosts: {site: 127.0.0.1}\nroutes: {site: {x: {status: 200}}}", "starting with /"),
    ("hosts: {site: 127.0.0.1}\nroutes: {site: {/x: {stream: forever}}}", "stream"),
    ("hosts: {site: 127.0.0.1}\nroutes: {site: {/x: {sequence: []}}}", "sequence"),
    ("hosts: {site: 127.0.0.1}\nroutes: {site: {/x: {body: a, encoding: klingon}}}", "encoding"),
    ("hosts: {site: 127.0.0.1}\nrefused: [site]", "both served and refused"),
    ("hosts: {site: 127.0.0.1}\nrouts: {}", "unknown top-level"),
])
def test_manifest_mistakes_are_errors(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "site.yaml").write_text(manifest)
    with pytest.raises(ManifestError, match=message):
        SiteServer(tmp_path)


# --- the shipped sites --------------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(SHIPPED_SITES))
def shipped(request: pytest.FixtureRequest):
    with SiteServer(SHIPPED_SITES[request.param]) as running:
        yield running


def test_shipped_site_files_resolve_every_template(shipped: SiteServer) -> None:
    """Every text file answers 200 and no ``${...}`` is left: a typo in a host name shows here."""
    for host in shipped.manifest.hosts:
        host_dir = shipped.manifest.host_dir(host)
        if not host_dir.is_dir():
            continue
        for file in sorted(host_dir.rglob("*")):
            if file.suffix not in (".html", ".xml", ".txt", ".json"):
                continue
            path = "/" + file.relative_to(host_dir).as_posix()
            response, text = fetch_text(shipped, path, host=host)
            assert response.status == 200, path
            assert "${" not in text, f"unresolved template in {host}{path}"


def test_shipped_site_routes_answer_as_declared(shipped: SiteServer) -> None:
    shipped.reset_sequences()
    for host, routes in shipped.manifest.routes.items():
        for key, route in routes.items():
            first = route["sequence"][0] if "sequence" in route else route
            if first.get("delay", 0) > 2 or "stream" in first or "trickle" in first:
                continue  # slow and endless routes have their own tests above
            response, text = fetch_text(shipped, key, host=host)
            assert response.status == first.get("status", 200), f"{host}{key}"
            if "location" in first:
                assert "${" not in response.getheader("Location")
            if is_text(response):
                assert "${" not in text, f"{host}{key}"
    shipped.reset_sequences()


def test_shipped_site_robots_txt_names_a_sitemap_that_is_served(shipped: SiteServer) -> None:
    _, robots = fetch_text(shipped, "/robots.txt")
    sitemap_lines = [line.split(":", 1)[1].strip() for line in robots.splitlines()
                     if line.lower().startswith("sitemap:")]
    assert sitemap_lines
    path = "/" + sitemap_lines[0].split("/", 3)[3]
    assert fetch(shipped, path)[0].status == 200


def test_shipped_site_manifests_name_the_usual_hosts(shipped: SiteServer) -> None:
    manifest = yaml.safe_load((shipped.site_dir / "site.yaml").read_text())
    assert manifest["hosts"]["site"] == "127.0.0.1"
    assert all(address.startswith("127.") for address in manifest["hosts"].values())


# --- the shipped sites' link graphs match their PLANTED.md ---------------------------------


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def walk_links(
    server: SiteServer, production_origin: str | None = None,
    unfetched: frozenset[str] = frozenset(),
) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Breadth-first over the `site` host's <a> links and redirects: status and inbound pages.

    Paths in ``unfetched`` are recorded as link targets but never requested (endless pages).
    """
    origin = server.url("site").rstrip("/")
    statuses: dict[str, int] = {}
    inbound: dict[str, set[str]] = {}
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        if path in statuses:
            continue
        response, text = fetch_text(server, path)
        statuses[path] = response.status
        targets = [response.getheader("Location")] if response.status in (301, 302) else []
        if response.status == 200 and "html" in (response.getheader("Content-Type") or ""):
            parser = _AnchorParser()
            parser.feed(text)
            targets += parser.hrefs
        for target in targets:
            absolute = urljoin(origin + path, target).split("#", 1)[0]
            if production_origin:
                absolute = absolute.replace(production_origin, origin)
            if not absolute.startswith(origin + "/"):
                continue
            target_path = absolute[len(origin):]
            inbound.setdefault(target_path, set()).add(path)
            if target_path not in unfetched:
                queue.append(target_path)
    return statuses, inbound


def test_fixture_site_link_graph_matches_planted_md() -> None:
    with SiteServer(SHIPPED_SITES["fixture_site"]) as server:
        statuses, inbound = walk_links(server, unfetched=frozenset({"/size/endless", "/size/big"}))
    not_ok = {path: status for path, status in statuses.items() if status != 200}
    assert not_ok == {
        "/redirects/chain-2-start": 301, "/redirects/chain-2-middle": 301,
        "/redirects/chain-3-start": 301, "/redirects/chain-3-hop-1": 301,
        "/redirects/chain-3-hop-2": 301, "/redirects/loop-a": 301, "/redirects/loop-b": 301,
        "/redirects/to-404": 301, "/redirects/to-404-target": 404, "/redirects/to-home": 301,
        "/redirects/to-linked-404": 301,
        "/redirects/single-301": 301, "/redirects/temporary-302": 302,
        "/errors/not-found": 404, "/errors/gone": 410, "/errors/server-error": 500,
    }
    assert len(inbound["/errors/not-found"]) >= 2 and len(inbound["/errors/gone"]) >= 2
    assert {"/size/endless", "/size/big", "/private/secret-page"} <= set(inbound)
    assert "/html/self-links?utm_source=x&utm_medium=y" in statuses
    # Reachable only through a sitemap.
    sitemap_only = {"/sitemap-only/orphan", "/sitemap-only/missing", "/sitemap-only/moved"}
    assert not sitemap_only & set(inbound)


def test_demo_site_link_graph_matches_planted_md() -> None:
    with SiteServer(SHIPPED_SITES["demo_site"]) as server:
        statuses, inbound = walk_links(server, "https://www.brightsmile-dental.example")
    not_ok = {path: status for path, status in statuses.items() if status != 200}
    assert not_ok == {
        "/appointments": 301, "/offers": 301, "/offers/2023": 301, "/offers/2024": 301,
        "/patient-portal": 301, "/patient-portal/login": 301, "/services/invisalign": 301,
        "/services/clear-aligners": 404, "/dentists": 302, "/services/veneers": 404,
        "/blog/holiday-hours-2019": 410, "/book-online": 500,
    }
    assert "/blog/gum-disease-signs" not in inbound  # the orphan: sitemap only
    assert "/help/faq" not in inbound and "/services/emergency-care" not in inbound
    assert inbound["/blog/implant-care/part-5"] == {"/blog/implant-care/part-4"}
    assert inbound["/reviews/guidelines"] == {"/reviews"}  # and that link is nofollow
    assert {"/index.html", "/services/cleaning?ref=home", "/staff/schedule"} <= set(statuses)


def test_prefix_routes_serve_endless_url_spaces(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "page.html").write_text("<html><body>same page</body></html>")
    (tmp_path / "site.yaml").write_text(
        "hosts: {site: 127.0.0.1}\nroutes:\n  site:\n    /cal/*: {file: page.html}\n"
        "    /cal/exact: {status: 410, body: gone}\n")
    with SiteServer(tmp_path) as server:
        import urllib.request
        deep = urllib.request.urlopen(server.url("site", "/cal/2026/01/02/"))
        assert b"same page" in deep.read()
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(server.url("site", "/cal/exact"))
        assert gone.value.code == 410
