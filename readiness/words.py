"""Plain-words helpers for messages, shared by every stage (probe verdicts, rules, reports)."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """``plural(3, "page")`` -> "3 pages"."""
    return f"{count} {word}{'' if count == 1 else 's'}"
