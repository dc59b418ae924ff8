"""Stage 1, the crawl: the pieces SiteSpider (readiness/spiders/site.py) is made of."""
