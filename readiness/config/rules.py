"""The ``rules:`` section: per-rule settings validated against the rule registry.

Each entry is keyed by rule code or name and may hold ``enabled``, ``severity``, ``impact``, URL
``include``/``exclude`` globs, ``accept`` entries and the rule's own options, all flat::

    rules:
      redirect-chain:
        severity: error
        impact: dead-end
        max_hops: 2
        exclude: ["/legacy/*"]
        accept:
          - url: "/old-campaign"
            reason: "kept for a print ad until 2027"
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from readiness.urls import glob_to_regex

COMMON_KEYS = ("enabled", "severity", "impact", "include", "exclude", "accept")
# readiness.rules.base.LinkImpact's values (the config sits beneath the rules; a test keeps
# the two the same), most harmful first.
ImpactName = Literal["dead-end", "lost-equity", "indexability", "experience", "on-page"]


def check_glob(pattern: str) -> str:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("a URL glob must be a non-empty string")
    if not pattern.startswith(("/", "*", "http://", "https://")):
        raise ValueError(
            f"{pattern!r} is not a URL glob — start it with / (a path, e.g. '/blog/*'), "
            "* or http(s):// (a whole URL)")
    try:
        glob_to_regex([pattern])
    except re.error as exc:  # pragma: no cover - fnmatch escapes nearly everything
        raise ValueError(f"{pattern!r} is not a valid glob ({exc})") from None
    return pattern


class AcceptEntry(BaseModel):
    """A finding the team has decided to live with."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="URL or URL glob the accepted findings are about.")
    reason: str = Field(min_length=3, description="Why it is accepted (shown in reports).")

    @field_validator("url")
    @classmethod
    def _glob(cls, value: str) -> str:
        return check_glob(value)


class RuleSettingsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    enabled: bool = Field(True, description="Run this rule.")
    severity: Literal["error", "warning", "notice"] | None = Field(
        None, description="Override the rule's default severity.")
    impact: ImpactName | None = Field(
        None, description="Override the rule's link-building impact (how its blockers rank).")
    include: list[str] = Field(default_factory=list, description="Only report URLs matching these globs.")
    exclude: list[str] = Field(default_factory=list, description="Never report URLs matching these globs.")
    accept: list[AcceptEntry] = Field(default_factory=list, description="Accepted findings, each with a reason.")

    @field_validator("include", "exclude")
    @classmethod
    def _globs(cls, values: list[str]) -> list[str]:
        return [check_glob(v) for v in values]


@lru_cache(maxsize=None)
def settings_model(rule_cls: type) -> type[BaseModel]:
    """The model of one rule's YAML entry: common keys plus the rule's own options."""
    _check_option_names(rule_cls)
    # Both as bases: the common keys' fields *and* their glob validators come along.
    model = create_model(f"{rule_cls.code}Settings", __base__=(rule_cls.Options, RuleSettingsBase))
    return model


def _check_option_names(rule_cls: type) -> None:
    clash = set(COMMON_KEYS) & set(rule_cls.Options.model_fields)
    if clash:
        raise TypeError(f"{rule_cls.code}: option names {sorted(clash)} are reserved")


def default_settings(rule_cls: type) -> tuple[BaseModel, dict[str, Any]]:
    """split_settings of a rule the YAML does not mention: its options' defaults and the
    common keys' defaults, validated as its settings model would, without building that
    model (pydantic's create_model for every rule was ~0.1 s of each analysis)."""
    _check_option_names(rule_cls)
    common = RuleSettingsBase()
    return rule_cls.Options(), {key: getattr(common, key) for key in COMMON_KEYS}


def split_settings(rule_cls: type, settings: BaseModel) -> tuple[BaseModel, dict[str, Any]]:
    """(the rule's Options instance, the common keys as a dict).

    ``settings`` is already validated (readiness.rules.settings): the options are taken
    over as they are, not validated a second time.
    """
    common = {key: getattr(settings, key) for key in COMMON_KEYS}
    options = rule_cls.Options.model_construct(
        _fields_set=settings.model_fields_set - set(COMMON_KEYS),
        **{name: getattr(settings, name) for name in rule_cls.Options.model_fields})
    return options, common
