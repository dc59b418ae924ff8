"""Input files the user hands over that are not configuration: backlink exports
(:mod:`readiness.inputs.backlinks`), and the prospect and placement lists.

A layer of its own beside ``readiness.config`` (pyproject.toml's import contracts): it reads
files into plain records and imports only ``readiness.urls`` and ``readiness.words``.
"""
