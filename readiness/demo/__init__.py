"""The built-in demo: a sample practice site, its loopback server, and ``readiness demo``."""
