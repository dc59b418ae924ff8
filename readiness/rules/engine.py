"""Run the rules over a crawl store: stage 3, a pure function of (store, config).

For each enabled rule: build it with its options and severity from the YAML, collect its
findings, drop those outside the rule's include/exclude globs, mark accepted ones (they stay
in the output, with the reason, but no longer count against the verdict).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.config import ReadinessConfig
from readiness.config.rules import settings_model, split_settings
from readiness.rules.base import Finding, Rule, Severity
from readiness.rules.context import AnalysisContext
from readiness.rules.custom import make_custom_rule
from readiness.rules.registry import RuleRegistry, default_registry
from readiness.store import open_store
from readiness.urls import PublicUrls, glob_matches, glob_to_regex

logger = logging.getLogger(__name__)


@dataclass
class RuleRun:
    rule: type[Rule]
    severity: Severity
    findings: int = 0
    accepted: int = 0
    excluded: int = 0
    seconds: float = 0.0


@dataclass
class Analysis:
    store_path: Path
    meta: dict[str, Any]
    findings: list[Finding]
    runs: list[RuleRun]
    pages: int
    config_sources: list[str] = field(default_factory=list)
    # The outbound checks as a whole (AnalysisContext.outbound, findings.json summary.outbound).
    outbound: dict[str, Any] = field(default_factory=dict)

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.accepted is None]

    def blocking(self, threshold: Severity = Severity.ERROR) -> list[Finding]:
        """Open findings at or above ``threshold``, most inbound references first."""
        return sorted((f for f in self.open_findings if f.severity.rank >= threshold.rank),
                      key=lambda f: (-f.severity.rank, -f.weight, f.rule, f.url))

    @property
    def ready(self) -> bool:
        return not self.blocking(Severity.ERROR)


class _UrlFilter:
    def __init__(self, include: list[str], exclude: list[str]) -> None:
        self.include = glob_to_regex(include)
        self.exclude = glob_to_regex(exclude)

    def keeps(self, url: str) -> bool:
        if self.include is not None and not glob_matches(self.include, url):
            return False
        return not glob_matches(self.exclude, url)


def build_rules(config: ReadinessConfig, registry: RuleRegistry) -> list[tuple[Rule, dict[str, Any]]]:
    """The enabled rules, configured: [(rule instance, common settings)]."""
    built = []
    for rule_cls in registry.rules():
        settings = config.rules.get(rule_cls.code)
        if settings is None:
            settings = settings_model(rule_cls)()
        options, common = split_settings(rule_cls, settings)
        if not common["enabled"]:
            continue
        severity = Severity(common["severity"]) if common["severity"] else None
        built.append((rule_cls(options, severity), common))
    for spec in config.custom_rules:
        if spec.enabled:
            common = {"include": spec.include, "exclude": spec.exclude, "accept": spec.accept}
            built.append((make_custom_rule(spec)(), common))
    return built


def analyze(store_path: str | Path, config: ReadinessConfig,
            registry: RuleRegistry | None = None) -> Analysis:
    registry = registry or default_registry()
    store_path = Path(store_path)
    findings: list[Finding] = []
    runs: list[RuleRun] = []
    with open_store(store_path) as store:
        ctx = AnalysisContext(store)
        for rule, common in build_rules(config, registry):
            run = RuleRun(type(rule), rule.effective_severity)
            url_filter = _UrlFilter(common["include"], common["exclude"])
            accepts = [(glob_to_regex([a.url]), a.reason) for a in common["accept"]]
            t0 = time.perf_counter()
            for finding in rule.check(ctx):
                if not url_filter.keeps(finding.url):
                    run.excluded += 1
                    continue
                for regex, reason in accepts:
                    if glob_matches(regex, finding.url):
                        finding.accepted = reason
                        run.accepted += 1
                        break
                run.findings += 1
                findings.append(finding)
            run.seconds = time.perf_counter() - t0
            runs.append(run)
            logger.info("%s %s: %d findings in %.2fs", rule.code, rule.name, run.findings, run.seconds)
        pages = sum(1 for _ in ctx.html_pages())
        meta = ctx.meta
        outbound = ctx.outbound.to_dict()
    public = PublicUrls.from_meta(meta)
    if public:
        for finding in findings:
            finding.url = public.text(finding.url)
            finding.subject = public.text(finding.subject)
            finding.message = public.text(finding.message)
            finding.evidence = public.deep(finding.evidence)
        meta = {**meta, "start_url": public.text(meta["start_url"]),
                "crawled_start_url": meta["start_url"]}
    findings.sort(key=lambda f: (-f.severity.rank, f.rule, -f.weight, f.url))
    return Analysis(store_path, meta, findings, runs, pages, list(config.sources), outbound)
