"""What a rule is: a small class with a code, a name, a severity, typed options and docs.

Every rule's docstring follows one template, so ``readiness rules CODE``, the HTML report and
docs/rules.md can all be generated from it::

    One-line summary: what is flagged.

    What it checks:
        ...
    Why it matters:
        ... (for link building)
    Example:
        ...
    How to fix:
        ...
    Options:
        (generated from the Options model; leave out)
    Known false positives:
        ...
"""

from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Iterator

from pydantic import BaseModel, ConfigDict

from readiness.words import plural  # noqa: F401 - the rule families' import of it

if TYPE_CHECKING:
    from readiness.rules.context import AnalysisContext


class Severity(StrEnum):
    ERROR = "error"        # blocks link building: a visitor or crawler lands on something broken
    WARNING = "warning"    # wastes link equity or confuses search engines
    NOTICE = "notice"      # worth knowing; may be fine

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "notice": 1}[self.value]


class LinkImpact(StrEnum):
    """What a finding does to a link's worth, for the person or crawler arriving through it.

    Declared by every rule next to its severity; blockers are ranked by it first (the most
    harmful first), then by severity, then by weight. Members are in that rank order.
    """

    DEAD_END = "dead-end"          # the link leads nowhere: 4xx/5xx, loops, redirects to errors, DNS
    LOST_EQUITY = "lost-equity"    # it arrives, but its worth leaks: chains, temporary hops, noindex
    INDEXABILITY = "indexability"  # the page it lands on may not be indexed as meant
    EXPERIENCE = "experience"      # the visitor lands, but on something slow, broken or insecure
    ON_PAGE = "on-page"            # the page could say better what it is

    @property
    def rank(self) -> int:
        """Higher is more harmful (as Severity.rank)."""
        return len(_IMPACT_ORDER) - _IMPACT_ORDER.index(self)


_IMPACT_ORDER = tuple(LinkImpact)
# What each impact means, in the words the rule docs (docs/rules.md, `readiness rules CODE`) use.
IMPACT_MEANING = {
    LinkImpact.DEAD_END: "a link to the URL leads nowhere: an error, a loop, a redirect to "
                         "an error, a name that does not resolve",
    LinkImpact.LOST_EQUITY: "a link arrives, but part of its worth is lost on the way: chains, "
                            "temporary redirects, canonicals to errors or noindex, noindex or "
                            "blocked pages with links",
    LinkImpact.INDEXABILITY: "the page a link lands on may not be indexed as meant",
    LinkImpact.EXPERIENCE: "the visitor arrives at something slow, insecure or hard to use",
    LinkImpact.ON_PAGE: "the page could say better what it is",
}


class RuleOptions(BaseModel):
    """Base for a rule's options; a rule with options declares ``class Options(RuleOptions)``."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


@dataclass(slots=True)
class Finding:
    rule: str                      # code, e.g. RDR001
    name: str                      # kebab-case, e.g. redirect-chain
    family: str
    severity: Severity
    impact: LinkImpact
    url: str                       # the URL a person should look at
    message: str                   # plain words
    evidence: dict[str, Any] = field(default_factory=dict)
    subject: str = ""              # what makes this finding unique within its rule
    weight: int = 0                # inbound links / sitemap entries affected (ranks blockers)
    accepted: str | None = None    # reason, when an accept: entry in the YAML matched
    group: str | None = None       # the template group it belongs to (readiness.rules.templates)

    @property
    def id(self) -> str:
        """Stable across runs: the same problem on the same subject gets the same id."""
        digest = hashlib.sha1(f"{self.rule}\x00{self.subject or self.url}".encode()).hexdigest()
        return f"{self.rule}-{digest[:12]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "rule": self.rule, "name": self.name, "family": self.family,
            "severity": self.severity.value, "impact": self.impact.value, "url": self.url, "message": self.message,
            "evidence": self.evidence, "weight": self.weight, "accepted": self.accepted,
            **({"group": self.group} if self.group else {}),
        }


_SECTION = re.compile(r"^(What it checks|Why it matters|Example|How to fix|Options|"
                      r"Known false positives):\s*$", re.M)


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement check()."""

    code: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    # What a finding does to a link building on the page (LinkImpact); every built-in rule
    # declares it. A plugin's rule that does not is judged an on-page matter.
    impact: ClassVar[LinkImpact] = LinkImpact.ON_PAGE
    Options: ClassVar[type[RuleOptions]] = RuleOptions
    # Bulky AnalysisContext caches that only a few rules read (cached_property names): the
    # engine releases each once the last enabled rule naming it has run.
    reads: ClassVar[tuple[str, ...]] = ()
    # Needs every page of the site (orphans, click depth, sitemap coverage): on a list-mode
    # crawl (only the listed URLs fetched) its findings would be wrong, so it does not run.
    whole_site: ClassVar[bool] = False

    def __init__(self, options: RuleOptions | None = None,
                 severity: Severity | None = None, impact: LinkImpact | None = None) -> None:
        self.options = options if options is not None else self.Options()
        self.effective_severity = severity or self.severity
        self.effective_impact = impact or self.impact
        # True when the YAML set a severity: rules that grade cases differently (an
        # unreachable robots.txt is worse than a missing one) then use it for every case.
        self.severity_configured = severity is not None

    def check(self, ctx: "AnalysisContext") -> Iterator[Finding]:
        raise NotImplementedError

    def finding(self, url: str, message: str, evidence: dict[str, Any] | None = None,
                subject: str | None = None, weight: int = 0,
                severity: Severity | None = None, at_most: Severity | None = None) -> Finding:
        """A finding of this rule; ``severity`` grades this case, ``at_most`` caps it.

        A case's grade yields to a severity set in the YAML, a cap does not: a case that is
        never worse than a warning stays one whatever the configuration says.
        """
        result = self.effective_severity
        if severity is not None and not self.severity_configured:
            result = severity
        if at_most is not None and result.rank > at_most.rank:
            result = at_most
        return Finding(self.code, self.name, self.family, result, self.effective_impact,
                       url, message, evidence or {}, subject or url, weight)

    # -- documentation ---------------------------------------------------------------------

    @classmethod
    def summary(cls) -> str:
        return (inspect.getdoc(cls) or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """{'What it checks': ..., 'Why it matters': ..., ...} from the docstring."""
        doc = inspect.getdoc(cls) or ""
        parts = _SECTION.split(doc)
        sections: dict[str, str] = {}
        for title, body in zip(parts[1::2], parts[2::2]):
            sections[title] = inspect.cleandoc(body)
        return sections

    @classmethod
    def options_doc(cls) -> list[tuple[str, str, Any]]:
        return [(name, f.description or "", f.get_default(call_default_factory=True))
                for name, f in cls.Options.model_fields.items()]
