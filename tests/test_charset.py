"""Charset sniffing as browsers do it (issue 11 §4): a <meta charset=utf-16> on UTF-8 bytes
is read as UTF-8 and reported (ONP014), on a real loopback site; its twins (real UTF-16 with
a BOM, plain UTF-8) are read right and not flagged."""

from __future__ import annotations

import pytest
import yaml
from conftest import crawl_site

from readiness.demo.server import SiteServer
from readiness.rules.engine import analyze
from readiness.rules.settings import load_config

TITLE = "Clínica Niño — implants"
HTML = "text/html"
HTML_UTF8 = "text/html; charset=utf-8"


def page(meta: str, child: str, text: str = "Our clinic") -> str:
    return (f"<!doctype html><html lang=en><head>{meta}<title>{TITLE}</title></head>"
            f'<body><h1>Implants</h1><p>{text}</p><a href="{child}">next</a></body></html>')


# path: (route keys, meta tag, the page it links to)
PAGES = {
    # The bug: UTF-8 bytes, <meta> says UTF-16, no charset in the header.
    "/false-utf16": ({"content_type": HTML}, '<meta charset="utf-16">'),
    # Twin: really UTF-16 (Python's utf-16 writes a BOM), and the <meta> says so.
    "/real-utf16": ({"content_type": HTML, "encoding": "utf-16"}, '<meta charset="utf-16">'),
    # Twin: UTF-8 declared the same in header and <meta>.
    "/plain-utf8": ({"content_type": HTML_UTF8}, '<meta charset="utf-8">'),
    # Header and <meta> disagree (the header wins, the bytes are UTF-8).
    "/conflict": ({"content_type": HTML_UTF8}, '<meta charset="iso-8859-1">'),
    # Declared UTF-8, saved as Latin-1: "í" is the byte 0xED, not valid UTF-8.
    "/latin1-as-utf8": ({"content_type": HTML_UTF8, "encoding": "latin-1"},
                        '<meta charset="utf-8">'),
    # Twin of it: valid UTF-8 that spells U+FFFD itself (a pasted replacement character) is
    # no bad byte.
    "/utf8-with-fffd": ({"content_type": HTML_UTF8}, '<meta charset="utf-8">',
                        "Our clinic \ufffd"),
}


@pytest.fixture(scope="module")
def charset_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("charset")
    routes = {"/": {"body": "<html><head><title>Home</title></head><body>" + "".join(
        f'<a href="{path}">{path}</a>' for path in PAGES) + "</body></html>"}}
    for path, (keys, meta, *text) in PAGES.items():
        routes[path] = {**keys, "body": page(meta, f"{path}/child", *text)}
        routes[f"{path}/child"] = {"body": page("", "/")}
    site_dir = root / "site"
    site_dir.mkdir()
    (site_dir / "site.yaml").write_text(yaml.safe_dump(
        {"hosts": {"site": "127.0.0.1"}, "routes": {"site": routes}}), encoding="utf-8")
    with SiteServer(site_dir) as server:
        crawl = crawl_site(server.url("site"), root / "run", {"probe": {"enabled": False}})
        assert crawl.result.returncode in (0, 1), crawl.result.stderr
        yield server, crawl, analyze(crawl.store_path, load_config())


def onp014(analysis) -> dict[str, str]:
    return {f.url: f.message for f in analysis.findings if f.rule == "ONP014"}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_is_read_with_its_title_and_links(charset_site, path):
    server, crawl, _analysis = charset_site
    url = server.url("site", path)
    with crawl.store() as store:
        row = store.page(url)
        targets = [link["target"] for link in store.links_from(url)]
        child = store.fetch(server.url("site", f"{path}/child"))
    if path == "/latin1-as-utf8":  # undecodable bytes replaced, as browsers do
        assert row["title"] == TITLE.replace("í", "\ufffd").replace("ñ", "\ufffd")
    else:
        assert row["title"] == TITLE
    assert targets == [server.url("site", f"{path}/child")]
    assert child["status"] == 200


def test_the_declared_and_used_charsets_are_stored(charset_site):
    server, crawl, _analysis = charset_site
    with crawl.store() as store:
        stored = {path: tuple(store.query(
            "SELECT charset_header, charset_meta, encoding, encoding_valid FROM pages p "
            "JOIN urls u ON u.id = p.url_id WHERE u.url = ?",
            (server.url("site", path),)).fetchone()) for path in PAGES}
    assert stored == {
        "/false-utf16": (None, "utf-16", "utf-8", 1),
        # The prescan reads ASCII bytes: in UTF-16 it finds nothing, the BOM decides.
        "/real-utf16": (None, None, "utf-16-le", 1),
        "/plain-utf8": ("utf-8", "utf-8", "utf-8", 1),
        "/conflict": ("utf-8", "cp1252", "utf-8", 1),
        "/latin1-as-utf8": ("utf-8", "utf-8", "utf-8", 0),
        "/utf8-with-fffd": ("utf-8", "utf-8", "utf-8", 1),
    }


def test_false_and_conflicting_declarations_are_onp014_and_the_twins_are_not(charset_site):
    server, _crawl, analysis = charset_site
    found = onp014(analysis)
    url = lambda path: server.url("site", path)  # noqa: E731
    assert found == {
        url("/false-utf16"): "the page declares utf-16 in its <meta> but is not UTF-16 "
                             "(read as utf-8)",
        url("/conflict"): "the header says utf-8, the <meta> says cp1252",
        url("/latin1-as-utf8"): "the page declares utf-8 but its bytes are not valid UTF-8",
    }
    assert [f.severity.value for f in analysis.findings if f.rule == "ONP014"] == ["warning"] * 3
