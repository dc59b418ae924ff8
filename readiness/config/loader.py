"""Load YAML configuration with line numbers, and turn validation errors into plain words.

PyYAML's node tree knows the line of every key; pydantic knows what is wrong and where
(``loc``). This module joins the two so a mistake reads
``site.yaml:12: unknown key 'max_pagez' in crawl — did you mean 'max_pages'?``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from readiness.config.errors import ConfigError
from readiness.config.models import ReadinessConfig

Loc = tuple[Any, ...]


def load_config(path: str | Path | None) -> ReadinessConfig:
    """Read and validate a configuration file; ``None`` gives the defaults."""
    if path is None:
        return ReadinessConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found — check the path given with --config", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file ({exc})", str(path)) from None
    return load_config_text(text, str(path))


def load_config_text(text: str, filename: str = "<config>") -> ReadinessConfig:
    data, lines = parse_yaml(text, filename)
    return validate(ReadinessConfig, data, lines, filename)


def parse_yaml(text: str, filename: str) -> tuple[dict[str, Any], dict[Loc, int]]:
    """YAML text -> (data, {key path: line}). Syntax errors become ConfigError with a line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        raise ConfigError(
            f"YAML syntax error: {problem} — check indentation, colons and quotes around this line",
            filename, line,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", filename) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the file must be a mapping of sections (crawl:, rules: …), not a "
            f"{type(data).__name__}", filename, 1,
        )
    lines: dict[Loc, int] = {}
    _collect_lines(node, (), lines)
    return data, lines


def _collect_lines(node: yaml.Node | None, path: Loc, lines: dict[Loc, int]) -> None:
    if node is None:
        return
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _collect_lines(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, path + (index,), lines)


def line_for(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of the deepest known prefix of ``loc``."""
    for cut in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:cut]))
        if line is not None:
            return line
    return None


def validate(model: type[BaseModel], data: dict[str, Any], lines: dict[Loc, int], filename: str):
    """Validate ``data`` against ``model``; the first error becomes a ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(error["loc"])
        raise ConfigError(describe_error(model, error), filename, line_for(lines, loc)) from None


def describe_error(model: type[BaseModel], error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    where = ".".join(str(part) for part in loc[:-1]) or "the top level"
    key = loc[-1] if loc else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        known = fields_at(model, loc[:-1])
        hint = did_you_mean(str(key), known)
        return f"unknown key '{key}' in {where}{hint}"
    if kind == "missing":
        return f"'{key}' is required in {where}"
    value = error.get("input")
    path = ".".join(str(part) for part in loc)
    if kind == "literal_error":
        allowed = error.get("ctx", {}).get("expected", "")
        return f"{path}: {value!r} is not allowed — use one of {allowed}"
    return f"{path}: {error['msg'].lower()} (got {value!r})"


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" — did you mean '{close[0]}'?"
    if choices:
        return " — known keys: " + ", ".join(sorted(choices))
    return ""


def fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the (nested) model that ``loc`` points into."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = field.annotation
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []
