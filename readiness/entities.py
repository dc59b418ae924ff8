"""The practice as a site's structured data and contact details describe it: entities and NAP.

The crawl stores each page's structured data as extruct read it (readiness.crawl.structured):
JSON-LD, microdata and RDFa items, OpenGraph/Twitter metas and parse errors. This module reads
the three item syntaxes into one shape, :class:`Entity` (short type names, property lists,
nested entities resolved through ``@id`` within the page), so the rules never care which
syntax a site used.

NAP (name, address, phone) consistency compares what pages state about the practice — in
structured data and in visible ``tel:`` links and ``<address>`` blocks (``pages.contact``) —
per location (:class:`NapModel`). A location is a distinct address: a site with two practices
has two, and a page about the second is compared with the second. Phone numbers are compared
after normalisation (:func:`phone_key`), addresses by their numbers (house number, postal code)
and words (:func:`same_address`), names ignoring case, punctuation and a location suffix. The
people working at a location (a doctor's own Physician item, :func:`names_a_person`) share
its phone and address, never its name.

A model, not a rule module: the structured-data rules (readiness.rules.structured) and custom
YAML rules (readiness.rules.custom, ``structured_data:`` conditions) both read it. It reads a
site's facts through :class:`SiteFacts`, the part of the analysis context it needs
(readiness.rules.context.AnalysisContext is one), never through SQL, and imports no rule
module: the rules import it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Iterator, Protocol
from urllib.parse import unquote, urljoin

from readiness.urls import glob_matches, glob_to_regex


class SiteFacts(Protocol):
    """What the model reads of an analysis (AnalysisContext provides it)."""

    urls: dict[int, str]              # url id -> URL
    home_id: int | None               # the page the start URL ends on
    indexable_entities: list[tuple[int, list[Entity]]]  # site_entities() of indexable pages

    def indexable_pages(self) -> Iterator[tuple[int, Any, Any]]: ...

    def structured_data(self, url_id: int) -> dict[str, Any]: ...

    def page_field(self, name: str, url_ids: Collection[int] | None = None,
                   raw_contains: str | None = None) -> Iterator[tuple[int, Any]]: ...

    def links(self, *, source_id: int | None = None, raw_prefix: str | None = None,
              fields: Iterable[str] | None = None) -> Iterator[Any]: ...

# A name is a person's when it starts with a title or ends with a professional credential.
PERSON_TITLES = frozenset({"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "mx"})
PERSON_CREDENTIALS = frozenset({
    "md", "do", "dds", "dmd", "bds", "mbbs", "mbchb", "frcs", "mrcp", "facs", "phd", "dpm",
    "od", "np", "fnp", "aprn", "dnp", "rn", "c", "dc", "dpt", "pt", "pharmd", "lac", "rdh",
})
MIN_PHONE_DIGITS = 7  # shorter numbers are service codes (911, 111, 112), never a practice's
# Words written short in addresses; compared in their long form.
ADDRESS_ABBREVIATIONS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
    "blvd": "boulevard", "dr": "drive", "ln": "lane", "ste": "suite", "fl": "floor",
    "hwy": "highway", "pkwy": "parkway", "ct": "court", "pl": "place", "sq": "square",
    "apt": "apartment", "bldg": "building", "cres": "crescent", "tce": "terrace",
}
_KEYPAD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "22233344455566677778889999")
_PHONE_EXTENSION = re.compile(r"(;ext=|\s*(?:ext\.?|x|#)\s*\d+\s*$)", re.I)
_WORD = re.compile(r"\w+", re.U)
_TERM_PREFIX = re.compile(r"^.*[/#:]")



# -- reading structured data ------------------------------------------------------------------

@dataclass(slots=True)
class Entity:
    """One typed item of a page's structured data, whatever the syntax it was written in."""

    types: list[str]                                 # short schema.org names: ["Dentist"]
    props: dict[str, list[Any]]                      # property -> values (str or Entity)
    syntax: str                                      # json-ld | microdata | rdfa
    id: str | None = None
    nested: bool = False                             # the value of another item's property

    def has(self, prop: str) -> bool:
        """Does the entity give ``prop`` a non-empty value? "a|b" means either."""
        return any(any(_filled(v) for v in self.props.get(p, ())) for p in prop.split("|"))

    def text(self, prop: str) -> str | None:
        for value in self.props.get(prop, ()):
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())
        return None

    def texts(self, prop: str) -> list[str]:
        return [" ".join(v.split()) for v in self.props.get(prop, ())
                if isinstance(v, str) and v.strip()]

    def label(self) -> str:
        name = self.text("name")
        return f"{'/'.join(self.types)} \"{name}\"" if name else "/".join(self.types)


def _filled(value: Any) -> bool:
    if isinstance(value, Entity):
        return any(_filled(v) for values in value.props.values() for v in values)
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def short_name(term: str) -> str:
    """``https://schema.org/Dentist`` / ``schema:Dentist`` -> ``Dentist``."""
    return _TERM_PREFIX.sub("", term.strip())


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def read_entities(data: dict[str, Any], page_url: str) -> list[Entity]:
    """Every typed item of a page (top-level and nested), JSON-LD @id references resolved."""
    entities: list[Entity] = []
    for block in data.get("json-ld") or []:
        entities.extend(_read_json_ld(block, page_url))
    for item in data.get("microdata") or []:
        entities.extend(_walk(_from_microdata(item, nested=False)))
    entities.extend(_read_rdfa(data.get("rdfa") or [], page_url))
    return entities


def _walk(entity: Entity) -> Iterator[Entity]:
    yield entity
    for values in entity.props.values():
        for value in values:
            if isinstance(value, Entity):
                yield from _walk(value)


def _read_json_ld(block: Any, page_url: str) -> list[Entity]:
    nodes: list[dict[str, Any]] = []
    for item in _as_list(block):
        if isinstance(item, dict):
            graph = item.get("@graph")
            if isinstance(graph, list):
                nodes.extend(n for n in graph if isinstance(n, dict))
            elif isinstance(graph, dict):
                nodes.append(graph)
            if "@type" in item or "@graph" not in item:
                nodes.append(item)
    # Nodes with the same @id are one thing said in several places; merge them.
    by_id: dict[str, dict[str, Any]] = {}
    for node in nodes:
        node_id = node.get("@id")
        if isinstance(node_id, str) and "@type" in node:
            merged = by_id.setdefault(urljoin(page_url, node_id), {})
            for key, value in node.items():
                merged.setdefault(key, value)
    entities = []
    seen: set[str] = set()
    for node in nodes:
        node_id = node.get("@id")
        key = urljoin(page_url, node_id) if isinstance(node_id, str) else None
        if key is not None and key in by_id:
            if key in seen:
                continue
            seen.add(key)
            node = by_id[key]
        entity = _from_json_ld(node, by_id, page_url, nested=False, depth=0)
        if entity is not None:
            entities.extend(_walk(entity))
    return entities


def _from_json_ld(node: dict[str, Any], by_id: dict[str, dict[str, Any]], page_url: str,
                  nested: bool, depth: int) -> Entity | None:
    types = [short_name(t) for t in _as_list(node.get("@type")) if isinstance(t, str)]
    if not types:
        return None
    props: dict[str, list[Any]] = {}
    for key, raw in node.items():
        if key.startswith("@"):
            continue
        values = []
        for value in _as_list(raw):
            if isinstance(value, dict):
                if "@value" in value:
                    values.append(str(value["@value"]))
                    continue
                ref = value.get("@id")
                if "@type" not in value and isinstance(ref, str):
                    value = by_id.get(urljoin(page_url, ref), value)
                child = (_from_json_ld(value, by_id, page_url, True, depth + 1)
                         if depth < 5 else None)
                if child is not None:
                    values.append(child)
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                values.append(str(value))
        props[short_name(key)] = values
    node_id = node.get("@id")
    return Entity(types, props, "json-ld", node_id if isinstance(node_id, str) else None, nested)


def _from_microdata(item: dict[str, Any], nested: bool) -> Entity:
    types = [short_name(t) for t in _as_list(item.get("type")) if isinstance(t, str)]
    props: dict[str, list[Any]] = {}
    for key, raw in (item.get("properties") or {}).items():
        values = []
        for value in _as_list(raw):
            if isinstance(value, dict) and ("properties" in value or "type" in value):
                values.append(_from_microdata(value, nested=True))
            elif isinstance(value, str):
                values.append(value)
        props[short_name(key)] = values
    return Entity(types or ["Thing"], props, "microdata", item.get("id"), nested)


def _read_rdfa(nodes: list[dict[str, Any]], page_url: str) -> list[Entity]:
    by_id = {n["@id"]: n for n in nodes if isinstance(n, dict) and "@id" in n}
    referenced = {ref["@id"] for n in by_id.values() for key, values in n.items()
                  if not key.startswith("@") for ref in _as_list(values)
                  if isinstance(ref, dict) and "@id" in ref}

    def build(node: dict[str, Any], nested: bool, depth: int) -> Entity:
        props: dict[str, list[Any]] = {}
        for key, raw in node.items():
            if key.startswith("@"):
                continue
            values = []
            for value in _as_list(raw):
                if isinstance(value, dict) and "@value" in value:
                    values.append(str(value["@value"]))
                elif isinstance(value, dict) and value.get("@id") in by_id and depth < 5:
                    child = by_id[value["@id"]]
                    if child.get("@type"):
                        values.append(build(child, True, depth + 1))
                    else:
                        values.append(value["@id"])
                elif isinstance(value, dict) and "@id" in value:
                    values.append(value["@id"])
            props[short_name(key)] = values
        types = [short_name(t) for t in _as_list(node.get("@type")) if isinstance(t, str)]
        return Entity(types, props, "rdfa", node.get("@id"), nested)

    entities = []
    for node_id, node in by_id.items():
        if node.get("@type") and node_id not in referenced:
            entities.extend(_walk(build(node, False, 0)))
    return entities


def page_entities(ctx: SiteFacts, url_id: int) -> list[Entity]:
    return read_entities(ctx.structured_data(url_id), ctx.urls[url_id])


def site_entities(ctx: SiteFacts, url_ids: Iterable[int]) -> Iterator[tuple[int, list[Entity]]]:
    """(url id, its entities) of each of ``url_ids`` with structured data, in URL order: one
    pass over the store instead of a query per page."""
    for url_id, data in ctx.page_field("structured_data", url_ids=set(url_ids)):
        yield url_id, read_entities(data, ctx.urls[url_id])


def is_practice(entity: Entity, types: Iterable[str]) -> bool:
    wanted = set(types)
    return bool(wanted & set(entity.types))


def states_practice(entity: Entity, types: Iterable[str]) -> bool:
    """A practice entity that is a statement, not a reference: top-level, or nested with an
    address or a phone (``"publisher": {"@type": "Organization", "name": …}`` is a mention)."""
    return is_practice(entity, types) and (
        not entity.nested or entity.has("address") or entity.has("telephone"))


# -- NAP values ------------------------------------------------------------------------------

def phone_key(raw: str, default_country_code: str | None = None) -> str | None:
    """Digits of a phone number in a comparable form, or None for short service codes.

    ``tel:+1-555-010-0100`` -> "15550100100"; with ``default_country_code`` "1",
    "555-010-0100" and "(555) 010 0100" give the same; "0113 496 0000" with "44" gives
    "441134960000" (the national trunk 0 dropped). Without a country code, national numbers
    stay national and :func:`same_phone` matches them to international ones by their ending.
    """
    text = unquote(raw.strip())
    if text[:4].lower() == "tel:":
        text = text[4:]
    text = text.split(";", 1)[0] if ";ext=" not in text.lower() else text
    text = _PHONE_EXTENSION.split(text)[0]
    text = text.upper().translate(_KEYPAD)
    international = text.lstrip().startswith("+")
    digits = "".join(ch for ch in text if ch.isdigit())
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    if international:
        return digits
    code = (default_country_code or "").lstrip("+")
    if digits.startswith("0"):
        digits = digits[1:]  # national trunk prefix
        return code + digits if code else digits
    if code and digits.startswith(code) and len(digits) >= len(code) + 8:
        return digits  # the country code written without "+"
    return code + digits if code else digits


def same_phone(a: str, b: str) -> bool:
    """Keys of one number, one perhaps without its country code (a suffix of 7+ digits)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= MIN_PHONE_DIGITS and long_.endswith(short) and len(long_) - len(short) <= 3


def text_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _WORD.findall(text.replace("&", " and "))


def name_key(name: str) -> tuple[str, ...]:
    return tuple(text_words(name))


def names_a_person(name: str) -> bool:
    """"Dr. Ada Ng", "Ben Okafor, MD", "Dee Quinn, PA-C": a title first or a credential last."""
    words = text_words(name)
    return bool(words) and (words[0] in PERSON_TITLES
                            or (len(words) > 1 and words[-1] in PERSON_CREDENTIALS))


def same_name(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Equal ignoring case and punctuation, or one the other plus words ("Smile Dental" and
    "Smile Dental – Leeds")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if not short:
        return False
    return any(long_[i:i + len(short)] == short for i in range(len(long_) - len(short) + 1))


@dataclass(slots=True)
class Address:
    text: str                          # as stated, joined
    postal: tuple[str, ...] = ()       # postal code words
    house: str | None = None           # first number of the street line

    @property
    def words(self) -> set[str]:
        return {ADDRESS_ABBREVIATIONS.get(w, w) for w in text_words(self.text)}

    @property
    def numbers(self) -> set[str]:
        return {w for w in self.words if any(ch.isdigit() for ch in w)}


def address_of(value: Any) -> Address | None:
    """An Address from a structured value (a PostalAddress entity or plain text) or text."""
    if isinstance(value, Entity):
        street = value.text("streetAddress") or ""
        parts = [street] + [value.text(p) or "" for p in
                            ("addressLocality", "addressRegion", "postalCode", "addressCountry")]
        text = ", ".join(p for p in parts if p)
        if not text:
            return None
        postal = tuple(text_words(value.text("postalCode") or ""))
        house = next((w for w in text_words(street) if any(ch.isdigit() for ch in w)), None)
        return Address(text, postal, house)
    if isinstance(value, str) and value.strip():
        return Address(" ".join(value.split()))
    return None


def same_address(a: Address, b: Address) -> bool:
    """One place written two ways? Postal code and house number when both are structured;
    otherwise the numbers of the shorter (house, suite, postal code) all in the longer, or,
    for addresses without numbers, all its words in the other."""
    if a.postal and b.postal:
        if a.postal != b.postal:
            return False
        return a.house is None or b.house is None or a.house == b.house
    short, long_ = sorted((a, b), key=lambda x: len(x.words))
    if short.numbers:
        return short.numbers <= long_.numbers
    return bool(short.words) and short.words <= long_.words


def digits_in(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


# -- NAP observations and locations -----------------------------------------------------------

@dataclass(slots=True)
class Statement:
    """What one practice entity on one page says."""

    page: int
    entity: Entity
    name: str | None                   # the practice's name; None for a person's item
    phones: dict[str, str]             # key -> as written
    address: Address | None


@dataclass(slots=True)
class Location:
    label: str
    name: str | None = None
    phones: dict[str, str] = field(default_factory=dict)   # key -> as written
    address: Address | None = None
    pages: set[int] = field(default_factory=set)            # pages stating it
    globs: Any = None                                       # configured: pages about it
    configured: bool = False
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # type -> reference name

    def has_phone(self, key: str) -> bool:
        return any(same_phone(key, known) for known in self.phones)

    def evidence(self) -> dict[str, Any]:
        return {"label": self.label, "name": self.name,
                "telephone": next(iter(self.phones.values()), None),
                "address": self.address.text if self.address else None,
                "pages_stating_it": len(self.pages), "configured": self.configured}


def _majority(counter: Counter, prefer: set[Any]) -> Any:
    """Most pages; ties go to a value the start page states, then the smallest."""
    return sorted(counter, key=lambda v: (-counter[v], v not in prefer, str(v)))[0]


class NapModel:
    """The site's locations and every page's NAP statements, built once per check."""

    def __init__(self, ctx: SiteFacts, options: Any) -> None:
        self.ctx = ctx
        self.options = options
        self.country = options.default_country_code
        self.ignored = {k for k in (phone_key(p, self.country) for p in options.ignore_phones) if k}
        self.types = [t for t in options.practice_types if t not in options.person_types]
        self.staff = set(options.staff_types)
        self.pages = [url_id for url_id, _fetch, _page in ctx.indexable_pages()]
        self.statements: dict[int, list[Statement]] = defaultdict(list)
        for url_id, entities in ctx.indexable_entities:
            seen: set[tuple] = set()
            for entity in entities:
                if set(entity.types) & set(options.person_types):
                    continue
                if states_practice(entity, self.types):
                    statement = self._statement(url_id, entity)
                    said = (statement.name, tuple(statement.phones),
                            statement.address.text if statement.address else None)
                    if said not in seen:  # the same item in two syntaxes, or nested again
                        seen.add(said)
                        self.statements[url_id].append(statement)
        self.start_page = ctx.home_id
        self.locations = self._configured() if options.locations else self._derived()

    def _statement(self, url_id: int, entity: Entity) -> Statement:
        phones = {}
        for raw in entity.texts("telephone"):
            key = phone_key(raw, self.country)
            if key and key not in self.ignored:
                phones.setdefault(key, raw)
        address = next((a for a in map(address_of, entity.props.get("address", ())) if a), None)
        name = entity.text("name")
        if name and set(entity.types) & self.staff and names_a_person(name):
            # A doctor's own item: the location's phone and address, but the doctor's name.
            name = None
        return Statement(url_id, entity, name, phones, address)

    # -- locations --

    def _configured(self) -> list[Location]:
        locations = []
        for i, cfg in enumerate(self.options.locations):
            phones = {}
            if cfg.telephone:
                key = phone_key(cfg.telephone, self.country)
                if key:
                    phones[key] = cfg.telephone
            label = cfg.name or cfg.address or cfg.telephone or f"location {i + 1}"
            locations.append(Location(
                label, cfg.name, phones, address_of(cfg.address) if cfg.address else None,
                globs=glob_to_regex(cfg.pages), configured=True))
        for statements in self.statements.values():
            for statement in statements:
                location = self.locate(statement, locations)
                if location is not None:
                    location.pages.add(statement.page)
        return locations

    def _derived(self) -> list[Location]:
        """Locations from the statements themselves: one per distinct address; statements
        without an address join the one location sharing their phone (or name)."""
        all_statements = [s for group in self.statements.values() for s in group]
        groups: list[list[Statement]] = []
        for statement in (s for s in all_statements if s.address is not None):
            for group in groups:
                if any(same_address(statement.address, other.address) for other in group):
                    group.append(statement)
                    break
            else:
                groups.append([statement])
        locations = [self._summarise(group) for group in groups]
        floating = [s for s in all_statements if s.address is None]
        for statement in floating:
            location = self.locate(statement, locations)
            if location is not None:
                location.pages.add(statement.page)
        # Statements matching no addressed location (a site without addresses in its
        # markup): group them by phone, so their majority name can be compared.
        by_phone: dict[str, list[Statement]] = defaultdict(list)
        for statement in floating:
            if self.locate(statement, locations) is None and statement.phones:
                by_phone[next(iter(statement.phones))].append(statement)
        for group in by_phone.values():
            locations.append(self._summarise(group))
        self._reference_names(locations, all_statements)
        return locations

    def _summarise(self, group: list[Statement]) -> Location:
        prefer = {self.start_page}
        phone_pages: Counter = Counter()
        address_pages: Counter = Counter()
        address_by_text: dict[str, Address] = {}
        written: dict[str, str] = {}
        start_values: set[Any] = set()
        counted: set[tuple[int, str]] = set()
        for statement in group:
            for key, raw in statement.phones.items():
                if (statement.page, key) not in counted:
                    counted.add((statement.page, key))
                    phone_pages[key] += 1
                written.setdefault(key, raw)
                if statement.page in prefer:
                    start_values.add(key)
            if statement.address is not None:
                if (statement.page, statement.address.text) not in counted:
                    counted.add((statement.page, statement.address.text))
                    address_pages[statement.address.text] += 1
                address_by_text.setdefault(statement.address.text, statement.address)
                if statement.page in prefer:
                    start_values.add(statement.address.text)
        phones = {}
        if phone_pages:
            reference = _merge_phone_counts(phone_pages)
            best = _majority(reference, start_values)
            phones[best] = written.get(best, best)
        address = (address_by_text[_majority(address_pages, start_values)]
                   if address_pages else None)
        names = Counter(s.name for s in group if s.name)
        name = _majority(names, set()) if names else None
        label = name or (address.text if address else next(iter(phones.values()), "location"))
        if address is not None and name:
            label = f"{name}, {address.text}"
        return Location(label, name, phones, address, {s.page for s in group})

    def _reference_names(self, locations: list[Location], statements: list[Statement]) -> None:
        """Each location's majority name per primary type (a Dentist's name is compared with
        other Dentist items', not with the Organization that owns it)."""
        counts: dict[tuple[int, str], Counter] = defaultdict(Counter)
        pages: dict[tuple[int, str], set] = defaultdict(set)
        for statement in statements:
            location = self.locate(statement, locations) if statement.name else None
            if location is None:
                continue
            slot = (id(location), self.primary_type(statement.entity))
            key = name_key(statement.name)
            if (statement.page, key) not in pages[slot]:
                pages[slot].add((statement.page, key))
                counts[slot][key] += 1
        by_id = {id(loc): loc for loc in locations}
        for (location_id, kind), names in counts.items():
            by_id[location_id].names[kind] = _majority(names, set())

    def primary_type(self, entity: Entity) -> str:
        return next((t for t in entity.types if t in self.types), entity.types[0])

    def locate(self, statement: Statement, locations: list[Location] | None = None
               ) -> Location | None:
        """The location a statement is about: by address, else by phone, else by name,
        else the configured pages' globs, else the site's only location."""
        locations = self.locations if locations is None else locations
        if statement.address is not None:
            found = [loc for loc in locations
                     if loc.address is not None and same_address(statement.address, loc.address)]
            if len(found) == 1:
                return found[0]
            if found or not self.options.locations:
                # In derived mode a new address is a new location, never a wrong one.
                return found[0] if found else None
        for key in statement.phones:
            found = [loc for loc in locations if loc.has_phone(key)]
            if len(found) == 1:
                return found[0]
        if statement.name:
            key = name_key(statement.name)
            found = [loc for loc in locations if loc.name and same_name(key, name_key(loc.name))]
            if len(found) == 1:
                return found[0]
        url = self.ctx.urls[statement.page]
        found = [loc for loc in locations if glob_matches(loc.globs, url)]
        if len(found) == 1:
            return found[0]
        return locations[0] if len(locations) == 1 else None

    # -- the page's locations, for its visible text --

    def page_locations(self, url_id: int, addresses: list[Address]) -> list[Location]:
        """What a page is about: its statements' locations, else those whose address its
        <address> blocks show, else configured globs, else the site's only location."""
        found = {id(loc): loc for s in self.statements.get(url_id, [])
                 if (loc := self.locate(s)) is not None}
        if not found:
            for block in addresses:
                for loc in self.locations:
                    if loc.address is not None and same_address(loc.address, block):
                        found[id(loc)] = loc
        if not found:
            url = self.ctx.urls[url_id]
            for loc in self.locations:
                if glob_matches(loc.globs, url):
                    found[id(loc)] = loc
        if not found and len(self.locations) == 1:
            return list(self.locations)
        return list(found.values())


def _merge_phone_counts(counts: Counter) -> Counter:
    """Page counts with one number written with and without its country code merged
    (under the longer form)."""
    merged: Counter = Counter()
    for key in sorted(counts, key=len, reverse=True):
        target = next((k for k in merged if same_phone(k, key)), key)
        merged[target] += counts[key]
    return merged


def visible_phones(ctx: SiteFacts, url_id: int, contact: dict[str, list[str]],
                   country: str | None, ignored: set[str]) -> dict[str, str]:
    """key -> as written, of the page's tel: links (links table and pages.contact)."""
    raws = list(contact["tel"])
    raws += [link.raw for link in ctx.links(source_id=url_id, raw_prefix="tel:", fields=("raw",))]
    phones: dict[str, str] = {}
    for raw in raws:
        key = phone_key(raw, country)
        if key and key not in ignored and not any(same_phone(key, k) for k in phones):
            phones[key] = raw
    return phones
