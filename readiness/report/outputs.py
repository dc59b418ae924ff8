"""Write the selected outputs of one analysis into its run folder (``--format``).

    reports/<run>/findings.json   the document (docs/findings.md); every other file derives from it
    reports/<run>/report.html     for people (html.py)
    reports/<run>/findings.csv    every finding, evidence in flat columns (findings_csv.py)
    reports/<run>/pages.csv       one row per crawled URL (pages.py)
    reports/<run>/csv/*.csv       one per rule that found something (machine.py)
    reports/<run>/junit.xml       one test case per finding (junit.py)
    reports/<run>/summary.md      for a PR comment or CI job summary (machine.py)
    reports/<run>/redirects.csv   the redirect map, with redirects.nginx.conf,
                                  redirects.apache.conf and _redirects (redirect_map.py)
    reports/<run>/report.xlsx     only when asked for (--format …,xlsx: the xlsx extra): the
                                  tables as sheets (workbook.py)

Outputs of formats not selected are removed from the run folder, so the files there never
disagree with each other.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable

from readiness.report.compare import add_run_comparisons
from readiness.report.findings import apply_gate, findings_document, write_document
from readiness.report.findings_csv import FINDINGS_CSV, write_findings_csv
from readiness.report.html import write_html
from readiness.report.outside import write_outside_csv
from readiness.report.junit import write_junit
from readiness.report.machine import summary_markdown, write_csv, write_text
from readiness.report.pages import PAGES_FILE, write_pages_csv
from readiness.report.redirect_map import remove_redirect_map, write_redirect_map
from readiness.report.workbook import WORKBOOK_FILE, XLSX_MISSING, write_workbook, xlsx_available
from readiness.rules.engine import Analysis

# What is written unless --format says otherwise.
FORMATS = ("html", "json", "csv", "junit", "md", "redirects")
# And what --format may add: xlsx needs an optional dependency (the xlsx extra).
ALL_FORMATS = (*FORMATS, "xlsx")
OUTPUT_NAMES = {"json": "findings.json", "html": "report.html", "csv": "csv",
                "junit": "junit.xml", "md": "summary.md", "redirects": "redirects.csv",
                "xlsx": WORKBOOK_FILE}


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,json"`` -> ("html", "json"); ValueError naming an unknown format, or xlsx
    without openpyxl installed."""
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in ALL_FORMATS]
    if unknown or not chosen:
        raise ValueError(f"unknown output format {', '.join(map(repr, unknown)) or repr(text)}"
                         f" (choose from {','.join(ALL_FORMATS)})")
    if "xlsx" in chosen and not xlsx_available():
        raise ValueError(XLSX_MISSING)
    return tuple(f for f in ALL_FORMATS if f in chosen)


def prepare_document(analysis: Analysis, fail_on: str = "error", baseline: Path | None = None,
                     min_pages: int | None = None,
                     fail_on_incomplete: bool = False) -> dict[str, Any]:
    """The findings document with the run comparisons and the gate decided."""
    document = findings_document(analysis)
    store = Path(analysis.store_path)
    add_run_comparisons(document, store.parent, store, baseline)
    apply_gate(document, fail_on, min_pages, str(baseline) if baseline else None,
               fail_on_incomplete)
    return document


def write_outputs(document: dict[str, Any], run_dir: Path,
                  formats: Iterable[str] = FORMATS) -> dict[str, Path]:
    """Write the chosen formats into ``run_dir``; {format: path written}."""
    formats = tuple(formats)
    if document["run"].get("mode"):
        # A prospects or placements run crawled other sites' pages: no redirect map of
        # theirs is the site's to write (and a stale one in the folder goes).
        formats = tuple(fmt for fmt in formats if fmt != "redirects")
    # Each output points readers only to the files written beside it this time.
    names = {OUTPUT_NAMES[fmt] for fmt in formats}
    run_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in ALL_FORMATS:
        path = run_dir / OUTPUT_NAMES[fmt]
        if fmt not in formats:
            if fmt == "csv":  # the tables beside the csv folder go too
                for table in ("prospects.csv", "placements.csv", FINDINGS_CSV, PAGES_FILE):
                    (run_dir / table).unlink(missing_ok=True)
            if fmt == "redirects":
                remove_redirect_map(run_dir)
            elif path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            continue
        if fmt == "json":
            written[fmt] = write_document(document, path)
        elif fmt == "html":
            written[fmt] = write_html(document, path, names - {path.name})
        elif fmt == "csv":
            write_csv(document, path)
            written[fmt] = path
            written["findings-csv"] = write_findings_csv(document, run_dir / FINDINGS_CSV)
            table = write_outside_csv(document, run_dir)
            if table is not None:
                written[document["outside"]["mode"]] = table
                # Other sites' pages: their table is the listed pages' (prospects.csv …).
                (run_dir / PAGES_FILE).unlink(missing_ok=True)
            elif Path(document["run"]["store"] or "").is_file():
                written["pages"] = write_pages_csv(document["run"]["store"],
                                                   run_dir / PAGES_FILE)
            else:  # a document made without a crawl (by hand, in tests): no pages to list
                (run_dir / PAGES_FILE).unlink(missing_ok=True)
        elif fmt == "junit":
            written[fmt] = write_junit(document, path)
        elif fmt == "md":
            written[fmt] = write_text(path, summary_markdown(document, names - {path.name}))
        elif fmt == "redirects":
            written[fmt] = write_redirect_map(document, run_dir)
        elif fmt == "xlsx":
            written[fmt] = write_workbook(document, path)
    return written
