"""The ``rules:`` and ``custom_rules:`` sections of a configuration, validated against the rules.

``readiness.config`` reads the files and keeps each rule entry as written, with its file and
lines; the rules know their options, so they are validated here, once: the entries of every
file for a rule are merged (a site file over the files it extends) and the result is checked
against that rule's settings model. An error names the file and line where the offending
key was written, whichever file that was.

``load_config`` is the whole configuration, validated: what the CLI, the demo and the
analysis use.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from readiness.config.errors import ConfigError
from readiness.config.loader import (
    ConfigEntry,
    merge_entries,
    read_config,
    read_config_text,
    validate,
)
from readiness.config.models import ReadinessConfig
from readiness.config.rules import settings_model
from readiness.rules.custom import CustomRuleSpec
from readiness.rules.registry import RuleRegistry, default_registry


def load_config(path: str | Path | None = None,
                registry: RuleRegistry | None = None) -> ReadinessConfig:
    """Read, validate and resolve a configuration file; ``None`` gives the shipped defaults."""
    return validate_rules(read_config(path), registry)


def load_config_text(text: str, filename: str = "<config>",
                     registry: RuleRegistry | None = None,
                     base_dir: str | Path = ".") -> ReadinessConfig:
    return validate_rules(read_config_text(text, filename, base_dir), registry)


def validate_rules(config: ReadinessConfig,
                   registry: RuleRegistry | None = None) -> ReadinessConfig:
    """``config`` with ``rules`` (code -> settings) and ``custom_rules`` (specs) filled in
    from its entries; a config already validated is returned as it is."""
    if config.rules_validated:
        return config
    registry = registry or default_registry()
    return config.model_copy(update={
        "rules": _rule_settings(config.rule_entries, registry),
        "custom_rules": _custom_rules(config.custom_rule_entries, registry)})


def _rule_settings(entries: list[ConfigEntry], registry: RuleRegistry) -> dict[str, Any]:
    by_code: dict[str, list[ConfigEntry]] = {}   # code -> its entries, base files' first
    for entry in entries:
        rule = registry.get(entry.key)
        if rule is None:
            raise ConfigError(f"unknown rule '{entry.key}'{rule_hint(entry.key, registry)}",
                              entry.file, entry.line)
        if any(other.file == entry.file for other in by_code.get(rule.code, ())):
            raise ConfigError(f"rule {rule.code} ({rule.name}) is configured twice",
                              entry.file, entry.line)
        by_code.setdefault(rule.code, []).append(entry)
    settings = {}
    for code, rule_entries in by_code.items():
        values, origin = merge_entries(rule_entries)
        settings[code] = validate(settings_model(registry.get(code)), values, {}, "",
                                  prefix=("rules",), origin=origin)
    return settings


def _custom_rules(entries: list[ConfigEntry], registry: RuleRegistry) -> list[CustomRuleSpec]:
    specs: list[CustomRuleSpec] = []
    by_file: dict[str, list[CustomRuleSpec]] = {}
    for entry in entries:
        spec = validate(CustomRuleSpec, entry.values, entry.lines, entry.file,
                        prefix=("custom_rules", entry.key))
        spec.written_at(entry.file, entry.lines, entry.key)
        clash = registry.get(spec.code) or registry.get(spec.name)
        if clash is not None:
            raise ConfigError(
                f"custom rule {spec.code} {spec.name} clashes with built-in rule {clash.code} "
                f"{clash.name} — pick another code and name", entry.file, entry.line)
        same_file = by_file.setdefault(entry.file, [])
        if any(other.code == spec.code or other.name == spec.name for other in same_file):
            raise ConfigError(f"custom rule {spec.code} {spec.name} is defined twice in this file",
                              entry.file, entry.line)
        same_file.append(spec)
    # A site file may redefine a parent's custom rule by reusing its code.
    for file_specs in by_file.values():
        codes = {spec.code for spec in file_specs}
        specs = [spec for spec in specs if spec.code not in codes] + file_specs
    return specs


def rule_hint(key: str, registry: RuleRegistry) -> str:
    """" — did you mean …" for a rule code or name that is not there."""
    choices = list(registry.by_code) + list(registry.by_name)
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6) or difflib.get_close_matches(
        key.upper(), list(registry.by_code), n=1, cutoff=0.6)
    if close:
        rule = registry.get(close[0])
        return f" — did you mean '{close[0]}' ({rule.code} {rule.name})? `readiness rules` lists them all"
    return " — `readiness rules` lists every rule code and name"
