"""Spreadsheet files as people save them: the bytes decoded and the rows split, whatever Excel,
Google Sheets or an SEO tool's "export for Excel" did to them.

Read, not rejected: a byte-order mark (UTF-8, UTF-16 LE/BE: Ahrefs' "for Excel" export is
UTF-16 with tabs), Windows-1252 text (Excel's "CSV" on Windows), a first line ``sep=;`` (Excel's
delimiter hint), ``;`` or tab as the delimiter (a European-locale Excel writes ``;``), CRLF
line ends and quoted cells spanning lines. Every row keeps its 1-based line in the file, so a
message about it can name ``file:line``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from w3lib.encoding import read_bom

SEP_LINE = re.compile(r'^"?sep=(\\t|.)"? *$', re.IGNORECASE)
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


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM decides; otherwise UTF-8, or Windows-1252 when the bytes are
    not UTF-8 (Excel on Windows saves CSV in the ANSI code page)."""
    bom_encoding, bom = read_bom(data)
    if bom_encoding is not None:
        # UTF-16 without its BOM's byte order named would be read big-endian by Python.
        return data[len(bom):].decode(bom_encoding, errors="replace"), bom_encoding
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0] and data[2]:
        # UTF-16 without a BOM (ASCII text: every other byte is NUL), little-endian ...
        return data.decode("utf-16-le", errors="replace"), "utf-16-le"
    if len(data) >= 4 and data[0:4:2] == b"\x00\x00" and data[1] and data[3]:
        # ... or big-endian.
        return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(first_line: str) -> str | None:
    """The delimiter the header (or first) line uses most, or None when it uses none."""
    counts = [(first_line.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    count, _order, delimiter = max(counts)
    return delimiter if count else None


def read_table(path: str | Path, comments: bool = True, url_lines: bool = False) -> Table:
    """The rows of a CSV/TSV (or one-value-per-line) file; ``comments``: lines starting
    with ``#`` are left out (lists typed by hand carry notes); ``url_lines``: a file whose
    first line is a URL is a list of one URL a line (a URL may hold ``,`` or ``;``)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path) from None
    text, encoding = decode_text(data)
    lines = text.splitlines(keepends=True)
    first = 0
    delimiter = None
    # Excel's "sep=;" hint line (quoted by some tools, "sep=\t" for tabs): names the
    # delimiter and is not a row.
    hint = SEP_LINE.match(lines[0].rstrip("\r\n")) if lines else None
    if hint:
        delimiter = "\t" if hint.group(1) == "\\t" else hint.group(1)
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
