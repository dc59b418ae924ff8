"""Helpers the rule tests share (``from rule_helpers import urls``).

Not a conftest.py: tests elsewhere import ``conftest`` by name, and a second one would take
its place in sys.modules.
"""

from __future__ import annotations

from typing import Any, Iterable

from readiness.rules.base import Finding, Rule, Severity
from readiness.testing import StoreBuilder


def urls(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.url for f in findings)


def by_url(findings: Iterable[Finding]) -> dict[str, Finding]:
    return {f.url: f for f in findings}


def run_configured(store: StoreBuilder, rule: type[Rule], severity: Severity,
                   **options: Any) -> list[Finding]:
    """store.run(), with the rule's severity set as a YAML ``severity:`` would set it."""
    ctx = store.context()
    try:
        return list(rule(rule.Options(**options), severity).check(ctx))
    finally:
        ctx.store.close()
