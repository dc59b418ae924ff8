"""Template groups: a problem repeated across a section of the site is one entry.

tests/template_site: 30 /book/ pages without a canonical and with two h1s (CAN001 and ONP008
grouped), a /book/ page with another defect (in neither group), 3 /notes/ pages with the same
two defects (below groups.min_members: not grouped) and a clean home page. Crawled twice, at
different concurrency, through the CLI; each run analysed by `readiness analyze`.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO, crawl_site, run_cli

from readiness.demo.server import SiteServer

TEMPLATE_SITE = REPO / "tests" / "template_site"
BOOK = [f"/book/chapter-{i:02d}" for i in range(1, 31)]
NOTES = [f"/notes/note-{i}" for i in range(1, 4)]


@pytest.fixture(scope="module")
def server():
    with SiteServer(TEMPLATE_SITE) as site:
        yield site


def analysed(server, directory: Path, concurrency: int, groups: dict | None = None):
    out = directory / f"run-c{concurrency}"
    crawl = crawl_site(server.url("site"), out, {"concurrency": concurrency})
    assert crawl.result.returncode == 0, crawl.result.stderr
    config = directory / f"analyze-c{concurrency}.yaml"
    config.write_text(yaml.safe_dump({"extends": "default", "groups": groups or {}}))
    result = run_cli("analyze", str(crawl.store_path), "--config", str(config),
                     "--format", "html,json,md")
    assert result.returncode == 0, result.stderr  # warnings and notices only: the gate passes
    return out, json.loads((out / "findings.json").read_text(encoding="utf-8")), result.stdout


@pytest.fixture(scope="module")
def runs(server, tmp_path_factory):
    root = tmp_path_factory.mktemp("templates")
    return [analysed(server, root, 16), analysed(server, root, 2)]


def by_rule(document: dict, code: str) -> dict:
    return {group["template"]: group for group in document["groups"] if group["rule"] == code}


def test_thirty_same_template_pages_are_one_group_per_problem(runs, server):
    _out, document, _stdout = runs[0]
    url = server.url
    section = url("site", "/book/*")
    for code in ("CAN001", "ONP008"):
        groups = by_rule(document, code)
        assert list(groups) == [section], document["groups"]
        group = groups[section]
        assert group["members"] == 30 and group["section_pages"] == 31
        assert group["urls"] == sorted(url("site", path) for path in BOOK)
        assert group["id"].startswith(f"G-{code}-")
        assert group["message"].startswith("30 of the 31 pages of /book/*: ")
        assert group["message"].endswith(" — fix the template")
        # Every member is still a finding of its own, with its own id, naming the group.
        members = [f for f in document["findings"] if f["rule"] == code and f.get("group")]
        assert sorted(f["url"] for f in members) == group["urls"]
        assert {f["group"] for f in members} == {group["id"]}
        assert len({f["id"] for f in members}) == 30


def test_below_min_members_and_other_defects_are_not_grouped(runs, server):
    _out, document, _stdout = runs[0]
    url = server.url
    findings = {(f["rule"], f["url"]): f for f in document["findings"]}
    for code in ("CAN001", "ONP008"):
        for path in NOTES:  # the same defect, on 3 pages: found, not grouped
            assert "group" not in findings[(code, url("site", path))]
        # The clean twins: the home page and the /book/ page with a canonical and one h1.
        assert (code, url("site", "/")) not in findings
        assert (code, url("site", "/book/untitled")) not in findings
    untitled = findings[("ONP001", url("site", "/book/untitled"))]
    assert "group" not in untitled
    assert not [g for g in document["groups"] if g["rule"] == "ONP001"]
    assert not [g for g in document["groups"] if "/notes/" in g["template"]]


def test_group_ids_are_the_same_at_any_concurrency(runs):
    (_a, first, _s1), (_b, second, _s2) = runs
    assert [(g["id"], g["members"], g["urls"]) for g in first["groups"]] == [
        (g["id"], g["members"], g["urls"]) for g in second["groups"]]
    assert first["groups"]


def test_every_output_shows_the_group(runs):
    out, document, stdout = runs[0]
    group = by_rule(document, "CAN001")
    (group,) = group.values()
    assert "template problems:" in stdout
    assert f"{group['id']} CAN001 canonical-missing (notice): {group['message']}" in stdout
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "**Template problems**" in summary and f"`{group['id']}`" in summary
    html = (out / "report.html").read_text(encoding="utf-8")
    details = re.search(rf'<details class="template-group" data-group="{group["id"]}">(.*?)'
                        r"</details>", html, re.S)
    assert details is not None
    assert re.findall(r'data-group-url="([^"]+)"', details.group(1)) == group["urls"]


def test_groups_can_be_switched_off_or_made_stricter(server, tmp_path):
    _out, off, _stdout = analysed(server, tmp_path, 4, {"enabled": False})
    assert off["groups"] == []
    assert not [f for f in off["findings"] if "group" in f]
    _out, strict, _stdout = analysed(server, tmp_path, 8, {"min_members": 31})
    assert strict["groups"] == []


def test_a_bad_groups_setting_is_a_file_line_error(tmp_path, server):
    config = tmp_path / "groups.yaml"
    config.write_text("extends: default\ngroups:\n  min_share: 2\n", encoding="utf-8")
    result = run_cli("check", server.url("site"), "--config", str(config),
                     "--reports-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"{config}:3: groups.min_share" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_section_is_host_and_first_path_segment_and_a_cause_drops_the_url():
    from readiness.rules.templates import cause_of, section_of

    assert section_of("https://docs.example/book/ch-1?x=/a/b#top") == "https://docs.example/book/*"
    assert section_of("https://docs.example/book/") == "https://docs.example/book/*"
    # A page at the top of its host belongs to the host's top section, not one of its own.
    assert section_of("https://docs.example/about.html") == "https://docs.example/*"
    assert section_of("https://docs.example") == "https://docs.example/*"
    assert section_of("mailto:someone@docs.example") is None
    assert cause_of('2 <h1> headings: "Book", "Chapter 3" on https://docs.example/book/ch-3') == (
        cause_of('3 <h1> headings: "Book", "Chapter 12" on https://docs.example/book/ch-12'))
    assert cause_of("declares no canonical URL") != cause_of("answers 404")


def test_a_grouped_run_validates_against_the_shipped_schema(runs):
    """groups[], a member's "group" and every finding's impact are declared in the schema."""
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads(resources.files("readiness.report").joinpath(
        "findings.schema.json").read_text(encoding="utf-8"))
    (_a, document, _s), _second = runs
    jsonschema.Draft202012Validator(schema).validate(document)
    member = next(f for f in document["findings"] if f.get("group"))
    for broken in ({**member, "impact": "fatal"}, {**member, "group": "book-template"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(schema).validate(
                {**document, "findings": [broken]})


def test_dead_urls_are_no_template_problem(tmp_path):
    """Twelve 404s at the top of the site, beside its home page, linked from one menu: twelve
    STS001 findings, no group (a template renders pages; a dead URL has none), while the twelve /guide/ pages that lack a
    canonical are one CAN001 group."""
    from readiness.cli import main
    from readiness.testing import StoreBuilder

    store = StoreBuilder(tmp_path / "run", start_url="http://site.test/")
    dead = [f"/offer-{i}" for i in range(12)]
    guide = [f"/guide/step-{i}" for i in range(12)]
    store.page("/", title="Home", links=dead + guide, canonical="http://site.test/",
               fetch={"depth": 0, "discovered_by": "start"})
    for url in dead:
        store.fetch(url, status=404)
    for i, url in enumerate(guide):
        store.page(url, title=f"Step {i}", links=["/"])
    main(["analyze", str(store.close()), "--format", "json"])
    document = json.loads((tmp_path / "run" / "findings.json").read_text(encoding="utf-8"))
    dead_findings = [f for f in document["findings"] if f["rule"] == "STS001"]
    assert sorted(f["url"] for f in dead_findings) == sorted(f"http://site.test{u}" for u in dead)
    assert not any(f.get("group") for f in dead_findings)
    assert [g["rule"] for g in document["groups"] if g["rule"] == "STS001"] == []
    [guide_group] = [g for g in document["groups"] if g["rule"] == "CAN001"]
    assert guide_group["template"] == "http://site.test/guide/*"
    assert guide_group["urls"] == sorted(f"http://site.test{u}" for u in guide)


def test_findings_csv_and_xlsx_name_each_members_group(runs, tmp_path):
    """findings.csv's group column holds a member's group id (it was empty for every row:
    the spool's rows for the tables left the group out), empty for a finding in no group;
    report.xlsx's findings sheet the same."""
    out, document, _stdout = runs[0]
    store = tmp_path / "run" / "crawl.sqlite"
    store.parent.mkdir()
    shutil.copy(out / "crawl.sqlite", store)
    result = run_cli("analyze", str(store), "--config", str(out.parent / "analyze-c16.yaml"),
                     "--format", "json,csv,xlsx")
    assert result.returncode == 0, result.stderr
    expected = {f["id"]: f.get("group", "") for f in document["findings"]}
    assert sum(1 for group in expected.values() if group) == 60  # two groups of 30
    with (store.parent / "findings.csv").open(encoding="utf-8-sig", newline="") as table:
        assert {row["id"]: row["group"] for row in csv.DictReader(table)} == expected
    import openpyxl

    sheet = openpyxl.load_workbook(store.parent / "report.xlsx", read_only=True)["findings"]
    header, *rows = sheet.iter_rows(values_only=True)
    at = header.index("id"), header.index("group")
    assert {row[at[0]]: row[at[1]] or "" for row in rows} == expected
