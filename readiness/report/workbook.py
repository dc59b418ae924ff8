"""report.xlsx: the spreadsheet tables as one workbook (``--format …,xlsx``; needs the
``xlsx`` extra, ``pip install 'readiness[xlsx]'``: openpyxl). docs/findings.md, "report.xlsx".

Sheets: ``pages`` (pages.csv's rows), ``findings`` (findings.csv's) and one per rule family
with that family's findings, in rule order, each with only the columns its findings fill.
openpyxl's write-only mode streams each sheet's rows to disk as they are appended, so a
20,000-page site's workbook costs a row at a time, like the CSV files.

Unlike a CSV cell, an xlsx cell has a type: text from the site is written as text, so an
``=HYPERLINK(…)`` title is shown as it is, never run as a formula, and needs no quote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from readiness.report.findings import findings_with_subjects
from readiness.report.findings_csv import finding_cells, ordered_columns
from readiness.report.machine import change_of
from readiness.report.pages import PAGE_COLUMNS, page_rows
from readiness.report.spreadsheet import cut_to_fit
from readiness.rules.context import AnalysisContext
from readiness.store import open_store

WORKBOOK_FILE = "report.xlsx"
XLSX_MISSING = ("--format xlsx needs openpyxl: pip install 'readiness[xlsx]' (or leave xlsx "
                "out of --format)")
# XML 1.0 cannot carry most control characters (openpyxl refuses them).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_available() -> bool:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def _typed_cell(sheet, value: Any, where: str):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, bool):
        value = "yes" if value else "no"
    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value=value)
    written = WriteOnlyCell(sheet, value=_ILLEGAL.sub("\ufffd", cut_to_fit(value, where)))
    written.data_type = "s"  # text, whatever it starts with: never a formula
    return written


def write_workbook(document: dict[str, Any], path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    store = Path(document["run"]["store"] or "")
    if store.is_file() and not document.get("outside"):
        pages = workbook.create_sheet("pages")
        pages.append(list(PAGE_COLUMNS))
        with open_store(store) as crawl:
            for row in page_rows(AnalysisContext(crawl)):
                pages.append([_typed_cell(pages, value, "pages.csv") for value in row])
    families = list(dict.fromkeys(rule["family"] for rule in document["rules"]))
    changes = change_of(document)
    # First pass: the columns of every sheet; second: the rows, each finding once.
    seen: dict[str, set[str]] = {"findings": set(), **{family: set() for family in families}}
    for subject, finding in findings_with_subjects(document["findings"]):
        cells = finding_cells(subject, finding, {})
        seen["findings"].update(cells)
        seen.setdefault(finding["family"], set()).update(cells)
    columns = {name: ordered_columns(names) for name, names in seen.items()
               if names or name == "findings"}  # a family that found nothing has no sheet
    sheets = {}
    for name in columns:
        sheets[name] = workbook.create_sheet(name[:31])
        sheets[name].append(columns[name])
    for subject, finding in findings_with_subjects(document["findings"]):
        cells = finding_cells(subject, finding, changes)
        where = cells["evidence_file"] or "findings.json"
        for name in ("findings", finding["family"]):
            sheet = sheets[name]
            sheet.append([_typed_cell(sheet, cells.get(column), where)
                          for column in columns[name]])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    workbook.save(tmp)
    tmp.replace(path)
    return path
