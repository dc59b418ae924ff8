"""Stage 1, the crawl: SiteSpider (spider.py), which decides and schedules, and the Scrapy
components it hands the rest to (docs/architecture.md)."""
