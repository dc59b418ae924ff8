"""Structured data and NAP rules (SD): who the practice is and where, said clearly and consistently.

The rules read each page's structured data and contact details as entities and NAP statements
(readiness.entities: one shape for JSON-LD, microdata and RDFa; locations, phone, address and
name comparison), so they never care which syntax a site used.
"""

from __future__ import annotations

from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field

from readiness.entities import (
    MIN_PHONE_DIGITS,
    Address,
    Entity,
    Location,
    NapModel,
    address_of,
    digits_in,
    is_practice,
    name_key,
    same_address,
    same_name,
    same_phone,
    states_practice,
    text_words,
    visible_phones,
)
from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity
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
PLACE_EXPECTATIONS = {
    "required": ["name", "address", "telephone"],
    "recommended": ["url", "openingHours|openingHoursSpecification", "geo"],
}
ORGANIZATION_EXPECTATIONS = {"required": ["name"], "recommended": ["url", "address", "telephone"]}
SOCIAL_REQUIRED = ["og:title", "og:type", "og:image", "og:url", "og:description"]
TWITTER_REQUIRED = ["twitter:card"]


class ConfiguredLocation(BaseModel):
    """One practice location as the practice says it should be written."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, description="The practice's name at this location.")
    telephone: str | None = Field(None, description="Its phone number, in any format.")
    address: str | None = Field(None, description="Its address as one line.")
    pages: list[str] = Field(default_factory=list, description=(
        "URL globs of pages about this location (optional)."))


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
    impact = LinkImpact.ON_PAGE

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        # Only the pages whose stored data names errors are decoded.
        for url_id, data in ctx.page_field("structured_data", raw_contains='"errors"'):
            fetch = ctx.fetches.get(url_id)
            if fetch is None or fetch.status != 200:
                continue
            errors = data.get("errors") or []
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
    impact = LinkImpact.ON_PAGE
    reads = ("indexable_entities",)

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
        for url_id, entities in ctx.indexable_entities:
            for entity in entities:
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
                # pages: a dict as an ordered set (one practice item is on every page)
                group = groups.setdefault(key, {"entity": entity, "pages": {}})
                group["pages"][url_id] = None
        for (types, ident, missing_required, missing_recommended), group in groups.items():
            entity: Entity = group["entity"]
            pages = sorted(group["pages"], key=lambda i: (-ctx.inbound_total(i), ctx.urls[i]))
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
                weight=sum(ctx.inbound_total(i) for i in pages), severity=severity)


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
    impact = LinkImpact.ON_PAGE
    whole_site = True  # the practice may be described on a page not listed
    reads = ("indexable_entities",)

    class Options(RuleOptions):
        practice_types: list[str] = Field(
            default_factory=lambda: list(PRACTICE_TYPES),
            description="schema.org types that describe the practice.")

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        pages = [url_id for url_id, _fetch, _page in ctx.indexable_pages()]
        if not pages:
            return
        for _url_id, entities in ctx.indexable_entities:
            if any(is_practice(e, self.options.practice_types) for e in entities):
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
    impact = LinkImpact.ON_PAGE
    reads = ("indexable_entities",)

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
        model = NapModel(ctx, self.options)
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

    def _structured_problems(self, model: NapModel, url_id: int) -> list[dict[str, Any]]:
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
    def _spelling(model: NapModel, location: Location, key: tuple[str, ...]) -> str:
        for statements in model.statements.values():
            for statement in statements:
                if statement.name and name_key(statement.name) == key:
                    return statement.name
        return " ".join(key)

    def _visible_phone_problems(self, model: NapModel, url_id: int,
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

    def _visible_address_problems(self, model: NapModel, url_id: int,
                                  blocks: list[Address]) -> list[dict[str, Any]]:
        if not blocks:
            return []
        about = model.page_locations(url_id, blocks)
        problems = []
        for block in blocks:
            if any(loc.address is not None and same_address(loc.address, block)
                   for loc in model.locations):
                continue
            words = text_words(block.text)
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
    impact = LinkImpact.ON_PAGE

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
        reasons = dict(self.shared_pages(ctx))
        # One pass over the stored structured data, not a query per shared page.
        values = {url_id: _social_values(data) for url_id, data
                  in ctx.page_field("structured_data", url_ids=reasons)}
        shared = [(url_id, why, values.get(url_id, {}))
                  for url_id, why in sorted(reasons.items(), key=lambda page: ctx.urls[page[0]])]
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
