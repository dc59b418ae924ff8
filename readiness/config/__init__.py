"""Configuration: YAML files validated into typed models, with file:line errors.

``load_config(path)`` is the one entry point; ``ConfigError`` carries a message a person who
does not read Python can act on.
"""

from readiness.config.errors import ConfigError
from readiness.config.loader import load_config, load_config_text
from readiness.config.models import CrawlConfig, ProbeConfig, ReadinessConfig

__all__ = [
    "ConfigError", "CrawlConfig", "ProbeConfig", "ReadinessConfig", "load_config",
    "load_config_text",
]
