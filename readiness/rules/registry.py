"""Find every rule through the ``readiness.rules`` entry-point group.

Built-in rule families register exactly the way a third-party package would, in its
pyproject.toml::

    [project.entry-points."readiness.rules"]
    my_rules = "my_package.rules"       # a module: every Rule subclass defined in it
    one_rule = "my_package.rules:MyRule"  # or a single Rule class

Codes must be unique and are never reused; a clash is reported naming both sources.
"""

from __future__ import annotations

import inspect
import logging
from functools import lru_cache
from importlib.metadata import entry_points
from types import ModuleType

from readiness.rules.base import Rule

logger = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "readiness.rules"


class RegistryError(Exception):
    pass


class RuleRegistry:
    def __init__(self) -> None:
        self.by_code: dict[str, type[Rule]] = {}
        self.by_name: dict[str, type[Rule]] = {}
        self.source: dict[str, str] = {}

    def add(self, rule: type[Rule], source: str) -> None:
        for attr in ("code", "name", "family"):
            if not getattr(rule, attr, None):
                raise RegistryError(f"{rule.__qualname__} from {source} has no {attr}")
        if rule.code in self.by_code and self.by_code[rule.code] is not rule:
            raise RegistryError(f"rule code {rule.code} is defined twice: in "
                                f"{self.source[rule.code]} and in {source}")
        if rule.name in self.by_name and self.by_name[rule.name] is not rule:
            raise RegistryError(f"rule name {rule.name} is defined twice: in "
                                f"{self.source[self.by_name[rule.name].code]} and in {source}")
        self.by_code[rule.code] = rule
        self.by_name[rule.name] = rule
        self.source[rule.code] = source

    def add_module(self, module: ModuleType, source: str) -> None:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Rule) and obj.__module__ == module.__name__ and getattr(obj, "code", None):
                self.add(obj, source)

    def get(self, key: str) -> type[Rule] | None:
        """A rule by code (``RDR001``, any case) or name (``redirect-chain``)."""
        return self.by_code.get(key.upper()) or self.by_name.get(key.lower())

    def rules(self) -> list[type[Rule]]:
        return [self.by_code[code] for code in sorted(self.by_code)]

    def __len__(self) -> int:
        return len(self.by_code)


def load_registry() -> RuleRegistry:
    registry = RuleRegistry()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        loaded = ep.load()
        source = f"{ep.value} (entry point {ep.name!r})"
        if inspect.ismodule(loaded):
            registry.add_module(loaded, source)
        elif inspect.isclass(loaded) and issubclass(loaded, Rule):
            registry.add(loaded, source)
        else:
            raise RegistryError(f"entry point {ep.name!r} ({ep.value}) is neither a module "
                                "nor a Rule class")
    return registry


@lru_cache(maxsize=1)
def default_registry() -> RuleRegistry:
    return load_registry()
