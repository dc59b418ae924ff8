"""Page experience rules on hand-built stores: each planted defect and its clean twin."""

from rule_helpers import by_url, run_configured, urls

from readiness.rules.base import Severity
from readiness.rules.experience import (
    HeavyPage,
    InvalidViewport,
    LargeImage,
    MissingViewport,
    MixedContent,
    SlowPageDownload,
    SlowServerResponse,
    UncompressedResponse,
    parse_viewport,
)
from readiness.testing import StoreBuilder

GOOD_VIEWPORT = "width=device-width, initial-scale=1"


def test_slow_ttfb_warns_over_600_and_errors_over_2s(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/slow", "/very-slow", "/fast", "/slow-noindex"],
               fetch={"ttfb_ms": 120.0, "elapsed_ms": 150.0})
    store.page("/slow", fetch={"ttfb_ms": 900.0, "elapsed_ms": 950.0})
    store.page("/very-slow", fetch={"ttfb_ms": 2600.0, "elapsed_ms": 2700.0})
    store.page("/fast", fetch={"ttfb_ms": 599.0, "elapsed_ms": 700.0})
    store.page("/slow-noindex", meta_robots="noindex", fetch={"ttfb_ms": 5000.0})
    findings = by_url(store.run(SlowServerResponse))
    assert sorted(findings) == ["http://site.test/slow", "http://site.test/very-slow"]
    assert findings["http://site.test/slow"].severity == Severity.WARNING
    assert findings["http://site.test/very-slow"].severity == Severity.ERROR
    assert findings["http://site.test/slow"].evidence["ttfb_ms"] == 900.0
    assert "crawl_concurrency" in findings["http://site.test/slow"].evidence


def test_slow_ttfb_thresholds_are_options(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", fetch={"ttfb_ms": 2600.0})
    findings = store.run(SlowServerResponse, warn_ms=1000, error_ms=None)
    assert [f.severity for f in findings] == [Severity.WARNING]
    assert store.run(SlowServerResponse, warn_ms=3000) == []


def test_slow_download(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/big"], fetch={"ttfb_ms": 100.0, "elapsed_ms": 400.0})
    store.page("/big", fetch={"ttfb_ms": 100.0, "elapsed_ms": 2000.0})
    assert urls(store.run(SlowPageDownload)) == ["http://site.test/big"]


def test_missing_viewport_and_good_twin(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/desktop-only"], viewport=GOOD_VIEWPORT)
    store.page("/desktop-only")
    assert urls(store.run(MissingViewport)) == ["http://site.test/desktop-only"]


def test_invalid_viewport_fixed_width_zoom_lock_and_empty(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/fixed", "/no-zoom", "/empty", "/scale-only", "/zoom-2"],
               viewport=GOOD_VIEWPORT)
    store.page("/fixed", viewport="width=1024")
    store.page("/no-zoom", viewport="width=device-width, initial-scale=1, maximum-scale=1, "
                                    "user-scalable=no")
    store.page("/empty", viewport="")
    store.page("/scale-only", viewport="initial-scale=1")       # clean: scale alone is fine
    store.page("/zoom-2", viewport="width=device-width; maximum-scale=2")  # clean: 200% allowed
    findings = by_url(store.run(InvalidViewport))
    assert sorted(findings) == ["http://site.test/empty", "http://site.test/fixed",
                                "http://site.test/no-zoom"]
    assert findings["http://site.test/no-zoom"].evidence["problems"] == [
        "disables zooming (user-scalable=no)", "limits zooming (maximum-scale=1)"]
    assert urls(store.run(InvalidViewport, flag_zoom_disabled=False)) == [
        "http://site.test/empty", "http://site.test/fixed"]


def test_parse_viewport():
    assert parse_viewport("width = device-width ; Initial-Scale=1.0") == {
        "width": "device-width", "initial-scale": "1.0"}


def test_heavy_page_html_and_total_with_resources_counted_once(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/bloated", "/gallery", "/light"], fetch={"bytes": 30_000})
    store.page("/bloated", fetch={"bytes": 900_000})
    store.page("/gallery", fetch={"bytes": 40_000}, links=[
        ("/img/a.jpg", {"element": "img", "anchor": "a"}),
        ("/img/a.jpg", {"element": "img", "anchor": "a again"}),   # counted once
        ("/img/b.jpg", {"element": "img", "anchor": "b"}),
        ("/css/site.css", {"element": "link", "rel": "stylesheet", "anchor": None}),
        ("/next-page", {"element": "link", "rel": "next", "anchor": None}),  # not loaded
    ])
    store.fetch("/img/a.jpg", discovered_by="resource", content_type="image/jpeg", bytes=1_500_000)
    store.fetch("/img/b.jpg", discovered_by="resource", content_type="image/jpeg", bytes=1_500_000)
    store.fetch("/css/site.css", discovered_by="resource", content_type="text/css", bytes=50_000)
    store.fetch("/next-page", content_type="text/html", bytes=5_000_000)
    store.page("/light", fetch={"bytes": 40_000}, links=[
        ("/img/small.jpg", {"element": "img", "anchor": "s"})])
    store.fetch("/img/small.jpg", discovered_by="resource", content_type="image/jpeg", bytes=80_000)
    findings = by_url(store.run(HeavyPage))
    assert sorted(findings) == ["http://site.test/bloated", "http://site.test/gallery"]
    gallery = findings["http://site.test/gallery"].evidence
    assert gallery["total_bytes"] == 40_000 + 1_500_000 * 2 + 50_000
    assert gallery["resources_counted"] == 3
    assert gallery["largest_resources"][0]["bytes"] == 1_500_000
    assert urls(store.run(HeavyPage, max_total_bytes=None)) == ["http://site.test/bloated"]


def test_mixed_content_active_and_passive(tmp_path):
    store = StoreBuilder(tmp_path, start_url="https://site.test/")
    store.page("/", links=["/script", "/images", "/secure", "/plain-link"])
    store.page("/script", links=[("http://cdn.test/app.js", {"element": "script", "anchor": None})])
    store.page("/images", links=[("http://site.test/logo.png", {"element": "img", "anchor": "x"})])
    store.page("/secure", links=[("https://cdn.test/app.js", {"element": "script", "anchor": None}),
                                 ("/logo.png", {"element": "img", "anchor": "logo"})])
    store.page("/plain-link", links=["http://other.test/"])  # a click, not mixed content
    findings = by_url(store.run(MixedContent))
    assert sorted(findings) == ["https://site.test/images", "https://site.test/script"]
    assert findings["https://site.test/script"].severity == Severity.ERROR
    assert findings["https://site.test/images"].severity == Severity.WARNING
    assert findings["https://site.test/script"].evidence["insecure_resources"][0]["raw"] == \
        "http://cdn.test/app.js"


def test_mixed_content_not_judged_on_http_pages(tmp_path):
    store = StoreBuilder(tmp_path)  # http://site.test/
    store.page("/", links=[("http://cdn.test/app.js", {"element": "script", "anchor": None})])
    assert store.run(MixedContent) == []


def test_large_image_reported_once_with_the_pages_showing_it(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/img/hero.jpg", {"element": "img", "anchor": "hero"}),
                           ("/img/icon.png", {"element": "img", "anchor": "icon"}), "/about"])
    store.page("/about", links=[("/img/hero.jpg", {"element": "img", "anchor": "hero"})])
    store.fetch("/img/hero.jpg", discovered_by="resource", content_type="image/jpeg",
                bytes=2_400_000)
    store.fetch("/img/icon.png", discovered_by="resource", content_type="image/png", bytes=9_000)
    findings = store.run(LargeImage)
    assert urls(findings) == ["http://site.test/img/hero.jpg"]
    assert findings[0].evidence["linking_pages"] == 2
    assert store.run(LargeImage, max_image_bytes=3_000_000) == []


def test_large_image_shown_is_judged_however_the_crawl_reached_it_first(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=[("/img/hero.jpg", {"element": "a", "anchor": "full size"}),
                           ("/img/hero.jpg", {"element": "img", "anchor": "hero"}),
                           ("/img/download.tif", {"element": "a", "anchor": "download"})])
    # The <a> was read first: fetches.discovered_by says link, yet the page shows it.
    store.fetch("/img/hero.jpg", discovered_by="link", content_type="image/jpeg",
                bytes=2_400_000)
    # Its twin: linked for download, shown nowhere.
    store.fetch("/img/download.tif", discovered_by="link", content_type="image/tiff",
                bytes=9_000_000)
    assert urls(store.run(LargeImage)) == ["http://site.test/img/hero.jpg"]


def test_uncompressed_html_grouped_per_host_and_type(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", links=["/a", "/b"], fetch={"bytes": 30_000})
    store.page("/a", fetch={"bytes": 50_000})
    store.page("/b", fetch={"bytes": 10_000}, headers={"content-encoding": "gzip"})  # clean
    store.fetch("/css/site.css", discovered_by="resource", content_type="text/css; charset=utf-8",
                bytes=40_000, headers={"content-encoding": "br"})  # clean
    store.fetch("/img/photo.jpg", discovered_by="resource", content_type="image/jpeg",
                bytes=400_000)  # images are compressed already
    store.fetch("/js/tiny.js", discovered_by="resource", content_type="application/javascript",
                bytes=500)  # too small to matter
    findings = store.run(UncompressedResponse)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.url == "http://site.test/a"
    assert finding.evidence["responses"] == 2
    assert [m["url"] for m in finding.evidence["largest"]] == ["http://site.test/a",
                                                               "http://site.test/"]


def test_pages_slow_with_everything_around_them_are_one_server_finding(tmp_path):
    store = StoreBuilder(tmp_path)
    t = 1_000_000.0
    # A burst: the server stalled for everyone (a slow resource too), not for these pages.
    store.page("/", links=["/a", "/b", "/alone"],
               fetch={"ttfb_ms": 50.0, "elapsed_ms": 60.0, "fetched_at": t})
    for i, path in enumerate(["/a", "/b"]):
        store.page(path, fetch={"ttfb_ms": 1000.0 + i, "elapsed_ms": 1010.0 + i,
                                "fetched_at": t + 20 + 1.01 + i / 1000})
    store.fetch("/img/x.png", discovered_by="resource", content_type="image/png",
                ttfb_ms=990.0, elapsed_ms=1000.0, fetched_at=t + 21.0)
    # Slow on its own, later, while nothing else was waiting: this page's problem.
    store.page("/alone", fetch={"ttfb_ms": 900.0, "elapsed_ms": 910.0, "fetched_at": t + 60})
    findings = store.run(SlowServerResponse)
    by = {f.subject: f for f in findings}
    assert sorted(by) == ["http://site.test/alone", "server"]
    server = by["server"]
    assert server.url == "http://site.test/"
    assert [p["url"] for p in server.evidence["pages"]] == ["http://site.test/b",
                                                            "http://site.test/a"]


def test_configured_severity_applies_to_very_slow_pages_too(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", fetch={"ttfb_ms": 2600.0})
    findings = run_configured(store, SlowServerResponse, Severity.NOTICE)
    assert [f.severity for f in findings] == [Severity.NOTICE]


def test_image_only_mixed_content_stays_a_warning_when_configured_as_error(tmp_path):
    store = StoreBuilder(tmp_path, start_url="https://site.test/")
    store.page("/", links=[("http://site.test/logo.png", {"element": "img", "anchor": "x"})])
    findings = run_configured(store, MixedContent, Severity.ERROR)
    assert [f.severity for f in findings] == [Severity.WARNING]


# -- slowness judged on quiet re-measurements (readiness.crawl.remeasure) ----------------------

REMEASURED = {"crawl": {"remeasure_slow_ms": 600, "remeasure_download_ms": 1500,
                        "concurrency": 16, "delay": 0}}


def remeasured_store(tmp_path, start_url="http://site.test/", config=REMEASURED):
    store = StoreBuilder(tmp_path, start_url=start_url)
    store.writer.set_meta("config", config)
    return store


def samples(crawl, *quiet):
    return [crawl, *quiet]


def test_slowness_is_judged_on_the_quiet_samples_only(tmp_path):
    store = remeasured_store(tmp_path)
    store.page("/", links=["/slow", "/slow-once", "/big"],
               fetch={"ttfb_ms": 100.0, "elapsed_ms": 120.0})
    slow = {"ttfb_ms": 900.0, "elapsed_ms": 950.0}
    store.page("/slow", fetch={**slow, "timings": samples(slow, {"ttfb_ms": 800.0,
                                                                 "elapsed_ms": 820.0},
                                                          {"ttfb_ms": 1000.0,
                                                           "elapsed_ms": 1100.0})})
    once = {"ttfb_ms": 2500.0, "elapsed_ms": 2600.0}  # slow while the crawl was busy only
    store.page("/slow-once", fetch={**once, "timings": samples(once, {"ttfb_ms": 40.0,
                                                                      "elapsed_ms": 50.0},
                                                               {"ttfb_ms": 45.0,
                                                                "elapsed_ms": 60.0})})
    big = {"ttfb_ms": 90.0, "elapsed_ms": 3000.0}  # 3 MB read slowly by the busy crawl
    store.page("/big", fetch={**big, "timings": samples(big, {"ttfb_ms": 20.0,
                                                              "elapsed_ms": 140.0},
                                                        {"ttfb_ms": 25.0, "elapsed_ms": 150.0})})
    ttfb = by_url(store.run(SlowServerResponse))
    assert sorted(ttfb) == ["http://site.test/slow"]
    evidence = ttfb["http://site.test/slow"].evidence
    assert (evidence["ttfb_ms"], evidence["samples"]) == (900.0, 2)  # median of 800 and 1000
    assert (evidence["crawl_sample_ms"], evidence["quiet_samples_ms"]) == (900.0, [800.0, 1000.0])
    assert store.run(SlowPageDownload) == []


def test_slow_pages_not_measured_again_are_one_notice_with_the_reason(tmp_path):
    store = remeasured_store(tmp_path)
    store.page("/", links=["/failed", "/beyond-cap", "/under-threshold"],
               fetch={"ttfb_ms": 100.0, "elapsed_ms": 120.0})
    failed = {"ttfb_ms": 1200.0, "elapsed_ms": 1250.0}
    store.page("/failed", fetch={**failed, "timings": samples(failed, {"error": "timeout"},
                                                              {"error": "http-503"})})
    store.page("/beyond-cap", fetch={"ttfb_ms": 3000.0, "elapsed_ms": 3100.0})
    store.page("/under-threshold", fetch={"ttfb_ms": 500.0, "elapsed_ms": 520.0})
    findings = store.run(SlowServerResponse, warn_ms=400)
    assert [(f.url, f.subject, f.severity) for f in findings] == [
        ("http://site.test/", "unconfirmed", Severity.NOTICE)]
    assert findings[0].evidence["pages"] == [
        {"url": "http://site.test/beyond-cap", "crawl_ms": 3000.0,
         "not_confirmed": "beyond the pages measured again (the smallest URLs first)"},
        {"url": "http://site.test/failed", "crawl_ms": 1200.0,
         "not_confirmed": "measuring it again failed (http-503, timeout)"},
        {"url": "http://site.test/under-threshold", "crawl_ms": 500.0,
         "not_confirmed": "under crawl.remeasure_slow_ms (600 ms)"}]
    # Configured as an error, the notice stays a notice: one loaded sample is no verdict.
    configured = run_configured(store, SlowServerResponse, Severity.ERROR, warn_ms=400)
    assert [f.severity for f in configured] == [Severity.NOTICE]


def test_with_re_measuring_off_the_crawl_sample_is_judged(tmp_path):
    store = remeasured_store(tmp_path, config={"crawl": {"remeasure_slow_ms": 0,
                                                         "remeasure_download_ms": 0}})
    store.page("/", links=["/slow"], fetch={"ttfb_ms": 100.0, "elapsed_ms": 120.0})
    store.page("/slow", fetch={"ttfb_ms": 900.0, "elapsed_ms": 1600.0})
    assert urls(store.run(SlowServerResponse)) == ["http://site.test/slow"]
    assert urls(store.run(SlowPageDownload)) == ["http://site.test/slow"]


# -- server facts of a staging crawl (crawl.host_map) -----------------------------------------


def test_server_facts_measured_on_staging_are_labelled(tmp_path):
    staging = {"crawl": {**REMEASURED["crawl"],
                         "host_map": {"https://clinic.example": "http://site.test"}}}
    store = remeasured_store(tmp_path, config=staging)
    slow = {"ttfb_ms": 900.0, "elapsed_ms": 950.0}
    store.page("/", headers={}, fetch={**slow, "bytes": 5000, "timings": samples(
        slow, {"ttfb_ms": 900.0, "elapsed_ms": 950.0})})
    for rule in (SlowServerResponse, UncompressedResponse):
        [finding] = store.run(rule)
        assert finding.message.startswith("measured on the staging server: ")
        assert finding.evidence["measured_on"].startswith("staging (crawl.host_map)")
        assert finding.severity == rule.severity  # labelled, not downgraded


def test_server_facts_without_a_host_map_are_not_labelled(tmp_path):
    store = remeasured_store(tmp_path)
    slow = {"ttfb_ms": 900.0, "elapsed_ms": 950.0}
    store.page("/", headers={}, fetch={**slow, "bytes": 5000, "timings": samples(
        slow, {"ttfb_ms": 900.0, "elapsed_ms": 950.0})})
    for rule in (SlowServerResponse, UncompressedResponse):
        [finding] = store.run(rule)
        assert "measured_on" not in finding.evidence
        assert not finding.message.startswith("measured on")
