# Only for `scrapyd-deploy`, which builds an egg with `setup.py bdist_egg`; everything about
# the package (metadata, package data such as the default rule set, the `scrapy` entry point
# naming readiness.settings) is in pyproject.toml.
from setuptools import setup

setup()
