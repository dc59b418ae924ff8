"""readiness/inputs/tables.py: spreadsheet files read as people save them, each row with the
line it starts on."""

from __future__ import annotations

import pytest

from readiness.inputs.tables import InputError, read_table


@pytest.mark.parametrize("data, delimiter", [
    (b"sep=;\r\nsource;target\r\nhttps://a/;https://b/\r\n", ";"),
    (b'"sep=,"\nsource,target\nhttps://a/,https://b/\n', ","),
    (b"sep=\\t\nsource\ttarget\nhttps://a/\thttps://b/\n", "\t"),
    (b"sep=\t\nsource\ttarget\nhttps://a/\thttps://b/\n", "\t"),
    (b"source;target\nhttps://a/;https://b/\n", ";"),        # sniffed from the header
    (b"source\ttarget\nhttps://a/\thttps://b/\n", "\t"),
])
def test_delimiters_and_the_sep_hint(tmp_path, data, delimiter):
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.delimiter == delimiter
    assert [row.cells for row in table.rows] == [("source", "target"),
                                                 ("https://a/", "https://b/")]


@pytest.mark.parametrize("encoded, encoding", [
    ("\ufeffsource,target\r\nhttps://a/,Café\r\n".encode("utf-8"), "utf-8"),
    ("source,target\r\nhttps://a/,Café\r\n".encode("utf-16"), "utf-16"),
    ("source,target\r\nhttps://a/,Café\r\n".encode("utf-16-le"), "utf-16-le"),
    ("source,target\r\nhttps://a/,Café\r\n".encode("utf-16-be"), "utf-16-be"),
    ("source,target\r\nhttps://a/,Café\r\n".encode("cp1252"), "cp1252"),
])
def test_encodings(tmp_path, encoded, encoding):
    path = tmp_path / "list.csv"
    path.write_bytes(encoded)
    table = read_table(path)
    assert table.encoding.replace("-sig", "") == encoding.replace("-sig", "") or (
        encoding == "utf-16" and table.encoding.startswith("utf-16"))
    assert table.rows[1].cells == ("https://a/", "Café")


def test_lines_count_comments_blank_lines_and_quoted_newlines(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text('source,anchor\n# a note\n\nhttps://a/,"two\nlines"\nhttps://b/,x\n',
                    encoding="utf-8")
    assert [(row.line, row.cells) for row in read_table(path).rows] == [
        (1, ("source", "anchor")), (4, ("https://a/", "two\nlines")), (6, ("https://b/", "x"))]


def test_one_value_a_line_and_an_unreadable_file(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("https://a/x\r\n# note\r\nhttps://b/y\r\n", encoding="utf-8")
    table = read_table(path)
    assert table.delimiter is None
    assert [(row.line, row.cells) for row in table.rows] == [(1, ("https://a/x",)),
                                                             (3, ("https://b/y",))]
    with pytest.raises(InputError, match="cannot be read"):
        read_table(tmp_path / "absent.csv")


def test_a_list_of_urls_holding_commas_is_one_url_a_line(tmp_path):
    from readiness.inputs.prospects import read_prospects

    path = tmp_path / "p.txt"
    path.write_text("https://a.example/x?ids=1,2;3\nhttps://b.example/y\n", encoding="utf-8")
    assert [row.url for row in read_prospects(path).rows] == [
        "https://a.example/x?ids=1,2;3", "https://b.example/y"]


def test_a_workbook_is_refused_with_the_fix_and_a_bomless_utf16_list_is_read(tmp_path):
    """One decoding for every input (the backlink exports' too): a .xlsx saved as the list
    is refused with what to do; its twin, the same list as BOM-less UTF-16 (told by its NUL
    bytes), is read."""
    from readiness.inputs.prospects import read_prospects

    workbook = tmp_path / "prospects.csv"
    workbook.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64)
    with pytest.raises(InputError, match=r"prospects\.csv: an Excel workbook or a ZIP archive, "
                                         r"not a CSV: .*CSV UTF-8"):
        read_prospects(workbook)
    utf16 = tmp_path / "p.txt"
    utf16.write_bytes("hé\nhttps://a.example/x\nhttps://b.example/y\n".encode("utf-16-le"))
    assert [row.url for row in read_prospects(utf16).rows] == [
        "https://a.example/x", "https://b.example/y"]
