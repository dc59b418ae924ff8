"""Structured data and NAP rules (SD): who the practice is and where, said clearly and consistently.

The crawl stores each page's structured data as extruct read it (readiness.crawl.structured):
JSON-LD, microdata and RDFa items, OpenGraph/Twitter metas and parse errors. This module reads
the three item syntaxes into one shape, :class:`Entity` (short type names, property lists,
nested entities resolved through ``@id`` within the page), so the rules never care which
syntax a site used.

NAP (name, address, phone) consistency compares what pages state about the practice — in
structured data and in visible ``tel:`` links and ``<address>`` blocks (``pages.contact``) —
per location. A location is a distinct address: a site with two practices has two, and a
page about the second is compared with the second. Phone numbers are compared after
normalisation (:func:`phone_key`), addresses by their numbers (house number, postal code) and
words (:func:`same_address`), names ignoring case, punctuation and a location suffix. The
people working at a location (a doctor's own Physician item, :func:`names_a_person`) share
its phone and address, never its name.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, urljoin

from pydantic import BaseModel, ConfigDict, Field

from readiness.rules.base import Finding, Rule, RuleOptions, Severity
from readiness.rules.context import AnalysisContext
from readiness.urls import glob_matches, glob_to_regex

FAMILY = "structured"
# schema.org types that describe a practice (and its subtypes people use for one).
PRACTICE_TYPES = ("MedicalClinic", "Physician", "Dentist", "MedicalOrganization",
                  "MedicalBusiness", "LocalBusiness", "Hospital", "Organization")
# Types for people rather than the practice: a doctor's bio page with the doctor's own name
# and direct line is not a NAP statement about the practice.
PERSON_TYPES = ("Person", "IndividualPhysician")
# Practice types sites also give one person working at the practice (each doctor's own page
# with a Physician item): such an item named like a person is about that person.
STAFF_TYPES = ("Physician", "Dentist")
# A name is a person's when it starts with a title or ends with a professional credential.
PERSON_TITLES = frozenset({"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "mx"})
PERSON_CREDENTIALS = frozenset({
    "md", "do", "dds", "dmd", "bds", "mbbs", "mbchb", "frcs", "mrcp", "facs", "phd", "dpm",
    "od", "np", "fnp", "aprn", "dnp", "rn", "c", "dc", "dpt", "pt", "pharmd", "lac", "rdh",
})
PLACE_EXPECTATIONS = {
    "required": ["name", "address", "telephone"],
    "recommended": ["url", "openingHours|openingHoursSpecification", "geo"],
}
ORGANIZATION_EXPECTATIONS = {"required": ["name"], "recommended": ["url", "address", "telephone"]}
SOCIAL_REQUIRED = ["og:title", "og:type", "og:image", "og:url", "og:description"]
TWITTER_REQUIRED = ["twitter:card"]
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


def page_entities(ctx: AnalysisContext, url_id: int) -> list[Entity]:
    return read_entities(ctx.structured_data(url_id), ctx.urls[url_id])


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


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _WORD.findall(text.replace("&", " and "))


def name_key(name: str) -> tuple[str, ...]:
    return tuple(_words(name))


def names_a_person(name: str) -> bool:
    """"Dr. Ada Ng", "Ben Okafor, MD", "Dee Quinn, PA-C": a title first or a credential last."""
    words = _words(name)
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
        return {ADDRESS_ABBREVIATIONS.get(w, w) for w in _words(self.text)}

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
        postal = tuple(_words(value.text("postalCode") or ""))
        house = next((w for w in _words(street) if any(ch.isdigit() for ch in w)), None)
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


class ConfiguredLocation(BaseModel):
    """One practice location as the practice says it should be written."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, description="The practice's name at this location.")
    telephone: str | None = Field(None, description="Its phone number, in any format.")
    address: str | None = Field(None, description="Its address as one line.")
    pages: list[str] = Field(default_factory=list, description=(
        "URL globs of pages about this location (optional)."))


def _majority(counter: Counter, prefer: set[Any]) -> Any:
    """Most pages; ties go to a value the start page states, then the smallest."""
    return sorted(counter, key=lambda v: (-counter[v], v not in prefer, str(v)))[0]


class _NapModel:
    """The site's locations and every page's NAP statements, built once per check."""

    def __init__(self, ctx: AnalysisContext, options: Any) -> None:
        self.ctx = ctx
        self.options = options
        self.country = options.default_country_code
        self.ignored = {k for k in (phone_key(p, self.country) for p in options.ignore_phones) if k}
        self.types = [t for t in options.practice_types if t not in options.person_types]
        self.staff = set(options.staff_types)
        self.pages = [url_id for url_id, _fetch, _page in ctx.indexable_pages()]
        self.statements: dict[int, list[Statement]] = defaultdict(list)
        for url_id in self.pages:
            seen: set[tuple] = set()
            for entity in page_entities(ctx, url_id):
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


def visible_phones(ctx: AnalysisContext, url_id: int, contact: dict[str, list[str]],
                   country: str | None, ignored: set[str]) -> dict[str, str]:
    """key -> as written, of the page's tel: links (links table and pages.contact)."""
    raws = list(contact["tel"])
    raws += [r[0] for r in ctx.db.execute(
        "SELECT raw FROM links WHERE source_id = ? AND lower(substr(raw, 1, 4)) = 'tel:'",
        (url_id,))]
    phones: dict[str, str] = {}
    for raw in raws:
        key = phone_key(raw, country)
        if key and key not in ignored and not any(same_phone(key, k) for k in phones):
            phones[key] = raw
    return phones


# -- rules -------------------------------------------------------------------------------------

class InvalidStructuredData(Rule):
    """Invalid structured data: a JSON-LD block (or microdata/RDFa) could not be parsed.

    What it checks:
        Pages whose structured data is not valid: each JSON-LD block that is not JSON
        (read strictly, as search engines read it), with the parser's message, the line and
        column inside the block, the start of the block, and whether the crawl still read
        its data leniently (a trailing comma or a comment: ``data_kept``); microdata or RDFa
        extruct could not read. One finding per page, listing every error on it.
    Why it matters:
        Search engines ignore a block they cannot parse, so everything it says — the
        practice's name, address, phone, opening hours — is lost, usually without anyone
        noticing. A block readiness reads leniently still counts for the other rules (its
        NAP is compared), but no search engine sees it.
    Example:
        <script type="application/ld+json">{"@type": "Dentist", "name": "Smile",}</script>
        (a trailing comma, or a missing closing brace after an edit).
    How to fix:
        Fix the syntax at the line and column given (validate with the Schema Markup
        Validator or Google's Rich Results Test); prefer generating JSON-LD with a JSON
        encoder over hand-editing templates.
    Known false positives:
        A raw line break or tab inside a JSON string is invalid JSON and reported; some
        consumers accept it.
    """

    code = "SD001"
    name = "invalid-structured-data"
    family = FAMILY
    severity = Severity.WARNING

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        for url_id, raw in ctx.iter_page_column("structured_data"):
            fetch = ctx.fetches.get(url_id)
            if fetch is None or fetch["status"] != 200:
                continue
            errors = json.loads(raw).get("errors") or []
            if not errors:
                continue
            syntaxes = sorted({e.get("syntax", "?") for e in errors})
            inbound = ctx.inbound(url_id)
            kept = sum(1 for e in errors if e.get("data_kept"))
            note = (f"; readiness read {kept} of them leniently, search engines will not"
                    if kept else "")
            yield self.finding(
                ctx.urls[url_id],
                f"{len(errors)} structured data block(s) could not be parsed "
                f"({', '.join(syntaxes)}): {errors[0].get('error', '')}{note}",
                {"errors": errors, "fix": "fix the syntax; check with the Rich Results Test",
                 **inbound.evidence()}, weight=inbound.total)


class PracticeTypeExpectations(BaseModel):
    model_config = ConfigDict(extra="forbid")
    required: list[str] = Field(default_factory=list, description=(
        "Properties the type must have; 'a|b' accepts either."))
    recommended: list[str] = Field(default_factory=list, description=(
        "Properties it should have; 'a|b' accepts either."))


def _default_expectations() -> dict[str, dict[str, list[str]]]:
    types = {t: PLACE_EXPECTATIONS for t in ("MedicalClinic", "Physician", "Dentist",
                                             "MedicalBusiness", "LocalBusiness", "Hospital")}
    types.update({t: ORGANIZATION_EXPECTATIONS for t in ("MedicalOrganization", "Organization")})
    return {t: {k: list(v) for k, v in e.items()} for t, e in types.items()}


class IncompletePracticeSchema(Rule):
    """Incomplete practice schema: a practice's structured data leaves out name, address or phone.

    What it checks:
        Items of the types listed in ``types`` (MedicalClinic, Dentist, Physician, Hospital,
        LocalBusiness, MedicalOrganization, Organization …) on indexable pages, in JSON-LD,
        microdata or RDFa — top-level items, and nested ones that give an address or phone
        (a bare ``publisher`` mention is not checked). Each is checked for its type's
        ``required`` and ``recommended`` properties (an item with several listed types needs
        the union). The same item on many pages is one finding listing the pages. Missing
        required properties carry the rule's severity; only recommended ones, a notice.
    Why it matters:
        Structured data is how search engines learn, without guessing, who the practice is,
        where it is and how to call it — the facts behind the local results and knowledge
        panel that links from local sites reinforce.
    Example:
        {"@type": "Dentist", "name": "Smile Dental", "url": "https://smile.example/"}: no
        address, telephone, opening hours or geo coordinates.
    How to fix:
        Add the missing properties to the item (address as a PostalAddress, telephone in
        international format, openingHoursSpecification, geo with latitude/longitude).
    Known false positives:
        Organization items that name a publisher or brand rather than the practice; a
        Physician item for one doctor's bio (list person types in ``person_types``).
    """

    code = "SD002"
    name = "incomplete-practice-schema"
    family = FAMILY
    severity = Severity.WARNING

    class Options(RuleOptions):
        types: dict[str, PracticeTypeExpectations] = Field(
            default_factory=_default_expectations, description=(
                "schema.org type -> {required, recommended} properties; types not listed "
                "are not checked."))
        person_types: list[str] = Field(default_factory=lambda: list(PERSON_TYPES), description=(
            "Types describing a person (a doctor's bio); items with one are not checked."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        expectations = self.options.types
        groups: dict[tuple, dict[str, Any]] = {}
        for url_id, _fetch, _page in ctx.indexable_pages():
            for entity in page_entities(ctx, url_id):
                if set(entity.types) & set(self.options.person_types):
                    continue
                if not states_practice(entity, expectations):
                    continue
                required, recommended = [], []
                for kind in entity.types:
                    if kind in expectations:
                        required += [p for p in expectations[kind].required if p not in required]
                        recommended += [p for p in expectations[kind].recommended
                                        if p not in recommended and p not in required]
                missing_required = [p for p in required if not entity.has(p)]
                missing_recommended = [p for p in recommended if not entity.has(p)]
                if not missing_required and not missing_recommended:
                    continue
                key = (tuple(entity.types), entity.text("name") or entity.id or "",
                       tuple(missing_required), tuple(missing_recommended))
                group = groups.setdefault(key, {"entity": entity, "pages": []})
                if url_id not in group["pages"]:
                    group["pages"].append(url_id)
        for (types, ident, missing_required, missing_recommended), group in groups.items():
            entity: Entity = group["entity"]
            pages = sorted(group["pages"], key=lambda i: (-ctx.inbound(i).total, ctx.urls[i]))
            missing = list(missing_required) + list(missing_recommended)
            severity = None
            if not missing_required:
                severity = Severity.NOTICE
            message = f"{entity.label()} lacks " + ", ".join(
                [f"{p} (required)" for p in missing_required] + list(missing_recommended))
            if len(pages) > 1:
                message += f" (on {len(pages)} pages)"
            yield self.finding(
                ctx.urls[pages[0]], message,
                {"types": list(types), "name": entity.text("name"), "id": entity.id,
                 "syntax": entity.syntax, "missing_required": list(missing_required),
                 "missing_recommended": list(missing_recommended),
                 "present": sorted(p for p in entity.props if entity.has(p)),
                 "pages": [ctx.urls[i] for i in pages], "page_count": len(pages),
                 "fix": "add " + ", ".join(missing) + " to the item"},
                subject="|".join([*types, ident, *missing]),
                weight=sum(ctx.inbound(i).total for i in pages), severity=severity)


class MissingPracticeSchema(Rule):
    """Missing practice schema: no page says in structured data who the practice is.

    What it checks:
        Whether any indexable page carries an item of the types in ``practice_types``
        (MedicalClinic, Dentist, Physician, LocalBusiness, Hospital, MedicalOrganization,
        Organization …) in JSON-LD, microdata or RDFa. Reported once, on the start page.
    Why it matters:
        Without it search engines infer the practice's name, address, phone and hours from
        text and from other sites, which are often out of date. Local citations and links
        built later all point at facts the site itself never states.
    Example:
        The site has pages, a contact page and an address in the footer, but no JSON-LD.
    How to fix:
        Add one JSON-LD item of the most specific type (Dentist, MedicalClinic, Physician)
        with name, address, telephone, url, openingHoursSpecification and geo, on the home
        page (and one per location on each location's page).
    Known false positives:
        Markup injected by JavaScript (a tag manager) is invisible to the crawl.
    """

    code = "SD003"
    name = "missing-practice-schema"
    family = FAMILY
    severity = Severity.WARNING

    class Options(RuleOptions):
        practice_types: list[str] = Field(
            default_factory=lambda: list(PRACTICE_TYPES),
            description="schema.org types that describe the practice.")

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        pages = [url_id for url_id, _fetch, _page in ctx.indexable_pages()]
        if not pages:
            return
        for url_id in pages:
            if any(is_practice(e, self.options.practice_types) for e in page_entities(ctx, url_id)):
                return
        url_id = ctx.home_id if ctx.home_id in pages else pages[0]
        yield self.finding(
            ctx.urls[url_id],
            f"none of {len(pages)} indexable pages describes the practice in structured data",
            {"pages_checked": len(pages), "practice_types": self.options.practice_types,
             "fix": "add a JSON-LD item (Dentist, MedicalClinic, Physician …) with name, "
                    "address, telephone, url, opening hours and geo"},
            subject="site")


class InconsistentNap(Rule):
    """Inconsistent NAP: a page states the practice's name, address or phone differently.

    What it checks:
        Name, address and phone (NAP) as each indexable page states them — in practice items
        of its structured data and in visible ``tel:`` links and ``<address>`` blocks — per
        location. Without ``locations`` configured, a location is a distinct address in the
        structured data and its reference values are what most pages say (ties: what the
        start page says); with ``locations``, the configured values are the reference.
        Reported: a practice item whose phone or name differs from its location's (and its
        address, against configured locations); a page with a tel: link to a number that
        is none of the site's practice phones (``ignore_phones`` lists partners' numbers);
        an <address> block naming the practice whose address is none of its locations'. Phones are compared as numbers (spaces, dashes, brackets,
        "+", a national 0 and ``default_country_code`` do not matter); names ignoring case,
        punctuation and an added location suffix; addresses by house number and postal code.
        A page about another location, with that location's own details, agrees. People
        are not the practice: a doctor's page whose Physician (or Dentist) item carries the
        doctor's name ("Dr. Ada Ng", "Ben Okafor, MD"; ``staff_types``) states the location's
        phone and address, which are compared, but not its name.
    Why it matters:
        Search engines trust a practice's details when every source agrees; the site is the
        source citations and directories copy. A stale phone on one page ends up in
        listings and costs calls from the people a backlink sends.
    Example:
        The footer and JSON-LD say +1 555-010-0100 on 40 pages; /contact's JSON-LD still
        says 555-010-0199 from before the move.
    How to fix:
        Correct the page (usually an old template, a page builder block, or hand-written
        markup) to the reference values in the evidence, and keep the details in one place
        in the CMS.
    Known false positives:
        A page listing a partner's number as its only tel: link (add it to
        ``ignore_phones``). Without structured data or configured locations, visible details
        cannot be told apart from another location's and are not judged. A moved practice
        whose old address survives in one page's markup shows as a second location unless
        ``locations`` is configured. A practice whose own name starts with a title ("Dr
        Smith's Dental Care") is taken for a person, so a page misnaming it is not reported.
    """

    code = "SD004"
    name = "inconsistent-nap"
    family = FAMILY
    severity = Severity.WARNING

    class Options(RuleOptions):
        default_country_code: str | None = Field(None, description=(
            "Country calling code of numbers written without one, e.g. \"1\" or \"44\"."))
        locations: list[ConfiguredLocation] = Field(default_factory=list, description=(
            "The practice's locations as they should be written: [{name, telephone, address, "
            "pages}]; empty: use what most pages say."))
        ignore_phones: list[str] = Field(default_factory=list, description=(
            "Numbers that are not the practice's (partners, hotlines) and are never compared."))
        practice_types: list[str] = Field(
            default_factory=lambda: list(PRACTICE_TYPES),
            description="schema.org types that state the practice's NAP.")
        person_types: list[str] = Field(default_factory=lambda: list(PERSON_TYPES), description=(
            "Types describing a person (a doctor's bio): their name and phone are not compared."))
        staff_types: list[str] = Field(default_factory=lambda: list(STAFF_TYPES), description=(
            "Practice types also used for one person working there: an item of these named "
            "like a person (a title such as Dr, or a credential such as MD or DDS last) is "
            "that person's; its phone and address are compared as the location's, its name "
            "is not the practice's."))

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        model = _NapModel(ctx, self.options)
        if not model.locations:
            return
        known_phones = {k for loc in model.locations for k in loc.phones}
        for url_id in model.pages:
            problems = self._structured_problems(model, url_id)
            contact = ctx.contact(url_id)
            blocks = [a for a in map(address_of, contact["addresses"]) if a]
            problems += self._visible_phone_problems(model, url_id, contact, known_phones)
            problems += self._visible_address_problems(model, url_id, blocks)
            if not problems:
                continue
            fields = sorted({p["field"] for p in problems})
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id],
                "states the practice's " + " and ".join(fields) + " differently: "
                + "; ".join(p["message"] for p in problems),
                {"disagreements": problems,
                 "locations": [loc.evidence() for loc in model.locations],
                 "fix": "write the details as the reference values, everywhere",
                 **inbound.evidence()}, weight=inbound.total)

    def _structured_problems(self, model: _NapModel, url_id: int) -> list[dict[str, Any]]:
        problems = []
        for statement in model.statements.get(url_id, []):
            location = model.locate(statement)
            if location is None:
                continue
            where = {"source": f"structured data ({statement.entity.syntax})",
                     "location": location.label}
            if statement.phones and location.phones and not any(
                    location.has_phone(k) for k in statement.phones):
                stated = ", ".join(statement.phones.values())
                expected = ", ".join(location.phones.values())
                problems.append({"field": "phone", "stated": stated, "expected": expected,
                                 "message": f"{statement.entity.label()} gives phone {stated}, "
                                            f"not {expected}", **where})
            reference = (location.name if location.configured
                         else location.names.get(model.primary_type(statement.entity)))
            if statement.name and reference:
                ref_key = reference if isinstance(reference, tuple) else name_key(reference)
                if not same_name(name_key(statement.name), ref_key):
                    expected = location.name if location.configured else self._spelling(
                        model, location, ref_key)
                    problems.append({"field": "name", "stated": statement.name,
                                     "expected": expected,
                                     "message": f"name \"{statement.name}\", not \"{expected}\"",
                                     **where})
            if (location.configured and statement.address is not None
                    and location.address is not None
                    and not same_address(statement.address, location.address)):
                problems.append({"field": "address", "stated": statement.address.text,
                                 "expected": location.address.text,
                                 "message": f"address \"{statement.address.text}\", not "
                                            f"\"{location.address.text}\"", **where})
        return problems

    @staticmethod
    def _spelling(model: _NapModel, location: Location, key: tuple[str, ...]) -> str:
        for statements in model.statements.values():
            for statement in statements:
                if statement.name and name_key(statement.name) == key:
                    return statement.name
        return " ".join(key)

    def _visible_phone_problems(self, model: _NapModel, url_id: int,
                                contact: dict[str, list[str]], known: set[str]
                                ) -> list[dict[str, Any]]:
        if not known:
            return []
        shown = visible_phones(model.ctx, url_id, contact, model.country, model.ignored)
        # Every number a visitor can tap must be one of the practice's: a stale number next
        # to the right one in the footer still sends callers to the wrong place.
        unknown = {k: raw for k, raw in shown.items()
                   if not any(same_phone(k, known_key) for known_key in known)}
        if not unknown:
            return []
        stated = ", ".join(unknown.values())
        return [{"field": "phone", "source": "tel: links", "stated": stated,
                 "expected": ", ".join(loc.phones[k] for loc in model.locations
                                       for k in loc.phones),
                 "location": None,
                 "message": f"tel: links show {stated}, which is none of the practice's numbers"}]

    def _visible_address_problems(self, model: _NapModel, url_id: int,
                                  blocks: list[Address]) -> list[dict[str, Any]]:
        if not blocks:
            return []
        about = model.page_locations(url_id, blocks)
        problems = []
        for block in blocks:
            if any(loc.address is not None and same_address(loc.address, block)
                   for loc in model.locations):
                continue
            words = _words(block.text)
            digits = digits_in(block.text)
            for location in about:
                if location.address is None:
                    continue
                name = name_key(location.name) if location.name else ()
                names_it = bool(name) and len(name) <= len(words) and same_name(name, tuple(words))
                calls_it = any(digits_in(raw) and digits_in(raw)[-MIN_PHONE_DIGITS:] in digits
                               for raw in location.phones.values())
                if names_it or calls_it:
                    problems.append({
                        "field": "address", "source": "<address> block",
                        "stated": block.text, "expected": location.address.text,
                        "location": location.label,
                        "message": f"<address> \"{block.text}\", not "
                                   f"\"{location.address.text}\""})
                    break
        return problems


def _social_values(data: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for card in data.get("opengraph") or []:
        for prop, content in (card.get("properties") or []) + (card.get("twitter") or []):
            if isinstance(content, str) and content.strip():
                values.setdefault(prop.strip().lower(), content.strip())
    return values


class IncompleteSocialCard(Rule):
    """Incomplete social card: a page likely to be shared lacks OpenGraph or Twitter card tags.

    What it checks:
        Pages likely to be shared — the start page, pages matching ``pages`` globs, and
        pages that at least ``min_linking_pages`` other pages link to (the pages the site
        itself treats as important) — for the ``opengraph`` and ``twitter`` properties
        listed (empty content counts as missing). Only indexable 200 HTML pages. When none
        of those pages has any social tag, that is one finding on the start page (the
        template lacks them), not one per page.
    Why it matters:
        When a page is shared in a post, chat or email — how many links start — the preview
        is built from these tags; without them it is a bare URL or a random image, and fewer
        people click or link.
    Example:
        The home page has og:title and og:description but no og:image: shares show no
        picture.
    How to fix:
        Set og:title, og:type, og:image (1200 x 630), og:url, og:description and
        twitter:card (summary_large_image) in the template or SEO plugin.
    Known false positives:
        X/Twitter falls back to OpenGraph for title, description and image, which is why only
        twitter:card is asked for by default.
    """

    code = "SD005"
    name = "incomplete-social-card"
    family = FAMILY
    severity = Severity.NOTICE

    class Options(RuleOptions):
        pages: list[str] = Field(default_factory=list, description=(
            "URL globs of pages that are shared, besides the start page."))
        min_linking_pages: int | None = Field(2, ge=1, description=(
            "Pages linked from at least this many other pages are checked too; null: only "
            "the start page and ``pages``."))
        opengraph: list[str] = Field(default_factory=lambda: list(SOCIAL_REQUIRED),
                                     description="OpenGraph properties a shared page needs.")
        twitter: list[str] = Field(default_factory=lambda: list(TWITTER_REQUIRED),
                                   description="Twitter card properties a shared page needs.")

    def shared_pages(self, ctx: AnalysisContext) -> Iterator[tuple[int, str]]:
        globs = glob_to_regex(self.options.pages)
        minimum = self.options.min_linking_pages
        for url_id, _fetch, _page in ctx.indexable_pages():
            url = ctx.urls[url_id]
            if url_id == ctx.home_id:
                yield url_id, "start page"
            elif glob_matches(globs, url):
                yield url_id, "matches pages"
            elif minimum is not None and ctx.link_counts.get(url_id, (0, 0))[1] >= minimum:
                yield url_id, f"linked from {ctx.link_counts[url_id][1]} pages"

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        wanted = [p.lower() for p in self.options.opengraph + self.options.twitter]
        shared = [(url_id, why, _social_values(ctx.structured_data(url_id)))
                  for url_id, why in sorted(self.shared_pages(ctx),
                                            key=lambda page: ctx.urls[page[0]])]
        if not shared or not wanted:
            return
        if not any(values for _, _, values in shared):
            start = next((u for u, why, _ in shared if why == "start page"), shared[0][0])
            yield self.finding(
                ctx.urls[start],
                f"none of {len(shared)} pages likely to be shared has OpenGraph or Twitter "
                "card tags",
                {"missing": wanted, "pages": [ctx.urls[u] for u, _, _ in shared],
                 "page_count": len(shared),
                 "fix": "add og:* and twitter:card tags to the page template or SEO plugin"},
                subject="site", weight=len(shared))
            return
        for url_id, why, values in shared:
            missing = [p for p in wanted if p not in values]
            if not missing:
                continue
            inbound = ctx.inbound(url_id)
            yield self.finding(
                ctx.urls[url_id], "shared page lacks " + ", ".join(missing),
                {"missing": missing, "present": {p: values[p] for p in wanted if p in values},
                 "why_checked": why, "fix": "add the missing <meta property/name> tags",
                 **inbound.evidence()}, weight=inbound.total)
