"""Generate what is derived from the rule classes: the shipped rule set, the JSON Schema and
docs/rules.md (and docs/store.md's tables, from the store's records). ``python -m
readiness.rules.docs`` rewrites them all; tests fail when any is stale, so docs cannot drift
from code.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from readiness.config.models import ConfigFile, CrawlConfig
from readiness.config.rules import settings_model
from readiness.rules.base import IMPACT_MEANING, Rule
from readiness.rules.custom import CustomRuleSpec
from readiness.rules.registry import RuleRegistry, default_registry
from readiness.store.records import store_markdown

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_YAML = ROOT / "readiness" / "rulesets" / "default.yaml"
SCHEMA_JSON = ROOT / "rules" / "schema.json"
RULES_MD = ROOT / "docs" / "rules.md"
STORE_MD = ROOT / "docs" / "store.md"

FAMILY_TITLES = {
    "links": "Outbound links", "status": "Status codes", "redirects": "Redirects",
    "canonicals": "Canonicals", "duplicates": "Duplicate content", "indexing": "Indexing",
    "experience": "Page experience", "structured": "Structured data and NAP",
    "onpage": "On-page basics", "backlinks": "Backlinked pages",
    "redirectmap": "Redirect map", "prospects": "Prospects (other sites' pages)",
    "placements": "Placed links", "custom": "Custom rules",
}


def _yaml_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def default_ruleset_yaml(registry: RuleRegistry) -> str:
    lines = [
        "# yaml-language-server: $schema=schema.json",
        "# readiness — the shipped rule set. Generated from the rule classes by",
        "# `python -m readiness.rules.docs`; do not edit by hand. To change a rule for one site,",
        "# write a site file with `extends: default` (see rules/example-site.yaml).",
        "#",
        "# Every rule accepts: enabled, severity (error|warning|notice), impact (dead-end|",
        "# lost-equity|indexability|experience|on-page: how its blockers rank), include / exclude",
        "# (URL globs: '/blog/*' matches paths, 'https://…' whole URLs) and accept",
        "# (a list of {url, reason} for findings the team has decided to live with).",
        "",
        "rules:",
    ]
    family = None
    for rule in sorted(registry.rules(), key=lambda r: (r.family, r.code)):
        if rule.family != family:
            family = rule.family
            lines += ["", f"  # --- {FAMILY_TITLES.get(family, family)} " + "-" * 40]
        lines.append(f"  # {rule.summary()}")
        lines.append(f"  {rule.code}:  # {rule.name}")
        lines.append("    enabled: true")
        lines.append(f"    # severity: {rule.severity.value}  (the default; set it to override)")
        lines.append(f"    # impact: {rule.impact.value}  (the default; set it to override)")
        for name, description, default in rule.options_doc():
            for text in textwrap.wrap(description, 88):
                lines.append(f"    # {text}")
            lines.append(f"    {name}: {_yaml_value(default)}")
    return "\n".join(lines) + "\n"


def json_schema(registry: RuleRegistry) -> dict[str, Any]:
    rule_props: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for rule in registry.rules():
        schema = settings_model(rule).model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        schema["title"] = f"{rule.code} {rule.name}"
        schema["description"] = rule.summary()
        defs[rule.code] = schema
        for key in (rule.code, rule.name):
            rule_props[key] = {"$ref": f"#/$defs/{rule.code}"}
    crawl = CrawlConfig.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(crawl.pop("$defs", {}))
    defs["CrawlConfig"] = crawl
    custom = CustomRuleSpec.model_json_schema(ref_template="#/$defs/{model}", by_alias=True)
    defs.update(custom.pop("$defs", {}))
    defs["CustomRule"] = custom
    top = ConfigFile.model_json_schema(ref_template="#/$defs/{model}", by_alias=True)
    top.pop("$defs", None)
    top["properties"]["crawl"] = {"$ref": "#/$defs/CrawlConfig"}
    top["properties"]["rules"] = {
        "type": "object", "description": "Per-rule settings, keyed by rule code or name.",
        "properties": rule_props, "additionalProperties": False,
    }
    top["properties"]["custom_rules"] = {
        "type": "array", "description": "Rules defined in YAML (docs/custom-rules.md).",
        "items": {"$ref": "#/$defs/CustomRule"},
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://readiness.invalid/schema.json", "title": "readiness configuration",
            **top, "$defs": defs}


def rule_markdown(rule: type[Rule]) -> str:
    parts = [f"### {rule.code} `{rule.name}`", "", f"{rule.summary()}", "",
             f"Default severity: **{rule.severity.value}**. "
             f"Link-building impact: **{rule.impact.value}** ({IMPACT_MEANING[rule.impact]}).", ""]
    if rule.whole_site:
        parts += ["Not run in list mode (`readiness check --list`): it needs the whole site.",
                  ""]
    for title, body in rule.doc_sections().items():
        parts += [f"**{title}.** {body}", ""]
    options = rule.options_doc()
    if options:
        parts += ["| option | default | meaning |", "|---|---|---|"]
        parts += [f"| `{n}` | `{_yaml_value(d)}` | {desc} |" for n, desc, d in options]
        parts.append("")
    return "\n".join(parts)


def rules_markdown(registry: RuleRegistry) -> str:
    out = ["# Rules", "", "Generated from the rule classes by `python -m readiness.rules.docs`. "
           "`readiness rules CODE` shows the same text in a terminal.", ""]
    out += ["Blockers rank by a rule's link-building impact first (what a visitor or crawler "
            "arriving through a backlink meets), then by severity, then by weight; a rule file "
            "can override a rule's `impact:` as it can its `severity:`.", ""]
    out += ["| impact | meaning |", "|---|---|"]
    out += [f"| `{impact.value}` | {meaning} |" for impact, meaning in IMPACT_MEANING.items()]
    out.append("")
    out += ["| code | name | family | severity | impact | summary |", "|---|---|---|---|---|---|"]
    rules = sorted(registry.rules(), key=lambda r: (r.family, r.code))
    out += [f"| {r.code} | `{r.name}` | {r.family} | {r.severity.value} | {r.impact.value} "
            f"| {r.summary()} |"
            for r in rules]
    out.append("")
    family = None
    for rule in rules:
        if rule.family != family:
            family = rule.family
            out += [f"## {FAMILY_TITLES.get(family, family)}", ""]
        out.append(rule_markdown(rule))
    return "\n".join(out)


def generated_files(registry: RuleRegistry) -> dict[Path, str]:
    return {
        DEFAULT_YAML: default_ruleset_yaml(registry),
        SCHEMA_JSON: json.dumps(json_schema(registry), indent=2, ensure_ascii=False) + "\n",
        RULES_MD: rules_markdown(registry),
        STORE_MD: store_markdown(STORE_MD.read_text(encoding="utf-8")),
    }


def main() -> int:
    for path, text in generated_files(default_registry()).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
