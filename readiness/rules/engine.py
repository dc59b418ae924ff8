"""Run the rules over a crawl store: stage 3, a pure function of (store, config).

For each enabled rule: build it with its options and severity from the YAML, collect its
findings, drop those outside the rule's include/exclude globs, mark accepted ones (they stay
in the output, with the reason, but no longer count against the verdict).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from readiness.config import ReadinessConfig
from readiness.config.models import GroupsConfig
from readiness.config.rules import COMMON_KEYS, default_settings, split_settings
from readiness.rules.backlinks import FAMILY as BACKLINKS, link_weight
from readiness.rules.base import Finding, LinkImpact, Rule, RuleOptions, Severity
from readiness.rules.context import FAMILY_SCOPED, AnalysisContext
from readiness.rules.custom import make_custom_rule
from readiness.rules.registry import RuleRegistry, default_registry
from readiness.rules.settings import validate_rules
from readiness.rules.spool import FindingRecord, FindingsSpool
from readiness.rules.templates import (
    MAX_GROUP_URLS,
    Candidate,
    group_entry,
    group_key,
    qualifies,
    section_pages,
)
from readiness.store import open_store
from readiness.urls import PublicUrls, glob_matches, glob_to_regex

logger = logging.getLogger(__name__)

# Why a whole-site rule (Rule.whole_site) does not run on a list-mode crawl.
LIST_MODE_NOT_RUN = "list mode: needs the whole site, only the listed URLs were fetched"
# A prospects or placements run (meta ``mode``, readiness/crawl/outside.py) fetched other sites'
# pages: only the rule family of that name judges them; the site's rules would judge another
# site's titles and canonicals as if they were the user's.
OUTSIDE_MODES = ("prospects", "placements")


def outside_not_run(mode: str) -> str:
    return f"a {mode} run: other sites' pages, judged by the {mode} rules only"


@dataclass
class RuleRun:
    rule: type[Rule]
    severity: Severity
    findings: int = 0
    accepted: int = 0
    excluded: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0       # this process's CPU: comparable on a busy machine, wall is not
    not_run: str | None = None     # why the enabled rule did not run on this store


@dataclass
class Analysis:
    store_path: Path
    meta: dict[str, Any]
    # Every finding with its evidence, on disk; in memory only a small record per finding.
    spool: FindingsSpool
    runs: list[RuleRun]
    pages: int
    config_sources: list[str] = field(default_factory=list)
    # code -> effective configuration of every rule, disabled ones included (engine docs)
    rule_config: dict[str, Any] = field(default_factory=dict)
    # The outbound checks as a whole (AnalysisContext.outbound, findings.json summary.outbound).
    outbound: dict[str, Any] = field(default_factory=dict)
    # The previous run's store the analysis read (AnalysisContext.previous_redirects), if any.
    previous_store: Path | None = None
    # AnalysisContext.click_depth_counts: the report's depth chart.
    click_depths: tuple[dict[int, int], int] = ({}, 0)
    # Template groups (readiness.rules.templates): findings.json ``groups``.
    groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def findings(self) -> Iterator[Finding]:
        """Every finding, evidence included, read back from the spool in document order."""
        return self.spool.findings()

    @property
    def records(self) -> list[FindingRecord]:
        return self.spool.records

    @property
    def open_findings(self) -> list[FindingRecord]:
        return [f for f in self.records if f.accepted is None]

    def blocking(self, threshold: Severity = Severity.ERROR) -> list[FindingRecord]:
        """Open findings at or above ``threshold``, the most harmful to a link first
        (FindingRecord.blocker_order)."""
        return sorted((f for f in self.open_findings if f.severity.rank >= threshold.rank),
                      key=lambda f: f.blocker_order)

    @property
    def ready(self) -> bool:
        return not self.blocking(Severity.ERROR)


class UrlFilter:
    """A rule's ``include``/``exclude`` globs: which finding URLs it keeps."""

    def __init__(self, include: list[str], exclude: list[str]) -> None:
        self.include = glob_to_regex(include)
        self.exclude = glob_to_regex(exclude)

    def keeps(self, url: str) -> bool:
        if self.include is not None and not glob_matches(self.include, url):
            return False
        return not glob_matches(self.exclude, url)


def configured_rules(config: ReadinessConfig, registry: RuleRegistry
                     ) -> Iterator[tuple[type[Rule], RuleOptions, dict[str, Any]]]:
    """(rule class, its options, the common settings) of every rule, enabled or not:
    the registry's, then the YAML's custom rules."""
    config = validate_rules(config, registry)
    for rule_cls in registry.rules():
        settings = config.rules.get(rule_cls.code)
        if settings is None:
            options, common = default_settings(rule_cls)
        else:
            options, common = split_settings(rule_cls, settings)
        yield rule_cls, options, common
    for spec in config.custom_rules:
        common = {"enabled": spec.enabled, "severity": spec.severity,
                  "impact": spec.impact, "include": spec.include,
                  "exclude": spec.exclude, "accept": spec.accept}
        yield make_custom_rule(spec), RuleOptions(), common


def build_rules(config: ReadinessConfig, registry: RuleRegistry) -> list[tuple[Rule, dict[str, Any]]]:
    """The enabled rules, configured: [(rule instance, common settings)]."""
    built = []
    for rule_cls, options, common in configured_rules(config, registry):
        if not common["enabled"]:
            continue
        if getattr(rule_cls, "spec", None) is not None:  # a custom rule: its spec is its config
            built.append((rule_cls(), common))
            continue
        severity = Severity(common["severity"]) if common["severity"] else None
        impact = LinkImpact(common["impact"]) if common["impact"] else None
        built.append((rule_cls(options, severity, impact), common))
    return built


def rule_configuration(config: ReadinessConfig, registry: RuleRegistry) -> dict[str, Any]:
    """code -> the rule's effective configuration, for every rule (disabled ones included):
    what a comparison of two runs needs to tell "fixed" from "the rule set changed"."""
    described: dict[str, Any] = {}
    for rule_cls, options, common in configured_rules(config, registry):
        spec = getattr(rule_cls, "spec", None)
        if spec is not None:  # a custom rule's definition is its options
            settings = spec.model_dump(mode="json", exclude={"code", "name", *COMMON_KEYS})
        else:
            settings = options.model_dump(mode="json")
        described[rule_cls.code] = {
            "name": rule_cls.name, "enabled": bool(common["enabled"]),
            "severity": (common["severity"] or rule_cls.severity.value),
            "impact": (common["impact"] or rule_cls.impact.value),
            "options": settings, "include": list(common["include"]),
            "exclude": list(common["exclude"]),
        }
    return described


def template_groups(spool: FindingsSpool, sections: Counter, rules: list[Rule],
                    config: GroupsConfig) -> list[dict[str, Any]]:
    """The groups that qualify, their members marked in the spool; most severe first, then
    by rule and most members."""
    by_code = {rule.code: rule for rule in rules}
    groups = []
    for group_id, code, section, members, severity_rank in spool.group_candidates(
            config.min_members):
        candidate = Candidate(group_id, code, section, members)
        if not qualifies(candidate, sections, config):
            continue
        rule = by_code[code]
        spool.mark_group(group_id)
        severity = next(s for s in Severity if s.rank == severity_rank)
        groups.append(group_entry(
            candidate, sections, {"code": rule.code, "name": rule.name, "family": rule.family,
                                  "summary": rule.summary()},
            spool.group_urls(group_id, MAX_GROUP_URLS), severity.value,
            rule.effective_impact.value))
    groups.sort(key=lambda g: (-Severity(g["severity"]).rank, g["rule"], -g["members"], g["id"]))
    return groups


def analyze(store_path: str | Path, config: ReadinessConfig,
            registry: RuleRegistry | None = None,
            previous_store: str | Path | None = None) -> Analysis:
    """``previous_store``: the crawl store of the previous run of the site, an input of the
    analysis like the store itself (the redirect map reads where its redirects led)."""
    registry = registry or default_registry()
    config = validate_rules(config, registry)
    store_path = Path(store_path)
    spool = FindingsSpool()
    runs: list[RuleRun] = []
    with ExitStack() as stores:
        store = stores.enter_context(open_store(store_path))
        previous = None
        if previous_store is not None:
            try:
                previous = stores.enter_context(open_store(previous_store))
                previous.meta()
            except (sqlite3.DatabaseError, OSError) as error:
                # Only the redirect map's history is lost: the analysis goes on without it.
                logger.warning("not reading the previous run's store %s: %s", previous_store,
                               error)
                previous, previous_store = None, None
        ctx = AnalysisContext(store, previous)
        # Findings name the URLs the site publishes, not the ones a host map crawled.
        public = PublicUrls(ctx.normalizer)
        rules = build_rules(config, registry)
        # With backlink exports, a finding about a backlinked URL weighs its referring domains
        # too (the BKL rules' weight is those domains already: not counted twice).
        referring = {ctx.urls[url_id]: link_weight(target)
                     for url_id, target in ctx.backlinked.items() if link_weight(target)}
        html_ids = frozenset(url_id for url_id, _fetch, _page in ctx.html_pages())
        # A cache few rules read is not kept until the last rule has run.
        last_reader = {name: index for index, (rule, _common) in enumerate(rules)
                       for name in rule.reads}
        for index, (rule, common) in enumerate(rules):
            run = RuleRun(type(rule), rule.effective_severity)
            mode = ctx.meta.get("mode")
            if mode in OUTSIDE_MODES and rule.family != mode:
                run.not_run = outside_not_run(mode)
            elif rule.whole_site and ctx.list_mode:
                run.not_run = LIST_MODE_NOT_RUN
            url_filter = UrlFilter(common["include"], common["exclude"])
            accepts = [(glob_to_regex([a.url]), a.reason) for a in common["accept"]]
            t0, cpu0 = time.perf_counter(), time.process_time()
            for finding in (rule.check(ctx) if run.not_run is None else ()):
                if not url_filter.keeps(finding.url):
                    run.excluded += 1
                    continue
                for regex, reason in accepts:
                    if glob_matches(regex, finding.url):
                        finding.accepted = reason
                        run.accepted += 1
                        break
                run.findings += 1
                domains = referring.get(finding.url) if rule.family != BACKLINKS else None
                if domains:
                    finding.weight += domains
                    finding.evidence.setdefault("referring_domains", domains)
                # A template renders pages: only a finding about a crawled HTML page can be
                # one of a template's (twenty 404s linked from one menu are no template fact).
                groupable = config.groups.enabled and ctx.ids.get(finding.url) in html_ids
                if public:
                    finding.url = public.text(finding.url)
                    finding.subject = public.text(finding.subject)
                    finding.message = public.text(finding.message)
                    finding.evidence = public.deep(finding.evidence)
                spool.add(finding, group_key(finding.rule, finding.url, finding.message)
                          if groupable else None)
            run.seconds = time.perf_counter() - t0
            run.cpu_seconds = time.process_time() - cpu0
            runs.append(run)
            released = [name for name, last in last_reader.items() if last == index]
            if index + 1 == len(rules) or rules[index + 1][0].family != rule.family:
                released += FAMILY_SCOPED
            for name in released:
                ctx.release(name)
            logger.info("%s %s: %d findings in %.2fs", rule.code, rule.name, run.findings, run.seconds)
        page_urls = (ctx.urls[url_id] for url_id in html_ids)
        sections = section_pages(public.text(url) if public else url for url in page_urls)
        pages = sum(sections.values())
        meta = ctx.meta
        outbound = ctx.outbound.to_dict()
        click_depths = ctx.click_depth_counts()
    spool.finish()
    groups = (template_groups(spool, sections, [rule for rule, _common in rules], config.groups)
              if config.groups.enabled else [])
    if public:
        meta = {**meta, "start_url": public.text(meta["start_url"]),
                "crawled_start_url": meta["start_url"]}
    return Analysis(store_path, meta, spool, runs, pages, list(config.sources),
                    rule_configuration(config, registry), outbound,
                    Path(previous_store) if previous_store is not None else None, click_depths,
                    groups)
