"""Custom rules written in YAML by people who do not write Python (docs/custom-rules.md).

A custom rule names a URL scope and conditions every URL in scope must meet; each URL that
fails one gets a finding, shown in reports exactly like a built-in rule's::

    custom_rules:
      - code: LOC001
        name: location-page-missing-phone
        severity: error
        message: "location pages need a tap-to-call link and MedicalClinic markup"
        include: ["/locations/*"]
        require:
          - selector: 'a[href^="tel:"]'
          - structured_data: MedicalClinic

Conditions on the page's HTML (selector, xpath, text) use the HTML kept in the store, so a new
custom rule runs by re-analysing, without re-crawling. URLs without HTML (redirects, errors)
are judged only by the conditions that do not need it (status, header, indexable).
"""

from __future__ import annotations

import copy
import operator
import re
from functools import cached_property, lru_cache
from typing import Any, Iterator, Literal

import lxml.html
import re2
from cssselect import GenericTranslator, SelectorError
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from readiness.config.errors import ConfigError
from readiness.config.loader import line_for
from readiness.config.rules import AcceptEntry, ImpactName, check_glob
from readiness.page.headers import KEPT_HEADERS
from readiness.page.tree import html5_document
from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity
from readiness.rules.context import AnalysisContext
from readiness.entities import page_entities
from readiness.urls import glob_matches, glob_to_regex

FAMILY = "custom"
_COUNT = re.compile(r"^\s*(==|!=|>=|<=|>|<)\s*(\d+)\s*$")
_OPERATORS = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le,
              ">": operator.gt, "<": operator.lt}
SUBJECTS = ("selector", "xpath", "text", "header", "status", "indexable", "structured_data")
HTML_SUBJECTS = frozenset({"selector", "xpath", "text"})
TEXT_PLACES = ("main", "body", "title", "h1", "meta_description")
_COUNT_WORDS = {"==": "exactly", "!=": "other than", ">=": "at least", "<=": "at most",
                ">": "more than", "<": "fewer than"}
_TEXT_PLACE_WORDS = {"main": "the main content", "body": "the page text", "title": "the title",
                     "h1": "the h1", "meta_description": "the meta description"}
_EMPTY_PAGE = lxml.html.document_fromstring("<html><head></head><body></body></html>")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a rejected pattern is reported as a configuration error


@lru_cache(maxsize=256)
def compiled(pattern: str):
    """A custom rule's regular expression (Python's syntax) as RE2 runs it: in time linear
    in the text, so no pattern (``(\\w+\\s?)+!$``) can backtrack an analysis to a halt."""
    return re2.compile(pattern, options=_RE2_OPTIONS)


class Condition(BaseModel):
    """One requirement. Exactly one subject key, plus the operator keys it allows."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    selector: str | None = Field(None, description="CSS selector that must match (see exists/count).")
    xpath: str | None = Field(None, description="XPath expression that must match (see exists/count).")
    text: str | None = Field(None, description="Regular expression searched in `in` (default: main content).")
    header: str | None = Field(None, description="Response header name (see present/matches).")
    status: int | list[int] | None = Field(None, description="Allowed HTTP status(es).")
    indexable: bool | None = Field(None, description="Whether the URL must be indexable.")
    structured_data: str | None = Field(
        None, description="schema.org type that must be present (JSON-LD, microdata or RDFa).")
    exists: bool | None = Field(None, description="selector/xpath: must match (true, default) or must not.")
    count: str | None = Field(None, description="selector/xpath: comparison on the number of matches, e.g. '== 1'.")
    present: bool | None = Field(None, description="text/header/structured_data: must be present (true, default) or absent.")
    matches: str | None = Field(None, description="header: regular expression the value must match.")
    in_: Literal["main", "body", "title", "h1", "meta_description"] | None = Field(
        None, alias="in", description="text: where to search (main, body, title, h1, meta_description).")

    @model_validator(mode="after")
    def _one_subject(self) -> "Condition":
        subjects = [s for s in SUBJECTS if getattr(self, s) is not None]
        if len(subjects) != 1:
            raise ValueError(
                "each condition needs exactly one of " + ", ".join(SUBJECTS)
                + (f" (this one has {', '.join(subjects)})" if subjects else ""))
        subject = subjects[0]
        allowed = {"selector": {"exists", "count"}, "xpath": {"exists", "count"},
                   "text": {"present", "in_"}, "header": {"present", "matches"},
                   "structured_data": {"present"}}.get(subject, set())
        extra = [k for k in ("exists", "count", "present", "matches", "in_")
                 if getattr(self, k) is not None and k not in allowed]
        if extra:
            names = ", ".join("in" if k == "in_" else k for k in extra)
            raise ValueError(f"'{names}' does not go with '{subject}' — "
                             f"{subject} takes {', '.join(sorted(a.rstrip('_') for a in allowed)) or 'no other keys'}")
        if self.count is not None and self.exists is not None:
            raise ValueError("use either 'exists' or 'count', not both")
        return self

    @field_validator("selector")
    @classmethod
    def _css(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                GenericTranslator().css_to_xpath(value)
            except SelectorError as exc:
                raise ValueError(f"{value!r} is not a valid CSS selector ({exc})") from None
        return value

    @field_validator("header")
    @classmethod
    def _kept_header(cls, value: str | None) -> str | None:
        # The store keeps only the headers the rules read; any other would look absent on
        # every page and flag the whole site.
        if value is not None and value.strip().lower() not in KEPT_HEADERS:
            raise ValueError(f"the crawl does not keep the header {value!r} — custom rules can "
                             f"check {', '.join(KEPT_HEADERS)}")
        return value.strip() if value is not None else None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        # Checked here so a mistake reads in plain words, not as pydantic's union branches.
        values = value if isinstance(value, list) else [value]
        if value is not None and (not values or not all(
                isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599
                for v in values)):
            raise ValueError(f"status {value!r} must be an HTTP status code or a list of them, "
                             "e.g. 200 or [200, 301]")
        return value

    @field_validator("xpath")
    @classmethod
    def _xpath(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                # Evaluated once on an empty page too: an unknown function or namespace prefix
                # compiles but fails on evaluation, which would stop the whole analysis.
                etree.XPath(value)(_EMPTY_PAGE)
            except etree.XPathError as exc:
                raise ValueError(f"{value!r} is not a valid XPath expression ({exc})") from None
        return value

    @field_validator("text", "matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)  # Python's syntax and its messages
            except re.error as exc:
                raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None
            try:
                compiled(value)
            except re2.error as exc:
                detail = exc.args[0].decode() if exc.args and isinstance(
                    exc.args[0], bytes) else str(exc)
                raise ValueError(
                    f"{value!r} cannot be run in linear time ({detail}): custom rules use "
                    "RE2, without backreferences (\\1) or lookaround ((?=…), (?!…), (?<=…)) "
                    "— rewrite it without them, or split it into two conditions") from None
        return value

    @field_validator("count")
    @classmethod
    def _count(cls, value: str | None) -> str | None:
        if value is not None and not _COUNT.match(value):
            raise ValueError(f"count {value!r} must be a comparison like '== 1', '>= 2' or '< 3'")
        return value

    @property
    def subject(self) -> str:
        return next(s for s in SUBJECTS if getattr(self, s) is not None)

    def describe(self) -> str:
        """The requirement in words: "selector 'h1' must match exactly 1 time"."""
        subject = self.subject
        value = getattr(self, subject)
        if subject in ("selector", "xpath"):
            if self.count:
                op, number = _COUNT.match(self.count).groups()
                times = "time" if number == "1" else "times"
                return f"{subject} {value!r} must match {_COUNT_WORDS[op]} {number} {times}"
            verb = "must not match" if self.exists is False else "must match"
            return f"{subject} {value!r} {verb}"
        if subject == "text":
            where = _TEXT_PLACE_WORDS[self.in_ or "main"]
            verb = "must not be in" if self.present is False else "must be in"
            return f"text /{value}/ {verb} {where}"
        if subject == "header":
            if self.matches:
                return f"header {value} must match /{self.matches}/"
            verb = "must not be sent" if self.present is False else "must be sent"
            return f"header {value} {verb}"
        if subject == "structured_data":
            return (f"structured data must have {'no' if self.present is False else 'a'} "
                    f"{value} item")
        if subject == "status":
            statuses = value if isinstance(value, list) else [value]
            if len(statuses) == 1:
                return f"status must be {statuses[0]}"
            return f"status must be one of {', '.join(map(str, statuses))}"
        return "must be indexable" if value else "must not be indexable"

class CustomRuleSpec(BaseModel):
    """A rule defined in YAML."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Your own code: 1-4 capital letters and 3 digits, e.g. LOC001.")
    name: str = Field(description="kebab-case name of the problem, e.g. location-page-missing-phone.")
    severity: Literal["error", "warning", "notice"] = "warning"
    impact: ImpactName = Field(
        "on-page", description="What a failing URL does to links to it: dead-end, lost-equity, "
        "indexability, experience or on-page (how its blockers rank).")
    message: str = Field(min_length=3, description="What a finding says, in plain words.")
    why: str | None = Field(None, description="Why it matters (shown in reports).")
    fix: str | None = Field(None, description="How to fix it (shown in reports).")
    enabled: bool = True
    include: list[str] = Field(default_factory=list, description="URL globs the rule applies to.")
    exclude: list[str] = Field(default_factory=list, description="URL globs it never applies to.")
    accept: list[AcceptEntry] = Field(default_factory=list)
    require: list[Condition] = Field(description="Conditions every URL in scope must meet.",
                                     json_schema_extra={"minItems": 1})  # message: _some_condition
    # Where the rule was written (file, {key path: line}, its index in custom_rules), for
    # the errors that show only when it runs.
    _source: tuple[str, dict, Any] | None = PrivateAttr(None)

    def written_at(self, file: str, lines: dict, key: Any) -> "CustomRuleSpec":
        self._source = (file, lines, key)
        return self

    def config_error(self, index: int, message: str) -> ConfigError:
        """A problem with condition ``index`` that shows only when it runs, as a
        configuration error naming the file and line it was written on."""
        file, lines, key = self._source or (None, {}, self.code)
        subject = self.require[index].subject
        return ConfigError(f"custom_rules.{key}.require.{index}.{subject}: {message}",
                           file, line_for(lines, ("require", index, subject)))

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{1,4}\d{3}", value):
            raise ValueError(f"code {value!r} must be 1-4 capital letters and 3 digits, e.g. LOC001")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
            raise ValueError(f"name {value!r} must be kebab-case, e.g. location-page-missing-phone")
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _globs(cls, values: list[str]) -> list[str]:
        return [check_glob(v) for v in values]

    @field_validator("require")
    @classmethod
    def _some_condition(cls, values: list[Condition]) -> list[Condition]:
        if not values:
            raise ValueError("list at least one condition, e.g. - selector: 'h1'")
        return values


class _PageView:
    """What the conditions look at for one URL, parsed only when a condition needs it."""

    def __init__(self, ctx: AnalysisContext, url_id: int) -> None:
        self.ctx = ctx
        self.url_id = url_id

    @cached_property
    def html(self) -> str | None:
        return self.ctx.html(self.url_id)

    @cached_property
    def page(self):
        return self.ctx.pages.get(self.url_id)

    @cached_property
    def root(self):
        if not self.html or not self.html.strip():
            return None
        # The tree the crawl's extractor read, so selectors see what a browser builds.
        root = html5_document(self.html)
        if all(len(part) == 0 and not (part.text or "").strip() for part in root):
            return None  # only comments or whitespace: the parser's bare html/head/body
        return root

    def text_of(self, place: str) -> str:
        page = self.page
        if place == "title":
            return (page.title or "") if page else ""
        if place == "meta_description":
            return (page.meta_description or "") if page else ""
        if self.root is None:
            return ""
        if place == "h1":
            return " ".join(" ".join(h.text_content().split()) for h in self.root.iter("h1"))
        if place == "body":
            # What a visitor can read: the body without scripts and styles (JSON-LD included).
            body = self.root.find("body")
            if body is None:
                return ""
            body = copy.deepcopy(body)
            etree.strip_elements(body, "script", "style", "template", with_tail=False)
            return " ".join(body.text_content().split())
        # Collapsed like the other places, so 'Book an appointment' matches across a line
        # break; boilerplate as the crawl configured it, so "main" is what the crawl counted.
        selectors = self.ctx.crawl_config.get("boilerplate_selectors") or ()
        reader = _main_content_reader(tuple(selectors))
        return " ".join(reader.main_text(self.root).split())

    @cached_property
    def types(self) -> set[str]:
        return {t for entity in page_entities(self.ctx, self.url_id) for t in entity.types}


@lru_cache(maxsize=4)
def _main_content_reader(boilerplate_selectors: tuple[str, ...]):
    from readiness.page.content import MainContentReader
    return MainContentReader(boilerplate_selectors)


def evaluate(condition: Condition, view: _PageView) -> bool | None:
    """True/False, or None when the condition needs HTML the URL does not have."""
    subject = condition.subject
    ctx, url_id = view.ctx, view.url_id
    if subject in HTML_SUBJECTS:
        # Title and description are stored facts of the page (they work without stored HTML);
        # a URL that is no HTML page (a redirect, an error) has neither.
        from_page_row = subject == "text" and condition.in_ in ("title", "meta_description")
        if (view.page is None) if from_page_row else (view.root is None):
            return None
    if subject in ("selector", "xpath"):
        expression = (GenericTranslator().css_to_xpath(condition.selector)
                      if subject == "selector" else condition.xpath)
        result = view.root.xpath(expression)
        # A node set counts its nodes; count(...) and other numbers are the number itself;
        # a boolean or string result counts as one match when true or non-empty.
        if isinstance(result, list):
            matches = len(result)
        elif isinstance(result, float):
            matches = int(result) if result == result else 0  # NaN: no number
        else:
            matches = int(bool(result))
        if condition.count:
            op, number = _COUNT.match(condition.count).groups()
            return _OPERATORS[op](matches, int(number))
        return (matches > 0) == (condition.exists is not False)
    if subject == "text":
        found = compiled(condition.text).search(view.text_of(condition.in_ or "main")) is not None
        return found == (condition.present is not False)
    if subject == "header":
        value = ctx.header(url_id, condition.header.lower())
        if condition.matches is not None:
            return value is not None and compiled(condition.matches).search(value) is not None
        return (value is not None) == (condition.present is not False)
    if subject == "structured_data":
        return (condition.structured_data in view.types) == (condition.present is not False)
    if subject == "status":
        allowed = condition.status if isinstance(condition.status, list) else [condition.status]
        return ctx.status(url_id) in allowed
    return ctx.indexability(url_id).indexable == condition.indexable


class CustomRule(Rule):
    """Base of rules generated from YAML (see make_custom_rule)."""

    family = FAMILY
    spec: CustomRuleSpec

    def check(self, ctx: AnalysisContext) -> Iterator[Finding]:
        # ``include`` is the rule's scope: URLs outside it are not judged at all (not judged
        # and then counted as excluded findings); ``exclude`` works as for built-in rules.
        scope = glob_to_regex(self.spec.include)
        clicked, listed = ctx.clicked_ids, ctx.sitemap_listing
        seeds = {ctx.ids[url] for url in [*ctx.meta.get("seed_urls", []),
                                          ctx.meta.get("start_url")] if url in ctx.ids}
        for url_id, fetch in sorted(ctx.fetches.items()):
            if not ctx.is_internal(url_id) or not fetch.fetched or fetch.status is None:
                continue
            # An image, script or stylesheet fetched to weigh pages: met *only* as one.
            # ``discovered_by`` is just the way met first, so a URL also clicked to, listed
            # in a sitemap or seeded is a page of the crawl, whichever came first.
            if fetch.discovered_by == "resource" and url_id not in clicked \
                    and url_id not in listed and url_id not in seeds:
                continue
            # Host, scheme, slash and index.html variants the crawl made up to test redirects
            # are the canonical rules' concern; judge one only if the site links to it.
            if fetch.discovered_by == "variant" and not ctx.link_counts.get(url_id):
                continue
            if scope is not None and not glob_matches(scope, ctx.urls[url_id]):
                continue
            view = _PageView(ctx, url_id)
            failed = [c.describe() for index, c in enumerate(self.spec.require)
                      if self._evaluate(index, c, view) is False]
            if failed:
                yield self.finding(ctx.urls[url_id], f"{self.spec.message} (failed: {'; '.join(failed)})",
                                   {"failed_conditions": failed,
                                    "conditions": [c.describe() for c in self.spec.require]})


    def _evaluate(self, index: int, condition: Condition, view: _PageView) -> bool | None:
        try:
            return evaluate(condition, view)
        except etree.XPathError as exc:
            # Compiled, and ran on an empty page when the file was read, yet fails on this
            # one (a node-set step after a string, an unknown prefix inside a predicate).
            expression = condition.xpath or condition.selector
            raise self.spec.config_error(
                index, f"{expression!r} fails when run on {view.ctx.urls[view.url_id]} "
                       f"({exc}) — fix the expression") from None


def make_custom_rule(spec: CustomRuleSpec) -> type[CustomRule]:
    doc = (f"{spec.message[0].upper()}{spec.message[1:]}.\n\n"
           f"What it checks:\n    Every URL in scope: "
           + "; ".join(c.describe() for c in spec.require) + ".\n"
           + (f"Why it matters:\n    {spec.why}\n" if spec.why else "")
           + (f"How to fix:\n    {spec.fix}\n" if spec.fix else "")
           + "Known false positives:\n    Defined in this site's YAML rule set; edit it there.\n")
    return type(f"Custom{spec.code}", (CustomRule,), {
        "__doc__": doc, "code": spec.code, "name": spec.name,
        "severity": Severity(spec.severity), "impact": LinkImpact(spec.impact), "spec": spec, "Options": RuleOptions,
        "__module__": __name__,
    })
