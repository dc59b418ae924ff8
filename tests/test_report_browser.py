"""report.html in a real browser: Debian's chromium + chromedriver, driven by selenium.

The report is opened from disk (file://) with no network: no console error, the verdict and
counts match findings.json, and a filter, the pager, sorting, an evidence expand and an
"evidence" link from the blockers all work.
"""

import json
from pathlib import Path

import pytest
from report.planted import build_site, redirect_rules_config

from readiness.cli import main

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                       reason="needs Debian's chromium and chromium-driver "
                              "(apt-get install chromium chromium-driver; .ci/run installs them)"),
]
webdriver = pytest.importorskip("selenium.webdriver",
                                reason="needs selenium (pip install -e '.[test]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1280,1000")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Two runs of the same site; the second one's report (with trend and comparison)."""
    root = tmp_path_factory.mktemp("browser")
    rules = str(redirect_rules_config(root))
    reports = root / "reports"
    first = build_site(reports / "site-1", loop=True, to_404=True, temporary=3)
    main(["analyze", str(first), "--config", rules])
    second = build_site(reports / "site-2", chain=True, loop=True, temporary=61, extra_pages=4)
    main(["analyze", str(second), "--config", rules])
    run = second.parent
    return run / "report.html", json.loads((run / "findings.json").read_text())


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: selenium never looks for (or downloads) a driver itself.
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, report):
    path, _doc = report
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reportReady"))
    browser.get_log("browser")  # start each test with an empty console
    return browser


def table(driver, code):
    return driver.find_element(By.CSS_SELECTOR, f'[data-findings-table][data-rule="{code}"]')


def visible_ids(driver, code):
    return [row.get_attribute("data-id")
            for row in table(driver, code).find_elements(By.CSS_SELECTOR, "tbody tr[data-id]")]


def test_opens_from_disk_without_console_errors(browser, report, tmp_path):
    path, _doc = report
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reportReady"))
    problems = [entry for entry in browser.get_log("browser")
                if entry["level"] == "SEVERE"]
    assert problems == []
    browser.save_screenshot(str(tmp_path / "report.png"))


def test_verdict_and_counts_match_findings_json(page, report):
    _path, doc = report
    summary = doc["summary"]
    verdict = page.find_element(By.ID, "verdict-text").text
    assert verdict.lower() == summary["verdict"]
    assert page.find_element(By.ID, "verdict").get_attribute("data-ready") == "false"
    for severity, count in summary["counts"].items():
        shown = page.find_element(By.CSS_SELECTOR, f'[data-count="{severity}"]').text
        assert int(shown) == count
    for rule in doc["rules"]:
        if rule["findings"]:
            assert int(table(page, rule["code"]).get_attribute("data-visible")) == rule["findings"]
    changes = page.find_element(By.ID, "changes-previous")
    for key, n in doc["previous"]["counts"].items():
        assert int(changes.find_element(By.CSS_SELECTOR, f'[data-change-count="{key}"]').text) == n
    assert page.find_elements(By.ID, "chart-trend")


def test_long_table_pages_by_fifty_and_sorts(page):
    rdr004 = table(page, "RDR004")
    assert len(visible_ids(page, "RDR004")) == 50
    assert rdr004.find_element(By.CLASS_NAME, "ft-page-info").text == "1–50 of 61"
    rdr004.find_element(By.CLASS_NAME, "ft-next").click()
    assert len(visible_ids(page, "RDR004")) == 11
    assert rdr004.find_element(By.CLASS_NAME, "ft-page-info").text == "51–61 of 61"
    header = rdr004.find_element(By.CSS_SELECTOR, 'th[data-sort="url"]')
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    links = rdr004.find_elements(By.CSS_SELECTOR, "tbody td a.url")
    urls = [a.get_attribute("href") for a in links]
    assert urls == sorted(urls) and len(urls) == 50


def test_filters_narrow_the_tables(page):
    search = table(page, "RDR004").find_element(By.CSS_SELECTOR, "input[type=search]")
    search.send_keys("dr-1")  # dr-1, dr-10 … dr-19
    assert len(visible_ids(page, "RDR004")) == 11
    assert table(page, "RDR004").get_attribute("data-visible") == "11"

    page.find_element(By.ID, "global-search").send_keys("portal")
    WebDriverWait(page, 5).until(
        lambda d: d.find_element(By.ID, "global-status").text == "1 finding matches")
    assert len(visible_ids(page, "RDR002")) == 1
    assert not page.find_element(By.ID, "rule-RDR001").is_displayed()  # nothing matches there


def test_change_filter_tells_new_from_unchanged(page, report):
    _path, doc = report
    new_ids = set(doc["previous"]["new"])
    # Run 2 adds the chain; the loop was there in run 1 too.
    new_expected = {"RDR001": True, "RDR002": False}
    for code, is_new in new_expected.items():
        change = table(page, code).find_element(By.CSS_SELECTOR, "select.ft-change")
        Select(change).select_by_value("new")
        expected = [f["id"] for f in doc["findings"] if f["rule"] == code and f["id"] in new_ids]
        assert bool(expected) is is_new, code
        assert visible_ids(page, code) == expected
    assert visible_ids(page, "RDR002") == []  # the loop was there last time too


def test_evidence_expands_with_hops_and_anchor_text(page):
    rdr001 = table(page, "RDR001")
    toggle = rdr001.find_element(By.CSS_SELECTOR, "tbody .toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    detail = rdr001.find_element(By.CSS_SELECTOR, "tr.detail")
    text = detail.text
    assert "Fix: link straight to http://site.test/specials" in text
    assert "redirect hops (2)" in text.lower()  # headings are upper-cased by CSS
    assert "/offers/2024" in text
    assert "“See this season's offers”" in text
    toggle = rdr001.find_element(By.CSS_SELECTOR, "tbody .toggle")
    assert toggle.get_attribute("aria-expanded") == "true"


def test_blocker_evidence_link_reveals_the_finding(page, report):
    _path, doc = report
    loop_id = next(f["id"] for f in doc["findings"] if f["rule"] == "RDR002")
    page.find_element(By.CSS_SELECTOR, f'#blockers [data-reveal="{loop_id}"]').click()
    detail = page.find_element(By.CSS_SELECTOR, f'tr.detail[data-detail="{loop_id}"]')
    assert detail.is_displayed()
    assert "/portal/login" in detail.text
    assert page.execute_script("return location.hash") == f"#f-{loop_id}"


def test_page_has_no_errors_after_interaction(page):
    table(page, "RDR004").find_element(By.CSS_SELECTOR, "tbody .toggle").click()
    page.find_element(By.ID, "global-severity").send_keys("errors")
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []


@pytest.fixture(scope="module")
def template_report(tmp_path_factory):
    """A site whose six /book/ pages share a template without a canonical (CAN001 grouped),
    analysed with the shipped rules."""
    from readiness.testing import StoreBuilder

    run = tmp_path_factory.mktemp("template") / "run"
    run.mkdir()
    store = StoreBuilder(run, start_url="http://site.test/")
    book = [f"/book/page-{i}" for i in range(1, 7)]
    store.page("/", links=book, title="Home", canonical="http://site.test/",
               fetch={"depth": 0, "discovered_by": "start"})
    for path in book:
        store.page(path, links=["/"], title=f"Book {path}", fetch={"depth": 1})
    main(["analyze", str(store.close())])
    return run / "report.html", json.loads((run / "findings.json").read_text())


def test_a_template_group_expands_to_its_urls(browser, template_report):
    path, doc = template_report
    (group,) = [g for g in doc["groups"] if g["rule"] == "CAN001"]
    assert group["members"] == 6
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reportReady"))
    details = browser.find_element(By.CSS_SELECTOR, f'details[data-group="{group["id"]}"]')
    urls = details.find_elements(By.CSS_SELECTOR, "[data-group-url]")
    assert details.get_attribute("open") is None
    assert not any(url.is_displayed() for url in urls)  # closed: one line for six pages
    assert "6 pages of /book/*" in details.find_element(By.TAG_NAME, "summary").text
    details.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(browser, 10).until(lambda d: all(url.is_displayed() for url in urls))
    assert [url.get_attribute("data-group-url") for url in urls] == group["urls"]
    assert group["urls"] == sorted(f"http://site.test/book/page-{i}" for i in range(1, 7))
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


LARGE_SITE_PAGES = 20_000


@pytest.fixture(scope="module")
def large_report(tmp_path_factory):
    """A report the size of the 20,000-page benchmark site's (bench/crawl_speed.py): ~18,000
    findings over six rules, each with 25 inbound links of evidence."""
    from report.planted import document, finding

    from readiness.report.findings import apply_gate, write_document
    from readiness.report.html import write_html

    rules = [("ONP002", "notice", 6700), ("ONP004", "warning", 4000), ("ONP010", "warning", 2900),
             ("STS003", "warning", 2000), ("STS001", "error", 1000), ("ONP005", "notice", 1400)]
    findings = []
    for code, severity, count in rules:
        for i in range(count):
            url = f"http://site.test/section-{i % 12}/article-{i}.html"
            inbound = [{"source": f"http://site.test/section-{k % 12}/article-{(i + k) % LARGE_SITE_PAGES}.html",
                        "anchor": "read more about this", "element": "a", "region": "main",
                        "rel": None} for k in range(25)]
            findings.append(finding(code, url, severity, weight=(i * 7) % 40,
                                    message=f"{code} is wrong on article {i} (by {i % 90} characters)",
                                    evidence={"title": f"Article {i} — a title of some length",
                                              "length": 60 + i % 90, "fix": "shorten it",
                                              "inbound_links": inbound, "inbound_link_count": 25,
                                              "linking_pages": 25},
                                    ident=f"{code}-{i:012d}"))
    doc = document(findings, pages=LARGE_SITE_PAGES)
    apply_gate(doc, "error")
    run = tmp_path_factory.mktemp("large")
    write_document(doc, run / "findings.json")
    write_html(doc, run / "report.html", {"findings.json", "csv"})
    return run / "report.html", doc


# Resolves when report.js marks the page ready; returns performance.now() then (ms since
# navigation started).
WAIT_READY = """
const done = arguments[arguments.length - 1];
const ready = () => document.documentElement.dataset.reportReady;
if (ready()) { done(performance.now()); return; }
new MutationObserver((_, observer) => {
  if (ready()) { observer.disconnect(); done(performance.now()); }
}).observe(document.documentElement, {attributes: true});
"""
# Types a global filter and resolves with the ms until the tables and status have updated.
TIME_FILTER = """
const [query, done] = [arguments[0], arguments[arguments.length - 1]];
const status = document.getElementById("global-status"), search = document.getElementById("global-search");
const start = performance.now();
new MutationObserver((_, observer) => { observer.disconnect(); done(performance.now() - start); })
  .observe(status, {childList: true, characterData: true, subtree: true});
search.value = query;
search.dispatchEvent(new Event("input"));
"""


def test_large_report_is_small_and_opens_and_filters_quickly(browser, large_report,
                                                             record_property):
    """report.html of a 20,000-page site: at most 5 MB, every finding in its table, and time
    to interactive and to filter measured (recorded, not asserted: a busy machine is slow)."""
    path, doc = large_report
    size = path.stat().st_size
    assert size <= 5_000_000, f"report.html is {size / 1e6:.1f} MB"
    browser.set_script_timeout(120)
    browser.get(path.resolve().as_uri())
    ready_ms = browser.execute_async_script(WAIT_READY)
    filter_ms = browser.execute_async_script(TIME_FILTER, "article-1234.html")
    assert browser.find_element(By.ID, "global-status").text == "5 findings match"
    record_property("report_html_mb", round(size / 1e6, 2))
    record_property("time_to_interactive_ms", round(ready_ms))
    record_property("global_filter_ms", round(filter_ms))
    print(f"\nlarge report ({len(doc['findings']):,} findings): {size / 1e6:.2f} MB, "
          f"interactive after {ready_ms:.0f} ms, global filter {filter_ms:.0f} ms "
          f"(incl. its 120 ms debounce)")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []

    browser.execute_async_script(TIME_FILTER, "")  # clear the filter again
    for rule in doc["rules"]:
        if rule["findings"]:
            assert int(table(browser, rule["code"]).get_attribute("data-visible")) == rule["findings"]
    # The first page of a table has its evidence lists; beyond it the worst findings keep
    # their evidence's values (errors first), the rest a note; each says where the lists are.
    expected = {("STS001", 0): "read more about this",
                ("STS001", 1): "Inbound links: 25 items in findings.json",
                ("ONP002", 1): "The full evidence of this finding is in findings.json and the CSV"}
    for (code, next_clicks), text in expected.items():
        rule_table = table(browser, code)
        for _ in range(next_clicks):
            rule_table.find_element(By.CLASS_NAME, "ft-next").click()
        rule_table.find_element(By.CSS_SELECTOR, "tbody .toggle").click()
        detail = rule_table.find_element(By.CSS_SELECTOR, "tr.detail").text
        assert text in detail, (code, detail)
        assert ("linked from 25 pages" in detail.lower()) is (text != expected[("ONP002", 1)])


@pytest.fixture(scope="module")
def families_report(tmp_path_factory):
    """The planted redirect site plus two pages with the same main content, analysed with the
    shipped rule set: findings in several families, one a duplicate cluster."""
    from readiness.testing import StoreBuilder

    run = tmp_path_factory.mktemp("families") / "reports" / "site-1"
    store = StoreBuilder(run, start_url="http://site.test/")
    text = " ".join(f"word{i % 97} sentence{i % 31}" for i in range(400))
    store.page("/", title="Home", links=[("/portal", {"anchor": "Patient portal"}),
                                         ("/twin-a", {"anchor": "Twin A"}),
                                         ("/twin-b", {"anchor": "Twin B"})],
               fetch={"depth": 0, "discovered_by": "start"})
    store.redirect("/portal", "/portal/login")
    store.redirect("/portal/login", "/portal")
    # Listed in the sitemap, linked from no page: fetched, but at no click depth.
    store.page("/sitemap-only", title="Only in the sitemap", fetch={"depth": 1,
                                                                     "discovered_by": "sitemap"})
    store.sitemap_entry("/sitemap-only")
    for twin in ("/twin-a", "/twin-b"):
        store.page(twin, title=f"Twin {twin[-1]}", text=text, links=["/", "/twin-a"],
                   fetch={"depth": 1})
    path = store.close()
    main(["analyze", str(path)])
    return run / "report.html", json.loads((run / "findings.json").read_text())


def _families_shown(driver):
    return {family.get_attribute("id"): family.is_displayed()
            for family in driver.find_elements(By.CSS_SELECTOR, ".family[id^='family-']")}


def test_a_filter_hides_the_families_it_empties(browser, families_report):
    path, doc = families_report
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reportReady"))
    before = _families_shown(browser)
    assert len(before) >= 3 and all(before.values()), before
    browser.find_element(By.ID, "global-search").send_keys("portal/login")
    WebDriverWait(browser, 5).until(
        lambda d: d.find_element(By.ID, "global-status").text.endswith("match")
        or d.find_element(By.ID, "global-status").text.endswith("matches"))
    shown = _families_shown(browser)
    assert shown["family-redirects"] is True
    assert not all(shown.values()), shown  # the filter emptied some family
    for family_id, displayed in shown.items():
        rules = browser.find_elements(By.CSS_SELECTOR, f"#{family_id} .rule")
        assert displayed is any(rule.is_displayed() for rule in rules), family_id
        nav = browser.find_element(By.CSS_SELECTOR, f'.family-nav a[href="#{family_id}"]')
        assert nav.is_displayed() is displayed, family_id
    search = browser.find_element(By.ID, "global-search")
    search.clear()
    search.send_keys(" ")  # an input event with an empty query: the filter is off again
    WebDriverWait(browser, 5).until(lambda d: all(_families_shown(d).values()))


def test_a_duplicate_cluster_says_how_its_inbound_count_is_made(browser, families_report):
    path, doc = families_report
    cluster = next(f for f in doc["findings"] if f["rule"] == "DUP001")
    assert {m["url"] for m in cluster["evidence"]["members"]} == {
        "http://site.test/twin-a", "http://site.test/twin-b"}
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reportReady"))
    dup = table(browser, "DUP001")
    weight_cell = dup.find_element(By.CSS_SELECTOR, "tbody tr[data-id] td.num")
    assert weight_cell.text == str(cluster["weight"])
    assert "sum over the cluster's members" in weight_cell.get_attribute("title")
    dup.find_element(By.CSS_SELECTOR, "tbody .toggle").click()
    detail = dup.find_element(By.CSS_SELECTOR, "tr.detail")
    # twin-a is linked from home and from twin-b (its own link to itself is no edge).
    assert "2 from 2 pages" in detail.text
    assert "sum over the members" in detail.find_element(
        By.CSS_SELECTOR, "[data-cluster-inbound]").text


def test_the_depth_chart_keeps_sitemap_only_pages_out_of_depth_zero(browser, families_report):
    path, doc = families_report
    assert doc["crawl"]["depth"]["0"] == 1 and doc["crawl"]["depth_unreached"] >= 1
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reportReady"))
    chart = next(svg for svg in browser.find_elements(By.CSS_SELECTOR, "svg.chart")
                 if "click depth" in svg.find_element(By.TAG_NAME, "title")
                 .get_attribute("textContent"))
    bars = [title.get_attribute("textContent")
            for title in chart.find_elements(By.CSS_SELECTOR, "rect title")]
    assert "depth 0 (the start URL): 1 URL" in bars
    assert (f"no click from the start URL reaches {doc['crawl']['depth_unreached']} URL"
            in " ".join(bars))
