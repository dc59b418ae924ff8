"""Read YAML configuration with line numbers, and turn validation errors into plain words.

PyYAML's node tree knows the line of every key; pydantic knows what is wrong and where
(``loc``). This module joins the two so a mistake reads
``site.yaml:12: unknown key 'max_pagez' in crawl — did you mean 'max_pages'?``.

:func:`read_config` reads a file and the files it ``extends``, checks each file's sections,
merges the ``crawl:`` sections (a site file over its parents) and validates the result once.
The entries of ``rules:`` and ``custom_rules:`` are kept as written, each with the file and
lines it came from (:class:`ConfigEntry`): only the rules know their options, so
``readiness.rules.settings`` validates them, once, the same way. Either way an error names
the file and line where the offending key was written.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from readiness.config.errors import ConfigError
from readiness.config.models import (BacklinkExportConfig, ConfigFile, CrawlConfig, GroupsConfig,
                                     ReadinessConfig)

Loc = tuple[Any, ...]


DEFAULT_RULESET = "default"


@dataclass(frozen=True)
class ConfigEntry:
    """One file's ``crawl:`` section, or one entry of its ``rules:`` or ``custom_rules:``, as
    written.

    ``key`` is ``crawl``, the rule code or name as written, or the index in
    ``custom_rules``; ``lines`` the line of each key inside the entry (``()`` is the entry's
    own line).
    """

    key: str | int
    values: Any
    file: str
    lines: dict[Loc, int]

    @property
    def line(self) -> int | None:
        return line_for(self.lines, ())


def default_ruleset_path() -> Path:
    """The shipped rule set (inside the package, so a scrapyd egg carries it too)."""
    return Path(str(resources.files("readiness.rulesets").joinpath("default.yaml")))


def read_config(path: str | Path | None = None) -> ReadinessConfig:
    """Read a configuration file and the files it extends; ``None`` reads the shipped rule
    set. The crawl settings are validated, the rule entries kept as written."""
    return _resolve(_load_layer(Path(path) if path else default_ruleset_path(), ()))


def read_config_text(text: str, filename: str = "<config>",
                     base_dir: str | Path = ".") -> ReadinessConfig:
    return _resolve(_layer_from_text(text, filename, Path(base_dir), ()))


@dataclass
class _Layer:
    crawl: list[ConfigEntry]     # each file's crawl: section, base files' first
    rules: list[ConfigEntry]     # base files' first, each file's in the order written
    custom: list[ConfigEntry]
    sources: list[str]
    # The nearest file's backlinks: list (None: no file names one), paths made absolute.
    backlinks: list[BacklinkExportConfig] | None = None
    groups: list[ConfigEntry] = field(default_factory=list)   # each file's groups: section


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found — check the path", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file ({exc})", str(path)) from None


def _load_layer(path: Path, chain: tuple[Path, ...]) -> _Layer:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in chain + (resolved,))
        raise ConfigError(f"'extends' goes round in a circle: {cycle}", str(path))
    return _layer_from_text(_read(path), str(path), path.parent, chain + (resolved,))


def _layer_from_text(text: str, filename: str, base_dir: Path,
                     chain: tuple[Path, ...]) -> _Layer:
    data, lines = parse_yaml(text, filename)
    validate(ConfigFile, data, lines, filename)
    rules = [ConfigEntry(str(key), entry or {}, filename, _sub_lines(lines, ("rules", key)))
             for key, entry in (data.get("rules") or {}).items()]
    custom = [ConfigEntry(index, entry, filename, _sub_lines(lines, ("custom_rules", index)))
              for index, entry in enumerate(data.get("custom_rules") or [])]
    crawl = ConfigEntry("crawl", data.get("crawl") or {}, filename, _sub_lines(lines, ("crawl",)))
    groups = ConfigEntry("groups", data.get("groups") or {}, filename,
                         _sub_lines(lines, ("groups",)))
    layer = _Layer([crawl], rules, custom, [filename], _backlink_exports(data, base_dir),
                   [groups])
    extends = data.get("extends")
    if extends:
        if extends == DEFAULT_RULESET:
            parent_path = default_ruleset_path()
        else:
            parent_path = (base_dir / extends)
            if not parent_path.is_file():
                raise ConfigError(
                    f"extends: {extends!r} not found (looked for {parent_path}) — use "
                    "'default' for the shipped rule set or a path relative to this file",
                    filename, line_for(lines, ("extends",)))
        parent = _load_layer(parent_path, chain)
        layer = _Layer(parent.crawl + layer.crawl, parent.rules + layer.rules,
                       parent.custom + layer.custom, parent.sources + layer.sources,
                       layer.backlinks if layer.backlinks is not None else parent.backlinks,
                       parent.groups + layer.groups)
    return layer


def _backlink_exports(data: dict[str, Any], base_dir: Path) -> list[BacklinkExportConfig] | None:
    """A file's ``backlinks:`` entries, each path resolved against the file's folder (the
    export is read when the crawl starts: readiness.crawl.backlinks)."""
    entries = data.get("backlinks")
    if entries is None:
        return None
    exports = []
    for entry in entries:
        # Checked already (ConfigFile): a path, or a mapping of file and columns.
        spec = (BacklinkExportConfig(file=entry) if isinstance(entry, str)
                else BacklinkExportConfig.model_validate(entry))
        exports.append(spec.model_copy(update={"file": str((base_dir / spec.file).resolve())}))
    return exports


def _resolve(layer: _Layer) -> ReadinessConfig:
    groups, origin = merge_entries(layer.groups)
    return ReadinessConfig(crawl=_crawl_config(layer.crawl), sources=layer.sources,
                           groups=validate(GroupsConfig, groups, {}, "",
                                           origin=origin),
                           rule_entries=layer.rules, custom_rule_entries=layer.custom,
                           backlinks=layer.backlinks or [])


def _crawl_config(sections: list[ConfigEntry]) -> CrawlConfig:
    """The crawl sections merged (nested keys one by one) and validated once."""
    merged, origin = merge_entries(sections, deep=True)
    return validate(CrawlConfig, merged, {}, "", origin=origin)


def merge_entries(entries: list[ConfigEntry], deep: bool = False
                  ) -> tuple[dict[str, Any], Callable[[Loc], ConfigEntry]]:
    """The values of ``entries`` merged, later over earlier (a site file over its parents;
    nested mappings key by key when ``deep``), and the origin of a key: the entry that
    wrote it, whose file and line an error about it names (see :func:`validate`)."""
    merged: dict[str, Any] = {}
    written_by: dict[Loc, ConfigEntry] = {}
    for entry in entries:
        merged = _deep_merge(merged, entry.values) if deep else {**merged, **entry.values}
        keys = _key_paths(entry.values) if deep else ((key,) for key in entry.values)
        written_by.update(dict.fromkeys(keys, entry))

    def origin(loc: Loc) -> ConfigEntry:
        for cut in range(len(loc), 0, -1):
            if loc[:cut] in written_by:
                return written_by[loc[:cut]]
        return entries[-1]  # about the whole entry: the last file that configured it

    return merged, origin


def _key_paths(values: dict[str, Any], prefix: Loc = ()):
    for key, value in values.items():
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from _key_paths(value, prefix + (key,))


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _sub_lines(lines: dict[Loc, int], prefix: Loc) -> dict[Loc, int]:
    n = len(prefix)
    return {loc[n:]: line for loc, line in lines.items() if loc[:n] == prefix}


# A YAML alias bomb ("billion laughs") is a few lines whose aliases expand to billions of
# values; everything after composing (the line map, validation) walks the expanded tree. No
# configuration comes near this many values.
MAX_YAML_VALUES = 100_000
MERGE_KEY = "<<"


def parse_yaml(text: str, filename: str) -> tuple[dict[str, Any], dict[Loc, int]]:
    """YAML text -> (data, {key path: line}). Syntax errors, duplicate keys, aliases that
    expand past :data:`MAX_YAML_VALUES` values and values nested past Python's recursion
    limit become ConfigError with a line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expanded_size(node, filename)
            _check_duplicate_keys(node, filename)
        data = loader.construct_document(node) if node is not None else None
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
    except RecursionError:
        # PyYAML composes (and the checks walk) nested values recursively: a few KB of
        # brackets reach Python's recursion limit.
        raise ConfigError("values nested too deeply (brackets or indentation inside one "
                          "another hundreds of times) — write them flatter", filename,
                          loader.get_mark().line + 1) from None
    finally:
        loader.dispose()
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


def _check_expanded_size(root: yaml.Node, filename: str) -> None:
    """Count the values ``root`` stands for once every alias is expanded, each node of the
    composed graph visited once (an alias is the same node object as its anchor)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ConfigError("an alias refers to a value that contains it (a recursive "
                              "structure) — write the value out", filename,
                              node.start_mark.line + 1)
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        open_nodes.discard(key)
        if total > MAX_YAML_VALUES:
            raise ConfigError(f"the aliases here expand to more than {MAX_YAML_VALUES:,} "
                              "values (an alias bomb?) — write the values out, or use fewer "
                              "aliases of aliases", filename, node.start_mark.line + 1)
        sizes[key] = total
        return total

    size(root)


def _check_duplicate_keys(root: yaml.Node, filename: str) -> None:
    """A key written twice in one mapping: YAML loaders keep the last silently, so the first
    one someone edits may do nothing."""
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while pending:
        node, path = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key, line = key_node.value, key_node.start_mark.line + 1
                if isinstance(key_node, yaml.ScalarNode) and key != MERGE_KEY:
                    if key in first_line:
                        where = ".".join(str(p) for p in path) or "the top level"
                        raise ConfigError(
                            f"duplicate key '{key}' in {where}: written at line "
                            f"{first_line[key]} and at line {line} — keep one of them",
                            filename, line)
                    first_line[key] = line
                pending.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend((item, path + (index,)) for index, item in enumerate(node.value))


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


def validate(model: type[BaseModel], data: Any, lines: dict[Loc, int], filename: str,
             prefix: Loc = (), origin: Callable[[Loc], ConfigEntry] | None = None):
    """Validate ``data`` against ``model``; the first error becomes a ConfigError.

    ``prefix`` is where ``data`` sits in the file (for messages), ``lines`` are relative to it.
    Data merged from several files gives ``origin``: the entry that wrote the key at a
    ``loc``, whose file and lines the message names, its key appended to ``prefix``.
    """
    if not isinstance(data, dict):
        where = ".".join(str(p) for p in prefix) or "the file"
        raise ConfigError(f"{where} must be a mapping of keys to values, not "
                          f"{type(data).__name__}", filename, line_for(lines, ()))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A misspelt key shows up twice, as unknown and as missing: name the typo.
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(error["loc"])
        if origin is not None:
            entry = origin(loc)
            filename, lines, prefix = entry.file, entry.lines, prefix + (entry.key,)
        message = describe_error(model, {**error, "loc": prefix + loc}, fields_loc=loc)
        raise ConfigError(message, filename, line_for(lines, loc)) from None


def describe_error(model: type[BaseModel], error: dict[str, Any],
                   fields_loc: Loc | None = None) -> str:
    loc = tuple(error["loc"])
    fields_loc = loc if fields_loc is None else fields_loc
    where = ".".join(str(part) for part in loc[:-1]) or "the top level"
    key = loc[-1] if loc else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        known = fields_at(model, fields_loc[:-1])
        hint = did_you_mean(str(key), known)
        return f"unknown key '{key}' in {where}{hint}"
    if kind == "missing":
        return f"'{key}' is required in {where}"
    value = error.get("input")
    path = ".".join(str(part) for part in loc)
    if kind in ("dict_type", "model_type"):
        return f"{path} must be a mapping of keys to values (got {value!r})"
    if kind == "list_type":
        return f"{path} must be a list (got {value!r}) — write [a, b] or one '- item' per line"
    if kind == "value_error":
        return f"{path}: {str(error['msg']).removeprefix('Value error, ')}"
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
    """Key names of the (nested) model that ``loc`` points into (list indices step inside)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = [a for a in get_args(current) if a is not type(None)]
            current = args[0] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = field.annotation
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """``Model | None`` -> ``Model``; other annotations unchanged."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if len(args) == 1 and get_origin(annotation) not in (list, dict):
        return args[0]
    return annotation
