"""CSV files people open in a spreadsheet (pages.csv, findings.csv; docs/findings.md, "The
other outputs").

- **UTF-8 with a BOM.** Excel reads a CSV without a byte-order mark in the machine's ANSI code
  page, so a title in Greek or a "é" arrives garbled; with one it reads UTF-8. LibreOffice,
  Google Sheets, pandas and Python's ``utf-8-sig`` codec skip the mark. (Screaming Frog writes
  UTF-8 too; its users open the file through Excel's import dialog to get the same.)
- **No formulas from the site.** A site is hostile input: a title ``=HYPERLINK("http://x",
  "click")`` would become a live formula in the lead's spreadsheet. A text cell that starts
  with ``= + - @``, a tab or a carriage return gets a leading ``'`` (OWASP's "CSV injection"
  advice), which spreadsheets show as text. Numbers are written as numbers.
- **Cells fit.** A spreadsheet cell holds at most 32,767 characters; a longer text is cut,
  saying where the whole of it is.
"""

from __future__ import annotations

import csv
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 32_767


def neutralised(text: str) -> str:
    """``text`` that no spreadsheet reads as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> Any:
    """One CSV cell: None empty, booleans yes/no, numbers as they are, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    return neutralised(str(value))


def cut_to_fit(text: str, where: str) -> str:
    """``text`` cut to a spreadsheet cell, ending with where the whole of it is."""
    if len(text) <= CELL_LIMIT:
        return text
    note = f" … (cut: the whole is in {where})"
    return text[: CELL_LIMIT - len(note)] + note


@contextmanager
def spreadsheet_csv(path: Path, columns: tuple[str, ...] | list[str]) -> Iterator[Any]:
    """A csv.writer on ``path`` (UTF-8 with a BOM), the header row written; the file is
    written beside and renamed into place when done, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            yield writer
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half table left beside the run's outputs
        raise
    tmp.replace(path)
