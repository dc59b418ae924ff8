"""Files the user hands over that are not configuration: backlink exports, prospect lists and
placed-link lists, read into plain rows (docs/prospects.md, docs/placements.md).

A layer beneath the stages beside readiness.config: it imports only readiness.urls and
readiness.words, so the CLI, the crawl and the rules can all read these files.
"""
