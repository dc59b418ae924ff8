"""Backlink exports read as people download them; the format is told from the header row.

``read_backlink_export(path)`` returns one :class:`BacklinkRow` per row of a Search Console,
Ahrefs, Semrush, Majestic or Moz export, or per line of a plain list of URLs, with no option
to set. A CSV of another tool is read with ``--columns target=...,source=...``
(:func:`parse_columns_option`); any other file is an :class:`ExportError` that names the file,
the columns found and that option. Rows without a usable target are skipped, each with its
line (:class:`SkippedRow`). The file is streamed (:func:`iter_backlink_export`), never loaded
whole. User docs: docs/backlinks.md, "Exports readiness reads".

Where the column names come from (headers are matched case-insensitively, whitespace
collapsed; where sources spell a column differently, every spelling found is accepted):

- Ahrefs Site Explorer, Backlinks: "Referring page URL", "Target URL", "Anchor", "Nofollow",
  "UGC", "Sponsored", "First seen", "Last seen" are the columns an Ahrefs import reads in
  public code (an agency's Ahrefs ingester, and a disavow workflow's notes that also say the
  export is UTF-16 and tab-separated). "Link URL", "Link Anchor" and "Last check" are the
  classic (pre-2023) export's spellings, from memory: assumed.
- Ahrefs Site Explorer, Best by links: a public importer matches "URL"/"Target URL",
  "Referring domains" and "Backlinks"/"Dofollow backlinks" loosely; "Page URL",
  "Ref. domains", "First seen", "Last seen"/"Last check" are assumed.
- Semrush Backlink Analytics, Backlinks: "Page ascore, Source title, Source url, Target url,
  Anchor, External links, Internal links, Nofollow, Sponsored, Ugc, Text, Frame, Form, Image,
  Sitewide, First seen, Last seen, New link, Lost link", quoted from an audit of a real
  export in public code; other Semrush importers read the same names, and an older export
  began "Page score, Page trust score, Source title, Source url, Target url, Anchor, ...".
- Majestic Site Explorer, Backlinks: "Target URL, Source URL, Anchor Text, Source Crawl Date,
  Source First Found Date, FlagNoFollow, FlagImageLink, FlagRedirect, ..., SourceTrustFlow"
  (Majestic's download-backlinks documentation, quoted in a public importer, which also
  shows a flag is blank when unset: a blank FlagNoFollow is a followed link); "SourceURL,
  AnchorText, TargetURL, ACRank, Date" is an older download's header (another importer).
  "Source Trust Flow" spelled with spaces is seen in a third; "Link First Indexed Date" and
  "Link Last Seen Date" are assumed. A Ref domains export names linking domains, not the
  pages they link to: it is refused with that fix, not read.
- Moz: the Open Site Explorer export "URL, Title, Anchor Text, Spam Score, Page Authority,
  Domain Authority, ..., Target URL, ..., Only rel=nofollow, Only follow, 301", below six
  lines of report title (a public importer skips them); Link Explorer's Inbound links
  "Link Type", "Date First Seen", "Date Last Seen" are assumed from Moz's help pages, which
  name the data but no CSV header.
- Google Search Console, Links: public importers' tests read "Target page, Incoming links"
  (Top linked pages), "Linking page, Last crawled" (Export external links: Latest links),
  "Linking page" alone (More sample links) and "Site, Linking pages, Target pages" (Top
  linking sites, refused: domains, not pages); another importer reads "Source page, Last
  crawled". Top linked pages' "Linking sites" column is assumed from the report's UI. The
  external-links exports name no target: those rows' ``target`` is "" (the site). Search
  Console writes headers in the account's language; only the English ones are known here
  (another language is read with ``--columns``).
- A plain list of URLs: one per line, no header (or a one-column header such as "URL");
  blank lines and ``#`` comments are ignored.

Encodings and Excel artefacts: a UTF-8 BOM, UTF-16 LE/BE (with a BOM, or without one when
the NUL bytes give it away), Windows-1252 when the bytes are not UTF-8, a ``sep=;`` first
line, CRLF, ``,`` ``;`` or tab delimiters (the one that splits the header into most
columns), quoted fields with newlines, trailing empty columns, and a title or blank lines
above the header.
"""

from __future__ import annotations

import csv
import itertools
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from readiness.inputs.tables import InputError, file_encoding, sep_hint
from readiness.words import plural

logger = logging.getLogger(__name__)

# How far down a vendor's title lines may push the header.
HEADER_SEARCH_LINES = 20
DELIMITERS = (",", ";", "\t")
# A row spanning more lines than this holds a quote that is never closed: no anchor or
# title in an export runs this long.
MAX_ROW_LINES = 100


@dataclass(frozen=True, slots=True)
class BacklinkRow:
    """One backlink (or one linked page, in exports that only count) read from an export."""
    # The site URL linked to, as the export spells it; "" when the export names none
    # (gsc-links: Search Console's external-links exports list linking pages only).
    target: str
    source: str | None             # the linking page on the other site; None in count-only exports
    anchor: str | None
    # "" followed; "nofollow", "sponsored", "ugc" (space-joined, sorted); None unknown
    rel: str | None
    referring_domains: int | None  # the export's count for the target (count-only exports)
    backlinks: int | None          # the export's count for the target
    first_seen: str | None         # ISO 8601 date
    last_seen: str | None
    export: str                    # the file's name
    # "gsc-top-linked-pages", "gsc-links", "ahrefs-backlinks", "ahrefs-best-by-links",
    # "semrush-backlinks", "majestic", "moz", "url-list", "columns"
    export_format: str
    line: int                      # 1-based line in the file


class ExportError(ValueError):
    """A file that cannot be read as an export: the message names the file, the line when
    there is one, what was found (the header's columns) and the fix (--columns
    target=...,source=...)."""


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row of an export that was not read, and why (no target, a target that is not an
    http(s) URL)."""
    line: int
    reason: str


# What a row can carry, as the keys of ``--columns``: the BacklinkRow fields, plus the three
# yes/no columns that most exports give instead of a rel text.
COLUMN_KEYS = ("target", "source", "anchor", "rel", "nofollow", "sponsored", "ugc",
               "referring_domains", "backlinks", "first_seen", "last_seen")
REL_FLAGS = ("nofollow", "sponsored", "ugc")


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One vendor's export: the spellings of each column (lower-case, best first), the
    fields a header must have, and groups of which it must have one column each (what tells
    it from another vendor's file with the same URL columns)."""
    name: str
    columns: Mapping[str, tuple[str, ...]]
    needs: tuple[str, ...]
    marks: tuple[tuple[str, ...], ...] = ()
    # Majestic leaves a flag blank when it is not set (elsewhere blank means not said).
    blank_flag_is_unset: bool = False


AHREFS_BACKLINKS = ExportFormat(
    "ahrefs-backlinks",
    {"source": ("referring page url",), "target": ("target url", "link url"),
     "anchor": ("anchor", "link anchor"), "nofollow": ("nofollow",), "ugc": ("ugc",),
     "sponsored": ("sponsored",), "first_seen": ("first seen",),
     "last_seen": ("last seen", "last check")},
    needs=("source", "target"))
SEMRUSH_BACKLINKS = ExportFormat(
    "semrush-backlinks",
    {"source": ("source url",), "target": ("target url",), "anchor": ("anchor",),
     "nofollow": ("nofollow",), "sponsored": ("sponsored",), "ugc": ("ugc",),
     "first_seen": ("first seen",), "last_seen": ("last seen",)},
    needs=("source", "target"), marks=(("page ascore", "source title", "page score"),))
MAJESTIC = ExportFormat(
    "majestic",
    {"source": ("source url", "sourceurl"), "target": ("target url", "targeturl"),
     "anchor": ("anchor text", "anchortext"), "nofollow": ("flagnofollow",),
     "first_seen": ("link first indexed date", "link first index date", "firstindexeddate",
                    "source first found date", "date"),
     "last_seen": ("link last seen date", "lastseendate", "source crawl date")},
    needs=("source", "target"),
    marks=(("flagnofollow", "source trust flow", "source citation flow", "sourcetrustflow",
            "sourcecitationflow", "acrank"),), blank_flag_is_unset=True)
MOZ = ExportFormat(
    "moz",
    {"source": ("url", "source url"), "target": ("target url",), "anchor": ("anchor text",),
     "rel": ("link type",), "nofollow": ("only rel=nofollow", "nofollow"),
     "first_seen": ("date first seen", "first seen"),
     "last_seen": ("date last seen", "last seen")},
    needs=("source", "target"), marks=(("spam score", "domain authority", "page authority"),))
AHREFS_BEST_BY_LINKS = ExportFormat(
    "ahrefs-best-by-links",
    {"target": ("page url", "url", "target url"),
     "referring_domains": ("referring domains", "ref. domains"),
     "backlinks": ("backlinks", "dofollow backlinks"), "first_seen": ("first seen",),
     "last_seen": ("last seen", "last check")},
    needs=("target",), marks=(("referring domains", "ref. domains"),))
GSC_TOP_LINKED_PAGES = ExportFormat(
    "gsc-top-linked-pages",
    {"target": ("target page", "top linked pages", "top target pages"),
     "backlinks": ("incoming links",), "referring_domains": ("linking sites",)},
    needs=("target",), marks=(("incoming links", "linking sites"),))
GSC_LINKS = ExportFormat(
    "gsc-links",
    {"source": ("linking page", "source page"), "target": ("target page",),
     "last_seen": ("last crawled",)},
    needs=("source",))
# Most specific first: Semrush, Majestic and Moz share URL column names and differ in marks.
FORMATS = (AHREFS_BACKLINKS, SEMRUSH_BACKLINKS, MAJESTIC, MOZ, AHREFS_BEST_BY_LINKS,
           GSC_TOP_LINKED_PAGES, GSC_LINKS)
URL_LIST_HEADERS = frozenset({"url", "urls", "address", "page", "page url", "target url"})
# Columns of exports that list linking domains, not the pages they link to.
DOMAIN_COLUMNS = frozenset({"domain", "referring domain", "root domain", "site",
                            "linking site", "linking sites", "top linking sites"})


def read_backlink_export(path: Path, columns: Mapping[str, str] | None = None,
                         skipped: list[SkippedRow] | None = None) -> list[BacklinkRow]:
    """Every row of the export at ``path``, its format told from the header (or read with
    ``columns``: field -> column name). Rows that cannot be read are appended to ``skipped``
    when given (the CLI's "3 rows skipped: line 14 ..."), else logged as one warning."""
    sink: list[SkippedRow] = [] if skipped is None else skipped
    rows = list(iter_backlink_export(path, columns, sink))
    if skipped is None and sink:
        logger.warning("%s: %s", path, describe_skipped(sink))
    return rows


def iter_backlink_export(path: Path, columns: Mapping[str, str] | None = None,
                         skipped: list[SkippedRow] | None = None) -> Iterator[BacklinkRow]:
    """:func:`read_backlink_export`, one row at a time: a large export is streamed."""
    path = Path(path)
    mapped = _columns_format(columns) if columns is not None else None
    encoding = _encoding(path)
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as text:
            yield from _read(path, text, mapped, [] if skipped is None else skipped)
    except OSError as error:
        raise _unreadable(path, error) from error


def _unreadable(path: Path, error: OSError) -> ExportError:
    return ExportError(f"{path}: cannot be read ({error.strerror or error})")


def parse_columns_option(text: str) -> dict[str, str]:
    """``"target=Target URL,source=Referring page URL"`` -> ``{"target": "Target URL", ...}``.
    Unknown keys, a key given twice, an empty column name or no target are errors."""
    columns: dict[str, str] = {}
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        key, sep, name = (piece.strip() for piece in part.partition("="))
        key = key.lower().replace("-", "_")
        if not sep or not name:
            raise ExportError(f"--columns: {part!r} is not KEY=COLUMN "
                              f"(for example target=Target URL,source=Referring page URL)")
        if key in columns:
            raise ExportError(f"--columns: {key} is given twice")
        columns[key] = name
    _check_columns(columns)
    return columns


def _check_columns(columns: Mapping[str, str]) -> None:
    unknown = sorted(set(columns) - set(COLUMN_KEYS))
    if unknown:
        raise ExportError(f"--columns: unknown key {', '.join(map(repr, unknown))}; the keys "
                          f"are {', '.join(COLUMN_KEYS)}")
    if "target" not in columns:
        raise ExportError("--columns: name the target column (target=COLUMN): the page on "
                          "the site each row links to")


def describe_skipped(skipped: list[SkippedRow], shown: int = 5) -> str:
    """``"3 rows skipped: line 14 (no target URL), line 20 (...), line 31 (...)"``."""
    listed = ", ".join(f"line {row.line} ({row.reason})" for row in skipped[:shown])
    more = f", and {len(skipped) - shown} more" if len(skipped) > shown else ""
    return f"{plural(len(skipped), 'row')} skipped: {listed}{more}"


# -- decoding ----------------------------------------------------------------------------

def _encoding(path: Path) -> str:
    """The file's text encoding (readiness/inputs/tables.py: the prospect and placement
    lists are decoded the same way); its InputError as the export's error."""
    try:
        return file_encoding(path)
    except InputError as error:
        raise ExportError(str(error)) from None


def _column_key(name: str) -> str:
    """A header cell as matched: no BOM or quotes, lower case, whitespace collapsed."""
    return " ".join(name.replace("\ufeff", "").strip().strip('"').lower().split())


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _header_delimiter(line: str) -> str:
    """The delimiter that splits the header into the most columns (a header cell rarely
    holds a delimiter; csv.Sniffer guesses wrong on one line of URLs)."""
    return max(DELIMITERS, key=lambda delimiter: len(_split(line, delimiter)))


# -- the header --------------------------------------------------------------------------

@dataclass
class _Header:
    """Where the data starts, and how it is read."""
    index: int                     # of the first data line, in the looked-ahead lines
    export_format: ExportFormat | None   # None: a plain URL list
    delimiter: str = ","
    positions: dict[str, int] = field(default_factory=dict)


def _find_header(path: Path, lines: list[str], mapped: ExportFormat | None) -> _Header:
    delimiter = ""
    first_columns: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        hinted = sep_hint(line)
        if hinted and not delimiter and not first_columns:
            delimiter = hinted
            continue
        line_delimiter = delimiter or _header_delimiter(line)
        cells = _split(line, line_delimiter)
        keys = [_column_key(cell) for cell in cells]
        if mapped is None and _is_http_url(stripped.strip('"')):
            return _Header(index, None)
        if mapped is None and len(keys) == 1 and keys[0] in URL_LIST_HEADERS:
            return _Header(index + 1, None)
        for candidate in (mapped,) if mapped else FORMATS:
            positions = _positions(candidate, keys)
            if positions is not None:
                return _Header(index + 1, candidate, line_delimiter, positions)
        if len(cells) > 1 and not first_columns:
            first_columns = [cell.strip() for cell in cells if cell.strip()]
    raise ExportError(_unknown_header_message(path, first_columns, mapped))


def _positions(export_format: ExportFormat, keys: list[str]) -> dict[str, int] | None:
    """Field -> column index when ``keys`` is ``export_format``'s header, else None."""
    index = {key: position for position, key in reversed(list(enumerate(keys))) if key}
    if not all(any(mark in index for mark in group) for group in export_format.marks):
        return None
    positions = {}
    for name, spellings in export_format.columns.items():
        found = next((index[spelling] for spelling in spellings if spelling in index), None)
        if found is not None:
            positions[name] = found
    if not all(name in positions for name in export_format.needs):
        return None
    return positions


def _unknown_header_message(path: Path, found: list[str], mapped: ExportFormat | None) -> str:
    listed = ", ".join(repr(name) for name in found) if found else "no columns"
    if mapped is not None:
        missing = [spellings[0] for spellings in mapped.columns.values()
                   if not any(_column_key(name) in spellings for name in found)]
        return (f"{path}: no line has the columns --columns names: missing "
                f"{', '.join(repr(name) for name in missing)}; the file's columns are {listed}")
    hint = ""
    if {_column_key(name) for name in found} & DOMAIN_COLUMNS:
        hint = (" It looks like a list of linking domains: readiness needs the pages they "
                "link to (Ahrefs, Semrush or Majestic: Backlinks; Moz: Inbound links; "
                "Search Console: Top linked pages).")
    return (f"{path}: not an export readiness recognises (Search Console, Ahrefs, Semrush, "
            f"Majestic, Moz, or one URL per line); its columns are {listed}.{hint} "
            f"Name the columns to read: --columns \"{_suggest_columns(found)}\"")


def _suggest_columns(found: list[str]) -> str:
    """``target=...,source=...`` with the found columns that look the part."""
    def pick(*words: str) -> str:
        for name in found:
            if set(re.findall(r"[a-z]+", _column_key(name))) & set(words):
                return name
        return "COLUMN"
    return (f"target={pick('target', 'to', 'destination', 'linked')},"
            f"source={pick('source', 'from', 'referring', 'linking')}")


def _columns_format(columns: Mapping[str, str]) -> ExportFormat:
    _check_columns(columns)
    return ExportFormat("columns", {key: (_column_key(name),) for key, name in columns.items()},
                        needs=tuple(columns))


# -- rows --------------------------------------------------------------------------------

def _read(path: Path, text: TextIO, mapped: ExportFormat | None,
          skipped: list[SkippedRow]) -> Iterator[BacklinkRow]:
    lines = list(itertools.islice(text, HEADER_SEARCH_LINES))
    if not lines:
        raise ExportError(f"{path}: the file is empty")
    header = _find_header(path, lines, mapped)
    rest = itertools.chain(lines[header.index:], text)
    if header.export_format is None:
        yield from _url_list(path, rest, header.index + 1, skipped)
        return
    reader = csv.reader(rest, delimiter=header.delimiter)
    read_lines = 0
    try:
        for cells in reader:
            line = header.index + read_lines + 1
            if reader.line_num - read_lines > MAX_ROW_LINES:
                raise csv.Error(f"a quoted field runs over {reader.line_num - read_lines} "
                                f"lines")
            read_lines = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = _row(path, header, cells, line)
            if isinstance(row, SkippedRow):
                skipped.append(row)
            else:
                yield row
    except csv.Error as error:
        raise ExportError(f"{path}: line {header.index + read_lines + 1}: {error} (a quote "
                          f"that is never closed?)") from error


# Where a line of a URL list holds a second column (a headerless CSV): a tab, a semicolon,
# or a comma before another URL (a comma alone is also a character of URLs).
LIST_COLUMNS = re.compile(r"[\t;]|,(?=\s*\"?https?://)", re.IGNORECASE)


def _url_list(path: Path, lines: Iterable[str], first_line: int,
              skipped: list[SkippedRow]) -> Iterator[BacklinkRow]:
    for line, text in enumerate(lines, start=first_line):
        url = text.strip().strip('"').strip()
        if not url or url.startswith("#"):
            continue
        if len([cell for cell in LIST_COLUMNS.split(url) if cell.strip()]) > 1:
            skipped.append(SkippedRow(line, "more than one column: a list has one URL a line "
                                            "(a CSV needs its header row)"))
            continue
        if not _is_http_url(url):
            skipped.append(SkippedRow(line, f"{url[:80]!r} is not an http(s) URL"))
            continue
        yield BacklinkRow(url, None, None, None, None, None, None, None, path.name,
                          "url-list", line)


def _row(path: Path, header: _Header, cells: list[str], line: int) -> BacklinkRow | SkippedRow:
    width = len(cells)
    value = {name: cells[position].strip() if position < width else ""
             for name, position in header.positions.items()}
    get = value.get
    target = get("target", "")
    if "target" in value:
        if not target:
            return SkippedRow(line, "no target URL")
        if not HTTP_URL.match(target):
            return SkippedRow(line, f"target {target[:80]!r} is not an http(s) URL")
    source = get("source") or None
    if source is None and "target" not in value:
        return SkippedRow(line, "no linking page")
    assert header.export_format is not None
    unset = "false" if header.export_format.blank_flag_is_unset else ""
    flags = tuple((flag, value[flag] or unset) for flag in REL_FLAGS if flag in value)
    return BacklinkRow(
        target=target, source=source, anchor=" ".join(get("anchor", "").split()) or None,
        rel=_rel(get("rel", ""), flags),
        referring_domains=_count(get("referring_domains", "")),
        backlinks=_count(get("backlinks", "")),
        first_seen=_date(get("first_seen", "")), last_seen=_date(get("last_seen", "")),
        export=path.name, export_format=header.export_format.name, line=line)


# An absolute http(s) URL with a host and no white space (urlsplit's check, at a fifth of
# its cost per row).
HTTP_URL = re.compile(r"^https?://(?:[^\s/?#@]*@)?(?:[^\s/?#@:\[\]]+|\[[0-9a-f:.]+\])"
                      r"(?::\d*)?(?:[/?#]\S*)?$", re.IGNORECASE)


def _is_http_url(text: str) -> bool:
    return HTTP_URL.match(text) is not None


# -- values ------------------------------------------------------------------------------

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "+", "x", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "-", "f"})
FOLLOW_WORDS = frozenset({"follow", "dofollow", "followed"})
REL_WORDS = {"nofollow": "nofollow", "nofollowed": "nofollow", "sponsored": "sponsored",
             "paid": "sponsored", "ugc": "ugc"}


@lru_cache(maxsize=1024)
def _rel(text: str, flags: tuple[tuple[str, str], ...]) -> str | None:
    """The link's rel, from a rel/link-type text ("nofollow", "dofollow", "ugc, sponsored")
    and yes/no columns (("nofollow", "TRUE"), ...): "" followed, sorted tokens, None
    unknown. Cached: an export repeats a handful of combinations."""
    tokens: set[str] = set()
    known = False
    if text:
        words = re.findall(r"[a-z]+", text.lower())
        tokens |= {REL_WORDS[word] for word in words if word in REL_WORDS}
        known = bool(tokens) or any(word in FOLLOW_WORDS for word in words)
    answers = {flag: _flag(value) for flag, value in flags}
    tokens |= {flag for flag, answer in answers.items() if answer}
    if answers and all(answer is not None for answer in answers.values()):
        known = True
    if tokens:
        return " ".join(sorted(tokens))
    return "" if known else None


def _flag(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


GROUPED_NUMBER = re.compile(r"^\d{1,3}(?:([,. \u00a0\u202f'])\d{3})(?:\1\d{3})*$")


def _count(text: str) -> int | None:
    """``"1,234"`` / ``"1 234"`` / ``"1234"`` / ``"12.0"`` -> int; anything else None."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if GROUPED_NUMBER.match(text):
        return int(re.sub(r"\D", "", text))
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None


ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[ T])")
NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?:$|[ T])")
TIME_PART = re.compile(r"(?:\s*(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[ap]m)?"
                       r"\s*(?:utc|gmt|z|[+-]\d{2}:?\d{2})?)$", re.IGNORECASE)
NAMED_MONTH_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y",
                       "%b %d %Y", "%B %d %Y", "%d %b, %Y")


@lru_cache(maxsize=4096)
def _date(text: str) -> str | None:
    """An export's date as ISO 8601 (``2024-03-05``); None when empty or not a date (cached:
    the rows of an export share their days). A
    numeric day/month order with slashes is read only when unambiguous (a day above 12);
    with dots or dashes it is day first (the European ``05.03.2024``)."""
    text = text.strip()
    if not text:
        return None
    iso = ISO_DATE.match(text)
    if iso:
        return _iso(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = NUMERIC_DATE.match(text)
    if numeric:
        first, separator, second, year = numeric.groups()
        day, month = int(first), int(second)
        if separator == "/" and day <= 12 < month:
            day, month = month, day
        elif separator == "/" and day <= 12 and month <= 12 and day != month:
            return None
        return _iso(int(year), month, day)
    bare = TIME_PART.sub("", text).strip()
    for date_format in NAMED_MONTH_FORMATS:
        try:
            return datetime.strptime(bare, date_format).date().isoformat()
        except ValueError:
            continue
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
