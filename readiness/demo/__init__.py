"""The built-in demo: a sample practice site, the loopback server that plays it, and ``readiness demo``."""
