"""Stage 2, outbound probes: each distinct outbound URL checked once per run."""
