"""Stage 3, the rules: one module per family, one small class per rule.

base.py (Rule, Finding, Severity) · registry.py (entry-point discovery) · context.py (what
rules see) · engine.py (running them). Families: links, status, redirects, canonicals,
duplicates, indexing, experience, structured, onpage; custom rules from YAML in custom.py.
"""
