"""The ``readiness`` command line.

Exit codes: 0 done · 1 findings at or above the gate (``check``, ``analyze``, ``prospects``,
``placements``; with ``--baseline``, new findings only) · 2 usage or configuration error · 3
inconclusive (start URL unreachable, crawl blocked, no page, fewer pages than ``--min-pages``,
crawl not finished, ``--fail-on-incomplete``, a placed link that could not be looked for;
``init``: the URL did not answer) · 130 interrupted · 141 stdout closed by its reader
(readiness/exitcodes.py). What is printed, and where (``--quiet``, ``--verbose``,
``--no-color``, ``-o -``): readiness/console.py.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from pathlib import Path

from readiness import __version__, exitcodes
from readiness.check import analyze_store, load_run, report_crawl
from readiness.config import CONFIG_FILE_NAME as CONFIG_NAME, ConfigError
from readiness.console import CONSOLE, configure, exit_on_closed_stdout, human_text_to_stderr
from readiness.urls import UrlNormalizer, origin, redact_credentials

EXIT_OK, EXIT_USAGE, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED = (
    exitcodes.OK, exitcodes.USAGE, exitcodes.INCONCLUSIVE, exitcodes.INTERRUPTED)


class UsageError(Exception):
    """A mistake on the command line: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="readiness",
        description="Is this site ready for link building? Crawl it, check it, report.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"readiness {__version__}")
    _add_output_switches(parser, False)
    commands = _Commands(parser.add_subparsers(dest="command", metavar="COMMAND",
                                               required=True))

    crawl = commands.add_parser("crawl", help="crawl a site and its outbound links into a store")
    crawl.add_argument("url", nargs="?",
                       help="start URL, e.g. https://www.clinic.example/ (not needed with "
                            "--resume)")
    _add_crawl_options(crawl)
    crawl.set_defaults(handler=cmd_crawl)

    check = commands.add_parser("check", help="crawl + analyze: the pre-launch / CI gate")
    check.add_argument("url", nargs="?",
                       help="start URL, e.g. https://www.clinic.example/ (not needed with "
                            "--resume)")
    _add_crawl_options(check)
    _add_gate_options(check)
    check.set_defaults(handler=cmd_check)

    backlinks = commands.add_parser(
        "backlinks", help="check the pages other sites link to, as backlink exports name "
                          "them: dead, redirected, non-indexable (a list-mode crawl + the gate)")
    backlinks.add_argument("exports", nargs="+", metavar="EXPORT",
                           help="backlink exports: Search Console, Ahrefs, Semrush, Majestic, "
                                "Moz CSVs or a list of URLs (docs/backlinks.md)")
    backlinks.add_argument("--site", required=True, metavar="URL",
                           help="the site, e.g. https://www.clinic.example/ (targets on other "
                                "hosts are counted, not fetched; crawl.host_map maps them)")
    backlinks.add_argument("--columns", metavar="MAP",
                           help="for a CSV of another tool: target=COLUMN,source=COLUMN,…")
    _add_crawl_options(backlinks, listing=False)
    _add_gate_options(backlinks)
    backlinks.set_defaults(handler=cmd_backlinks)

    analyze = commands.add_parser("analyze", help="run the rules over a stored crawl "
                                                  "(no network): edit YAML, re-analyze")
    analyze.add_argument("store", help="crawl.sqlite, or the run folder holding it")
    analyze.add_argument("--config", metavar="FILE", help="YAML rule set (default: shipped)")
    analyze.add_argument("-o", "--out", metavar="-", choices=["-"],
                         help="-: write the findings document to stdout, human text to "
                              "stderr, and no file (the outputs are otherwise written beside "
                              "the store)")
    _add_gate_options(analyze)
    analyze.set_defaults(handler=cmd_analyze)

    diff = commands.add_parser("diff", help="compare two runs: new, fixed and unchanged "
                                            "findings, pages that appeared, went or changed")
    diff.add_argument("old", help="the earlier run: findings.json, crawl.sqlite or run folder")
    diff.add_argument("new", help="the later run: findings.json, crawl.sqlite or run folder")
    diff.add_argument("--config", metavar="FILE",
                      help="YAML rule set for a store without findings.json (default: shipped)")
    diff.add_argument("--json", action="store_true", help="print the comparison as JSON")
    diff.set_defaults(handler=cmd_diff)

    prospects = commands.add_parser(
        "prospects", help="vet pages on other sites you want links from: worth asking, weak "
                          "or avoid, each fetched once, politely")
    prospects.add_argument("file", help="the prospect list: one page URL a line (# comments), "
                                        "or a CSV with a url column; - reads stdin")
    prospects.add_argument("--site", required=True, metavar="URL",
                           help="your site, e.g. https://www.clinic.example/: links to it "
                                "are what the pages are checked for")
    _add_outside_options(prospects)
    prospects.set_defaults(handler=cmd_outside)

    placements = commands.add_parser(
        "placements", help="check links placed on other sites: still there, followed, in "
                           "the text, with the agreed anchor, to a working target")
    placements.add_argument("file", help="the placements CSV: source page, target URL, "
                                         "optionally the agreed anchor and rel; - reads "
                                         "stdin")
    placements.add_argument("--site", metavar="URL",
                            help="your site (default: the config's first start URL, or the "
                                 "first target's home page)")
    _add_outside_options(placements)
    placements.set_defaults(handler=cmd_outside)

    rules = commands.add_parser("rules", help="list every rule, or explain one")
    rules.add_argument("code", nargs="?", help="rule code or name, e.g. RDR001 or redirect-chain")
    rules.set_defaults(handler=cmd_rules)

    demo = commands.add_parser("demo", help="serve the built-in sample practice site on "
                                            "127.0.0.1 and crawl it")
    demo.add_argument("--out", metavar="DIR", help="run folder (default reports/<run-id>)")
    demo.add_argument("--reports-dir", default="reports", metavar="DIR",
                      help="where runs are kept (default: reports)")
    demo.add_argument("--serve", action="store_true",
                      help="only serve the demo site (and its outside websites) until Ctrl-C, "
                           "printing its URLs and ready `readiness check` / `scrapy crawl` / "
                           "scrapyd commands for it")
    demo.set_defaults(handler=cmd_demo)

    init = commands.add_parser(
        "init", help=f"write a commented {CONFIG_NAME} for a site: its start URL, www/non-www "
                     f"and http/https variants, sitemaps, a staging host_map stub")
    init.add_argument("url", nargs="?",
                      help="the site, e.g. https://www.clinic.example/ (asked, politely, "
                           "a few requests; without it: a template to fill in)")
    init.add_argument("--force", action="store_true",
                      help=f"overwrite an existing {CONFIG_NAME}")
    init.set_defaults(handler=cmd_init)
    return parser


class _Commands:
    """The subcommands, each taking the output switches too (``readiness check -q URL`` as
    well as ``readiness -q check URL``)."""

    def __init__(self, subparsers) -> None:
        self.subparsers = subparsers
        self.switches = argparse.ArgumentParser(add_help=False)
        # SUPPRESS: a switch not given after the command keeps the value given before it.
        _add_output_switches(self.switches, argparse.SUPPRESS)

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        return self.subparsers.add_parser(name, parents=[self.switches], **kwargs)


def _add_output_switches(parser: argparse.ArgumentParser, default) -> None:
    """--quiet, --verbose, --no-color (readiness/console.py)."""
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", default=default,
                          help="no progress line and no detail: the verdict with its blocking "
                               "URLs, the gate and errors")
    loudness.add_argument("-v", "--verbose", action="store_true", default=default,
                          help="also print the crawl's Scrapy log (INFO) and how long each "
                               "phase took, on stderr")
    parser.add_argument("--no-color", action="store_true", default=default,
                        help="no colour in the terminal summary (also: NO_COLOR=1; there is "
                             "none when stdout is not a terminal)")


def _add_crawl_options(sub: argparse.ArgumentParser, listing: bool = True) -> None:
    sub.add_argument("--config", metavar="FILE", help="YAML configuration (crawl: and rules:)")
    _add_out_option(sub)
    sub.add_argument("--reports-dir", default="reports", metavar="DIR",
                     help="where runs are kept (default: reports)")
    if listing:  # `backlinks` lists its targets itself; `check --resume` resumes its runs
        sub.add_argument("--resume", metavar="DIR",
                         help="continue an interrupted run in place (its run folder or "
                              "crawl.sqlite), with its stored configuration and start URL")
        sub.add_argument("--list", metavar="FILE",
                         help="list mode: fetch exactly the URLs in FILE (one a line, # "
                              "comments; - reads stdin), their redirects hop by hop, no link "
                              "followed; the start URL is then optional (default: the first "
                              "listed)")
    sub.add_argument("--no-outbound", action="store_true",
                     help="do not check links to other sites (crawl.probe.enabled: false), "
                          "e.g. on a CI runner without internet access")


def _add_outside_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--config", metavar="FILE",
                     help="YAML configuration (crawl: politeness, rules: thresholds)")
    _add_out_option(sub)
    sub.add_argument("--reports-dir", default="reports", metavar="DIR",
                     help="where runs are kept (default: reports; runs of the same --site "
                          "are compared with the previous one)")
    _add_gate_options(sub)


def _add_out_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("-o", "--out", metavar="DIR",
                     help="run folder (default reports/<run-id>); - writes the findings "
                          "document (findings.json) to stdout instead of report files, "
                          "human text to stderr (the store is kept in reports/<run-id>)")


def _add_gate_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--fail-on", choices=["error", "warning", "notice"], default="error",
                     help="exit 1 when open findings at or above this severity remain "
                          "(default: error)")
    sub.add_argument("--baseline", metavar="FINDINGS",
                     help="an earlier findings.json: fail only on findings new since then")
    sub.add_argument("--min-pages", type=_positive_int, metavar="N",
                     help="exit 3 (inconclusive) when fewer than N HTML pages answered 200")
    sub.add_argument("--fail-on-incomplete", action="store_true",
                     help="exit 3 (inconclusive) when the crawl stopped at max_pages or "
                          "max_depth, whatever it found")
    sub.add_argument("--format", metavar="LIST",
                     help="outputs to write beside the store, comma-separated "
                          "(default: html,json,csv,junit,md,redirects); with -o -: json, "
                          "the only one written to stdout")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def gate_settings(args: argparse.Namespace) -> dict:
    """--fail-on, --baseline, --min-pages, --format checked before any crawl starts."""
    from readiness.report.findings import read_findings
    from readiness.report.outputs import FORMATS, parse_formats

    document_out = getattr(args, "document_out", None)
    try:
        formats = parse_formats(args.format or ",".join(FORMATS if document_out is None
                                                        else ["json"]))
    except ValueError as exc:
        raise UsageError(f"--format: {exc}") from None
    if document_out is not None and formats != ("json",):
        raise UsageError("-o -: only the findings document (--format json) goes to stdout; "
                         "write the other formats to a run folder (--out DIR)")
    baseline = None
    if args.baseline:
        baseline = Path(args.baseline)
        if not baseline.is_file():
            raise UsageError(f"--baseline: no findings file at {baseline}")
        try:
            read_findings(baseline)
        except (ValueError, UnicodeDecodeError) as exc:  # json errors are ValueErrors too
            raise UsageError(f"--baseline: {exc}") from None
    return {"fail_on": args.fail_on, "formats": formats, "baseline": baseline,
            "min_pages": args.min_pages, "fail_on_incomplete": args.fail_on_incomplete,
            "document_out": document_out}


def check_url(url: str, crawl) -> str:
    """``url`` if it is an http(s) URL once normalised as the crawl (``crawl``, the config's
    CrawlConfig: host_map, strip_params) will normalise it."""
    shown = redact_credentials(url)
    if shown != url:
        # Never echoed: the password would land in terminals, CI logs and crawl.log.
        raise UsageError(f"the start URL {shown} carries a user name/password: readiness "
                         f"crawls as a search engine does, without credentials; remove them")
    normalized = UrlNormalizer.from_config(crawl).normalize(url)
    if normalized is None or not normalized.startswith(("http://", "https://")):
        raise UsageError(f"not an http(s) URL: {url!r} (example: https://www.clinic.example/)")
    return url


def crawl_config(path: str | None, no_outbound: bool = False):
    """The rule file for a crawl in this process (a distributed one is for workers);
    ``--no-outbound`` switches the outbound probes off."""
    from readiness.crawl.addresses import allow_private_from_env
    from readiness.rules.settings import load_config

    try:
        allow_private_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    config = load_config(config_file(path))
    if no_outbound:
        config.crawl.probe.enabled = False
    if config.crawl.distributed.redis_url:
        raise UsageError("crawl.distributed.redis_url is set: a distributed run is crawled by "
                         "workers (scrapy crawl site -a run=NAME … or scrapyd jobs; see "
                         "docs/distributed.md), not by `readiness crawl`/`check`")
    return config


def read_url_list(source: str) -> list[str]:
    """The URLs of a ``--list`` file (``-``: stdin): one a line, blank lines and ``#``
    comments ignored; anything else that is not an http(s) URL is refused by file and line."""
    from readiness.inputs.tables import InputError, file_encoding

    name = "stdin" if source == "-" else source
    try:
        # Decoded as every list readiness reads (BOM, UTF-16 from Excel's "Unicode text",
        # Windows-1252): readiness/inputs/tables.py.
        text = sys.stdin.read() if source == "-" else Path(source).read_bytes().decode(
            file_encoding(Path(source)), errors="replace")
    except (OSError, InputError) as exc:
        raise UsageError(f"--list {name}: cannot read it "
                         f"({exc.message if isinstance(exc, InputError) else exc})") from None
    urls = []
    for number, line in enumerate(text.splitlines(), 1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        if not url.lower().startswith(("http://", "https://")) or len(url.split()) > 1:
            raise UsageError(f"--list {name}, line {number}: {line.strip()[:80]!r} is not an "
                             f"http(s) URL: write one full URL a line, such as "
                             f"https://www.clinic.example/services/ (# starts a comment)")
        if redact_credentials(url) != url:
            raise UsageError(f"--list {name}, line {number}: {redact_credentials(url)} "
                             f"carries a user name/password: remove them (never sent)")
        urls.append(url)
    if not urls:
        raise UsageError(f"--list {name}: no URL in it (one http(s) URL a line)")
    return urls


def crawl_run(args: argparse.Namespace):
    """(configuration, start URL) of the crawl the command line asks for: a new one (with
    ``--list``, a list-mode one), or the interrupted run ``--resume`` names (its stored
    configuration, unless --config is the same)."""
    if args.resume is None:
        listed = read_url_list(args.list) if args.list else []
        config = crawl_config(args.config, args.no_outbound)
        if not (args.url or listed or config.crawl.list_urls or config.crawl.start_urls):
            raise UsageError("a start URL is required (or --list FILE, to check listed URLs; "
                             "or --resume DIR, to continue an interrupted run; or crawl: "
                             f"start_urls in the configuration: `readiness init URL` writes "
                             f"a {CONFIG_NAME} with it)")
        if listed:
            config.crawl.list_urls = listed
            try:  # host_map and the other crawl checks, as if the YAML listed them
                type(config.crawl).model_validate(config.crawl.model_dump())
            except ValueError as exc:
                raise UsageError(f"--list {args.list}: {exc}") from None
            for url in listed:
                check_url(url, config.crawl)
        listed = listed or config.crawl.list_urls
        url = check_url(args.url or (listed or config.crawl.start_urls)[0], config.crawl)
        if config.backlinks:  # the rule file's exports: read before the crawl, told here
            for line in site_backlinks(config, url).summary():
                print(line)
        return config, url
    if args.list:
        raise UsageError("--resume continues the run with its own list: give no --list")
    from readiness.crawl.resume import ResumeRefused, resumable_meta, resume_store_path, resumed_run

    if args.out:
        raise UsageError("--resume continues the run in its own folder: give no --out")
    try:
        meta = resumable_meta(resume_store_path(args.resume))
        config = None
        if args.config or args.no_outbound:
            config = crawl_config(args.config, args.no_outbound)
        return resumed_run(meta, config, args.url)
    except ResumeRefused as exc:
        raise UsageError(str(exc)) from None


def crawl(args: argparse.Namespace, url: str, config, **run):
    """run_crawl with the command line's run folder (none with ``-o -``: the default one),
    progress line (not with --quiet) and Scrapy log on stderr (with --verbose)."""
    from readiness.crawl.runner import run_crawl

    out = None if args.out == "-" else args.out
    with CONSOLE.phase("crawl"):
        return run_crawl(url, config, out=out, reports_dir=args.reports_dir,
                         progress=not CONSOLE.quiet, log_to_stderr=CONSOLE.verbose, **run)


def cmd_crawl(args: argparse.Namespace) -> int:
    if args.out == "-":
        raise UsageError("-o -: `crawl` writes only the store (crawl.sqlite), nothing for "
                         "stdout; `check -o -` prints the findings document")
    config, url = crawl_run(args)
    result = crawl(args, url, config, resume=args.resume)
    return report_crawl(result, the_result=True)


def resolve_store(path: str) -> Path:
    store = Path(path)
    if store.is_dir():
        store = store / "crawl.sqlite"
    if not store.is_file():
        raise UsageError(f"no crawl store at {store} (give crawl.sqlite or its run folder)")
    return store


def cmd_analyze(args: argparse.Namespace) -> int:
    from readiness.rules.settings import load_config

    store = resolve_store(args.store)
    settings = gate_settings(args)
    config = load_config(config_file(args.config))
    return analyze_store(store, config, **settings)


def cmd_check(args: argparse.Namespace) -> int:
    settings = gate_settings(args)
    config, url = crawl_run(args)
    result = crawl(args, url, config, resume=args.resume)
    status = report_crawl(result)
    if status != EXIT_OK:
        return status
    return analyze_store(result.store_path, config, **settings)


def site_backlinks(config, site: str):
    """The rows of ``config.backlinks`` whose targets are on the site of ``site`` (its host,
    crawl.extra_hosts; host map applied), as the crawl will read them; a bad export is a
    UsageError with the reader's message (file, line, what was found, the fix)."""
    from readiness.crawl.backlinks import SiteBacklinks
    from readiness.crawl.seeds import site_netlocs
    from readiness.inputs.backlinks import ExportError

    for spec in config.backlinks:
        if not Path(spec.file).is_file():
            raise UsageError(f"{spec.file}: no such file (a backlink export: CSV, TSV or a "
                             f"list of URLs)")
    normalizer = UrlNormalizer.from_config(config.crawl)
    hosts = site_netlocs(normalizer.normalize(site), [], config.crawl.extra_hosts, normalizer)
    try:
        return SiteBacklinks.read(config.backlinks, normalizer, hosts)
    except ExportError as exc:
        raise UsageError(str(exc)) from None


def cmd_backlinks(args: argparse.Namespace) -> int:
    """Read the exports, keep the targets on the site (host map applied), crawl exactly those
    (list mode) with the rows in the store, then analyse and gate like ``check``."""
    from readiness.config.models import BacklinkExportConfig

    settings = gate_settings(args)
    config = crawl_config(args.config, args.no_outbound)
    site = check_url(args.site, config.crawl)
    if "-" in args.exports:
        # An export is read more than once (counted, then stored): a file, not a pipe.
        raise UsageError("-: a backlink export is read from its file, not stdin: save the "
                         "export and give its path")
    # The command's exports replace a rule file's backlinks: (its targets are these).
    config.backlinks = [BacklinkExportConfig(file=str(Path(export).resolve()),
                                             columns=args.columns) for export in args.exports]
    backlinks = site_backlinks(config, site)
    for line in backlinks.summary():
        print(line)
    if not backlinks.targets:
        raise UsageError(f"no row of the exports links to a page of {site}: check --site, or "
                         f"map the production hosts to the crawled ones with crawl.host_map")
    config.crawl.list_urls = backlinks.targets
    result = crawl(args, site, config)
    status = report_crawl(result)
    if status != EXIT_OK:
        return status
    return analyze_store(result.store_path, config, **settings)


def cmd_outside(args: argparse.Namespace) -> int:
    """``readiness prospects`` / ``readiness placements``: the list read, its pages fetched
    by a polite list-mode crawl, the list stored with them, then analysed and gated as
    ``check`` is (readiness/crawl/outside.py)."""
    from readiness.crawl.outside import prepare_outside, read_outside_list
    from readiness.inputs.tables import InputError

    mode = args.command
    settings = gate_settings(args)
    try:
        outside = read_outside_list(mode, args.file)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    listed = outside.listed
    config = crawl_config(args.config)
    site = args.site
    if site is None:
        site = (config.crawl.start_urls[0] if config.crawl.start_urls
                else origin(listed.rows[0].target) + "/")
    site = check_url(site, config.crawl)
    prepare_outside(mode, site, listed, config)
    try:  # host_map and the other crawl checks, as if the YAML listed them
        type(config.crawl).model_validate(config.crawl.model_dump())
    except ValueError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    for url in config.crawl.list_urls:
        check_url(url, config.crawl)
    result = crawl(args, site, config, outside=outside)
    status = report_crawl(result)
    if status != EXIT_OK:
        return status
    return analyze_store(result.store_path, config, **settings)


def cmd_diff(args: argparse.Namespace) -> int:
    from readiness.report.compare import compare_documents, comparison_json, print_comparison
    from readiness.rules.settings import load_config

    path = config_file(args.config)
    config = load_config(path) if path else None
    sides = []
    for path in (args.old, args.new):
        try:
            sides.append(load_run(Path(path), config))
        except (ValueError, UnicodeDecodeError) as exc:
            raise UsageError(str(exc)) from None
    (old, old_store, old_path), (new, new_store, _new_path) = sides
    comparison = compare_documents(old, new, "diff", old_path, old_store, new_store)
    if args.json:
        print(comparison_json(comparison))
        return EXIT_OK
    print(f"old: {old_path} ({old['run'].get('start_url')}, {old['summary']['pages']} pages)")
    print(f"new: {sides[1][2]} ({new['run'].get('start_url')}, {new['summary']['pages']} pages)")
    print_comparison(comparison, new, sys.stdout, limit=25, per_rule=True)
    if comparison["pages"] is None:
        print("pages: not compared (needs both crawl stores)")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from readiness.rules.base import IMPACT_MEANING
    from readiness.rules.registry import default_registry
    from readiness.rules.settings import rule_hint

    registry = default_registry()
    if not args.code:
        family = None
        for rule in sorted(registry.rules(), key=lambda r: (r.family, r.code)):
            if rule.family != family:
                # A blank line between families, none above the first (`rules | head -1`).
                print(f"{'' if family is None else chr(10)}{rule.family}")
                family = rule.family
            print(f"  {rule.code}  {rule.name:<38} {rule.severity.value:<8} "
                  f"{rule.impact.value:<12} {rule.summary()}")
        print(f"\n{len(registry)} rules. `readiness rules CODE` explains one.")
        return EXIT_OK
    rule = registry.get(args.code)
    if rule is None:
        raise UsageError(f"unknown rule {args.code!r}{rule_hint(args.code, registry)}")
    print(f"{rule.code} {rule.name} ({rule.family}, default severity {rule.severity.value}, "
          f"link-building impact {rule.impact.value})\n")
    print(rule.summary() + "\n")
    print(f"Impact {rule.impact.value}: {IMPACT_MEANING[rule.impact]}.\n")
    if rule.whole_site:
        print("Not run in list mode (check --list): it needs the whole site.\n")
    for title, body in rule.doc_sections().items():
        print(f"{title}:")
        for line in body.splitlines():
            print(f"  {line}")
        print()
    options = rule.options_doc()
    if options:
        print("Options (set them under rules: in your YAML):")
        for name, description, default in options:
            print(f"  {name} (default {default!r}): {description}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from readiness.demo.run import run_demo, serve_demo

    if args.serve:
        return serve_demo(reports_dir=args.reports_dir)
    return run_demo(out=args.out, reports_dir=args.reports_dir)


def config_file(path: str | None) -> str | None:
    """The configuration a command uses: --config, else ./readiness.yaml when there is one
    (said on stderr: a file read without being named should never surprise), else None
    (the shipped rules)."""
    if path is None and Path(CONFIG_NAME).is_file():
        path = CONFIG_NAME
        if not CONSOLE.quiet:
            print(f"readiness: using ./{CONFIG_NAME} (--config FILE to use another)",
                  file=sys.stderr)
    return path


def cmd_init(args: argparse.Namespace) -> int:
    """Write ./readiness.yaml for the site at ``args.url`` (or a template without one)."""
    from readiness.starter_config import config_text, survey_site

    target = Path(CONFIG_NAME)
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists already: edit it, or give --force to replace it")
    survey = None
    if args.url:
        from readiness.config import CrawlConfig

        url = check_url(args.url, CrawlConfig())
        try:
            survey = survey_site(url)
        except ValueError as exc:  # READINESS_ALLOW_PRIVATE that is no network
            raise UsageError(str(exc)) from None
        for hop in survey.hops:
            CONSOLE.detail(f"{hop.url}: {hop.describe()}")
        if survey.final.status is None:
            print(f"readiness: error: cannot reach {survey.final.url}: {survey.final.error}; "
                  f"{CONFIG_NAME} not written", file=sys.stderr)
            return EXIT_INCONCLUSIVE
        if survey.endless:
            print(f"readiness: warning: {survey.url} redirects {survey.endless}: the start "
                  f"URL is kept as given", file=sys.stderr)
        for variant in survey.variants:
            CONSOLE.detail(f"{variant.url}: {variant.describe()}")
        for sitemap, where in survey.sitemaps:
            CONSOLE.detail(f"sitemap: {sitemap} ({where})")
    target.write_text(config_text(survey), encoding="utf-8")
    CONSOLE.detail(f"wrote {target.resolve()}: check it, then `readiness check`")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure(quiet=args.quiet, verbose=args.verbose, no_color=args.no_color)
    try:
        if getattr(args, "out", None) == "-":
            # The findings document on stdout, for a pipe; every human line on stderr.
            with human_text_to_stderr() as stdout:
                args.document_out = stdout
                code = args.handler(args)
        else:
            code = args.handler(args)
    except UsageError as exc:
        print(f"readiness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"readiness: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"readiness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("readiness: interrupted; everything stored so far is kept", file=sys.stderr)
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        # The second Ctrl-C of a forced stop can come while the process exits (interpreter
        # and worker clean-up, outside this try): uncaught, Python would die by SIGINT
        # instead of exiting 130.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


def run() -> int:
    """The ``readiness`` command: main() for this process's command line, which then ends."""
    try:
        code = main()
        sys.stdout.flush()  # here, where a closed stdout can still be told apart
    except BrokenPipeError:
        # `readiness rules | head -1`: the reader has what it wanted.
        code = exit_on_closed_stdout()
    # The process ends now. Python's shutdown would run the cycle collector over every object
    # the crawl, the rules and the reports left (~0.25 s of CPU for a 10-page check); frozen,
    # they are only freed by reference counting. Files and stores are closed by then.
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
