"""The YAML loader: every error an SEO lead can make gets `file:line: problem — fix`."""

from __future__ import annotations

import pytest
from conftest import REPO, run_cli

from readiness.config import ConfigError
from readiness.rules.settings import load_config, load_config_text


def error_of(text: str, filename: str = "site.yaml", base_dir=".") -> str:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, filename, base_dir=base_dir)
    return str(caught.value)


@pytest.mark.parametrize("text,message", [
    ("crawl:\n  max_pagez: 3\n",
     "site.yaml:2: unknown key 'max_pagez' in crawl — did you mean 'max_pages'?"),
    ("crawl:\n  probe:\n    retires: 2\n",
     "site.yaml:3: unknown key 'retires' in crawl.probe — did you mean 'retries'?"),
    ("crawl:\n  robots: maybe\n",
     "site.yaml:2: crawl.robots: 'maybe' is not allowed — use one of 'obey', 'report' or 'ignore'"),
    ("crawl:\n  max_pages: lots\n",
     "site.yaml:2: crawl.max_pages: input should be a valid integer, unable to parse string as "
     "an integer (got 'lots')"),
    ("ruels:\n  RDR001: {}\n", "site.yaml:1: unknown key 'ruels' in the top level — did you mean 'rules'?"),
    ("rules:\n  redirect-chian:\n    max_hops: 2\n",
     "site.yaml:2: unknown rule 'redirect-chian' — did you mean 'redirect-chain' (RDR001 "
     "redirect-chain)? `readiness rules` lists them all"),
    ("rules:\n  RDR01: {}\n",
     "site.yaml:2: unknown rule 'RDR01' — did you mean 'RDR001' (RDR001 redirect-chain)? "
     "`readiness rules` lists them all"),
    ("rules:\n  RDR001:\n    max_hop: 2\n",
     "site.yaml:3: unknown key 'max_hop' in rules.RDR001 — did you mean 'max_hops'?"),
    ("rules:\n  RDR001:\n    max_hops: two\n",
     "site.yaml:3: rules.RDR001.max_hops: input should be a valid integer, unable to parse "
     "string as an integer (got 'two')"),
    ("rules:\n  RDR001:\n    max_hops: 0\n",
     "site.yaml:3: rules.RDR001.max_hops: input should be greater than or equal to 1 (got 0)"),
    ("rules:\n  RDR001:\n    severity: fatal\n",
     "site.yaml:3: rules.RDR001.severity: 'fatal' is not allowed — use one of 'error', "
     "'warning' or 'notice'"),
    ("rules:\n  RDR001:\n    exclude: ['blog/*']\n",
     "site.yaml:3: rules.RDR001.exclude: 'blog/*' is not a URL glob — start it with / (a "
     "path, e.g. '/blog/*'), * or http(s):// (a whole URL)"),
    ("rules:\n  RDR001:\n    accept:\n      - url: /x\n",
     "site.yaml:4: 'reason' is required in rules.RDR001.accept.0"),
    ("rules:\n  RDR001: {}\n  redirect-chain: {}\n",
     "site.yaml:3: rule RDR001 (redirect-chain) is configured twice"),
    ("rules:\n  RDR001: [1, 2]\n",
     "site.yaml:2: rules.RDR001 must be a mapping of keys to values (got [1, 2])"),
    ("crawl: [\n", "site.yaml:2: YAML syntax error: expected the node content, but found "
     "'<stream end>' — check indentation, colons and quotes around this line"),
    ("- a\n", "site.yaml:1: the file must be a mapping of sections (crawl:, rules: …), not a list"),
    ("extends: nothere.yaml\n", "site.yaml:1: extends: 'nothere.yaml' not found (looked for "
     "nothere.yaml) — use 'default' for the shipped rule set or a path relative to this file"),
])
def test_error_messages(text, message):
    assert error_of(text) == message


def test_extends_layers_a_site_file_over_the_defaults(tmp_path):
    base = tmp_path / "agency.yaml"
    base.write_text("extends: default\ncrawl:\n  concurrency: 4\n  probe: {delay: 1}\n"
                    "rules:\n  RDR001: {max_hops: 3, severity: error}\n")
    site = tmp_path / "site.yaml"
    site.write_text("extends: agency.yaml\ncrawl:\n  probe: {timeout: 5}\n"
                    "rules:\n  redirect-chain: {max_hops: 2}\n  RDR004: {enabled: false}\n")
    config = load_config(site)
    assert config.crawl.concurrency == 4
    assert (config.crawl.probe.delay, config.crawl.probe.timeout) == (1, 5)
    assert (config.rules["RDR001"].max_hops, config.rules["RDR001"].severity) == (2, "error")
    assert config.rules["RDR004"].enabled is False
    assert [p.rsplit("/", 1)[-1] for p in config.sources] == ["default.yaml", "agency.yaml", "site.yaml"]


def test_extends_cycle_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match="'extends' goes round in a circle"):
        load_config(tmp_path / "a.yaml")


def test_error_in_a_parent_file_names_that_file(tmp_path):
    (tmp_path / "base.yaml").write_text("rules:\n  RDR001:\n    max_hopz: 1\n")
    (tmp_path / "site.yaml").write_text("extends: base.yaml\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "site.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'base.yaml'}:3: unknown key 'max_hopz'")


def test_shipped_files_load():
    assert load_config().rules["RDR001"].max_hops == 1
    assert load_config(REPO / "rules" / "example-site.yaml").rules["RDR001"].max_hops == 2


def test_cli_reports_a_bad_rule_file_in_one_line_with_exit_2(tmp_path):
    bad = tmp_path / "site.yaml"
    bad.write_text("rules:\n  RDR001:\n    max_hop: 2\n")
    store = tmp_path / "run"
    store.mkdir()
    (store / "crawl.sqlite").write_bytes(b"")
    result = run_cli("analyze", str(store), "--config", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"readiness: configuration error: {bad}:3: unknown key "
                                     "'max_hop' in rules.RDR001 — did you mean 'max_hops'?")


def test_a_crawl_key_written_in_a_parent_file_names_that_file(tmp_path):
    (tmp_path / "base.yaml").write_text("crawl:\n  probe:\n    retires: 2\n")
    (tmp_path / "site.yaml").write_text("extends: base.yaml\ncrawl:\n  probe: {timeout: 5}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "site.yaml")
    assert str(caught.value) == (f"{tmp_path / 'base.yaml'}:3: unknown key 'retires' in "
                                 "crawl.probe — did you mean 'retries'?")


def test_a_site_file_value_replaces_its_parents_before_validation(tmp_path):
    # Validated once, after merging: the error is where the bad value was written, and a
    # value a site file replaces is the site file's to judge.
    (tmp_path / "base.yaml").write_text("rules:\n  RDR001:\n    max_hops: 2\n    severity: error\n")
    (tmp_path / "site.yaml").write_text("extends: base.yaml\nrules:\n  redirect-chain:\n"
                                        "    max_hops: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "site.yaml")
    assert str(caught.value) == (f"{tmp_path / 'site.yaml'}:4: rules.redirect-chain.max_hops: "
                                 "input should be greater than or equal to 1 (got 0)")


def test_each_rule_option_is_validated_once(tmp_path):
    from pydantic import field_validator

    from readiness.rules.base import Rule, RuleOptions
    from readiness.rules.engine import analyze
    from readiness.rules.registry import RuleRegistry
    from readiness.testing import StoreBuilder

    validated = []

    class CountedRule(Rule):
        """Counts how often its option is validated."""

        code, name, family = "TST001", "counted-option", "test"

        class Options(RuleOptions):
            limit: int = 1

            @field_validator("limit")
            @classmethod
            def _count(cls, value: int) -> int:
                validated.append(value)
                return value

        def check(self, ctx):
            yield self.finding(ctx.start_url, f"limit {self.options.limit}")

    registry = RuleRegistry()
    registry.add(CountedRule, "test")
    (tmp_path / "base.yaml").write_text("rules:\n  TST001: {limit: 2}\n")
    (tmp_path / "site.yaml").write_text("extends: base.yaml\nrules:\n  counted-option: {limit: 3}\n")
    config = load_config(tmp_path / "site.yaml", registry)
    store = StoreBuilder(tmp_path / "run")
    store.page("/")
    analysis = analyze(store.close(), config, registry)
    assert [f.message for f in analysis.findings] == ["limit 3"]
    assert analysis.rule_config["TST001"]["options"] == {"limit": 3}
    assert validated == [3]
