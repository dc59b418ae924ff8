"""Backlink exports as people download them (readiness/inputs/backlinks.py).

Each fixture in tests/fixtures/backlink-exports/ is one vendor's export (or one encoding of
it) and is read to the exact rows expected, line numbers included; the Excel artefacts are
written as variants of one export and must read to the same rows; a file readiness does not
know is an error naming its columns and the --columns mapping that reads it.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import pytest

from readiness.inputs.backlinks import (
    BacklinkRow, ExportError, SkippedRow, _count, _date, _is_http_url, _rel, describe_skipped,
    iter_backlink_export, parse_columns_option, read_backlink_export,
)

EXPORTS = Path(__file__).parent / "fixtures" / "backlink-exports"
SITE = "https://www.example-clinic.test"
NEWS = "https://citynews.example/health/best-dentists-2024"
FORUM = "https://forum.example/t/implants-worth-it/8812"
GUIDE = "https://www.familyguide.example/local/clinics"
IMPLANTS = f"{SITE}/services/dental-implants"
WHITENING = f"{SITE}/blog/whitening-at-home"
SPRING = f"{SITE}/old-offers/spring-2019"


def rows(export: str, export_format: str, *values: tuple) -> list[BacklinkRow]:
    """BacklinkRows of ``export``: each value is (target, source, anchor, rel,
    referring_domains, backlinks, first_seen, last_seen, line)."""
    return [BacklinkRow(*value[:8], export=export, export_format=export_format, line=value[8])
            for value in values]


AHREFS_ROWS = (
    (IMPLANTS, NEWS, "Example Clinic implants", "", None, None, "2023-06-14", "2024-03-02", 2),
    # The anchor is quoted, holds a comma, quotes and a newline: the row spans lines 3-4.
    (WHITENING, FORUM, 'this guide, "whitening at home"', "nofollow ugc", None, None,
     "2023-11-02", "2024-02-27", 3),
    (SPRING, GUIDE, "Spring offer", "sponsored", None, None, "2019-04-01", "2024-01-16", 5),
)

EXPECTED = {
    "gsc-top-linked-pages.csv": rows(
        "gsc-top-linked-pages.csv", "gsc-top-linked-pages",
        (f"{SITE}/", None, None, None, 87, 1204, None, None, 2),
        (IMPLANTS, None, None, None, 41, 312, None, None, 3),
        (WHITENING, None, None, None, 9, 58, None, None, 4),
        (SPRING, None, None, None, 6, 17, None, None, 5)),
    # Search Console's external-links export names the linking page, not the target.
    "gsc-latest-links.csv": rows(
        "gsc-latest-links.csv", "gsc-links",
        ("", NEWS, None, None, None, None, None, "2024-03-05", 2),
        ("", FORUM, None, None, None, None, None, "2024-02-28", 3),
        ("", GUIDE, None, None, None, None, None, "2024-01-17", 4)),
    "ahrefs-backlinks.csv": rows("ahrefs-backlinks.csv", "ahrefs-backlinks", *AHREFS_ROWS),
    "ahrefs-backlinks-excel.tsv": rows("ahrefs-backlinks-excel.tsv", "ahrefs-backlinks",
                                       *AHREFS_ROWS),
    "ahrefs-backlinks-windows-1252.csv": rows(
        "ahrefs-backlinks-windows-1252.csv", "ahrefs-backlinks",
        (IMPLANTS, "https://ciudad.example/salud/clínicas", "Clínica dental – implantes", "",
         None, None, "2023-06-14", "2024-03-02", 3),
        (f"{SITE}/", "https://forum.example/t/8812", "Café €5 offer", "nofollow sponsored",
         None, None, "2023-11-02", "2024-02-27", 4)),
    "ahrefs-best-by-links.csv": rows(
        "ahrefs-best-by-links.csv", "ahrefs-best-by-links",
        (f"{SITE}/", None, None, None, 88, 1342, "2016-02-10", "2024-03-04", 2),
        (IMPLANTS, None, None, None, 41, 318, "2018-09-21", "2024-03-03", 3),
        (SPRING, None, None, None, 6, 17, "2019-04-01", "2024-01-16", 4)),
    "semrush-backlinks.csv": rows(
        "semrush-backlinks.csv", "semrush-backlinks",
        (IMPLANTS, NEWS, "Example Clinic implants", "", None, None, "2023-06-15", "2024-03-01",
         2),
        (f"{SITE}/", "https://deals.example/smile-makeover", "book a check-up",
         "nofollow sponsored", None, None, "2024-01-05", "2024-02-29", 3)),
    "majestic-backlinks.csv": rows(
        "majestic-backlinks.csv", "majestic",
        (IMPLANTS, NEWS, "Example Clinic implants", "", None, None, "2023-06-13", "2024-03-02",
         2),
        (f"{SITE}/", FORUM, None, "nofollow", None, None, "2023-11-01", "2024-02-26", 3)),
    "moz-inbound-links.csv": rows(
        "moz-inbound-links.csv", "moz",
        (IMPLANTS, NEWS, "Example Clinic implants", "", None, None, "2023-06-16", "2024-03-01",
         2),
        (WHITENING, FORUM, "this guide", "nofollow", None, None, "2023-11-03", "2024-02-27", 3)),
    "url-list.txt": rows(
        "url-list.txt", "url-list",
        (IMPLANTS, None, None, None, None, None, None, None, 2),
        (SPRING, None, None, None, None, None, None, None, 4),
        (WHITENING, None, None, None, None, None, None, None, 6)),
}

SKIPPED = {
    "ahrefs-backlinks.csv": [
        SkippedRow(6, "no target URL"),
        SkippedRow(7, "target 'mailto:hello@example-clinic.test' is not an http(s) URL")],
    "semrush-backlinks.csv": [
        SkippedRow(4, "target 'www.example-clinic.test/old-offers/spring-2019' is not an "
                      "http(s) URL")],
    "url-list.txt": [SkippedRow(5, "'/contact' is not an http(s) URL")],
}


@pytest.mark.parametrize("export", sorted(EXPECTED))
def test_each_export_is_read_to_its_rows_with_their_lines(export):
    skipped: list[SkippedRow] = []
    assert read_backlink_export(EXPORTS / export, skipped=skipped) == EXPECTED[export]
    assert skipped == SKIPPED.get(export, [])


def test_every_fixture_is_expected_or_is_the_unknown_one():
    shipped = {path.name for path in EXPORTS.iterdir()}
    assert shipped == set(EXPECTED) | {"unknown-tool.csv"}


def test_skipped_rows_are_described_by_line_and_logged_when_not_collected(caplog):
    skipped: list[SkippedRow] = []
    read_backlink_export(EXPORTS / "ahrefs-backlinks.csv", skipped=skipped)
    assert describe_skipped(skipped) == (
        "2 rows skipped: line 6 (no target URL), line 7 (target "
        "'mailto:hello@example-clinic.test' is not an http(s) URL)")
    many = [SkippedRow(line, "no target URL") for line in range(10, 17)]
    assert describe_skipped(many, shown=2) == (
        "7 rows skipped: line 10 (no target URL), line 11 (no target URL), and 5 more")
    with caplog.at_level(logging.WARNING, logger="readiness.inputs.backlinks"):
        read_backlink_export(EXPORTS / "semrush-backlinks.csv")
    assert [record.getMessage() for record in caplog.records] == [
        f"{EXPORTS / 'semrush-backlinks.csv'}: 1 row skipped: line 4 (target "
        f"'www.example-clinic.test/old-offers/spring-2019' is not an http(s) URL)"]


# -- Excel artefacts: each variant of one Semrush export reads to the same rows ------------

SEMRUSH_HEADER = ["Page ascore", "Source title", "Source url", "Target url", "Anchor",
                  "Nofollow", "Sponsored", "Ugc", "First seen", "Last seen"]
SEMRUSH_ROWS = [
    ["44", "Dentists", NEWS, IMPLANTS, "Example Clinic implants", "false", "false", "false",
     "2023-06-15", "2024-03-01"],
    ["12", "Forum", FORUM, WHITENING, "Crème de la crème", "true", "false", "true",
     "2023-11-02", "2024-02-27"],
]


def semrush_text(delimiter: str = ",", newline: str = "\n", above: str = "",
                 trailing: str = "") -> str:
    lines = [delimiter.join(cells) + trailing for cells in [SEMRUSH_HEADER, *SEMRUSH_ROWS]]
    return above + newline.join(lines) + newline


def expected_semrush(export: str, first_line: int) -> list[BacklinkRow]:
    return rows(export, "semrush-backlinks",
                (IMPLANTS, NEWS, "Example Clinic implants", "", None, None, "2023-06-15",
                 "2024-03-01", first_line),
                (WHITENING, FORUM, "Crème de la crème", "nofollow ugc", None, None,
                 "2023-11-02", "2024-02-27", first_line + 1))


ARTEFACTS = {
    # name: (bytes of the file, line of the first row)
    "utf-8.csv": (semrush_text().encode(), 2),
    "utf-8-bom.csv": (codecs.BOM_UTF8 + semrush_text().encode(), 2),
    "utf-16-le-bom.tsv": (codecs.BOM_UTF16_LE + semrush_text("\t", "\r\n").encode("utf-16-le"),
                          2),
    "utf-16-be-bom.tsv": (codecs.BOM_UTF16_BE + semrush_text("\t", "\r\n").encode("utf-16-be"),
                          2),
    "utf-16-le-no-bom.tsv": (semrush_text("\t").encode("utf-16-le"), 2),
    "windows-1252.csv": (semrush_text(";", "\r\n").encode("cp1252"), 2),
    "sep-semicolon.csv": (semrush_text(";", "\r\n", above="sep=;\r\n").encode(), 3),
    "sep-tab.csv": (semrush_text("\t", above="sep=\t\n").encode(), 3),
    "sep-tab-escaped.csv": (semrush_text("\t", above='"sep=\\t"\n').encode(), 3),
    "crlf.csv": (semrush_text(newline="\r\n").encode(), 2),
    "cr-only.csv": (semrush_text(newline="\r").encode("cp1252"), 2),
    "title-and-blank-line.csv": (semrush_text(above="Backlinks: example-clinic.test\n\n")
                                 .encode(), 4),
    "trailing-empty-columns.csv": (semrush_text(trailing=",,,").encode(), 2),
}


@pytest.mark.parametrize("name", sorted(ARTEFACTS))
def test_excel_artefacts_are_read_not_rejected(tmp_path, name):
    content, first_line = ARTEFACTS[name]
    export = tmp_path / name
    export.write_bytes(content)
    assert read_backlink_export(export) == expected_semrush(name, first_line)


def test_a_sep_line_decides_the_delimiter_the_header_alone_would_get_wrong(tmp_path):
    """More commas than semicolons in this header: without its ``sep=;`` line the comma
    would split it into more columns."""
    export = tmp_path / "sep.csv"
    export.write_text("sep=;\nPage ascore;Source url;Target url;Anchor (text, as, shown, on, "
                      f"the, page)\n44;{NEWS};{IMPLANTS};implants, dental\n")
    assert [(row.source, row.target, row.anchor, row.line)
            for row in read_backlink_export(export)] == [(NEWS, IMPLANTS, None, 3)]


def test_windows_1252_is_told_from_a_byte_past_the_first_chunk(tmp_path):
    """UTF-8 is only assumed when the whole file decodes: the one non-UTF-8 byte here sits
    past the first megabyte, after rows that are plain ASCII."""
    filler = [["1", "t", NEWS, f"{SITE}/page-{number}", "a", "false", "false", "false", "", ""]
              for number in range(12_000)]
    last = ["1", "t", NEWS, IMPLANTS, "Caf\xe9", "false", "false", "false", "", ""]
    text = "\r\n".join(",".join(cells) for cells in [SEMRUSH_HEADER, *filler, last])
    export = tmp_path / "big.csv"
    export.write_bytes(text.encode("cp1252"))
    assert export.stat().st_size > (1 << 20)
    read = read_backlink_export(export)
    assert (read[-1].anchor, read[-1].line) == ("Café", 12_002)


def test_a_quoted_newline_keeps_the_following_lines_numbered_as_in_the_file(tmp_path):
    export = tmp_path / "quoted.csv"
    export.write_text("Page ascore,Source title,Source url,Target url,Anchor\n"
                      f'1,"Two\nline title",{NEWS},{IMPLANTS},"first\r\nanchor"\n'
                      f"2,t,{FORUM},,x\n"
                      f"3,t,{FORUM},{WHITENING},second\n", newline="")
    skipped: list[SkippedRow] = []
    read = read_backlink_export(export, skipped=skipped)
    assert [(row.target, row.anchor, row.line) for row in read] == [
        (IMPLANTS, "first anchor", 2), (WHITENING, "second", 6)]
    assert skipped == [SkippedRow(5, "no target URL")]


@pytest.mark.parametrize("header", ["Linking page", "Source page,Last crawled"])
def test_search_console_sample_links_with_or_without_a_date(tmp_path, header):
    export = tmp_path / "sample.csv"
    dated = "," in header
    first, second = (',2024-03-05', ',"Mar 1, 2024"') if dated else ("", "")
    export.write_text(f"{header}\n{NEWS}{first}\n{FORUM}{second}\n")
    assert read_backlink_export(export) == rows(
        "sample.csv", "gsc-links",
        ("", NEWS, None, None, None, None, None, "2024-03-05" if dated else None, 2),
        ("", FORUM, None, None, None, None, None, "2024-03-01" if dated else None, 3))


def test_older_exports_are_read_too(tmp_path):
    """Majestic's older download header, and Moz Open Site Explorer's export below its six
    lines of report title (the layouts public importers read)."""
    majestic = tmp_path / "majestic-old.csv"
    majestic.write_bytes(codecs.BOM_UTF8 + (
        "SourceURL,AnchorText,TargetURL,ACRank,Date\r\n"
        f"{NEWS},Example Clinic implants,{IMPLANTS},4,2023-06-13\r\n").encode())
    assert read_backlink_export(majestic) == rows(
        "majestic-old.csv", "majestic",
        (IMPLANTS, NEWS, "Example Clinic implants", None, None, None, "2023-06-13", None, 2))
    moz = tmp_path / "ose.csv"
    moz.write_text(
        "Open Site Explorer Inbound Links Report\n\nTarget URL: www.example-clinic.test\n"
        "Generated: 2019-05-06\nFilters: all links\n\n"
        "URL,Title,Anchor Text,Spam Score,Page Authority,Domain Authority,Number of Domains "
        "Linking to this Page,Number of Domains Linking to Domain,Origin,Target URL,Link "
        "Equity,No Link Equity,Only rel=nofollow,Only follow,301\n"
        f"{NEWS},News,Example Clinic implants,1,41,64,12,900,external,{IMPLANTS},Yes,No,No,"
        "Yes,No\n"
        f"{FORUM},Forum,this guide,3,22,48,2,80,external,{WHITENING},No,Yes,Yes,No,No\n")
    assert read_backlink_export(moz) == rows(
        "ose.csv", "moz",
        (IMPLANTS, NEWS, "Example Clinic implants", "", None, None, None, None, 8),
        (WHITENING, FORUM, "this guide", "nofollow", None, None, None, None, 9))


def test_a_url_list_line_with_a_second_column_is_skipped_not_read_as_one_url(tmp_path):
    export = tmp_path / "pasted.txt"
    export.write_text(f"{IMPLANTS}\n{NEWS},{WHITENING}\n{FORUM}\t{SPRING}\n"
                      f"{SITE}/colours/red,blue\n")
    skipped: list[SkippedRow] = []
    assert [row.target for row in read_backlink_export(export, skipped=skipped)] == [
        IMPLANTS, f"{SITE}/colours/red,blue"]
    reason = "more than one column: a list has one URL a line (a CSV needs its header row)"
    assert skipped == [SkippedRow(2, reason), SkippedRow(3, reason)]


# -- a file readiness does not know, and --columns ---------------------------------------

def test_an_unknown_csv_names_the_file_its_columns_and_the_columns_option():
    export = EXPORTS / "unknown-tool.csv"
    with pytest.raises(ExportError) as error:
        read_backlink_export(export)
    assert str(error.value) == (
        f"{export}: not an export readiness recognises (Search Console, Ahrefs, Semrush, "
        f"Majestic, Moz, or one URL per line); its columns are 'From', 'To', 'Text', 'Seen'. "
        f'Name the columns to read: --columns "target=To,source=From"')


@pytest.mark.parametrize(("header", "found"), [
    ("Domain,DR,Dofollow ref. domains,Links to target,First seen", "'Domain', 'DR'"),
    ("Site,Linking pages,Target pages", "'Site', 'Linking pages', 'Target pages'"),
])
def test_a_referring_domains_export_is_refused_with_the_export_to_use(tmp_path, header, found):
    export = tmp_path / "refdomains.csv"
    export.write_text(f"{header}\ncitynews.example,71,1812,3,2023-06-14\n")
    with pytest.raises(ExportError, match=f"{found}.*a list of linking domains: "
                                          f"readiness needs the pages they link to"):
        read_backlink_export(export)


def test_the_columns_option_reads_an_unknown_csv():
    columns = parse_columns_option("target=To, source=From,anchor=Text,last-seen=Seen")
    assert columns == {"target": "To", "source": "From", "anchor": "Text", "last_seen": "Seen"}
    assert read_backlink_export(EXPORTS / "unknown-tool.csv", columns) == rows(
        "unknown-tool.csv", "columns",
        (IMPLANTS, NEWS, "Example Clinic implants", None, None, None, None, "2024-03-02", 2))


def test_the_columns_option_overrides_a_known_format_and_matches_case_insensitively():
    read = read_backlink_export(EXPORTS / "semrush-backlinks.csv",
                                {"target": "TARGET URL", "nofollow": "nofollow"})
    assert [(row.target, row.source, row.rel, row.export_format) for row in read] == [
        (IMPLANTS, None, "", "columns"), (f"{SITE}/", None, "nofollow", "columns")]


@pytest.mark.parametrize(("option", "message"), [
    ("target=To,page=From", "--columns: unknown key 'page'; the keys are target, source, "),
    ("source=From", "--columns: name the target column (target=COLUMN)"),
    ("target=To,target=From", "--columns: target is given twice"),
    ("target", "--columns: 'target' is not KEY=COLUMN"),
    ("target=", "--columns: 'target=' is not KEY=COLUMN"),
])
def test_a_bad_columns_option_is_an_error_naming_what_is_wrong(option, message):
    with pytest.raises(ExportError) as error:
        parse_columns_option(option)
    assert str(error.value).startswith(message)


def test_columns_naming_a_column_the_file_lacks_is_an_error_naming_it():
    export = EXPORTS / "unknown-tool.csv"
    with pytest.raises(ExportError) as error:
        read_backlink_export(export, {"target": "To", "source": "Linked from"})
    assert str(error.value) == (
        f"{export}: no line has the columns --columns names: missing 'linked from'; the "
        f"file's columns are 'From', 'To', 'Text', 'Seen'")
    with pytest.raises(ExportError, match="unknown key 'page'"):
        read_backlink_export(export, {"target": "To", "page": "From"})


# -- files that are not exports at all ---------------------------------------------------

def test_an_empty_a_missing_and_a_broken_file_are_errors_naming_the_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ExportError, match=f"^{empty}: the file is empty$"):
        read_backlink_export(empty)
    missing = tmp_path / "missing.csv"
    with pytest.raises(ExportError, match=f"^{missing}: cannot be read"):
        read_backlink_export(missing)
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text("Page ascore,Source url,Target url\n"
                        f"1,{NEWS},{IMPLANTS}\n"
                        f'2,"{FORUM},{WHITENING}\n' + "x" * 140_000 + "\n")
    with pytest.raises(ExportError, match=f"^{unclosed}: line 3: .*never closed"):
        read_backlink_export(unclosed)
    unclosed.write_text("Page ascore,Source url,Target url\n"
                        f'2,"{FORUM},{WHITENING}\n' + f"3,{NEWS},{IMPLANTS}\n" * 200)
    with pytest.raises(ExportError, match=f"^{unclosed}: line 2: a quoted field runs over "
                                          f"201 lines .a quote that is never closed"):
        read_backlink_export(unclosed)


def test_an_excel_workbook_is_refused_with_how_to_save_it_as_csv(tmp_path):
    workbook = tmp_path / "backlinks.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(200))
    with pytest.raises(ExportError, match=f"^{workbook}: an Excel workbook or a ZIP archive, "
                                          f"not a CSV: download the export as CSV"):
        read_backlink_export(workbook)


def test_rows_are_streamed():
    reading = iter_backlink_export(EXPORTS / "ahrefs-backlinks.csv")
    assert next(reading).line == 2


# -- values ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "flags", "rel"), [
    ("", {"nofollow": "false", "ugc": "false", "sponsored": "false"}, ""),
    ("", {"nofollow": "TRUE", "ugc": "false", "sponsored": "TRUE"}, "nofollow sponsored"),
    ("", {"nofollow": "true", "ugc": ""}, "nofollow"),
    ("", {"nofollow": "false", "ugc": ""}, None),
    ("", {"nofollow": "+"}, "nofollow"),
    ("", {"nofollow": "-"}, ""),
    ("dofollow", {}, ""),
    ("Follow", {}, ""),
    ("nofollow", {}, "nofollow"),
    ("UGC, Sponsored", {}, "sponsored ugc"),
    ("text", {}, None),
    ("", {}, None),
    ("follow", {"sponsored": "yes"}, "sponsored"),
])
def test_rel_is_normalised(text, flags, rel):
    assert _rel(text, tuple(flags.items())) == rel


@pytest.mark.parametrize(("text", "count"), [
    ("1,234", 1234), ("1 234", 1234), ("1.234.567", 1234567), ("1\u00a0234", 1234),
    ("87", 87), ("12.0", 12), ("", None), ("n/a", None), ("12.5", None), ("1,23", None),
    ("-3", None),
])
def test_counts_are_read_as_integers(text, count):
    assert _count(text) == count


@pytest.mark.parametrize(("text", "iso"), [
    ("2024-03-05", "2024-03-05"), ("2024-03-05 18:40:01", "2024-03-05"),
    ("2024-03-05T18:40:01Z", "2024-03-05"), ("2024/03/05", "2024-03-05"),
    ("05.03.2024", "2024-03-05"), ("05-03-2024", "2024-03-05"),
    ("25/03/2024", "2024-03-25"), ("03/25/2024", "2024-03-25"), ("03/03/2024", "2024-03-03"),
    ("05/03/2024", None),  # day and month could be either: unknown, not guessed
    ("Mar 5, 2024", "2024-03-05"), ("March 5, 2024", "2024-03-05"),
    ("5 Mar 2024", "2024-03-05"), ("5 March 2024 10:12 UTC", "2024-03-05"),
    ("Mar 5, 2024 at 6:40 PM", "2024-03-05"), ("05-Mar-2024", "2024-03-05"),
    ("2024-02-30", None), ("", None), ("yesterday", None),
])
def test_dates_are_read_as_iso_8601(text, iso):
    assert _date(text) == iso


@pytest.mark.parametrize(("text", "is_http"), [
    ("https://www.example-clinic.test/", True), ("HTTP://Example.test", True),
    ("https://example.test:8443/a?b=c#d", True), ("http://user@example.test/x", True),
    ("http://[2001:db8::1]:8080/", True), ("http://127.0.0.1:8000/page", True),
    ("https://", False), ("https:///path", False), ("ftp://example.test/", False),
    ("mailto:a@example.test", False), ("www.example.test/page", False), ("/contact", False),
    ("https://example.test/a page", False), ("javascript:void(0)", False),
])
def test_targets_must_be_http_urls_with_a_host(text, is_http):
    assert _is_http_url(text) is is_http
