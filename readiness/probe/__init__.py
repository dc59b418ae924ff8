"""Stage 2, outbound probes: what a probe's outcome means (verdicts) and the cross-run cache.

The prober itself runs inside the crawl (readiness.crawl.prober); the rules grade its
stored results with the same verdicts, so this package sits beneath both.
"""
