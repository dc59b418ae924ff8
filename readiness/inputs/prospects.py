"""A prospect list: pages on other sites the user wants links from (``readiness prospects``).

Either one URL per line (``#`` comments and blank lines ignored; a URL may hold ``,`` or
``;``), or a CSV/TSV with a header naming a URL column (``url``, ``page``, ``prospect`` …;
other columns are kept as notes and ignored by the checks). Each distinct page once, in the file's order; a line that is not an
http(s) URL is reported (``file:line``) and left out, and the rest is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from readiness.inputs.tables import InputError, Table, header_index, looks_like_url, read_table

URL_COLUMNS = ("url", "page", "page url", "prospect", "prospect url", "address", "link",
               "source", "source url", "target page")


@dataclass(frozen=True, slots=True)
class ProspectRow:
    url: str        # as written
    input: str      # the file's name
    line: int       # 1-based line in the file


@dataclass(frozen=True, slots=True)
class ProspectList:
    rows: tuple[ProspectRow, ...]
    problems: tuple[InputError, ...]   # lines left out, each with its file:line


def read_prospects(path: str | Path) -> ProspectList:
    table = read_table(path, url_lines=True)
    if not table.rows:
        raise InputError("no prospect in the file: write one page URL per line "
                         "(or a CSV with a url column)", table.path)
    column, rows = _url_column(table)
    problems: list[InputError] = []
    seen: set[str] = set()
    prospects: list[ProspectRow] = []
    for row in rows:
        cell = row.cells[column] if column < len(row.cells) else ""
        if not looks_like_url(cell):
            problems.append(InputError(
                f"not an http(s) URL: {cell!r} (left out; write the page's full address, "
                "https://…)", table.path, row.line))
            continue
        if cell in seen:
            continue
        seen.add(cell)
        prospects.append(ProspectRow(cell, table.path.name, row.line))
    if not prospects:
        raise InputError("no http(s) URL in the file: write one page URL per line "
                         "(or a CSV with a url column)", table.path)
    return ProspectList(tuple(prospects), tuple(problems))


def _url_column(table: Table):
    """(the URL column's index, the data rows): a header naming it, or none (the first
    column of every row, which must then hold URLs)."""
    header = table.rows[0]
    if table.delimiter is None or any(looks_like_url(cell) for cell in header.cells):
        return 0, table.rows
    found = header_index(header.cells, {"url": URL_COLUMNS})
    if "url" not in found:
        raise InputError(
            f"no URL column in the header; found the columns {', '.join(map(repr, header.cells))}"
            f" — name the column of page URLs 'url'", table.path, header.line)
    return found["url"], table.rows[1:]
