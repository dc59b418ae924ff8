"""The rule catalogue: entry-point discovery, one template for every rule's docs, and the
generated files (default rule set, JSON Schema, docs/rules.md) kept in step with the code."""

from __future__ import annotations

import textwrap

import pytest

from readiness.config.rules import default_settings, settings_model, split_settings
from readiness.rules import docs
from readiness.rules.base import Rule
from readiness.rules.registry import RegistryError, load_registry

TEMPLATE = ["What it checks", "Why it matters", "Example", "How to fix", "Known false positives"]


def test_an_extra_rule_module_is_discovered_through_its_entry_point(tmp_path, monkeypatch):
    # A distribution on sys.path, as pip would leave it, but written by hand: nothing installed.
    (tmp_path / "clinic_extra_rules.py").write_text(textwrap.dedent('''
        from readiness.rules.base import Rule, Severity

        class BookingWidgetMissing(Rule):
            """Booking widget missing: a landing page has no online booking.

            What it checks:
                Pages without the booking widget.
            Why it matters:
                Visitors from backlinks cannot book.
            Example:
                /services/implants without the widget.
            How to fix:
                Add the widget.
            Known false positives:
                None.
            """
            code = "XBK001"
            name = "booking-widget-missing"
            family = "custom"
            severity = Severity.NOTICE

            def check(self, ctx):
                return iter(())
        '''))
    dist = tmp_path / "clinic_extra_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: clinic-extra-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[readiness.rules]\nbooking = clinic_extra_rules\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = load_registry()
    assert registry.get("XBK001").name == "booking-widget-missing"
    assert registry.get("booking-widget-missing").code == "XBK001"
    assert registry.get("RDR001") is not None, "built-in rules come through the same group"


def test_a_reused_code_is_refused(tmp_path, monkeypatch):
    (tmp_path / "clashing_rules.py").write_text(
        "from readiness.rules.redirects import RedirectChain\n"
        "class Again(RedirectChain):\n    name = 'again'\n")
    dist = tmp_path / "clashing_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: clashing-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[readiness.rules]\nclash = clashing_rules\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RegistryError, match="RDR001 is defined twice"):
        load_registry()


RULES = load_registry().rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_every_rule_follows_the_catalogue_conventions(rule: type[Rule]):
    assert rule.name == rule.name.lower() and " " not in rule.name and "_" not in rule.name
    assert rule.code[:-3].isalpha() and rule.code[-3:].isdigit()
    assert rule.summary().endswith(".")
    sections = rule.doc_sections()
    assert [title for title in TEMPLATE if title not in sections] == []
    assert all(sections[title].strip() for title in TEMPLATE)
    for name, description, _ in rule.options_doc():
        assert description, f"{rule.code} option {name} has no description"



def test_a_rule_left_out_of_the_yaml_gets_what_an_empty_entry_would_give():
    # default_settings skips building the settings model; its options and common keys must
    # be exactly those of an empty YAML entry, validated by that model.
    for rule in RULES:
        options, common = default_settings(rule)
        expected_options, expected_common = split_settings(rule, settings_model(rule)())
        assert type(options) is rule.Options, rule.code
        assert options.model_dump() == expected_options.model_dump(), rule.code
        assert options.model_fields_set == expected_options.model_fields_set, rule.code
        assert common == expected_common, rule.code

def test_generated_files_are_up_to_date():
    stale = [str(path.relative_to(docs.ROOT)) for path, text in
             docs.generated_files(load_registry()).items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    assert stale == [], "run `python -m readiness.rules.docs` and commit the result"


def test_rules_folder_default_is_the_packaged_rule_set():
    assert (docs.ROOT / "rules" / "default.yaml").resolve() == docs.DEFAULT_YAML.resolve()
