"""Full evidence: a broken page linked from many pages lists every linking page, in URL order.

findings.json carries every source; the per-rule CSV's evidence cell shows EVIDENCE_LIMIT of
them and names csv/evidence/<id>.csv, which lists them all; the HTML report shows a few with
"and N more". The site is written by the test (more pages than the fixture site has linking
to any one broken URL) and crawled for real from a loopback server.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import crawl_site

from readiness.demo.server import SiteServer
from readiness.report.machine import EVIDENCE_COLUMNS
from readiness.rules.context import EVIDENCE_LIMIT

SOURCES = 40  # note pages linking the broken URL: well past EVIDENCE_LIMIT
EDGES = 2 * SOURCES + 1  # twice from each note page, once from the footer of /kept
TOPICS = ["implants", "whitening", "braces", "crowns", "veneers", "fillings", "bridges",
          "dentures", "hygiene", "checkups"]

OPENING_HOURS = (
    "<p>The practice opens at eight on weekdays and closes at six, except on Thursdays when "
    "the evening clinic runs until nine for patients who work during the day.</p>"
    "<p>Saturday mornings are kept for emergencies and for children's check-ups; please "
    "call ahead so the reception team can find a chair for you.</p>"
    "<p>On public holidays a recorded message gives the number of the dentist on call, and "
    "the car park behind the building stays open for the pharmacy next door.</p>")


def page(title: str, path: str, body: str, footer_links_gone: bool = True) -> str:
    gone = '<a href="/gone">Old price list</a> ' if footer_links_gone else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="description" content="{title}: what the practice offers and how to book it.">
<link rel="canonical" href="http://${{site}}{path}">
</head>
<body>
<header><a href="/">Evidence practice</a></header>
<nav><a href="/">Home</a> <a href="/kept">Opening hours</a></nav>
<main>
<h1>{title}</h1>
{body}
</main>
<footer>{gone}<a href="/kept">Opening hours</a></footer>
</body>
</html>
"""


def paragraph(n: int) -> str:
    topic, other = TOPICS[n % len(TOPICS)], TOPICS[(n * 3 + 1) % len(TOPICS)]
    return (f"<p>Treatment note {n}: {topic} appointments are planned with a dentist who "
            f"explains each step, the time it takes and the aftercare, and who compares it "
            f"with {other} when that is the better choice for patient number {n}.</p>")


def write_site(root: Path) -> Path:
    (root / "site").mkdir(parents=True)
    (root / "site.yaml").write_text("hosts:\n  site: 127.0.0.1\n", encoding="utf-8")
    # Page numbers written out of URL order, so the crawl meets them out of order too.
    numbers = sorted(range(1, SOURCES + 1), key=lambda n: (n * 17) % SOURCES)
    links = "\n".join(f'<p><a href="/p/{n:02}">Note {n}</a></p>' for n in numbers)
    (root / "site" / "index.html").write_text(
        # Not the home page: the crawl requests its /index.html variant as well, and which
        # URLs the crawler invents is not this test's subject.
        page("Evidence practice", "/", links + paragraph(0), footer_links_gone=False),
        encoding="utf-8")
    (root / "site" / "p").mkdir()
    for n in range(1, SOURCES + 1):
        body = (f'<p>See the <a href="/gone">price list for note {n}</a>.</p>'
                + "".join(paragraph(n * 7 + k) for k in range(4)))
        (root / "site" / "p" / f"{n:02}.html").write_text(
            page(f"Treatment note {n}", f"/p/{n:02}", body), encoding="utf-8")
    (root / "site" / "kept.html").write_text(
        # Its own words: the note pages share one sentence pattern (near-duplicates of each
        # other by design), and the clean twin must not be one of them.
        page("Opening hours", "/kept", OPENING_HOURS),
        encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("evidence-site"))
    with SiteServer(root) as server:
        out = tmp_path_factory.mktemp("reports") / "run"
        # No template variants (/p/01/ …) either: they would link the broken page too.
        crawl = crawl_site(server.url("site"), out, {"variant_samples": 0}, command="check")
        assert crawl.result.returncode == 1, crawl.result.stderr  # the broken page blocks
        yield server, out


def test_findings_json_lists_every_source_in_url_order(checked):
    server, out = checked
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    findings = {(f["rule"], f["url"]): f for f in document["findings"]}
    broken = findings[("STS001", server.url("site", "/gone"))]
    evidence = broken["evidence"]
    # The footers link it; the note pages link it from their text first.
    notes = [server.url("site", f"/p/{n:02}") for n in range(1, SOURCES + 1)]
    expected = [server.url("site", "/kept")] + [url for note in notes for url in (note, note)]
    assert [link["source"] for link in evidence["inbound_links"]] == expected
    assert [(link["anchor"], link["region"]) for link in evidence["inbound_links"][1:3]] == [
        ("price list for note 1", "main"), ("Old price list", "footer")]
    assert evidence["inbound_link_count"] == EDGES
    assert evidence["linking_pages"] == SOURCES + 1
    # The clean twin, linked from every page too, is not flagged by any rule.
    assert [code for code, url in findings if url == server.url("site", "/kept")] == []


def test_csv_cell_is_cut_and_the_evidence_file_has_every_source(checked):
    server, out = checked
    with (out / "csv" / "STS001-broken-internal-page.csv").open(encoding="utf-8") as fh:
        rows = {row["url"]: row for row in csv.DictReader(fh)}
    row = rows[server.url("site", "/gone")]
    cell = json.loads(row["evidence"])
    assert len(cell["inbound_links"]) == EVIDENCE_LIMIT
    assert cell["_more"] == {"inbound_links": EDGES - EVIDENCE_LIMIT}
    assert row["evidence_file"] == f"evidence/{row['id']}.csv"
    with (out / "csv" / row["evidence_file"]).open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == EVIDENCE_COLUMNS
        items = list(reader)
    links = [item for item in items if item["list"] == "inbound_links"]
    assert len(links) == EDGES
    assert sorted({item["url"] for item in links}) == [server.url("site", "/kept")] + [
        server.url("site", f"/p/{n:02}") for n in range(1, SOURCES + 1)]
    assert links[1] == {"list": "inbound_links", "url": server.url("site", "/p/01"),
                        "anchor": "price list for note 1", "element": "a", "region": "main",
                        "rel": "", "detail": ""}
    assert links[2]["region"] == "footer"


def test_html_report_shows_a_few_sources_and_how_many_more(checked):
    server, out = checked
    html = (out / "report.html").read_text(encoding="utf-8")
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    (broken,) = [f for f in document["findings"] if f["rule"] == "STS001"]
    start = html.index(f'"id":"{broken["id"]}"')
    shown = html[start:html.index('"id":', start + 10)]
    listed = shown.count('"source":')
    assert 0 < listed < EVIDENCE_LIMIT
    assert f'"_more":{{"inbound_links":{EDGES - listed}' in shown
