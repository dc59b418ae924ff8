"""Configuration: YAML files read into typed models, with file:line errors.

``read_config(path)`` reads a file (and what it extends) and validates the crawl section;
``readiness.rules.settings.load_config`` adds the ``rules:`` entries, validated against the
rules. ``ConfigError`` carries a message a person who does not read Python can act on.
"""

from readiness.config.errors import ConfigError
from readiness.config.loader import read_config, read_config_text
from readiness.config.models import CrawlConfig, ProbeConfig, ReadinessConfig

# The configuration file commands read from the current directory when no --config is given
# (and the one `readiness init` writes).
CONFIG_FILE_NAME = "readiness.yaml"

__all__ = [
    "CONFIG_FILE_NAME", "ConfigError", "CrawlConfig", "ProbeConfig", "ReadinessConfig",
    "read_config", "read_config_text",
]
