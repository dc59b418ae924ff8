"""Times in the outputs: ISO 8601 in UTC everywhere (docs/findings.md, "Times").

The store keeps unix seconds (``meta.started_at``, ``fetches.fetched_at``); every output a
person or a script reads says ISO 8601. Findings files of schema 1 said unix seconds, so
whatever reads an earlier run's times takes either.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def iso_time(value: Any) -> str | None:
    """A unix time (or an ISO 8601 text, as it is) as ISO 8601 UTC with microseconds:
    two runs started in the same second still order. None for no time."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return datetime.fromtimestamp(float(value), tz=timezone.utc).isoformat(
        timespec="microseconds")


def moment(value: Any) -> datetime | None:
    """A unix time or an ISO 8601 text as an aware datetime (UTC when the text names no
    zone); None for no time or a text that is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def unix_time(value: Any) -> float | None:
    """A unix time or an ISO 8601 text as unix seconds: what orders runs of either schema."""
    when = moment(value)
    return when.timestamp() if when is not None else None
