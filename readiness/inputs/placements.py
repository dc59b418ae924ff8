"""A placed-link list: links the user has placed (or was promised) on other sites' pages
(``readiness placements``).

A CSV/TSV, one placement a row: the source page (the other site's page carrying the link), the
target URL on the site it should link to, and optionally the agreed anchor text and rel
(``follow``/empty, ``nofollow``, ``sponsored``, ``ugc``). The header is detected
(``source``/``page``/``referring page`` …, ``target``/``url``/``link to`` …, ``anchor``,
``rel``); without a header the columns are taken in that order. A row that cannot be read is
reported (``file:line``) and left out; the rest is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from readiness.inputs.tables import InputError, header_index, looks_like_url, read_table

COLUMNS: dict[str, tuple[str, ...]] = {
    "source": ("source", "source url", "source page", "source page url", "page", "page url",
               "referring page", "referring page url", "placed on", "from", "from url",
               "publisher url", "placement url", "live url"),
    "target": ("target", "target url", "target page", "link to", "links to", "url linked",
               "destination", "destination url", "to", "to url", "landing page", "our url"),
    "anchor": ("anchor", "anchor text", "agreed anchor", "link text"),
    "rel": ("rel", "agreed rel", "link type", "link rel"),
}
# rel values of a link that passes no equity, as a placement may agree on them.
QUALIFIERS = ("nofollow", "sponsored", "ugc")


@dataclass(frozen=True, slots=True)
class PlacementRow:
    source: str             # the other site's page, as written
    target: str             # the site URL it should link to, as written
    anchor: str | None      # the agreed anchor text; None when not given
    # "" followed; "nofollow", "sponsored", "ugc" (space-joined, sorted); None not given
    rel: str | None
    input: str              # the file's name
    line: int


@dataclass(frozen=True, slots=True)
class PlacementList:
    rows: tuple[PlacementRow, ...]
    problems: tuple[InputError, ...]


def agreed_rel(text: str) -> str | None:
    """The rel a row agreed on, as a sorted space-joined set of qualifiers ("" followed);
    ValueError for words that are not a rel."""
    words = set(text.lower().replace(",", " ").split())
    if not words:
        return None
    words -= {"follow", "dofollow", "followed"}
    unknown = words - set(QUALIFIERS)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    return " ".join(sorted(words))


def read_placements(path: str | Path) -> PlacementList:
    table = read_table(path)
    if not table.rows:
        raise InputError("no placement in the file: one row per link (source page, target "
                         "URL, agreed anchor, rel)", table.path)
    header = table.rows[0]
    if any(looks_like_url(cell) for cell in header.cells):
        index = {"source": 0, "target": 1, "anchor": 2, "rel": 3}
        rows = table.rows
    else:
        index = header_index(header.cells, COLUMNS)
        missing = [name for name in ("source", "target") if name not in index]
        if missing:
            raise InputError(
                f"no {' and no '.join(missing)} column in the header; found the columns "
                f"{', '.join(map(repr, header.cells))} — name them 'source' (the page "
                "carrying the link) and 'target' (the URL on your site), optionally "
                "'anchor' and 'rel'", table.path, header.line)
        rows = table.rows[1:]
    placements: list[PlacementRow] = []
    problems: list[InputError] = []
    seen: set[tuple[str, str]] = set()

    def cell(row, name: str) -> str:
        at = index.get(name)
        return row.cells[at] if at is not None and at < len(row.cells) else ""

    for row in rows:
        source, target = cell(row, "source"), cell(row, "target")
        bad = [f"{name} {value!r}" for name, value in (("source", source), ("target", target))
               if not looks_like_url(value)]
        if bad:
            problems.append(InputError(
                f"not an http(s) URL: {' and '.join(bad)} (row left out; write full "
                "addresses, https://…)", table.path, row.line))
            continue
        try:
            rel = agreed_rel(cell(row, "rel"))
        except ValueError as exc:
            problems.append(InputError(
                f"rel {cell(row, 'rel')!r}: {exc} is not a rel (row left out; write follow, "
                "nofollow, sponsored or ugc)", table.path, row.line))
            continue
        if (source, target) in seen:
            continue
        seen.add((source, target))
        placements.append(PlacementRow(source, target, cell(row, "anchor") or None, rel,
                                       table.path.name, row.line))
    if not placements:
        raise InputError("no placement could be read (see the lines above)"
                         if problems else "no placement in the file", table.path)
    return PlacementList(tuple(placements), tuple(problems))
