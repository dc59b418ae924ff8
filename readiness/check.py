"""What ``readiness check`` does after the crawl: judge whether the crawl can be trusted, then
analyse the store, write the reports and apply the gate; and a run for ``readiness diff``,
analysed when it has no findings yet.

These steps join the stages (crawl, rules, report), so they sit above all three; the CLI's
commands and the demo share them from here, and neither imports the other
(docs/architecture.md, "Layers").
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from readiness import exitcodes
from readiness.console import CONSOLE
from readiness.store.records import NETWORK_ERRORS, FetchOutcome

if TYPE_CHECKING:
    from readiness.config import ReadinessConfig

EXIT_OK, EXIT_USAGE, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED = (
    exitcodes.OK, exitcodes.USAGE, exitcodes.INCONCLUSIVE, exitcodes.INTERRUPTED)
# Network errors that mean the site itself could not be reached.
UNREACHABLE_ERRORS = NETWORK_ERRORS - {FetchOutcome.TOO_LARGE}


def report_crawl(result, the_result: bool = False) -> int:
    """Print where the store is and whether the crawl can be trusted; the exit status.
    ``the_result``: the store is what the command made (``readiness crawl``), so even
    ``--quiet`` says where it is."""
    from readiness.probe.verdicts import probes_enabled
    from readiness.store import open_store

    meta = result.meta
    with open_store(result.store_path) as store:
        start = store.fetch(meta["start_url"])
        pages = store.query("SELECT COUNT(*) FROM fetches WHERE fetched = 1").fetchone()[0]
        probes = store.count("probes")
        listed = store.query(
            "SELECT COUNT(*), COUNT(status) FROM fetches WHERE discovered_by = 'list'").fetchone()
        # A prospects or placements run (meta mode, written after its crawl) fetched other
        # sites' pages: their outbound links are never probed, nothing to say about them.
        outside_run = bool(store.meta().get("mode"))
    checked = ("" if outside_run else f"{probes} outbound URLs checked, " if probes_enabled(meta)
               else "outbound links not checked, ")
    status, explain = judge_crawl(meta, start, listed, result.store_path)
    say = CONSOLE.verdict if the_result else CONSOLE.detail
    say(f"store: {result.store_path}")
    # When the analysis follows (check, backlinks, demo) its summary counts what was fetched
    # ("86 site URLs fetched: 46 HTML pages, …") and says whether outbound links were
    # checked: the crawl line then says only whether the crawl is whole, not the same counts
    # a second time. A prospects or placements summary counts no fetch, and no summary
    # follows a crawl that failed, so those keep the counts here.
    counted = the_result or outside_run or status != EXIT_OK
    say(f"crawl: {f'{pages} URLs fetched, {checked}' if counted else ''}"
        f"{'complete' if meta.get('complete') else 'INCOMPLETE'} "
        f"({meta.get('finish_reason')}"
        f"{', limits hit: ' + ', '.join(meta['limits_hit']) if meta.get('limits_hit') else ''})")
    if explain is not None:
        explain()
    return status


def judge_crawl(meta, start, listed, store_path: Path) -> tuple[int, Any]:
    """Whether the crawl can be analysed: its exit status (EXIT_OK: it can) and what prints
    why not (None when it can)."""
    from readiness.crawl.spider import MISSING_COMPONENTS
    from readiness.report.findings import unfinished_reason

    def failed(status: int, message: str):
        return status, lambda: print(message, file=sys.stderr)

    def inconclusive(reason: str):
        return EXIT_INCONCLUSIVE, lambda: crawl_inconclusive(reason)

    if meta.get("finish_reason") == MISSING_COMPONENTS:
        # Stopped before its first request because a needed component was switched off
        # (EXTENSIONS): the configuration is wrong, nobody interrupted anything.
        return failed(EXIT_USAGE, "readiness: configuration error: the crawl needs a component "
                                  "that is missing from EXTENSIONS or switched off (crawl.log "
                                  "names it)")
    # First: an interrupted crawl may not have stored its start URL yet.
    unfinished = unfinished_reason(meta)
    if unfinished is not None:
        # Ctrl-C once ("shutdown") or twice (Scrapy's forced stop leaves "running"): never
        # analysed and gated here, whatever the partial store would say.
        return failed(EXIT_INTERRUPTED, f"readiness: interrupted: {unfinished}; everything "
                                        f"stored so far is kept in {store_path}")
    if meta.get("list_mode"):
        # Each listed URL is judged by the rules (a dead one is a finding); the run says
        # nothing only when none of them answered.
        if not listed[1]:
            return inconclusive(f"none of the {listed[0]} listed URLs answered over HTTP "
                                "(unreachable, or blocked by robots.txt)")
        return EXIT_OK, None
    if start is None or (start["status"] is None and start["error"] in UNREACHABLE_ERRORS | {None}):
        reason = start["error_detail"] or start["error"] if start is not None else "never fetched"
        return inconclusive(f"cannot reach the start URL {meta['start_url']}: {reason}")
    if start["error"] == FetchOutcome.ROBOTS_BLOCKED:
        return inconclusive(f"robots.txt blocks the start URL {meta['start_url']} "
                            "(use crawl.robots: report to crawl it anyway)")
    return EXIT_OK, None


def crawl_inconclusive(reason: str) -> int:
    """A crawl that did not see the site: said on stderr (and on GitHub Actions as an
    annotation, since no analysis follows to make one); exit 3."""
    from readiness.report.github import annotate_inconclusive

    print(f"readiness: error: {reason}", file=sys.stderr)
    annotate_inconclusive(reason)
    return EXIT_INCONCLUSIVE


def analyze_store(store: Path, config, fail_on: str = "error", formats=None,
                  baseline: Path | None = None, min_pages: int | None = None,
                  show_gate: bool = True, fail_on_incomplete: bool = False,
                  document_out: TextIO | None = None) -> int:
    """Run the rules and write the chosen outputs beside the store, all from one findings
    document that also holds the comparison with the previous run of the site (and with the
    baseline); print the verdict and the gate; return the exit status. ``document_out``
    (``-o -``): the findings document goes there instead, and no file is written."""
    from readiness.report.compare import comparison_line, previous_run_store, print_comparison
    from readiness.report.findings import stream_document
    from readiness.report.github import report_to_github
    from readiness.report.outputs import FORMATS, OUTPUT_NAMES, prepare_document, write_outputs
    from readiness.report.terminal import print_summary
    from readiness.rules.engine import analyze

    with CONSOLE.phase("analysis"):
        analysis = analyze(store, config, previous_store=previous_run_store(store))
        document = prepare_document(analysis, fail_on, baseline, min_pages, fail_on_incomplete)
    with CONSOLE.phase("reports"):
        if document_out is None:
            written = write_outputs(document, store.parent, formats or FORMATS)
        else:
            stream_document(document, document_out)
            document_out.flush()
            written = {}
    # What the summary may point to for the rest: a file written this time, nothing else.
    listed_in = OUTPUT_NAMES["json"] if "json" in written else None
    summary = io.StringIO()
    print_summary(document, summary, listed_in)
    CONSOLE.summary(summary.getvalue())
    if document.get("previous"):
        CONSOLE.detail(comparison_line(document["previous"]))
    if document.get("baseline") and not CONSOLE.quiet:
        print_comparison(document["baseline"], document, sys.stdout, limit=10,
                         show_unchanged=True, listed_in=listed_in)
    if document.get("baseline"):
        baseline_site = document["baseline"]["against"]["start_url"]
        if baseline_site != document["run"]["start_url"]:
            print(f"readiness: warning: the baseline is a run of {baseline_site}, not of "
                  f"{document['run']['start_url']}: few findings can match", file=sys.stderr)
    gate = document["gate"]
    if show_gate:
        CONSOLE.verdict(f"gate (--fail-on {gate['fail_on']}"
                        f"{', baseline' if gate['baseline'] else ''}): "
                        f"{gate['status'].upper()} — {gate['reason']}")
        # A GitHub Actions step: the gate's failing findings as annotations, summary.md in
        # the job summary (not for the demo, which gates nothing).
        report_to_github(document, {OUTPUT_NAMES[fmt] for fmt in written if fmt in OUTPUT_NAMES})
    outside = document.get("outside")
    if outside:
        counts = ", ".join(f"{count} {name}" for name, count in sorted(outside["counts"].items()))
        CONSOLE.verdict(f"{outside['mode']}: {len(outside['rows'])} checked: {counts}")
    # The report last: the one to open.
    for fmt in ("json", "csv", "findings-csv", "pages", "prospects", "placements", "xlsx",
                "junit", "md", "redirects", "html"):
        if fmt in written:
            label = {"json": "findings", "html": "report", "md": "summary",
                     "redirects": "redirect map", "findings-csv": "findings table",
                     "pages": "pages table", "xlsx": "workbook"}.get(fmt, fmt)
            CONSOLE.detail(f"{label}: {written[fmt]}")
    if gate["exit_code"] == EXIT_INCONCLUSIVE:
        print(f"readiness: error: inconclusive: {gate['reason']}", file=sys.stderr)
    return gate["exit_code"]


def load_run(path: Path, config: ReadinessConfig | None = None
             ) -> tuple[dict[str, Any], Path | None, Path]:
    """One side of ``readiness diff``: (findings document, crawl store or None, what was read).

    A run folder or a crawl store uses the findings.json beside it when there is one, and
    otherwise analyses the store with ``config`` (the shipped rule set when None).
    """
    from readiness.report.compare import read_run
    from readiness.report.findings import findings_document
    from readiness.rules.engine import analyze
    from readiness.rules.settings import load_config

    document, store, read = read_run(path)
    if document is None:
        document = findings_document(analyze(store, config or load_config()))
    return document, store, read
