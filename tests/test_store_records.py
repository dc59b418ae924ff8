"""The store's typed records (readiness/store/records.py): schema, writing and reading agree."""

import dataclasses
import sqlite3

import pytest
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

from readiness.crawl.errors import classify_failure
from readiness.store import SQLiteCrawlStore, open_store
from readiness.store.records import (
    NETWORK_ERRORS,
    RECORDS,
    SKIP_REASONS,
    Canonical,
    Fetch,
    FetchOutcome,
    Link,
    Meta,
    Page,
    Probe,
    Robots,
    Sitemap,
    SitemapNaming,
    Variant,
    columns,
    schema_sql,
)
from readiness.testing import StoreBuilder


def test_every_column_says_what_it_holds():
    for cls in RECORDS:
        assert cls.__doc__ and cls.one_row_per, cls
        for f in dataclasses.fields(cls):
            assert f.metadata["doc"].strip(), f"{cls.table}.{f.name} has no doc"


def test_the_generated_schema_is_the_tables_a_store_has(tmp_path):
    writer = SQLiteCrawlStore(tmp_path / "crawl.sqlite")
    writer.open()
    writer.close()
    db = sqlite3.connect(tmp_path / "crawl.sqlite")
    for cls in RECORDS:
        info = db.execute(f"PRAGMA table_info({cls.table})").fetchall()
        assert tuple(row[1] for row in info) == columns(cls)
        # NOT NULL exactly where the declaration's type has no None (keys aside)
        for (_cid, name, _type, notnull, _default, pk), f in zip(info, dataclasses.fields(cls)):
            nullable = type(None) in getattr(f.type, "__args__", ())
            assert bool(notnull) == (not nullable and not pk), f"{cls.table}.{name}"
    assert "CREATE TABLE IF NOT EXISTS fetches" in schema_sql()


def test_records_round_trip_decoded(tmp_path):
    """What a rule reads back is what the crawl wrote: JSON parsed, enums and bools typed."""
    writer = SQLiteCrawlStore(tmp_path / "crawl.sqlite")
    writer.open({"start_url": "http://site.test/"})
    page_id = writer.intern("http://site.test/", True)
    out_id = writer.intern("http://ext.test/", False)
    written = [
        Fetch(url_id=page_id, status=200, fetched=True, headers={"x-robots-tag": "noindex"},
              timings=[{"ttfb_ms": 900.0, "elapsed_ms": 950.0}, {"error": "http-503"}]),
        Fetch(url_id=out_id + 1, error=FetchOutcome.MAX_DEPTH, fetched=False,
              robots_blocked=True),
        Page(url_id=page_id, title="Smile", h1=["Smile", "Dental"], minhash=b"\x01\x02",
             contact={"tel": ["tel:+1"], "addresses": []},
             structured_data={"json-ld": [{"@type": "Dentist", "name": "Smilé"}]}),
        Canonical(page_id=page_id, source="header", raw="/", target_id=page_id),
        Link(source_id=page_id, target_id=None, raw="http://[x", element="a", region="nav"),
        Sitemap(url_id=out_id + 2, error="off-site"),
        SitemapNaming(sitemap_id=out_id + 2, parent_id=None, found_in="fallback"),
        Robots(host="site.test", url="http://site.test/robots.txt", status=None,
               error=FetchOutcome.TIMEOUT, sitemaps=["http://site.test/s.xml"]),
        Probe(url_id=out_id, verdict="broken", error=FetchOutcome.REDIRECT_LOOP,
              hops=[{"url": "http://ext.test/", "status": 301, "location": "/"}], attempts=2,
              cached=True, checked_at=1.5),
        Variant(url_id=out_id + 3, of_url_id=page_id, kind="scheme",
                error=FetchOutcome.SEE_FETCH),
    ]
    writer.add_all(written)
    writer.close()
    with open_store(tmp_path / "crawl.sqlite") as store:
        for record in written:
            [read] = [r for r in store.records(type(record))
                      if dataclasses.astuple(r)[0] == dataclasses.astuple(record)[0]]
            assert read == record
        skipped = next(f for f in store.records(Fetch) if f.error is not None)
        assert skipped.error is FetchOutcome.MAX_DEPTH and skipped.robots_blocked is True
        # stored as the strings stores have always held
        assert store.query("SELECT error FROM fetches WHERE error IS NOT NULL").fetchone()[0] \
            == "max-depth"
        assert store.meta()["start_url"] == "http://site.test/"


def test_a_field_that_was_not_read_is_an_error_not_null(tmp_path):
    store = StoreBuilder(tmp_path)
    store.page("/", structured_data={"json-ld": [{"@type": "Dentist"}]})
    ctx = store.context()
    try:
        page = ctx.pages[ctx.ids["http://site.test/"]]
        assert page.title == "A page"
        with pytest.raises(AttributeError):
            page.structured_data  # deferred: streamed with ctx.page_field()
        assert [data for _, data in ctx.page_field("structured_data")] == [
            {"json-ld": [{"@type": "Dentist"}]}]
    finally:
        ctx.store.close()


def test_a_column_an_older_store_lacks_reads_as_null(tmp_path):
    store = StoreBuilder(tmp_path)
    url_id = store.page("/", contact={"tel": ["tel:+15550100"], "addresses": []})
    path = store.close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE pages DROP COLUMN contact")
    db.commit()
    db.close()
    with open_store(path) as reader:
        [page] = reader.records(Page)
        assert page.contact is None and page.url_id == url_id


def test_store_builder_refuses_a_column_the_table_does_not_have(tmp_path):
    store = StoreBuilder(tmp_path)
    with pytest.raises(TypeError):
        store.add("sitemaps", {"url_id": store.id("/sitemap.xml"), "found_in": "robots",
                               "entry_count": 3})
    with pytest.raises(KeyError):
        store.writer.add("sitemaps", {"url_id": 1, "found_in": "robots", "entry_count": 3})
    store.close()


def test_network_errors_and_skip_reasons_never_mix():
    assert not NETWORK_ERRORS & SKIP_REASONS
    assert all(o.is_network_error and not o.is_skip for o in NETWORK_ERRORS)
    assert all(o.is_skip and not o.is_network_error for o in SKIP_REASONS)
    # the stored vocabulary: changing a value would change stored files and findings
    assert sorted(NETWORK_ERRORS) == ["connection", "dns", "error", "refused", "timeout", "tls",
                                      "too-large"]
    assert sorted(SKIP_REASONS) == ["excluded", "max-depth", "max-pages", "robots-blocked",
                                    "trap"]


@pytest.mark.parametrize("exc, outcome", [
    (tx_error.DNSLookupError("site.test"), FetchOutcome.DNS),
    (tx_error.ConnectionRefusedError(), FetchOutcome.REFUSED),
    (tx_error.TimeoutError(), FetchOutcome.TIMEOUT),
    (tx_error.ConnectionLost("SSL routines"), FetchOutcome.TLS),
    (tx_error.ConnectionLost(), FetchOutcome.CONNECTION),
    (ValueError("odd"), FetchOutcome.ERROR),
])
def test_download_failures_are_classified_as_network_errors(exc, outcome):
    error, detail = classify_failure(Failure(exc))
    assert error is outcome and error.is_network_error
    assert type(exc).__name__ in detail


def test_meta_is_a_record_too():
    assert Meta.table == "meta" and columns(Meta) == ("key", "value")
