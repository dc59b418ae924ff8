"""No request to an address the user did not name (issue 11 §1), on real loopback servers.

The "internal" servers listen on 127.0.0.50 and 127.0.0.51: loopback addresses outside the
fixture sites' own (conftest.FIXTURE_ADDRESSES), so they count as private exactly as 10.x
or 169.254.169.254 do in production. Each planted way of reaching them (link, image,
canonical, redirect, robots.txt redirect, sitemap index entry, IP spellings, a DNS name
resolving there, a name that rebinds) is asserted by URL, and the internal servers' request
logs prove no request reached them; the clean twins (the same on an allowed host) are
asserted fetched.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import textwrap

import pytest
import yaml
from conftest import REPO, TEST_PROBE, crawl_site, run_cli

from readiness.crawl.addresses import AddressPolicy, is_public, literal_address
from readiness.demo.server import SiteServer
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

INTERNAL = "127.0.0.50"


def spellings(address: str, port: int) -> dict[str, str]:
    """The same IPv4 address as resolvers read it: decimal, hex, octal, short forms."""
    packed = int(ipaddress.IPv4Address(address))
    a, b, c, d = (int(part) for part in address.split("."))
    return {
        "decimal": f"http://{packed}:{port}/decimal",
        "hex": f"http://0x{a:x}.0x{b:x}.0x{c:x}.0x{d:x}:{port}/hex",
        "hex-short": f"http://0x{a:x}.{(b << 16) | (c << 8) | d}:{port}/hex-short",
        "octal": f"http://0{a:o}.0.0.0{d:o}:{port}/octal",
        "mapped-v6": f"http://[::ffff:{address}]:{port}/mapped-v6",
    }


SITE = """
hosts:
  site: 127.0.0.1
  ext: 127.0.0.2
  internal: 127.0.0.50
routes:
  site:
    /robots.txt: {status: 301, location: "http://${internal}/robots.txt"}
    /: {file: home.html}
    /canonical-page: {file: canonical.html}
    /to-internal: {status: 302, location: "http://${internal}/redirected"}
    /to-ext: {status: 302, location: "http://${ext}/redirected"}
    /sitemap-index.xml: {file: index.xml, content_type: application/xml}
    /sitemap-pages.xml: {file: pages.xml, content_type: application/xml}
    /spellings: {file: spellings.html}
  ext:
    /link: {body: ok}
    /img.png: {size: 100, content_type: image/png}
    /canonical: {body: ok}
    /redirected: {body: ok}
  internal:
    /link: {body: secret}
    /img.png: {size: 100, content_type: image/png}
    /canonical: {body: secret}
    /redirected: {body: secret}
    /robots.txt: {body: "User-agent: *\\nDisallow: /"}
    /sitemap.xml: {file: pages.xml, content_type: application/xml}
"""

HOME = """<html><head><title>Home</title></head><body>
<a href="http://${internal}/link">internal link</a> <a href="http://${ext}/link">ext link</a>
<img src="http://${internal}/img.png" alt="i"> <img src="http://${ext}/img.png" alt="e">
<a href="/to-internal">redirect in</a> <a href="/to-ext">redirect out</a>
<a href="/canonical-page">c</a> <a href="/spellings">s</a>
</body></html>"""
CANONICAL = """<html><head><title>C</title>
<link rel="canonical" href="http://${internal}/canonical"></head>
<body><a href="http://${ext}/canonical">ext canonical twin</a></body></html>"""
INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://${internal}/sitemap.xml</loc></sitemap>
<sitemap><loc>http://${site}/sitemap-pages.xml</loc></sitemap>
</sitemapindex>"""
PAGES = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://${site}/</loc></url></urlset>"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("ssrf-site")
    (root / "site.yaml").write_text(SITE, encoding="utf-8")
    for host, files in {"site": {"home.html": HOME, "canonical.html": CANONICAL,
                                 "index.xml": INDEX, "pages.xml": PAGES, "spellings.html": ""},
                        "internal": {"pages.xml": PAGES}}.items():
        (root / host).mkdir()
        for name, text in files.items():
            (root / host / name).write_text(text, encoding="utf-8")
    with SiteServer(root) as server:
        port = int(server.netloc("internal").rsplit(":", 1)[1])
        links = "".join(f'<a href="{url}">{name}</a>\n'
                        for name, url in spellings(INTERNAL, port).items())
        # Files are read per request: the spelled URLs need the internal server's port.
        (root / "site" / "spellings.html").write_text(f"<html><body>{links}</body></html>")
        server.spelled = spellings(INTERNAL, port)
        out = tmp_path_factory.mktemp("ssrf") / "run"
        server.crawl = crawl_site(server.url("site"), out,
                                  {"sitemaps": ["/sitemap-index.xml"],
                                   "fetch_resources": True})
        yield server


def probe_errors(crawl) -> dict[str, tuple]:
    with crawl.store() as store:
        return {row[0]: (row[1], row[2]) for row in store.query(
            "SELECT u.url, p.verdict, p.error FROM probes p JOIN urls u ON u.id = p.url_id")}


def test_no_request_reached_the_internal_server(hostile):
    assert hostile.crawl.result.returncode in (0, 1), hostile.crawl.result.stderr
    assert hostile.requests_for("internal") == []
    # The clean twins on an allowed host were requested.
    for path in ("/link", "/img.png", "/canonical", "/redirected"):
        assert hostile.requests_for("ext", path), path


@pytest.mark.parametrize("path", ["/link", "/img.png", "/canonical", "/redirected"])
def test_internal_targets_are_recorded_not_checked(hostile, path):
    errors = probe_errors(hostile.crawl)
    assert errors[hostile.url("internal", path)][1] == "private-address"
    assert errors[hostile.url("ext", path)][1] is None


def test_refused_links_are_reported_not_checked_never_broken(hostile):
    findings = analyze(hostile.crawl.store_path, load_config()).findings
    by_url = {(f.rule, f.url): f for f in findings}
    internal_link = hostile.url("internal", "/link")
    assert "not checked: private address" in by_url[("LNK002", internal_link)].message
    assert ("LNK001", internal_link) not in by_url
    assert ("LNK002", hostile.url("ext", "/link")) not in by_url


@pytest.mark.parametrize("spelling", ["decimal", "hex", "hex-short", "octal", "mapped-v6"])
def test_ip_spellings_of_an_internal_address_are_refused(hostile, spelling):
    errors = probe_errors(hostile.crawl)
    url = hostile.spelled[spelling]
    matching = [value for stored, value in errors.items()
                if stored.rstrip("/").endswith("/" + spelling)]
    assert matching == [("unverifiable", "private-address")], (url, errors)


def test_robots_txt_redirect_to_internal_host_is_not_followed(hostile):
    with hostile.crawl.store() as store:
        rows = list(store.query("SELECT url, status, body FROM robots"))
    assert [(r[0], r[1], r[2]) for r in rows] == [(hostile.url("site", "/robots.txt"), 301, None)]
    assert not hostile.requests_for("internal", "/robots.txt")


def test_sitemap_index_entry_on_internal_host_is_refused(hostile):
    with hostile.crawl.store() as store:
        rows = {row[0]: row[1] for row in store.query(
            "SELECT u.url, s.error FROM sitemaps s JOIN urls u ON u.id = s.url_id")}
    assert rows[hostile.url("internal", "/sitemap.xml")] == "off-site"
    assert rows[hostile.url("site", "/sitemap-pages.xml")] is None
    assert not hostile.requests_for("internal", "/sitemap.xml")


# -- names that resolve to a refused address: a resolver of the test's own --------------------

RESOLVER = '''
from twisted.internet import defer
from scrapy.resolver import CachingThreadedResolver

ANSWERS = {answers!r}
asked = {{}}


class HostsResolver(CachingThreadedResolver):
    """A hosts file: no real DNS. A list answers in turn (a name that rebinds)."""

    def getHostByName(self, name, timeout=()):
        answer = ANSWERS.get(name)
        if answer is None:
            return super().getHostByName(name, timeout)
        if isinstance(answer, list):
            count = asked[name] = asked.get(name, 0) + 1
            answer = answer[min(count, len(answer)) - 1]
        return defer.succeed(answer)
'''

NAMED_SITE = """
hosts:
  site: 127.0.0.1
  ext: 127.0.0.2
  internal: 127.0.0.51
routes:
  site:
    /: {file: home.html}
  ext:
    /public: {body: ok}
    /rebind: {body: ok}
  internal:
    /intranet: {body: secret}
    /rebind: {body: secret}
"""


def test_names_resolving_to_internal_addresses_are_refused_even_when_rebinding(tmp_path):
    (tmp_path / "site.yaml").write_text(NAMED_SITE, encoding="utf-8")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "home.html").write_text("", encoding="utf-8")
    with SiteServer(tmp_path) as server:
        ext_port = server.netloc("ext").rsplit(":", 1)[1]
        internal_port = server.netloc("internal").rsplit(":", 1)[1]
        (tmp_path / "site" / "home.html").write_text(
            f'<a href="http://intranet.test:{internal_port}/intranet">i</a>'
            f'<a href="http://public.test:{ext_port}/public">p</a>'
            # First answer allowed (the early check passes), then private at connect time.
            f'<a href="http://rebind.test:{internal_port}/rebind">r</a>', encoding="utf-8")
        (tmp_path / "hosts_resolver.py").write_text(RESOLVER.format(answers={
            "intranet.test": "127.0.0.51", "public.test": "127.0.0.2",
            "rebind.test": ["127.0.0.2", "127.0.0.51"]}), encoding="utf-8")
        config = tmp_path / "c.yaml"
        config.write_text(yaml.safe_dump({"crawl": {"probe": dict(TEST_PROBE, retries=0)}}))
        script = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(tmp_path)!r})
            from readiness.crawl.runner import run_crawl
            from readiness.rules.settings import load_config
            run_crawl({server.url("site")!r}, load_config({str(config)!r}),
                      out={str(tmp_path / "run")!r}, progress=False,
                      settings={{"DNS_RESOLVER": "hosts_resolver.HostsResolver"}})
        """)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                timeout=180, cwd=REPO)
        assert result.returncode == 0, result.stderr
        assert server.requests_for("internal") == []
        assert server.requests_for("ext", "/public")
    from readiness.store import open_store
    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        errors = {row[0]: row[1] for row in store.query(
            "SELECT u.url, p.error FROM probes p JOIN urls u ON u.id = p.url_id")}
    assert errors[f"http://intranet.test:{internal_port}/intranet"] == "private-address"
    assert errors[f"http://public.test:{ext_port}/public"] is None
    # Rebound at connect time: no connection, whatever the stored reason.
    assert errors[f"http://rebind.test:{internal_port}/rebind"] is not None


# -- the address rules themselves ---------------------------------------------------------------

@pytest.mark.parametrize("host", [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1",
    "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2130706433", "0x7f.1", "0177.0.0.1", "[::1]",
    # 6to4 (RFC 3056): a 6to4 interface sends these to the IPv4 address they carry.
    "2002:a9fe:a9fe::1", "2002:7f00:1::"])
def test_non_public_addresses_in_every_spelling_are_refused(host):
    address = literal_address(host)
    assert address is not None and not is_public(address)
    assert AddressPolicy(["site.example"]).check_literal(host if ":" not in host.strip("[]")
                                                         else f"[{host.strip('[]')}]")


@pytest.mark.parametrize("host", ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8",
                                  "2002:5db8:d822::1"])  # 6to4 of 93.184.216.34
def test_public_addresses_are_permitted(host):
    assert is_public(literal_address(host))


def test_named_hosts_and_allow_private_networks_are_permitted():
    policy = AddressPolicy(["10.0.0.5:8080"], ["192.168.0.0/16"])
    assert policy.check_literal("10.0.0.5:8080") is None         # named: host and port
    assert policy.check_literal("10.0.0.5:6379") is not None     # another port is not named
    assert policy.check_literal("192.168.7.7") is None           # allowed network
    assert policy.check_literal("[::ffff:192.168.7.7]") is None  # the same, IPv4-mapped
    assert policy.check_literal("www.example.com") is None       # a name: resolved later


def test_link_local_and_metadata_addresses_are_refused_even_when_named():
    """A prospects or placements list names its hosts (they are the list-mode crawl's), and a
    line copied from a spreadsheet may be the metadata service: naming a link-local or
    metadata address is not enough, only ``allow_private`` lets it through."""
    policy = AddressPolicy(["169.254.169.254", "[fe80::1]:8080", "100.100.100.200",
                            "[::ffff:169.254.169.254]", "10.0.0.5", "127.0.0.9:8080"])
    for refused in ("169.254.169.254", "[fe80::1]:8080", "100.100.100.200",
                    "[::ffff:169.254.169.254]"):
        assert policy.check_literal(refused) is not None, refused
    # The clean twins: named private and loopback hosts are still let through.
    assert policy.check_literal("10.0.0.5") is None
    assert policy.check_literal("127.0.0.9:8080") is None
    assert policy.permits(literal_address("169.254.169.254"), named=True) is False
    assert policy.permits(literal_address("10.0.0.5"), named=True) is True
    allowed = AddressPolicy(["169.254.169.254"], ["169.254.169.254/32"])
    assert allowed.check_literal("169.254.169.254") is None


# -- configuration ----------------------------------------------------------------------------------

def test_allow_private_must_be_networks(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("crawl:\n  allow_private: [10.0.0.0/8, intranet]\n")
    result = run_cli("crawl", "http://127.0.0.1:9/", "--config", str(config))
    assert result.returncode == 2
    assert "'intranet' is not a network" in result.stderr


def test_extra_host_missing_from_host_map_is_a_config_error(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("crawl:\n  host_map: {'https://www.clinic.example': 'http://127.0.0.1:9'}\n"
                      "  extra_hosts: [clinic.example]\n")
    result = run_cli("crawl", "https://www.clinic.example/", "--config", str(config))
    assert result.returncode == 2
    assert "clinic.example: not in host_map" in result.stderr
    mapped = tmp_path / "ok.yaml"
    mapped.write_text("crawl:\n  host_map: {'https://www.clinic.example': 'http://127.0.0.1:9',"
                      " 'https://clinic.example': 'http://127.0.0.1:9'}\n"
                      "  extra_hosts: [clinic.example]\n")
    assert "not in host_map" not in run_cli("crawl", "https://www.clinic.example/", "--config",
                                            str(mapped), "--out", str(tmp_path / "r")).stderr


# -- credentials in the start URL ---------------------------------------------------------------

PASSWORD = "Sup3r-Secret-Pw"


@pytest.mark.parametrize("command", ["crawl", "check"])
def test_start_url_credentials_are_refused_and_never_written(tmp_path, command):
    url = f"http://bob:{PASSWORD}@127.0.0.1:9/"
    result = run_cli(command, url, "--out", str(tmp_path / "run"), "--reports-dir",
                     str(tmp_path))
    assert result.returncode == 2
    assert "http://***@127.0.0.1:9/" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_credentials_in_config_urls_are_refused_and_never_written(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"crawl:\n  start_urls: ['http://bob:{PASSWORD}@127.0.0.1:9/x']\n"
                      f"  sitemaps: ['http://eve:{PASSWORD}@127.0.0.1:9/sitemap.xml']\n")
    result = run_cli("crawl", "http://127.0.0.1:9/", "--config", str(config), "--out",
                     str(tmp_path / "run"), "--reports-dir", str(tmp_path))
    assert result.returncode == 2
    assert "http://***@127.0.0.1:9/x" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != config]
    assert not [p for p in written if PASSWORD.encode() in p.read_bytes()]


# -- an outside host redirecting a probe off HTTP -------------------------------------------

SCHEME_SITE = """
hosts:
  site: 127.0.0.1
  ext: 127.0.0.2
routes:
  site:
    /: {{file: home.html}}
  ext:
    /to-file: {{status: 302, location: "{secret_uri}"}}
    /to-http: {{status: 302, location: "http://${{ext}}/landing"}}
    /landing: {{body: ok}}
"""
SCHEME_HOME = """<html><head><title>Home</title></head><body>
<a href="http://${ext}/to-file">to file</a> <a href="http://${ext}/to-http">to http</a>
</body></html>"""


def test_probe_redirect_to_a_local_file_is_not_followed(tmp_path):
    """A hostile outside host answering ``Location: file:///...``: the prober follows
    redirects hop by hop, and Scrapy's stock file:// handler would read the crawling
    machine's file (or /dev/zero, to the end of memory) and call the link "redirected"."""
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    root = tmp_path / "site"
    root.mkdir()
    # On an allowed host: file:// ignores the host, so the address guard cannot stop it
    # (file:///path, with no host, happens to be refused: "" resolves to 0.0.0.0).
    secret_uri = f"file://127.0.0.2{secret}"
    (root / "site.yaml").write_text(SCHEME_SITE.format(secret_uri=secret_uri), encoding="utf-8")
    (root / "site").mkdir()
    (root / "site" / "home.html").write_text(SCHEME_HOME, encoding="utf-8")
    with SiteServer(root) as server:
        crawl = crawl_site(server.url("site"), tmp_path / "run")
        assert crawl.result.returncode in (0, 1), crawl.result.stderr
        with crawl.store() as store:
            probes = {row[0]: (row[1], row[2], row[3]) for row in store.query(
                "SELECT u.url, p.verdict, p.final_url, p.error FROM probes p"
                " JOIN urls u ON u.id = p.url_id")}
        to_file = probes[server.url("ext", "/to-file")]
        assert to_file[0] not in ("ok", "redirected"), to_file
        assert to_file[2] is not None, to_file
        # The clean twin: an HTTP redirect is followed to its answer.
        assert probes[server.url("ext", "/to-http")][:2] == (
            "redirected", server.url("ext", "/landing"))


# -- a malformed READINESS_ALLOW_PRIVATE ------------------------------------------------------

BAD_ENV_SITE = """
hosts:
  site: 127.0.0.1
  internal: 127.0.0.50
routes:
  site:
    /: {body: '<html><body><a href="http://${internal}/link">internal</a></body></html>'}
  internal:
    /link: {body: secret}
"""


@pytest.mark.parametrize("command", ["readiness", "scrapy"])
def test_malformed_allow_private_variable_never_opens_the_guard(tmp_path, monkeypatch,
                                                                command):
    """A typo in READINESS_ALLOW_PRIVATE was an error in a signal handler, which Scrapy
    logs and goes on from: the guard had no policy and let every request through."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "site.yaml").write_text(BAD_ENV_SITE, encoding="utf-8")
    from conftest import FIXTURE_ADDRESSES
    from readiness.crawl.addresses import ALLOW_PRIVATE_ENV

    monkeypatch.setenv(ALLOW_PRIVATE_ENV, ",".join(
        [*(f"{address}/32" for address in FIXTURE_ADDRESSES), "intranet"]))
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"crawl": {"probe": TEST_PROBE}}), encoding="utf-8")
    out = tmp_path / "run"
    with SiteServer(root) as server:
        if command == "readiness":
            result = run_cli("crawl", server.url("site"), "--config", str(config), "--out",
                             str(out), "--reports-dir", str(tmp_path), "--quiet")
            assert result.returncode == 2, result.stdout + result.stderr
            assert f"{ALLOW_PRIVATE_ENV}: 'intranet' is not a network" in result.stderr
        else:
            result = subprocess.run(
                [sys.executable, "-m", "scrapy", "crawl", "site", "-a",
                 f"url={server.url('site')}", "-a", f"config={config}", "-a", f"out={out}",
                 "-s", "LOG_LEVEL=WARNING"],
                capture_output=True, text=True, timeout=180, cwd=REPO)
            assert f"{ALLOW_PRIVATE_ENV}: 'intranet' is not a network" in result.stderr
            # The site itself (a named host) is still crawled.
            assert server.requests_for("site", "/")
        assert server.requests_for("internal") == []
