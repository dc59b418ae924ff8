"""Spreadsheet files as people save them: the bytes decoded and the rows split, whatever Excel,
Google Sheets or an SEO tool's "export for Excel" did to them.

Read, not rejected: a byte-order mark (UTF-8, UTF-16 LE/BE: Ahrefs' "for Excel" export is
UTF-16 with tabs; a BOM-less UTF-16 told by its NUL bytes), Windows-1252 text (Excel's "CSV" on Windows), a first line ``sep=;`` (Excel's
delimiter hint), ``;`` or tab as the delimiter (a European-locale Excel writes ``;``), CRLF
line ends and quoted cells spanning lines. Every row keeps its 1-based line in the file, so a
message about it can name ``file:line``. The backlink exports' reader
(readiness/inputs/backlinks.py), which streams files of any size, decodes with the same
:func:`file_encoding` and :func:`sep_hint`; an Excel workbook or a ZIP archive is refused
with the fix.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Excel's delimiter hint line: ``sep=;`` (quoted by some tools, ``sep=\t`` for tabs).
SEP_LINE = re.compile(r'^"?sep=(\\t|.)"?[ \t]*$', re.IGNORECASE)
# The first bytes of the file that decide a BOM-less UTF-16 from its NUL bytes.
SNIFF_BYTES = 4096
READ_CHUNK = 1 << 20
# The file name that reads standard input (``readiness prospects - < list.txt``); its rows
# say "stdin:LINE".
STDIN = "-"
# Delimiters a spreadsheet export uses, most common first (the tie-break of the sniffing).
DELIMITERS = (",", ";", "\t", "|")


class InputError(ValueError):
    """A file that cannot be read as what it should be. ``str()`` is ``file:line: problem``,
    with what was found and the fix; the CLI prints it as is (never a traceback)."""

    def __init__(self, message: str, file: str | Path, line: int | None = None) -> None:
        self.message = message
        self.file = str(file)
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class TableRow:
    line: int                  # 1-based line of the file where the row starts
    cells: tuple[str, ...]     # stripped of surrounding whitespace


@dataclass(frozen=True, slots=True)
class Table:
    """A file's rows, comment and blank lines left out. ``delimiter`` is None for a file
    with one value per line (no delimiter anywhere)."""

    path: Path
    encoding: str
    delimiter: str | None
    rows: tuple[TableRow, ...]


def file_encoding(path: Path) -> str:
    """The file's text encoding, read in chunks (an export may be large): its BOM, the NUL
    bytes of BOM-less UTF-16, UTF-8 when every byte decodes as UTF-8, else Windows-1252
    (Excel on Windows saves CSV in the ANSI code page). An Excel workbook or a ZIP archive
    is an InputError with the fix, as is a file that cannot be read."""
    try:
        with path.open("rb") as raw:
            return stream_encoding(raw, path)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path) from None


def stream_encoding(raw: BinaryIO, name: str | Path) -> str:
    """:func:`file_encoding` of an open binary stream, read to its end (``name`` for the
    message)."""
    head = raw.read(SNIFF_BYTES)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError("an Excel workbook or a ZIP archive, not a CSV: download the export "
                         "as CSV, or save it from Excel as \"CSV UTF-8\" (unzip an archive "
                         "first)", name)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"   # the BOM says which byte order, and is dropped
    if len(head) >= 2 and head.count(0) > len(head) // 4:
        # ASCII text in UTF-16: every other byte is NUL, and which half says the order.
        even_nuls = head[0::2].count(0)
        return "utf-16-be" if even_nuls > head[1::2].count(0) else "utf-16-le"
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = head
    try:
        while chunk:
            decoder.decode(chunk)
            chunk = raw.read(READ_CHUNK)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def sep_hint(line: str) -> str | None:
    """The delimiter an Excel ``sep=`` line names, or None for any other line."""
    hint = SEP_LINE.match(line.rstrip("\r\n"))
    if hint is None:
        return None
    return "\t" if hint.group(1).lower() == "\\t" else hint.group(1)


def sniff_delimiter(first_line: str) -> str | None:
    """The delimiter the header (or first) line uses most, or None when it uses none."""
    counts = [(first_line.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    count, _order, delimiter = max(counts)
    return delimiter if count else None


def read_table(path: str | Path, comments: bool = True, url_lines: bool = False) -> Table:
    """The rows of a CSV/TSV (or one-value-per-line) file; ``comments``: lines starting
    with ``#`` are left out (lists typed by hand carry notes); ``url_lines``: a file whose
    first line is a URL is a list of one URL a line (a URL may hold ``,`` or ``;``);
    ``-`` reads standard input."""
    if str(path) == STDIN:
        data = sys.stdin.buffer.read()
        path = Path("stdin")
        encoding = stream_encoding(io.BytesIO(data), path)
    else:
        path = Path(path)
        encoding = file_encoding(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror or exc})", path) from None
    text = data.decode(encoding, errors="replace")
    lines = text.splitlines(keepends=True)
    first = 0
    # Excel's "sep=;" hint line names the delimiter and is not a row.
    delimiter = sep_hint(lines[0]) if lines else None
    if delimiter is not None:
        first = 1
    content = [(number, line) for number, line in enumerate(lines[first:], start=first + 1)
               if line.strip() and not (comments and line.lstrip().startswith("#"))]
    if delimiter is None and content and not (url_lines and looks_like_url(content[0][1])):
        delimiter = sniff_delimiter(content[0][1])
    rows: list[TableRow] = []
    if delimiter is None:
        rows = [TableRow(number, (line.strip(),)) for number, line in content]
        return Table(path, encoding, None, tuple(rows))
    # Comment lines are blanked rather than dropped, so the csv reader's line numbers are the
    # file's (a quoted cell may span lines).
    kept = {number for number, _line in content}
    body = "".join(line if number in kept else "\n"
                   for number, line in enumerate(lines[first:], start=first + 1))
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    line = first + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(TableRow(line, tuple(cell.strip() for cell in cells)))
            line = first + reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc}", path, line) from None
    return Table(path, encoding, delimiter, tuple(rows))


def header_index(header: tuple[str, ...], names: dict[str, tuple[str, ...]]
                 ) -> dict[str, int]:
    """{field: column index} for the header cells that name a field (``names``: field ->
    the header spellings that mean it, lower-case; the first matching column wins)."""
    spelled = [cell.strip().strip('"').lower() for cell in header]
    found: dict[str, int] = {}
    for field, spellings in names.items():
        for index, cell in enumerate(spelled):
            if cell in spellings:
                found[field] = index
                break
    return found


def looks_like_url(cell: str) -> bool:
    return cell.strip().lower().startswith(("http://", "https://"))
