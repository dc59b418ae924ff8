"""How long the engine keeps the context's shared caches: the inbound edge cache is held while
one rule family runs (its findings about a URL repeat the edges) and released after the
family's last rule, so it never overlaps the next family's bulky facts (bench/README.md,
session 19: -15 MB at the peak of 20,000 pages). Reads the session crawl (``site_crawl``)."""

from __future__ import annotations

from readiness.rules.base import Rule
from readiness.rules.engine import analyze
from readiness.rules.registry import RuleRegistry
from readiness.rules.settings import load_config

# What each throwaway rule saw of the edge cache: code -> URL ids held when it began.
seen: dict[str, list[int]] = {}


def edges_held(ctx) -> list[int]:
    return sorted(ctx.__dict__.get("_inbound_edges", {}))


class ReadsInbound(Rule):
    """Asks for the inbound links of the home page (filling the edge cache)."""

    code, name, family = "TST001", "test-reads-inbound", "test-one"

    def check(self, ctx):
        seen[self.code] = edges_held(ctx)
        ctx.inbound_links(ctx.home_id)
        return iter(())


class SameFamily(Rule):
    """The same family: the edges read by TST001 are still held."""

    code, name, family = "TST002", "test-same-family", "test-one"

    def check(self, ctx):
        seen[self.code] = edges_held(ctx)
        return iter(())


class NextFamily(Rule):
    """Another family: the edges are no longer held."""

    code, name, family = "TST003", "test-next-family", "test-two"

    def check(self, ctx):
        seen[self.code] = edges_held(ctx)
        return iter(())


def test_inbound_edges_kept_within_a_family_released_after_it(site_crawl):
    registry = RuleRegistry()
    for rule in (ReadsInbound, SameFamily, NextFamily):
        registry.add(rule, __name__)
    seen.clear()
    analyze(site_crawl.store_path, load_config(), registry)
    assert seen["TST001"] == []
    assert len(seen["TST002"]) == 1          # the home page's edges, shared in the family
    assert seen["TST003"] == []              # released when family test-one was done
